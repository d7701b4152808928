"""The quiz: key in front matter: validation, import, and attempts kept across re-imports."""

import shutil
import textwrap

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from authoring.content_files import read_content
from authoring.importing import import_content
from progress.services import submit_quiz
from quizzes.models import Answer, Attempt, Question, Quiz
from quizzes.services import open_attempt
from tests.factories import answer_sheet, as_post
from tests.test_content_files import COURSE_MD, errors_for, write_course


def lesson_with_quiz(quiz_yaml: str) -> str:
    return (
        "---\ntitle: A lesson\nquiz:\n"
        + textwrap.indent(textwrap.dedent(quiz_yaml), "  ")
        + "---\nBody\n"
    )


SINGLE_OK = """\
questions:
  - id: who
    type: single
    prompt: Who?
    explanation: Because.
    choices:
      - text: Me
        correct: true
      - text: You
        correct: false
"""


def test_sample_course_has_lesson_quizzes_and_a_final_assessment():
    (course,) = read_content(settings.CONTENT_DIR / "who-is-your-customer")
    for lesson in course.lessons:
        assert 3 <= len(lesson.quiz.questions) <= 5, lesson.path
    final = course.final_assessment
    assert (final.pass_mark, final.max_attempts, len(final.questions) >= 10) == (80, 3, True)
    types = {q.type for lesson in course.lessons for q in lesson.quiz.questions}
    assert types == {"single", "multiple", "true_false", "short"}


def test_a_valid_quiz_is_read_with_defaults(tmp_path):
    write_course(tmp_path, {"course.md": COURSE_MD, "01-a.md": lesson_with_quiz(SINGLE_OK)})
    (course,) = read_content(tmp_path)
    quiz = course.lessons[0].quiz
    assert (quiz.pass_mark, quiz.max_attempts, quiz.shuffle) == (80, 0, False)
    (question,) = quiz.questions
    assert (question.key, question.type, question.explanation) == ("who", "single", "Because.")
    assert [(c.text, c.correct) for c in question.choices] == [("Me", True), ("You", False)]


def test_true_false_becomes_two_choices_and_short_keeps_accepted_answers(tmp_path):
    quiz = """\
    questions:
      - type: true_false
        prompt: Colleagues can be customers.
        answer: true
      - type: short
        prompt: One word?
        accept: [internal, "an internal customer"]
    """
    write_course(tmp_path, {"course.md": COURSE_MD, "01-a.md": lesson_with_quiz(quiz)})
    (course,) = read_content(tmp_path)
    true_false, short = course.lessons[0].quiz.questions
    assert [(c.text, c.correct) for c in true_false.choices] == [("True", True), ("False", False)]
    assert (true_false.key, short.key) == ("q1", "q2")  # no id: identity is the number
    assert short.accept == ["internal", "an internal customer"]


@pytest.mark.parametrize(
    "quiz, expected",
    [
        (
            SINGLE_OK.replace("correct: false", "correct: true"),
            "01-a.md:9: quiz question 1: a single question needs exactly one correct choice "
            "(found 2)",
        ),
        (
            SINGLE_OK.replace("correct: true", "correct: false"),
            "quiz question 1: a single question needs exactly one correct choice (found 0)",
        ),
        (
            SINGLE_OK.replace("type: single", "type: essay"),
            "01-a.md:6: quiz question 1: unknown type 'essay'",
        ),
        (
            "pass_mark: 120\n" + SINGLE_OK,
            "01-a.md:4: quiz: 'pass_mark' must be a whole number from 0 to 100",
        ),
        ("pass_mark: -1\n" + SINGLE_OK, "quiz: 'pass_mark' must be a whole number from 0 to 100"),
        ("max_attempts: two\n" + SINGLE_OK, "quiz: 'max_attempts' must be a whole number"),
        ("shuffle: maybe\n" + SINGLE_OK, "quiz: 'shuffle' must be true or false"),
        ("questions: []\n", "quiz: 'questions' must be a list of at least one question"),
        ("- just a list\n", "quiz: must be a mapping"),
        (
            SINGLE_OK
            + "  - type: multiple\n    prompt: Which?\n"
            + "    choices:\n      - text: A\n      - text: B\n",
            "quiz question 2: a multiple question needs at least one correct choice",
        ),
        (
            SINGLE_OK + "  - type: true_false\n    prompt: Yes?\n",
            "quiz question 2: a true_false question needs 'answer: true' or 'answer: false'",
        ),
        (
            SINGLE_OK + "  - type: short\n    prompt: Word?\n    accept: []\n",
            "quiz question 2: a short question needs 'accept'",
        ),
        (
            SINGLE_OK + "  - id: who\n    type: true_false\n    prompt: Yes?\n    answer: true\n",
            "quiz question 2: id 'who' is also used by question 1",
        ),
        (
            SINGLE_OK
            + "  - type: true_false\n    prompt: Yes?\n    answer: true\n    choices: []\n",
            "quiz question 2: unknown key 'choices'",
        ),
        (SINGLE_OK.replace("prompt: Who?", "prompt: ''"), "quiz question 1: 'prompt' is empty"),
        (
            SINGLE_OK.replace("id: who", "id: Who Is"),
            "quiz question 1: 'id' must be a lower-case slug",
        ),
        ("passmark: 80\n" + SINGLE_OK, "quiz: unknown key 'passmark'"),
    ],
)
def test_bad_quiz_names_file_question_and_problem(tmp_path, quiz, expected):
    write_course(tmp_path, {"course.md": COURSE_MD, "01-a.md": lesson_with_quiz(quiz)})
    errors = errors_for(tmp_path)
    assert any(expected in error for error in errors), errors


