"""Importing course content from Markdown files into the database.

Every course, lesson and quiz keeps a hash of what was last imported into it
(``imported_hash``). Comparing it with a hash of the row now and of the file
now tells who changed what since: the files win where only they changed, an
edit made in the admin is kept where only the database changed, and an item
changed on both sides is a conflict that stops the import before it writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.utils import timezone

from authoring.content_files import (
    ContentInvalid,
    CourseSource,
    MediaSource,
    TranslationSource,
    read_content,
)
from authoring.content_hash import (
    ABSENT,
    choice_fields,
    course_fields,
    course_hash,
    lesson_fields,
    lesson_hash,
    question_fields,
    quiz_fields,
    quiz_hash,
    translation_fields,
    translation_hash,
)
from authoring.path_files import read_paths
from authoring.quiz_files import ChoiceSource, QuestionSource, QuizSource
from authoring.requirements import Owner, RequirementSource, check_requirements
from courses import storage as media_storage
from courses.models import Course, CourseRequirement, CourseTranslation, MediaFile
from courses.storage import store_media
from lessons.media import relink_media
from lessons.models import Lesson, LessonRequirement, LessonTranslation
from progress.services import record_due_completions
from quizzes.models import Choice, Question, Quiz

# What an import does with one course, lesson or quiz.
SAME = "same"  # the database and the files agree: only record the hash
TAKE = "take"  # write the files' version
KEEP = "keep"  # keep the database's version (an admin's edit, or only in the admin)
CONFLICT = "conflict"  # changed on both sides, differently


@dataclass
class CourseImportReport:
    slug: str
    course_created: bool = False
    course_updated: bool = False
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    quiz_changes: list[str] = field(default_factory=list)
    media_changes: list[str] = field(default_factory=list)  # "media/x.png added", ...
    # "lesson welcome (de): translation created", ...
    translation_changes: list[str] = field(default_factory=list)
    # Admin edits kept or overwritten, items only in the admin: one line each.
    notes: list[str] = field(default_factory=list)
    # What the files' author should look at ("file:line: quiz question 2 has no
    # explanation"); imported anyway.
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(
            self.course_created
            or self.course_updated
            or self.created
            or self.updated
            or self.retired
            or self.quiz_changes
            or self.media_changes
            or self.translation_changes
        )

    def summary(self) -> str:
        if self.course_created:
            what = "created"
        elif self.changed:
            what = "updated"
        else:
            what = "unchanged"
        return (
            f"{self.slug}: course {what}; lessons: {len(self.created)} created, "
            f"{len(self.updated)} updated, {len(self.unchanged)} unchanged, "
            f"{len(self.retired)} retired; quizzes: "
            + (f"{len(self.quiz_changes)} changes" if self.quiz_changes else "unchanged")
            + (f"; media: {len(self.media_changes)} changes" if self.media_changes else "")
            + (
                f"; translations: {len(self.translation_changes)} changes"
                if self.translation_changes
                else ""
            )
        )


@dataclass(frozen=True)
class Conflict:
    course: str
    item: str  # "course", "lesson <slug>", "quiz of lesson <slug>" or "final assessment"
    in_files: str  # "changed in" or "removed from"
    by: str  # "changed in the admin by <user> on <when>", or "changed outside the admin"

    def __str__(self) -> str:
        return f"{self.course}, {self.item}: {self.in_files} the files, and {self.by}"


class ImportConflict(Exception):
    """Content changed both in the files and in the admin since the last import."""

    def __init__(self, conflicts: list[Conflict]):
        self.conflicts = conflicts
        count = len(conflicts)
        super().__init__(
            f"{count} conflict{'s' if count != 1 else ''}: changed both in the files and in "
            "the admin since the last import; nothing was imported.\n"
            + "".join(f"  {conflict}\n" for conflict in conflicts)
            + "To keep the admin's version: manage.py export_content (review it with git diff),"
            " then import again.\n"
            "To take the files' version: manage.py import_content --theirs (or --force)."
        )


def import_content(root: Path, *, theirs: bool = False) -> list:
    """Validate every file below ``root``, check every course and learning path, then
    import them all. Returns a report per course (CourseImportReport), then per path
    (authoring.path_import.PathImportReport).

    Raises ``ContentInvalid`` if any file is bad and ``ImportConflict`` if
    anything changed both in the files and in the admin, before writing
    anything; ``StorageFailed`` if a media file cannot be stored (the disk is
    full): then nothing is imported and no file is left behind. ``theirs`` takes
    the files' version of conflicts and admin edits.
    """
    return _import(*_read(root), theirs)


def _read(root: Path) -> tuple[list[CourseSource], list]:
    """The courses below ``root`` and its learning paths (``paths/``,
    authoring.path_files); every problem of both at once."""
    errors = []
    found: list[list] = []
    for read in (read_content, read_paths):
        try:
            found.append(read(root))
        except ContentInvalid as invalid:
            errors += invalid.errors
            found.append([])
    if errors:
        raise ContentInvalid(errors)
    return found[0], found[1]


@media_storage.atomic()  # transaction.atomic(), and the files written follow it
def _import(sources: list[CourseSource], paths: list, theirs: bool) -> list:
    """The courses' reports, then the paths' (authoring.path_import)."""
    from authoring import path_import  # it imports this module (the judge, _save)

    # Every course and path is checked before any is written, so a conflict in one
    # leaves the whole pack as it was.
    errors = _course_requirement_problems(sources)
    errors += path_import.course_problems(paths, [source.slug for source in sources])
    if errors:
        raise ContentInvalid(errors)
    plans = [_plan_course(source, theirs) for source in sources]
    path_plans = [path_import.plan_path(source, theirs) for source in paths]
    conflicts = [conflict for plan in [*plans, *path_plans] for conflict in plan.conflicts]
    if conflicts:
        raise ImportConflict(conflicts)
    reports = [_write_course(plan) for plan in plans]
    # Courses may require courses imported after them: written once all exist.
    for plan, report in zip(plans, reports, strict=True):
        if plan.course.action == TAKE and _sync_course_requirements(plan):
            report.course_updated = True
    return reports + [path_import.write_path(plan) for plan in path_plans]


def _course_requirement_problems(sources: list[CourseSource]) -> list:
    """The courses' ``requires:`` checked against the courses of this import and those
    already in the database (whose own requirements count for loops)."""
    importing = {source.slug for source in sources}
    has_final = Exists(Quiz.objects.published().filter(course=OuterRef("pk")))
    known = dict(Course.objects.annotate(has_final=has_final).values_list("slug", "has_final"))
    known.update({source.slug: source.final_assessment is not None for source in sources})
    elsewhere: dict[str, list[str]] = {}
    for course, required in CourseRequirement.objects.values_list("course__slug", "required__slug"):
        if course not in importing:
            elsewhere.setdefault(course, []).append(required)
    owners = [Owner(s.slug, s.path / "course.md", s.requires) for s in sources]
    return check_requirements(owners, known, "course", elsewhere=elsewhere)


@dataclass
class _Item:
    """One course, lesson or quiz: its database row, its file's hash, what to do."""

    row: Any  # a Course, Lesson or Quiz; None when the files bring a new one
    file_hash: str
    action: str = TAKE


