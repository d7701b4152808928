"""Learners learn from mistakes (issue 20): feedback for every question type, the
short-answer rules on the result page, and the content format that carries them."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils.html import strip_tags

from authoring.content_files import read_content
from authoring.importing import import_content
from lessons.models import LessonTranslation
from quizzes.models import Answer, Question, Quiz
from tests.factories import answer_sheet, make_quiz, press_start
from tests.test_content_files import COURSE_MD, errors_for, write_course

pytestmark = pytest.mark.django_db


def page_text(response) -> str:
    return " ".join(strip_tags(response.content.decode()).split())


@pytest.fixture
def short_quiz(course):
    """A lesson quiz of a true/false and a short question, answers shown only after a
    pass, so feedback is seen to come without the answers."""
    return make_quiz(
        lesson=course.lessons.first(),
        show_answers="after_pass",
        questions=[
            {
                "key": "people",
                "type": "true_false",
                "prompt": "Customers are people.",
                "feedback": "Think of who reads your emails.",
                "choices": [("True", True), ("False", False)],
            },
            {
                "key": "who",
                "type": "short",
                "prompt": "Who relies on your work inside the company?",
                "accepted_answers": ["internal customer"],
                "wrong_answers": [
                    {"answer": "external customer", "feedback": "They work outside it."}
                ],
                "feedback": "Think of where the person works.",
            },
        ],
    )


def submit(client, quiz, true_false: str, short: str):
    press_start(client, quiz)  # opens the attempt
    attempt = quiz.attempts.get(submitted_at__isnull=True)
    people, who = quiz.questions.order_by("position")
    data = {
        "attempt": str(attempt.pk),
        f"question-{people.pk}": str(people.choices.get(text=true_false).pk),
        f"question-{who.pk}": short,
    }
    client.post(reverse("quizzes:take", args=[quiz.pk]), data)
    return quiz.attempts.get(pk=attempt.pk)


def test_a_typo_forgiven_is_recorded_and_shown_as_accepted_as(learner_client, short_quiz):
    attempt = submit(learner_client, short_quiz, "True", "Internal custmer")
    answer = Answer.objects.get(attempt=attempt, question__key="who")
    assert (answer.is_correct, answer.matched, answer.spelling) == (
        True,
        "internal customer",
        True,
    )
    page = page_text(learner_client.get(attempt.get_absolute_url()))
    assert "Internal custmer accepted as “internal customer” (spelling)" in page


def test_an_answer_accepted_as_typed_says_nothing_about_spelling(learner_client, short_quiz):
    attempt = submit(learner_client, short_quiz, "True", "internal customers")
    assert not Answer.objects.get(attempt=attempt, question__key="who").spelling
    assert "(spelling)" not in page_text(learner_client.get(attempt.get_absolute_url()))


def test_a_wrong_short_answer_gets_the_questions_feedback_without_the_answer(
    learner_client, short_quiz
):
    attempt = submit(learner_client, short_quiz, "True", "my manager")
    page = page_text(learner_client.get(attempt.get_absolute_url()))
    assert "Think of where the person works." in page
    assert "internal customer" not in page  # answers are shown after a pass only


def test_a_listed_wrong_answer_gets_its_own_feedback(learner_client, short_quiz):
    attempt = submit(learner_client, short_quiz, "True", "External customers")
    answer = Answer.objects.get(attempt=attempt, question__key="who")
    assert (answer.is_correct, answer.matched) == (False, "external customer")
    page = page_text(learner_client.get(attempt.get_absolute_url()))
    assert "They work outside it." in page
    assert "Think of where the person works." not in page


def test_a_wrong_true_false_answer_gets_the_questions_feedback(learner_client, short_quiz):
    attempt = submit(learner_client, short_quiz, "False", "internal customer")
    page = page_text(learner_client.get(attempt.get_absolute_url()))
    assert "Think of who reads your emails." in page


def test_a_right_answer_gets_no_wrong_answer_feedback(learner_client, short_quiz):
    attempt = submit(learner_client, short_quiz, "True", "internal customer")
    page = page_text(learner_client.get(attempt.get_absolute_url()))
    assert "Think of" not in page and "They work outside it." not in page


def test_after_a_pass_the_result_page_offers_no_try_again(learner_client, course):
    quiz = make_quiz(lesson=course.lessons.first(), max_attempts=3)
    press_start(learner_client, quiz)
    attempt = quiz.attempts.get()
    learner_client.post(reverse("quizzes:take", args=[quiz.pk]), answer_sheet(quiz, attempt))
    page = page_text(learner_client.get(attempt.get_absolute_url()))
    assert "Passed" in page and "Try again" not in page
    lesson_page = page_text(learner_client.get(quiz.lesson.get_absolute_url()))
    assert "Take the quiz again" in lesson_page  # the retake stays on the lesson page


def test_after_a_failure_the_result_page_offers_try_again(learner_client, course):
    quiz = make_quiz(lesson=course.lessons.first(), max_attempts=3)
    press_start(learner_client, quiz)
    attempt = quiz.attempts.get()
    sheet = answer_sheet(quiz, attempt, correct=1)
    learner_client.post(reverse("quizzes:take", args=[quiz.pk]), sheet)
    page = page_text(learner_client.get(attempt.get_absolute_url()))
    assert "Try again (2 of 3 attempts left)" in page


# In German ---------------------------------------------------------------------------

LESSON_WITH_QUIZ = """---
title: A lesson
quiz:
  show_answers: after_pass
  questions:
    - id: people
      type: true_false
      prompt: Customers are people.
      answer: true
      explanation: Someone reads every email.
      feedback: Think of who reads your emails.
    - id: who
      type: short
      prompt: Who relies on your work inside the company?
      accept: [internal customer]
      explanation: Colleagues rely on you.
      feedback: Think of where the person works.
      wrong:
        - answer: external customer
          feedback: They work outside it.
