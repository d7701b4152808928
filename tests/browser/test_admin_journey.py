"""An admin edits content in the Django admin; the learner sees it with progress intact."""

import re

from playwright.sync_api import expect

from lessons.models import LessonProgress
from progress.services import record_lesson_completion
from tests.browser.conftest import log_in
from tests.factories import make_lesson


def test_admin_edits_and_publishes_learner_sees_it_with_progress_unchanged(
    browser, live_server, learner, admin_user, sample_course
):
    first = sample_course.lessons.get(slug="what-is-a-customer")
    record_lesson_completion(learner, first)
    draft = make_lesson(
        sample_course,
        8,
        slug="handling-complaints",
        title="Complaints",
        body_markdown="Draft text.",
        published_at=None,
    )

    admin = browser.new_context().new_page()
    log_in(admin, live_server, admin_user.username)
    admin.goto(f"{live_server.url}/admin/lessons/lesson/{first.pk}/change/")
    admin.get_by_label("Title:").fill("What makes someone a customer?")
    admin.get_by_label("Body:").fill("## A new start\n\nEveryone you serve is a **customer**.")
    admin.get_by_role("button", name="Save", exact=True).click()
    expect(admin.locator(".messagelist")).to_contain_text("was changed successfully")

    admin.goto(f"{live_server.url}/admin/lessons/lesson/{draft.pk}/change/")
    admin.get_by_label("Title:").fill("Handling complaints")
    admin.get_by_role("button", name="Save", exact=True).click()
    admin.goto(f"{live_server.url}/admin/lessons/lesson/?state=draft")
    admin.get_by_role("checkbox", name=re.compile("Select this object")).first.check()
    admin.locator("select[name=action]").select_option("publish")
    admin.get_by_role("button", name="Go").click()
    expect(admin.locator(".messagelist")).to_contain_text("Published 1.")

    page = browser.new_context().new_page()
    log_in(page, live_server, learner.username)
    page.goto(live_server.url + first.get_absolute_url())
    expect(page.get_by_role("heading", level=1)).to_have_text("What makes someone a customer?")
    expect(page.locator(".lesson-body h2")).to_have_text("A new start")
    expect(page.locator("#lesson-status")).to_have_text("Lesson 1 of 8 · Completed")
    # 1 of 8, rounded down; the course's progress, said to be the course's
    expect(page.locator("#course-progress-text")).to_have_text("Course: 1 of 8 lessons · 12%")
    page.goto(live_server.url + draft.get_absolute_url())
    expect(page.get_by_role("heading", level=1)).to_have_text("Handling complaints")
    assert LessonProgress.objects.get(learner=learner, lesson=first).state == "completed"
