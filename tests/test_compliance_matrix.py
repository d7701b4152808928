"""The compliance matrix (compliance/matrix.py, compliance/views.py): the cell rule,
the page a trainer and an admin see, "as of" a past day, filters, sorting, pages,
the CSV and XLSX exports, exemptions, bad input, and the page's query count."""

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from compliance.matrix import Cell, CellState, Record, cell_state
from compliance.models import Exemption
from compliance.services import ExemptionError, grant_exemption
from lessons.models import CourseCompletion
from tests.factories import finish_course as finish
from tests.factories import make_course, make_user
from tests.factories import on_day as at
from training.models import Assignment, Recurrence

pytestmark = pytest.mark.django_db
D = datetime.date
TODAY = D(2027, 6, 1)
URL = reverse("compliance:matrix")


@pytest.fixture(autouse=True)
def today():
    with at(TODAY):
        yield


@pytest.fixture
def safety(db):
    course = make_course(lessons=1, slug="safety", title="Safety")
    course.valid_for_months = 12
    course.save()
    return course


@pytest.fixture
def trainer_client(client, trainer, team):
    client.force_login(trainer)
    return client


def page(client, **params) -> str:
    response = client.get(URL, params)
    assert response.status_code == 200
    return response.content.decode()


def cells_of(client, **params) -> dict[str, list[str]]:
    """{learner name: the text of each cell}, from the page."""
    import re

    html = page(client, **params)
    rows = re.findall(r'<tr>\s*<th scope="row".*?</tr>', html, re.S)
    found = {}
    for row in rows:
        name = re.search(r'<a href="[^"]+">([^<]+)</a>', row)[1]
        cells = re.findall(r"<td [^>]*>(.*?)</td>", row, re.S)
        found[name] = [" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in cells]
    return found


# The rule --------------------------------------------------------------------------------


def test_a_valid_completion_is_compliant_until_its_last_day():
    record = Record(assigned=True, completed=True, valid_until=D(2027, 6, 1))
    assert cell_state(record, D(2027, 6, 1)) == Cell(CellState.COMPLIANT, D(2027, 6, 1))


def test_a_completion_past_its_last_day_is_expired_from_the_next_day():
    record = Record(assigned=True, completed=True, valid_until=D(2027, 5, 31))
    assert cell_state(record, D(2027, 6, 1)) == Cell(CellState.EXPIRED, D(2027, 6, 1))


def test_a_completion_that_never_expires_is_compliant_for_good():
    assert cell_state(Record(completed=True), TODAY) == Cell(CellState.COMPLIANT, None)


def test_assigned_and_not_done_is_due_by_the_due_date():
    assert cell_state(Record(assigned=True, due_date=TODAY), TODAY) == Cell(CellState.DUE, TODAY)


def test_past_the_due_date_is_overdue():
    record = Record(assigned=True, due_date=D(2027, 5, 1))
    assert cell_state(record, TODAY) == Cell(CellState.OVERDUE, D(2027, 5, 1))


def test_an_exemption_wins_over_everything():
    record = Record(
        assigned=True, due_date=D(2027, 5, 1), exempt=True, exempt_until=D(2027, 12, 31)
    )
    assert cell_state(record, TODAY) == Cell(CellState.EXEMPT, D(2027, 12, 31))


def test_not_assigned_and_not_done_is_not_assigned():
    assert cell_state(Record(), TODAY).state == CellState.NOT_ASSIGNED


def test_an_expired_completion_of_a_course_no_longer_assigned_is_not_assigned():
    record = Record(completed=True, valid_until=D(2027, 1, 1))
    assert cell_state(record, TODAY).state == CellState.NOT_ASSIGNED


# The page ----------------------------------------------------------------------------------


def test_each_state_on_the_page(trainer_client, learner, second_learner, team, safety):
    team.members.add(second_learner)
    carl = make_user("carl", first_name="Carl", last_name="Learner")
    team.members.add(carl)
    Assignment.objects.create(course=safety, team=team, due_date=D(2027, 5, 1))
    with at(D(2027, 3, 10)):
        finish(learner, safety)
    with at(D(2026, 3, 10)):
        finish(carl, safety)
    cells = cells_of(trainer_client)
    assert cells["Alice Learner"] == ["Compliant until 10/03/2028"]
    assert cells["Bob Learner"] == ["Overdue since 01/05/2027 Exempt Bob Learner: Safety"]
    assert cells["Carl Learner"] == ["Expired since 11/03/2027 Exempt Carl Learner: Safety"]


def test_a_learner_gets_no_matrix(client, learner):
    client.force_login(learner)
    assert client.get(URL).status_code == 404


def test_a_trainer_sees_only_their_people(trainer_client, learner, other_team, safety, team):
    Assignment.objects.create(course=safety, team=team)
    Assignment.objects.create(course=safety, team=other_team)
    assert list(cells_of(trainer_client)) == ["Alice Learner"]


def test_an_admin_sees_everyone(client, admin_user, learner, second_learner, safety):
    Assignment.objects.create(course=safety, learner=learner)
    client.force_login(admin_user)
    assert {"Alice Learner", "Bob Learner"} <= set(cells_of(client))


def test_as_of_a_past_day_reads_the_records_then(trainer_client, learner, team, safety):
    with at(D(2027, 1, 1)):
        Assignment.objects.create(course=safety, team=team, due_date=D(2027, 3, 1))
    with at(D(2027, 4, 1)):
        finish(learner, safety)
    assert cells_of(trainer_client, as_of="2027-02-01")["Alice Learner"][0].startswith(
        "Due by 01/03"
    )
    assert cells_of(trainer_client, as_of="2027-03-15")["Alice Learner"][0].startswith("Overdue")
    assert cells_of(trainer_client)["Alice Learner"] == ["Compliant until 01/04/2028"]


def test_as_of_a_past_day_sees_a_completion_valid_then_and_expired_now(
    trainer_client, learner, team, safety
):
    Assignment.objects.create(course=safety, team=team)
    with at(D(2026, 1, 10)):
        finish(learner, safety)
    assert cells_of(trainer_client, as_of="2026-06-01")["Alice Learner"] == [
        "Compliant until 10/01/2027"
    ]
    assert cells_of(trainer_client)["Alice Learner"][0].startswith("Expired since 11/01/2027")


def test_as_of_a_day_before_the_assignment_is_not_assigned(trainer_client, learner, team, safety):
    Assignment.objects.create(course=safety, team=team)
    assert cells_of(trainer_client, as_of="2027-01-01")["Alice Learner"] == ["Not assigned"]


def test_as_of_a_renewal_brings_its_due_date(trainer_client, learner, team, safety):
    from compliance.scheduling import run_scheduled

    with at(D(2026, 1, 10)):
        Assignment.objects.create(course=safety, team=team, recurrence=Recurrence.AFTER_COMPLETION)
        finish(learner, safety)
    with at(D(2026, 12, 20)):
        run_scheduled()
    # Still valid until 10 Jan 2027, then expired until renewed.
    assert cells_of(trainer_client, as_of="2027-01-05")["Alice Learner"] == [
        "Compliant until 10/01/2027"
    ]
    assert cells_of(trainer_client)["Alice Learner"][0].startswith("Expired since 11/01/2027")


def test_filter_by_state(trainer_client, learner, second_learner, team, safety):
    team.members.add(second_learner)
    Assignment.objects.create(course=safety, team=team, due_date=D(2027, 5, 1))
    finish(learner, safety)
    assert list(cells_of(trainer_client, state="overdue")) == ["Bob Learner"]
    assert list(cells_of(trainer_client, state="compliant")) == ["Alice Learner"]


def test_filter_by_course_shows_one_column(trainer_client, learner, team, safety, course):
    Assignment.objects.create(course=safety, team=team)
    Assignment.objects.create(course=course, team=team)
    assert len(cells_of(trainer_client)["Alice Learner"]) == 2
    assert len(cells_of(trainer_client, course="safety")["Alice Learner"]) == 1


def test_filter_by_team(trainer_client, trainer, learner, second_learner, team, safety):
    from training.models import Team

    other = Team.objects.create(name="Night shift")
    other.trainers.add(trainer)
    other.members.add(second_learner)
    Assignment.objects.create(course=safety, team=team)
    Assignment.objects.create(course=safety, team=other)
    assert list(cells_of(trainer_client, team=other.pk)) == ["Bob Learner"]


def test_least_compliant_first(trainer_client, learner, second_learner, team, safety):
    team.members.add(second_learner)
    Assignment.objects.create(course=safety, team=team, due_date=D(2027, 5, 1))
    finish(learner, safety)
    assert list(cells_of(trainer_client, sort="least")) == ["Bob Learner", "Alice Learner"]
    assert list(cells_of(trainer_client, sort="-name")) == ["Bob Learner", "Alice Learner"]


def test_pages_of_fifty(trainer_client, team, safety):
    for n in range(55):
        team.members.add(make_user(f"p{n:02d}", first_name="P", last_name=f"{n:02d}"))
    Assignment.objects.create(course=safety, team=team)
    assert len(cells_of(trainer_client)) == 50
    assert len(cells_of(trainer_client, page=2)) == 6  # with alice: 56 people
    assert "People 51–56 of 56" in page(trainer_client, page=2)


def test_the_query_count_does_not_grow_with_people(
    trainer_client, team, safety, course, django_assert_max_num_queries
):
    Assignment.objects.create(course=safety, team=team)
    Assignment.objects.create(course=course, team=team)
    for n in range(30):
        person = make_user(f"p{n:02d}")
        team.members.add(person)
        if n % 2:
            finish(person, safety)
    # session, user, two permission reads, teams, the courses, the count, the page of
    # people, then the cells: memberships, assignments, renewals, completions,
    # exemptions
    with django_assert_max_num_queries(13):
        page(trainer_client)


# Bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [{"state": "nonsense"}, {"sort": "x"}, {"as_of": "yesterday"}, {"as_of": "2099-01-01"}],
)
def test_a_tampered_filter_is_a_400(trainer_client, params):
    assert trainer_client.get(URL, params).status_code == 400


