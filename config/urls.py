from django.contrib import admin
from django.urls import include, path

from accounts import sso
from accounts import urls as accounts_urls
from config.health import healthz
from courses import views as course_views
from courses.admin_tools import view_on_site
from lessons import views as lesson_views

urlpatterns = [
    # Production (config/health.py): for load balancers; no login, no session.
    path("healthz", healthz, name="healthz"),
    # Accounts (accounts/urls.py): login, logout, password reset and change under
    # Django's own URL names, and the profile page (accounts:profile).
    path("accounts/", include(accounts_urls.auth_patterns)),
    path("accounts/", include((accounts_urls.profile_patterns, "accounts"))),
    # Single sign-on (accounts/sso.py): only allauth's two OpenID Connect views, under
    # allauth's names; none of its account pages (signup, its own login, email management).
    path("accounts/oidc/<str:provider_id>/login/", sso.start_sign_in, name="openid_connect_login"),
    path(
        "accounts/oidc/<str:provider_id>/login/callback/",
        sso.callback,
        name="openid_connect_callback",
    ),
    # Shadows admin:view_on_site (same path, matched first): Django's own redirect
    # checks staff status only.
    path("admin/r/<int:content_type_id>/<path:object_id>/", admin.site.admin_view(view_on_site)),
    path("admin/", admin.site.urls),
    path("preview/lessons/<int:lesson_id>/", lesson_views.preview_lesson, name="preview_lesson"),
    path("preview/courses/<int:course_id>/", course_views.preview_course, name="preview_course"),
    path("search/", lesson_views.search, name="search"),
    path("certificates/<str:code>/", lesson_views.certificate_page, name="certificate"),
    path("certificates/<str:code>/pdf/", lesson_views.certificate_download, name="certificate_pdf"),
    # Public (no login): the form alone, or the answer for one code.
    path("verify/", lesson_views.verify_certificate, name="verify_certificate"),
    path("verify/<str:code>/", lesson_views.verify_certificate, name="verify_certificate"),
    # Trainers (training/urls.py): the dashboard, exports, assignments, analytics.
    path("trainer/", include("training.urls")),
    path("courses/<slug:course_slug>/lessons/", include("lessons.urls")),
    path("", include("quizzes.urls")),
    path("", include("courses.urls")),
]