def test_final_assessment_errors_name_course_md(tmp_path):
    course_md = "---\ntitle: C\nquiz:\n  pass_mark: 101\n  questions: []\n---\n"
    write_course(tmp_path, {"course.md": course_md, "01-a.md": "---\ntitle: A\n---\n"})
    errors = errors_for(tmp_path)
    assert any("course.md:4: quiz: 'pass_mark'" in error for error in errors), errors


@pytest.fixture
def content(tmp_path):
    sample = "who-is-your-customer"  # content/ holds other courses too
    shutil.copytree(settings.CONTENT_DIR / sample, tmp_path / "content" / sample)
    return tmp_path / "content"


def lesson_file(content, name="03-internal-customers.md"):
    return content / "who-is-your-customer" / name


def submit_passing(learner, quiz):
    attempt = open_attempt(learner, quiz, used=0)
    return submit_quiz(learner, quiz, attempt.pk, as_post(answer_sheet(quiz, attempt)))


@pytest.mark.django_db
def test_import_creates_quizzes_and_final_assessment(content):
    import_content(content)
    assert Quiz.objects.filter(lesson__isnull=False).count() == 7
    final = Quiz.objects.get(course__slug="who-is-your-customer")
    assert (final.pass_mark, final.max_attempts, final.shuffle) == (80, 3, True)


@pytest.mark.django_db
def test_rewording_a_question_keeps_its_identity_and_the_attempts(content, learner):
    import_content(content)
    quiz = Quiz.objects.get(lesson__slug="internal-customers")
    attempt = submit_passing(learner, quiz)
    question = quiz.questions.get(key="sister-branch-stock")
    path = lesson_file(content)
    path.write_text(path.read_text().replace("chain of bike shops", "chain of sports shops"))
    (report,) = import_content(content)
    assert report.quiz_changes == ["internal-customers: question sister-branch-stock updated"]
    question.refresh_from_db()
    assert "sports shops" in question.prompt
    assert Answer.objects.filter(attempt=attempt, question=question).exists()
    # The recorded answer keeps the wording the learner saw.
    assert "bike shops" in Answer.objects.get(attempt=attempt, question=question).prompt
    attempt.refresh_from_db()
    assert (attempt.score, attempt.passed) == (5, True)


@pytest.mark.django_db
def test_removed_question_and_quiz_are_retired_not_deleted(content, learner):
    import_content(content)
    quiz = Quiz.objects.get(lesson__slug="internal-customers")
    submit_passing(learner, quiz)
    path = lesson_file(content)
    # The quiz goes from the lesson file and from its translation, which would
    # otherwise translate a quiz that is not there (an error naming the file).
    for each in (path, path.with_name(path.name.replace(".md", ".de.md"))):
        front, body = each.read_text().split("\n---\n", 1)
        each.write_text(front.split("\nquiz:\n")[0] + "\n---\n" + body)
    (report,) = import_content(content)
    assert report.quiz_changes == ["internal-customers: quiz retired"]
    quiz.refresh_from_db()
    assert quiz.retired_at is not None
    assert Attempt.objects.filter(quiz=quiz).count() == 1
    assert Question.objects.filter(quiz=quiz).count() == 5


@pytest.mark.django_db
def test_bad_quiz_imports_nothing(content):
    import_content(content)
    path = lesson_file(content)
    path.write_text(path.read_text().replace("type: single", "type: essay", 1))
    with pytest.raises(
        CommandError, match=r"03-internal-customers.md:\d+: quiz question 1: unknown type"
    ):
        call_command("import_content", str(content))
