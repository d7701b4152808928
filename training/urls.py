from django.urls import path

from paths.views import verify_path_certificate
from training.views import analytics, assignments, certificates, dashboard, learner, paths

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
    path("paths/", paths.trainer_paths, name="paths"),
    path("paths/<slug:path_slug>/assign/", paths.assign_path_page, name="assign_path"),
    path(
        "path-assignments/<int:assignment_id>/remove/",
        paths.remove_path_assignment_page,
        name="remove_path_assignment",
    ),
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

# Learning paths, in the "paths" namespace under /paths/ (config/urls.py): a path's page,
# a path certificate's page and PDF, and their public check (paths.views).
path_patterns = [
    path("certificates/<str:code>/", paths.path_certificate_page, name="certificate"),
    path("certificates/<str:code>/pdf/", paths.path_certificate_download, name="certificate_pdf"),
    path("verify/<str:code>/", verify_path_certificate, name="verify"),
    path("<slug:path_slug>/", paths.path_detail, name="detail"),
]
