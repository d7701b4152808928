"""The send_reminders command (training/reminders.py, also run by run_scheduled): who
is reminded of what; each step of the schedule (30, 7, 1 days before, then weekly
overdue) once, one email a day at most."""

import datetime
from io import StringIO

import pytest
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from progress.services import record_lesson_completion
from tests.factories import make_course, make_user
from training import reminders
from training.models import Assignment, ReminderSent
from training.services import assign_course

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 12, 1)


def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


def run(*args: str, on: datetime.date = TODAY) -> str:
    """Run the command as cron would, as of ``on``; return what it printed."""
    out = StringIO()
    call_command("send_reminders", f"--date={on:%Y-%m-%d}", *args, stdout=out)
    return out.getvalue()


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = "https://learn.example.com"


def status_line(email) -> str:
    """The first course's line of due state, state and lessons done."""
    return next(line.strip() for line in email.body.splitlines() if " · " in line)


def assign(learner, course, due_date):
    return Assignment.objects.create(course=course, learner=learner, due_date=due_date)


def test_assignment_due_within_three_days_gets_an_email(mailoutbox, learner, course):
    assign(learner, course, days(3))
    output = run()
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["alice@example.com"]
    assert email.subject == "1 course waiting for you"
    assert email.body.startswith("Hello Alice,\n")
    assert f"\n{course.title}\n  Due in 3 days · Not started · 0 of 3 lessons done\n" in email.body
    assert f"Reminded alice <alice@example.com>: {course.title}\n" in output
    assert output.endswith("Sent 1 reminder (0 already sent today, 0 without an email address).\n")


def test_assignment_due_in_31_days_gets_no_email(mailoutbox, learner, course):
    assign(learner, course, days(31))
    output = run()
    assert mailoutbox == []
    assert ReminderSent.objects.count() == 0
    assert "Sent 0 reminders" in output


def test_assignment_due_in_30_days_gets_the_first_step(mailoutbox, learner, course):
    assign(learner, course, days(30))
    run()
    assert len(mailoutbox) == 1
    assert "Due in 30 days" in mailoutbox[0].body


def test_days_option_replaces_the_steps(mailoutbox, learner, course):
    assign(learner, course, days(4))
    run("--days", "3")
    assert mailoutbox == []
    run("--days", "7")
    assert len(mailoutbox) == 1
    assert "Due in 4 days" in mailoutbox[0].body


def test_overdue_assignment_gets_an_email(mailoutbox, learner, course):
    assign(learner, course, days(-2))
    run()
    assert len(mailoutbox) == 1
    assert (
        f"{course.title}\n  Overdue by 2 days · Not started · 0 of 3 lessons done\n"
        in mailoutbox[0].body
    )


def test_completed_assignment_is_not_listed(mailoutbox, learner, course):
    done = make_course(lessons=2, title="Finished course")
    assign(learner, course, days(1))
    assign(learner, done, days(-1))
    for lesson in done.lessons.all():
        record_lesson_completion(learner, lesson)
    run()
    assert mailoutbox[0].subject == "1 course waiting for you"
    assert "Finished course" not in mailoutbox[0].body
    assert f"{course.title}\n  Due tomorrow" in mailoutbox[0].body


def test_completed_only_assignment_sends_nothing(mailoutbox, learner, course):
    assign(learner, course, days(-1))
    for lesson in course.lessons.all():
        record_lesson_completion(learner, lesson)
    run()
    assert mailoutbox == []


def test_progress_counts_completed_lessons(mailoutbox, learner, course):
    assign(learner, course, TODAY)
    record_lesson_completion(learner, course.lessons.first())
    run()
    assert (
        f"{course.title}\n  Due today · In Progress · 1 of 3 lessons done\n" in mailoutbox[0].body
    )


def test_assignment_without_due_date_is_not_listed(mailoutbox, learner, course):
    assign(learner, course, None)
    run("--days", "365")
    assert mailoutbox == []
    assert ReminderSent.objects.count() == 0


