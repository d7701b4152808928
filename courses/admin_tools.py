"""Admin pieces shared by the content apps: publishing, retiring, refusing to delete
what learners have worked on, and announcing each change (courses.signals) so that
what depends on the content follows in the same transaction.

The actions change content, so each needs the model's change permission: Django
offers an action without ``permissions`` to anyone who may merely view the list.
"""

from django.contrib import admin, messages
from django.db import transaction
from django.utils import timezone

from courses.signals import content_changed


class KeepsLearnerRecords:
    """Mix into a ModelAdmin whose model has ``has_learner_records()`` (or that
    overrides :meth:`has_learner_records`, when the answer lives above the model's app).

    Deleting such an object would delete (or be blocked by) learners' progress
    and attempts, so the Delete button goes and the form says what to do instead.
    Bulk deletion is still stopped by the PROTECT foreign keys, with Django's
    explanation of what protects the object.
    """

    instead = "retire it instead to hide it from learners."

    def has_learner_records(self, obj) -> bool:
        return obj.has_learner_records()

    def has_delete_permission(self, request, obj=None):
        if obj is not None and self.has_learner_records(obj):
            return False
        return super().has_delete_permission(request, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        if request.method == "GET" and obj is not None and self.has_learner_records(obj):
            messages.info(
                request,
                f"Learners have progress or answers in this {self.opts.verbose_name}, "
                f"so it cannot be deleted: {self.instead}",
            )
        return super().change_view(request, object_id, form_url, extra_context)


class AnnouncesContentChanges:
    """Mix into the ModelAdmin of content learners work through (courses, lessons,
    quizzes): after the admin saves an object (with its inlines) or deletes objects,
    it sends ``courses.signals.content_changed`` inside the same transaction, so the
    course completions a withdrawn lesson or final assessment made due are recorded
    with the change (progress). The actions below announce their changes themselves."""

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        content_changed.send(sender=self.model, instances=[form.instance])

    def delete_model(self, request, obj) -> None:
        super().delete_model(request, obj)
        content_changed.send(sender=self.model, instances=[obj])

    def delete_queryset(self, request, queryset) -> None:
        # The list's "Delete selected" runs outside the admin's own transaction.
        with transaction.atomic():
            deleted = list(queryset)
            super().delete_queryset(request, queryset)
            content_changed.send(sender=self.model, instances=deleted)


def _set_each(queryset, **values) -> int:
    """Set a field on each object with save(), not one UPDATE: saving is what keeps
    what depends on the content in step (a course's content_version for the cached
    lesson lists, the search index), and an admin selects a page of rows at most.
    Then announce the change (courses.signals), in the same transaction."""
    changed = []
    with transaction.atomic():
        for obj in queryset:
            for field, value in values.items():
                setattr(obj, field, value)
            obj.save(update_fields=list(values))
            changed.append(obj)
        content_changed.send(sender=queryset.model, instances=changed)
    return len(changed)


@admin.action(description="Publish selected (learners can see them)", permissions=["change"])
def publish(modeladmin, request, queryset):
    count = _set_each(queryset.filter(published_at__isnull=True), published_at=timezone.now())
    modeladmin.message_user(request, f"Published {count}.", messages.SUCCESS)


@admin.action(
    description="Back to draft (hide from learners; progress kept)",
    permissions=["change"],
)
def unpublish(modeladmin, request, queryset):
    count = _set_each(queryset.exclude(published_at__isnull=True), published_at=None)
    modeladmin.message_user(request, f"{count} back to draft.", messages.SUCCESS)


@admin.action(
    description="Retire selected (hide from learners; progress kept)",
    permissions=["change"],
)
def retire(modeladmin, request, queryset):
    count = _set_each(queryset.filter(retired_at__isnull=True), retired_at=timezone.now())
    modeladmin.message_user(request, f"Retired {count}.", messages.SUCCESS)


@admin.action(description="Bring back selected (undo retire)", permissions=["change"])
def unretire(modeladmin, request, queryset):
    count = _set_each(queryset.exclude(retired_at__isnull=True), retired_at=None)
    modeladmin.message_user(request, f"Brought back {count}.", messages.SUCCESS)


class PublishedFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        choices = [("draft", "Draft"), ("published", "Published")]
        if hasattr(model_admin.model, "retired_at"):
            choices.append(("retired", "Retired"))
        return choices

    def queryset(self, request, queryset):
        retired = {"retired_at__isnull": True} if hasattr(queryset.model, "retired_at") else {}
        if self.value() == "draft":
            return queryset.filter(published_at__isnull=True, **retired)
        if self.value() == "published":
            return queryset.filter(published_at__isnull=False, **retired)
        if self.value() == "retired":
            return queryset.filter(retired_at__isnull=False)
        return queryset


def state_label(obj) -> str:
    if getattr(obj, "retired_at", None):
        return "Retired"
    return "Published" if obj.published_at else "Draft"


def view_on_site(request, content_type_id: int, object_id: str):
    """The admin's "view on site" redirect, for those who may see the object in the
    admin. Django's own checks only staff status, so it would tell any staff user
    the address of anything (a certificate's code, a draft's slug)."""
    from django.contrib.contenttypes.models import ContentType
    from django.contrib.contenttypes.views import shortcut
    from django.http import Http404

    content_type = ContentType.objects.filter(pk=content_type_id).first()
    model_admin = admin.site._registry.get(content_type.model_class()) if content_type else None
    if model_admin is None or not model_admin.has_view_permission(request):
        raise Http404("No such object.")
    return shortcut(request, content_type_id, object_id)
