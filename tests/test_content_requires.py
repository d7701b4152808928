"""The content format's prerequisites and validity (issue 23): ``requires:`` in course.md
and in lesson files, ``valid_for:`` in course.md. Read and checked with the file and
line of each problem, loops named item by item, imported into CourseRequirement and
LessonRequirement and Course.valid_for_months, part of the content hashes, and
written back by export_content."""

from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from authoring.content_files import ContentInvalid, read_content
from authoring.content_hash import _digest, course_hash, lesson_hash
from authoring.export import export_course
from authoring.importing import import_content
from authoring.requirements import find_loop, find_loops
from courses.models import Course, CourseRequirement
from lessons.models import Lesson, LessonRequirement
from tests.factories import make_course, make_quiz
from tests.test_course_content import SEED_RUNS, fingerprint, runs
from tests.test_structure import _form_data

FINAL = """quiz:
  questions:
    - id: ready
      type: true_false
      prompt: Ready?
      answer: true
      explanation: Yes.
"""

LESSON_QUIZ = """quiz:
  questions:
    - id: check
      type: true_false
      prompt: Done?
      answer: true
      explanation: Yes.
"""


def write_course(root: Path, slug: str, front: str = "", lessons: dict | None = None) -> Path:
    """A course folder: course.md with ``front`` added to its front matter, and lessons
    {"01-first": "extra front matter"} (default: one plain lesson)."""
    folder = root / slug
    folder.mkdir(parents=True)
    (folder / "course.md").write_text(f"---\ntitle: {slug.title()}\n{front}---\nAbout it.\n")
    for name, extra in (lessons or {"01-first": ""}).items():
        (folder / f"{name}.md").write_text(f"---\ntitle: {name[3:].title()}\n{extra}---\nText.\n")
    return folder


def problems(root: Path) -> list[str]:
    with pytest.raises(ContentInvalid) as caught:
        read_content(root)
    return [str(error) for error in caught.value.errors]


def import_problems(root: Path) -> list[str]:
    with pytest.raises(ContentInvalid) as caught:
        import_content(root)
    return [str(error) for error in caught.value.errors]


# valid_for ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "months"),
    [("12 months", 12), ("1 year", 12), ("2 years", 24), ("18 months", 18), ("1 month", 1)],
)
def test_valid_for_is_read_in_months(tmp_path, written, months):
    write_course(tmp_path, "safety", f"valid_for: {written}\n")
    (course,) = read_content(tmp_path)
    assert course.valid_for_months == months


@pytest.mark.parametrize("written", ["12", "twelve months", "0 months", "11 years", "12 weeks"])
def test_a_bad_valid_for_names_the_file_and_line(tmp_path, written):
    folder = write_course(tmp_path, "safety", f"description: Yearly.\nvalid_for: {written}\n")
    (problem,) = problems(tmp_path)
    assert problem.startswith(f"{folder / 'course.md'}:4: 'valid_for' must be a time")


def test_valid_for_is_a_setting_not_allowed_in_a_translation(tmp_path):
    folder = write_course(tmp_path, "safety", "valid_for: 1 year\n")
    (folder / "course.de.md").write_text("---\ntitle: Sicherheit\nvalid_for: 1 year\n---\n")
    (problem,) = problems(tmp_path)
    assert f"{folder / 'course.de.md'}:3: 'valid_for' is not allowed in a translation" in problem


# requires: reading ------------------------------------------------------------------


def test_course_requires_are_read_with_their_scores(tmp_path):
    write_course(tmp_path, "tills", "requires: [induction, {course: safety, score: 80}]\n")
    (course,) = read_content(tmp_path)
    assert [(r.slug, r.min_score) for r in course.requires] == [
        ("induction", None),
        ("safety", 80),
    ]