def test_assignment_without_due_date_is_left_out_of_another_reminder(mailoutbox, learner, course):
    assign(learner, make_course(lessons=1, title="Someday course"), None)
    assign(learner, course, days(1))
    run()
    assert mailoutbox[0].subject == "1 course waiting for you"
    assert "Someday course" not in mailoutbox[0].body


def test_one_email_lists_team_and_individual_assignments(
    mailoutbox, admin_user, team, learner, course
):
    individual = make_course(lessons=2, title="Individual course")
    team_course = make_course(lessons=3, title="Team course")
    assign_course(by=admin_user, course=team_course, team=team, due_date=days(2))
    assign_course(by=admin_user, course=individual, learners=[learner], due_date=days(-1))
    run()
    assert len(mailoutbox) == 1
    body = mailoutbox[0].body
    assert mailoutbox[0].subject == "2 courses waiting for you"
    assert "These 2 courses are waiting for you:" in body
    # Soonest due (here: overdue) first.
    assert body.index(
        "Individual course\n  Overdue by 1 day · Not started · 0 of 2 lessons done"
    ) < body.index("Team course\n  Due in 2 days · Not started · 0 of 3 lessons done")


def test_learner_removed_from_team_gets_nothing(mailoutbox, admin_user, team, learner, course):
    assign_course(by=admin_user, course=course, team=team, due_date=days(1))
    team.members.remove(learner)
    run()
    assert mailoutbox == []


def test_team_members_each_get_their_own_email(mailoutbox, admin_user, team, learner, course):
    team.members.add(make_user("carl", first_name="Carl"))
    assign_course(by=admin_user, course=course, team=team, due_date=days(1))
    run()
    assert sorted(email.to[0] for email in mailoutbox) == ["alice@example.com", "carl@example.com"]


def test_running_twice_the_same_day_sends_nothing_new(mailoutbox, learner, course):
    assign(learner, course, days(1))
    run()
    output = run()
    assert len(mailoutbox) == 1
    assert output == "Sent 0 reminders (0 already sent today, 0 without an email address).\n"
    record = ReminderSent.objects.get()
    assert (record.learner, record.sent_on) == (learner, TODAY)
    assert record.courses == f"{course.title} (Due tomorrow)"


def test_a_second_run_the_same_day_does_no_work_per_learner(
    mailoutbox, django_assert_max_num_queries, learner, course
):
    assign(learner, course, days(1))
    run()
    # The assignments, their lessons, the steps already sent, the completions: a
    # fixed number of queries whatever the number of learners, none per learner.
    with django_assert_max_num_queries(4):
        run()


def test_a_reminder_recorded_by_a_concurrent_run_is_not_sent_again(
    mailoutbox, monkeypatch, learner, course
):
    assign(learner, course, days(1))
    pending_for = reminders.pending_for

    def meanwhile_another_run_sends(learner_ids, today, days):
        ReminderSent.objects.create(learner_id=learner.pk, sent_on=today, courses="(other run)")
        return pending_for(learner_ids, today, days)

    monkeypatch.setattr(reminders, "pending_for", meanwhile_another_run_sends)
    output = run()
    assert mailoutbox == []
    assert ReminderSent.objects.get().courses == "(other run)"
    assert output == "Sent 0 reminders (1 already sent today, 0 without an email address).\n"


def test_the_same_step_the_next_day_sends_nothing(mailoutbox, learner, course):
    assign(learner, course, days(1))
    run()
    run(on=days(1))
    assert len(mailoutbox) == 1


def test_each_step_is_sent_once(mailoutbox, learner, course):
    assign(learner, course, days(30))
    for day in range(0, 31):
        run(on=days(day))
    # 30, 7 and 1 days before; then the first overdue day.
    assert [status_line(email) for email in mailoutbox] == [
        "Due in 30 days · Not started · 0 of 3 lessons done",
        "Due in 7 days · Not started · 0 of 3 lessons done",
        "Due tomorrow · Not started · 0 of 3 lessons done",
    ]
    assert sorted(ReminderSent.objects.values_list("sent_on", flat=True)) == [
        TODAY,
        days(23),
        days(29),
    ]


