"""The quiz pages over HTTP: taking, tampering, results, My results."""

import re
import threading

import pytest
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lessons.models import LessonProgress
from progress.services import record_lesson_completion
from quizzes.models import Answer, Attempt
from tests.factories import answer_sheet, make_course, make_quiz, make_user, press_start

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return " ".join(response.content.decode().split())


@pytest.fixture
def quiz(course):
    return make_quiz(lesson=course.lessons.first(), max_attempts=3)


def open_form(client, quiz) -> Attempt:
    """Press Start, then read the quiz page with its form: the open attempt."""
    press_start(client, quiz)
    response = client.get(reverse("quizzes:take", args=[quiz.pk]))
    assert response.status_code == 200
    attempt_id = re.search(r'name="attempt" value="(\d+)"', response.content.decode()).group(1)
    return Attempt.objects.get(pk=attempt_id)


def submit(client, quiz, data):
    return client.post(reverse("quizzes:take", args=[quiz.pk]), data)


def test_quiz_page_never_contains_answers_feedback_or_explanations(learner_client, quiz):
    press_start(learner_client, quiz)
    html = learner_client.get(reverse("quizzes:take", args=[quiz.pk])).content.decode()
    assert "Pick the colleague." in html and "The colleague" in html
    assert "Feedback for" not in html
    assert "Explanation" not in html
    assert "internal customer" not in html  # the accepted short answer
    assert "correct" not in html.lower()


def test_each_choice_is_a_labelled_control(learner_client, quiz):
    press_start(learner_client, quiz)
    html = learner_client.get(reverse("quizzes:take", args=[quiz.pk])).content.decode()
    for choice_id in re.findall(r'id="(choice-\d+)"', html):
        assert f'for="{choice_id}"' in html
    assert html.count('type="radio"') == 5 and html.count('type="checkbox"') == 3
    assert "Select all that apply." in html


def test_passing_shows_score_feedback_and_explanations(learner_client, learner, quiz):
    attempt = open_form(learner_client, quiz)
    response = submit(learner_client, quiz, answer_sheet(quiz, attempt))
    assert response["Location"] == reverse("quizzes:result", args=[attempt.pk])
    page = text(learner_client.get(response["Location"]))
    assert "Score: 4 / 4 (100%)" in page and "Passed" in page
    assert "Feedback for The colleague." in page and "Explanation 1." in page
    assert "1 of 3 attempts used" in page
    assert "Try again" not in page  # passed: a retake is on the course and lesson pages
    assert LessonProgress.objects.get(learner=learner, lesson=quiz.lesson).state == "completed"


def test_failing_offers_a_retry_with_attempts_left(learner_client, quiz):
    attempt = open_form(learner_client, quiz)
    response = submit(learner_client, quiz, answer_sheet(quiz, attempt, correct=2))
    page = text(learner_client.get(response["Location"]))
    assert "Score: 2 / 4 (50%)" in page and "Not passed" in page
    # The correct answers wait until the quiz is passed (show_answers: after_pass).
    assert "Your answer" in page and "Correct answer" not in page
    assert "Try again (2 of 3 attempts left)" in page


def test_no_attempts_left_shows_the_best_result_instead_of_the_form(learner_client, quiz):
    for correct in (3, 1, 2):
        attempt = open_form(learner_client, quiz)
        submit(learner_client, quiz, answer_sheet(quiz, attempt, correct=correct))
    page = text(learner_client.get(reverse("quizzes:take", args=[quiz.pk])))
    assert "3 of 3 attempts used: no attempts left." in page
    assert "Your best result: 3 / 4 (75%)" in page
    assert 'name="attempt"' not in page
    assert Attempt.objects.count() == 3


