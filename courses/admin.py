from django.contrib import admin
from django.db.models import Count

from courses.models import Assignment, Course, Team
from lessons.models import Lesson


class LessonInline(admin.TabularInline):
    model = Lesson
    fields = ["position", "title", "slug", "minutes", "retired_at"]
    extra = 0
    show_change_link = True
    ordering = ["position"]


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "visibility", "updated_at"]
    list_filter = ["visibility"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [LessonInline]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "member_count"]
    search_fields = ["name"]
    filter_horizontal = ["members", "trainers"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_total=Count("members"))

    @admin.display(description="members", ordering="member_total")
    def member_count(self, obj) -> int:
        return obj.member_total


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ["course", "team", "learner", "due_date", "assigned_by", "created_at"]
    list_filter = ["course", "team"]
    list_select_related = ["course", "team", "learner", "assigned_by"]
    raw_id_fields = ["learner", "assigned_by"]
    filter_horizontal = ["lessons"]
