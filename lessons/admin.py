from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from courses.admin import TranslationForm, TranslationFormSet
from courses.admin_tools import (
    KeepsLearnerRecords,
    PublishedFilter,
    publish,
    retire,
    state_label,
    unpublish,
    unretire,
)
from lessons.certificates import CertificateError, normalise_code, revoke_certificate
from lessons.models import (
    Certificate,
    CourseCompletion,
    Lesson,
    LessonProgress,
    LessonTranslation,
)


class RecordAdmin(admin.ModelAdmin):
    """For records of learners' work (progress, attempts): readable, never edited here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class LessonTranslationInline(admin.StackedInline):
    """The lesson's texts in other languages (NN-slug.<lang>.md): fix a typo here."""

    model = LessonTranslation
    form = TranslationForm
    formset = TranslationFormSet
    fields = ["language", "title", "body_markdown", "quiz_texts"]
    extra = 0


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
    inlines = [LessonTranslationInline]
    # A plain, roomy Markdown editor; the rendered preview is below it.
    formfield_overrides = {
        models.TextField: {
            "widget": forms.Textarea(attrs={"rows": 22, "cols": 90, "class": "markdown-editor"})
        }
    }

    class Media:
        # The editor's and the preview's look (no inline styles: the Content-Security-Policy).
        css = {"all": ["css/admin.css"]}

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
            '<div class="lesson-preview">{}</div>',
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


@admin.register(CourseCompletion)
class CourseCompletionAdmin(RecordAdmin):
    list_display = ["learner", "course", "run", "completed_at", "final_score", "superseded"]
    list_filter = ["course"]
    list_select_related = ["learner", "course"]
    search_fields = ["learner__username", "learner__first_name", "learner__last_name"]
    date_hierarchy = "completed_at"

    @admin.display(description="final score", ordering="final_percent")
    def final_score(self, obj) -> str:
        return "—" if obj.final_percent is None else f"{obj.final_percent}%"

    @admin.display(description="superseded", boolean=True, ordering="superseded_at")
    def superseded(self, obj) -> bool:
        # An earlier run's completion: still a valid, historical certificate.
        return obj.superseded_at is not None


class CertificateStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("valid", "Valid"), ("revoked", "Revoked")]

    def queryset(self, request, queryset):
        if self.value() == "valid":
            return queryset.filter(revoked_at__isnull=True)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


class RevokeCertificateForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text="Kept with the certificate for staff. The public verification page "
        "shows only that it was revoked, and when.",
    )


@admin.register(Certificate)
class CertificateAdmin(RecordAdmin):
    """A record: nothing is edited here. "Revoke" (on the change page, for users who
    may change certificates) asks for a reason and calls revoke_certificate."""

    list_display = ["code", "learner_name", "course_title", "issued_at", "state"]
    list_filter = [CertificateStateFilter]
    search_fields = ["code", "learner_name"]
    date_hierarchy = "issued_at"
    fields = [
        "code",
        "learner_name",
        "course_title",
        "issued_at",
        "completion",
        "state",
        "revoked_at",
        "revoked_reason",
        "revoked_by",
    ]
    readonly_fields = fields
    change_form_template = "lessons/admin/certificate_change_form.html"

    @admin.display(description="state", ordering="revoked_at")
    def state(self, obj) -> str:
        return "Valid" if obj.is_valid else "Revoked"

    def get_search_results(self, request, queryset, search_term):
        # A code typed as on paper (lower case, no dashes) finds its certificate too.
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if code := normalise_code(search_term):
            found |= queryset.filter(code=code)  # within the list's filters
        return found, may_have_duplicates

    def get_urls(self):
        revoke = path(
            "<path:object_id>/revoke/",
            self.admin_site.admin_view(self.revoke_view),
            name="lessons_certificate_revoke",
        )
        return [revoke, *super().get_urls()]

    def revoke_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        # Permission first: without it, the page says nothing about which codes exist.
        if not request.user.has_perm("lessons.change_certificate"):
            raise PermissionDenied
        certificate = self.get_object(request, unquote(object_id))
        if certificate is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        change_url = reverse("admin:lessons_certificate_change", args=[certificate.pk])
        form = RevokeCertificateForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            reason = form.cleaned_data["reason"]
            try:
                revoke_certificate(certificate, by=request.user, reason=reason)
            except CertificateError as exc:
                form.add_error(None, str(exc))
            else:
                self.log_change(request, certificate, f"Revoked. Reason: {reason.strip()}")
                self.message_user(
                    request, f"Certificate {certificate.code} is revoked.", messages.SUCCESS
                )
                return redirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Revoke certificate {certificate.code}",
            "opts": self.opts,
            "certificate": certificate,
            "form": form,
            "change_url": change_url,
        }
        return TemplateResponse(request, "lessons/admin/revoke_certificate.html", context)
