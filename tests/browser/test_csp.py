"""The Content-Security-Policy in a real browser: the main pages of every role load
with no violation (nothing inline, nothing from elsewhere) and no script error, and
what moved out of inline styles still shows."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from lessons.models import Certificate
from progress.services import record_lesson_completion
from quizzes.models import Quiz
from tests.browser.conftest import answer_quiz, log_in, start_quiz
from tests.factories import take_quiz
from training.services import assign_course

# Chrome's console text for a blocked resource or inline code, and for a bad
# Permissions-Policy header.
WATCHED = ("Content Security Policy", "Content-Security-Policy", "Permissions-Policy", "Refused to")
# Also report violations as events, whatever the console's wording becomes. An init
# script runs before the page's own and is not subject to the policy.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  const what = `${event.violatedDirective} ${event.blockedURI}`;
  console.error(`Content Security Policy violation: ${what}`);
});
"""


@pytest.fixture
def watch(browser, live_server):
    """A function that gives a new page whose CSP violations and script errors are
    collected, and the list they are collected in."""
    problems: list[str] = []
    contexts = []

    def new_page():
        context = browser.new_context()
        contexts.append(context)
        page = context.new_page()
        page.add_init_script(REPORT_VIOLATIONS)
        page.on(
            "console",
            lambda message: (
                problems.append(f"{page.url}: {message.type}: {message.text}")
                if any(word in message.text for word in WATCHED)
                else None
            ),
        )
        page.on("pageerror", lambda error: problems.append(f"{page.url}: script error: {error}"))
        return page

    yield new_page, problems
    for context in contexts:
        context.close()


def visit(page, live_server, url: str) -> None:
    page.goto(live_server.url + url)
    page.wait_for_load_state("networkidle")  # late reports and the page's own requests


@pytest.fixture
def assigned(transactional_db, learner, trainer, team, sample_course):
    assign_course(
        by=trainer,
        course=sample_course,
        team=team,
        due_date=timezone.localdate() + datetime.timedelta(days=5),
    )


def test_learner_pages_break_no_rule(watch, live_server, learner, sample_course):
    new_page, problems = watch
    page = new_page()
    visit(page, live_server, reverse("login"))
    log_in(page, live_server, learner.username)
    lessons = list(sample_course.lessons.all())
    for url in ["/", reverse("courses:catalogue"), sample_course.get_absolute_url()]:
        visit(page, live_server, url)
    visit(page, live_server, lessons[3].get_absolute_url())  # a lesson with a table

    quiz = Quiz.objects.get(lesson=lessons[0])
    visit(page, live_server, quiz.get_absolute_url())
    start_quiz(page)
    answer_quiz(page, quiz)
    expect(page.get_by_text("Answers saved")).to_be_visible()  # quiz-autosave.js's fetch
    page.get_by_role("button", name="Submit answers").click()
    page.wait_for_url("**/quizzes/attempts/*/")
    visit(page, live_server, reverse("quizzes:my_results"))

    for lesson in lessons:
        record_lesson_completion(learner, lesson)
    take_quiz(learner, Quiz.objects.get(course=sample_course))
    code = Certificate.objects.get(completion__learner=learner).code
    for url in [
        reverse("courses:complete", args=[sample_course.slug]),
        reverse("certificate", args=[code]),
        "/courses/no-such-course/",  # 404
        reverse("logout"),  # a GET: 405
    ]:
        visit(page, live_server, url)
    assert problems == []


def test_public_pages_break_no_rule(watch, live_server, learner, sample_course):
    new_page, problems = watch
    page = new_page()
    for lesson in sample_course.lessons.all():
        record_lesson_completion(learner, lesson)
    take_quiz(learner, Quiz.objects.get(course=sample_course))
    code = Certificate.objects.get(completion__learner=learner).code
    for url in [
        reverse("verify_certificate"),
        reverse("verify_certificate", args=[code]),
        reverse("verify_certificate", args=["NOPE-NOPE-NOPE"]),  # 404
        reverse("admin:login"),
    ]:
        visit(page, live_server, url)
    assert problems == []


def test_trainer_pages_break_no_rule(watch, live_server, trainer, team, learner, assigned):
    new_page, problems = watch
    page = new_page()
    log_in(page, live_server, trainer.username)
    visit(page, live_server, reverse("training:dashboard"))
    expect(page.get_by_role("row").filter(has_text="Alice Learner")).to_be_visible()
    for url in [
        reverse("training:learner", args=[learner.pk]),
        reverse("training:assign", args=["who-is-your-customer"]),
    ]:
        visit(page, live_server, url)
    assert problems == []


def test_admin_pages_break_no_rule(watch, live_server, admin_user, learner, sample_course):
    new_page, problems = watch
    page = new_page()
    log_in(page, live_server, admin_user.username)
    lesson = sample_course.lessons.all()[3]
    for url in [
        reverse("admin:index"),
        reverse("admin:courses_course_change", args=[sample_course.pk]),  # lessons inline
        reverse("admin:lessons_lesson_changelist"),
        reverse("admin:lessons_lesson_change", args=[lesson.pk]),  # editor and preview
        reverse("admin:auth_user_change", args=[learner.pk]),  # the groups' filter widget
        reverse("preview_lesson", args=[lesson.pk]),
    ]:
        visit(page, live_server, url)
    expect(page.get_by_role("heading", level=1)).to_have_text(lesson.title)
    assert problems == []


def test_the_watch_sees_a_violation(watch, live_server):
    """The other tests would catch one: an inline script is refused and reported."""
    new_page, problems = watch
    page = new_page()
    visit(page, live_server, reverse("login"))
    with page.expect_console_message(lambda message: "Content Security Policy" in message.text):
        page.evaluate(
            "() => { const s = document.createElement('script');"
            " s.textContent = 'window.ran = true'; document.body.append(s); }"
        )
    assert page.evaluate("() => window.ran") is None
    assert problems


def test_the_progress_bar_is_drawn_at_its_percent(watch, live_server, learner, sample_course):
    # Its width is a class from progress.css, not an inline style.
    new_page, problems = watch
    page = new_page()
    record_lesson_completion(learner, sample_course.lessons.first())  # 1 of 7: 14%
    log_in(page, live_server, learner.username)
    visit(page, live_server, sample_course.get_absolute_url())
    bar = page.locator(".progress-bar").first
    ratio = bar.evaluate(
        "bar => bar.getBoundingClientRect().width / bar.parentElement.getBoundingClientRect().width"
    )
    assert ratio == pytest.approx(0.14, abs=0.005)
    assert problems == []
