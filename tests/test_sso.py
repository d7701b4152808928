"""Single sign-on: the claim-to-account rules (accounts/sso.py) and the login page.

The whole flow against a real OpenID Connect provider is in tests/browser/test_sso.py.
"""

import os
import subprocess
import sys
from urllib.parse import urlencode

import pytest
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialLogin
from django.conf import settings as django_settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.db import IntegrityError
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from accounts import sso
from accounts.sso import (
    GRANTED_TEAMS,
    PROVIDER_ID,
    SocialAccountAdapter,
    SSOError,
    email_from_claims,
    email_is_verified,
    group_names,
    names_from_claims,
    sign_in,
    sync_teams,
    update_user_from_claims,
    user_for_new_identity,
    username_from_claims,
)
from config.settings import oidc_providers
from tests.conftest import PASSWORD
from tests.factories import make_user

pytestmark = pytest.mark.django_db
User = get_user_model()

LOGIN = "/accounts/login/"
START = "/accounts/oidc/sso/login/"
CALLBACK = "/accounts/oidc/sso/login/callback/"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def sso_on(settings):
    """SSO configured for a provider nobody listens at (these tests never reach it)."""
    settings.SOCIALACCOUNT_PROVIDERS = oidc_providers(
        "http://127.0.0.1:9", "course-player", "secret", "Acme ID", ["openid", "email"]
    )
    settings.SSO_LOCAL_PASSWORDS = True
    return settings


@pytest.fixture
def passwords_off(sso_on):
    sso_on.SSO_LOCAL_PASSWORDS = False
    return sso_on


def identity(user, uid="sub-1", **extra):
    return SocialAccount.objects.create(user=user, provider=PROVIDER_ID, uid=uid, extra_data=extra)


# The login page ----------------------------------------------------------------------


