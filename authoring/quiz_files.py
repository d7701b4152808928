"""The ``quiz:`` key of a lesson's or course's front matter: read and validate it.

A lesson's quiz sits in its lesson file; a course's final assessment in course.md.
Errors name the file, the question number and the line. Every value is checked
against the column it is stored in (lengths and integer ranges read from the
models), so the database never refuses a quiz that passed validation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from courses.content_errors import ContentError, integer_range, max_length
from courses.translations import canonical_quiz_texts
from quizzes.answers import answer_form
from quizzes.models import (
    MAX_TIME_LIMIT,
    Attempt,
    Choice,
    Question,
    Quiz,
    ShowAnswers,
    default_show_answers,
)
from quizzes.services import MAX_TEXT_ANSWER

SINGLE, MULTIPLE, TRUE_FALSE, SHORT = "single", "multiple", "true_false", "short"
QUESTION_TYPES = (SINGLE, MULTIPLE, TRUE_FALSE, SHORT)
QUIZ_KEYS = {
    "pass_mark",
    "max_attempts",
    "shuffle",
    "show_answers",
    "draw",
    "time_limit",
    "questions",
}
COMMON_KEYS = {"id", "type", "prompt", "explanation", "feedback"}
KEYS_BY_TYPE = {
    SINGLE: COMMON_KEYS | {"choices"},
    MULTIPLE: COMMON_KEYS | {"choices"},
    TRUE_FALSE: COMMON_KEYS | {"answer"},
    SHORT: COMMON_KEYS | {"accept", "exact", "wrong"},
}
CHOICE_KEYS = {"text", "correct", "feedback"}
WRONG_KEYS = {"answer", "feedback"}
QUESTION_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
DEFAULT_PASS_MARK = 80


@dataclass(frozen=True)
class ChoiceSource:
    text: str
    correct: bool
    feedback: str = ""


@dataclass(frozen=True)
class QuestionSource:
    key: str  # stable identity: the question's `id`, or "q<number>" without one
    type: str
    prompt: str
    explanation: str
    choices: list[ChoiceSource] = field(default_factory=list)  # true_false: True, False
    accept: list[str] = field(default_factory=list)
    feedback: str = ""  # for a learner whose answer was wrong
    exact: bool = False  # short: no typo forgiven
    wrong: list[dict[str, str]] = field(default_factory=list)  # short: {answer, feedback}


@dataclass(frozen=True)
class QuizSource:
    pass_mark: int
    max_attempts: int
    shuffle: bool
    questions: list[QuestionSource]
    show_answers: str = ShowAnswers.ALWAYS.value  # a lesson quiz's default
    draw: int = 0  # 0: every question
    time_limit: int = 0  # minutes; 0: none


class _Reader:
    def __init__(
        self,
        path: Path,
        lines: dict[tuple, int],
        errors: list[ContentError],
        warnings: list[ContentError] | None = None,
    ):
        self.path, self.lines, self.errors = path, lines, errors
        self.warnings = warnings if warnings is not None else []
        self.failed = False
        # The language answers are written in: a translation's (de), else the site's.
        self.language: str | None = None

    def line(self, at: tuple) -> int | None:
        # The line of the nearest enclosing node that has one.
        return next(
            (self.lines[at[:n]] for n in range(len(at), 0, -1) if at[:n] in self.lines), None
        )

    def error(self, message: str, at: tuple) -> None:
        self.errors.append(ContentError(self.path, message, self.line(at)))
        self.failed = True

    def warn(self, message: str, at: tuple) -> None:
        self.warnings.append(ContentError(self.path, message, self.line(at)))

    def unknown_keys(self, data: dict, allowed: set[str], at: tuple, what: str) -> None:
        for key in data:
            if key not in allowed:
                self.error(
                    f"{what}: unknown key '{key}' (allowed: {', '.join(sorted(allowed))})",
                    (*at, key),
                )

    def text(self, data: dict, key: str, at: tuple, what: str, required: bool) -> str:
        value = data.get(key)
        if value is None:
            if required:
                self.error(f"{what}: '{key}' is missing", at)
            return ""
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.error(f"{what}: '{key}' must be text", (*at, key))
            return ""
        text = str(value).strip()
        if required and not text:
            self.error(f"{what}: '{key}' is empty", (*at, key))
        return text

    def whole_number(
        self, data: dict, key: str, default: int, low: int, high: int, at: tuple
    ) -> int:
        if key not in data:
            return default
        value = data[key]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.error(f"quiz: '{key}' must be a whole number from {low} to {high}", (*at, key))
            return default
        return value

    def too_long(self, text: str, limit: int, what: str, at: tuple) -> bool:
        if len(text) <= limit:
            return False
        self.error(f"{what} is longer than {limit} characters", at)
        return True


def read_quiz(
    path: Path,
    data: Any,
    lines: dict[tuple, int],
    errors: list[ContentError],
    final: bool = False,
    warnings: list[ContentError] | None = None,
) -> QuizSource | None:
    """Validate one ``quiz:`` mapping (``final``: a course's final assessment); append
    every problem to ``errors`` and what an author should look at to ``warnings``."""
    reader = _Reader(path, lines, errors, warnings)
    at = ("quiz",)
    if not isinstance(data, dict):
        reader.error(
            "quiz: must be a mapping with 'questions' (and optionally pass_mark, "
            "max_attempts, shuffle)",
            at,
        )
        return None
    reader.unknown_keys(data, QUIZ_KEYS, at, "quiz")
    pass_mark = reader.whole_number(data, "pass_mark", DEFAULT_PASS_MARK, 0, 100, at)
    max_attempts = reader.whole_number(
        data, "max_attempts", 0, 0, integer_range(Quiz, "max_attempts")[1], at
    )
    shuffle = data.get("shuffle", False)
    if not isinstance(shuffle, bool):
        reader.error("quiz: 'shuffle' must be true or false", (*at, "shuffle"))
    show_answers = data.get("show_answers", default_show_answers(final))
    if show_answers not in ShowAnswers.values:
        reader.error(
            f"quiz: 'show_answers' must be one of: {', '.join(ShowAnswers.values)}",
            (*at, "show_answers"),
        )
    time_limit = reader.whole_number(data, "time_limit", 0, 1, MAX_TIME_LIMIT, at)

    raw_questions = data.get("questions")
    if not isinstance(raw_questions, list) or not raw_questions:
        reader.error("quiz: 'questions' must be a list of at least one question", at)
        return None
    most = integer_range(Attempt, "max_score")[1]  # a score counts one point a question
    if len(raw_questions) > most:
        reader.error(f"quiz: at most {most} questions", (*at, "questions"))
        return None
    questions = []
    seen_keys: dict[str, int] = {}
    for index, raw in enumerate(raw_questions):
        question = _read_question(reader, raw, index, (*at, "questions", index))
        if question is None:
            continue
        if question.key in seen_keys:
            reader.error(
                f"quiz question {index + 1}: id '{question.key}' is also used by question "
                f"{seen_keys[question.key] + 1}",
                (*at, "questions", index, "id"),
            )
        seen_keys.setdefault(question.key, index)
        questions.append(question)
    # Checked against every question in the file, valid or not: the count is what
    # the author sees.
    draw = data.get("draw", 0)
    if isinstance(draw, int) and not isinstance(draw, bool) and draw > len(raw_questions):
        reader.error(
            f"quiz: 'draw' is {draw}, more than the {len(raw_questions)} "
            f"question{'s' if len(raw_questions) != 1 else ''} of the quiz",
            (*at, "draw"),
        )
        draw = 0
    else:
        draw = reader.whole_number(data, "draw", 0, 1, len(raw_questions), at)
    if reader.failed:
        return None
    return QuizSource(
        pass_mark,
        max_attempts,
        bool(shuffle),
        questions,
        show_answers=str(show_answers),
        draw=draw,
        time_limit=time_limit,
    )


def _read_question(reader: _Reader, raw: Any, index: int, at: tuple) -> QuestionSource | None:
    what = f"quiz question {index + 1}"
    if not isinstance(raw, dict):
        reader.error(f"{what}: must be a mapping with type, prompt and explanation", at)
        return None
    kind = raw.get("type")
    if kind not in QUESTION_TYPES:
        reader.error(
            f"{what}: unknown type {kind!r} (use one of: {', '.join(QUESTION_TYPES)})",
            (*at, "type"),
        )
        return None
    reader.unknown_keys(raw, KEYS_BY_TYPE[kind], at, what)
    key = raw.get("id", f"q{index + 1}")
    if not isinstance(key, str) or not QUESTION_ID.fullmatch(key):
        reader.error(f"{what}: 'id' must be a lower-case slug such as 'sister-branch'", (*at, "id"))
    else:
        reader.too_long(key, max_length(Question, "key"), f"{what}: 'id'", (*at, "id"))
    prompt = reader.text(raw, "prompt", at, what, required=True)
    explanation = reader.text(raw, "explanation", at, what, required=False)
    if not explanation:
        reader.warn(f"{what} has no explanation: learners won't learn why", at)
    feedback = reader.text(raw, "feedback", at, what, required=False)

    choices: list[ChoiceSource] = []
    accept: list[str] = []
    exact = False
    wrong: list[dict[str, str]] = []
    if kind in (SINGLE, MULTIPLE):
        choices = _read_choices(reader, raw.get("choices"), kind, what, at)
    elif kind == TRUE_FALSE:
        answer = raw.get("answer")
        if not isinstance(answer, bool):
            reader.error(
                f"{what}: a true_false question needs 'answer: true' or 'answer: false'",
                (*at, "answer") if "answer" in raw else at,
            )
        choices = [ChoiceSource("True", answer is True), ChoiceSource("False", answer is False)]
    else:
        raw_accept = raw.get("accept")
        if isinstance(raw_accept, str | int | float) and not isinstance(raw_accept, bool):
            raw_accept = [raw_accept]
        if (
            not isinstance(raw_accept, list)
            or not raw_accept
            or not all(isinstance(a, str | int | float) and str(a).strip() for a in raw_accept)
        ):
            reader.error(
                f"{what}: a short question needs 'accept', a list of accepted answers",
                (*at, "accept") if "accept" in raw else at,
            )
        else:
            accept = [str(a).strip() for a in raw_accept]
            _check_answers(reader, accept, f"{what}: accepted answer", (*at, "accept"))
        exact = raw.get("exact", False)
        if not isinstance(exact, bool):
            reader.error(f"{what}: 'exact' must be true or false", (*at, "exact"))
        wrong = _read_wrong(reader, raw.get("wrong"), accept, what, at)
    return QuestionSource(
        str(key),
        kind,
        prompt,
        explanation,
        choices,
        accept,
        feedback=feedback,
        exact=exact is True,
        wrong=wrong,
    )


def _check_answers(reader: _Reader, answers: list[str], label: str, at: tuple) -> None:
    for number, answer in enumerate(answers):
        # A learner can type at most MAX_TEXT_ANSWER characters.
        reader.too_long(answer, MAX_TEXT_ANSWER, f"{label} {number + 1}", (*at, number))
        if answer_form(answer, reader.language).is_empty:
            # Grading compares words and numbers: "?" or "the" would match nothing.
            reader.error(
                f"{label} {number + 1} is only punctuation or articles, which grading ignores",
                (*at, number),
            )


def _read_wrong(
    reader: _Reader, raw: Any, accept: list[str], what: str, at: tuple
) -> list[dict[str, str]]:
    """A short question's ``wrong:`` list: [{answer, feedback}], none also accepted."""
    if raw is None:
        return []
    at = (*at, "wrong")
    if not isinstance(raw, list):
        reader.error(f"{what}: 'wrong' must be a list of answers with feedback", at)
        return []
    wrong = []
    accepted = {answer_form(answer, reader.language).words for answer in accept}
    for number, item in enumerate(raw, start=1):
        item_at, label = (*at, number - 1), f"{what}, wrong answer {number}"
        if not isinstance(item, dict):
            reader.error(f"{label}: must be a mapping with answer and feedback", item_at)
            continue
        reader.unknown_keys(item, WRONG_KEYS, item_at, label)
        answer = reader.text(item, "answer", item_at, label, required=True)
        feedback = reader.text(item, "feedback", item_at, label, required=False)
        reader.too_long(answer, MAX_TEXT_ANSWER, f"{label}: 'answer'", (*item_at, "answer"))
        form = answer_form(answer, reader.language)
        if answer and form.is_empty:
            reader.error(f"{label} is only punctuation or articles", (*item_at, "answer"))
        elif answer and form.words in accepted:
            reader.error(f"{label}: '{answer}' is also an accepted answer", (*item_at, "answer"))
        wrong.append({"answer": answer, **({"feedback": feedback} if feedback else {})})
    return wrong


def _read_choices(reader: _Reader, raw: Any, kind: str, what: str, at: tuple) -> list[ChoiceSource]:
    if not isinstance(raw, list) or len(raw) < 2:
        reader.error(
            f"{what}: a {kind} question needs 'choices', a list of at least two", (*at, "choices")
        )
        return []
    choices = []
    for number, item in enumerate(raw, start=1):
        item_at = (*at, "choices", number - 1)
        if not isinstance(item, dict):
            reader.error(
                f"{what}, choice {number}: must be a mapping with text and correct", item_at
            )
            continue
        reader.unknown_keys(item, CHOICE_KEYS, item_at, f"{what}, choice {number}")
        text = reader.text(item, "text", item_at, f"{what}, choice {number}", required=True)
        limit = max_length(Choice, "text")
        reader.too_long(text, limit, f"{what}, choice {number}: 'text'", (*item_at, "text"))
        correct = item.get("correct", False)
        if not isinstance(correct, bool):
            reader.error(
                f"{what}, choice {number}: 'correct' must be true or false", (*item_at, "correct")
            )
        feedback = reader.text(
            item, "feedback", item_at, f"{what}, choice {number}", required=False
        )
        choices.append(ChoiceSource(text, correct is True, feedback))
    correct_count = sum(choice.correct for choice in choices)
    if kind == SINGLE and correct_count != 1:
        reader.error(
            f"{what}: a single question needs exactly one correct choice (found {correct_count})",
            (*at, "choices"),
        )
    if kind == MULTIPLE and correct_count < 1:
        reader.error(
            f"{what}: a multiple question needs at least one correct choice", (*at, "choices")
        )
    texts = [choice.text for choice in choices]
    if len(set(texts)) != len(texts):
        reader.error(f"{what}: two choices have the same text", (*at, "choices"))
    return choices


TRANSLATED_QUESTION_KEYS = {"id", "prompt", "explanation", "feedback", "choices", "accept", "wrong"}
TRANSLATED_CHOICE_KEYS = {"text", "feedback"}


def read_quiz_texts(
    path: Path,
    data: Any,
    lines: dict[tuple, int],
    errors: list[ContentError],
    base: QuizSource | None,
    base_name: str,
) -> dict:
    """Validate the ``quiz:`` of a translation (texts only, questions named by the
    base file's ids, as many choices in the same order) against ``base``, the quiz of
    the base file ``base_name``; return the texts by question id
    (courses.translations.canonical_quiz_texts), or {} with errors appended."""
    reader = _Reader(path, lines, errors)
    reader.language = path.name.split(".")[-2]  # 01-welcome.de.md
    at = ("quiz",)
    if base is None:
        reader.error(f"quiz: {base_name} has no quiz (or it has errors) to translate", at)
        return {}
    if not isinstance(data, dict):
        reader.error("quiz: must be a mapping with 'questions'", at)
        return {}
    for key in data:
        if key in QUIZ_KEYS - {"questions"}:
            reader.error(
                f"quiz: '{key}' is not allowed in a translation: it is a setting, "
                f"written in {base_name} only",
                (*at, key),
            )
        elif key != "questions":
            reader.unknown_keys({key: None}, {"questions"}, at, "quiz")
    raw_questions = data.get("questions")
    if not isinstance(raw_questions, list) or not raw_questions:
        reader.error("quiz: 'questions' must be a list of at least one question", at)
        return {}
    by_key = {question.key: question for question in base.questions}
    texts: dict[str, dict] = {}
    for index, raw in enumerate(raw_questions):
        item_at = (*at, "questions", index)
        what = f"quiz question {index + 1}"
        if not isinstance(raw, dict):
            reader.error(f"{what}: must be a mapping with id and prompt", item_at)
            continue
        key = raw.get("id")
        if not isinstance(key, str) or key not in by_key:
            reader.error(
                f"{what}: 'id' must name a question of {base_name} (one of: {', '.join(by_key)})",
                (*item_at, "id") if "id" in raw else item_at,
            )
            continue
        if key in texts:
            reader.error(f"{what}: id '{key}' is translated twice", (*item_at, "id"))
            continue
        texts[key] = _read_question_texts(reader, raw, by_key[key], what, item_at, base_name)
    if reader.failed:
        return {}
    return canonical_quiz_texts(texts)


def _read_question_texts(
    reader: _Reader, raw: dict, base: QuestionSource, what: str, at: tuple, base_name: str
) -> dict:
    for key in raw:
        if key in KEYS_BY_TYPE[base.type] - TRANSLATED_QUESTION_KEYS or key == "type":
            reader.error(
                f"{what}: '{key}' is not allowed in a translation: it is a setting, "
                f"written in {base_name} only",
                (*at, key),
            )
        elif key not in TRANSLATED_QUESTION_KEYS:
            reader.unknown_keys({key: None}, TRANSLATED_QUESTION_KEYS, at, what)
    texts: dict[str, Any] = {
        "prompt": reader.text(raw, "prompt", at, what, required=False),
        "explanation": reader.text(raw, "explanation", at, what, required=False),
        "feedback": reader.text(raw, "feedback", at, what, required=False),
    }
    if "choices" in raw:
        texts["choices"] = _read_choice_texts(reader, raw["choices"], base, what, at, base_name)
    if "accept" in raw:
        if base.type != SHORT:
            reader.error(f"{what}: only a short question accepts answers", (*at, "accept"))
        else:
            texts["accept"] = _read_accept_texts(reader, raw["accept"], what, at)
    if "wrong" in raw:
        if base.type != SHORT:
            reader.error(f"{what}: only a short question lists wrong answers", (*at, "wrong"))
        else:
            texts["wrong"] = _read_wrong(reader, raw["wrong"], texts.get("accept", []), what, at)
    return texts


def _read_choice_texts(
    reader: _Reader, raw: Any, base: QuestionSource, what: str, at: tuple, base_name: str
) -> list[dict]:
    at = (*at, "choices")
    if base.type == SHORT:
        reader.error(f"{what}: a short question has no choices", at)
        return []
    if not isinstance(raw, list) or len(raw) != len(base.choices):
        count = len(raw) if isinstance(raw, list) else 0
        reader.error(
            f"{what}: {count} choices, but the question has {len(base.choices)} in "
            f"{base_name}: translate each, in the same order",
            at,
        )
        return []
    choices = []
    for number, item in enumerate(raw, start=1):
        item_at = (*at, number - 1)
        label = f"{what}, choice {number}"
        if not isinstance(item, dict):
            reader.error(f"{label}: must be a mapping with text (and feedback)", item_at)
            continue
        for key in item:
            if key == "correct":
                reader.error(
                    f"{label}: 'correct' is not allowed in a translation: it is a setting, "
                    f"written in {base_name} only",
                    (*item_at, key),
                )
            elif key not in TRANSLATED_CHOICE_KEYS:
                reader.unknown_keys({key: None}, TRANSLATED_CHOICE_KEYS, item_at, label)
        text = reader.text(item, "text", item_at, label, required=False)
        reader.too_long(text, max_length(Choice, "text"), f"{label}: 'text'", (*item_at, "text"))
        feedback = reader.text(item, "feedback", item_at, label, required=False)
        choices.append({"text": text, "feedback": feedback})
    return choices


def _read_accept_texts(reader: _Reader, raw: Any, what: str, at: tuple) -> list[str]:
    if isinstance(raw, str | int | float) and not isinstance(raw, bool):
        raw = [raw]
    if not isinstance(raw, list) or not all(
        isinstance(a, str | int | float) and not isinstance(a, bool) and str(a).strip() for a in raw
    ):
        reader.error(f"{what}: 'accept' must be a list of accepted answers", (*at, "accept"))
        return []
    accept = [str(a).strip() for a in raw]
    _check_answers(reader, accept, f"{what}: accepted answer", (*at, "accept"))
    return accept
