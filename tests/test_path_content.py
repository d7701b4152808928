"""Learning paths in the content format (issue 23): ``content/paths/<slug>.md``, read and
checked with the file and line of each problem, imported with the courses (in the
content hash: an unchanged re-import writes nothing, admin edits are kept or
conflict as a course's are), and written back by export_content."""

from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from authoring.importing import ImportConflict, import_content
from authoring.path_files import read_paths
from authoring.path_import import PathImportReport
from courses.content_errors import ContentInvalid
from lessons.models import CourseCompletion, Lesson
from paths.models import Path as LearningPath
from paths.models import PathCompletion
from paths.services import course_slugs
from progress.services import complete_lesson
from tests.factories import make_course, make_user
from tests.test_content_requires import write_course

pytestmark = pytest.mark.django_db

PATH = """---
title: Onboarding
description: The first two weeks.
courses: [induction, tills]
---
Start here.
"""


def pack(root: Path, path_text: str = PATH, name: str = "onboarding.md") -> Path:
    """Two courses and one path file."""
    write_course(root, "induction")
    write_course(root, "tills", "requires: [induction]\n")
    (root / "paths").mkdir()
    (root / "paths" / name).write_text(path_text)
    return root


def import_problems(root: Path) -> list[str]:
    with pytest.raises(ContentInvalid) as caught:
        import_content(root)
    return [str(error) for error in caught.value.errors]


def path_report(reports: list) -> PathImportReport:
    (report,) = [report for report in reports if isinstance(report, PathImportReport)]
    return report


# Reading -------------------------------------------------------------------------------


def test_a_path_file_is_read_with_its_courses_in_order(tmp_path):
    (source,) = read_paths(pack(tmp_path))
    assert (source.slug, source.title, source.description) == (
        "onboarding",
        "Onboarding",
        "The first two weeks.",
    )
    assert [course.slug for course in source.courses] == ["induction", "tills"]
    assert source.introduction == "Start here.\n"


def test_the_paths_folder_is_not_a_course(tmp_path):
    reports = import_content(pack(tmp_path))
    assert [report.slug for report in reports] == ["induction", "tills", "onboarding"]


def test_one_course_folder_imports_no_path(tmp_path):
    assert read_paths(pack(tmp_path) / "induction") == []


@pytest.mark.parametrize(
    ("front", "problem"),
    [
        ("title: X\n", "onboarding.md:1: front matter has no 'courses'"),
        ("courses: [induction]\n", "onboarding.md:1: front matter has no 'title'"),
        ("title: X\ncourses: induction\n", "onboarding.md:3: 'courses' must be a list"),
        ("title: X\ncourses: []\n", "onboarding.md:3: 'courses' must be a list"),
        (
            "title: X\ncourses:\n  - induction\n  - Not A Slug\n",
            "onboarding.md:5: 'courses' item 2 is not a course slug",
        ),
        (
            "title: X\ncourses:\n  - induction\n  - induction\n",
            "onboarding.md:5: 'courses' names course 'induction' twice",
        ),
        ("title: X\ncourses: [induction]\nlevel: 2\n", "onboarding.md:4: unknown front matter key"),
        ("title: X\ncourses: [induction]\ndescription: [a]\n", "onboarding.md:4: 'description'"),
    ],
)
def test_a_bad_path_file_is_an_error_at_its_line(tmp_path, front, problem):
    problems = import_problems(pack(tmp_path, f"---\n{front}---\nText.\n"))
    assert len(problems) == 1 and problem in problems[0], problems


def test_an_unknown_course_is_an_error_at_its_line_and_nothing_is_imported(tmp_path):
    text = "---\ntitle: X\ncourses:\n  - induction\n  - cash-handling\n---\n"
    (problem,) = import_problems(pack(tmp_path, text))
    assert problem.endswith(
        "paths/onboarding.md:5: 'courses' names 'cash-handling', which is no course of this "
        "import or of the site (a course is a folder with a course.md)"
    )
    assert not LearningPath.objects.exists()
    assert not CourseCompletion.objects.exists()


def test_a_path_may_name_a_course_only_in_the_database(tmp_path):
    make_course(lessons=1, slug="cash")
    text = "---\ntitle: X\ncourses: [induction, cash]\n---\n"
    import_content(pack(tmp_path, text))
    assert course_slugs(LearningPath.objects.get()) == ["induction", "cash"]


@pytest.mark.parametrize("name", ["Onboarding.md", "on--boarding.md", "notes.txt"])
def test_a_badly_named_file_in_paths_is_an_error(tmp_path, name):
    (problem,) = import_problems(pack(tmp_path, name=name))
    assert f"paths/{name}: " in problem


def test_a_path_introduction_shows_no_media(tmp_path):
    text = "---\ntitle: X\ncourses: [induction]\n---\nIntro.\n\n![A map](media/map.png)\n"
    (problem,) = import_problems(pack(tmp_path, text))
    assert "onboarding.md:7: media/map.png: a path has no media folder" in problem


