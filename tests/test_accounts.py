"""Accounts (issue 10): logging in by username or email, password reset and change,
the profile page, and login throttling with django-axes (on, as in production)."""

import re
from datetime import timedelta
from unittest import mock
from urllib.parse import urlsplit

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts.backends import find_account
from accounts.models import Invitation
from accounts.throttling import client_ip, login_identifier
from tests.conftest import PASSWORD
from tests.factories import make_user

pytestmark = pytest.mark.django_db

User = get_user_model()
NEW_PASSWORD = "a brand new passphrase 7"


def page_text(response) -> str:
    return " ".join(response.content.decode().split())


def log_in(client, username: str, password: str = PASSWORD, url: str | None = None, **extra):
    return client.post(
        url or reverse("login"), {"username": username, "password": password}, **extra
    )


def signed_in_as(client):
    user = client.get(reverse("accounts:profile")).wsgi_request.user
    return user.get_username() if user.is_authenticated else None


# Logging in by username or email ----------------------------------------------------


def test_login_by_email_in_any_case(client, learner):
    response = log_in(client, "ALICE@Example.COM")
    assert response.status_code == 302
    assert signed_in_as(client) == "alice"


def test_login_by_username_in_any_case(client, learner):
    assert log_in(client, "  ALICE ").status_code == 302
    assert signed_in_as(client) == "alice"


def test_an_email_shared_by_two_active_accounts_logs_nobody_in(client, learner):
    make_user("alice2", email="ALICE@example.com", password=PASSWORD)
    response = log_in(client, "alice@example.com")
    assert response.status_code == 200
    assert "Please enter a correct username and password" in page_text(response)
    assert signed_in_as(client) is None
    assert log_in(client, "alice2").status_code == 302  # usernames still work
    assert signed_in_as(client) == "alice2"


def test_an_inactive_account_does_not_make_an_email_ambiguous(client, learner):
    make_user("old-alice", email="alice@example.com", password=PASSWORD, is_active=False)
    assert log_in(client, "alice@example.com").status_code == 302
    assert signed_in_as(client) == "alice"


def test_usernames_differing_only_in_case_need_the_exact_spelling(learner):
    capital = make_user("Alice", email="big-alice@example.com")
    assert find_account("alice") == learner
    assert find_account("Alice") == capital
    assert find_account("ALICE") is None


def test_a_wrong_password_by_email_is_refused(client, learner):
    assert log_in(client, "alice@example.com", "wrong").status_code == 200
    assert signed_in_as(client) is None


def test_the_login_page_asks_for_username_or_email_and_links_to_reset(
    client, django_assert_max_num_queries
):
    with django_assert_max_num_queries(0):
        response = client.get(reverse("login"))
    html = response.content.decode()
    assert re.search(r"<label[^>]*>\s*Username or email", html)
    assert f'href="{reverse("password_reset")}"' in html
    assert "Forgot your password?" in html


# Password reset ------------------------------------------------------------------------


def reset_link(email) -> str:
    match = re.search(r"https?://\S+/accounts/reset/\S+/", email.body)
    assert match, email.body
    return match.group(0)


def test_password_reset_end_to_end(client, learner, mailoutbox, settings):
    settings.SITE_URL = "https://learn.example.com"
    response = client.post(reverse("password_reset"), {"email": "ALICE@example.com"})
    assert response["Location"] == reverse("password_reset_done")
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["alice@example.com"]
    assert "Choose a new password" in email.subject
    link = reset_link(email)
    assert link.startswith("https://learn.example.com/accounts/reset/")
    path = link.removeprefix("https://learn.example.com")
    # Django swaps the token for a session and redirects to .../set-password/.
    form_url = client.get(path)["Location"]
    assert "Choose a new password" in page_text(client.get(form_url))
    response = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    # Signed in at once (issue 21: the link gets a locked-out person in), and home.
    assert response["Location"] == reverse("courses:home")
    assert signed_in_as(client) == "alice"
    learner.refresh_from_db()
    assert learner.check_password(NEW_PASSWORD)
    client.logout()
    assert log_in(client, "alice", NEW_PASSWORD).status_code == 302
    client.logout()
    assert "This link no longer works" in page_text(client.get(path, follow=True))


def test_password_reset_for_an_unknown_email_sends_nothing_and_says_the_same(
    client, learner, mailoutbox
):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert response["Location"] == reverse("password_reset_done")
    assert mailoutbox == []


def test_an_invited_person_without_a_password_may_reset_it(client, mailoutbox):
    invited = User.objects.create_user("ivy", email="ivy@example.com")  # no usable password
    Invitation.objects.create(user=invited, sent_at=timezone.now())
    client.post(reverse("password_reset"), {"email": "ivy@example.com"})
    assert [email.to for email in mailoutbox] == [["ivy@example.com"]]