def test_lesson_requires_are_read_as_a_block_list_too(tmp_path):
    write_course(
        tmp_path,
        "tills",
        lessons={
            "01-receipts": LESSON_QUIZ,
            "02-refunds": "requires:\n  - {lesson: receipts, score: 80}\n",
        },
    )
    (course,) = read_content(tmp_path)
    assert [(r.slug, r.min_score) for r in course.lessons[1].requires] == [("receipts", 80)]


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ("[Induction]", "item 1: a course slug is lower-case letters"),
        ("[induction, 7]", "item 2: a course slug is lower-case letters"),
        (
            "[{course: induction, score: 0}]",
            "item 1: 'score' must be a whole percent from 1 to 100",
        ),
        ("[{course: induction, score: 101}]", "'score' must be a whole percent"),
        ("[{course: induction, score: '80'}]", "'score' must be a whole percent"),
        ("[{course: induction, score: true}]", "'score' must be a whole percent"),
        ("[{lesson: induction}]", "item 1: unknown key 'lesson'"),
        ("[induction, induction]", "'requires' names course 'induction' twice"),
        ("induction", "'requires' must be a list of course slugs"),
    ],
)
def test_a_bad_requires_item_names_the_file_and_line(tmp_path, items, message):
    folder = write_course(tmp_path, "tills", f"requires: {items}\n")
    (problem,) = problems(tmp_path)
    assert problem.startswith(f"{folder / 'course.md'}:3: ")
    assert message in problem


def test_a_bad_item_of_a_block_list_is_told_at_its_own_line(tmp_path):
    folder = write_course(
        tmp_path, "tills", "requires:\n  - induction\n  - {course: x, score: 0}\n"
    )
    (problem,) = problems(tmp_path)
    assert problem.startswith(f"{folder / 'course.md'}:5: 'requires' item 2:")


def test_requires_is_a_setting_not_allowed_in_a_translation(tmp_path):
    folder = write_course(
        tmp_path, "tills", lessons={"01-first": "", "02-next": "requires: [first]\n"}
    )
    (folder / "02-next.de.md").write_text("---\ntitle: Weiter\nrequires: [first]\n---\n")
    (problem,) = problems(tmp_path)
    assert f"{folder / '02-next.de.md'}:3: 'requires' is not allowed in a translation" in problem


# requires: lessons checked within their course ----------------------------------------


def test_a_lesson_requiring_an_unknown_lesson_is_an_error_at_its_line(tmp_path):
    folder = write_course(tmp_path, "tills", lessons={"01-first": "requires: [second]\n"})
    (problem,) = problems(tmp_path)
    assert (
        problem
        == f"{folder / '01-first.md'}:3: 'requires': there is no lesson 'second' in this course"
    )


def test_a_lesson_requiring_itself_is_an_error(tmp_path):
    folder = write_course(tmp_path, "tills", lessons={"01-first": "requires: [first]\n"})
    (problem,) = problems(tmp_path)
    assert problem.startswith(f"{folder / '01-first.md'}:3: 'requires' names the lesson itself")


def test_a_loop_of_lessons_names_each_lesson_in_it(tmp_path):
    folder = write_course(
        tmp_path,
        "tills",
        lessons={
            "01-open": "requires: [close]\n",
            "02-count": "requires: [open]\n",
            "03-close": "minutes: 3\nrequires: [count]\n",
        },
    )
    (problem,) = problems(tmp_path)
    assert (
        problem
        == f"{folder / '01-open.md'}:3: 'requires' makes a loop: open → close → count → open"
    )


def test_a_score_on_a_lesson_without_a_quiz_is_an_error(tmp_path):
    folder = write_course(
        tmp_path,
        "tills",
        lessons={"01-first": "", "02-next": "requires: [{lesson: first, score: 80}]\n"},
    )
    (problem,) = problems(tmp_path)
    assert problem == (
        f"{folder / '02-next.md'}:3: 'requires': lesson 'first' has no quiz, "
        "so there is no score to reach"
    )


def test_find_loops_tells_each_loop_once():
    edges = {"a": ["b"], "b": ["a", "c"], "c": ["d"], "d": ["c"], "e": ["a"]}
    assert sorted(sorted(loop) for loop in find_loops(edges)) == [
        ["a", "a", "b"],
        ["c", "c", "d"],
    ]
    assert find_loop(edges, "e") is None


# requires: courses checked when imported ----------------------------------------------


def test_a_course_may_require_a_course_of_the_same_import(db, tmp_path):
    write_course(tmp_path, "induction", FINAL)
    write_course(tmp_path, "tills", "requires: [{course: induction, score: 80}]\n")
    import_content(tmp_path)
    (row,) = CourseRequirement.objects.all()
    assert (row.course.slug, row.required.slug, row.min_score) == ("tills", "induction", 80)


def test_a_course_may_require_a_course_already_in_the_database(db, tmp_path):
    make_course(slug="induction")
    write_course(tmp_path, "tills", "requires: [induction]\n")
    import_content(tmp_path)
    assert CourseRequirement.objects.get().required.slug == "induction"


