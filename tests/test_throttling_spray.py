"""Login throttling across names and across addresses (issue 21): one address trying
one password against many names (password spraying), and many addresses trying one
name, are slowed down and then locked; a locked name still signs in by the emailed
password link and by single sign-on; the admin sees every lock and lifts each.

Time moves by patched clocks (axes' and accounts.throttling's), never by sleeping.
"""

import re
from datetime import timedelta
from unittest import mock
from urllib.parse import urlsplit

import pytest
from allauth.core.context import request_context
from allauth.socialaccount.internal.flows.login import complete_login
from allauth.socialaccount.models import SocialAccount, SocialLogin
from axes.models import AccessAttempt
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.sso import PROVIDER_ID
from config.settings import oidc_providers
from tests.conftest import PASSWORD
from tests.factories import make_user
from tests.test_production import settings_with

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a brand new passphrase 7"
HOME = "127.0.0.1"  # the test client's REMOTE_ADDR


def page_text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def log_in(client, username: str, password: str = PASSWORD, address: str = HOME, url=None):
    return client.post(
        url or reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )


def signed_in_as(client):
    user = client.get(reverse("accounts:profile")).wsgi_request.user
    return user.get_username() if user.is_authenticated else None


class Clock:
    """Moves the clocks of axes and of accounts.throttling together."""

    def __init__(self):
        self.start = timezone.now()
        self.offset = timedelta()

    def now(self):
        return self.start + self.offset

    def advance(self, **delta) -> None:
        self.offset += timedelta(**delta)


@pytest.fixture
def clock():
    clock = Clock()
    with (
        mock.patch("axes.handlers.proxy.now", side_effect=clock.now),
        mock.patch("accounts.throttling.now", side_effect=clock.now),
    ):
        yield clock


def spray(client, names, password="Summer2026!", address=HOME) -> list[int]:
    return [log_in(client, name, password, address).status_code for name in names]


def names(count: int, prefix: str = "user") -> list[str]:
    return [f"{prefix}{n}" for n in range(1, count + 1)]


def addresses(count: int, prefix: str = "198.51.100.") -> list[str]:
    return [f"{prefix}{n}" for n in range(1, count + 1)]


# One address, many names (password spraying) ------------------------------------------------


def test_30_names_from_one_address_slow_down_the_31st_login_even_with_the_right_password(
    client, clock, second_learner, settings
):
    assert spray(client, names(30)) == [200] * 30  # each a wrong password, checked
    response = log_in(client, "bob")  # the right password, for another name
    assert response.status_code == 429
    assert response["Retry-After"] == str(settings.LOGIN_SLOW_SECONDS)
    text = page_text(response)
    assert "Many logins from your network have failed" in text
    assert f"Wait {settings.LOGIN_SLOW_SECONDS} seconds, then try again." in text
    assert signed_in_as(client) is None


def test_a_slowed_address_lets_one_attempt_through_after_the_wait(
    client, clock, second_learner, settings
):
    spray(client, names(30))
    clock.advance(seconds=settings.LOGIN_SLOW_SECONDS - 1)
    assert log_in(client, "bob").status_code == 429
    clock.advance(seconds=1)
    assert log_in(client, "bob").status_code == 302
    assert signed_in_as(client) == "bob"


def test_attempts_refused_while_slowed_are_not_counted_and_do_not_restart_the_wait(
    client, clock, second_learner, settings
):
    spray(client, names(30))
    assert spray(client, names(20, "again")) == [429] * 20  # refused unchecked
    clock.advance(seconds=settings.LOGIN_SLOW_SECONDS)
    assert log_in(client, "bob").status_code == 302
    assert not AccessAttempt.objects.filter(username__startswith="again").exists()