def test_another_trainers_team_is_a_404(trainer_client, other_team):
    assert trainer_client.get(URL, {"team": other_team.pk}).status_code == 404


# Exports ---------------------------------------------------------------------------------------


def test_the_csv_has_every_person_and_iso_dates(trainer_client, learner, team, safety):
    Assignment.objects.create(course=safety, team=team, due_date=D(2027, 7, 1))
    response = trainer_client.get(reverse("compliance:matrix_csv"))
    text = b"".join(response.streaming_content).decode()
    assert response["Content-Disposition"] == 'attachment; filename="compliance-2027-06-01.csv"'
    assert text.splitlines() == [
        "as of,2027-06-01",
        "learner,username,email,Safety",
        "Alice Learner,alice,alice@example.com,due 2027-07-01",
    ]


def test_the_xlsx_has_the_same_rows(trainer_client, learner, team, safety):
    Assignment.objects.create(course=safety, team=team, due_date=D(2027, 7, 1))
    finish(learner, safety)
    response = trainer_client.get(reverse("compliance:matrix_xlsx"))
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = [list(row) for row in book.active.iter_rows(values_only=True)]
    assert rows[1] == ["learner", "username", "email", "Safety"]
    assert rows[2] == ["Alice Learner", "alice", "alice@example.com", "compliant 2028-06-01"]


