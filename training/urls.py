from django.urls import path

from training.views import analytics, assignments, dashboard

app_name = "training"

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("export.csv", dashboard.export, name="export"),
    path("summary.csv", dashboard.summary, name="summary"),
    path("learners/<int:user_id>/", dashboard.learner, name="learner"),
    path("courses/<slug:course_slug>/assign/", assignments.assign, name="assign"),
    path("assignments/<int:assignment_id>/", assignments.assignment, name="assignment"),
    path(
        "assignments/<int:assignment_id>/remove/",
        assignments.remove_assignment,
        name="remove_assignment",
    ),
    path("analytics/", analytics.analytics, name="analytics"),
]
