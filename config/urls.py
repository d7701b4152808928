"""The site's URLs: each app's own, put in order. config imports only the apps' URL
modules (import-linter's contract in pyproject.toml)."""

from django.contrib import admin
from django.urls import include, path

from accounts import urls as accounts_urls
from audit import urls as audit_urls
from config.health import healthz
from courses import urls as courses_urls
from lessons import urls as lessons_urls
from progress import urls as progress_urls
from quizzes import urls as quizzes_urls
from training import urls as training_urls

urlpatterns = [
    # Production (config/health.py): for load balancers; no login, no session.
    path("healthz", healthz, name="healthz"),
    # Accounts (accounts/urls.py): login, logout, password reset and change under
    # Django's own URL names, and the profile page (accounts:profile).
    path("accounts/", include(accounts_urls.auth_patterns)),
    path("accounts/", include((accounts_urls.profile_patterns, "accounts"))),
    # Single sign-on (accounts/sso.py): only allauth's two OpenID Connect views, under
    # allauth's names; none of its account pages (signup, its own login, email management).
    path("accounts/oidc/", include(accounts_urls.sso_patterns)),
    # Before the admin's own: shadows admin:view_on_site (courses/urls.py).
    path("admin/", include(courses_urls.admin_patterns)),
    path("admin/", admin.site.urls),
    # Previews, search, certificates and their public check, under names of their own.
    path("", include(progress_urls.preview_patterns)),
    path("", include(lessons_urls.site_patterns)),
    path("", include(training_urls.certificate_patterns)),
    # Trainers (training/urls.py): the dashboard, exports, assignments, analytics.
    path("trainer/", include("training.urls")),
    # Compliance (compliance/urls.py): the matrix, its exports, exemptions.
    path("trainer/compliance/", include("compliance.urls")),
    # Learning paths (training/urls.py): a path's page, its certificates and their check.
    path("paths/", include((training_urls.path_patterns, "paths"))),
    # A learner's training record, page and PDF (audit/urls.py).
    path("records/", include(audit_urls)),
    # The player (progress/urls.py): the lesson page and Mark complete.
    path(
        "courses/<slug:course_slug>/lessons/", include((progress_urls.lesson_patterns, "lessons"))
    ),
    # Quizzes: the quiz page and a result (progress), autosave and My results (quizzes).
    path("", include((progress_urls.quiz_patterns + quizzes_urls.urlpatterns, "quizzes"))),
    # The learner's courses: one namespace served by three apps (progress, courses, training).
    path(
        "",
        include(
            (
                progress_urls.course_patterns
                + courses_urls.urlpatterns
                + training_urls.course_patterns,
                "courses",
            )
        ),
    ),
]
