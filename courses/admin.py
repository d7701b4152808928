from django import forms
from django.conf import settings
from django.contrib import admin
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse

from common.queries import SubqueryCount
from courses import storage as media_storage
from courses.admin_tools import (
    KeepsLearnerRecords,
    PublishedFilter,
    publish,
    state_label,
    unpublish,
)
from courses.media import MediaProblem, check_media, check_size, path_problem
from courses.models import Course, CourseTranslation, MediaFile, relink_media
from courses.storage import store_media
from courses.translations import translation_languages
from lessons.models import Lesson, LessonProgress, ProgressState


class LessonInline(admin.TabularInline):
    """The course's lessons in order; change a position to reorder."""

    model = Lesson
    fields = ["position", "title", "slug", "minutes", "published_at", "retired_at"]
    extra = 0
    show_change_link = True
    ordering = ["position", "id"]
    can_delete = False  # lessons are retired, not deleted, from here


class MediaFileForm(forms.ModelForm):
    """An upload is checked as the importer checks a file of media/ (type from the
    content, size, wide images scaled down); its path defaults to media/<its name>.
    Its file is written while the form is validated, so a full disk is an error on
    the form; it is placed when the form is saved (courses.storage)."""

    upload = forms.FileField(
        required=False,
        help_text=f"PNG, JPEG, GIF, WebP, PDF or .txt, at most "
        f"{settings.LESSON_MEDIA_MAX_BYTES / 2**20:g} MiB; wider images are scaled to "
        f"{settings.LESSON_IMAGE_MAX_WIDTH} pixels.",
    )

    class Meta:
        model = MediaFile
        fields = ["upload", "path"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["path"].required = False
        self.checked = None
        self.staged = None

    def clean(self) -> dict:
        data = super().clean()
        upload = data.get("upload")
        if upload is None and self.instance.pk is None:
            raise forms.ValidationError({"upload": "Choose a file to upload."})
        if upload is not None:
            try:
                check_size(upload.size)  # before reading it
                self.checked = check_media(upload.name, upload.read())
            except MediaProblem as problem:
                raise forms.ValidationError({"upload": str(problem)}) from None
        path = data.get("path") or (f"media/{upload.name}" if upload is not None else "")
        if problem := path_problem(path):
            raise forms.ValidationError({"path": f"{path}: {problem}"})
        taken = MediaFile.objects.filter(course_id=self.instance.course_id, path=path)
        if self.instance.course_id and taken.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(
                {"path": f"{path} is already a file of this course: upload on its row instead"}
            )
        data["path"] = path
        if self.checked is not None:
            try:
                self.staged = media_storage.write(path, self.checked.data)
            except media_storage.StorageFailed as failed:
                raise forms.ValidationError({"upload": str(failed)}) from None
        return data

    def save(self, commit: bool = True) -> MediaFile:
        media = super().save(commit=False)
        if self.checked is not None:
            store_media(media, self.checked, self.staged)  # saves
        elif commit:
            media.save()
        return media


class MediaFileInline(admin.TabularInline):
    """Images and documents lessons show or link to as media/<name>."""

    model = MediaFile
    form = MediaFileForm
    fields = ["path", "upload", "content_type", "size", "width", "height"]
    readonly_fields = ["content_type", "size", "width", "height"]
    extra = 0


TRANSLATED_LABELS = {
    "title": "Title in this language",
    "description": "Description in this language",
    "introduction_markdown": "Introduction in this language",
    "body_markdown": "Text in this language",
}


class TranslationForm(forms.ModelForm):
    """A translation's language, chosen among those content may be translated into."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"] = forms.ChoiceField(
            choices=[(code, code) for code in translation_languages()]
        )
        # Labels unlike the page's own fields ("Title:"), for people and for tests alike.
        for name, label in TRANSLATED_LABELS.items():
            if name in self.fields:
                self.fields[name].label = label

    def clean_quiz_texts(self):
        # An emptied text area means "no quiz texts", not JSON null.
        return self.cleaned_data.get("quiz_texts") or {}


class TranslationFormSet(forms.BaseInlineFormSet):
    """A post without the translations' forms (a script, an older form) leaves the
    translations as they are instead of failing on the missing management form."""

    def __init__(self, data=None, *args, **kwargs):
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
    inlines = [LessonInline, MediaFileInline, CourseTranslationInline]
    instead = "set it back to draft, or retire its lessons."

    def changeform_view(self, request, *args, **kwargs):
        # The uploads' files follow the page's transaction: none is left behind when
        # the page does not validate or its save fails (courses.storage).
        with media_storage.atomic():
            return super().changeform_view(request, *args, **kwargs)

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        if any(formset.model is MediaFile and formset.has_changed() for formset in formsets):
            relink_media(form.instance)  # the lessons' links carry the media's versions

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
