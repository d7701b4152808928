from django.contrib import admin

from lessons.models import Lesson, LessonProgress


@admin.register(Lesson)
class LessonAdmin(admin.ModelAdmin):
    list_display = ["title", "course", "position", "minutes", "retired_at"]
    list_filter = ["course"]
    search_fields = ["title", "slug"]
    list_select_related = ["course"]


class RecordAdmin(admin.ModelAdmin):
    """For records of learners' work (progress, attempts): readable, never edited here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LessonProgress)
class LessonProgressAdmin(RecordAdmin):
    list_display = ["learner", "lesson", "state", "started_at", "completed_at"]
    list_filter = ["state", "lesson__course"]
    list_select_related = ["learner", "lesson"]
    search_fields = ["learner__username", "lesson__title"]
