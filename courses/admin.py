from django.contrib import admin
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse

from courses.admin_tools import (
    KeepsLearnerRecords,
    PublishedFilter,
    publish,
    state_label,
    unpublish,
)
from courses.models import Assignment, Course, Team
from lessons.models import Lesson, LessonProgress, ProgressState
from lessons.services import SubqueryCount


class LessonInline(admin.TabularInline):
    """The course's lessons in order; change a position to reorder."""

    model = Lesson
    fields = ["position", "title", "slug", "minutes", "published_at", "retired_at"]
    extra = 0
    show_change_link = True
    ordering = ["position", "id"]
    can_delete = False  # lessons are retired, not deleted, from here


@admin.register(Course)
class CourseAdmin(KeepsLearnerRecords, admin.ModelAdmin):
    list_display = [
        "title",
        "slug",
        "state",
        "visibility",
        "lesson_count",
        "learners_started",
        "average_completion",
    ]
    list_filter = [PublishedFilter, "visibility"]
    search_fields = ["title", "slug", "description"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["published_at"]
    actions = [publish, unpublish]
    inlines = [LessonInline]
    instead = "set it back to draft, or retire its lessons."

    def view_on_site(self, obj):
        return reverse("preview_course", args=[obj.pk])

    def get_queryset(self, request):
        published = Lesson.objects.published().filter(course=OuterRef("pk")).values("pk")
        progress = LessonProgress.objects.filter(
            lesson__course=OuterRef("pk"), lesson__retired_at__isnull=True
        )
        return (
            super()
            .get_queryset(request)
            .annotate(
                lessons_total=Coalesce(SubqueryCount(published), 0),
                learners_total=Coalesce(
                    Subquery(
                        progress.order_by()
                        .values("lesson__course")
                        .annotate(n=Count("learner", distinct=True))
                        .values("n"),
                        output_field=IntegerField(),
                    ),
                    0,
                ),
                completed_total=Coalesce(
                    SubqueryCount(progress.filter(state=ProgressState.COMPLETED).values("pk")),
                    0,
                ),
            )
        )

    @admin.display(description="state")
    def state(self, obj) -> str:
        return state_label(obj)

    @admin.display(description="lessons", ordering="lessons_total")
    def lesson_count(self, obj) -> int:
        return obj.lessons_total

    @admin.display(description="learners started", ordering="learners_total")
    def learners_started(self, obj) -> int:
        return obj.learners_total

    @admin.display(description="avg completion")
    def average_completion(self, obj) -> str:
        """Completed lessons per learner who started, as a share of the lessons."""
        if not obj.learners_total or not obj.lessons_total:
            return "–"
        return f"{obj.completed_total * 100 // (obj.learners_total * obj.lessons_total)}%"


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