def test_an_address_that_keeps_failing_is_locked_for_the_cool_off(
    client, clock, second_learner, settings
):
    limit = settings.LOGIN_ADDRESS_LOCK_AFTER
    assert spray(client, names(settings.LOGIN_ADDRESS_SLOW_AFTER)) == [200] * 30
    paced = []
    for name in names(limit - settings.LOGIN_ADDRESS_SLOW_AFTER, "paced"):
        clock.advance(seconds=settings.LOGIN_SLOW_SECONDS)  # as slowly as allowed
        paced.append(log_in(client, name, "wrong").status_code)
    assert paced == [200] * (limit - settings.LOGIN_ADDRESS_SLOW_AFTER)
    clock.advance(seconds=settings.LOGIN_SLOW_SECONDS)
    response = log_in(client, "bob")
    assert response.status_code == 429
    text = page_text(response)
    assert f"After {limit} failed logins from your network" in text
    assert f"Try again in {settings.LOGIN_COOLOFF_MINUTES} minutes." in text
    assert int(response["Retry-After"]) == (
        settings.LOGIN_COOLOFF_MINUTES * 60 - settings.LOGIN_SLOW_SECONDS
    )
    # Another address is not affected.
    assert log_in(Client(), "bob", address="203.0.113.5").status_code == 302
    clock.advance(minutes=settings.LOGIN_COOLOFF_MINUTES - 1)
    assert log_in(client, "bob").status_code == 429
    clock.advance(minutes=1)
    assert log_in(client, "bob").status_code == 302


def test_an_office_behind_one_address_is_not_slowed_by_a_few_typos(client, clock, settings):
    people = [make_user(f"clerk{n}", password=PASSWORD) for n in range(20)]
    for person in people:  # everyone mistypes once, then logs in
        assert log_in(Client(), person.username, "typo").status_code == 200
    for person in people:
        assert log_in(Client(), person.username).status_code == 302


def test_addresses_in_one_ipv6_64_count_as_one(client, clock, second_learner):
    network = "2001:db8:7:1::"
    assert spray(Client(), names(30), address=f"{network}1") == [200] * 30
    assert log_in(client, "bob", address=f"{network}beef").status_code == 429
    assert log_in(client, "bob", address="2001:db8:7:2::1").status_code == 302


def test_the_admin_login_counts_and_refuses_the_same(client, clock, admin_user):
    spray(client, names(30))
    response = log_in(client, "ada", url=reverse("admin:login"))
    assert response.status_code == 429
    assert "Many logins from your network have failed" in page_text(response)


# One name, many addresses --------------------------------------------------------------


def test_30_addresses_trying_one_name_lock_it_for_the_31st_login_from_anywhere(
    client, clock, learner, second_learner, settings
):
    slow, lock = settings.LOGIN_NAME_SLOW_AFTER, settings.LOGIN_NAME_LOCK_AFTER
    statuses = [
        log_in(Client(), "alice", "wrong", address).status_code for address in addresses(lock)
    ]
    # After 10 failures the name is slowed: at most one checked attempt per wait.
    assert statuses == [200] * slow + [429] * (lock - slow)
    for address in addresses(lock - slow, "198.51.101."):
        clock.advance(seconds=settings.LOGIN_SLOW_SECONDS)
        assert log_in(Client(), "alice", "wrong", address).status_code == 200
    # 30 failures from 30 addresses: the name is locked, even with the right password.
    clock.advance(seconds=settings.LOGIN_SLOW_SECONDS)
    response = log_in(client, "alice", address="203.0.113.77")
    assert response.status_code == 429
    text = page_text(response)
    assert f"After {lock} failed logins as alice from several places" in text
    assert "Reset it by email" in text
    assert signed_in_as(client) is None
    # Other people, from the same addresses, are not affected.
    assert log_in(Client(), "bob", address="198.51.100.1").status_code == 302
    clock.advance(minutes=settings.LOGIN_COOLOFF_MINUTES)
    assert log_in(client, "alice", address="203.0.113.77").status_code == 302


