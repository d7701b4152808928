"""Real-browser fixtures: Debian's Chromium driven by Playwright, axe-core from npm."""

import contextlib
import json
from pathlib import Path

import pytest
from django.conf import settings

from authoring.importing import import_content
from tests.conftest import PASSWORD

CHROMIUM = "/usr/bin/chromium"
# Root needs --no-sandbox; the rest keep Chromium off the (closed) network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_SCRIPT = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture
def sample_course(transactional_db):
    from courses.models import Course

    import_content(settings.CONTENT_DIR)
    return Course.objects.get(slug="who-is-your-customer")


def log_in(page, live_server, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    # Home sends learners on to My learning and trainers to their dashboard.
    page.wait_for_url(lambda url: url.startswith(live_server.url) and "/accounts/login/" not in url)


def serious_axe_violations(page) -> list[str]:
    """Run axe-core on the page; describe every serious or critical violation."""
    # Evaluated, not added as a <script>: the Content-Security-Policy refuses inline
    # scripts, and DevTools' evaluation is not subject to it.
    page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        AXE_TAGS,
    )
    return [
        f"{v['impact']}: {v['id']} ({v['help']}) at "
        + json.dumps([node["target"] for node in v["nodes"]][:3])
        for v in result["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


def has_sideways_scroll(page) -> bool:
    return page.evaluate(
        "() => document.documentElement.scrollWidth > document.documentElement.clientWidth"
    )


def answer_quiz(page, quiz, correct: bool = True) -> None:
    """Fill in the quiz form on the page: every answer right, or every answer wrong."""
    for question in quiz.questions.filter(retired_at__isnull=True):
        if question.type == "short":
            page.locator(f"#answer-{question.pk}").fill(
                question.accepted_answers[0].upper() if correct else "no idea"
            )
            continue
        for choice in question.choices.filter(is_correct=correct):
            page.locator(f"#choice-{choice.pk}").check()
            if question.type != "multiple":
                break


def start_quiz(page) -> None:
    """Press the quiz page's Start button (its GET opens no attempt) and wait for the
    questions, as a learner does."""
    page.locator("#quiz-intro").get_by_role("button").click()
    page.wait_for_selector("#quiz-form")


@pytest.fixture(autouse=True)
def requests_finished_before_teardown(request):
    """Let every page's background requests finish (the lesson page posts its start with
    lesson-start.js) before the live server's database is emptied: on PostgreSQL a
    request still writing while the tables are truncated deadlocks the teardown. Set up
    after live_server (so torn down before it); tests without one are left alone."""
    if "live_server" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("live_server")
    browser = request.getfixturevalue("browser")
    yield
    for context in list(browser.contexts):
        for page in context.pages:
            with contextlib.suppress(Exception):  # a page that never settles is closed anyway
                page.wait_for_load_state("networkidle", timeout=5000)
        context.close()
