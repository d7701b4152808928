"""The form that assigns a learning path: a team or learners, a due date and a note
for every course of the path (training.paths.assign_path)."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from training.fields import SiteDateField
from training.forms import ConfirmWarnings, LearnerChoiceField
from training.roles import learners_assignable_by, teams_managed_by


class PathAssignmentForm(ConfirmWarnings, forms.Form):
    team: forms.ModelChoiceField = forms.ModelChoiceField(
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
    due_date = SiteDateField(
        required=False,
        label=gettext_lazy("Due date"),
        help_text=gettext_lazy("For every course of the path."),
    )
    note = forms.CharField(
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label=gettext_lazy("Note"),
    )
    confirm_past_due = forms.BooleanField(
        required=False,
        label=gettext_lazy("Yes, the date is in the past"),
        widget=forms.HiddenInput,
    )

    def __init__(self, *args, trainer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams_managed_by(trainer)
        self.fields["learners"].queryset = learners_assignable_by(trainer).order_by(
            "last_name", "first_name", "username"
        )
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Assign the path")))

    def clean(self):
        data = super().clean()
        if bool(data.get("team")) == bool(data.get("learners")):
            raise forms.ValidationError(_("Choose a team, or one or more learners (not both)."))
        self._check_past_due(data.get("due_date"))
        return data
