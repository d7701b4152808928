"""The content pages of the admin: a course with its lessons, media and translations,
and a lesson with its translations.

They live here, above the apps whose models they show together (courses, lessons,
quizzes), so each of those apps imports only what is below it; the admin's URLs
(``admin:courses_course_change`` …) follow the models' apps, not this module.
Each app's own admin registers what needs nothing above it: media uploads
(courses.admin), learners' records and certificates (lessons.admin), quizzes and
questions (quizzes.admin).
"""

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, TextField
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from authoring.requirements import find_loop, loop_message
from common.queries import SubqueryCount
from courses import storage as media_storage
from courses.admin import MediaFileInline
from courses.admin_tools import (
    AnnouncesContentChanges,
    KeepsLearnerRecords,
    PublishedFilter,
    publish,
    retire,
    state_label,
    unpublish,
    unretire,
)
from courses.models import Course, CourseRequirement, CourseTranslation, MediaFile
from courses.translations import translation_languages
from lessons.media import relink_media
from lessons.models import (
    Lesson,
    LessonProgress,
    LessonRequirement,
    LessonTranslation,
    ProgressState,
)
from progress.rules import percent_complete
from quizzes.records import course_has_learner_records, lesson_has_learner_records
from quizzes.translations import quiz_text_problems_for


class LessonInline(admin.TabularInline):
    """The course's lessons in order; change a position to reorder."""

    model = Lesson
    fields = ["position", "title", "slug", "minutes", "published_at", "retired_at"]
    extra = 0
    show_change_link = True
    ordering = ["position", "id"]
    can_delete = False  # lessons are retired, not deleted, from here


TRANSLATED_LABELS = {
    "title": "Title in this language",
    "description": "Description in this language",
    "introduction_markdown": "Introduction in this language",
    "body_markdown": "Text in this language",
}


class TranslationForm(forms.ModelForm):
    """A translation's language, chosen among those content may be translated into;
    its quiz texts checked against the quiz they translate (quizzes.translations)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"] = forms.ChoiceField(
            choices=[(code, code) for code in translation_languages()]
        )
        # Labels unlike the page's own fields ("Title:"), for people and for tests alike.
        for name, label in TRANSLATED_LABELS.items():
            if name in self.fields:
                self.fields[name].label = label

    def clean_quiz_texts(self) -> Any:
        # An emptied text area means "no quiz texts", not JSON null.
        return self.cleaned_data.get("quiz_texts") or {}

    def clean(self) -> dict[str, Any]:
        super().clean()
        # The inline formset has set the translation's course or lesson already.
        texts = self.cleaned_data.get("quiz_texts")
        if "quiz_texts" in self.fields and (
            problems := quiz_text_problems_for(self.instance, texts)
        ):
            self.add_error("quiz_texts", problems)
        return self.cleaned_data


class TranslationFormSet(forms.BaseInlineFormSet):
    """A post without the translations' forms (a script, an older form) leaves the
    translations as they are instead of failing on the missing management form."""

    def __init__(self, data: Any = None, *args: Any, **kwargs: Any) -> None:
        prefix = kwargs.get("prefix") or self.get_default_prefix()
        if data is not None and f"{prefix}-TOTAL_FORMS" not in data:
            data = data.copy()
            data[f"{prefix}-TOTAL_FORMS"] = data[f"{prefix}-INITIAL_FORMS"] = "0"
        super().__init__(data, *args, **kwargs)


class CourseTranslationInline(admin.StackedInline):
    """The course's texts in other languages (course.<lang>.md): fix a typo here."""

    model = CourseTranslation
    form = TranslationForm
    formset = TranslationFormSet
    fields = ["language", "title", "description", "introduction_markdown", "quiz_texts"]
    extra = 0


class RequirementFormSet(TranslationFormSet):
    """The requirements of a course or a lesson (its inline): refused when the item would
    require itself or the requirements would make a loop, which is named as the
    importer names it (authoring.requirements). A post without the requirements' forms
    leaves them as they are (TranslationFormSet's leniency)."""

    def clean(self) -> None:
        super().clean()
        owner = self.instance
        if any(self.errors) or owner.pk is None:
            return  # a new item: nothing requires it yet, so it closes no loop
        required = [
            form.cleaned_data["required"]
            for form in self.forms
            if form.cleaned_data.get("required") and not form.cleaned_data.get("DELETE")
        ]
        if any(item.pk == owner.pk for item in required):
            raise ValidationError(f"{owner.slug} cannot require itself.")
        edges: dict[str, list[str]] = {}
        for slug, required_slug in self.other_requirements():
            edges.setdefault(slug, []).append(required_slug)
        edges[owner.slug] = [item.slug for item in required]
        if loop := find_loop(edges, owner.slug):
            raise ValidationError(f"These requirements make a loop: {loop_message(loop)}.")

    def other_requirements(self) -> list[tuple[str, str]]:
        """(slug, required slug) of every requirement but the owner's own."""
        raise NotImplementedError


class CourseRequirementFormSet(RequirementFormSet):
    def other_requirements(self) -> list[tuple[str, str]]:
        rows = CourseRequirement.objects.exclude(course=self.instance)
        return list(rows.values_list("course__slug", "required__slug"))


