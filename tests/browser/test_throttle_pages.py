"""The "Too many failed logins" page for each rule (issue 21), and the admin's Sign-in
throttles page: no serious axe-core violation and no sideways scrolling, on a phone
and a desktop, light and dark. With SHOTS=<folder> set, each page is also saved as a
screenshot there (to look at)."""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from accounts.models import LoginFailure, LoginLock
from tests.browser.conftest import has_sideways_scroll, serious_axe_violations
from tests.conftest import PASSWORD

SETUPS = {
    "phone-light": {"viewport": {"width": 390, "height": 844}, "color_scheme": "light"},
    "phone-dark": {"viewport": {"width": 390, "height": 844}, "color_scheme": "dark"},
    "desktop-light": {"viewport": {"width": 1280, "height": 800}, "color_scheme": "light"},
    "desktop-dark": {"viewport": {"width": 1280, "height": 800}, "color_scheme": "dark"},
}
LIVE_ADDRESS = "127.0.0.1"  # where the browser reaches the live server from
LONG_NAME = "a.person.with.a.rather.long.address@example-company-of-the-world.com"


def failures(settings, **where) -> None:
    now = timezone.now()
    LoginFailure.objects.bulk_create(
        [LoginFailure(at=now, **where) for _ in range(settings.LOGIN_NAME_SLOW_AFTER)]
    )


def lock(rule: str, key: str) -> None:
    now = timezone.now()
    LoginLock.objects.create(
        rule=rule, key=key, failures=100, locked_at=now, until=now + timedelta(minutes=15)
    )


CASES = {
    "address slowed": (
        lambda s: LoginFailure.objects.bulk_create(
            [
                LoginFailure(at=timezone.now(), address=LIVE_ADDRESS, name=f"n{i}")
                for i in range(s.LOGIN_ADDRESS_SLOW_AFTER)
            ]
        ),
        "alice",
        "slowed down",
    ),
    "address locked": (lambda s: lock("address", LIVE_ADDRESS), "alice", "are paused"),
    "name slowed": (lambda s: failures(s, name=LONG_NAME), LONG_NAME, "slowed down"),
    "name locked": (lambda s: lock("name", LONG_NAME), LONG_NAME, "are paused"),
}


def submit_login(page, live_server, name: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username or email").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def shoot(page, name: str) -> None:
    if folder := os.environ.get("SHOTS"):
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{folder}/{name.replace(' ', '-')}.png", full_page=True)


@pytest.mark.parametrize("setup", SETUPS)
def test_the_refusal_pages_are_accessible_and_fit(
    browser, live_server, transactional_db, learner, settings, setup
):
    context = browser.new_context(**SETUPS[setup])
    page = context.new_page()
    problems = {}
    for case, (make, name, says) in CASES.items():
        LoginFailure.objects.all().delete()
        LoginLock.objects.all().delete()
        make(settings)
        submit_login(page, live_server, name)
        assert says in page.locator("main").inner_text(), case
        assert page.get_by_role("heading", level=1).text_content() == "Too many failed logins"
        problems[case] = serious_axe_violations(page)
        if has_sideways_scroll(page):
            problems[case].append("the page scrolls sideways")
        shoot(page, f"{case} {setup}")
    context.close()
    failing = [f"{name}: {found}" for name, found in problems.items() if found]
    assert not failing, "\n".join(failing)


@pytest.mark.parametrize("setup", ["phone-light", "desktop-dark"])
def test_the_admin_page_lists_and_lifts(browser, live_server, transactional_db, settings, setup):
    from tests.factories import make_user

    make_user("ada", password=PASSWORD, is_staff=True, is_superuser=True)
    lock("address", "198.51.100.66")
    lock("name", LONG_NAME)
    failures(settings, name="bob")
    context = browser.new_context(**SETUPS[setup])
    page = context.new_page()
    page.goto(f"{live_server.url}/admin/login/?next=/admin/auth/user/")
    page.locator("#id_username").fill("ada")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#login-form [type=submit]").click()
    page.get_by_role("link", name="Sign-in throttles").click()
    page.wait_for_url("**/admin/auth/user/sign-in/")
    table = page.locator("#sign-in-throttles")
    assert table.locator("tbody tr").count() == 3
    assert not has_sideways_scroll(page)
    assert serious_axe_violations(page) == []
    shoot(page, f"admin sign-in throttles {setup}")
    table.locator("tr", has_text="198.51.100.66").get_by_role("button", name="Lift").click()
    page.wait_for_url("**/admin/auth/user/sign-in/")
    assert "Lifted: address 198.51.100.66." in page.locator("main, #content").first.inner_text()
    assert table.locator("tbody tr").count() == 2
    assert not LoginLock.objects.filter(rule="address").exists()
    context.close()