def test_an_unknown_course_is_an_import_error_at_its_line(db, tmp_path):
    folder = write_course(tmp_path, "tills", "description: Tills.\nrequires: [induction]\n")
    assert import_problems(tmp_path) == [
        f"{folder / 'course.md'}:4: 'requires': there is no course 'induction' "
        "in the content folder or the database"
    ]
    assert not Course.objects.exists()


def test_a_course_requiring_itself_is_an_import_error(db, tmp_path):
    folder = write_course(tmp_path, "tills", "requires: [tills]\n")
    (problem,) = import_problems(tmp_path)
    assert problem.startswith(f"{folder / 'course.md'}:3: 'requires' names the course itself")


def test_a_loop_of_courses_in_one_import_names_each_course(db, tmp_path):
    folder = write_course(tmp_path, "induction", "requires: [till-training]\n")
    write_course(tmp_path, "till-training", "requires: [induction]\n")
    assert import_problems(tmp_path) == [
        f"{folder / 'course.md'}:3: 'requires' makes a loop: induction → till-training → induction"
    ]
    assert not CourseRequirement.objects.exists()


def test_a_loop_through_a_course_in_the_database_is_an_import_error(db, tmp_path):
    induction, tills = make_course(slug="induction"), make_course(slug="till-training")
    CourseRequirement.objects.create(course=tills, required=induction)
    folder = write_course(tmp_path, "induction", "requires: [till-training]\n")
    (problem,) = import_problems(tmp_path)
    assert problem == (
        f"{folder / 'course.md'}:3: 'requires' makes a loop: induction → till-training → induction"
    )


def test_a_score_on_a_course_without_a_final_assessment_is_an_import_error(db, tmp_path):
    write_course(tmp_path, "induction")
    folder = write_course(tmp_path, "tills", "requires: [{course: induction, score: 80}]\n")
    assert import_problems(tmp_path) == [
        f"{folder / 'course.md'}:3: 'requires': course 'induction' has no final assessment, "
        "so there is no score to reach"
    ]


def test_a_score_on_a_database_course_with_a_final_is_accepted(db, tmp_path):
    make_quiz(course=make_course(slug="induction"))
    write_course(tmp_path, "tills", "requires: [{course: induction, score: 90}]\n")
    import_content(tmp_path)
    assert CourseRequirement.objects.get().min_score == 90


# Importing: rows, hashes, changes ---------------------------------------------------------


@pytest.fixture
def pack(tmp_path) -> Path:
    """Two courses: till-training (valid 12 months) requires induction with a score,
    and its second lesson requires its first."""
    root = tmp_path / "content"
    write_course(root, "induction", FINAL)
    write_course(
        root,
        "till-training",
        "valid_for: 12 months\nrequires: [{course: induction, score: 80}]\n",
        lessons={
            "01-receipts": LESSON_QUIZ,
            "02-refunds": "requires: [{lesson: receipts, score: 80}]\n",
        },
    )
    return root


def test_an_import_writes_the_requirements_and_validity(db, pack):
    import_content(pack)
    tills = Course.objects.get(slug="till-training")
    assert tills.valid_for_months == 12
    (row,) = LessonRequirement.objects.all()
    assert (row.lesson.slug, row.required.slug, row.min_score) == ("refunds", "receipts", 80)
    assert row.lesson.course == tills


def writes(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].split()[0] in ("INSERT", "UPDATE", "DELETE")]


def test_an_unchanged_import_writes_nothing(db, pack):
    import_content(pack)
    with CaptureQueriesContext(connection) as queries:
        reports = import_content(pack)
    assert not any(report.changed for report in reports)
    assert writes(queries.captured_queries) == []


def test_a_changed_course_requirement_is_imported(db, pack):
    import_content(pack)
    course_md = pack / "till-training" / "course.md"
    course_md.write_text(course_md.read_text().replace("score: 80", "score: 90"))
    reports = {report.slug: report for report in import_content(pack)}
    assert reports["till-training"].course_updated
    assert CourseRequirement.objects.get().min_score == 90


def test_a_requirement_removed_from_the_files_is_removed(db, pack):
    import_content(pack)
    course_md = pack / "till-training" / "course.md"
    course_md.write_text(
        course_md.read_text().replace("requires: [{course: induction, score: 80}]\n", "")
    )
    import_content(pack)
    assert not CourseRequirement.objects.exists()