def test_sso_off_leaves_the_login_page_as_it_was(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(0):
        response = client.get(LOGIN)
    html = response.content.decode()
    assert "Sign in with" not in html
    assert 'name="password"' in html
    assert f'action="{reverse("login")}"' in html


def test_sso_off_answers_404_on_the_sso_addresses(client):
    assert client.post(START).status_code == 404
    assert client.get(CALLBACK + "?state=x&code=y").status_code == 404


def test_sso_on_offers_the_button_beside_the_password_form(
    client, sso_on, django_assert_max_num_queries
):
    with django_assert_max_num_queries(0):
        response = client.get(LOGIN + "?next=/catalogue/")
    html = response.content.decode()
    assert "Sign in with Acme ID" in html
    assert f'action="{START}"' in html
    assert 'name="next" value="/catalogue/"' in html
    assert 'name="password"' in html


def test_local_passwords_off_hides_the_password_form(client, passwords_off):
    html = client.get(LOGIN).content.decode()
    assert "Sign in with Acme ID" in html
    assert 'name="password"' not in html
    assert reverse("admin:login") in html


def test_local_passwords_off_refuses_a_learners_password(client, passwords_off, learner):
    client.post(LOGIN, {"username": "alice", "password": PASSWORD})
    assert "_auth_user_id" not in client.session


def test_local_passwords_off_still_lets_a_superuser_in(client, passwords_off, admin_user):
    response = client.post(reverse("admin:login"), {"username": "ada", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(admin_user.pk)


def test_local_passwords_off_is_ignored_while_sso_is_off(client, settings, learner):
    settings.SSO_LOCAL_PASSWORDS = False
    client.post(LOGIN, {"username": "alice", "password": PASSWORD})
    assert client.session["_auth_user_id"] == str(learner.pk)


def test_starting_a_sign_in_by_get_goes_back_to_the_login_page(client, sso_on):
    response = client.get(START)
    assert response.status_code == 302
    assert response["Location"] == LOGIN


def test_an_unreachable_provider_gives_a_message_not_an_error(client, sso_on):
    response = client.post(START, follow=True)
    assert response.redirect_chain[-1][0] == LOGIN
    assert "did not answer" in response.content.decode()


def test_the_callback_is_open_to_anonymous_visitors_and_refuses_a_missing_state(
    client, sso_on, django_assert_max_num_queries
):
    with django_assert_max_num_queries(3):
        response = client.get(CALLBACK + "?code=abc")
    # LoginRequiredMiddleware would have sent it to LOGIN?next=...: allauth's view ran.
    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert "_auth_user_id" not in client.session


@hypothesis_settings(
    max_examples=100,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    method=st.sampled_from(["get", "post"]),
    path=st.sampled_from([START, CALLBACK]),
    params=st.lists(
        st.tuples(
            st.sampled_from(["code", "state", "error", "process", "next", "scope", "iss", "x"]),
            st.one_of(st.text(max_size=40), st.sampled_from(["", "access_denied", "connect"])),
        ),
        max_size=5,
    ),
)
def test_malformed_sso_requests_never_get_a_server_error(sso_on, method, path, params):
    client = Client(raise_request_exception=False)
    if method == "get":
        response = client.get(f"{path}?{urlencode(params)}")
    else:
        response = client.post(path, urlencode(params), content_type=FORM)
    assert response.status_code < 500, (method, path, params)


def test_the_provider_is_not_configured_in_the_admin():
    # The environment configures it; a SocialApp row would be a second provider.
    assert not admin.site.is_registered(SocialApp)
    assert admin.site.is_registered(SocialAccount)


def settings_error(**environ) -> str:
    """What loading the settings with these variables prints (stderr), in a new process."""
    result = subprocess.run(
        [sys.executable, "-c", "import config.settings"],
        cwd=django_settings.BASE_DIR,
        env={**os.environ, **environ},
        capture_output=True,
        text=True,
    )
    return result.stderr if result.returncode else ""


@pytest.mark.parametrize("issuer", ["http://idp.example.com/realms/staff", "idp.example.com"])
def test_settings_refuse_an_issuer_without_https_off_loopback(issuer):
    error = settings_error(OIDC_ISSUER_URL=issuer, OIDC_CLIENT_ID="course-player")
    assert "OIDC_ISSUER_URL must use https://" in error


def test_settings_accept_plain_http_on_loopback():
    assert settings_error(OIDC_ISSUER_URL="http://127.0.0.1:9", OIDC_CLIENT_ID="x") == ""


def test_settings_refuse_an_issuer_without_a_client_id():
    error = settings_error(OIDC_ISSUER_URL="https://idp.example.com", OIDC_CLIENT_ID="")
    assert "Set OIDC_CLIENT_ID" in error


def test_the_provider_settings_ask_for_pkce_and_the_id_token_alone():
    app = oidc_providers("https://idp.example.com/", "id", "secret", "Acme", ["openid"])[
        "openid_connect"
    ]["APPS"][0]
    assert app["settings"]["server_url"] == "https://idp.example.com"
    assert app["settings"]["oauth_pkce_enabled"] is True
    assert app["settings"]["fetch_userinfo"] is False
    assert oidc_providers("", "id", "secret", "Acme", ["openid"]) == {}


# Claims -------------------------------------------------------------------------------


def test_names_come_from_given_and_family_name():
    assert names_from_claims({"given_name": "Ada", "family_name": "Lovelace", "name": "X Y"}) == (
        "Ada",
        "Lovelace",
    )


def test_names_fall_back_to_name_split_at_the_first_space():
    assert names_from_claims({"name": "Grace Brewster Hopper"}) == ("Grace", "Brewster Hopper")


def test_names_are_empty_without_claims():
    assert names_from_claims({"name": 42}) == ("", "")


def test_an_invalid_email_claim_is_ignored():
    assert email_from_claims({"email": "not an email"}) == ""
    assert email_from_claims({"email": " ada@example.org "}) == "ada@example.org"


def test_email_verified_accepts_the_string_true_too():
    assert email_is_verified({"email_verified": True})
    assert email_is_verified({"email_verified": "TRUE"})
    assert not email_is_verified({"email_verified": "false"})
    assert not email_is_verified({})


def test_username_is_the_preferred_username():
    assert username_from_claims({"preferred_username": "dana", "email": "d@example.org"}) == "dana"


def test_username_falls_back_to_the_email_then_the_sub():
    assert username_from_claims({"email": "dana@example.org", "sub": "1"}) == "dana@example.org"
    assert username_from_claims({"sub": "abc-123"}) == "abc-123"


def test_username_is_unique_ignoring_case(learner):
    make_user("alice-2")
    assert username_from_claims({"preferred_username": "ALICE"}) == "ALICE-3"


def test_username_drops_characters_django_refuses():
    assert username_from_claims({"preferred_username": "ACME\\dana scully"}) == "ACME-dana-scully"


# Claims -> account ----------------------------------------------------------------------


def test_a_new_identity_makes_an_account_from_the_claims():
    user = user_for_new_identity(
        {"sub": "1", "preferred_username": "dana", "email": "dana@example.org", "name": "Dana S"}
    )
    user.refresh_from_db()
    assert (user.username, user.email, user.first_name, user.last_name) == (
        "dana",
        "dana@example.org",
        "Dana",
        "S",
    )
    assert not user.has_usable_password()


def test_a_verified_email_finds_the_existing_account(learner):
    claims = {"sub": "1", "email": "ALICE@example.com", "email_verified": True}
    assert user_for_new_identity(claims) == learner
    assert User.objects.count() == 1


def test_an_unverified_email_of_an_existing_account_is_refused(learner):
    with pytest.raises(SSOError, match="already exists"):
        user_for_new_identity({"sub": "1", "email": "alice@example.com"})
    assert User.objects.count() == 1


def test_a_superusers_email_never_links(admin_user):
    with pytest.raises(SSOError, match="password"):
        user_for_new_identity({"sub": "1", "email": "ada@example.com", "email_verified": True})


def test_an_email_shared_by_two_accounts_is_refused(learner):
    make_user("alice2", email="alice@example.com")
    with pytest.raises(SSOError, match="Several"):
        user_for_new_identity({"sub": "1", "email": "alice@example.com", "email_verified": True})


def test_an_account_linked_to_another_identity_is_not_linked_again(learner):
    identity(learner, uid="first")
    with pytest.raises(SSOError, match="another"):
        user_for_new_identity({"sub": "2", "email": "alice@example.com", "email_verified": True})


def test_each_sign_in_refreshes_name_and_email(learner):
    update_user_from_claims(
        learner, {"given_name": "Alicia", "family_name": "Keys", "email": "alicia@example.org"}
    )
    learner.refresh_from_db()
    assert (learner.first_name, learner.last_name, learner.email) == (
        "Alicia",
        "Keys",
        "alicia@example.org",
    )


def test_missing_claims_leave_the_fields_alone(learner):
    update_user_from_claims(learner, {"sub": "1", "given_name": "Alicia"})
    learner.refresh_from_db()
    assert (learner.first_name, learner.last_name, learner.email) == (
        "Alicia",
        "Learner",
        "alice@example.com",
    )


def test_an_email_another_account_has_is_not_taken(learner, second_learner):
    update_user_from_claims(learner, {"email": "BOB@example.com"})
    learner.refresh_from_db()
    assert learner.email == "alice@example.com"


# Groups -> teams --------------------------------------------------------------------------


def test_group_names_are_none_when_the_claim_is_absent():
    assert group_names({"sub": "1"}, "groups") is None
    assert group_names({"groups": ["a"]}, "") is None


def test_group_names_accept_one_string():
    assert group_names({"groups": "Support"}, "groups") == {"Support"}


def test_a_group_named_as_a_team_makes_a_member(learner, other_team):
    granted = sync_teams(learner, {other_team.name, "No such team"}, [])
    assert list(learner.teams.all()) == [other_team]
    assert granted == [other_team.pk]


def test_a_team_that_leaves_the_claim_is_left_if_sso_added_it(learner, other_team):
    granted = sync_teams(learner, {other_team.name}, [])
    assert sync_teams(learner, set(), granted) == []
    assert not learner.teams.exists()


def test_a_membership_made_by_hand_stays(learner, team):
    assert learner.teams.filter(pk=team.pk).exists()
    granted = sync_teams(learner, {team.name}, [])  # already a member: not SSO's to take
    assert granted == []
    sync_teams(learner, set(), granted)
    assert list(learner.teams.all()) == [team]


def test_no_groups_claim_changes_nothing(learner, other_team):
    granted = sync_teams(learner, {other_team.name}, [])
    assert sync_teams(learner, None, granted) == granted
    assert list(learner.teams.all()) == [other_team]


def test_group_names_match_team_names_exactly(learner, other_team):
    sync_teams(learner, {other_team.name.upper()}, [])
    assert not learner.teams.exists()


def test_allauths_rewrite_of_extra_data_keeps_the_granted_teams(learner):
    account = identity(learner, id_token={"sub": "sub-1"}, **{GRANTED_TEAMS: [7]})
    account.extra_data = {"id_token": {"sub": "sub-1", "groups": []}}  # as allauth's lookup does
    account.save()
    account.refresh_from_db()
    assert account.extra_data[GRANTED_TEAMS] == [7]
    assert account.extra_data["id_token"]["groups"] == []


# sign_in(): the adapter's decision, without a provider ----------------------------------


def verified_login(uid: str, claims: dict, user=None, process: str = "login") -> SocialLogin:
    account = SocialAccount(provider=PROVIDER_ID, uid=uid, extra_data={"id_token": claims})
    if user is not None:
        account.user = user
        account.save()
    login = SocialLogin(user=user, account=account)
    login.state = {"process": process}
    return login


@pytest.fixture
def request_with_messages(rf):
    request = rf.get(CALLBACK)
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def test_sign_in_makes_the_account_and_records_the_teams_it_added(
    request_with_messages, sso_on, other_team
):
    sso_on.SSO_GROUPS_CLAIM = "groups"
    claims = {"sub": "n1", "preferred_username": "nina", "groups": [other_team.name]}
    login = verified_login("n1", claims)
    sign_in(request_with_messages, login)
    account = SocialAccount.objects.get(uid="n1")
    assert account.user.username == "nina"
    assert list(account.user.teams.all()) == [other_team]
    assert account.extra_data[GRANTED_TEAMS] == [other_team.pk]


def test_sign_in_refuses_a_deactivated_account(request_with_messages, learner):
    learner.is_active = False
    learner.save()
    with pytest.raises(SSOError, match="deactivated"):
        sign_in(request_with_messages, verified_login("a1", {"sub": "a1"}, user=learner))


def test_sign_in_refuses_to_connect_an_identity_to_the_current_account(request_with_messages):
    with pytest.raises(SSOError, match="Only signing in"):
        sign_in(request_with_messages, verified_login("c1", {"sub": "c1"}, process="connect"))
    assert not User.objects.exists()


def test_a_raced_first_sign_in_asks_to_try_again(request_with_messages, monkeypatch):
    def race(request, sociallogin):
        raise IntegrityError("UNIQUE constraint failed")

    monkeypatch.setattr(sso, "sign_in", race)
    adapter = SocialAccountAdapter(request_with_messages)
    with pytest.raises(ImmediateHttpResponse) as refused:
        adapter.pre_social_login(request_with_messages, verified_login("r1", {"sub": "r1"}))
    assert refused.value.response["Location"] == LOGIN
    assert "try again" in str(list(get_messages(request_with_messages))[0])
