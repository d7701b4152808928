from django.urls import path

from training.views import analytics, assignments, certificates, dashboard, learner

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

# The learner's pages that are about assignments, in the "courses" namespace
# (config/urls.py puts it together with courses.urls).
course_patterns = [
    path("", learner.home, name="home"),
    path("my-learning/", learner.my_learning, name="my_learning"),
    path("courses/<slug:course_slug>/", learner.course_detail, name="detail"),
    path("courses/<slug:course_slug>/start-again/", learner.start_again, name="start_again"),
]

# Not namespaced: a certificate's page and its PDF.
certificate_patterns = [
    path("certificates/<str:code>/", certificates.certificate_page, name="certificate"),
    path("certificates/<str:code>/pdf/", certificates.certificate_download, name="certificate_pdf"),
]
