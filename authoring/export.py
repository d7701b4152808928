"""Write courses from the database to the content format of content/.

The inverse of import_content: importing an export reproduces the same
courses, lessons and quizzes, and exporting twice gives identical bytes (keys
in a fixed order, no timestamps). Retired lessons and questions are left out,
as a removed file or question is what retires them, and so are draft lessons:
files hold published content, and importing a file publishes it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from django.db.models import Prefetch

from authoring.content_hash import course_requirements, lesson_requirements
from courses.media import MEDIA_FOLDER, path_problem
from courses.models import Course, CourseTranslation, MediaFile, Visibility
from courses.translations import canonical_quiz_texts
from lessons.models import LessonRequirement
from quizzes.models import Question, QuestionType, Quiz, default_show_answers


class _Dumper(yaml.SafeDumper):
    """The canonical form of front matter: block style with list items indented under
    their key, keys in our order, one line per text (multi-line texts as literal
    blocks), short answer lists on one line."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)

    def choose_scalar_style(self) -> str:
        # A text that must be quoted and holds an apostrophe reads better in double
        # quotes ("can't") than in single quotes ('can''t').
        style = super().choose_scalar_style()
        if style == "'" and "'" in self.event.value:
            return '"'
        return style


class _OneLine(list):
    """A list written on one line: ``accept: [grey area, gray area]``."""


def _text(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _one_line(dumper: yaml.SafeDumper, value: _OneLine):
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=True)


class _OneLineMap(dict):
    """A mapping written on one line, in its own order: ``{course: induction, score: 80}``."""


def _one_line_map(dumper: yaml.SafeDumper, value: _OneLineMap):
    return dumper.represent_mapping("tag:yaml.org,2002:map", value.items(), flow_style=True)


_Dumper.add_representer(str, _text)
_Dumper.add_representer(_OneLine, _one_line)
_Dumper.add_representer(_OneLineMap, _one_line_map)


def _requires(kind: str, requirements: list[list[Any]]) -> dict[str, Any]:
    """``requires: [induction, {course: till-training, score: 80}]``, by slug; nothing
    when there are none."""
    if not requirements:
        return {}
    items = [
        slug if score is None else _OneLineMap({kind: slug, "score": score})
        for slug, score in requirements
    ]
    return {"requires": _OneLine(items)}


def _valid_for(months: int | None) -> dict[str, str]:
    """``valid_for: 12 months`` (always in months: the one canonical form)."""
    if not months:
        return {}
    return {"valid_for": f"{months} month{'s' if months != 1 else ''}"}


def _front_matter(data: dict[str, Any], body: str) -> str:
    header = yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=2**31 - 1,  # never folded: a text is one line, so a diff shows the edit
        default_flow_style=False,
    )
    return f"---\n{header}---\n{body.strip(chr(10))}\n"


def _quiz(quiz: Quiz | None) -> dict[str, Any] | None:
    if quiz is None or quiz.retired_at is not None:
        return None
    data: dict[str, Any] = {}
    if quiz.pass_mark != 80:
        data["pass_mark"] = quiz.pass_mark
    if quiz.max_attempts:
        data["max_attempts"] = quiz.max_attempts
    if quiz.shuffle:
        data["shuffle"] = True
    if quiz.show_answers != default_show_answers(final=quiz.course_id is not None):
        data["show_answers"] = quiz.show_answers
    if quiz.draw:
        data["draw"] = quiz.draw
    if quiz.time_limit:
        data["time_limit"] = quiz.time_limit
    data["questions"] = [
        _question(q) for q in quiz.questions.published().order_by("position", "id")
    ]
    return data


def _question(question: Question) -> dict[str, Any]:
    """id, type, prompt, the answer (true/false) or accepted answers (short),
    explanation, feedback, then the choices or the listed wrong answers."""
    data: dict[str, Any] = {"id": question.key, "type": question.type, "prompt": question.prompt}
    choices = list(question.choices.order_by("position", "id"))
    if question.type == QuestionType.TRUE_FALSE:
        data["answer"] = next((c.text == "True" for c in choices if c.is_correct), True)
    elif question.type == QuestionType.SHORT:
        data["accept"] = _OneLine(question.accepted_answers)
        if question.exact:
            data["exact"] = True
    data.update(_optional(explanation=question.explanation, feedback=question.feedback))
    if question.type == QuestionType.SHORT:
        if question.wrong_answers:
            data["wrong"] = [_wrong(item) for item in question.wrong_answers]
    elif question.type != QuestionType.TRUE_FALSE:
        data["choices"] = [
            {
                "text": choice.text,
                "correct": choice.is_correct,
                **_optional(feedback=choice.feedback),
            }
            for choice in choices
        ]
    return data


def _optional(**texts: str) -> dict[str, str]:
    return {name: text for name, text in texts.items() if text}


def _wrong(item: dict) -> dict[str, str]:
    return {"answer": item.get("answer", ""), **_optional(feedback=item.get("feedback", ""))}


