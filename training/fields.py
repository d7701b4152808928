"""Form fields trainers type into."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import formats, timezone
from django.utils.functional import lazy
from django.utils.translation import gettext


def _typed_format() -> str:
    """How the active language writes a date by hand: %d/%m/%Y, %d.%m.%Y ..."""
    return formats.get_format("DATE_INPUT_FORMATS")[0]


def _date_hint() -> str:
    example = timezone.localdate().strftime(_typed_format())
    return gettext("Day, month and year, for example %(example)s.") % {"example": example}


class SiteDateInput(forms.DateInput):
    """A text box in the site's date format (24/11/2026 in English, 24.11.2026 in
    German), not ``type="date"``: that one shows the browser's own format
    (mm/dd/yyyy on many an en-GB site's visitors), whatever the page's language."""

    input_type = "text"

    def __init__(self, attrs: dict | None = None):
        super().__init__({"inputmode": "numeric", "autocomplete": "off", **(attrs or {})})

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"].setdefault(
            "placeholder", datetime.date(2026, 12, 31).strftime(_typed_format())
        )
        return context


class SiteDateField(forms.DateField):
    """A date in the active language's format; ISO dates (2026-11-24) are accepted too."""

    widget = SiteDateInput

    def __init__(self, **kwargs):
        kwargs.setdefault("localize", True)
        kwargs.setdefault("help_text", lazy(_date_hint, str)())
        super().__init__(**kwargs)
