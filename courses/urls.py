from django.urls import path

from courses import views

app_name = "courses"

urlpatterns = [
    path("", views.home, name="home"),
    path("my-learning/", views.my_learning, name="my_learning"),
    path("catalogue/", views.catalogue, name="catalogue"),
    path("courses/<slug:course_slug>/", views.course_detail, name="detail"),
    path("courses/<slug:course_slug>/continue/", views.continue_course, name="continue"),
    path("courses/<slug:course_slug>/complete/", views.course_complete, name="complete"),
    path("courses/<slug:course_slug>/start-again/", views.start_again, name="start_again"),
    path("courses/<slug:course_slug>/media/<path:name>", views.media_file, name="media"),
]
