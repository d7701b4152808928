"""Single sign-on in Chromium against a real OpenID Connect provider.

The provider is npm's oidc-provider (tests/oidc/op.mjs), started once per test session
on a free 127.0.0.1 port. Its development login page takes any login name (the `sub`)
with any password; a test hook sets an account's claims, or spoils the ID token the
token endpoint gives for it.
"""

import json
import os
import select
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from allauth.socialaccount.models import SocialAccount
from django.conf import settings
from django.contrib.auth import get_user_model

from accounts.sso import PROVIDER_ID
from config.settings import oidc_providers
from tests.browser.conftest import has_sideways_scroll, serious_axe_violations
from tests.factories import make_user
from training.models import Team

User = get_user_model()

OIDC_DIR = Path(settings.BASE_DIR) / "tests" / "oidc"
CLIENT_ID = "course-player"
CLIENT_SECRET = "test-secret"
CALLBACK = "/accounts/oidc/sso/login/callback/"
REFUSED = "did not work"


class OIDCProvider:
    def __init__(self, issuer: str):
        self.issuer = issuer

    def set_account(self, account_id: str, tamper: str | None = None, **claims) -> None:
        request = urllib.request.Request(
            f"{self.issuer}/_test/accounts/{account_id}",
            data=json.dumps({"claims": claims, "tamper": tamper}).encode(),
            method="PUT",
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 204


def _wait_for(url: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.1)


@pytest.fixture(scope="session")
def oidc_provider(live_server):
    """node tests/oidc/op.mjs, its redirect URI pointing at the live server."""
    if not (OIDC_DIR / "node_modules" / "oidc-provider").is_dir():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=OIDC_DIR, check=True
        )
    env = {
        **os.environ,
        "REDIRECT_URI": f"{live_server.url}{CALLBACK}",
        "CLIENT_ID": CLIENT_ID,
        "CLIENT_SECRET": CLIENT_SECRET,
    }
    with tempfile.TemporaryFile(mode="w+") as log:
        process = subprocess.Popen(
            ["node", "op.mjs"], cwd=OIDC_DIR, env=env, stdout=subprocess.PIPE, stderr=log, text=True
        )
        try:
            ready, _, _ = select.select([process.stdout], [], [], 20)
            line = process.stdout.readline() if ready else ""
            if not line:
                log.seek(0)
                pytest.fail(f"the OIDC provider did not start:\n{log.read()}")
            provider = OIDCProvider(json.loads(line)["issuer"])
            _wait_for(f"{provider.issuer}/.well-known/openid-configuration")
            yield provider
        finally:
            process.terminate()
            process.wait(timeout=10)


@pytest.fixture
def sso(oidc_provider, settings, transactional_db):
    """The site configured for the provider, as OIDC_* variables would (groups included)."""
    settings.SOCIALACCOUNT_PROVIDERS = oidc_providers(
        oidc_provider.issuer,
        CLIENT_ID,
        CLIENT_SECRET,
        "Company sign-in",
        ["openid", "profile", "email", "groups"],
    )
    settings.SSO_GROUPS_CLAIM = "groups"
    return oidc_provider


@pytest.fixture
def new_page(browser):
    """A page in a fresh browser context (no cookies on either side), closed afterwards."""
    contexts = []

    def make():
        contexts.append(browser.new_context())
        return contexts[-1].new_page()

    yield make
    for context in contexts:
        context.close()


def start_sign_in(page, live_server, path: str = "/accounts/login/") -> None:
    page.goto(f"{live_server.url}{path}")
    page.get_by_role("button", name="Sign in with Company sign-in").click()


def sign_in_at_provider(page, account_id: str) -> None:
    """The provider's own pages: its login form, then its consent page."""
    page.locator("input[name=login]").fill(account_id)
    page.locator("input[name=password]").fill("any password")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()


