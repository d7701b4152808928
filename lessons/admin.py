from django import forms
from django.contrib import admin
from django.db import models
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from courses.admin_tools import (
    KeepsLearnerRecords,
    PublishedFilter,
    publish,
    retire,
    state_label,
    unpublish,
    unretire,
)
from lessons.models import Lesson, LessonProgress


class RecordAdmin(admin.ModelAdmin):
    """For records of learners' work (progress, attempts): readable, never edited here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Lesson)
class LessonAdmin(KeepsLearnerRecords, admin.ModelAdmin):
    list_display = ["title", "course", "position", "state", "minutes", "learners"]
    list_filter = [PublishedFilter, "course"]
    search_fields = ["title", "slug", "body_markdown"]
    list_select_related = ["course"]
    ordering = ["course", "position"]
    fields = [
        "course",
        "title",
        "slug",
        "position",
        "minutes",
        "body_markdown",
        "rendered",
        "published_at",
        "retired_at",
    ]
    readonly_fields = ["rendered", "published_at", "retired_at"]
    actions = [publish, unpublish, retire, unretire]
    # A plain, roomy Markdown editor; the rendered preview is below it.
    formfield_overrides = {
        models.TextField: {
            "widget": forms.Textarea(
                attrs={"rows": 22, "cols": 90, "style": "font-family: monospace"}
            )
        }
    }

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(learner_total=models.Count("progress", distinct=True))
        )

    @admin.display(description="state")
    def state(self, obj) -> str:
        return state_label(obj)

    @admin.display(description="learners", ordering="learner_total")
    def learners(self, obj) -> int:
        return obj.learner_total

    @admin.display(description="preview (as saved)")
    def rendered(self, obj) -> str:
        if obj.pk is None:
            return "Save to see the lesson as learners will."
        # body_html is rendered and sanitised by the same code as the learner's page.
        return format_html(
            '<p><a href="{}" target="_blank">Open as a learner would see it</a></p>'
            '<div style="max-width:46rem;border:1px solid #ccc;padding:1rem">{}</div>',
            reverse("preview_lesson", args=[obj.pk]),
            _safe(obj.body_html),
        )

    def view_on_site(self, obj):
        return reverse("preview_lesson", args=[obj.pk])


def _safe(html: str):
    return mark_safe(html)  # nh3-sanitised when the lesson was saved


@admin.register(LessonProgress)
class LessonProgressAdmin(RecordAdmin):
    list_display = ["learner", "lesson", "state", "started_at", "completed_at"]
    list_filter = ["state", "lesson__course"]
    list_select_related = ["learner", "lesson"]
    search_fields = ["learner__username", "lesson__title"]