def test_a_slowed_name_says_so(client, clock, learner, settings):
    for address in addresses(settings.LOGIN_NAME_SLOW_AFTER):
        log_in(Client(), "alice", "wrong", address)
    response = log_in(client, "alice", address="203.0.113.77")
    assert response.status_code == 429
    text = page_text(response)
    assert "Many logins as alice have failed" in text
    assert f"Wait {settings.LOGIN_SLOW_SECONDS} seconds, then try again." in text


def test_one_address_alone_cannot_lock_a_name_for_everyone(client, clock, learner, settings):
    """The name + address lockout stops an address after 5 failures; attempts it refuses
    are not checked, so one address never adds more than 5 to a name's count."""
    for _ in range(60):
        log_in(client, "alice", "wrong", "198.51.100.9")
        clock.advance(seconds=settings.LOGIN_SLOW_SECONDS)
    assert log_in(Client(), "alice", address="203.0.113.77").status_code == 302


def lock_alice(clock, settings) -> None:
    for n, address in enumerate(addresses(settings.LOGIN_NAME_LOCK_AFTER)):
        if n >= settings.LOGIN_NAME_SLOW_AFTER:
            clock.advance(seconds=settings.LOGIN_SLOW_SECONDS)
        assert log_in(Client(), "alice", "wrong", address).status_code == 200
    assert log_in(Client(), "alice", address="203.0.113.77").status_code == 429


def reset_link(email) -> str:
    match = re.search(r"https?://\S+/accounts/reset/\S+/", email.body)
    assert match, email.body
    return urlsplit(match.group(0)).path


def test_a_locked_name_signs_in_at_once_by_the_emailed_link(
    client, clock, learner, settings, mailoutbox
):
    lock_alice(clock, settings)
    client.post(reverse("password_reset"), {"email": "alice@example.com"})
    form_url = client.get(reset_link(mailoutbox[0]))["Location"]
    response = client.post(
        form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, follow=True
    )
    assert signed_in_as(client) == "alice"
    assert "Your new password is saved and you are signed in." in page_text(response)
    client.logout()
    assert log_in(client, "alice", NEW_PASSWORD, "203.0.113.77").status_code == 302


def test_the_emailed_link_signs_in_even_from_a_locked_address(
    client, clock, learner, settings, mailoutbox
):
    for n, name in enumerate(names(settings.LOGIN_ADDRESS_LOCK_AFTER)):
        if n >= settings.LOGIN_ADDRESS_SLOW_AFTER:
            clock.advance(seconds=settings.LOGIN_SLOW_SECONDS)
        log_in(Client(), name, "wrong")
    assert log_in(client, "alice").status_code == 429
    client.post(reverse("password_reset"), {"email": "alice@example.com"})
    form_url = client.get(reset_link(mailoutbox[0]))["Location"]
    client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert signed_in_as(client) == "alice"


def test_with_local_passwords_off_the_link_sets_the_password_but_does_not_sign_in(
    client, clock, learner, settings, mailoutbox
):
    settings.SOCIALACCOUNT_PROVIDERS = oidc_providers(
        "http://127.0.0.1:9", "course-player", "secret", "Acme ID", ["openid", "email"]
    )
    settings.SSO_LOCAL_PASSWORDS = False
    client.post(reverse("password_reset"), {"email": "alice@example.com"})
    form_url = client.get(reset_link(mailoutbox[0]))["Location"]
    response = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response["Location"] == reverse("password_reset_complete")
    assert signed_in_as(client) is None


def test_with_single_sign_on_on_the_page_points_to_it(client, clock, learner, settings):
    settings.SOCIALACCOUNT_PROVIDERS = oidc_providers(
        "http://127.0.0.1:9", "course-player", "secret", "Acme ID", ["openid", "email"]
    )
    lock_alice(clock, settings)
    text = page_text(log_in(client, "alice", address="203.0.113.77"))
    assert "Signing in with Acme ID works as usual: this pause is for passwords only." in text


