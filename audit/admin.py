"""The audit log in the admin: to read and search, never to add, change or delete
(the database's triggers refuse the last two anyway)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from audit.models import Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["at", "kind", "learner_name", "actor_name", "ip", "object", "chain", "seq"]
    list_filter = ["kind"]
    search_fields = ["learner_name", "kind", "actor_name", "chain"]
    date_hierarchy = "at"
    # No action at all: not even the site-wide "Delete selected".
    actions = None
    readonly_fields = [field.name for field in Event._meta.fields]

    @admin.display(description="object")
    def object(self, event: Event) -> str:
        return f"{event.object_type} {event.object_id}" if event.object_type else "—"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
