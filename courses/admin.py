from django.contrib import admin

from courses.models import Course
from lessons.models import Lesson


class LessonInline(admin.TabularInline):
    model = Lesson
    fields = ["position", "title", "slug", "minutes", "retired_at"]
    extra = 0
    show_change_link = True
    ordering = ["position"]


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "updated_at"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [LessonInline]
