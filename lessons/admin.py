"""Learners' records in the admin: lesson progress and course completions to read,
certificates to read and revoke. The lesson's editing page (with its translations,
checked against its quiz) is authoring.admin's."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from lessons.certificates import CertificateError, normalise_code, revoke_certificate
from lessons.models import Certificate, CourseCompletion, LessonProgress


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
        if obj.is_revoked:
            return "Revoked"
        return "Expired" if obj.is_expired else "Valid"

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
