from django.urls import path

from lessons import views

app_name = "lessons"

# Mounted under courses/<course_slug>/lessons/ by config/urls.py.
urlpatterns = [
    path("<slug:lesson_slug>/", views.lesson_detail, name="detail"),
    path("<slug:lesson_slug>/complete/", views.mark_complete, name="complete"),
]
