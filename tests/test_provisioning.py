"""Bulk provisioning (issue 10): import_people from a CSV file, the command and the
admin's upload page."""

import re
import smtplib
from io import StringIO
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Invitation
from accounts.provisioning import ProvisioningError, import_people
from courses.roles import ensure_content_editors_group
from tests.conftest import PASSWORD
from tests.factories import make_user
from training.models import Team
from training.roles import TRAINERS

pytestmark = pytest.mark.django_db

User = get_user_model()
HEADER = "username,email,first_name,last_name,team,trainer_of"
TWO_PEOPLE = f"""{HEADER}
ana,ana@example.com,Ana,Silva,Support,
tom,Tom@Example.com,Tom,Baker,Support;Sales,Support
"""


def csv_file(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def state() -> dict:
    """Everything an import may change."""
    return {
        "users": list(
            User.objects.order_by("username").values_list(
                "username", "email", "first_name", "last_name", "is_active", "password"
            )
        ),
        "teams": list(Team.objects.order_by("name").values_list("name", flat=True)),
        "members": sorted(Team.members.through.objects.values_list("team__name", "user__username")),
        "trainers": sorted(
            Team.trainers.through.objects.values_list("team__name", "user__username")
        ),
        "groups": sorted(User.groups.through.objects.values_list("group__name", "user__username")),
        "invitations": list(Invitation.objects.values_list("user__username", "sent_at")),
    }


def problems_of(data, **options) -> list[str]:
    before = state()
    with pytest.raises(ProvisioningError) as raised:
        import_people(data, **options)
    assert state() == before, "a refused file changed the database"
    return [str(problem) for problem in raised.value.problems]


# A good file ----------------------------------------------------------------------------


def test_a_file_creates_people_teams_and_trainers():
    result = import_people(TWO_PEOPLE, invite=False)
    ana, tom = User.objects.get(username="ana"), User.objects.get(username="tom")
    assert (ana.first_name, ana.last_name, ana.email) == ("Ana", "Silva", "ana@example.com")
    assert not ana.has_usable_password() and not tom.has_usable_password()
    assert list(ana.teams.values_list("name", flat=True)) == ["Support"]
    assert list(tom.teams.values_list("name", flat=True)) == ["Sales", "Support"]
    assert list(tom.managed_teams.values_list("name", flat=True)) == ["Support"]
    assert list(tom.groups.values_list("name", flat=True)) == [TRAINERS]
    assert not ana.groups.exists()
    assert (result.created, result.updated, result.teams_created) == (2, 0, 2)
    assert (result.memberships_added, result.trainers_added) == (3, 1)


def test_a_second_run_changes_nothing_and_says_so(mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        import_people(TWO_PEOPLE)
    before = state()
    with django_capture_on_commit_callbacks(execute=True):
        result = import_people(TWO_PEOPLE)
    assert state() == before
    assert not result.changed
    assert result.summary() == (
        "Nothing to change: the 2 people in the file are already as it says."
    )
    assert len(mailoutbox) == 2  # the first run's


def test_existing_people_are_updated_but_never_their_password(learner):
    result = import_people(csv_file("ALICE,alice.new@example.com,Alicia,Learner,Support,"))
    learner.refresh_from_db()
    assert (learner.username, learner.email, learner.first_name) == (
        "alice",
        "alice.new@example.com",
        "Alicia",
    )
    assert learner.check_password(PASSWORD)
    assert (result.created, result.updated) == (0, 1)
    assert not Invitation.objects.exists()  # only new people are invited


def test_teams_become_exactly_those_of_the_file(learner, second_learner, team):
    extra = Team.objects.create(name="Night shift")
    extra.members.add(learner, second_learner)
    result = import_people(csv_file("alice,alice@example.com,,,sales;SUPPORT,"))
    assert sorted(learner.teams.values_list("name", flat=True)) == ["Support", "sales"]
    assert list(second_learner.teams.all()) == [extra]  # not in the file: left alone
    assert (result.memberships_added, result.memberships_removed, result.teams_created) == (
        1,
        1,
        1,
    )


def test_a_missing_column_leaves_that_part_alone(learner, team):
    import_people(csv_file("alice,alice@example.com", header="username,email"))
    learner.refresh_from_db()
    assert learner.first_name == "Alice"
    assert list(learner.teams.all()) == [team]


def test_an_empty_team_cell_takes_the_person_out_of_their_teams(learner, team):
    import_people(csv_file("alice,alice@example.com,Alice,Learner,,"))
    assert not learner.teams.exists()


def test_a_listed_inactive_person_is_reactivated(learner):
    learner.is_active = False
    learner.save()
    result = import_people(csv_file("alice,alice@example.com,Alice,Learner,,"))
    learner.refresh_from_db()
    assert learner.is_active and result.reactivated == 1


def test_blank_lines_a_bom_and_spaces_are_fine():
    data = ("\ufeff" + HEADER + "\n  ana , ana@example.com ,Ana,,,\n,,,,,\n\n").encode()
    import_people(data, invite=False)
    assert User.objects.get(username="ana").email == "ana@example.com"


# Deactivating those not in the file -------------------------------------------------------


def test_deactivate_missing_deactivates_active_non_staff_people_not_in_the_file(
    learner, second_learner, admin_user
):
    staff = make_user("sam", is_staff=True)
    already = make_user("gone", is_active=False)
    result = import_people(
        csv_file("alice,alice@example.com,Alice,Learner,,"), deactivate_missing=True
    )
    active = dict(User.objects.values_list("username", "is_active"))
    assert active == {"alice": True, "bob": False, "ada": True, "sam": True, "gone": False}
    assert result.deactivated == 1
    assert "Deactivated (active, not staff, not in the file): 1." in result.summary()
    assert staff.pk and already.pk


def test_without_the_option_nobody_is_deactivated(learner, second_learner):
    import_people(csv_file("alice,alice@example.com,Alice,Learner,,"))
    assert User.objects.get(username="bob").is_active


def test_deactivate_missing_refuses_a_file_without_people(learner):
    assert problems_of(csv_file(), deactivate_missing=True) == [
        "row 1: no people in the file: refusing to deactivate everyone"
    ]


def test_an_email_freed_by_deactivation_may_be_taken(learner, second_learner):
    import_people(
        csv_file("alice,bob@example.com,Alice,Learner,,"), deactivate_missing=True, invite=False
    )
    assert User.objects.get(username="alice").email == "bob@example.com"


# Bad files: every problem names its row and column, and nothing is written ---------------


BAD_ROWS = [
    ("missing username", ",x@example.com,,,,", "row 3, username: missing"),
    ("missing email", "xavier,,,,,", "row 3, email: missing"),
    ("bad email", "xavier,xavier@,,,,", "row 3, email: 'xavier@' is not an email address"),
    (
        "bad username",
        "xavier smith,x@example.com,,,,",
        "row 3, username: 'xavier smith': only letters, digits and @ . + - _ are allowed",
    ),
    (
        "too long username",
        "u" * 151 + ",x@example.com,,,,",
        "row 3, username: the value '" + "u" * 40 + "…' is 151 characters long; at most 150",
    ),
    (
        "too long first name",
        "xavier,x@example.com," + "f" * 151 + ",,,",
        "row 3, first_name: the value '" + "f" * 40 + "…' is 151 characters long; at most 150",
    ),
    (
        "too long team name",
        "xavier,x@example.com,,,Support;" + "t" * 101 + ",",
        "row 3, team: a team name '" + "t" * 40 + "…' is 101 characters long; at most 100",
    ),
    (
        "too long email",
        "xavier," + "e" * 250 + "@example.com,,,,",
        "row 3, email: the value '" + "e" * 40 + "…' is 262 characters long; at most 254",
    ),
    (
        "control character",
        "xavier,x@example.com,X\x07,,,",
        "row 3, first_name: contains a control character (U+0007)",
    ),
    (
        "NUL",
        "xavier,x@example.com,,,Sup\x00port,",
        "row 3, team: contains a control character (U+0000)",
    ),
    (
        "tab",
        "xavier,x@example.com,,\tSmith Jr,,",
        None,  # a leading tab is stripped like a space: not a problem
    ),
    (
        "too many values",
        "xavier,x@example.com,,,,,surplus",
        "row 3: 7 values, but the header has 6",
    ),
    (
        "email of another active account",
        "xavier,BOB@example.com,,,,",
        "row 3, email: 'BOB@example.com' is the email of another active account (bob)",
    ),
]


@pytest.mark.parametrize(
    "row, expected", [case[1:] for case in BAD_ROWS], ids=[c[0] for c in BAD_ROWS]
)
def test_a_bad_row_is_named_and_nothing_is_written(second_learner, row, expected):
    data = csv_file("good,good@example.com,Good,Person,Support,", row)
    if expected is None:
        import_people(data, invite=False)
        return
    assert problems_of(data) == [expected]
    assert not User.objects.filter(username="good").exists()


def test_an_inner_tab_is_a_control_character():
    assert problems_of(csv_file("xavier,x@example.com,,Smith\tJr,,")) == [
        "row 2, last_name: contains a control character (U+0009)"
    ]


def test_duplicates_in_the_file_name_both_rows():
    data = csv_file(
        "ana,ana@example.com,,,,",
        "tom,tom@example.com,,,,",
        "ANA,other@example.com,,,,",
        "tim,TOM@example.com,,,,",
    )
    assert problems_of(data) == [
        "row 4, username: 'ANA' is also on row 2",
        "row 5, email: 'TOM@example.com' is also on row 3",
    ]


def test_a_repeat_of_a_bad_row_is_named_too():
    data = csv_file("ana,ana@,,,,", "ana,ana@example.com,,,,")
    assert problems_of(data) == [
        "row 2, email: 'ana@' is not an email address",
        "row 3, username: 'ana' is also on row 2",
    ]


def test_a_username_matching_two_accounts_is_refused(learner):
    make_user("Alice", email="big@example.com")
    assert problems_of(csv_file("ALICE,alice@example.com,,,,")) == [
        "row 2, username: 'ALICE' matches several accounts that differ only in case "
        "(Alice, alice); rename all but one in the admin first"
    ]


@pytest.mark.parametrize(
    "header, expected",
    [
        (
            "username,email,phone",
            "row 1, 'phone': unknown column; the columns are username, email, first_name, "
            "last_name, team, trainer_of",
        ),
        ("username,first_name", "row 1, email: the column is missing"),
        ("username,email,email", "row 1, email: the column appears more than once"),
        ("", "row 1: no header: the first row must name the columns"),
    ],
)
def test_a_bad_header_is_named(header, expected):
    assert expected in problems_of(csv_file("ana,ana@example.com", header=header))


def test_a_file_that_is_not_utf8_is_refused():
    data = csv_file("ana,ana@example.com,Ana,,,", "jose,jose@example.com,José,,,").encode("latin-1")
    assert problems_of(data) == ["row 3: not UTF-8 text: save the file as CSV (UTF-8)"]


def test_every_problem_is_listed_at_once():
    data = csv_file(
        "ana,ana@example.com,,,,",
        ",nobody@example.com,,,,",
        "bad,not-an-email,,,,",
        "ana,x@example.com,,,,",
    )
    assert problems_of(data) == [
        "row 3, username: missing",
        "row 4, email: 'not-an-email' is not an email address",
        "row 5, username: 'ana' is also on row 2",
    ]


# Staff and superuser accounts: never changed, never linked to a row -------------------------


def test_a_row_naming_a_superuser_is_refused_and_nothing_is_written(admin_user, learner):
    # The review's row: a superuser's email and name, rewritten by a CSV file.
    data = csv_file("alice,alice@example.com,Alice,Learner,,", "ada,evil@ex.org,Root,Hijacked,,")
    assert problems_of(data) == [
        "row 3, username: 'ada' is a superuser's account; an import never changes staff "
        "or superuser accounts (edit it in the admin)"
    ]
    admin_user.refresh_from_db()
    assert (admin_user.email, admin_user.first_name) == ("ada@example.com", "Ada")


def test_a_row_naming_a_staff_account_in_another_case_is_refused():
    make_user("sam", first_name="Sam", is_staff=True)
    assert problems_of(csv_file("SAM,sam@example.com,Sam,Staff,Support,")) == [
        "row 2, username: 'SAM' is a staff account (sam); an import never changes staff "
        "or superuser accounts (edit it in the admin)"
    ]


def test_a_row_that_would_change_nothing_of_a_staff_account_is_refused_too(admin_user):
    # Not even teams or trainer_of: the row is never linked to the account.
    assert problems_of(csv_file("ada,ada@example.com,Ada,Admin,Support,Support")) == [
        "row 2, username: 'ada' is a superuser's account; an import never changes staff "
        "or superuser accounts (edit it in the admin)"
    ]
    assert not Team.objects.exists()


@pytest.mark.parametrize("active", [True, False], ids=["active", "inactive"])
def test_a_new_row_with_a_staff_accounts_email_is_refused(active):
    make_user("sam", email="sam@example.com", is_staff=True, is_active=active)
    assert problems_of(csv_file("mallory,SAM@example.com,,,,")) == [
        "row 2, email: 'SAM@example.com' is the email of a staff account (sam); an import "
        "never links a row to staff or superuser accounts"
    ]


def test_an_inactive_superuser_is_not_reactivated_by_a_row(admin_user):
    admin_user.is_active = False
    admin_user.save()
    assert problems_of(csv_file("ada,ada@example.com,,,,"), invite=False) == [
        "row 2, username: 'ada' is a superuser's account; an import never changes staff "
        "or superuser accounts (edit it in the admin)"
    ]


def test_a_dry_run_names_the_staff_row_too(admin_user):
    assert problems_of(csv_file("ada,evil@ex.org,Root,Hijacked,,"), dry_run=True) == [
        "row 2, username: 'ada' is a superuser's account; an import never changes staff "
        "or superuser accounts (edit it in the admin)"
    ]


def test_an_account_made_staff_during_the_import_is_not_changed(learner, monkeypatch):
    """Checked again inside the import's transaction: an account an admin makes staff
    between the check and the writing is refused, and nothing is written."""
    from accounts import provisioning

    plan = provisioning._plan

    def promoted_meanwhile(*args, **kwargs):
        result = plan(*args, **kwargs)
        User.objects.filter(username="alice").update(is_staff=True)
        return result

    monkeypatch.setattr(provisioning, "_plan", promoted_meanwhile)
    data = csv_file("new,new@example.com,New,Person,,", "alice,evil@ex.org,Root,Hijacked,,")
    with pytest.raises(ProvisioningError) as raised:
        import_people(data, invite=False)
    assert [str(p) for p in raised.value.problems] == [
        "row 3, username: 'alice' is a staff account; an import never changes staff "
        "or superuser accounts (edit it in the admin)"
    ]
    learner.refresh_from_db()
    assert (learner.email, learner.first_name) == ("alice@example.com", "Alice")
    assert not User.objects.filter(username="new").exists()


def test_the_command_refuses_a_superusers_row(tmp_path, admin_user):
    path = tmp_path / "people.csv"
    path.write_text(csv_file("ana,ana@example.com,,,,", "ada,evil@ex.org,Root,Hijacked,,"))
    with pytest.raises(
        CommandError,
        match=r"1 problem found; nothing was changed\.\nrow 3, username: 'ada' is a superuser",
    ):
        call_command("import_people", str(path))
    assert not User.objects.filter(username="ana").exists()
    assert User.objects.get(username="ada").email == "ada@example.com"


def test_the_upload_refuses_a_superusers_row(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        IMPORT_URL, {"file": upload(csv_file("ada,evil@ex.org,Root,Hijacked,,"))}
    )
    html = response.content.decode()
    assert "1 problem found; nothing was changed." in html
    assert "row 2, username: &#x27;ada&#x27; is a superuser&#x27;s account" in html
    assert User.objects.get(username="ada").email == "ada@example.com"


# Invitations ------------------------------------------------------------------------------


def test_new_people_are_invited_once_after_the_commit(
    client, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://learn.example.com"
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = import_people(TWO_PEOPLE)
        assert mailoutbox == []  # nothing before the commit
        assert Invitation.objects.filter(sent_at__isnull=True).count() == 2
    assert len(callbacks) == 1
    assert sorted(email.to[0] for email in mailoutbox) == ["Tom@Example.com", "ana@example.com"]
    assert result.invitations_sent == 2
    assert not Invitation.objects.filter(sent_at__isnull=True).exists()
    # The link in the email sets the password, and the person logs in with it.
    email = next(email for email in mailoutbox if email.to == ["ana@example.com"])
    link = re.search(r"https://learn\.example\.com(/accounts/reset/\S+/)", email.body).group(1)
    form_url = client.get(link)["Location"]
    client.post(
        form_url, {"new_password1": "fresh passphrase 9", "new_password2": "fresh passphrase 9"}
    )
    assert client.post(reverse("login"), {"username": "ana", "password": "fresh passphrase 9"})[
        "Location"
    ] == reverse("courses:home")
    # Running it again sends nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        import_people(TWO_PEOPLE)
    assert len(mailoutbox) == 2


def test_a_failed_invitation_is_sent_by_the_next_run_and_only_then(
    mailoutbox, django_capture_on_commit_callbacks
):
    real_send = mock.patch("django.core.mail.EmailMessage.send")
    with real_send as send, django_capture_on_commit_callbacks(execute=True):
        send.side_effect = [smtplib.SMTPException("mailbox unavailable"), 1]
        result = import_people(TWO_PEOPLE)
    assert (result.invitations_sent, result.invitations_failed) == (1, 1)
    assert "Invitations that could not be sent: 1" in result.summary()
    assert "Invitations still owed: 1; manage.py send_invitations" in result.summary()
    assert Invitation.objects.filter(sent_at__isnull=True).count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        again = import_people(TWO_PEOPLE)
    assert (again.invitations_sent, again.invitations_failed) == (1, 0)
    assert len(mailoutbox) == 1  # the one the first run owed, once
    with django_capture_on_commit_callbacks(execute=True):
        assert import_people(TWO_PEOPLE).invitations_sent == 0
    assert len(mailoutbox) == 1


def test_a_send_limit_leaves_the_rest_owed_for_send_invitations(
    mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = import_people(TWO_PEOPLE, send_limit=1)
    assert (result.invitations_sent, result.invitations_left) == (1, 1)
    assert "Invitations still owed: 1; manage.py send_invitations" in result.summary()
    out = StringIO()
    call_command("send_invitations", stdout=out)
    assert out.getvalue() == "Invitations sent: 1; could not be sent: 0.\n"
    call_command("send_invitations", stdout=StringIO())
    assert sorted(email.to[0] for email in mailoutbox) == ["Tom@Example.com", "ana@example.com"]


def test_an_upload_sends_at_most_its_share_of_invitations(
    client, admin_user, mailoutbox, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr("accounts.admin.INVITATIONS_PER_UPLOAD", 1)
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(IMPORT_URL, {"file": upload(TWO_PEOPLE), "invite": "on"})
    assert len(mailoutbox) == 1
    assert Invitation.objects.filter(sent_at__isnull=True).count() == 1


def test_no_invite_sends_nothing_and_owes_nothing(mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        import_people(TWO_PEOPLE, invite=False)
    assert mailoutbox == [] and not Invitation.objects.exists()


def test_a_refused_file_sends_nothing(mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        problems_of(TWO_PEOPLE + ",bad,,,,\n")
    assert callbacks == [] and mailoutbox == []


# The command --------------------------------------------------------------------------------


def test_the_command_imports_a_file(tmp_path, mailoutbox, django_capture_on_commit_callbacks):
    path = tmp_path / "people.csv"
    path.write_text(TWO_PEOPLE)
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_people", str(path), stdout=out)
    assert "2 people in the file: 2 created" in out.getvalue()
    assert User.objects.filter(username__in=["ana", "tom"]).count() == 2
    out = StringIO()
    call_command("import_people", str(path), "--no-invite", stdout=out)
    assert "Nothing to change" in out.getvalue()


def test_the_command_names_the_bad_rows(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(csv_file("ana,ana@,,,,"))
    with pytest.raises(CommandError, match=r"1 problem found; nothing was changed\.\nrow 2, email"):
        call_command("import_people", str(path))
    assert not User.objects.exists()


def test_the_command_dry_run_changes_nothing(tmp_path, learner):
    path = tmp_path / "people.csv"
    path.write_text(TWO_PEOPLE)
    before = state()
    out = StringIO()
    call_command("import_people", str(path), "--dry-run", "--deactivate-missing", stdout=out)
    assert state() == before
    text = out.getvalue()
    assert text.startswith("Dry run: nothing was changed.")
    assert "2 created" in text and "members 3 added" in text and "Deactivated" in text


def test_the_command_reports_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_people", str(tmp_path / "nope.csv"))


# The admin's upload page ------------------------------------------------------------------


def upload(content: str, name: str = "people.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content.encode(), content_type="text/csv")


IMPORT_URL = "/admin/auth/user/import/"


def test_the_import_page_url():
    assert reverse("admin:auth_user_import") == IMPORT_URL


def test_a_superuser_imports_from_the_admin(
    client, admin_user, mailoutbox, django_assert_max_num_queries
):
    client.force_login(admin_user)
    changelist = client.get(reverse("admin:auth_user_changelist")).content.decode()
    assert f'href="{IMPORT_URL}">Import people from CSV</a>' in changelist
    with django_assert_max_num_queries(6):
        page = client.get(IMPORT_URL)
    assert page.status_code == 200
    response = client.post(IMPORT_URL, {"file": upload(TWO_PEOPLE), "invite": "on"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("admin:auth_user_changelist")
    assert "2 people in the file: 2 created" in response.content.decode()
    assert User.objects.filter(username__in=["ana", "tom"]).count() == 2


def test_the_admin_page_lists_the_problems_and_writes_nothing(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        IMPORT_URL, {"file": upload(csv_file("ana,ana@,,,,", ",x@example.com,,,,"))}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "2 problems found; nothing was changed." in html
    assert "row 2, email: &#x27;ana@&#x27; is not an email address" in html
    assert "row 3, username: missing" in html
    assert User.objects.count() == 1


def test_the_admin_page_checks_a_file_without_importing(client, admin_user):
    client.force_login(admin_user)
    response = client.post(IMPORT_URL, {"file": upload(TWO_PEOPLE), "check": "Check"})
    assert response.status_code == 200
    assert "The file is valid" in response.content.decode()
    assert "2 created" in response.content.decode()
    assert User.objects.count() == 1


@pytest.mark.parametrize("role", ["learner", "trainer", "content_editor"])
def test_the_import_page_is_refused_to_everyone_but_superusers(request, client, team, role):
    if role == "content_editor":
        user = make_user("edna", is_staff=True)
        user.groups.add(ensure_content_editors_group())
    else:
        user = request.getfixturevalue(role)
    client.force_login(user)
    assert client.get(IMPORT_URL).status_code == 403
    assert client.post(IMPORT_URL, {"file": upload(TWO_PEOPLE)}).status_code == 403
    assert not User.objects.filter(username="ana").exists()


def test_the_import_page_sends_anonymous_visitors_to_log_in(client):
    response = client.get(IMPORT_URL)
    assert response.status_code == 302 and "login" in response["Location"]


# 3,000 people ---------------------------------------------------------------------------------


def many_people(count: int, *, email_domain: str = "example.com") -> str:
    rows = [
        f"person{n},person{n}@{email_domain},First{n},Last{n},Team {n % 30},"
        + (f"Team {n % 30}" if n % 100 == 0 else "")
        for n in range(count)
    ]
    return csv_file(*rows)


def queries_of(function) -> int:
    with CaptureQueriesContext(connection) as captured:
        function()
    return len(captured)


# Bulk inserts and updates go in batches (SQLite: 999 parameters a query, so about 90
# users or 500 links a batch; PostgreSQL: one query each), so the count grows by a
# query per batch, never by a query per row. Measured for 3,000 people with 3,000
# memberships and 3,000 owed invitations: 59 queries on SQLite, 17 on PostgreSQL;
# updating every email: 18 and 9; an unchanged file: 7 on both (the re-check of
# staff accounts after the writes is one query, made only when something changed).
MAX_QUERIES_3000 = 70


def test_3000_people_in_a_bounded_number_of_queries():
    created = queries_of(lambda: import_people(many_people(3000)))
    assert User.objects.count() == 3000
    assert Team.objects.count() == 30
    assert Team.members.through.objects.count() == 3000
    assert Team.trainers.through.objects.count() == 30
    assert Invitation.objects.count() == 3000
    assert created <= MAX_QUERIES_3000, created
    unchanged = queries_of(lambda: import_people(many_people(3000)))
    assert unchanged <= 8, unchanged  # users, teams, members, trainers, Trainers group: fixed
    updated = queries_of(lambda: import_people(many_people(3000, email_domain="example.org")))
    assert User.objects.filter(email__endswith="@example.org").count() == 3000
    assert updated <= MAX_QUERIES_3000, updated