@dataclass
class _Plan:
    """What importing one course will do, decided before anything is written."""

    source: CourseSource
    theirs: bool
    course: _Item | None = None
    row: Course | None = None  # the course once written
    lessons: dict[str, _Item] = field(default_factory=dict)  # lessons in the files, by slug
    quizzes: dict[str, _Item] = field(default_factory=dict)  # by lesson slug, or "final..."
    retire: list[Lesson] = field(default_factory=list)
    # By language; the lessons' by lesson slug, then language.
    course_translations: dict[str, _Item] = field(default_factory=dict)
    lesson_translations: dict[str, dict[str, _Item]] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def judge(self, what: str, row: Any, in_db: str, in_file: str) -> _Item:
        """Decide from the recorded, database and file hashes; note what the admin sees."""
        slug, recorded = self.source.slug, row.imported_hash
        if in_db == in_file:
            return _Item(row, in_file, SAME)
        if in_file == ABSENT and not recorded:
            # Never imported and not in the files: made in the admin.
            self.notes.append(f"{slug}: {what} is only in the admin (not in the files); left alone")
            return _Item(row, in_file, KEEP)
        # A blank record predates import hashes: the database counts as unchanged.
        if not recorded or in_db == recorded:
            return _Item(row, in_file, TAKE)
        by = _last_admin_change(row)
        if self.theirs:
            self.notes.append(f"{slug}: overwrote the admin's edit of {what} ({by}) with the files")
            return _Item(row, in_file, TAKE)
        if in_file == recorded:
            self.notes.append(
                f"{slug}: kept the admin's edit of {what} ({by}); "
                "run export_content to take it into the files"
            )
            return _Item(row, in_file, KEEP)
        side = "removed from" if in_file == ABSENT else "changed in"
        self.conflicts.append(Conflict(slug, what, side, by))
        return _Item(row, in_file, CONFLICT)

    def judge_translations(
        self,
        what: str,
        rows: dict[str, Any],
        sources: dict[str, TranslationSource],
        course: bool = False,
    ) -> dict[str, _Item]:
        """Each language in the files or the database, judged as the base files are: a
        translation gone from the files is removed unless the admin edited it."""
        items = {}
        for language in sorted(set(rows) | set(sources)):
            row, in_file = rows.get(language), translation_hash(sources.get(language), course)
            if row is None:
                items[language] = _Item(None, in_file)
            else:
                label = f"{what} in {language}"
                items[language] = self.judge(label, row, translation_hash(row, course), in_file)
        return items

    def judge_quiz(self, what: str, quiz: Quiz | None, source: QuizSource | None) -> _Item:
        if quiz is None:
            return _Item(None, quiz_hash(source))
        return self.judge(what, quiz, quiz_hash(quiz), quiz_hash(source))


