import datetime

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.http import MalformedInput, parse_id
from lessons.models import Lesson
from training.assignments import show_date
from training.fields import SiteDateField
from training.models import Assignment, Recurrence, Team
from training.recertification import RenewalRule
from training.roles import learners_assignable_by, teams_managed_by
from training.services import AssignmentError, check_renewal_rule, describe_due, person_name


class IdMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Rows chosen by id, each checked to be an id before the query: Django runs
    ``pk__in`` on the posted values, and SQLite raises OverflowError (a 500) for a
    20-digit one. A value that is not an id is the field's usual form error."""

    def clean(self, value):
        if self.to_field_name is None and isinstance(value, list | tuple):
            for pk in value:
                try:
                    parse_id(str(pk))
                except MalformedInput:
                    raise ValidationError(
                        self.error_messages["invalid_pk_value"],
                        code="invalid_pk_value",
                        params={"pk": str(pk)[:30]},
                    ) from None
        return super().clean(value)


class LearnerChoiceField(IdMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        name = obj.get_full_name()
        return f"{name} ({obj.get_username()})" if name else obj.get_username()


class ConfirmWarnings:
    """Warnings a trainer must confirm: the first submit shows the warning and a
    "Yes, …" checkbox (hidden until then); a second submit with it ticked saves."""

    def _confirm(self, field: str, warning: str) -> None:
        if self.cleaned_data.get(field):
            return
        self.fields[field].widget = forms.CheckboxInput()
        self.add_error(field, warning)

    def _check_past_due(self, due_date: datetime.date | None) -> None:
        if due_date is not None and due_date < timezone.localdate():
            self._confirm(
                "confirm_past_due",
                _(
                    "The due date, %(date)s, is in the past: learners will see it as "
                    "overdue at once. Tick the box to keep it, or choose another date."
                )
                % {"date": describe_due(due_date)},
            )


def _confirmation(label: str) -> forms.BooleanField:
    return forms.BooleanField(required=False, label=label, widget=forms.HiddenInput)


class AssignmentForm(ConfirmWarnings, forms.Form):
    """Assign one course, or some of its lessons, to a team or to learners."""

    team = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label=gettext_lazy("Team"),
        empty_label=gettext_lazy("— no team —"),
    )
    learners = LearnerChoiceField(
        queryset=None,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        label=gettext_lazy("Learners"),
        help_text=gettext_lazy("Or choose people from your teams (Ctrl/Cmd-click for several)."),
    )
    lessons = IdMultipleChoiceField(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("Lessons"),
        help_text=gettext_lazy("Leave all unticked to assign the whole course."),
    )
    due_date = SiteDateField(
        required=False,
        label=gettext_lazy("Due date"),
    )
    note = forms.CharField(
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label=gettext_lazy("Note"),
    )
    require_fresh_completion = forms.BooleanField(
        required=False,
        label=gettext_lazy("Require a fresh completion"),
        help_text=gettext_lazy(
            "For training that must be repeated (e.g. yearly compliance): people who "
            "completed the course before take it again. Whole courses only."
        ),
    )
    recurrence = forms.ChoiceField(
        choices=Recurrence.choices,
        required=False,
        label=gettext_lazy("Comes back"),
        help_text=gettext_lazy(
            "Compliance training: assign it again to each learner before their completion "
            "expires (whole courses only)."
        ),
    )
    valid_for_months = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=120,
        label=gettext_lazy("A completion counts for (months)"),
        help_text=gettext_lazy("Empty: the course's own validity."),
    )
    renew_by = SiteDateField(
        required=False,
        label=gettext_lazy("Every year by (day and month; the year is not used)"),
        help_text=gettext_lazy("Only when it comes back every year by a date."),
    )
    renew_window_days = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=365,
        initial=30,
        label=gettext_lazy("Assign it again this many days before it expires"),
    )
    confirm_past_due = _confirmation(gettext_lazy("Yes, the date is in the past"))
    confirm_overlap = _confirmation(gettext_lazy("Yes, assign it to them as well"))

    def __init__(self, *args, trainer, course, **kwargs):
        super().__init__(*args, **kwargs)
        self.course = course
        # A course whose completions expire comes back by default.
        self.fields["recurrence"].initial = (
            Recurrence.AFTER_COMPLETION if course.valid_for_months else Recurrence.ONCE
        )
        self.fields["team"].queryset = teams_managed_by(trainer)
        self.fields["learners"].queryset = learners_assignable_by(trainer).order_by(
            "last_name", "first_name", "username"
        )
        self.fields["lessons"].queryset = Lesson.objects.published().filter(course=course)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Assign")))

    def clean(self):
        data = super().clean()
        if bool(data.get("team")) == bool(data.get("learners")):
            raise forms.ValidationError(_("Choose a team, or one or more learners (not both)."))
        if data.get("require_fresh_completion") and data.get("lessons"):
            self.add_error(
                "require_fresh_completion",
                _("A fresh completion is for the whole course: untick the lessons, or this."),
            )
        self._check_past_due(data.get("due_date"))
        if data.get("learners"):
            self._check_overlap(data["learners"], data.get("due_date"))
        self._check_renewal(data)
        return data

    @property
    def renewal(self) -> RenewalRule:
        """The recurrence fields as the use case takes them."""
        data = self.cleaned_data
        renew_by = data.get("renew_by")
        return RenewalRule(
            recurrence=Recurrence(data.get("recurrence") or Recurrence.ONCE),
            valid_for_months=data.get("valid_for_months"),
            renew_by=(renew_by.month, renew_by.day) if renew_by else None,
            window_days=data.get("renew_window_days") or 30,
        )

    def _check_renewal(self, data) -> None:
        try:
            check_renewal_rule(self.course, data.get("lessons") or [], self.renewal)
        except AssignmentError as exc:
            self.add_error("recurrence", str(exc))

    def _check_overlap(self, learners, due_date: datetime.date | None) -> None:
        """Say who already has the course through a team, and which date applies
        (the due rule, training.assignments: the earliest unfinished one's)."""
        by_pk = {learner.pk: learner for learner in learners}
        memberships = Team.members.through.objects.filter(
            user_id__in=list(by_pk), team__assignments__course=self.course
        ).values_list("team_id", "user_id")
        members: dict[int, list[int]] = {}
        for team_id, user_id in memberships:
            members.setdefault(team_id, []).append(user_id)
        if not members:
            return
        through_teams = [
            (team_assignment, by_pk[user_id])
            for team_assignment in Assignment.objects.filter(
                course=self.course, team_id__in=list(members)
            )
            .select_related("team")
            .order_by("team__name")
            for user_id in members[team_assignment.team_id]
        ]
        lines = []
        for team_assignment, learner in through_teams:
            dates = [d for d in (due_date, team_assignment.due_date) if d is not None]
            names = {"name": person_name(learner), "team": team_assignment.team.name}
            if team_assignment.due_date:
                has = _("%(name)s already has this course through %(team)s (due %(date)s).") % {
                    **names,
                    "date": show_date(team_assignment.due_date),
                }
            else:
                has = _("%(name)s already has this course through %(team)s (no due date).") % names
            if len(dates) == 2:
                applies = _(
                    "Until one of them is finished, the earlier date applies: %(date)s."
                ) % {"date": show_date(min(dates))}
            elif dates:
                applies = _("Until one of them is finished, the date applies: %(date)s.") % {
                    "date": show_date(dates[0])
                }
            else:
                applies = _("Until one of them is finished, neither has a due date.")
            lines.append(f"{has} {applies}")
        if lines:
            self._confirm("confirm_overlap", " ".join(lines))