def test_unanswered_question_is_shown_back_and_nothing_recorded(learner_client, quiz):
    attempt = open_form(learner_client, quiz)
    data = answer_sheet(quiz, attempt)
    short = quiz.questions.get(type="short")
    del data[f"question-{short.pk}"]
    response = submit(learner_client, quiz, data)
    assert response.status_code == 200
    page = text(response)
    assert "1 question is unanswered" in page and "Please answer this question." in page
    assert "checked" in page  # the other answers are kept
    assert not Answer.objects.exists()
    assert Attempt.objects.get().submitted_at is None


def test_double_submit_records_one_attempt_and_explains(learner_client, quiz):
    attempt = open_form(learner_client, quiz)
    data = answer_sheet(quiz, attempt)
    submit(learner_client, quiz, data)
    response = submit(learner_client, quiz, data)
    assert response["Location"] == reverse("quizzes:result", args=[attempt.pk])
    page = text(learner_client.get(response["Location"]))
    assert "This attempt was already submitted" in page
    assert Attempt.objects.filter(submitted_at__isnull=False).count() == 1
    assert Answer.objects.count() == 4


def tampered_sheets(quiz, course):
    other = make_quiz(lesson=course.lessons.last())
    single = quiz.questions.get(type="single")
    good_choice = str(single.choices.get(is_correct=True).pk)
    foreign = str(other.questions.get(type="single").choices.first().pk)
    return {
        "choice from another question": {f"question-{single.pk}": foreign},
        "choice from nowhere": {f"question-{single.pk}": "987654"},
        "question not in the quiz": {f"question-{other.questions.first().pk}": foreign},
        "two answers to a single question": {
            f"question-{single.pk}": [
                good_choice,
                str(single.choices.exclude(pk=good_choice).first().pk),
            ]
        },
        "not a number": {f"question-{single.pk}": "one"},
    }


@pytest.mark.parametrize(
    "case",
    [
        "choice from another question",
        "choice from nowhere",
        "question not in the quiz",
        "two answers to a single question",
        "not a number",
    ],
)
def test_tampered_answers_get_400_and_no_score(learner_client, quiz, course, case):
    attempt = open_form(learner_client, quiz)
    data = {**answer_sheet(quiz, attempt), **tampered_sheets(quiz, course)[case]}
    response = submit(learner_client, quiz, data)
    assert response.status_code == 400
    assert not Answer.objects.exists()
    assert Attempt.objects.get().submitted_at is None


@pytest.mark.parametrize("attempt_value", ["", "abc", "-1", "999999"])
def test_bad_attempt_id_gets_400(learner_client, quiz, attempt_value):
    attempt = open_form(learner_client, quiz)
    data = {**answer_sheet(quiz, attempt), "attempt": attempt_value}
    assert submit(learner_client, quiz, data).status_code == 400


def test_another_learners_attempt_gets_400(learner_client, second_learner, quiz):
    other_client = Client()
    other_client.force_login(second_learner)
    theirs = open_form(other_client, quiz)
    assert submit(learner_client, quiz, answer_sheet(quiz, theirs)).status_code == 400
    assert Attempt.objects.get(pk=theirs.pk).submitted_at is None


def test_locked_final_assessment_shows_why_and_refuses_answers(learner_client, learner, course):
    final = make_quiz(course=course, max_attempts=3)
    page = text(learner_client.get(reverse("quizzes:take", args=[final.pk])))
    assert "opens when every lesson is complete: 3 lessons to go" in page
    assert not Attempt.objects.exists()
    forged = Attempt.objects.create(learner=learner, quiz=final, number=1)
    assert submit(learner_client, final, answer_sheet(final, forged)).status_code == 400


def test_unlocked_final_assessment_completes_the_course(learner_client, learner, course):
    final = make_quiz(course=course, max_attempts=3)
    for lesson in course.lessons.all():
        record_lesson_completion(learner, lesson)
    assert "Take the final assessment" in text(learner_client.get(course.get_absolute_url()))
    attempt = open_form(learner_client, final)
    response = submit(learner_client, final, answer_sheet(final, attempt))
    page = text(learner_client.get(response["Location"]))
    assert "Course complete" in page
    course_page = text(learner_client.get(course.get_absolute_url()))
    assert "Best 100% · 1 attempt of 3" in course_page and "Passed" in course_page


