from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from authoring.content_files import ContentInvalid
from authoring.importing import CourseImportReport, ImportConflict, import_content
from courses.management.commands.cleanup_media import cleanup_after_import
from courses.storage import StorageFailed


class Command(BaseCommand):
    help = (
        "Import courses from Markdown (default: the content/ folder). Every file is "
        "validated and every course checked first; nothing is written if any file is "
        "invalid or anything was changed both in the files and in the admin, or a "
        "media file cannot be stored. Then removes stored files no row names "
        "(cleanup_media)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "path",
            nargs="?",
            type=Path,
            default=None,
            help="A folder of course folders, or one course folder (default: CONTENT_DIR).",
        )
        parser.add_argument(
            "--theirs",
            "--force",
            dest="theirs",
            action="store_true",
            help="Take the files' version of items also changed in the admin (overwrites "
            "those admin edits).",
        )

    def handle(self, *args, path: Path | None, theirs: bool, verbosity: int, **options):
        root = path or settings.CONTENT_DIR
        try:
            reports = import_content(root, theirs=theirs)
        except StorageFailed as exc:
            # What an import that died on another day left behind may be what fills
            # the disk: cleared before saying so.
            cleanup_after_import(self, verbosity)
            raise CommandError(f"{exc}; nothing was imported.") from None
        except ContentInvalid as exc:
            count = len(exc.errors)
            raise CommandError(
                f"{count} problem{'s' if count != 1 else ''} found; nothing was imported.\n"
                + "\n".join(str(error) for error in exc.errors)
            ) from None
        except ImportConflict as exc:
            raise CommandError(str(exc)) from None
        for report in reports:
            self.stdout.write(report.summary())
            # `make run` imports at every start: these lines say what the admin has
            # that the files do not.
            for note in report.notes:
                self.stdout.write(f"  {note}", self.style.WARNING)
            for warning in report.warnings:
                self.stdout.write(f"  warning: {warning}", self.style.WARNING)
            if verbosity >= 2 and isinstance(report, CourseImportReport):
                for label in ("created", "updated", "unchanged", "retired"):
                    for slug in getattr(report, label):
                        self.stdout.write(f"  {label}: {slug}")
        # Files no row names: left by an import or upload killed mid-way (older ones).
        cleanup_after_import(self, verbosity)