class ChangeAssignmentForm(ConfirmWarnings, forms.Form):
    """Change an assignment's due date, note and lessons."""

    due_date = SiteDateField(
        required=False,
        label=gettext_lazy("Due date"),
    )
    note = forms.CharField(
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label=gettext_lazy("Note"),
    )
    lessons = IdMultipleChoiceField(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("Lessons"),
        help_text=gettext_lazy("Leave all unticked to assign the whole course."),
    )
    confirm_past_due = _confirmation(gettext_lazy("Yes, the date is in the past"))

    def __init__(self, *args, assignment: Assignment, **kwargs):
        chosen = [lesson.pk for lesson in assignment.lessons.all() if lesson.is_published]
        kwargs.setdefault(
            "initial",
            {"due_date": assignment.due_date, "note": assignment.note, "lessons": chosen},
        )
        super().__init__(*args, **kwargs)
        self.assignment = assignment
        if assignment.require_fresh_completion:
            del self.fields["lessons"]  # a fresh completion is for the whole course
        else:
            self.fields["lessons"].queryset = Lesson.objects.published().filter(
                course_id=assignment.course_id
            )
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Save changes")))

    def clean(self):
        data = super().clean()
        # Only a new past date asks: an assignment already overdue keeps its date
        # without a question when its note changes.
        if data.get("due_date") != self.assignment.due_date:
            self._check_past_due(data.get("due_date"))
        return data
