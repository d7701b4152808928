"""Path assignments in the admin, for superusers (trainers assign paths on /trainer/paths/).
Adding one is training.paths.assign_path (the course assignments, their log and emails,
in the admin view's transaction); deleting one is remove_path_assignment. A path
assignment is not changed here: remove it and assign the path again. Registered by
training.admin, which imports this module."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.http import HttpRequest, HttpResponseRedirect

from training.admin import Refused
from training.models import PathAssignment
from training.paths import assign_path, check_new_path_assignment, remove_path_assignment
from training.services import AssignmentError


class PathAssignmentAdminForm(forms.ModelForm):
    """Asks the trainer page's own check before anything is saved, and shows its
    reason on the form."""

    by = None  # who is saving: set by PathAssignmentAdmin.get_form, for each request

    class Meta:
        model = PathAssignment
        fields = ["path", "team", "learner", "due_date", "note"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("path") is not None:
            try:
                check_new_path_assignment(
                    self.by,
                    data["path"],
                    data.get("team"),
                    [data["learner"]] if data.get("learner") else [],
                )
            except AssignmentError as refused:
                raise forms.ValidationError(str(refused)) from None
        return data


@admin.register(PathAssignment)
class PathAssignmentAdmin(admin.ModelAdmin):
    form = PathAssignmentAdminForm
    list_display = ["path", "team", "learner", "due_date", "assigned_by", "created_at"]
    list_filter = ["path", "team"]
    list_select_related = ["path", "team", "learner", "assigned_by"]
    search_fields = ["path__title", "team__name", "learner__username"]
    raw_id_fields = ["learner"]
    fields = ["path", "team", "learner", "due_date", "note", "assigned_by", "course_assignments"]
    readonly_fields = ["assigned_by", "course_assignments"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    @admin.display(description="course assignments made with it")
    def course_assignments(self, obj: PathAssignment) -> str:
        if not obj.pk:
            return "—"
        return ", ".join(str(row.course) for row in obj.assignments.select_related("course")) or "—"

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.by = request.user
        return form

    def save_model(self, request, obj, form, change) -> None:
        try:
            (made,) = assign_path(
                by=request.user,
                path=obj.path,
                team=obj.team,
                learners=[obj.learner] if obj.learner_id else [],
                due_date=obj.due_date,
                note=obj.note,
            )
        except AssignmentError as refused:
            raise Refused(str(refused)) from refused
        obj.pk, obj.assigned_by, obj.created_at = made.pk, made.assigned_by, made.created_at
        obj._state.adding, obj._state.db = False, made._state.db

    def save_related(self, request, form, formsets, change) -> None:
        return  # assign_path linked the course assignments; there are no inlines

    def delete_model(self, request, obj) -> None:
        try:
            remove_path_assignment(request.user, obj)
        except AssignmentError as refused:
            raise Refused(str(refused)) from refused

    def delete_queryset(self, request, queryset) -> None:
        with transaction.atomic():
            for obj in queryset:
                self.delete_model(request, obj)

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
