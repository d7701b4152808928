"""The Users admin, plus what accounts adds to it: unlocking sign-in after too many
failed logins, a "locked out" filter, the "Sign-in throttles" page (every lock and
slow-down in force, each with a Lift button), "Import people from CSV"
(superusers), and each person's teams (a column, read for the whole page in one
query, and a filter)."""

from __future__ import annotations

from functools import wraps

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q
from django.db.models.functions import Lower
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy

from accounts.forms import ImportPeopleForm
from accounts.models import Profile
from accounts.provisioning import COLUMNS, ProvisioningError, import_people
from accounts.throttling import current_throttles, lift, liftable, locked_out_names, unlock
from common.http import bad_request
from training.models import Team

User = get_user_model()
# The import page lists this many problems; the rest are counted.
PROBLEMS_SHOWN = 200
# Invitations sent by one upload: a web request must end well within the server's
# timeout; `manage.py send_invitations` (or the next import) sends the rest.
INVITATIONS_PER_UPLOAD = 100


class LockedOutFilter(admin.SimpleListFilter):
    title = "sign-in"
    parameter_name = "sign_in"

    def lookups(self, request, model_admin):
        return [("locked_out", "Locked out (too many failed logins)")]

    def queryset(self, request, queryset):
        if self.value() != "locked_out":
            return queryset
        names = locked_out_names()
        return queryset.alias(login=Lower("username"), address=Lower("email")).filter(
            Q(login__in=names) | Q(address__in=names)
        )


def superusers_only(view):
    """Signed-in people other than superusers get a 403 (the admin itself would send
    those without staff status to its login page); anonymous ones go to log in."""

    @wraps(view)
    def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.user.is_authenticated and not request.user.is_superuser:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return guarded


admin.site.unregister(User)


class ProfileForm(forms.ModelForm):
    language = forms.ChoiceField(
        required=False, choices=lambda: [("", "As their browser asks"), *settings.LANGUAGES]
    )

    class Meta:
        model = Profile
        fields = ["language"]


class ProfileInline(admin.StackedInline):
    """The person's language (emails too); the same field as their profile page."""

    model = Profile
    form = ProfileForm
    can_delete = False
    extra = 0
    max_num = 1


@admin.register(User)
class PeopleAdmin(UserAdmin):
    change_list_template = "accounts/admin/user_change_list.html"
    inlines = [ProfileInline]
    list_display = [*UserAdmin.list_display, "team_names"]
    list_filter = [*UserAdmin.list_filter, "teams", LockedOutFilter]
    actions = ["unlock_sign_in"]

    def get_queryset(self, request: HttpRequest):
        # The page's teams in one query (a prefetch), never one per row.
        teams = Team.objects.only("pk", "name").order_by("name")
        return super().get_queryset(request).prefetch_related(Prefetch("teams", queryset=teams))

    @admin.display(description="Teams")
    def team_names(self, obj) -> str:
        return ", ".join(team.name for team in obj.teams.all()) or self.get_empty_value_display()

    @admin.action(description="Unlock sign-in (clear failed logins)", permissions=["change"])
    def unlock_sign_in(self, request: HttpRequest, queryset) -> None:
        cleared = sum(unlock(user) for user in queryset)
        self.message_user(
            request,
            f"Cleared {cleared} failed-login record{'s' if cleared != 1 else ''}; "
            "the selected people may log in again at once.",
            messages.SUCCESS,
        )

    def get_urls(self):
        # Before the model's own URLs, whose "<object_id>/" would match "import/".
        page = path(
            "import/",
            superusers_only(self.admin_site.admin_view(self.import_view)),
            name="auth_user_import",
        )
        throttles = path(
            "sign-in/", self.admin_site.admin_view(self.sign_in_view), name="auth_user_sign_in"
        )
        return [page, throttles, *super().get_urls()]

    def sign_in_view(self, request: HttpRequest) -> HttpResponse:
        """Every lock and slow-down of password logins in force now, each with a Lift
        button (a POST of its rule and key). For staff who may change users, as the
        Unlock action."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            rule = request.POST.get("rule", "")
            key = request.POST.get("key", "").strip()
            address = request.POST.get("address", "").strip()
            if not liftable(rule, key, address):
                return bad_request(request, gettext_lazy("Choose a lock to lift from the list."))
            what = {"address": "address", "name": "login name", "pair": "login name"}[rule]
            label = f"{what} {key}" + (f" from {address}" if rule == "pair" else "")
            if lift(rule, key, address):
                self.message_user(request, f"Lifted: {label}.", messages.SUCCESS)
            else:
                self.message_user(request, f"Nothing to lift for {label}.", messages.WARNING)
            return redirect("admin:auth_user_sign_in")
        context = {
            **self.admin_site.each_context(request),
            "title": "Sign-in throttles",
            "opts": self.opts,
            "throttles": current_throttles(),
            "failure_limit": settings.LOGIN_FAILURE_LIMIT,
            "minutes": settings.LOGIN_COOLOFF_MINUTES,
            "address_slow": settings.LOGIN_ADDRESS_SLOW_AFTER,
            "address_lock": settings.LOGIN_ADDRESS_LOCK_AFTER,
            "name_slow": settings.LOGIN_NAME_SLOW_AFTER,
            "name_lock": settings.LOGIN_NAME_LOCK_AFTER,
            "slow_seconds": settings.LOGIN_SLOW_SECONDS,
        }
        return TemplateResponse(request, "accounts/admin/sign_in_throttles.html", context)

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not (request.user.is_active and request.user.is_superuser):
            raise PermissionDenied
        posted = request.method == "POST"
        form = ImportPeopleForm(request.POST if posted else None, request.FILES if posted else None)
        problems, summary = [], None
        if form.is_valid():
            dry_run = "check" in request.POST
            try:
                result = import_people(
                    form.cleaned_data["file"].read(),
                    deactivate_missing=form.cleaned_data["deactivate_missing"],
                    invite=form.cleaned_data["invite"],
                    dry_run=dry_run,
                    send_limit=INVITATIONS_PER_UPLOAD,
                )
            except ProvisioningError as exc:
                problems = exc.problems
            else:
                if not dry_run:
                    for line in result.summary().splitlines():
                        self.message_user(request, line, messages.SUCCESS)
                    return redirect("admin:auth_user_changelist")
                summary = result.summary().splitlines()
        context = {
            **self.admin_site.each_context(request),
            "title": "Import people from CSV",
            "opts": self.opts,
            "form": form,
            "columns": COLUMNS,
            "problems": problems[:PROBLEMS_SHOWN],
            "problems_not_shown": max(0, len(problems) - PROBLEMS_SHOWN),
            "problem_count": len(problems),
            "summary": summary,
        }
        return TemplateResponse(request, "accounts/admin/import_people.html", context)