def sso_sign_in(new_page, live_server, account_id: str):
    """A whole sign-in in a fresh browser (no session on either side); returns the page."""
    page = new_page()
    start_sign_in(page, live_server)
    sign_in_at_provider(page, account_id)
    back_on_the_site(page, live_server)
    return page


def back_on_the_site(page, live_server) -> None:
    """Wait until the provider and the callback have sent the browser to a page of ours."""
    page.wait_for_url(lambda url: url.startswith(live_server.url) and CALLBACK not in url)
    page.wait_for_load_state()


def capture_callback(page) -> list[str]:
    """Stop before the provider sends the browser to the site's callback, and note the
    callback's address instead (code and state unused). Playwright cannot route a
    redirect, so the consent form's POST and the provider's redirect after it are
    fetched here (with the browser's cookies), and the browser is shown "held"."""
    seen: list[str] = []

    def hold(route):
        if "prompt=consent" not in (route.request.post_data or ""):
            return route.continue_()  # the provider's pages, and its login form
        resumed = route.fetch(max_redirects=0)  # consent given -> the provider's /auth/...
        back = page.context.request.get(resumed.headers["location"], max_redirects=0)
        seen.append(back.headers["location"])  # -> the site's callback
        return route.fulfill(status=200, content_type="text/plain", body="held")

    page.route("**/interaction/**", hold)
    return seen


def held_callback(page, seen: list[str]) -> str:
    page.get_by_text("held").wait_for()  # shown once hold() has noted the address
    assert CALLBACK in seen[0]
    return seen[0]


def signed_in(page, live_server) -> bool:
    # Home sends a signed-in learner on to My learning, anyone else to the login page.
    page.goto(f"{live_server.url}/")
    return urlsplit(page.url).path == "/my-learning/"


def with_query(url: str, **changes) -> str:
    parts = urlsplit(url)
    query = {**dict(parse_qsl(parts.query)), **changes}
    return parts._replace(query=urlencode(query)).geturl()


def test_first_sign_in_creates_the_account_from_the_claims(new_page, live_server, sso):
    sso.set_account(
        "dana",
        email="dana.scully@example.org",
        given_name="Dana",
        family_name="Scully",
        preferred_username="Dana.S",
    )
    page = sso_sign_in(new_page, live_server, "dana")
    assert page.url == f"{live_server.url}/my-learning/"
    assert page.get_by_role("heading", level=1).inner_text() == "My learning"
    user = User.objects.get(socialaccount__provider=PROVIDER_ID, socialaccount__uid="dana")
    assert (user.username, user.first_name, user.last_name, user.email) == (
        "Dana.S",
        "Dana",
        "Scully",
        "dana.scully@example.org",
    )
    assert not user.has_usable_password()


def test_sign_in_returns_to_the_page_asked_for(new_page, live_server, sso):
    page = new_page()
    page.goto(f"{live_server.url}/catalogue/")  # LoginRequiredMiddleware: login?next=...
    page.get_by_role("button", name="Sign in with Company sign-in").click()
    sign_in_at_provider(page, "erin")
    page.wait_for_url(f"{live_server.url}/catalogue/")


def test_a_second_sign_in_reuses_the_account_and_refreshes_the_claims(new_page, live_server, sso):
    sso.set_account("fox", email="fox@example.org", name="Fox Mulder")
    sso_sign_in(new_page, live_server, "fox")
    User.objects.filter(username="fox").update(first_name="Changed", last_name="By hand")
    sso.set_account("fox", email="fox.mulder@example.org", name="Fox Mulder")

    sso_sign_in(new_page, live_server, "fox")

    user = User.objects.get(username="fox")
    assert (user.first_name, user.last_name, user.email) == (
        "Fox",
        "Mulder",
        "fox.mulder@example.org",
    )
    assert User.objects.count() == 1
    assert SocialAccount.objects.filter(user=user, uid="fox").count() == 1
    assert SocialAccount.objects.count() == 1


