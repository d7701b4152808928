"""Importing course content from Markdown files into the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from courses.content_files import CourseSource, LessonSource, read_content
from courses.models import Course
from lessons.models import Lesson
from quizzes.content_files import ChoiceSource, QuizSource
from quizzes.models import Choice, Question, Quiz


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

    @property
    def changed(self) -> bool:
        return bool(
            self.course_created
            or self.course_updated
            or self.created
            or self.updated
            or self.retired
            or self.quiz_changes
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
        )


def import_content(root: Path) -> list[CourseImportReport]:
    """Validate every file below ``root`` first, then import each course atomically.

    Raises ``ContentInvalid`` before writing anything if any file is bad.
    """
    return [import_course(source) for source in read_content(root)]


@transaction.atomic
def import_course(source: CourseSource) -> CourseImportReport:
    """Create or update one course and its lessons from their source files.

    A lesson's identity is its slug, so reordering or retitling keeps every
    learner's progress. Lessons missing from the source are retired, not deleted.
    """
    report = CourseImportReport(slug=source.slug)
    course = Course.objects.select_for_update().filter(slug=source.slug).first()
    course_fields = {
        "title": source.title,
        "description": source.description,
        "introduction_markdown": source.introduction,
        "visibility": source.visibility,
    }
    if course is None:
        course = Course.objects.create(
            slug=source.slug, published_at=timezone.now(), **course_fields
        )
        report.course_created = True
    elif _apply(course, course_fields):
        course.save()
        report.course_updated = True

    report.quiz_changes += _sync_quiz(source.final_assessment, "final assessment", course=course)

    existing = {lesson.slug: lesson for lesson in Lesson.objects.filter(course=course)}
    for position, lesson_source in enumerate(source.lessons, start=1):
        lesson = existing.pop(lesson_source.slug, None)
        fields = _lesson_fields(lesson_source, position)
        if lesson is None:
            lesson = Lesson.objects.create(
                course=course, slug=lesson_source.slug, published_at=timezone.now(), **fields
            )
            report.created.append(lesson_source.slug)
        elif _apply(lesson, fields):
            lesson.save()
            report.updated.append(lesson_source.slug)
        else:
            report.unchanged.append(lesson_source.slug)
        report.quiz_changes += _sync_quiz(lesson_source.quiz, lesson.slug, lesson=lesson)

    now = timezone.now()
    for lesson in existing.values():
        if lesson.retired_at is None:
            lesson.retired_at = now
            lesson.save(update_fields=["retired_at", "updated_at"])
            report.retired.append(lesson.slug)
    return report


def _sync_quiz(source: QuizSource | None, label: str, **owner) -> list[str]:
    """Create, update or retire the quiz of a lesson or course (``owner``).

    A question's identity is its key, so attempts keep pointing at the same
    question when its wording changes; questions gone from the source are
    retired. Choices are matched by position. Returns what changed.
    """
    quiz = Quiz.objects.filter(**owner).first()
    if source is None:
        if quiz is None or quiz.retired_at is not None:
            return []
        quiz.retired_at = timezone.now()
        quiz.save(update_fields=["retired_at", "updated_at"])
        return [f"{label}: quiz retired"]

    changes = []
    fields = {
        "pass_mark": source.pass_mark,
        "max_attempts": source.max_attempts,
        "shuffle": source.shuffle,
        "retired_at": None,
    }
    if quiz is None:
        quiz = Quiz.objects.create(**owner, **fields)
        changes.append(f"{label}: quiz created")
    elif _apply(quiz, fields):
        quiz.save()
        changes.append(f"{label}: quiz settings updated")

    existing = {question.key: question for question in quiz.questions.prefetch_related("choices")}
    for position, question_source in enumerate(source.questions, start=1):
        question = existing.pop(question_source.key, None)
        question_fields = {
            "position": position,
            "type": question_source.type,
            "prompt": question_source.prompt,
            "explanation": question_source.explanation,
            "accepted_answers": question_source.accept,
            "retired_at": None,
        }
        if question is None:
            question = Question.objects.create(
                quiz=quiz, key=question_source.key, **question_fields
            )
            _sync_choices(question, question_source.choices)
            changes.append(f"{label}: question {question.key} created")
            continue
        fields_changed = _apply(question, question_fields)
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
        fields = {
            "position": position,
            "text": source.text,
            "is_correct": source.correct,
            "feedback": source.feedback,
        }
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


def _lesson_fields(source: LessonSource, position: int) -> dict:
    return {
        "title": source.title,
        "position": position,
        "minutes": source.minutes,
        "body_markdown": source.body,
        "retired_at": None,  # a lesson back on disk is published again
    }


def _apply(instance, values: dict) -> bool:
    """Set the values that differ; say whether anything changed."""
    changed = False
    for name, value in values.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed = True
    return changed