def test_an_export_neutralises_formulas(trainer_client, team, safety):
    team.members.add(make_user("eve", first_name="=HYPERLINK(1)"))
    Assignment.objects.create(course=safety, team=team)
    text = b"".join(trainer_client.get(reverse("compliance:matrix_csv")).streaming_content)
    assert b"\n'=HYPERLINK(1)" in text


# Exemptions ----------------------------------------------------------------------------------


def test_an_exemption_shows_as_exempt_until_its_end(trainer_client, learner, team, safety):
    Assignment.objects.create(course=safety, team=team, due_date=D(2027, 5, 1))
    response = trainer_client.post(
        reverse("compliance:new_exemption"),
        {
            "learner": learner.pk,
            "course": safety.pk,
            "reason": "Certified by the fire brigade",
            "until": "2027-12-31",
        },
    )
    assert response.status_code == 302
    assert cells_of(trainer_client)["Alice Learner"] == ["Exempt until 31/12/2027"]
    with at(D(2028, 1, 1)):
        trainer_client.force_login(response.wsgi_request.user)
        assert cells_of(trainer_client)["Alice Learner"][0].startswith("Overdue")


def test_an_exemption_needs_a_reason(trainer_client, learner, team, safety):
    response = trainer_client.post(
        reverse("compliance:new_exemption"),
        {"learner": learner.pk, "course": safety.pk, "reason": " "},
    )
    assert response.status_code == 400
    assert "an exemption needs a reason" in response.content.decode()
    assert not Exemption.objects.exists()


def test_a_trainer_cannot_exempt_someone_they_do_not_follow(trainer_client, second_learner, safety):
    response = trainer_client.post(
        reverse("compliance:new_exemption"),
        {"learner": second_learner.pk, "course": safety.pk, "reason": "x"},
    )
    assert response.status_code == 404
    assert not Exemption.objects.exists()


def test_the_use_case_refuses_an_end_before_the_start(trainer, learner, team, safety):
    with pytest.raises(ExemptionError):
        grant_exemption(trainer, learner, safety, reason="x", until=D(2027, 1, 1))


def test_a_revoked_exemption_counts_until_the_day_before(trainer, learner, team, safety):
    from compliance.matrix import cells_for
    from compliance.services import revoke_exemption

    Assignment.objects.create(course=safety, team=team, due_date=D(2027, 5, 1))
    with at(D(2027, 5, 10)):
        exemption = grant_exemption(trainer, learner, safety, reason="Leave")
    revoke_exemption(trainer, exemption)
    assert (
        cells_for([learner.pk], [safety.pk], D(2027, 5, 31))[(learner.pk, safety.pk)].state
        == "exempt"
    )
    assert cells_for([learner.pk], [safety.pk], TODAY)[(learner.pk, safety.pk)].state == "overdue"