def test_a_changed_lesson_requirement_reports_the_lesson_updated(db, pack):
    import_content(pack)
    refunds = pack / "till-training" / "02-refunds.md"
    refunds.write_text(refunds.read_text().replace(", score: 80", ""))
    reports = {report.slug: report for report in import_content(pack)}
    assert reports["till-training"].updated == ["refunds"]
    assert LessonRequirement.objects.get().min_score is None


def test_a_changed_valid_for_is_imported(db, pack):
    import_content(pack)
    course_md = pack / "till-training" / "course.md"
    course_md.write_text(course_md.read_text().replace("12 months", "2 years"))
    import_content(pack)
    assert Course.objects.get(slug="till-training").valid_for_months == 24


def test_a_requirement_changed_in_the_admin_is_kept_and_reported(db, pack):
    import_content(pack)
    CourseRequirement.objects.update(min_score=70)  # as the admin's inline would
    (induction, tills) = import_content(pack)
    assert CourseRequirement.objects.get().min_score == 70
    assert any("kept the admin's edit of course" in note for note in tills.notes)


def test_hashes_recorded_before_requirements_existed_stay_valid(db, pack):
    """A course or lesson without requirements or validity hashes as it did before
    these keys existed, so its first import after them is no edit."""
    import_content(pack)
    induction = Course.objects.get(slug="induction")
    fields = ("title", "description", "introduction_markdown", "visibility")
    before = {name: getattr(induction, name) for name in fields}
    assert course_hash(induction) == _digest({**before, "lessons": ["first"]})
    lesson = induction.lessons.get()
    fields = ("title", "minutes", "body_markdown")
    assert lesson_hash(lesson) == _digest({name: getattr(lesson, name) for name in fields})


# Export ---------------------------------------------------------------------------------


def exported(root: Path) -> dict[str, str]:
    for course in Course.objects.all():
        export_course(course, root)
    return {str(path.relative_to(root)): path.read_text() for path in sorted(root.rglob("*.md"))}


def test_export_writes_requires_and_valid_for_in_the_canonical_form(db, pack, tmp_path):
    import_content(pack)
    files = exported(tmp_path / "out")
    assert files["till-training/course.md"] == (
        "---\ntitle: Till-Training\nvalid_for: 12 months\n"
        "requires: [{course: induction, score: 80}]\n---\nAbout it.\n"
    )
    assert files["till-training/02-refunds.md"] == (
        "---\ntitle: Refunds\nrequires: [{lesson: receipts, score: 80}]\n---\nText.\n"
    )


def test_plain_requirements_are_exported_as_slugs_in_slug_order(db, tmp_path):
    root = tmp_path / "content"
    write_course(root, "induction")
    write_course(root, "safety")
    write_course(root, "tills", "requires: [safety, induction]\n")
    import_content(root)
    files = exported(tmp_path / "out")
    assert "requires: [induction, safety]\n" in files["tills/course.md"]


def test_an_export_imports_back_unchanged(db, pack, tmp_path):
    import_content(pack)
    out = tmp_path / "out"
    first = exported(out)
    with CaptureQueriesContext(connection) as queries:
        reports = import_content(out)
    assert not any(report.changed for report in reports)
    assert writes(queries.captured_queries) == []
    assert exported(out) == first


def test_an_export_leaves_out_a_requirement_on_a_retired_lesson(db, pack, tmp_path):
    import_content(pack)
    Lesson.objects.filter(slug="receipts").update(retired_at="2026-01-01T00:00Z")
    files = exported(tmp_path / "out")
    assert "requires" not in files["till-training/01-refunds.md"]


# The admin: the inlines refuse loops as the importer does ----------------------------------


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def post_requirement(client, item, required, min_score: str = ""):
    """Add one requirement on the item's admin page, as a browser would submit it."""
    model = "courses_course" if isinstance(item, Course) else "lessons_lesson"
    url = reverse(f"admin:{model}_change", args=[item.pk])
    data = _form_data(client.get(url).content.decode())
    data.update(
        {
            "requirements-TOTAL_FORMS": "1",
            "requirements-0-required": str(required.pk),
            "requirements-0-min_score": min_score,
        }
    )
    return client.post(url, data)


def test_the_course_admin_saves_a_requirement(admin_client):
    induction, tills = make_course(slug="induction"), make_course(slug="till-training")
    response = post_requirement(admin_client, tills, induction, "80")
    assert response.status_code == 302, response.content.decode()[:3000]
    row = CourseRequirement.objects.get()
    assert (row.course, row.required, row.min_score) == (tills, induction, 80)


