"""Sign-in, passwords (Django's views and URL names) and the profile page."""

from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import sso, views
from accounts.forms import LoginForm

# Not namespaced: Django's views and templates reverse these names as they are.
auth_patterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True, authentication_form=LoginForm
        ),
        name="login",
    ),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("password_change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("password_reset/", views.ResetPasswordView.as_view(), name="password_reset"),
    path(
        "password_reset/done/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        views.ResetPasswordConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]

# accounts:...
profile_patterns = [
    path("profile/", views.profile, name="profile"),
    path("language/", views.set_language, name="language"),
]

# Single sign-on, under allauth's names (mounted at accounts/oidc/).
sso_patterns = [
    path("<str:provider_id>/login/", sso.start_sign_in, name="openid_connect_login"),
    path("<str:provider_id>/login/callback/", sso.callback, name="openid_connect_callback"),
]
