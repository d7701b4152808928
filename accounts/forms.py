from __future__ import annotations

import unicodedata
from collections.abc import Iterator

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.db.models import Exists, OuterRef
from django.utils import translation
from django.utils.translation import gettext_lazy

from accounts.models import Invitation
from common.language import language_for_user

User = get_user_model()
EMAIL_MAX_LENGTH = User._meta.get_field("email").max_length


class LoginForm(AuthenticationForm):
    """Django's login form, for a username or an email address."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": gettext_lazy(
            "Please enter a correct username and password. Your email works instead of "
            "your username; the password is case-sensitive."
        ),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        username = self.fields["username"]
        username.label = gettext_lazy("Username or email")
        # Django sets the username's length; an email may be longer.
        username.max_length = EMAIL_MAX_LENGTH
        username.widget.attrs["maxlength"] = str(EMAIL_MAX_LENGTH)
        username.widget.attrs["autocomplete"] = "username"


def _same_email(a: str, b: str) -> bool:
    # As Django's PasswordResetForm compares them.
    return (
        unicodedata.normalize("NFKC", a).casefold() == unicodedata.normalize("NFKC", b).casefold()
    )


class ResetPasswordForm(PasswordResetForm):
    """Django's, and also for people invited by ``import_people`` who have not
    chosen a password yet (Django skips every account without a usable password:
    those may be meant to sign in another way, and invited people are not)."""

    def get_users(self, email: str) -> Iterator:
        candidates = User._default_manager.filter(email__iexact=email, is_active=True).annotate(
            invited=Exists(Invitation.objects.filter(user=OuterRef("pk")))
        )
        return (
            user
            for user in candidates
            if (user.has_usable_password() or user.invited) and _same_email(email, user.email)
        )

    def send_mail(self, subject_template_name, email_template_name, context, *args, **kwargs):
        # Written in the account holder's language, not the requesting browser's.
        with translation.override(language_for_user(context["user"])):
            super().send_mail(subject_template_name, email_template_name, context, *args, **kwargs)


class ProfileForm(forms.Form):
    first_name = forms.CharField(
        max_length=User._meta.get_field("first_name").max_length, required=False
    )
    last_name = forms.CharField(
        max_length=User._meta.get_field("last_name").max_length, required=False
    )
    email = forms.EmailField(
        max_length=EMAIL_MAX_LENGTH,
        help_text="Used to log in and to reset your password.",
    )
    language = forms.ChoiceField(
        label=gettext_lazy("Language"),
        required=False,
        choices=lambda: [("", gettext_lazy("As my browser asks")), *settings.LANGUAGES],
        help_text=gettext_lazy("The language of these pages and of the emails you get."),
    )


class ImportPeopleForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        help_text=gettext_lazy(
            "Columns: username, email, first_name, last_name, team, trainer_of "
            "(several teams separated by ;). UTF-8."
        ),
    )
    deactivate_missing = forms.BooleanField(
        required=False,
        label=gettext_lazy("Deactivate people who are not in the file"),
        help_text=gettext_lazy(
            "Active accounts without staff status that the file does not list "
            "can no longer log in. Nothing is deleted."
        ),
    )
    invite = forms.BooleanField(
        required=False,
        initial=True,
        label=gettext_lazy("Email new people an invitation to choose a password"),
    )

    # Far above a company's staff list (3,000 people is about 200 KB).
    MAX_BYTES = 10 * 1024 * 1024

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError(gettext_lazy("The file is larger than 10 MB."))
        return upload
