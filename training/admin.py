from django.contrib import admin
from django.db.models import Count

from training.models import Assignment, Team


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
    permissions, never trainers (who assign on /trainer/, for their teams only)."""

    list_display = ["course", "team", "learner", "due_date", "assigned_by", "created_at"]
    list_filter = ["course", "team", ("due_date", admin.DateFieldListFilter)]
    list_select_related = ["course", "team", "learner", "assigned_by"]
    search_fields = ["course__title", "team__name", "learner__username"]
    raw_id_fields = ["learner"]
    # Who assigned is a record, not a choice: it cannot be made to name someone else.
    readonly_fields = ["assigned_by"]
    filter_horizontal = ["lessons"]

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.assigned_by = request.user
        super().save_model(request, obj, form, change)