def test_problems_in_courses_and_paths_are_listed_together(tmp_path):
    root = pack(tmp_path, "---\ncourses: [induction]\n---\n")
    (root / "tills" / "02-bad name.md").write_text("---\ntitle: B\n---\n")
    problems = import_problems(root)
    assert len(problems) == 2
    assert any("paths/onboarding.md" in problem for problem in problems)


# Importing ------------------------------------------------------------------------------


def test_importing_a_path_creates_it_published_with_its_courses(tmp_path):
    reports = import_content(pack(tmp_path))
    assert path_report(reports).summary() == "path onboarding: created"
    path = LearningPath.objects.get()
    assert path.published_at is not None
    assert (path.title, path.introduction_html) == ("Onboarding", "<p>Start here.</p>")
    assert course_slugs(path) == ["induction", "tills"]


def test_an_unchanged_path_is_imported_without_writing(tmp_path):
    root = pack(tmp_path)
    import_content(root)
    before = LearningPath.objects.values_list("updated_at", "imported_hash").get()
    with CaptureQueriesContext(connection) as context:
        reports = import_content(root)
    assert path_report(reports).summary() == "path onboarding: unchanged"
    writes = [
        query["sql"]
        for query in context.captured_queries
        if query["sql"].split()[0] in ("INSERT", "UPDATE", "DELETE") and "paths_" in query["sql"]
    ]
    assert writes == []
    assert LearningPath.objects.values_list("updated_at", "imported_hash").get() == before


def test_a_new_course_order_in_the_file_updates_the_path(tmp_path):
    root = pack(tmp_path)
    import_content(root)
    (root / "paths" / "onboarding.md").write_text(
        PATH.replace("induction, tills", "tills, induction")
    )
    assert path_report(import_content(root)).summary() == "path onboarding: updated"
    assert course_slugs(LearningPath.objects.get()) == ["tills", "induction"]


def test_an_admin_edit_of_a_path_is_kept_and_reported(tmp_path):
    root = pack(tmp_path)
    import_content(root)
    LearningPath.objects.update(title="Onboarding (edited)")
    report = path_report(import_content(root))
    assert LearningPath.objects.get().title == "Onboarding (edited)"
    assert report.notes == [
        "path onboarding: kept the admin's edit of path (changed outside the admin); "
        "run export_content to take it into the files"
    ]


def test_a_path_changed_on_both_sides_is_a_conflict(tmp_path):
    root = pack(tmp_path)
    import_content(root)
    LearningPath.objects.update(title="Onboarding (edited)")
    (root / "paths" / "onboarding.md").write_text(PATH.replace("Onboarding", "Welcome"))
    with pytest.raises(ImportConflict, match="onboarding, path: changed in the files"):
        import_content(root)
    import_content(root, theirs=True)
    assert LearningPath.objects.get().title == "Welcome"


def test_a_path_only_in_the_admin_is_left_alone(tmp_path):
    LearningPath.objects.create(slug="extra", title="Extra", published_at=timezone.now())
    import_content(pack(tmp_path))
    assert LearningPath.objects.count() == 2


def test_importing_a_path_records_the_completions_already_due(tmp_path):
    root = pack(tmp_path, "---\ntitle: X\ncourses: [induction]\n---\n")
    learner = make_user("ann")
    import_content(root)
    LearningPath.objects.all().delete()  # the path came later than the learner's work
    for lesson in Lesson.objects.filter(course__slug="induction"):
        complete_lesson(learner, lesson)
    assert not PathCompletion.objects.exists()
    report = path_report(import_content(root))
    assert PathCompletion.objects.get().learner == learner
    assert "recorded 1 path completion" in report.notes[0]


# Exporting ------------------------------------------------------------------------------


def test_export_writes_the_path_back_byte_for_byte(tmp_path):
    root = pack(tmp_path / "in")
    import_content(root)
    call_command("export_content", str(tmp_path / "out"), stdout=StringIO())
    written = (tmp_path / "out" / "paths" / "onboarding.md").read_text()
    assert written == PATH


def test_the_sample_path_round_trips(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    import_content(settings.CONTENT_DIR)
    path = LearningPath.objects.get(slug="customer-service-essentials")
    assert course_slugs(path) == ["who-is-your-customer", "customer-service-check-up"]
    call_command("export_content", str(tmp_path / "out"), stdout=StringIO())
    exported = tmp_path / "out" / "paths" / "customer-service-essentials.md"
    committed = Path(settings.CONTENT_DIR) / "paths" / "customer-service-essentials.md"
    assert exported.read_bytes() == committed.read_bytes()
    assert path_report(import_content(tmp_path / "out")).summary() == (
        "path customer-service-essentials: unchanged"
    )


def test_exporting_one_course_writes_no_path(tmp_path):
    import_content(pack(tmp_path / "in"))
    out = tmp_path / "out"
    call_command("export_content", str(out), "--course", "tills", stdout=StringIO())
    assert not (out / "paths").exists()


def test_the_sample_content_has_a_path_that_uses_prerequisites_and_validity():
    (source,) = read_paths(Path(settings.CONTENT_DIR))
    first, second = (course.slug for course in source.courses)
    check_up = (Path(settings.CONTENT_DIR) / second / "course.md").read_text()
    assert f"requires: [{first}]" in check_up and "valid_for: 12 months" in check_up
