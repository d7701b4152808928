"""Single sign-on with OpenID Connect, through django-allauth.

allauth runs the protocol (discovery, the redirect with a single-use `state` and PKCE,
the code exchange, the ID token's checks); this module decides who a sign-in is:

- A known identity (allauth's SocialAccount, by the ID token's `sub`) is the same
  account every time; its name and email are refreshed from the claims.
- A new identity becomes a new account made from the claims, or, when its email is
  verified by the provider and belongs to exactly one existing account (not a
  superuser's, not linked yet), that account. An existing account is never taken
  over by an unverified email: that sign-in is refused instead.
- With a groups claim configured, a group named exactly as a team makes the person
  a member; a membership this module added goes when the group leaves the claim.

Refusals raise SSOError; the adapter turns it into a message on the login page.
The settings come from the environment (config/settings.py, "Single sign-on").
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable

import requests
from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.internal import jwtkit
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialLogin
from allauth.socialaccount.providers.base import AuthError, AuthProcess
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView
from allauth.socialaccount.providers.openid_connect import views as oidc_views
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from training.models import Team

logger = logging.getLogger(__name__)
User = get_user_model()

PROVIDER_ID = "sso"  # config/settings.py's oidc_providers(); allauth's SocialAccount.provider
# In SocialAccount.extra_data, beside allauth's copy of the ID token: the ids of the
# teams this module made the person a member of (the only ones it may take away).
GRANTED_TEAMS = "course_player_granted_teams"
_USERNAME_MAX = User._meta.get_field("username").max_length
_NAME_MAX = User._meta.get_field("first_name").max_length
_EMAIL_MAX = User._meta.get_field("email").max_length
_NOT_IN_USERNAME = re.compile(r"[^\w.@+-]+")  # Django's username validator's complement


class SSOError(Exception):
    """A sign-in this site refuses; the message is for the person signing in."""


# Settings --------------------------------------------------------------------


def sso_app() -> dict | None:
    """The configured provider (allauth's app settings), or None when SSO is off."""
    apps = settings.SOCIALACCOUNT_PROVIDERS.get("openid_connect", {}).get("APPS") or []
    return apps[0] if apps else None


def local_passwords_allowed() -> bool:
    """Whether people other than superusers may log in with a password. Always while
    SSO is off: the site must stay usable."""
    return settings.SSO_LOCAL_PASSWORDS or sso_app() is None


def sso_context(request: HttpRequest) -> dict:
    """Context processor: what the login page needs to offer SSO (no queries)."""
    app = sso_app()
    if app is None:
        return {"sso": None}
    return {
        "sso": {
            "name": app["name"],
            "provider_id": app["provider_id"],
            "local_passwords": local_passwords_allowed(),
        }
    }


# Claims -> account (plain functions) ----------------------------------------------


def id_token_claims(sociallogin: SocialLogin) -> dict:
    """The ID token's claims allauth verified (settings ask for no userinfo call)."""
    data = sociallogin.account.extra_data
    return data.get("id_token") or data.get("userinfo") or {}


def email_from_claims(claims: dict) -> str:
    """The `email` claim if it is a valid address, else ""."""
    email = claims.get("email")
    if not isinstance(email, str):
        return ""
    email = email.strip()
    try:
        validate_email(email)
    except ValidationError:
        return ""
    return email if len(email) <= _EMAIL_MAX else ""


def email_is_verified(claims: dict) -> bool:
    """`email_verified` is a boolean by the spec; some providers send the string "true"."""
    verified = claims.get("email_verified")
    return verified is True or (isinstance(verified, str) and verified.lower() == "true")


def names_from_claims(claims: dict) -> tuple[str, str]:
    """(first, last): `given_name`/`family_name`, else `name` split at its first space."""
    given, family = claims.get("given_name"), claims.get("family_name")
    if isinstance(given, str) and given.strip() or isinstance(family, str) and family.strip():
        first = given.strip() if isinstance(given, str) else ""
        last = family.strip() if isinstance(family, str) else ""
    else:
        name = claims.get("name")
        first, _, last = (name.strip() if isinstance(name, str) else "").partition(" ")
    return first[:_NAME_MAX], last.strip()[:_NAME_MAX]


def _username_base(claims: dict) -> str:
    for value in (claims.get("preferred_username"), claims.get("email"), claims.get("sub")):
        if isinstance(value, str):
            cleaned = _NOT_IN_USERNAME.sub("-", unicodedata.normalize("NFKC", value)).strip("-")
            if cleaned:
                return cleaned[: _USERNAME_MAX - 8]  # room for "-<number>"
    return "user"


def username_from_claims(claims: dict) -> str:
    """A new username: `preferred_username`, else the email, else `sub`, made valid
    for Django, and unique ignoring case ("alice-2" when "Alice" is taken)."""
    base = _username_base(claims)
    taken = {
        name.lower()
        for name in User.objects.filter(username__istartswith=base).values_list(
            "username", flat=True
        )
    }
    candidate, number = base, 1
    while candidate.lower() in taken:
        number += 1
        candidate = f"{base}-{number}"
    return candidate


def user_for_new_identity(claims: dict):
    """The account for an identity signing in for the first time: an existing one
    with the same verified email, or a new one made from the claims."""
    email = email_from_claims(claims)
    same_email = list(User.objects.filter(email__iexact=email)[:2]) if email else []
    if not same_email:
        first_name, last_name = names_from_claims(claims)
        user = User(
            username=username_from_claims(claims),
            email=email,
            first_name=first_name,
            last_name=last_name,
        )
        user.set_unusable_password()  # SSO only; an administrator may set one later
        user.save()
        return user
    ask = _("Ask an administrator to connect it to your company sign-in.")
    if not email_is_verified(claims):
        raise SSOError(
            _("An account with the email address %(email)s already exists.") % {"email": email}
            + " "
            + ask
        )
    if len(same_email) > 1:
        raise SSOError(
            _("Several accounts have the email address %(email)s.") % {"email": email} + " " + ask
        )
    user = same_email[0]
    if user.is_superuser:
        raise SSOError(
            _("The account with the email address %(email)s signs in with a password.")
            % {"email": email}
        )
    if SocialAccount.objects.filter(user=user, provider=PROVIDER_ID).exists():
        raise SSOError(
            _(
                "The account with the email address %(email)s is connected to another "
                "company sign-in."
            )
            % {"email": email}
            + " "
            + ask
        )
    return user


def update_user_from_claims(user, claims: dict) -> None:
    """Refresh the name and email from the claims. A claim that is missing or empty
    leaves the field alone, and so does an email another account already has."""
    first_name, last_name = names_from_claims(claims)
    changed = {
        field: value
        for field, value in (("first_name", first_name), ("last_name", last_name))
        if value
    }
    email = email_from_claims(claims)
    if email and email != user.email:
        if User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
            logger.warning("SSO: kept %s's email; %s belongs to another account", user, email)
        else:
            changed["email"] = email
    changed = {field: value for field, value in changed.items() if getattr(user, field) != value}
    if changed:
        for field, value in changed.items():
            setattr(user, field, value)
        user.save(update_fields=list(changed))


def group_names(claims: dict, claim: str) -> set[str] | None:
    """The group names in the claim, or None when the token does not carry the claim
    (then memberships are left alone: a provider may leave out a long list)."""
    if not claim or claim not in claims:
        return None
    value = claims[claim]
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        return None
    return {name for name in value if isinstance(name, str)}


def sync_teams(user, groups: set[str] | None, granted: Iterable[int]) -> list[int]:
    """Make the person a member of every team named in `groups`, and take away the
    memberships in `granted` (the ones an earlier sign-in added) whose team is no
    longer named. Memberships added by hand or by provisioning are never removed.
    Returns the new `granted`: the named teams this sign-in made or kept them a
    member of, except those they belonged to already before SSO named them."""
    granted = set(granted)
    if groups is None:
        return sorted(granted)
    named = set(Team.objects.filter(name__in=groups).values_list("id", flat=True))
    member_of = set(user.teams.values_list("id", flat=True))
    to_add = named - member_of
    to_remove = (granted - named) & member_of
    if to_add:
        user.teams.add(*to_add)
    if to_remove:
        user.teams.remove(*to_remove)
    return sorted((granted & named) | to_add)


def keep_granted_teams(sender, instance: SocialAccount, **kwargs) -> None:
    """pre_save of SocialAccount: allauth replaces extra_data with the new token at each
    sign-in; carry our record of granted teams over from the stored row."""
    if instance.pk is None or GRANTED_TEAMS in (instance.extra_data or {}):
        return
    stored = SocialAccount.objects.filter(pk=instance.pk).values_list("extra_data", flat=True)
    previous = (stored.first() or {}).get(GRANTED_TEAMS)
    if previous is not None:
        instance.extra_data = {**(instance.extra_data or {}), GRANTED_TEAMS: previous}


def sign_in(request: HttpRequest, sociallogin: SocialLogin) -> None:
    """Decide the account for a verified sign-in, before allauth logs it in."""
    if sociallogin.state.get("process", AuthProcess.LOGIN) != AuthProcess.LOGIN:
        raise SSOError(_("Only signing in is supported."))  # no "connect" to the current account
    claims = id_token_claims(sociallogin)
    with transaction.atomic():
        if sociallogin.is_existing:
            user = sociallogin.user
        else:
            user = user_for_new_identity(claims)
            sociallogin.connect(request, user)  # stores the SocialAccount (the `sub`)
        if not user.is_active:
            raise SSOError(_("This account is deactivated. Ask an administrator."))
        update_user_from_claims(user, claims)
        account = sociallogin.account
        previously = account.extra_data.get(GRANTED_TEAMS, [])
        groups = group_names(claims, settings.SSO_GROUPS_CLAIM)
        granted = sync_teams(user, groups, previously)
        if granted != previously or GRANTED_TEAMS not in account.extra_data:
            account.extra_data = {**account.extra_data, GRANTED_TEAMS: granted}
            account.save(update_fields=["extra_data"])


# allauth glue ------------------------------------------------------------------------


def _refuse(request: HttpRequest, message: str) -> ImmediateHttpResponse:
    messages.error(request, message)
    return ImmediateHttpResponse(redirect(settings.LOGIN_URL))


class AccountAdapter(DefaultAccountAdapter):
    """allauth's accounts side: nobody signs up on their own (people arrive by SSO or
    provisioning), and allauth adds no "Signed in as" messages of its own."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def add_message(self, *args, **kwargs) -> None:
        return None


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """allauth's SSO side: sign_in() decides the account; any failure goes back to the
    login page with a message (never allauth's own pages, which this site does not use)."""

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        try:
            sign_in(request, sociallogin)
        except SSOError as error:
            logger.warning("SSO sign-in refused for sub %s: %s", sociallogin.account.uid, error)
            raise _refuse(request, str(error)) from error
        except IntegrityError as error:
            # Two first sign-ins at once (a double click, or two people given the same
            # username): the database let one through; the other can simply try again.
            logger.warning("SSO sign-in raced for sub %s: %s", sociallogin.account.uid, error)
            raise _refuse(request, _("Signing in did not finish. Please try again.")) from error

    def on_authentication_error(
        self, request, provider, error=None, exception=None, extra_context=None
    ) -> None:
        logger.warning("SSO sign-in failed: %s %r", error, exception)
        if error == AuthError.CANCELLED:
            raise _refuse(request, _("Sign-in was cancelled."))
        raise _refuse(
            request,
            _("Sign-in with %(provider)s did not work. Please try again.")
            % {"provider": provider.name},
        )

    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return False  # sign_in() has made or found the account before allauth would ask


class SignedIDTokenAdapter(oidc_views.OpenIDConnectOAuth2Adapter):
    """allauth's OIDC adapter, checking the ID token's signature even when the token
    comes straight from the token endpoint. allauth skips it there (OIDC Core 3.1.3.7
    allows that over TLS); checking costs one request for the provider's keys and
    refuses a token altered on the way."""

    def _decode_id_token(self, app: SocialApp, id_token: str) -> dict:
        return jwtkit.verify_and_decode(
            credential=id_token,
            keys_url=self.openid_config["jwks_uri"],
            issuer=self.openid_config["issuer"],
            audience=app.client_id,
            lookup_kid=jwtkit.lookup_kid_jwk,
            verify_signature=True,
        )


class LocalPasswordGate:
    """First in AUTHENTICATION_BACKENDS. With local passwords off, a password login
    is refused (PermissionDenied stops Django's authenticate(); axes counts it as a
    failure) unless the login names a superuser. Logs nobody in itself, and has no
    get_user(), so allauth never picks it to log someone in."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if password is None or local_passwords_allowed():
            return None
        from accounts.backends import find_account  # the same lookup as the real backend

        user = find_account(username or kwargs.get(User.USERNAME_FIELD) or "")
        if user is not None and user.is_superuser:
            return None
        raise PermissionDenied("Password logins are off; use single sign-on.")


# Views ---------------------------------------------------------------------------------


@login_not_required
def start_sign_in(request: HttpRequest, provider_id: str) -> HttpResponse:
    """The login page's button: a POST (with its CSRF token, so no other site can start
    a sign-in in someone's browser) that redirects to the provider."""
    if sso_app() is None:
        raise Http404("Single sign-on is off.")
    if request.method != "POST":
        return redirect(settings.LOGIN_URL)
    try:
        return oidc_views.login(request, provider_id)
    except requests.RequestException:
        logger.exception("SSO: the provider's configuration could not be fetched")
        messages.error(request, _("The sign-in service did not answer. Please try again later."))
        return redirect(settings.LOGIN_URL)


@login_not_required
def callback(request: HttpRequest, provider_id: str) -> HttpResponse:
    """Where the provider sends the browser back (allauth's callback, with our adapter)."""
    try:
        view = OAuth2CallbackView.adapter_view(SignedIDTokenAdapter(request, provider_id))
        return view(request)
    except SocialApp.DoesNotExist as error:
        raise Http404("Single sign-on is off.") from error