def test_an_account_without_a_password_or_invitation_gets_no_reset_email(client, mailoutbox):
    User.objects.create_user("sso-only", email="sso@example.com")  # e.g. single sign-on
    client.post(reverse("password_reset"), {"email": "sso@example.com"})
    assert mailoutbox == []


def test_the_reset_pages_answer_within_their_query_bounds(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(0):
        assert client.get(reverse("password_reset")).status_code == 200
    with django_assert_max_num_queries(0):
        assert client.get(reverse("password_reset_done")).status_code == 200
    with django_assert_max_num_queries(0):
        assert client.get(reverse("password_reset_complete")).status_code == 200
    with django_assert_max_num_queries(1):
        bad = reverse("password_reset_confirm", args=["MQ", "not-a-token"])
        assert "This link no longer works" in page_text(client.get(bad))


# Password change --------------------------------------------------------------------------


def test_password_change(learner_client, learner, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        assert learner_client.get(reverse("password_change")).status_code == 200
    response = learner_client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response["Location"] == reverse("password_change_done")
    learner.refresh_from_db()
    assert learner.check_password(NEW_PASSWORD)
    assert signed_in_as(learner_client) == "alice"  # still signed in


def test_password_change_needs_the_old_password(learner_client, learner):
    response = learner_client.post(
        reverse("password_change"),
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    assert "Your old password was entered incorrectly" in page_text(response)
    learner.refresh_from_db()
    assert learner.check_password(PASSWORD)


def test_password_change_needs_a_login(client):
    response = client.get(reverse("password_change"))
    assert response["Location"].startswith(reverse("login"))


# Profile -------------------------------------------------------------------------------------


def test_the_profile_page_shows_the_account(learner_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        response = learner_client.get(reverse("accounts:profile"))
    text = page_text(response)
    assert "alice" in text and 'value="alice@example.com"' in response.content.decode()
    assert f'href="{reverse("password_change")}"' in response.content.decode()


def test_the_navigation_links_to_the_profile(learner_client):
    html = learner_client.get(reverse("courses:my_learning")).content.decode()
    assert f'href="{reverse("accounts:profile")}">Profile</a>' in html


def test_the_profile_saves_names_and_email(learner_client, learner):
    response = learner_client.post(
        reverse("accounts:profile"),
        {"first_name": " Alicia ", "last_name": "Smith", "email": "alicia@example.com"},
    )
    assert response["Location"] == reverse("accounts:profile")
    learner.refresh_from_db()
    assert (learner.first_name, learner.last_name, learner.email) == (
        "Alicia",
        "Smith",
        "alicia@example.com",
    )


def test_the_profile_refuses_another_active_accounts_email_in_any_case(
    learner_client, learner, second_learner
):
    response = learner_client.post(
        reverse("accounts:profile"),
        {"first_name": "Alice", "last_name": "Learner", "email": "BOB@example.com"},
    )
    assert response.status_code == 200
    assert "Another account already uses this email address." in page_text(response)
    learner.refresh_from_db()
    assert learner.email == "alice@example.com"


def test_the_profile_allows_the_email_of_an_inactive_account(learner_client, learner):
    make_user("gone", email="shared@example.com", is_active=False)
    learner_client.post(
        reverse("accounts:profile"),
        {"first_name": "", "last_name": "", "email": "shared@example.com"},
    )
    learner.refresh_from_db()
    assert learner.email == "shared@example.com"


@pytest.mark.parametrize("email", ["", "not-an-email", "a" * 250 + "@example.com"])
def test_the_profile_refuses_a_missing_or_bad_email(learner_client, learner, email):
    response = learner_client.post(
        reverse("accounts:profile"), {"first_name": "A", "last_name": "B", "email": email}
    )
    assert response.status_code == 200
    assert 'class="invalid-feedback' in response.content.decode()
    learner.refresh_from_db()
    assert (learner.first_name, learner.email) == ("Alice", "alice@example.com")


def test_the_profile_needs_a_login(client):
    assert client.get(reverse("accounts:profile"))["Location"].startswith(reverse("login"))


# Throttling ----------------------------------------------------------------------------------


def fail(client, username: str, times: int, url: str | None = None, **extra) -> list[int]:
    return [log_in(client, username, "wrong", url, **extra).status_code for _ in range(times)]


def later(minutes: int):
    """Move axes' clock: every request it sees from here happens ``minutes`` later."""
    return mock.patch(
        "axes.handlers.proxy.now", return_value=timezone.now() + timedelta(minutes=minutes)
    )


def test_five_failed_logins_lock_out_even_the_right_password(client, learner):
    assert fail(client, "alice", 5) == [200, 200, 200, 200, 429]
    response = log_in(client, "alice")
    assert response.status_code == 429
    text = page_text(response)
    assert "Too many failed logins" in text and "paused for 15 minutes" in text
    assert len(re.findall(r"<h1[\s>]", response.content.decode())) == 1
    assert signed_in_as(client) is None


def test_the_right_password_works_again_after_the_cool_off(client, learner):
    fail(client, "alice", 5)
    with later(14):
        assert log_in(client, "alice").status_code == 429  # refused, and the wait restarts
    with later(14 + 16):
        assert log_in(client, "alice").status_code == 302
    assert signed_in_as(client) == "alice"


def test_the_admin_login_is_throttled_too(client, admin_user):
    url = reverse("admin:login")
    assert fail(client, "ada", 5, url) == [200, 200, 200, 200, 429]
    response = log_in(client, "ada", url=url)
    assert response.status_code == 429
    assert "Too many failed logins" in page_text(response)
    assert signed_in_as(client) is None
    with later(16):
        assert log_in(client, "ada", url=url).status_code == 302
    assert signed_in_as(client) == "ada"


def test_the_site_and_the_admin_share_one_count(client, admin_user):
    fail(client, "ada", 3)
    assert fail(client, "ada", 2, reverse("admin:login")) == [200, 429]


def test_case_variants_and_spaces_share_one_count(client, learner):
    assert fail(client, "alice", 2) + fail(client, "ALICE ", 2) + fail(client, "Alice", 1) == [
        200,
        200,
        200,
        200,
        429,
    ]


def test_a_lockout_holds_one_username_from_one_address_only(client, learner, second_learner):
    fail(client, "alice", 5)
    assert log_in(client, "bob").status_code == 302  # another person, same address
    client.logout()
    assert log_in(client, "alice", REMOTE_ADDR="10.1.2.3").status_code == 302  # another address


def test_a_successful_login_clears_the_count(client, learner):
    fail(client, "alice", 4)
    assert log_in(client, "alice").status_code == 302
    client.logout()
    assert fail(client, "alice", 4) == [200] * 4


def test_choosing_a_password_by_the_emailed_link_unlocks_at_once(client, learner, mailoutbox):
    fail(client, "alice", 5)
    client.post(reverse("password_reset"), {"email": "alice@example.com"})
    form_url = client.get(urlsplit(reset_link(mailoutbox[0])).path)["Location"]
    client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert log_in(client, "alice", NEW_PASSWORD).status_code == 302


def test_an_admin_unlocks_a_person_from_the_users_list(client, learner, admin_user):
    fail(client, "alice", 3)
    fail(client, "alice@example.com", 5)
    assert log_in(client, "alice@example.com").status_code == 429
    admin = client_for(admin_user)
    listed = admin.get(reverse("admin:auth_user_changelist") + "?sign_in=locked_out")
    assert ">alice</a>" in listed.content.decode() and ">ada</a>" not in listed.content.decode()
    response = admin.post(
        reverse("admin:auth_user_changelist"),
        {"action": "unlock_sign_in", "_selected_action": [learner.pk]},
        follow=True,
    )
    assert "Cleared 2 failed-login records" in page_text(response)
    assert not AccessAttempt.objects.exists()
    assert log_in(client, "alice@example.com").status_code == 302


def test_axes_reset_username_unlocks_from_the_command_line(client, learner):
    fail(client, "alice", 5)
    call_command("axes_reset_username", "alice")
    assert log_in(client, "alice").status_code == 302


def client_for(user):
    from django.test import Client

    other = Client()
    other.force_login(user)
    return other


def test_behind_a_trusted_proxy_each_client_address_has_its_own_count(client, learner, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    assert fail(client, "alice", 5, HTTP_X_FORWARDED_FOR="203.0.113.9", **proxy)[-1] == 429
    assert AccessAttempt.objects.get().ip_address == "203.0.113.9"
    response = log_in(client, "alice", HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy)
    assert response.status_code == 302


@pytest.mark.parametrize(
    "count, forwarded, expected",
    [
        (0, "203.0.113.9", "192.0.2.1"),  # no proxy: the header is the client's own words
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "6.6.6.6, 203.0.113.9", "203.0.113.9"),  # the client wrote 6.6.6.6
        (2, "203.0.113.9, 10.0.0.5", "203.0.113.9"),
        (2, "10.0.0.5", "192.0.2.1"),  # shorter than the proxies: not trusted
        (1, "not-an-address", "192.0.2.1"),
        (1, "", "192.0.2.1"),
    ],
)
def test_client_ip(settings, count, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = count
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_the_login_identifier_is_what_was_typed_lowercased():
    request = RequestFactory().post("/", {"username": "  Alice@Example.com "})
    assert login_identifier(request, {"username": "alice"}) == "alice@example.com"
    assert login_identifier(RequestFactory().get("/"), {"username": "Bob"}) == "bob"
    assert login_identifier(None, {"username": "x" * 300}) == "x" * 255
    assert login_identifier(None, None) is None