def test_the_groups_claim_sets_team_memberships(new_page, live_server, sso):
    support, sales, managers = (Team.objects.create(name=n) for n in ("Support", "Sales", "Mgmt"))
    sso.set_account("gina", groups=["Support", "Sales", "No such team"])
    sso_sign_in(new_page, live_server, "gina")
    user = User.objects.get(username="gina")
    assert set(user.teams.all()) == {support, sales}

    managers.members.add(user)  # an administrator's doing: SSO leaves it alone
    sso.set_account("gina", groups=["Support"])
    sso_sign_in(new_page, live_server, "gina")

    assert set(user.teams.all()) == {support, managers}


def test_an_unverified_email_never_takes_over_an_existing_account(new_page, live_server, sso):
    alice = make_user("alice", email="alice@example.com")
    sso.set_account("mallory", email="alice@example.com", email_verified=False)
    page = sso_sign_in(new_page, live_server, "mallory")
    assert "already exists" in page.content()
    assert not signed_in(page, live_server)
    assert not SocialAccount.objects.exists()
    assert list(User.objects.all()) == [alice]


def test_a_callback_with_a_wrong_state_is_refused(new_page, live_server, sso):
    page = new_page()
    seen = capture_callback(page)
    start_sign_in(page, live_server)
    sign_in_at_provider(page, "hank")
    callback = held_callback(page, seen)

    page.goto(with_query(callback, state="not-the-state-we-sent"))

    assert REFUSED in page.content()
    assert not signed_in(page, live_server)
    assert not User.objects.exists()
    page.goto(callback)  # the genuine callback still works: only the state was wrong
    assert signed_in(page, live_server)


def test_a_callback_replayed_in_another_session_is_refused(new_page, live_server, sso):
    page = new_page()
    seen = capture_callback(page)
    start_sign_in(page, live_server)
    sign_in_at_provider(page, "iris")
    callback = held_callback(page, seen)

    # Someone who got hold of the address (code and state) opens it in their browser:
    # the state belongs to the other session, and the PKCE verifier with it.
    other = new_page()
    other.goto(callback)

    assert REFUSED in other.content()
    assert not signed_in(other, live_server)
    assert not User.objects.exists()
    page.goto(callback)  # in the session that started it, the same address works
    assert signed_in(page, live_server)


def test_a_used_callback_cannot_sign_in_again(new_page, live_server, sso):
    page = new_page()
    callbacks: list[str] = []
    page.on("request", lambda r: callbacks.append(r.url) if CALLBACK in r.url else None)
    start_sign_in(page, live_server)
    sign_in_at_provider(page, "jack")
    page.wait_for_url(f"{live_server.url}/my-learning/")
    assert REFUSED not in page.content()

    # The same session: its state was used up by the sign-in (and the code at the provider).
    page.goto(callbacks[0])

    assert REFUSED in page.content()
    assert SocialAccount.objects.count() == 1


@pytest.mark.parametrize("tamper", ["aud", "iss", "exp", "sub", "signature"])
def test_a_tampered_id_token_is_refused(new_page, live_server, sso, tamper):
    sso.set_account("kim", tamper=tamper)
    page = sso_sign_in(new_page, live_server, "kim")
    assert REFUSED in page.content()
    assert not signed_in(page, live_server)
    assert not User.objects.exists()


@pytest.mark.parametrize("local_passwords", [True, False])
def test_the_login_page_with_sso_is_accessible_on_a_phone(
    browser, live_server, sso, settings, local_passwords
):
    settings.SSO_LOCAL_PASSWORDS = local_passwords
    context = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme="dark")
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    assert page.get_by_role("button", name="Sign in with Company sign-in").is_visible()
    assert page.get_by_label("Password").count() == (1 if local_passwords else 0)
    assert serious_axe_violations(page) == []
    assert not has_sideways_scroll(page)
    context.close()