# The SQL filter is the same rule (generated worlds) ----------------------------------------

from django.db import transaction  # noqa: E402
from hypothesis import HealthCheck, given  # noqa: E402
from hypothesis import settings as hypothesis_settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from compliance.matrix import cells_for, with_state  # noqa: E402
from training.models import Renewal  # noqa: E402

offsets = st.integers(min_value=-40, max_value=40)
WORLD = st.fixed_dictionaries(
    {
        "assigned": st.sampled_from(["no", "own", "team", "both"]),
        "assigned_at": offsets,
        "due": st.one_of(st.none(), offsets),
        "renewal": st.one_of(st.none(), st.tuples(offsets, offsets)),  # opened, due
        "completions": st.lists(st.tuples(offsets, st.one_of(st.none(), offsets)), max_size=2),
        "exemption": st.one_of(
            st.none(), st.tuples(offsets, st.one_of(st.none(), offsets), st.booleans())
        ),
        "as_of": st.integers(min_value=-20, max_value=0),
    }
)


def moment(offset: int) -> datetime.datetime:
    day = TODAY + datetime.timedelta(days=offset)
    return timezone.make_aware(datetime.datetime(day.year, day.month, day.day, 12))


def build_world(world, learner, team, course):
    made = []
    kinds = {"own": ["own"], "team": ["team"], "both": ["own", "team"]}.get(world["assigned"], [])
    due = TODAY + datetime.timedelta(days=world["due"]) if world["due"] is not None else None
    for kind in kinds:
        assignment = Assignment.objects.create(
            course=course,
            learner=learner if kind == "own" else None,
            team=team if kind == "team" else None,
            due_date=due,
        )
        Assignment.objects.filter(pk=assignment.pk).update(created_at=moment(world["assigned_at"]))
        made.append(assignment)
    completions = []
    for run, (done, valid) in enumerate(world["completions"], 1):
        completions.append(
            CourseCompletion.objects.create(
                learner=learner,
                course=course,
                run=run,
                completed_at=moment(done),
                valid_until=TODAY + datetime.timedelta(days=valid) if valid is not None else None,
                superseded_at=moment(done) if run < len(world["completions"]) else None,
            )
        )
    if world["renewal"] and made and completions:
        opened, renewal_due = world["renewal"]
        Renewal.objects.create(
            assignment=made[0],
            learner=learner,
            renews=completions[0],
            opened_at=moment(opened),
            due_date=TODAY + datetime.timedelta(days=renewal_due),
        )
    if world["exemption"]:
        start, end, revoked = world["exemption"]
        exemption = Exemption.objects.create(
            learner=learner,
            course=course,
            reason="r",
            starts_on=TODAY + datetime.timedelta(days=start),
            until=TODAY + datetime.timedelta(days=max(start, end)) if end is not None else None,
            revoked_on=TODAY + datetime.timedelta(days=start + 3) if revoked else None,
        )
        Exemption.objects.filter(pk=exemption.pk).update(created_at=moment(start - 1))


@hypothesis_settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(world=WORLD)
def test_the_sql_filter_agrees_with_the_rule(world, learner, team, safety):
    from django.contrib.auth import get_user_model

    with transaction.atomic():
        build_world(world, learner, team, safety)
        day = TODAY + datetime.timedelta(days=world["as_of"])
        state = cells_for([learner.pk], [safety.pk], day)[(learner.pk, safety.pk)].state
        people = get_user_model().objects.filter(pk=learner.pk)
        found = {s for s in CellState.values if with_state(people, s, [safety], day).exists()}
        assert found == {state}, world
        transaction.set_rollback(True)


def test_the_admin_lists_exemptions_and_revokes_them_through_the_use_case(
    client, admin_user, trainer, learner, team, safety
):
    exemption = grant_exemption(trainer, learner, safety, reason="Certified by the fire brigade")
    client.force_login(admin_user)
    listing = client.get(reverse("admin:compliance_exemption_changelist")).content.decode()
    assert "Alice Learner" in listing or "alice" in listing
    assert client.get(reverse("admin:compliance_exemption_add")).status_code == 403
    client.post(
        reverse("admin:compliance_exemption_changelist"),
        {"action": "revoke", "_selected_action": [exemption.pk]},
    )
    exemption.refresh_from_db()
    assert exemption.revoked_on == TODAY and Exemption.objects.count() == 1
