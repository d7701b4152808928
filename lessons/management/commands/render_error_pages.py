"""``manage.py render_error_pages FOLDER``: the page nginx shows when no app server answered.

nginx answers 502, 503 or 504 itself when an app server is down, resets a connection or
does not answer in time (deploy/nginx/course-player.conf). Instead of its "Bad Gateway",
it serves FOLDER/502.html, written here from templates/502.html in every language of the
site: it tells a learner that a quiz or a lesson they just sent may have been saved, and
to look at their course before doing it again. Run it on the nginx machine at each
deploy (`make cluster` does, into its own folder).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.template.loader import render_to_string

PAGE = "502.html"


def render_page() -> str:
    """templates/502.html with every language of the site, the site's own first."""
    codes = [code for code, _name in settings.LANGUAGES]
    own = settings.LANGUAGE_CODE if settings.LANGUAGE_CODE in codes else codes[0]
    languages = [own] + [code for code in codes if code != own]
    return render_to_string(PAGE, {"languages": languages})


class Command(BaseCommand):
    help = "Write the page nginx shows for its own 502/503/504 into FOLDER (502.html)."

    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path, help="where nginx reads the page from")

    def handle(self, *args, folder: Path, **options):
        target = folder / PAGE
        temporary = None
        try:
            folder.mkdir(parents=True, exist_ok=True)
            # Written next to the page and renamed: nginx never serves half a page.
            fd, temporary = tempfile.mkstemp(dir=folder, prefix=".502-", suffix=".html")
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(render_page())
            os.chmod(temporary, 0o644)  # nginx's workers run as another user
            os.replace(temporary, target)
        except OSError as exc:
            if temporary is not None:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
            raise CommandError(f"Could not write {target}: {exc.strerror or exc}") from exc
        self.stdout.write(f"Wrote {target}")
