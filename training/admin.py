from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.utils import timezone
from django.utils.html import format_html_join

from lessons.models import Lesson
from training.models import Assignment, Recurrence, Team
from training.recertification import RenewalRule
from training.services import (
    AssignmentError,
    assign_course,
    change_assignment,
    check_change,
    check_new_assignment,
    remove_assignment,
)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    """For people admins (superusers, or whoever a superuser gives Team permissions):
    every team and user. Trainers work on /trainer/ and hold no model permission."""

    list_display = ["name", "member_count", "trainer_names"]
    ordering = ["name"]  # the member count's GROUP BY drops Meta.ordering (autocomplete pages)
    search_fields = ["name", "members__username", "members__last_name"]
    filter_horizontal = ["members", "trainers"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(member_total=Count("members", distinct=True))
            .prefetch_related("trainers")
        )

    @admin.display(description="members", ordering="member_total")
    def member_count(self, obj) -> int:
        return obj.member_total

    @admin.display(description="trainers")
    def trainer_names(self, obj) -> str:
        return ", ".join(str(trainer) for trainer in obj.trainers.all())


RENEWAL_FIELDS = [
    "recurrence",
    "valid_for_months",
    "renew_by_month",
    "renew_by_day",
    "renew_window_days",
    "extend_from_expiry",
]


def renewal_rule_of(obj: Assignment) -> RenewalRule:
    """The recurrence fields of the admin's form as the use case takes them."""
    renew_by = (obj.renew_by_month, obj.renew_by_day or 1) if obj.renew_by_month else None
    return RenewalRule(
        recurrence=Recurrence(obj.recurrence or Recurrence.ONCE),
        valid_for_months=obj.valid_for_months,
        renew_by=renew_by,
        window_days=obj.renew_window_days or 30,
        extend_from_expiry=obj.extend_from_expiry,
    )


