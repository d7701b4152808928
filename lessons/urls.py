from django.urls import path

from lessons import views

app_name = "lessons"

# Mounted under courses/<course_slug>/lessons/ by config/urls.py.
urlpatterns = [
    path("<slug:lesson_slug>/", views.lesson_detail, name="detail"),
    path("<slug:lesson_slug>/complete/", views.mark_complete, name="complete"),
]

# Not namespaced, mounted at the site's root: a staff preview of a draft lesson, search,
# and the public check of a certificate (no login).
site_patterns = [
    path("preview/lessons/<int:lesson_id>/", views.preview_lesson, name="preview_lesson"),
    path("search/", views.search, name="search"),
    path("verify/", views.verify_certificate, name="verify_certificate"),
    path("verify/<str:code>/", views.verify_certificate, name="verify_certificate"),
]