---
Body.
"""

LESSON_IN_GERMAN = """---
title: Eine Lektion
quiz:
  questions:
    - id: people
      prompt: Kunden sind Menschen.
      feedback: Denken Sie daran, wer Ihre E-Mails liest.
    - id: who
      prompt: Wer verlässt sich im Unternehmen auf Ihre Arbeit?
      accept: [interner Kunde]
      feedback: Denken Sie daran, wo die Person arbeitet.
      wrong:
        - answer: externer Kunde
          feedback: Diese Person arbeitet außerhalb.
---
Text.
"""


@pytest.fixture
def german_pack(tmp_path):
    write_course(
        tmp_path,
        {"course.md": COURSE_MD, "01-a.md": LESSON_WITH_QUIZ, "01-a.de.md": LESSON_IN_GERMAN},
    )
    import_content(tmp_path)
    return Quiz.objects.get()


@pytest.fixture
def german_client(learner_client):
    learner_client.cookies["django_language"] = "de"
    return learner_client


def test_a_german_learner_reads_true_false_and_feedback_in_german(german_client, german_pack):
    press_start(german_client, german_pack)
    page = page_text(german_client.get(reverse("quizzes:take", args=[german_pack.pk])))
    assert "Wahr" in page and "Falsch" in page and "True" not in page
    attempt = submit(german_client, german_pack, "False", "externer Kunde")
    page = page_text(german_client.get(attempt.get_absolute_url()))
    assert "Denken Sie daran, wer Ihre E-Mails liest." in page
    assert "Diese Person arbeitet außerhalb." in page


def test_a_german_answer_is_judged_by_the_german_rules(german_client, german_pack):
    attempt = submit(german_client, german_pack, "True", "den internen Kunden")
    assert Answer.objects.get(attempt=attempt, question__key="who").is_correct


def test_a_wrong_answer_typed_in_german_gets_the_german_question_feedback(
    german_client, german_pack
):
    attempt = submit(german_client, german_pack, "True", "mein Chef")
    page = page_text(german_client.get(attempt.get_absolute_url()))
    assert "Denken Sie daran, wo die Person arbeitet." in page


# The content format -------------------------------------------------------------------


def test_the_format_carries_feedback_exact_and_wrong_answers(tmp_path):
    lesson = LESSON_WITH_QUIZ.replace(
        "      accept: [internal customer]\n",
        "      accept: [internal customer]\n      exact: true\n",
    )
    write_course(tmp_path, {"course.md": COURSE_MD, "01-a.md": lesson})
    (course,) = read_content(tmp_path)
    people, who = course.lessons[0].quiz.questions
    assert people.feedback == "Think of who reads your emails."
    assert (who.exact, who.feedback) == (True, "Think of where the person works.")
    assert who.wrong == [{"answer": "external customer", "feedback": "They work outside it."}]


def test_import_then_export_keeps_the_new_keys_byte_for_byte(tmp_path):
    write_course(tmp_path / "in", {"course.md": COURSE_MD, "01-a.md": LESSON_WITH_QUIZ})
    import_content(tmp_path / "in")
    who = Question.objects.get(key="who")
    assert (who.feedback, who.wrong_answers[0]["answer"]) == (
        "Think of where the person works.",
        "external customer",
    )
    call_command("export_content", str(tmp_path / "out"))
    (exported,) = (tmp_path / "out").glob("*/01-*.md")
    assert exported.read_text() == LESSON_WITH_QUIZ


def test_a_translation_carries_feedback_and_wrong_answers(german_pack):
    texts = LessonTranslation.objects.get().quiz_texts
    assert texts["people"]["feedback"] == "Denken Sie daran, wer Ihre E-Mails liest."
    assert texts["who"]["wrong"] == [
        {"answer": "externer Kunde", "feedback": "Diese Person arbeitet außerhalb."}
    ]


@pytest.mark.parametrize(
    "change, message",
    [
        (
            (
                "      accept: [internal customer]\n",
                "      accept: [internal customer]\n      exact: yes please\n",
            ),
            "quiz question 2: 'exact' must be true or false",
        ),
        (
            ("        - answer: external customer\n", "        - answer: Internal-Customer\n"),
            "quiz question 2, wrong answer 1: 'Internal-Customer' is also an accepted answer",
        ),
        (
            ("      wrong:\n", "      wrong: nothing\n      old:\n"),
            "quiz question 2: 'wrong' must be a list",
        ),
        (
            ("      accept: [internal customer]\n", "      accept: [the]\n"),
            "quiz question 2: accepted answer 1 is only punctuation or articles",
        ),
        (
            ("      answer: true\n", "      answer: true\n      wrong: []\n"),
            "quiz question 1: unknown key 'wrong'",
        ),
    ],
)
def test_the_importer_names_the_file_and_line_of_a_bad_new_key(tmp_path, change, message):
    lesson = LESSON_WITH_QUIZ.replace(*change)
    write_course(tmp_path, {"course.md": COURSE_MD, "01-a.md": lesson})
    assert any(message in error for error in errors_for(tmp_path)), errors_for(tmp_path)


def test_the_importer_warns_of_a_question_without_an_explanation(tmp_path, capsys):
    lesson = LESSON_WITH_QUIZ.replace("      explanation: Colleagues rely on you.\n", "")
    write_course(tmp_path, {"course.md": COURSE_MD, "01-a.md": lesson})
    call_command("import_content", str(tmp_path))
    out = capsys.readouterr().out
    assert "warning: " in out and "01-a.md:12: quiz question 2 has no explanation" in out
    assert Question.objects.count() == 2  # imported all the same


def test_lesson_quizzes_show_answers_after_every_attempt_by_default(tmp_path):
    lesson = LESSON_WITH_QUIZ.replace("  show_answers: after_pass\n", "")
    write_course(tmp_path, {"course.md": COURSE_MD, "01-a.md": lesson})
    import_content(tmp_path)
    assert Quiz.objects.get().show_answers == "always"
