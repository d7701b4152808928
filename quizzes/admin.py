from django.contrib import admin

from courses.admin_tools import AnnouncesContentChanges, KeepsLearnerRecords, retire, unretire
from lessons.admin import RecordAdmin
from quizzes.models import Answer, Attempt, Choice, Question, Quiz


class QuestionInline(admin.TabularInline):
    model = Question
    fields = ["position", "key", "type", "prompt", "retired_at"]
    extra = 0
    show_change_link = True
    ordering = ["position"]


@admin.register(Quiz)
class QuizAdmin(AnnouncesContentChanges, KeepsLearnerRecords, admin.ModelAdmin):
    list_display = [
        "__str__",
        "pass_mark",
        "max_attempts",
        "shuffle",
        "show_answers",
        "draw",
        "time_limit",
        "retired_at",
    ]
    ordering = ["pk"]  # Quiz has no Meta.ordering; autocomplete pages need one
    instead = "remove it from the lesson's file, or set 'retired at', to retire it."
    list_select_related = ["lesson__course", "course"]
    list_filter = ["shuffle", "show_answers"]
    search_fields = ["lesson__title", "course__title"]
    raw_id_fields = ["lesson", "course"]
    inlines = [QuestionInline]


class ChoiceInline(admin.TabularInline):
    model = Choice
    fields = ["position", "text", "is_correct", "feedback"]
    extra = 0
    ordering = ["position"]


@admin.register(Question)
class QuestionAdmin(KeepsLearnerRecords, admin.ModelAdmin):
    list_display = ["__str__", "type", "quiz", "position", "retired_at"]
    list_filter = ["type"]
    list_select_related = ["quiz__lesson__course", "quiz__course"]
    search_fields = ["prompt", "key"]
    inlines = [ChoiceInline]
    actions = [retire, unretire]


class AnswerInline(admin.TabularInline):
    model = Answer
    fields = ["position", "prompt", "given", "expected", "is_correct", "matched", "spelling"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Attempt)
class AttemptAdmin(RecordAdmin):
    list_display = [
        "learner",
        "quiz",
        "number",
        "score",
        "max_score",
        "percent",
        "passed",
        "deadline",
        "submitted_at",
    ]
    list_filter = ["passed"]
    list_select_related = ["learner", "quiz__lesson__course", "quiz__course"]
    search_fields = ["learner__username"]
    inlines = [AnswerInline]