def _plan_course(source: CourseSource, theirs: bool) -> _Plan:
    plan = _Plan(source, theirs)
    course = Course.objects.select_for_update().filter(slug=source.slug).first()
    if course is None:
        plan.course = _Item(None, course_hash(source))
        plan.quizzes["final assessment"] = _Item(None, quiz_hash(source.final_assessment))
        lessons, quizzes, translations = {}, {}, {}
        plan.course_translations = plan.judge_translations(
            "course", {}, source.translations, course=True
        )
    else:
        plan.course = plan.judge("course", course, course_hash(course), course_hash(source))
        final = Quiz.objects.filter(course=course).first()
        plan.quizzes["final assessment"] = plan.judge_quiz(
            "final assessment", final, source.final_assessment
        )
        requirements = LessonRequirement.objects.select_related("required")
        lessons = {
            lesson.slug: lesson
            for lesson in Lesson.objects.filter(course=course).prefetch_related(
                Prefetch("requirements", queryset=requirements)
            )
        }
        quizzes = {quiz.lesson_id: quiz for quiz in Quiz.objects.filter(lesson__course=course)}
        plan.course_translations = plan.judge_translations(
            "course",
            {row.language: row for row in CourseTranslation.objects.filter(course=course)},
            source.translations,
            course=True,
        )
        translations: dict[int, dict[str, LessonTranslation]] = {}
        for row in LessonTranslation.objects.filter(lesson__course=course):
            translations.setdefault(row.lesson_id, {})[row.language] = row

    for lesson_source in source.lessons:
        slug = lesson_source.slug
        lesson = lessons.pop(slug, None)
        rows = translations.get(lesson.pk, {}) if lesson is not None else {}
        plan.lesson_translations[slug] = plan.judge_translations(
            f"lesson {slug}", rows, lesson_source.translations
        )
        if lesson is None:
            plan.lessons[slug] = _Item(None, lesson_hash(lesson_source))
            plan.quizzes[slug] = _Item(None, quiz_hash(lesson_source.quiz))
            continue
        plan.lessons[slug] = plan.judge(
            f"lesson {slug}", lesson, lesson_hash(lesson), lesson_hash(lesson_source)
        )
        plan.quizzes[slug] = plan.judge_quiz(
            f"quiz of lesson {slug}", quizzes.get(lesson.pk), lesson_source.quiz
        )

    for lesson in lessons.values():  # in the database, not in the files
        if lesson.retired_at is not None:
            continue
        if plan.course.action == KEEP and lesson.imported_hash:
            # Which lessons the course has is part of the course, edited in the
            # admin (a lesson brought back or published there): left as it is.
            continue
        item = plan.judge(f"lesson {lesson.slug}", lesson, lesson_hash(lesson), ABSENT)
        if item.action == TAKE:
            plan.retire.append(lesson)
    return plan


