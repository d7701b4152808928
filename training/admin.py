from django.contrib import admin
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.html import format_html_join

from training.models import Assignment, Team
from training.services import record_assigned, record_changed, record_removed, snapshot


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


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    """Any course to any team or learner: for people admins with the Assignment
    permissions, never trainers (who assign on /trainer/, for their teams only).
    Every add, change and delete here writes the same audit-log rows as the
    trainer pages (training.services), and a new assignment sends the same emails."""

    list_display = ["course", "team", "learner", "due_date", "assigned_by", "created_at"]
    list_filter = ["course", "team", ("due_date", admin.DateFieldListFilter)]
    list_select_related = ["course", "team", "learner", "assigned_by"]
    search_fields = ["course__title", "team__name", "learner__username"]
    raw_id_fields = ["learner"]
    # Who assigned is a record, not a choice: it cannot be made to name someone else.
    readonly_fields = ["assigned_by", "history"]
    filter_horizontal = ["lessons"]

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

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.assigned_by = request.user
        else:  # as it was, for the log (its lessons are saved later, in save_related)
            stored = Assignment.objects.select_related("course", "team", "learner").get(pk=obj.pk)
            obj._before_change = snapshot(stored)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        obj = form.instance  # (changeform_view runs all of this in one transaction)
        if change:
            record_changed(obj, request.user, obj._before_change, obj.lessons.all())
        else:
            record_assigned(obj, request.user, obj.lessons.all())

    def delete_model(self, request, obj) -> None:
        with transaction.atomic():
            record_removed(obj, request.user)
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset) -> None:
        with transaction.atomic():
            for obj in queryset.select_related("course", "team", "learner"):
                record_removed(obj, request.user)
            super().delete_queryset(request, queryset)
