"""Learning paths in the admin: a path with its courses in order (an inline), published
or draft like a course; path completions to read, path certificates to read and
revoke. Assigning a path is training's (training.admin)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from courses.admin_tools import (
    AnnouncesContentChanges,
    PublishedFilter,
    publish,
    state_label,
    unpublish,
)
from lessons.admin import RecordAdmin, RevokeCertificateForm
from lessons.certificates import CertificateError, normalise_code
from paths.certificates import revoke_path_certificate
from paths.models import Path, PathCertificate, PathCompletion, PathCourse
from paths.services import set_path_courses


class PathCourseForm(forms.ModelForm):
    """One course at its place. Places are checked against each other by the formset
    (two rows at one place, one course twice) and not against the rows saved: the
    formset writes the order anew (:func:`paths.services.set_path_courses`), so
    swapping two courses' places is one save."""

    class Meta:
        model = PathCourse
        fields = ["course", "position"]

    def _get_validation_exclusions(self) -> set[str]:
        # Not checked against the saved rows (the model's unique constraints): the
        # page's own rows are checked against each other by PathCourseFormSet.clean.
        return {*super()._get_validation_exclusions(), "course", "position"}  # type: ignore[misc]


class PathCourseFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        courses: set[int] = set()
        places: set[int] = set()
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if not data or data.get("DELETE") or data.get("course") is None:
                continue
            if data["course"].pk in courses:
                raise forms.ValidationError(f"“{data['course']}” is in the path twice.")
            place = int(data.get("position") or 0)
            if place in places:
                raise forms.ValidationError(f"Two courses are at place {place}: give each its own.")
            courses.add(data["course"].pk)
            places.add(place)

    def ordered_courses(self) -> list[Any]:
        """The courses the page leaves in the path, by their places."""
        kept = [
            form.cleaned_data
            for form in self.forms
            if getattr(form, "cleaned_data", None)
            and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get("course") is not None
        ]
        return [data["course"] for data in sorted(kept, key=lambda data: data["position"] or 0)]


class PathCourseInline(admin.TabularInline):
    """The path's courses; change the places to reorder (1 first)."""

    model = PathCourse
    form = PathCourseForm
    formset = PathCourseFormSet
    fields = ["position", "course"]
    ordering = ["position"]
    extra = 1
    autocomplete_fields = ["course"]


@admin.register(Path)
class PathAdmin(AnnouncesContentChanges, admin.ModelAdmin):
    """A path and its courses. Saving it, or publishing it, records the path
    completions it made due (training.receivers, on courses.signals.content_changed)."""

    list_display = ["title", "slug", "state", "course_count"]
    ordering = ["title"]  # the course count's GROUP BY drops Meta.ordering
    list_filter = [PublishedFilter]
    search_fields = ["title", "slug", "description"]
    prepopulated_fields = {"slug": ["title"]}
    fields = ["title", "slug", "description", "introduction_markdown", "published_at"]
    readonly_fields = ["published_at"]
    actions = [publish, unpublish]
    inlines = [PathCourseInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Path]:
        return super().get_queryset(request).annotate(courses_total=Count("steps"))

    @admin.display(description="state", ordering="published_at")
    def state(self, obj: Path) -> str:
        return state_label(obj)

    @admin.display(description="courses", ordering="courses_total")
    def course_count(self, obj: Path) -> int:
        return obj.courses_total  # type: ignore[attr-defined]

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if isinstance(formset, PathCourseFormSet):
            set_path_courses(form.instance, formset.ordered_courses())
            # The admin's history message reads what a formset's save would have set.
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            return
        super().save_formset(request, form, formset, change)


@admin.register(PathCompletion)
class PathCompletionAdmin(RecordAdmin):
    list_display = ["learner", "path", "run", "completed_at", "valid_until"]
    list_filter = ["path"]
    list_select_related = ["learner", "path"]
    search_fields = ["learner__username", "learner__first_name", "learner__last_name"]
    date_hierarchy = "completed_at"


CERTIFICATE_FIELDS = (
    "code",
    "learner_name",
    "path_title",
    "issued_at",
    "completion",
    "state",
    "revoked_at",
    "revoked_reason",
)


@admin.register(PathCertificate)
class PathCertificateAdmin(RecordAdmin):
    """A record: nothing is edited here. "Revoke" (on the change page, for users who
    may change path certificates) asks for a reason and calls revoke_path_certificate."""

    list_display = ["code", "learner_name", "path_title", "issued_at", "state"]
    search_fields = ["code", "learner_name"]
    date_hierarchy = "issued_at"
    fields = CERTIFICATE_FIELDS
    readonly_fields = CERTIFICATE_FIELDS
    change_form_template = "paths/admin/certificate_change_form.html"

    @admin.display(description="state", ordering="revoked_at")
    def state(self, obj: PathCertificate) -> str:
        if obj.is_revoked:
            return "Revoked"
        return "Expired" if obj.is_expired else "Valid"

    def get_search_results(self, request, queryset, search_term):
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if code := normalise_code(search_term):
            found |= queryset.filter(code=code)
        return found, may_have_duplicates

    def get_urls(self):
        revoke = path(
            "<path:object_id>/revoke/",
            self.admin_site.admin_view(self.revoke_view),
            name="paths_pathcertificate_revoke",
        )
        return [revoke, *super().get_urls()]

    def revoke_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if not request.user.has_perm("paths.change_pathcertificate"):
            raise PermissionDenied
        certificate = self.get_object(request, unquote(object_id))
        if certificate is None:
            raise Http404("No such certificate.")
        change_url = reverse("admin:paths_pathcertificate_change", args=[certificate.pk])
        form = RevokeCertificateForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            reason = form.cleaned_data["reason"]
            try:
                revoke_path_certificate(certificate, by=request.user, reason=reason)
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
        return TemplateResponse(request, "paths/admin/revoke_certificate.html", context)