def _write_course(plan: _Plan) -> CourseImportReport:
    """Carry out a plan: lessons keep their identity (slug) and learners' progress;
    lessons missing from the files are retired, not deleted."""
    source = plan.source
    report = CourseImportReport(
        slug=source.slug, notes=plan.notes, warnings=[str(w) for w in source.warnings]
    )
    course = plan.course.row
    if course is None:
        course = Course.objects.create(
            slug=source.slug,
            published_at=timezone.now(),
            imported_hash=plan.course.file_hash,
            **course_fields(source),
        )
        report.course_created = True
    else:
        report.course_updated = _save(course, plan.course, course_fields(source))
    # Media belong to the course: written when the course is, kept with its admin edit.
    # An unchanged course's files are checked too: one missing from the storage (lost,
    # or the storage moved to an object store) is stored again.
    if plan.course.action in (TAKE, SAME):
        report.media_changes = _sync_media(course, source.media)
    report.translation_changes += _sync_translations(
        "course", plan.course_translations, source.translations, course=course
    )

    report.quiz_changes += _sync_quiz(
        source.final_assessment, "final assessment", plan.quizzes["final assessment"], course=course
    )

    # The files decide which lessons the course has and their order, unless the
    # course was edited in the admin and that edit is kept.
    placing = plan.course.action != KEEP
    for position, lesson_source in enumerate(source.lessons, start=1):
        slug = lesson_source.slug
        item = plan.lessons[slug]
        placement = {"position": position, "retired_at": None} if placing else {}
        lesson = item.row
        if lesson is None:
            if not placing:
                continue  # deleted in the admin, a part of the course's kept edit
            lesson = Lesson.objects.create(
                course=course,
                slug=slug,
                published_at=timezone.now(),
                imported_hash=item.file_hash,
                **lesson_fields(lesson_source),
                **placement,
            )
            report.created.append(slug)
        elif _save(lesson, item, lesson_fields(lesson_source), placement):
            report.updated.append(slug)
        else:
            report.unchanged.append(slug)
        quiz_item = plan.quizzes[slug]
        report.quiz_changes += _sync_quiz(lesson_source.quiz, slug, quiz_item, lesson=lesson)
        lesson.course = course  # for the media links of its translations
        report.translation_changes += _sync_translations(
            f"lesson {slug}",
            plan.lesson_translations[slug],
            lesson_source.translations,
            lesson=lesson,
        )

    _sync_lesson_requirements(plan, course, report)
    plan.row = course
    now = timezone.now()
    for lesson in plan.retire:
        lesson.retired_at = now
        lesson.save(update_fields=["retired_at", "updated_at"])
        report.retired.append(lesson.slug)
    if report.media_changes:
        relink_media(course)  # lessons not rewritten above still name the old versions
    # A lesson retired or a final removed can leave learners with everything done.
    recorded = record_due_completions(course)
    if recorded:
        report.notes.append(
            f"{source.slug}: recorded {recorded} course completion{'s' if recorded != 1 else ''}"
            " that the changes made due"
        )
    return report


def _sync_course_requirements(plan: _Plan) -> bool:
    """The course's requirements as its course.md lists them; say whether any changed."""
    slugs = [requirement.slug for requirement in plan.source.requires]
    targets = {course.slug: course for course in Course.objects.filter(slug__in=slugs)}
    rows = CourseRequirement.objects.filter(course=plan.row).select_related("required")
    return _sync_requirements(
        list(rows),
        plan.source.requires,
        targets,
        lambda required, score: CourseRequirement(
            course=plan.row, required=required, min_score=score
        ),
    )


