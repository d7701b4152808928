"""Finish the course, get the certificate, verify it signed out; an admin adds a
lesson, and the learner is still Completed everywhere."""

import csv
import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from lessons.models import Certificate
from progress.services import record_lesson_completion
from quizzes.models import Quiz
from tests.browser.conftest import answer_quiz, log_in, start_quiz
from tests.factories import take_quiz
from training.models import Team
from training.roles import ensure_trainers_group
from training.services import assign_course


@pytest.fixture
def overdue_assignment(transactional_db, learner, trainer, sample_course):
    trainer.groups.add(ensure_trainers_group())
    team = Team.objects.create(name="Front Desk")
    team.members.add(learner)
    team.trainers.add(trainer)
    assign_course(
        by=trainer,
        course=sample_course,
        team=team,
        due_date=timezone.localdate() - datetime.timedelta(days=2),
    )
    return team


def test_completed_learner_keeps_completion_and_certificate_after_a_lesson_is_added(
    browser, live_server, learner, trainer, admin_user, sample_course, overdue_assignment
):
    for lesson in sample_course.lessons.published():
        quiz = Quiz.objects.filter(lesson=lesson).first()
        if quiz:
            take_quiz(learner, quiz)
        else:
            record_lesson_completion(learner, lesson)

    page = browser.new_context().new_page()
    log_in(page, live_server, learner.username)
    page.goto(live_server.url + sample_course.get_absolute_url())
    page.get_by_role("link", name="Take the final assessment").first.click()
    start_quiz(page)
    answer_quiz(page, Quiz.objects.get(course=sample_course))
    page.get_by_role("button", name="Submit answers").click()
    expect(page.get_by_text("Passed", exact=True)).to_be_visible()
    page.goto(f"{live_server.url}/courses/{sample_course.slug}/complete/")
    page.get_by_role("link", name="View your certificate").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Certificate")
    expect(page.locator("main")).to_contain_text("Alice Learner")
    code = Certificate.objects.get().code
    expect(page.locator("main")).to_contain_text(code)

    auditor = browser.new_context().new_page()  # signed out
    auditor.goto(f"{live_server.url}/verify/{code}/")
    expect(auditor.locator("main")).to_contain_text("Valid")
    expect(auditor.locator("main")).to_contain_text("Alice Learner")
    expect(auditor.locator("main")).not_to_contain_text(learner.email)

    admin = browser.new_context().new_page()
    log_in(admin, live_server, admin_user.username)
    admin.goto(f"{live_server.url}/admin/lessons/lesson/add/")
    admin.get_by_label("Course:").select_option(label=sample_course.title)
    admin.get_by_label("Title:").fill("Customers online")
    admin.get_by_label("Slug:").fill("customers-online")
    admin.get_by_label("Position:").fill("8")
    admin.get_by_label("Body:").fill("## Online\n\nCustomers write too.")
    admin.get_by_role("button", name="Save", exact=True).click()
    admin.goto(f"{live_server.url}/admin/lessons/lesson/?state=draft")
    admin.get_by_role("checkbox", name=re.compile("Select this object")).first.check()
    admin.locator("select[name=action]").select_option("publish")
    admin.get_by_role("button", name="Go").click()
    expect(admin.locator(".messagelist")).to_contain_text("Published 1.")

    page.goto(live_server.url + sample_course.get_absolute_url())
    expect(page.locator("#completed-on")).to_contain_text("Completed on")
    expect(page.locator("#new-lessons")).to_contain_text("1 new lesson since you finished")
    expect(page.locator("main")).not_to_contain_text("Opens when every lesson is complete")
    page.goto(live_server.url + "/")
    card = page.locator("article").filter(has_text=sample_course.title)
    expect(card.locator(".due-label")).to_have_text(re.compile("^Completed on"))

    trainer_page = browser.new_context().new_page()
    log_in(trainer_page, live_server, trainer.username)
    trainer_page.goto(f"{live_server.url}/trainer/?team={overdue_assignment.pk}")
    row = trainer_page.get_by_role("row").filter(has_text="Alice Learner")
    expect(row).to_contain_text("100% Completed")
    expect(row).not_to_contain_text("Overdue")
    expect(trainer_page.locator("#count-overdue")).to_have_text("0")
    with trainer_page.expect_download() as download:
        trainer_page.get_by_role("link", name="Export CSV").click()
    with open(download.value.path(), encoding="utf-8") as exported:
        header, *rows = list(csv.reader(exported))
    assert {row[header.index("overdue")] for row in rows} == {"no"}
    assert all(row[header.index("course completed")] for row in rows)
    assert all(code in row[header.index("certificate")] for row in rows)

    auditor.goto(f"{live_server.url}/verify/{code}/")
    expect(auditor.locator("main")).to_contain_text("Valid")
