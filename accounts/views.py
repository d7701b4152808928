"""The person's own account pages; sign-in and passwords are Django's views (urls.py)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.forms import ProfileForm, ResetPasswordForm
from accounts.services import AccountError, update_profile
from accounts.throttling import unlock


@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    initial = {"first_name": user.first_name, "last_name": user.last_name, "email": user.email}
    form = ProfileForm(request.POST if request.method == "POST" else None, initial=initial)
    if form.is_valid():
        try:
            update_profile(user, **form.cleaned_data)
        except AccountError as exc:
            form.add_error("email", str(exc))
        else:
            messages.success(request, "Your profile is saved.")
            return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form})


class ResetPasswordView(auth_views.PasswordResetView):
    """Django's, for invited people too (ResetPasswordForm); the link in the email
    starts with SITE_URL, as every other email's, not with the request's Host."""

    form_class = ResetPasswordForm

    @property
    def extra_email_context(self) -> dict:
        return {
            "site_url": settings.SITE_URL,
            "timeout_days": settings.PASSWORD_RESET_TIMEOUT // (24 * 60 * 60),
        }


class ResetPasswordConfirmView(auth_views.PasswordResetConfirmView):
    """Django's; choosing a password through the emailed link also clears the
    person's failed logins, so the lockout page's "reset it by email" really lets
    them in at once (the link proves they hold the account's mailbox)."""

    def form_valid(self, form):
        response = super().form_valid(form)
        unlock(form.user)
        return response