class LessonRequirementFormSet(RequirementFormSet):
    def other_requirements(self) -> list[tuple[str, str]]:
        rows = LessonRequirement.objects.filter(lesson__course=self.instance.course_id)
        return list(
            rows.exclude(lesson=self.instance).values_list("lesson__slug", "required__slug")
        )


class CourseRequirementInline(admin.TabularInline):
    """The courses a learner completes before this one opens (requires: in course.md)."""

    model = CourseRequirement
    fk_name = "course"
    formset = CourseRequirementFormSet
    fields = ["required", "min_score"]
    extra = 0
    verbose_name = "required course"
    verbose_name_plural = "required courses (completed first; a score: in the final assessment)"


class LessonRequirementInline(admin.TabularInline):
    """The lessons of the same course completed before this one opens (requires: in
    the lesson's file)."""

    model = LessonRequirement
    fk_name = "lesson"
    formset = LessonRequirementFormSet
    fields = ["required", "min_score"]
    extra = 0
    verbose_name = "required lesson"
    verbose_name_plural = "required lessons (completed first; a score: in the lesson quiz)"

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        # Only the other lessons of the lesson's course may be chosen.
        object_id = (
            request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
        )
        if db_field.name == "required" and object_id:
            lesson = Lesson.objects.filter(pk=object_id).first()
            if lesson is not None:
                kwargs["queryset"] = (
                    Lesson.objects.filter(course=lesson.course_id)
                    .exclude(pk=lesson.pk)
                    .order_by("position", "id")
                )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Course)
class CourseAdmin(AnnouncesContentChanges, KeepsLearnerRecords, admin.ModelAdmin):
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
    inlines = [LessonInline, MediaFileInline, CourseTranslationInline, CourseRequirementInline]
    instead = "set it back to draft, or retire its lessons."

    def has_learner_records(self, obj: Course) -> bool:
        return course_has_learner_records(obj)

    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # The uploads' files follow the page's transaction: none is left behind when
        # the page does not validate or its save fails (courses.storage).
        with media_storage.atomic():
            return super().changeform_view(request, *args, **kwargs)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        if any(formset.model is MediaFile and formset.has_changed() for formset in formsets):
            relink_media(form.instance)  # the lessons' links carry the media's versions

    def view_on_site(self, obj: Course) -> str:
        return reverse("preview_course", args=[obj.pk])

    def get_queryset(self, request: HttpRequest) -> QuerySet[Course]:
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
    def state(self, obj: Course) -> str:
        return state_label(obj)

    @admin.display(description="lessons", ordering="lessons_total")
    def lesson_count(self, obj: Any) -> int:
        return int(obj.lessons_total)

    @admin.display(description="learners started", ordering="learners_total")
    def learners_started(self, obj: Any) -> int:
        return int(obj.learners_total)

    @admin.display(description="avg completion")
    def average_completion(self, obj: Any) -> str:
        """Completed lessons per learner who started, as a share of the lessons (the
        progress rule's percent, over everyone who started)."""
        if not obj.learners_total or not obj.lessons_total:
            return "–"
        return f"{percent_complete(obj.completed_total, obj.learners_total * obj.lessons_total)}%"


class LessonTranslationInline(admin.StackedInline):
    """The lesson's texts in other languages (NN-slug.<lang>.md): fix a typo here."""

    model = LessonTranslation
    form = TranslationForm
    formset = TranslationFormSet
    fields = ["language", "title", "body_markdown", "quiz_texts"]
    extra = 0


@admin.register(Lesson)
class LessonAdmin(AnnouncesContentChanges, KeepsLearnerRecords, admin.ModelAdmin):
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
    inlines = [LessonTranslationInline, LessonRequirementInline]
    # A plain, roomy Markdown editor; the rendered preview is below it.
    formfield_overrides = {
        TextField: {
            "widget": forms.Textarea(attrs={"rows": 22, "cols": 90, "class": "markdown-editor"})
        }
    }

    class Media:
        # The editor's and the preview's look (no inline styles: the Content-Security-Policy).
        css = {"all": ["css/admin.css"]}

    def has_learner_records(self, obj: Lesson) -> bool:
        return lesson_has_learner_records(obj)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Lesson]:
        return (
            super().get_queryset(request).annotate(learner_total=Count("progress", distinct=True))
        )

    @admin.display(description="state")
    def state(self, obj: Lesson) -> str:
        return state_label(obj)

    @admin.display(description="learners", ordering="learner_total")
    def learners(self, obj: Any) -> int:
        return int(obj.learner_total)

    @admin.display(description="preview (as saved)")
    def rendered(self, obj: Lesson) -> str:
        if obj.pk is None:
            return "Save to see the lesson as learners will."
        # body_html is rendered and sanitised by the same code as the learner's page.
        return format_html(
            '<p><a href="{}" target="_blank">Open as a learner would see it</a></p>'
            '<div class="lesson-preview">{}</div>',
            reverse("preview_lesson", args=[obj.pk]),
            _safe(obj.body_html),
        )

    def view_on_site(self, obj: Lesson) -> str:
        return reverse("preview_lesson", args=[obj.pk])


def _safe(html: str) -> SafeString:
    return mark_safe(html)  # nh3-sanitised when the lesson was saved
