"""Two years of run_scheduled for 1,000 learners, the clock moved a day at a time
(time-machine; nothing sleeps), checking that each learner got each email exactly once.

A yearly course (valid 12 months) is assigned to one team, recurring after
completion, due in 30 days. Four kinds of learner, 250 of each:

- ``prompt``: finishes 10 days after each cycle opens (extends from the old expiry);
- ``late``: finishes 5 days after each due date (overdue, lapses for a few days);
- ``lapser``: finishes the first cycle on day 3, never renews;
- ``never``: never finishes.

The expected emails are worked out here from the schedule, day by day, independently
of what the app recorded: the reminder steps (30, 7, 1 days before the due date, then
weekly overdue) a learner reaches while not finished, at most one email a day; one
"time to renew" per cycle opened; one line per lapsed completion to the trainer.
run_scheduled runs every day, and twice on every tenth day.
"""

import datetime
from collections import Counter, defaultdict

import pytest
import time_machine
from django.core import mail

from compliance.scheduling import run_scheduled
from progress.services import record_lesson_completion
from tests.factories import make_course, make_user
from training.models import Assignment, Recurrence, Team
from training.recertification import Validity, valid_until
from training.reminders import Schedule, reminder_step
from training.roles import ensure_trainers_group

pytestmark = pytest.mark.django_db

START = datetime.date(2027, 1, 4)
DAYS = 730
PEOPLE = 1000
KINDS = ("prompt", "late", "lapser", "never")
EACH = PEOPLE // len(KINDS)
WINDOW = 30


def clock(day: datetime.date):
    return time_machine.travel(datetime.datetime(day.year, day.month, day.day, 6, 0), tick=False)


class Person:
    """One learner's cycles as the schedule says they go, worked out day by day."""

    def __init__(self, user, kind: str):
        self.user, self.kind = user, kind
        self.cycle = 1
        self.opened = START
        self.due = START + datetime.timedelta(days=30)
        self.finished_on: datetime.date | None = None
        self.valid_until: datetime.date | None = None
        self.seen_steps: set = set()
        self.expected: Counter = Counter()  # (day, what)
        self.emailed_today: set = set()

    def finish_day(self) -> datetime.date | None:
        if self.finished_on is not None:
            return None
        if self.kind == "prompt":
            return self.opened + datetime.timedelta(days=10)
        if self.kind == "late":
            return self.due + datetime.timedelta(days=5)
        if self.kind == "lapser" and self.cycle == 1:
            return START + datetime.timedelta(days=3)
        return None

    def expect_run(self, day: datetime.date, schedule: Schedule) -> None:
        """What one day's run owes this learner (runs come before the day's work)."""
        if (
            self.valid_until
            and self.finished_on
            and day >= self.valid_until - datetime.timedelta(days=WINDOW)
        ):
            # The next cycle opens; the old completion stays valid until its end.
            self.cycle += 1
            self.opened, self.due = day, self.valid_until
            self.renewed_until, self.finished_on = self.valid_until, None
            self.expected[(day, "renewal")] += 1
        if self.finished_on is None:
            step = reminder_step(self.due, day, schedule)
            if step and (self.due, step) not in self.seen_steps and day not in self.emailed_today:
                self.seen_steps.add((self.due, step))
                self.emailed_today.add(day)
                self.expected[(day, "reminder")] += 1

    def finish(self, day: datetime.date) -> None:
        renewed_until = self.valid_until if self.cycle > 1 else None
        self.finished_on = day
        self.valid_until = valid_until(Validity(months=12), day, renewed_until=renewed_until)


@pytest.fixture
def world(db):
    course = make_course(lessons=1, slug="safety", title="Safety")
    course.valid_for_months = 12
    course.save()
    trainer = make_user("tara", first_name="Tara")
    trainer.groups.add(ensure_trainers_group())
    team = Team.objects.create(name="Everyone")
    team.trainers.add(trainer)
    people = []
    for i in range(PEOPLE):
        user = make_user(f"p{i:04d}", first_name=f"P{i:04d}")
        people.append(Person(user, KINDS[i % len(KINDS)]))
    team.members.add(*[p.user for p in people])
    with clock(START - datetime.timedelta(days=1)):
        Assignment.objects.create(
            course=course,
            team=team,
            due_date=START + datetime.timedelta(days=30),
            recurrence=Recurrence.AFTER_COMPLETION,
        )
    return course, trainer, people


def read_outbox(trainer, got: dict, lapses: Counter, day: datetime.date) -> None:
    """Sort today's emails: the trainer's lapse lines and digests, each learner's by kind."""
    for email in mail.outbox:
        if email.to == [trainer.email]:
            if email.subject.startswith("Compliance this week"):
                got["digests"][day - datetime.timedelta(days=day.weekday())] += 1
                continue
            for line in email.body.splitlines():
                if " · Safety · expired on " in line:
                    lapses[line] += 1
            continue
        kind = "renewal" if email.subject.startswith("Time to renew") else "reminder"
        got[email.to[0]][(day, kind)] += 1
    mail.outbox.clear()


def live_one_day(people: list[Person], day: datetime.date, schedule: Schedule, lapsed: set):
    """What the schedule owes each learner today, and who has lapsed."""
    for person in people:
        person.expect_run(day, schedule)
        if person.valid_until is not None and person.valid_until < day and not person.finished_on:
            lapsed.add((person.user.username, person.valid_until))


def test_two_years_each_email_exactly_once(world, settings):
    settings.REMINDER_DAYS_BEFORE = [30, 7, 1]
    settings.REMINDER_OVERDUE_EVERY_DAYS = 7
    course, trainer, people = world
    lesson = course.lessons.get()
    schedule = Schedule((30, 7, 1), 7)
    got: dict[str, Counter] = defaultdict(Counter)
    lapses: Counter = Counter()
    expected_lapses: set = set()
    mail.outbox.clear()
    for offset in range(DAYS):
        day = START + datetime.timedelta(days=offset)
        with clock(day):
            live_one_day(people, day, schedule, expected_lapses)
            for _ in range(2 if offset % 10 == 0 else 1):  # every tenth day twice
                run_scheduled(day)
            read_outbox(trainer, got, lapses, day)
            for person in people:
                if person.finish_day() == day:
                    record_lesson_completion(person.user, lesson)
                    person.finish(day)
    for person in people:
        assert got[person.user.email] == person.expected, (person.kind, person.user.username)
    # The trainer's weekly digest: every week, once (on Mondays, the default).
    assert set(got["digests"].values()) == {1}
    assert len(got["digests"]) == len(
        {
            START
            + datetime.timedelta(days=n)
            - datetime.timedelta(days=(START + datetime.timedelta(days=n)).weekday())
            for n in range(DAYS)
        }
    )
    assert set(lapses.values()) == {1}
    assert len(lapses) == len(expected_lapses)
    # The four kinds got what their story says, so the checks above were not empty.
    totals: dict[str, Counter] = {kind: Counter() for kind in KINDS}
    for person in people:
        for (_, what), n in person.expected.items():
            totals[person.kind][what] += n
    assert totals["never"]["renewal"] == 0 and totals["never"]["reminder"] == EACH * (3 + 100)
    assert totals["prompt"]["renewal"] == EACH * 2
    assert totals["late"]["renewal"] == EACH
    assert totals["lapser"]["renewal"] == EACH
    # Late learners lapse for a few days each cycle, lapsers once: each told once.
    assert len(expected_lapses) == EACH + EACH
