from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.core.exceptions import ValidationError

from lessons.http import MalformedInput, parse_id
from lessons.models import Lesson
from training.roles import learners_followed_by, teams_managed_by


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


class AssignmentForm(forms.Form):
    """Assign one course, or some of its lessons, to a team or to learners."""

    team = forms.ModelChoiceField(queryset=None, required=False, empty_label="— no team —")
    learners = LearnerChoiceField(
        queryset=None,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text="Or choose people from your teams (Ctrl/Cmd-click for several).",
    )
    lessons = IdMultipleChoiceField(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave all unticked to assign the whole course.",
    )
    due_date = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="Due date"
    )
    note = forms.CharField(
        required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
    require_fresh_completion = forms.BooleanField(
        required=False,
        label="Require a fresh completion",
        help_text=(
            "For training that must be repeated (e.g. yearly compliance): people who "
            "completed the course before take it again. Whole courses only."
        ),
    )

    def __init__(self, *args, trainer, course, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams_managed_by(trainer)
        self.fields["learners"].queryset = learners_followed_by(trainer).order_by(
            "last_name", "first_name", "username"
        )
        self.fields["lessons"].queryset = Lesson.objects.published().filter(course=course)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", "Assign"))

    def clean(self):
        data = super().clean()
        if bool(data.get("team")) == bool(data.get("learners")):
            raise forms.ValidationError("Choose a team, or one or more learners (not both).")
        if data.get("require_fresh_completion") and data.get("lessons"):
            self.add_error(
                "require_fresh_completion",
                "A fresh completion is for the whole course: untick the lessons, or this.",
            )
        return data
