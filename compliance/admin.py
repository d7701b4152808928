"""Exemptions in the admin: a record to read (who, which course, why, from when until
when, who granted it), not a form to edit. Granting is the trainer's page
(/trainer/compliance/exemptions/new/); a superuser may revoke selected exemptions,
through the same use case (compliance.services.revoke_exemption), which keeps them."""

from django.contrib import admin, messages

from compliance.models import Exemption
from compliance.services import ExemptionError, revoke_exemption

RECORD_FIELDS = (
    "learner",
    "course",
    "reason",
    "starts_on",
    "until",
    "revoked_on",
    "granted_by",
    "created_at",
)


@admin.register(Exemption)
class ExemptionAdmin(admin.ModelAdmin):
    list_display = ["learner", "course", "starts_on", "until", "revoked_on", "granted_by"]
    list_filter = ["course", ("revoked_on", admin.EmptyFieldListFilter)]
    list_select_related = ["learner", "course", "granted_by"]
    search_fields = ["learner__username", "learner__last_name", "course__title", "reason"]
    readonly_fields = RECORD_FIELDS
    fields = RECORD_FIELDS
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    @admin.action(description="Revoke the selected exemptions", permissions=["change"])
    def revoke(self, request, queryset) -> None:
        revoked = 0
        for exemption in queryset.filter(revoked_on__isnull=True):
            try:
                revoke_exemption(request.user, exemption)
            except ExemptionError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                revoked += 1
        self.message_user(request, f"{revoked} exemption(s) revoked.", messages.SUCCESS)