def _sync_lesson_requirements(plan: _Plan, course: Course, report: CourseImportReport) -> None:
    """Each lesson taken from the files gets the requirements its file lists (once
    every lesson of the course is written); a lesson whose requirements alone changed
    is reported as updated."""
    taken = [source for source in plan.source.lessons if plan.lessons[source.slug].action == TAKE]
    if not taken:
        return
    lessons = {lesson.slug: lesson for lesson in Lesson.objects.filter(course=course)}
    rows: dict[int, list[LessonRequirement]] = {}
    for row in LessonRequirement.objects.filter(lesson__course=course).select_related("required"):
        rows.setdefault(row.lesson_id, []).append(row)
    for source in taken:
        lesson = lessons.get(source.slug)
        if lesson is None:
            continue  # not created: part of the course's kept admin edit
        changed = _sync_requirements(
            rows.get(lesson.pk, []),
            source.requires,
            lessons,
            lambda required, score, lesson=lesson: LessonRequirement(
                lesson=lesson, required=required, min_score=score
            ),
        )
        if changed and source.slug in report.unchanged:
            report.unchanged.remove(source.slug)
            report.updated.append(source.slug)


def _sync_requirements(
    rows: list[Any], wanted: tuple[RequirementSource, ...], targets: dict[str, Any], make: Any
) -> bool:
    """Make ``rows`` (requirements with ``required`` loaded) those ``wanted``: each
    required item found in ``targets`` by slug, a new row built by ``make(required,
    score)``. Say whether anything changed."""
    existing = {row.required.slug: row for row in rows}
    changed = False
    for requirement in wanted:
        row = existing.pop(requirement.slug, None)
        if row is None:
            make(targets[requirement.slug], requirement.min_score).save()
            changed = True
        elif row.min_score != requirement.min_score:
            row.min_score = requirement.min_score
            row.save(update_fields=["min_score"])
            changed = True
    for row in existing.values():
        row.delete()
        changed = True
    return changed


def _sync_translations(
    label: str, items: dict[str, _Item], sources: dict[str, TranslationSource], **owner
) -> list[str]:
    """Create, update or remove the translations of a course or lesson (``owner``) as
    planned; return what changed."""
    is_course = "course" in owner
    model = CourseTranslation if is_course else LessonTranslation
    changes = []
    for language, item in items.items():
        row, source = item.row, sources.get(language)
        if item.action != TAKE:
            if row is not None:
                _save(row, item, {})  # records the hash when the two sides agree
            continue
        if source is None:
            if row is not None:
                row.delete()
                changes.append(f"{label} ({language}): translation removed")
            continue
        fields = translation_fields(source, is_course)
        if row is None:
            model.objects.create(**owner, language=language, imported_hash=item.file_hash, **fields)
            changes.append(f"{label} ({language}): translation created")
        elif _save(row, item, fields):
            changes.append(f"{label} ({language}): translation updated")
    return changes


def _sync_media(course: Course, sources: list[MediaSource]) -> list[str]:
    """Make the course's media those of the files: a file whose bytes are unchanged is
    not written again (unless its stored file is missing); one gone from the files is
    deleted. Files are stored as courses.storage says: a rolled back import leaves none
    behind, and replaced or deleted ones are removed once the import has committed."""
    existing = {media.path: media for media in MediaFile.objects.filter(course=course)}
    changes = []
    for source in sources:
        media = existing.pop(source.path, None)
        if media is not None and media.content_hash == source.media.hash:
            if media_storage.storage().exists(media.file.name):
                continue
            changes.append(f"{source.path} restored (its stored file was missing)")
        elif media is None:
            media = MediaFile(course=course, path=source.path)
            changes.append(f"{source.path} added")
        else:
            changes.append(f"{source.path} replaced")
        store_media(media, source.media)
    for media in existing.values():
        media.delete()
        changes.append(f"{media.path} removed")
    return changes


def _save(row: Any, item: _Item, fields: dict, placement: dict | None = None) -> bool:
    """Write the files' ``fields`` if they win and ``placement`` in any case; record
    the file's hash unless the database's version is kept. Say whether content changed.

    Recording the hash alone leaves ``updated_at`` as it was: it is not an edit.
    """
    values = {**(fields if item.action == TAKE else {}), **(placement or {})}
    changed = _apply(row, values)
    new_hash = item.action != KEEP and row.imported_hash != item.file_hash
    if item.action != KEEP:
        row.imported_hash = item.file_hash
    if changed:
        row.save()
    elif new_hash:
        row.save(update_fields=["imported_hash"])
    return changed


