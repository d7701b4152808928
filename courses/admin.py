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
from courses.models import Course
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
