"""The person's own account pages; sign-in and passwords are Django's views (urls.py)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.forms import ProfileForm, ResetPasswordForm
from accounts.language import SESSION_KEY, choose_language, remember_language_cookie
from accounts.services import AccountError, update_profile
from accounts.sso import local_passwords_allowed
from accounts.throttling import unlock
from common.http import bad_request
from common.language import supported


@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    profile = getattr(user, "profile", None)
    initial = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "language": supported(getattr(profile, "language", None)) or "",
    }
    form = ProfileForm(request.POST if request.method == "POST" else None, initial=initial)
    if form.is_valid():
        details = dict(form.cleaned_data)
        language = details.pop("language")
        try:
            update_profile(user, **details)
        except AccountError as exc:
            form.add_error("email", str(exc))
        else:
            language = choose_language(request, language)
            messages.success(request, _("Your profile is saved."))
            response = redirect("accounts:profile")
            remember_language_cookie(response, language)
            return response
    return render(request, "accounts/profile.html", {"form": form})


@login_not_required
@require_http_methods(["GET", "HEAD", "POST"])
def set_language(request: HttpRequest) -> HttpResponse:
    """The language switcher at the foot of every page (a form: works without
    JavaScript). Signed in, it is the same choice as on the profile page. A GET
    (a bookmark, a login's ``next=``) changes nothing and goes home, never a 405."""
    if request.method != "POST":
        return redirect("courses:home")
    code = request.POST.get("language", "")
    if code and not supported(code):
        return bad_request(request, _("That language is not offered here."))
    language = choose_language(request, code)
    target = request.POST.get("next", "")
    if not target.startswith("/") or not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = HttpResponseRedirect(target)
    remember_language_cookie(response, language)
    return response


class LogoutView(auth_views.LogoutView):
    """Django's, and the page after it (the login page) says so: "You have logged
    out.", in the language the person was reading. The message goes in a cookie (the
    session it would live in is gone), and so does their own choice of language, so
    the login page speaks it too (a choice made on the profile page or by an admin
    was in the session only)."""

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        was_signed_in = request.user.is_authenticated
        chosen = supported(request.session.get(SESSION_KEY))
        response = super().post(request, *args, **kwargs)
        if was_signed_in:
            messages.success(request, _("You have logged out."))
            if chosen:
                remember_language_cookie(response, chosen)
        return response


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
    person's failed logins and locks, and signs them in, so the lockout page's
    "reset it by email" really lets them in at once, even from an address that is
    locked (the link proves they hold the account's mailbox; no password check, so
    no throttle, is involved). While single sign-on is on with local passwords off,
    it sets the password but signs in superusers only: the others sign in through
    the provider."""

    post_reset_login_backend = "accounts.backends.UsernameOrEmailBackend"

    def form_valid(self, form):
        self.post_reset_login = local_passwords_allowed() or form.user.is_superuser
        response = super().form_valid(form)
        unlock(form.user)
        if self.post_reset_login:
            messages.success(self.request, _("Your new password is saved and you are signed in."))
            return redirect(settings.LOGIN_REDIRECT_URL)
        return response
