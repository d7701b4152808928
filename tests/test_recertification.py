"""Certificates that expire and assignments that come back (training.recertification,
compliance.scheduling): the validity rule, what a completion records, renewals opened
by run_scheduled, early renewals extending from the old expiry, lapses told to
trainers, and the certificate pages. Time is moved with time-machine; nothing sleeps."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from compliance.models import ScheduleLock
from compliance.scheduling import AlreadyRunning, run_scheduled, take_lease
from lessons.models import LessonProgress
from tests.factories import finish_course as finish
from tests.factories import make_course, make_user
from tests.factories import on_day as at
from training.assignments import assigned_courses
from training.models import Assignment, LapseNotice, Recurrence, Renewal
from training.recertification import Validity, valid_until

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def yearly_course(db):
    course = make_course(lessons=2, slug="data-protection", title="Data protection")
    course.valid_for_months = 12
    course.save()
    return course


def recurring(course, learner, **fields) -> Assignment:
    fields.setdefault("recurrence", Recurrence.AFTER_COMPLETION)
    return Assignment.objects.create(course=course, learner=learner, **fields)


# The rule ---------------------------------------------------------------------------


def test_months_count_from_the_completion_day():
    assert valid_until(Validity(months=12), D(2026, 3, 15)) == D(2027, 3, 15)


def test_calendar_months_end_on_the_last_day_of_a_short_month():
    assert valid_until(Validity(months=1), D(2027, 1, 31)) == D(2027, 2, 28)


def test_no_validity_never_expires():
    assert valid_until(Validity(), D(2026, 3, 15)) is None


def test_an_early_renewal_counts_from_the_old_expiry():
    assert valid_until(Validity(months=12), D(2027, 3, 1), renewed_until=D(2027, 3, 15)) == D(
        2028, 3, 15
    )


def test_a_late_renewal_counts_from_the_day_it_is_done():
    assert valid_until(Validity(months=12), D(2027, 4, 1), renewed_until=D(2027, 3, 15)) == D(
        2028, 4, 1
    )


def test_extending_from_the_old_expiry_can_be_switched_off():
    validity = Validity(months=12, extend_from_expiry=False)
    assert valid_until(validity, D(2027, 3, 1), renewed_until=D(2027, 3, 15)) == D(2028, 3, 1)


def test_yearly_by_a_date_counts_until_that_date_a_year_after_the_cycle():
    validity = Validity(yearly_by=(3, 31))
    assert valid_until(validity, D(2027, 2, 10), cycle_due=D(2027, 3, 31)) == D(2028, 3, 31)
    assert valid_until(validity, D(2027, 4, 2), cycle_due=D(2027, 3, 31)) == D(2028, 3, 31)


def test_yearly_without_a_due_date_uses_the_next_such_date():
    assert valid_until(Validity(yearly_by=(3, 31)), D(2027, 2, 10)) == D(2028, 3, 31)


def test_yearly_on_29_february_falls_on_the_28th_in_other_years():
    assert valid_until(Validity(yearly_by=(2, 29)), D(2027, 1, 5)) == D(2028, 2, 29)
    assert valid_until(Validity(yearly_by=(2, 29)), D(2028, 1, 5)) == D(2029, 2, 28)


# What a completion records ------------------------------------------------------------


def test_a_completion_of_a_course_valid_12_months_records_its_last_day(learner, yearly_course):
    with at(D(2026, 3, 15)):
        completion = finish(learner, yearly_course)
    assert completion.valid_until == D(2027, 3, 15)


def test_a_course_without_validity_records_none(learner, course):
    completion = finish(learner, course)
    assert completion.valid_until is None


def test_the_assignment_overrides_the_course(learner, yearly_course):
    recurring(yearly_course, learner, valid_for_months=24)
    with at(D(2026, 3, 15)):
        completion = finish(learner, yearly_course)
    assert completion.valid_until == D(2028, 3, 15)


def test_a_yearly_assignment_counts_until_its_date_the_year_after(learner, yearly_course):
    recurring(
        yearly_course,
        learner,
        recurrence=Recurrence.YEARLY,
        renew_by_month=3,
        renew_by_day=31,
        due_date=D(2027, 3, 31),
    )
    with at(D(2027, 2, 1)):
        completion = finish(learner, yearly_course)
    assert completion.valid_until == D(2028, 3, 31)


# Renewals ----------------------------------------------------------------------------


def test_nothing_is_renewed_before_the_window(learner, yearly_course):
    recurring(yearly_course, learner)
    with at(D(2026, 3, 15)):
        finish(learner, yearly_course)
    with at(D(2027, 2, 12)):
        run_scheduled()
    assert not Renewal.objects.exists()


def test_a_renewal_opens_30_days_before_expiry_due_on_the_last_day(learner, yearly_course):
    assignment = recurring(yearly_course, learner)
    with at(D(2026, 3, 15)):
        completion = finish(learner, yearly_course)
    with at(D(2027, 2, 13)):
        report = run_scheduled()
    renewal = Renewal.objects.get()
    assert report.renewals == 1
    assert (renewal.assignment, renewal.learner, renewal.renews) == (
        assignment,
        learner,
        completion,
    )
    assert renewal.due_date == D(2027, 3, 15)


def test_the_window_is_the_assignments(learner, yearly_course):
    recurring(yearly_course, learner, renew_window_days=60)
    with at(D(2026, 3, 15)):
        finish(learner, yearly_course)
    with at(D(2027, 1, 14)):
        run_scheduled()
    assert Renewal.objects.get().due_date == D(2027, 3, 15)


def test_a_renewal_starts_the_course_at_zero_and_keeps_the_old_records(learner, yearly_course):
    recurring(yearly_course, learner)
    with at(D(2026, 3, 15)):
        completion = finish(learner, yearly_course)
    with at(D(2027, 2, 13)):
        run_scheduled()
        [item] = assigned_courses(learner)
    completion.refresh_from_db()
    assert (item.percent, item.is_complete, item.due_date) == (0, False, D(2027, 3, 15))
    assert completion.superseded_at is not None  # kept, no longer the current run
    assert LessonProgress.all_runs.filter(learner=learner, archived_in=completion).count() == 2
    assert not LessonProgress.objects.filter(learner=learner).exists()


def test_the_old_certificate_stays_valid_until_its_end(learner, yearly_course):
    recurring(yearly_course, learner)
    with at(D(2026, 3, 15)):
        certificate = finish(learner, yearly_course).certificate
    with at(D(2027, 2, 13)):
        run_scheduled()
        certificate.refresh_from_db()
        assert certificate.is_valid
    with at(D(2027, 3, 16)):
        assert certificate.is_expired and certificate.expired_on == D(2027, 3, 16)


def test_a_second_run_opens_nothing_and_emails_nothing(mailoutbox, learner, yearly_course):
    recurring(yearly_course, learner)
    with at(D(2026, 3, 15)):
        finish(learner, yearly_course)
    with at(D(2027, 2, 13)):
        run_scheduled()
        sent = len(mailoutbox)
        report = run_scheduled()
    assert report.renewals == 0 and len(mailoutbox) == sent
    assert Renewal.objects.count() == 1


def test_the_learner_is_emailed_once_when_the_renewal_opens(mailoutbox, learner, yearly_course):
    recurring(yearly_course, learner)
    with at(D(2026, 3, 15)):
        finish(learner, yearly_course)
    with at(D(2027, 2, 13)):
        run_scheduled()
    [email] = [e for e in mailoutbox if e.subject.startswith("Time to renew")]
    assert email.subject == "Time to renew: Data protection"
    assert "valid until 15 Mar 2027" in email.body
    assert "again by 15 Mar 2027" in email.body


def test_renewing_early_extends_from_the_old_expiry(learner, yearly_course):
    recurring(yearly_course, learner)
    with at(D(2026, 3, 15)):
        finish(learner, yearly_course)
    with at(D(2027, 2, 13)):
        run_scheduled()
    with at(D(2027, 2, 20)):
        renewed = finish(learner, yearly_course)
        [item] = assigned_courses(learner)
    assert renewed.run == 2 and renewed.valid_until == D(2028, 3, 15)
    assert item.is_complete


def test_renewing_late_counts_from_the_day_it_is_done(learner, yearly_course):
    recurring(yearly_course, learner)
    with at(D(2026, 3, 15)):
        finish(learner, yearly_course)
    with at(D(2027, 2, 13)):
        run_scheduled()
    with at(D(2027, 4, 1)):
        assert assigned_courses(learner)[0].is_overdue
        renewed = finish(learner, yearly_course)
    assert renewed.valid_until == D(2028, 4, 1)


def test_a_team_assignment_renews_each_member_on_their_own_date(
    learner, second_learner, team, trainer, yearly_course
):
    team.members.add(second_learner)
    Assignment.objects.create(
        course=yearly_course, team=team, recurrence=Recurrence.AFTER_COMPLETION
    )
    with at(D(2026, 3, 15)):
        finish(learner, yearly_course)
    with at(D(2026, 5, 1)):
        finish(second_learner, yearly_course)
    with at(D(2027, 2, 13)):
        run_scheduled()
    assert list(Renewal.objects.values_list("learner__username", "due_date")) == [
        ("alice", D(2027, 3, 15))
    ]


def test_a_once_assignment_is_never_renewed(learner, yearly_course):
    Assignment.objects.create(course=yearly_course, learner=learner)
    with at(D(2026, 3, 15)):
        finish(learner, yearly_course)
    with at(D(2027, 3, 1)):
        run_scheduled()
    assert not Renewal.objects.exists()


# Lapses ------------------------------------------------------------------------------


def test_a_trainer_is_told_once_when_a_completion_lapses(
    mailoutbox, learner, team, trainer, yearly_course
):
    Assignment.objects.create(
        course=yearly_course, team=team, recurrence=Recurrence.AFTER_COMPLETION
    )
    with at(D(2026, 3, 15)):
        finish(learner, yearly_course)
    for day in (D(2027, 2, 13), D(2027, 3, 15), D(2027, 3, 16), D(2027, 3, 17)):
        with at(day):
            run_scheduled()
    told = [e for e in mailoutbox if e.to == ["tara@example.com"] and "expired" in e.subject]
    assert len(told) == 1
    assert told[0].subject == "1 completion expired"
    assert "Alice Learner · Data protection · expired on 16 Mar 2027" in told[0].body
    assert LapseNotice.objects.count() == 1


def test_a_renewed_completion_does_not_lapse(mailoutbox, learner, team, trainer, yearly_course):
    Assignment.objects.create(
        course=yearly_course, team=team, recurrence=Recurrence.AFTER_COMPLETION
    )
    with at(D(2026, 3, 15)):
        finish(learner, yearly_course)
    with at(D(2027, 2, 13)):
        run_scheduled()
    with at(D(2027, 3, 1)):
        finish(learner, yearly_course)
    with at(D(2027, 3, 20)):
        run_scheduled()
    assert not LapseNotice.objects.exists()


# The lease ---------------------------------------------------------------------------


def test_a_second_run_while_one_holds_the_lease_exits(learner):
    assert take_lease("someone else")
    with pytest.raises(AlreadyRunning):
        run_scheduled()


def test_a_lapsed_lease_is_taken_over(learner):
    with at(D(2027, 1, 1)):
        assert take_lease("killed run")
    with at(D(2027, 1, 2)):
        run_scheduled()  # no AlreadyRunning
    assert ScheduleLock.objects.get().holder == ""


def test_the_command_says_when_another_run_holds_the_lease(learner):
    take_lease("someone else")
    out = StringIO()
    call_command("run_scheduled", stdout=out)
    assert out.getvalue() == "run_scheduled is already running (another process holds its lease).\n"


# The certificate pages -----------------------------------------------------------------


def test_the_certificate_page_says_valid_until(learner_client, learner, yearly_course):
    with at(D(2026, 3, 15)):
        certificate = finish(learner, yearly_course).certificate
    with at(D(2026, 4, 1)):
        page = learner_client.get(certificate.get_absolute_url()).content.decode()
    assert "Valid until 15 Mar 2027" in page
    assert "Expired" not in page


def test_the_certificate_page_says_expired(learner_client, learner, yearly_course):
    with at(D(2026, 3, 15)):
        certificate = finish(learner, yearly_course).certificate
    with at(D(2027, 3, 16)):
        learner_client.force_login(learner)  # a year later: signed in again
        page = learner_client.get(certificate.get_absolute_url()).content.decode()
    assert "Expired on 16 Mar 2027: this certificate is no longer valid." in page


def test_the_public_check_says_expired_and_until_when(client, learner, yearly_course):
    with at(D(2026, 3, 15)):
        certificate = finish(learner, yearly_course).certificate
    with at(D(2027, 3, 16)):
        page = client.get(reverse("verify_certificate", args=[certificate.code])).content.decode()
    assert "This certificate expired on 16 Mar 2027" in page
    assert "15 Mar 2027" in page  # valid until


def test_the_pdf_says_valid_until(client, learner, yearly_course):
    from pypdf import PdfReader

    from lessons.certificates import certificate_pdf

    with at(D(2026, 3, 15)):
        certificate = finish(learner, yearly_course).certificate
    with at(D(2026, 4, 1)):
        pdf = certificate_pdf(certificate)
    import io

    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Valid until 15 Mar 2027" in " ".join(text.split())


def test_a_certificate_without_validity_says_nothing_of_it(learner_client, learner, course):
    certificate = finish(learner, course).certificate
    page = learner_client.get(certificate.get_absolute_url()).content.decode()
    assert "Valid until" not in page and certificate.is_valid


def test_a_learner_who_is_not_assigned_gets_the_courses_validity(learner, yearly_course):
    with at(D(2026, 3, 15)):
        completion = finish(learner, yearly_course)
    assert completion.valid_until == D(2027, 3, 15)
    assert not make_user("nobody").course_completions.exists()


# Making a recurring assignment -----------------------------------------------------------


def test_the_trainer_assigns_a_course_that_comes_back(client, trainer, team, yearly_course):
    client.force_login(trainer)
    url = reverse("training:assign", args=[yearly_course.slug])
    assert 'value="after_completion" selected' in client.get(url).content.decode()
    response = client.post(
        url,
        {
            "team": team.pk,
            "recurrence": "after_completion",
            "valid_for_months": "24",
            "renew_window_days": "45",
        },
    )
    assert response.status_code == 302
    assignment = Assignment.objects.get()
    assert (assignment.recurrence, assignment.valid_for_months, assignment.renew_window_days) == (
        "after_completion",
        24,
        45,
    )


def test_every_year_by_a_date_takes_its_day_and_month(client, trainer, team, yearly_course):
    client.force_login(trainer)
    client.post(
        reverse("training:assign", args=[yearly_course.slug]),
        {
            "team": team.pk,
            "recurrence": "yearly",
            "renew_by": "31/03/2027",
            "renew_window_days": "30",
        },
    )
    assignment = Assignment.objects.get()
    assert (assignment.renew_by_month, assignment.renew_by_day) == (3, 31)


def test_a_course_that_never_expires_cannot_come_back_without_a_validity(
    client, trainer, team, course
):
    client.force_login(trainer)
    response = client.post(
        reverse("training:assign", args=[course.slug]),
        {"team": team.pk, "recurrence": "after_completion", "renew_window_days": "30"},
    )
    assert response.status_code == 200
    assert "does not expire: say how many months a completion counts" in response.content.decode()
    assert not Assignment.objects.exists()


def test_a_recurring_assignment_is_for_the_whole_course(trainer, team, yearly_course):
    from training.recertification import RenewalRule
    from training.services import AssignmentError, assign_course

    with pytest.raises(AssignmentError, match="whole course"):
        assign_course(
            by=trainer,
            course=yearly_course,
            team=team,
            lessons=[yearly_course.lessons.first()],
            renewal=RenewalRule(recurrence=Recurrence.AFTER_COMPLETION),
        )


def test_yearly_needs_a_date(trainer, team, yearly_course):
    from training.recertification import RenewalRule
    from training.services import AssignmentError, assign_course

    with pytest.raises(AssignmentError, match="by which date"):
        assign_course(
            by=trainer,
            course=yearly_course,
            team=team,
            renewal=RenewalRule(recurrence=Recurrence.YEARLY),
        )


def test_the_admin_adds_a_recurring_assignment_through_the_use_case(
    client, admin_user, team, yearly_course
):
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:training_assignment_add"),
        {
            "course": yearly_course.pk,
            "team": team.pk,
            "recurrence": "yearly",
            "renew_by_month": "3",
            "renew_by_day": "31",
            "renew_window_days": "30",
            "extend_from_expiry": "on",
        },
    )
    assert response.status_code == 302
    assignment = Assignment.objects.get()
    assert (assignment.recurrence, assignment.renew_by_month, assignment.assigned_by) == (
        "yearly",
        3,
        admin_user,
    )


def test_the_admin_refuses_a_yearly_assignment_without_a_date(
    client, admin_user, team, yearly_course
):
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:training_assignment_add"),
        {
            "course": yearly_course.pk,
            "team": team.pk,
            "recurrence": "yearly",
            "renew_window_days": "30",
        },
    )
    assert (
        response.status_code == 200 and "Say by which date each year." in response.content.decode()
    )
    assert not Assignment.objects.exists()