class AssignmentAdminForm(forms.ModelForm):
    """The admin's assignment form. Before anything is saved it asks the trainer
    pages' own check (training.services: ``check_new_assignment`` to add,
    ``check_change`` to change) and shows the reason on the form. Lessons offered:
    published ones; on a change, those of the assignment's course (chosen lessons
    retired since stay chosen, as on the trainer page)."""

    by = None  # who is saving: set by AssignmentAdmin.get_form, for each request

    class Meta:
        model = Assignment
        fields = [
            "course",
            "team",
            "learner",
            "lessons",
            "due_date",
            "note",
            "require_fresh_completion",
            *RENEWAL_FIELDS,
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._refused = False
        for name in ("recurrence", "renew_window_days"):  # their defaults when left out
            if name in self.fields:
                self.fields[name].required = False
        lessons = self.fields.get("lessons")
        if lessons is not None and self.instance.pk:
            lessons.queryset = Lesson.objects.published().filter(course_id=self.instance.course_id)
        elif lessons is not None:  # any course's: each named with its course
            lessons.queryset = Lesson.objects.published().select_related("course")
            lessons.label_from_instance = lambda lesson: f"{lesson.course}: {lesson.title}"

    def clean(self):
        data = super().clean()
        try:
            if self.instance.pk is not None:
                check_change(self.by, self.instance, data.get("lessons") or [])
            elif data.get("course") is not None:
                check_new_assignment(
                    self.by,
                    course=data["course"],
                    team=data.get("team"),
                    learners=[data["learner"]] if data.get("learner") else [],
                    lessons=data.get("lessons") or [],
                    require_fresh_completion=bool(data.get("require_fresh_completion")),
                    renewal=renewal_rule_of(self._as_assignment(data)),
                )
        except AssignmentError as refused:
            self._refused = True
            raise forms.ValidationError(str(refused)) from None
        return data

    @staticmethod
    def _as_assignment(data) -> Assignment:
        fields = {name: data.get(name) for name in RENEWAL_FIELDS}
        fields["recurrence"] = fields["recurrence"] or Recurrence.ONCE
        fields["renew_window_days"] = fields["renew_window_days"] or 30
        fields["extend_from_expiry"] = bool(fields["extend_from_expiry"])
        return Assignment(**fields)

    def _post_clean(self):
        # Refused: the reason is on the form. The model's constraints (a team or a
        # learner, one assignment per course and assignee) would only say it again,
        # in their names; and the instance is never saved.
        if not self._refused:
            super()._post_clean()


class Refused(Exception):
    """A use case refused at the save, after the form's check passed (another admin
    was quicker): the view rolls everything back and says why."""


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    """Any course to any team or learner, for superusers (who manage assignments;
    trainers assign on /trainer/, for their teams only). Adding, changing and
    deleting here are the trainer pages' use cases (training.services:
    ``assign_course``, ``change_assignment``, ``remove_assignment``, as the user
    saving): the same rules, with their reasons shown on the form, the same
    audit-log rows and the same emails. As on the trainer pages, an assignment's
    course, assignee and fresh-completion setting are its creation: to change
    them, delete it and add another."""

    form = AssignmentAdminForm
    fields = [
        "course",
        "team",
        "learner",
        "lessons",
        "due_date",
        "note",
        "require_fresh_completion",
        "recurrence",
        "valid_for_months",
        "renew_by_month",
        "renew_by_day",
        "renew_window_days",
        "extend_from_expiry",
        "assigned_by",
        "history",
    ]
    list_display = ["course", "team", "learner", "due_date", "assigned_by", "created_at"]
    list_filter = ["course", "team", ("due_date", admin.DateFieldListFilter)]
    list_select_related = ["course", "team", "learner", "assigned_by"]
    search_fields = ["course__title", "team__name", "learner__username"]
    raw_id_fields = ["learner"]
    # Who assigned is a record, not a choice: it cannot be made to name someone else.
    readonly_fields = ["assigned_by", "history"]
    filter_horizontal = ["lessons"]

    def get_readonly_fields(self, request, obj=None):
        fields = [*super().get_readonly_fields(request, obj)]
        if obj is not None:
            # How it comes back is set when it is made (remove it and assign again).
            fields += ["course", "team", "learner", "require_fresh_completion", *RENEWAL_FIELDS]
            if obj.require_fresh_completion:
                fields.append("lessons")  # a fresh completion is for the whole course
        return fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.by = request.user  # a class made for this request (modelform_factory)
        return form

    @admin.display(description="history (newest first)")
    def history(self, obj) -> str:
        # Read-only text, not an inline: the log is written by training.services only.
        events = obj.events.all() if obj.pk else []
        return (
            format_html_join(
                "",
                "<p>{} · {} by {}: {}</p>",
                (
                    (
                        timezone.localtime(e.at).strftime("%Y-%m-%d %H:%M"),
                        e.get_action_display(),
                        e.actor_name or "someone",
                        e.summary,
                    )
                    for e in events
                ),
            )
            or "—"
        )

    # Saving: the use cases, in the admin view's transaction ---------------------------

    def save_model(self, request, obj, form, change) -> None:
        lessons = list(form.cleaned_data.get("lessons") or [])
        try:
            if change:
                change_assignment(
                    request.user, obj, due_date=obj.due_date, note=obj.note, lessons=lessons
                )
                return
            (made,) = assign_course(
                by=request.user,
                course=obj.course,
                team=obj.team,
                learners=[obj.learner] if obj.learner_id else [],
                lessons=lessons,
                due_date=obj.due_date,
                note=obj.note,
                require_fresh_completion=obj.require_fresh_completion,
                renewal=renewal_rule_of(obj),
            )
        except AssignmentError as refused:
            raise Refused(str(refused)) from refused
        # The admin goes on with the form's instance (its message, log and redirect).
        obj.pk, obj.assigned_by, obj.created_at = made.pk, made.assigned_by, made.created_at
        obj._state.adding, obj._state.db = False, made._state.db

    def save_related(self, request, form, formsets, change) -> None:
        # The lessons are the use case's to save (form.save_m2m would set them again,
        # and on a change drop chosen lessons retired since). There are no inlines.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request, obj) -> None:
        try:
            remove_assignment(request.user, obj)
        except AssignmentError as refused:
            raise Refused(str(refused)) from refused

    def delete_queryset(self, request, queryset) -> None:
        # The bulk action: each is removed as one would be, all or none.
        with transaction.atomic():
            for obj in queryset:
                self.delete_model(request, obj)

    # A refusal at the save: everything rolled back, the reason said --------------------

    def _refusing(self, view, request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except Refused as refused:
            self.message_user(request, str(refused), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def changeform_view(self, request, *args, **kwargs):
        return self._refusing(super().changeform_view, request, *args, **kwargs)

    def delete_view(self, request, *args, **kwargs):
        return self._refusing(super().delete_view, request, *args, **kwargs)

    def changelist_view(self, request, *args, **kwargs):
        return self._refusing(super().changelist_view, request, *args, **kwargs)


# Path assignments (registered there; it uses Refused above).
from training import path_admin  # noqa: E402, F401
