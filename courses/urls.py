from django.urls import path

from courses import views

app_name = "courses"

urlpatterns = [
    path("", views.my_learning, name="my_learning"),
    path("catalogue/", views.catalogue, name="catalogue"),
    path("courses/<slug:course_slug>/", views.course_detail, name="detail"),
    path("courses/<slug:course_slug>/continue/", views.continue_course, name="continue"),
    path("courses/<slug:course_slug>/complete/", views.course_complete, name="complete"),
    path("courses/<slug:course_slug>/start-again/", views.start_again, name="start_again"),
    path("trainer/", views.trainer_dashboard, name="trainer_dashboard"),
    path("trainer/export.csv", views.trainer_export, name="trainer_export"),
    path("trainer/learners/<int:user_id>/", views.trainer_learner, name="trainer_learner"),
    path("trainer/courses/<slug:course_slug>/assign/", views.trainer_assign, name="trainer_assign"),
]