def test_a_locked_name_still_signs_in_by_single_sign_on(clock, learner, settings, rf):
    settings.SOCIALACCOUNT_PROVIDERS = oidc_providers(
        "http://127.0.0.1:9", "course-player", "secret", "Acme ID", ["openid", "email"]
    )
    lock_alice(clock, settings)
    # allauth's own login step after the provider's answer was verified (the whole
    # protocol against a real provider is in tests/browser/test_sso.py).
    SocialAccount.objects.create(user=learner, provider=PROVIDER_ID, uid="sub-alice")
    account = SocialAccount(
        provider=PROVIDER_ID, uid="sub-alice", extra_data={"id_token": {"sub": "sub-alice"}}
    )
    sociallogin = SocialLogin(account=account)
    sociallogin.state = {"process": "login"}
    request = rf.get("/accounts/oidc/sso/login/callback/", REMOTE_ADDR="203.0.113.77")
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    request.user = AnonymousUser()
    with request_context(request):  # as allauth's middleware does
        response = complete_login(request, sociallogin)
    assert response.status_code == 302
    assert request.user == learner and request.session["_auth_user_id"] == str(learner.pk)


# The admin: see every lock and slow-down, and lift each -------------------------------------

SIGN_IN_URL = "/admin/auth/user/sign-in/"


def admin_client(user) -> Client:
    other = Client()
    other.force_login(user)
    return other


def test_the_sign_in_page_url():
    assert reverse("admin:auth_user_sign_in") == SIGN_IN_URL


def test_the_admin_sees_and_lifts_an_address_lock(
    client, clock, admin_user, second_learner, settings
):
    for n, name in enumerate(names(settings.LOGIN_ADDRESS_LOCK_AFTER)):
        if n >= settings.LOGIN_ADDRESS_SLOW_AFTER:
            clock.advance(seconds=settings.LOGIN_SLOW_SECONDS)
        log_in(client, name, "wrong", "198.51.100.66")
    assert log_in(client, "bob", address="198.51.100.66").status_code == 429
    admin = admin_client(admin_user)
    page = admin.get(SIGN_IN_URL)
    assert page.status_code == 200
    text = page_text(page)
    assert "198.51.100.66" in text and "locked" in text
    response = admin.post(SIGN_IN_URL, {"rule": "address", "key": "198.51.100.66"}, follow=True)
    assert "Lifted: address 198.51.100.66" in page_text(response)
    assert "198.51.100.66" not in page_text(admin.get(SIGN_IN_URL))
    assert log_in(client, "bob", address="198.51.100.66").status_code == 302


def test_the_admin_sees_and_lifts_a_name_lock(client, clock, admin_user, learner, settings):
    lock_alice(clock, settings)
    admin = admin_client(admin_user)
    text = page_text(admin.get(SIGN_IN_URL))
    assert "alice" in text and "locked" in text
    response = admin.post(SIGN_IN_URL, {"rule": "name", "key": "alice"}, follow=True)
    assert "Lifted: login name alice" in page_text(response)
    assert log_in(client, "alice", address="203.0.113.77").status_code == 302


def test_the_admin_sees_and_lifts_a_slowed_address(client, clock, admin_user, second_learner):
    spray(client, names(30))
    admin = admin_client(admin_user)
    assert "slowed" in page_text(admin.get(SIGN_IN_URL))
    admin.post(SIGN_IN_URL, {"rule": "address", "key": HOME})
    assert log_in(client, "bob").status_code == 302


def test_the_admin_sees_and_lifts_a_name_and_address_lockout(client, clock, admin_user, learner):
    for _ in range(5):
        log_in(client, "alice", "wrong", "198.51.100.3")
    assert log_in(client, "alice", address="198.51.100.3").status_code == 429
    admin = admin_client(admin_user)
    text = page_text(admin.get(SIGN_IN_URL))
    assert "alice" in text and "198.51.100.3" in text
    admin.post(SIGN_IN_URL, {"rule": "pair", "key": "alice", "address": "198.51.100.3"})
    assert log_in(client, "alice", address="198.51.100.3").status_code == 302