def test_overdue_is_reminded_weekly(mailoutbox, learner, course):
    assign(learner, course, days(-1))
    for day in range(0, 15):
        run(on=days(day))
    assert [status_line(email).split(" · ")[0] for email in mailoutbox] == [
        "Overdue by 1 day",
        "Overdue by 8 days",
        "Overdue by 15 days",
    ]


def test_a_step_missed_by_a_late_run_is_sent_once_on_the_next_run(mailoutbox, learner, course):
    assign(learner, course, days(10))
    run(on=days(5))  # nobody ran the schedule on days 0-4: the 7-day step now
    run(on=days(6))
    assert len(mailoutbox) == 1
    assert "Due in 5 days" in mailoutbox[0].body


def test_dry_run_sends_and_records_nothing(mailoutbox, learner, course):
    assign(learner, course, days(1))
    output = run("--dry-run")
    assert mailoutbox == []
    assert ReminderSent.objects.count() == 0
    assert f"Would remind alice <alice@example.com>: {course.title}\n" in output
    assert output.endswith(
        "Would send 1 reminder (0 already sent today, 0 without an email address).\n"
    )


def test_links_are_absolute_and_continue_the_course(mailoutbox, learner, course):
    assign(learner, course, days(1))
    run()
    continue_url = reverse("courses:continue", args=[course.slug])
    assert continue_url == f"/courses/{course.slug}/continue/"
    assert f"  https://learn.example.com{continue_url}\n" in mailoutbox[0].body
    my_learning = reverse("courses:my_learning")
    assert f"https://learn.example.com{my_learning}\n" in mailoutbox[0].body


def test_learner_without_email_is_skipped_and_counted(mailoutbox, course):
    nomail = make_user("nomail", email="")
    assign(nomail, course, days(1))
    output = run()
    assert mailoutbox == []
    assert ReminderSent.objects.count() == 0
    assert output == "Sent 0 reminders (0 already sent today, 1 without an email address).\n"


def test_inactive_learner_gets_nothing(mailoutbox, learner, course):
    assign(learner, course, days(1))
    learner.is_active = False
    learner.save()
    run()
    assert mailoutbox == []


def test_greeting_falls_back_to_username(mailoutbox, course):
    assign(make_user("nofirst"), course, days(1))
    run()
    assert mailoutbox[0].body.startswith("Hello nofirst,\n")


def test_course_title_is_not_html_escaped(mailoutbox, learner):
    assign(learner, make_course(lessons=1, title="Q&A <basics>"), days(1))
    run()
    assert "\nQ&A <basics>\n" in mailoutbox[0].body


def test_failed_send_records_nothing_so_a_later_run_retries(
    mailoutbox, monkeypatch, learner, course
):
    assign(learner, course, days(1))

    def refuse(self, messages):
        raise ConnectionRefusedError("mail server down")

    with monkeypatch.context() as patch:
        patch.setattr(EmailBackend, "send_messages", refuse)
        with pytest.raises(CommandError, match=r"1 reminder could not be sent \(alice\)"):
            run()
    assert ReminderSent.objects.count() == 0
    run()
    assert len(mailoutbox) == 1
    assert ReminderSent.objects.count() == 1


def test_today_defaults_to_the_local_date(mailoutbox, learner, course):
    assign(learner, course, timezone.localdate())
    call_command("send_reminders", stdout=StringIO())
    assert "Due today" in mailoutbox[0].body
    assert ReminderSent.objects.get().sent_on == timezone.localdate()


@pytest.mark.parametrize("value", ["2026-13-01", "tomorrow", "1/12/2026", ""])
def test_bad_date_is_refused(value):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("send_reminders", f"--date={value}", stdout=StringIO())


def test_negative_days_is_refused():
    with pytest.raises(CommandError, match="--days must be 0 or more"):
        call_command("send_reminders", "--days=-1", stdout=StringIO())