def test_the_course_admin_refuses_a_loop_and_names_it(admin_client):
    induction, tills = make_course(slug="induction"), make_course(slug="till-training")
    CourseRequirement.objects.create(course=tills, required=induction)
    response = post_requirement(admin_client, induction, tills)
    assert response.status_code == 200
    assert (
        "These requirements make a loop: induction → till-training → induction."
        in response.content.decode()
    )
    assert CourseRequirement.objects.count() == 1


def test_the_course_admin_refuses_a_course_requiring_itself(admin_client):
    induction = make_course(slug="induction")
    response = post_requirement(admin_client, induction, induction)
    assert "induction cannot require itself." in response.content.decode()
    assert not CourseRequirement.objects.exists()


def test_the_course_admin_refuses_a_score_out_of_range(admin_client):
    induction, tills = make_course(slug="induction"), make_course(slug="till-training")
    response = post_requirement(admin_client, tills, induction, "101")
    assert response.status_code == 200
    assert not CourseRequirement.objects.exists()


def test_the_lesson_admin_refuses_a_loop_and_names_it(admin_client):
    course = make_course(lessons=3)
    first, second, third = course.lessons.order_by("position")
    LessonRequirement.objects.create(lesson=second, required=first)
    LessonRequirement.objects.create(lesson=third, required=second)
    response = post_requirement(admin_client, first, third)
    assert response.status_code == 200
    assert (
        "These requirements make a loop: lesson-1 → lesson-3 → lesson-2 → lesson-1."
        in response.content.decode()
    )
    assert LessonRequirement.objects.count() == 2


def test_the_lesson_admin_offers_only_the_other_lessons_of_its_course(admin_client):
    course, other = make_course(lessons=2), make_course(lessons=1)
    first, second = course.lessons.order_by("position")
    page = admin_client.get(reverse("admin:lessons_lesson_change", args=[first.pk]))
    (requirements,) = [
        inline.formset
        for inline in page.context["inline_admin_formsets"]
        if inline.formset.model is LessonRequirement
    ]
    choices = requirements.empty_form.fields["required"]
    assert list(choices.queryset) == [second]
    response = post_requirement(admin_client, first, other.lessons.get())
    assert response.status_code == 200
    assert not LessonRequirement.objects.exists()


# The sample content: a short second course that uses both keys ---------------------------

CHECK_UP = "customer-service-check-up"


def test_the_second_sample_course_requires_the_first_and_lasts_a_year():
    (course,) = read_content(settings.CONTENT_DIR / CHECK_UP)
    assert course.valid_for_months == 12
    assert [(r.slug, r.min_score) for r in course.requires] == [("who-is-your-customer", None)]
    assert [lesson.slug for lesson in course.lessons] == [
        "map-your-customers",
        "keep-your-promises",
        "pass-good-service-on",
    ]
    assert [r.slug for r in course.lessons[2].requires] == ["map-your-customers"]
    quizzes = [lesson.quiz for lesson in course.lessons if lesson.quiz]
    assert len(quizzes) == 1 and len(quizzes[0].questions) == 3
    for question in quizzes[0].questions:  # each explains itself and helps a wrong answer
        assert question.explanation
        if question.type == "true_false":
            assert question.feedback
        else:
            assert all(choice.feedback for choice in question.choices if not choice.correct)
    assert course.warnings == []


def test_the_sample_content_imports_with_its_prerequisites(db):
    import_content(settings.CONTENT_DIR)
    row = CourseRequirement.objects.get(course__slug=CHECK_UP)
    assert row.required.slug == "who-is-your-customer"
    assert Course.objects.get(slug=CHECK_UP).valid_for_months == 12
    (lesson_row,) = LessonRequirement.objects.filter(lesson__course__slug=CHECK_UP)
    assert (lesson_row.lesson.slug, lesson_row.required.slug) == (
        "pass-good-service-on",
        "map-your-customers",
    )


def test_no_run_of_eight_words_of_the_second_course_is_copied_from_the_seeds():
    seed_runs = set(SEED_RUNS.read_text().split())
    copied = [
        (path.name, " ".join(run))
        for path in sorted((settings.CONTENT_DIR / CHECK_UP).glob("*.md"))
        for run in sorted(runs(path.read_text(encoding="utf-8")))
        if fingerprint(run) in seed_runs
    ]
    assert copied == []
