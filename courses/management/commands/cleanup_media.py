from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from courses.storage import CLEANUP_AGE, PREFIX, Cleanup, CleanupFailed, cleanup


def cleanup_after_import(command: BaseCommand, verbosity: int) -> None:
    """import_content's cleanup: a storage that cannot be listed is a warning there."""
    try:
        result = cleanup()
    except CleanupFailed as exc:
        command.stderr.write(f"cleanup_media: {exc}", command.style.WARNING)
        return
    report_cleanup(command, result, verbosity)


def report_cleanup(command: BaseCommand, result: Cleanup, verbosity: int, dry_run=False) -> None:
    """What cleanup did, in a command's output: nothing when there was nothing to do."""
    if result.removed:
        count = len(result.removed)
        what = f"{count} stored file{'s' if count != 1 else ''} no row names"
        size = f"{result.bytes_removed / 2**20:.1f} MiB"
        if dry_run:
            command.stdout.write(f"Would remove {what} ({size}):")
        else:
            command.stdout.write(f"Removed {what} ({size}).")
        if dry_run or verbosity >= 2:
            for name in result.removed:
                command.stdout.write(f"  {name}")
    if result.kept_recent and (dry_run or verbosity >= 2):
        count = len(result.kept_recent)
        command.stdout.write(
            f"Kept {count} file{'s' if count != 1 else ''} no row names yet, written in the "
            "last minutes (an import may still be running):"
        )
        for name in result.kept_recent:
            command.stdout.write(f"  {name}")


class Command(BaseCommand):
    help = (
        f"Remove the files in the media storage (below {PREFIX}/) that no row names: "
        "left by an import or upload that was killed, or written before this check "
        f"existed. Files younger than --min-age (default {CLEANUP_AGE.seconds // 60} "
        "minutes) are kept, since an import running elsewhere may be about to name them. "
        "import_content runs this after every import."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="List the files that would be removed; remove nothing.",
        )
        parser.add_argument(
            "--min-age",
            type=int,
            default=CLEANUP_AGE.seconds // 60,
            metavar="MINUTES",
            help="Keep files written less than this many minutes ago (default "
            f"{CLEANUP_AGE.seconds // 60}; 0 once no import or upload is running).",
        )

    def handle(self, *args, dry_run: bool, min_age: int, verbosity: int, **options):
        if min_age < 0:
            raise CommandError("--min-age must be 0 or more minutes.")
        try:
            result = cleanup(dry_run=dry_run, min_age=timedelta(minutes=min_age))
        except CleanupFailed as exc:
            raise CommandError(str(exc)) from None
        report_cleanup(self, result, verbosity, dry_run=dry_run)
        if not result.removed and verbosity >= 1:
            if result.kept_recent:
                self.stdout.write(
                    f"Nothing removed: the {len(result.kept_recent)} files no row names "
                    f"are younger than {min_age} minutes."
                )
            else:
                self.stdout.write("Nothing to remove: a row names every stored file.")