def test_course_page_shows_lesson_quiz_scores(learner_client, quiz, course):
    for correct in (2, 4):
        attempt = open_form(learner_client, quiz)
        submit(learner_client, quiz, answer_sheet(quiz, attempt, correct=correct))
    assert "Quiz: Best 100% · 2 attempts" in text(learner_client.get(course.get_absolute_url()))


def test_lesson_with_a_quiz_offers_the_quiz_not_mark_complete(learner_client, quiz):
    page = text(learner_client.get(quiz.lesson.get_absolute_url()))
    assert "Take the quiz" in page and "Mark complete" not in page


def test_result_page_of_another_learner_is_404(learner_client, second_learner, quiz):
    attempt = Attempt.objects.create(learner=second_learner, quiz=quiz, number=1)
    assert learner_client.get(reverse("quizzes:result", args=[attempt.pk])).status_code == 404


def test_my_results_lists_every_quiz_taken(learner_client, quiz, course):
    for correct in (2, 3):
        attempt = open_form(learner_client, quiz)
        submit(learner_client, quiz, answer_sheet(quiz, attempt, correct=correct))
    page = text(learner_client.get(reverse("quizzes:my_results")))
    assert quiz.title in page and course.title in page
    assert "75%" in page and "2 of 3 attempts used" in page and "Not passed" in page


# Query counts -------------------------------------------------------------------


def many_questions(n: int) -> list[dict]:
    return [
        {"type": "single", "prompt": f"Q{i}", "choices": [("yes", True), ("no", False)]}
        for i in range(n)
    ]


def count(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_quiz_and_result_pages_do_not_grow_with_questions_or_attempts(learner_client):
    counts = {}
    for size, attempts in ((5, 1), (50, 10)):
        course = make_course(lessons=2)
        quiz = make_quiz(lesson=course.lessons.first(), questions=many_questions(size))
        for _ in range(attempts):
            attempt = open_form(learner_client, quiz)
            submit(learner_client, quiz, answer_sheet(quiz, attempt, correct=1))
        open_form(learner_client, quiz)  # leave one open, as a returning learner has
        counts[size] = (
            count(learner_client, reverse("quizzes:take", args=[quiz.pk])),
            count(learner_client, reverse("quizzes:result", args=[attempt.pk])),
            count(learner_client, reverse("quizzes:my_results")),
        )
    assert counts[5] == counts[50]
    take, result, results = counts[5]
    assert take <= 11 and result <= 15 and results <= 6, counts  # My results: + certificates


def test_quiz_page_query_count(learner_client, quiz, django_assert_max_num_queries):
    open_form(learner_client, quiz)
    with django_assert_max_num_queries(11):
        learner_client.get(reverse("quizzes:take", args=[quiz.pk]))


# Concurrency -------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_racing_submissions_for_the_last_attempt_record_exactly_one():
    learner = make_user("racer", password="pw")
    course = make_course(lessons=1)
    quiz = make_quiz(lesson=course.lessons.first(), max_attempts=1)
    first = Client()
    first.force_login(learner)
    attempt = open_form(first, quiz)
    data = answer_sheet(quiz, attempt)
    barrier = threading.Barrier(4)
    statuses = []

    def post():
        client = Client()
        client.force_login(learner)
        try:
            barrier.wait()
            statuses.append(submit(client, quiz, data).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [302, 302, 302, 302]
    assert Attempt.objects.filter(submitted_at__isnull=False).count() == 1
    assert Answer.objects.count() == 4
    page = text(first.get(reverse("quizzes:take", args=[quiz.pk])))
    assert "1 of 1 attempt used: no attempts left." in page
