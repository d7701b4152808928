from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from courses.content_files import ContentInvalid
from courses.services import import_content


class Command(BaseCommand):
    help = (
        "Import courses from Markdown (default: the content/ folder). Every file is "
        "validated first; nothing is written if any file is invalid."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "path",
            nargs="?",
            type=Path,
            default=None,
            help="A folder of course folders, or one course folder (default: CONTENT_DIR).",
        )

    def handle(self, *args, path: Path | None, verbosity: int, **options):
        root = path or settings.CONTENT_DIR
        try:
            reports = import_content(root)
        except ContentInvalid as exc:
            count = len(exc.errors)
            raise CommandError(
                f"{count} problem{'s' if count != 1 else ''} found; nothing was imported.\n"
                + "\n".join(str(error) for error in exc.errors)
            ) from None
        for report in reports:
            self.stdout.write(report.summary())
            if verbosity >= 2:
                for label in ("created", "updated", "unchanged", "retired"):
                    for slug in getattr(report, label):
                        self.stdout.write(f"  {label}: {slug}")