def test_the_users_list_links_to_the_sign_in_page_and_filters_locked_names(
    clock, admin_user, learner, settings
):
    lock_alice(clock, settings)
    admin = admin_client(admin_user)
    changelist = admin.get(reverse("admin:auth_user_changelist")).content.decode()
    assert f'href="{SIGN_IN_URL}"' in changelist
    listed = admin.get(reverse("admin:auth_user_changelist") + "?sign_in=locked_out")
    assert ">alice</a>" in listed.content.decode()
    admin.post(
        reverse("admin:auth_user_changelist"),
        {"action": "unlock_sign_in", "_selected_action": [learner.pk]},
    )
    assert log_in(Client(), "alice", address="203.0.113.77").status_code == 302


def test_the_sign_in_page_is_for_staff_who_may_change_users(
    client, clock, learner, trainer, second_learner
):
    spray(client, names(30))  # the test client's address is slowed down
    editor = make_user("edna", is_staff=True)  # staff, without the permission to change users
    for user, refused in ((learner, 302), (trainer, 302), (editor, 403)):
        other = admin_client(user)
        assert other.get(SIGN_IN_URL).status_code == refused, user
        assert other.post(SIGN_IN_URL, {"rule": "address", "key": HOME}).status_code == refused
    assert log_in(client, "bob").status_code == 429  # still slowed down
    response = client.get(SIGN_IN_URL)
    assert response.status_code == 302 and "login" in response["Location"]


def test_lifting_something_not_locked_says_so(clock, admin_user):
    admin = admin_client(admin_user)
    response = admin.post(SIGN_IN_URL, {"rule": "name", "key": "nobody"}, follow=True)
    assert "Nothing to lift for login name nobody" in page_text(response)
    response = admin.post(SIGN_IN_URL, {"rule": "planet", "key": "mars"})
    assert response.status_code == 400


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"rule": "address"},
        {"rule": "name", "key": "ali\x00ce"},
        {"rule": "name", "key": "x" * 300},
        {"rule": "pair", "key": "alice"},
        {"rule": "pair", "key": "alice", "address": "not-an-address"},
        {"rule": "pair", "key": "alice", "address": "198.51.100.3\x00"},
    ],
    ids=["empty", "no key", "NUL", "too long", "pair without address", "bad address", "NUL ip"],
)
def test_a_malformed_lift_is_a_400_not_a_500(admin_user, data):
    admin = admin_client(admin_user)
    admin.raise_request_exception = False
    response = admin.post(SIGN_IN_URL, data)
    assert response.status_code == 400
    if "\x00" not in "".join(data.values()):  # the site refuses those before the view
        assert "Choose a lock to lift from the list." in page_text(response)


# Settings ------------------------------------------------------------------------------


def test_the_limits_come_from_the_environment_with_safe_defaults():
    names_ = (
        "LOGIN_ADDRESS_SLOW_AFTER",
        "LOGIN_ADDRESS_LOCK_AFTER",
        "LOGIN_NAME_SLOW_AFTER",
        "LOGIN_NAME_LOCK_AFTER",
        "LOGIN_SLOW_SECONDS",
    )
    assert settings_with({}, *names_) == dict(zip(names_, (30, 100, 10, 30, 10), strict=True))
    env = {
        "DJANGO_LOGIN_ADDRESS_SLOW_AFTER": "60",
        "DJANGO_LOGIN_ADDRESS_LOCK_AFTER": "300",
        "DJANGO_LOGIN_NAME_SLOW_AFTER": "8",
        "DJANGO_LOGIN_NAME_LOCK_AFTER": "20",
        "DJANGO_LOGIN_SLOW_SECONDS": "5",
    }
    assert settings_with(env, *names_) == dict(zip(names_, (60, 300, 8, 20, 5), strict=True))