def _last_admin_change(row: Any) -> str:
    """Who last changed ``row`` in the admin, and when, from the admin's history."""
    objects = Q(content_type=ContentType.objects.get_for_model(row), object_id=str(row.pk))
    if isinstance(row, Quiz):
        # Questions and their choices are edited on the question's own admin page.
        question_ids = [str(pk) for pk in row.questions.values_list("pk", flat=True)]
        objects |= Q(
            content_type=ContentType.objects.get_for_model(Question), object_id__in=question_ids
        )
    entry = LogEntry.objects.filter(objects).select_related("user").order_by("-action_time").first()
    if entry is None:
        return "changed outside the admin"
    when = timezone.localtime(entry.action_time).strftime("%Y-%m-%d %H:%M")
    return f"changed in the admin by {entry.user.get_username()} on {when}"


def _sync_quiz(source: QuizSource | None, label: str, item: _Item, **owner) -> list[str]:
    """Create, update or retire the quiz of a lesson or course (``owner``) as planned.

    A question's identity is its key, so attempts keep pointing at the same
    question when its wording changes; questions gone from the source are
    retired. Choices are matched by position. Returns what changed.
    """
    if item.action != TAKE:
        if item.row is not None:
            _save(item.row, item, {})  # records the hash when the two sides agree
        return []
    if source is None:
        return _retire_quiz(item, label)
    quiz, changes = _write_quiz(source, label, item, owner)
    return changes + _sync_questions(quiz, source.questions, label)


def _retire_quiz(item: _Item, label: str) -> list[str]:
    """The files have no quiz where the database has one: retire it (attempts stay)."""
    quiz = item.row
    if quiz is None:
        return []
    quiz.retired_at = timezone.now()
    quiz.imported_hash = item.file_hash
    quiz.save(update_fields=["retired_at", "updated_at", "imported_hash"])
    return [f"{label}: quiz retired"]


def _write_quiz(source: QuizSource, label: str, item: _Item, owner: dict) -> tuple[Quiz, list[str]]:
    """The quiz with the files' settings (created, or brought back if it was retired)."""
    fields = {**quiz_fields(source), "retired_at": None}
    if item.row is None:
        quiz = Quiz.objects.create(**owner, **fields, imported_hash=item.file_hash)
        return quiz, [f"{label}: quiz created"]
    if _save(item.row, item, fields):
        return item.row, [f"{label}: quiz settings updated"]
    return item.row, []


def _sync_questions(quiz: Quiz, sources: list[QuestionSource], label: str) -> list[str]:
    """Make the quiz's questions those of the files, matched by key, in the files' order;
    questions gone from the files are retired."""
    changes = []
    existing = {question.key: question for question in quiz.questions.prefetch_related("choices")}
    for position, question_source in enumerate(sources, start=1):
        question = existing.pop(question_source.key, None)
        values = {**question_fields(question_source), "position": position, "retired_at": None}
        if question is None:
            question = Question.objects.create(quiz=quiz, key=question_source.key, **values)
            _sync_choices(question, question_source.choices)
            changes.append(f"{label}: question {question.key} created")
            continue
        fields_changed = _apply(question, values)
        if fields_changed:
            question.save()
        if _sync_choices(question, question_source.choices) or fields_changed:
            changes.append(f"{label}: question {question.key} updated")
    for question in existing.values():
        if question.retired_at is None:
            question.retired_at = timezone.now()
            question.save(update_fields=["retired_at"])
            changes.append(f"{label}: question {question.key} retired")
    return changes


def _sync_choices(question: Question, sources: list[ChoiceSource]) -> bool:
    # Answers keep their own copy of what was chosen, so choices may change freely.
    choices = sorted(question.choices.all(), key=lambda choice: (choice.position, choice.pk))
    changed = False
    for position, source in enumerate(sources, start=1):
        fields = {"position": position, **choice_fields(source)}
        if position <= len(choices):
            choice = choices[position - 1]
            if _apply(choice, fields):
                choice.save()
                changed = True
        else:
            Choice.objects.create(question=question, **fields)
            changed = True
    extra = [choice.pk for choice in choices[len(sources) :]]
    if extra:
        Choice.objects.filter(pk__in=extra).delete()
        changed = True
    return changed


def _apply(instance, values: dict) -> bool:
    """Set the values that differ; say whether anything changed."""
    changed = False
    for name, value in values.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed = True
    return changed