def _question_texts(key: str, texts: dict) -> dict[str, Any]:
    """A translated question in the order of a base question."""
    data: dict[str, Any] = {"id": key, **_optional(prompt=texts.get("prompt", ""))}
    if texts.get("accept"):
        data["accept"] = _OneLine(texts["accept"])
    data.update(_optional(explanation=texts.get("explanation", "")))
    data.update(_optional(feedback=texts.get("feedback", "")))
    if texts.get("choices"):
        data["choices"] = [
            {"text": choice.get("text", ""), **_optional(feedback=choice.get("feedback", ""))}
            for choice in texts["choices"]
        ]
    if texts.get("wrong"):
        data["wrong"] = [_wrong(item) for item in texts["wrong"]]
    return data


def _texts(title: str, quiz_texts: Any, quiz: Quiz | None) -> dict[str, Any]:
    """The front matter of a translation: its title and its quiz texts, questions in
    the quiz's order (texts of questions the quiz no longer has are left out)."""
    data: dict[str, Any] = {"title": title} if title else {}
    texts = canonical_quiz_texts(quiz_texts if isinstance(quiz_texts, dict) else {})
    if quiz is None or quiz.retired_at is not None or not texts:
        return data
    questions = []
    for key in quiz.questions.published().order_by("position", "id").values_list("key", flat=True):
        if key in texts:
            questions.append(_question_texts(key, texts[key]))
    if questions:
        data["quiz"] = {"questions": questions}
    return data


def export_course(course: Course, root: Path) -> list[Path]:
    """Write one course folder under ``root``; return the files written."""
    folder = Path(root) / course.slug
    folder.mkdir(parents=True, exist_ok=True)
    header: dict[str, Any] = {"title": course.title}
    if course.description:
        header["description"] = course.description
    if course.visibility != Visibility.OPEN:
        header["visibility"] = course.visibility
    header.update(_valid_for(course.valid_for_months))
    header.update(_requires("course", course_requirements(course)))
    final = Quiz.objects.filter(course=course).first()
    if (quiz := _quiz(final)) is not None:
        header["quiz"] = quiz
    written = [folder / "course.md"]
    written[0].write_text(_front_matter(header, course.introduction_markdown), encoding="utf-8")
    for translation in CourseTranslation.objects.filter(course=course):
        data = _texts(translation.title, translation.quiz_texts, final)
        if translation.description:  # after the title, before the quiz
            quiz_texts = data.pop("quiz", None)
            data["description"] = translation.description
            data.update({"quiz": quiz_texts} if quiz_texts else {})
        path = folder / f"course.{translation.language}.md"
        path.write_text(_front_matter(data, translation.introduction_markdown), encoding="utf-8")
        written.append(path)

    lessons = list(
        course.lessons.published()
        .order_by("position", "id")
        .prefetch_related(
            Prefetch("requirements", queryset=LessonRequirement.objects.select_related("required"))
        )
    )
    width = max(2, len(str(len(lessons))))
    keep = {path.name for path in written}
    for number, lesson in enumerate(lessons, start=1):
        data: dict[str, Any] = {"title": lesson.title}
        if lesson.minutes:
            data["minutes"] = lesson.minutes
        data.update(_requires("lesson", lesson_requirements(lesson)))
        lesson_quiz = Quiz.objects.filter(lesson=lesson).first()
        if (quiz := _quiz(lesson_quiz)) is not None:
            data["quiz"] = quiz
        path = folder / f"{number:0{width}d}-{lesson.slug}.md"
        path.write_text(_front_matter(data, lesson.body_markdown), encoding="utf-8")
        written.append(path)
        keep.add(path.name)
        for translation in lesson.translations.all():
            texts = _texts(translation.title, translation.quiz_texts, lesson_quiz)
            translated = path.with_name(f"{path.stem}.{translation.language}.md")
            translated.write_text(_front_matter(texts, translation.body_markdown), encoding="utf-8")
            written.append(translated)
            keep.add(translated.name)
    # A lesson file left from an earlier export under another number would
    # re-import as a duplicate slug: remove lesson files we did not write.
    for stale in folder.glob("*.md"):
        if stale.name not in keep:
            stale.unlink()
    written += _export_media(course, folder)
    return written


def _export_media(course: Course, folder: Path) -> list[Path]:
    """The course's media as stored (wide images already scaled) under folder/media/,
    and nothing else there: a file left from an earlier export would be imported."""
    written = []
    for media in MediaFile.objects.filter(course=course).order_by("path"):
        if path_problem(media.path):
            continue  # cannot be imported back; the admin refuses such paths anyway
        path = folder / media.path
        path.parent.mkdir(parents=True, exist_ok=True)
        with media.file.open("rb") as stored:
            data = stored.read()
        if path.is_symlink() or not path.is_file() or path.read_bytes() != data:
            path.unlink(missing_ok=True)
            path.write_bytes(data)
        written.append(path)
    keep = set(written)
    for parent, _folders, files in os.walk(folder / MEDIA_FOLDER):  # links not followed
        for name in files:
            if (stale := Path(parent) / name) not in keep:
                stale.unlink()
    return written
