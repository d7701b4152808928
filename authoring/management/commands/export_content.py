from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from authoring.export import export_course
from authoring.path_files import export_path
from courses.models import Course
from paths.models import Path as LearningPath


class Command(BaseCommand):
    help = (
        "Write every course from the database to the Markdown content format "
        "(default: CONTENT_DIR), so edits made in the admin can be reviewed in git; "
        "learning paths as paths/<slug>.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", type=Path, default=None)
        parser.add_argument("--course", help="Only this course (its slug).")

    def handle(self, *args, path: Path | None, course: str | None, **options):
        root = path or settings.CONTENT_DIR
        courses = Course.objects.order_by("slug")
        if course:
            courses = courses.filter(slug=course)
            if not courses.exists():
                raise CommandError(f"No course '{course}'.")
        for item in courses:
            files = export_course(item, root)
            self.stdout.write(f"{item.slug}: {len(files)} files written to {root / item.slug}")
        if course:
            return  # one course: no path
        # Learning paths: one file each in paths/ (authoring.path_files).
        for learning_path in LearningPath.objects.order_by("slug"):
            file = export_path(learning_path, root)
            self.stdout.write(f"path {learning_path.slug}: written to {file}")
