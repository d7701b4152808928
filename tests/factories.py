"""Small factories: plain functions that build valid objects with sensible defaults."""

from itertools import count

from django.contrib.auth import get_user_model
from django.utils import timezone

from courses.models import Course
from lessons.models import Lesson

_sequence = count(1)


def make_user(username: str | None = None, password: str = "pw", **fields):
    username = username or f"user{next(_sequence)}"
    fields.setdefault("email", f"{username}@example.com")
    return get_user_model().objects.create_user(username=username, password=password, **fields)


def make_course(lessons: int = 3, slug: str | None = None, title: str | None = None) -> Course:
    n = next(_sequence)
    course = Course.objects.create(
        published_at=timezone.now(),
        slug=slug or f"course-{n}",
        title=title or f"Course {n}",
        description="A course for tests.",
        introduction_markdown="Welcome to the course.",
    )
    for position in range(1, lessons + 1):
        make_lesson(course, position)
    return course


def make_lesson(course: Course, position: int, **fields) -> Lesson:
    fields.setdefault("slug", f"lesson-{position}")
    fields.setdefault("title", f"Lesson title {position}")
    fields.setdefault("body_markdown", f"## Part {position}\n\nSome text.")
    fields.setdefault("published_at", timezone.now())
    return Lesson.objects.create(course=course, position=position, **fields)


def make_quiz(lesson=None, course=None, questions: list[dict] | None = None, **settings):
    """A quiz with, by default, one question of each type; each spec is a dict of
    Question fields plus ``choices``: [(text, is_correct), ...]."""
    from quizzes.models import Choice, Question, Quiz

    quiz = Quiz.objects.create(lesson=lesson, course=course, **settings)
    for position, spec in enumerate(questions or default_questions(), start=1):
        spec = dict(spec)
        choices = spec.pop("choices", [])
        spec.setdefault("key", f"q{position}")
        spec.setdefault("explanation", f"Explanation {position}.")
        question = Question.objects.create(quiz=quiz, position=position, **spec)
        for index, (text, correct) in enumerate(choices, start=1):
            Choice.objects.create(
                question=question,
                position=index,
                text=text,
                is_correct=correct,
                feedback=f"Feedback for {text}.",
            )
    return quiz


def default_questions() -> list[dict]:
    return [
        {
            "type": "single",
            "prompt": "Pick the colleague.",
            "choices": [("The colleague", True), ("The supplier", False), ("Nobody", False)],
        },
        {
            "type": "multiple",
            "prompt": "Pick the people inside the company.",
            "choices": [("Your boss", True), ("Payroll", True), ("A shopper", False)],
        },
        {
            "type": "true_false",
            "prompt": "Customers are people.",
            "choices": [("True", True), ("False", False)],
        },
        {
            "type": "short",
            "prompt": "Who is a colleague to you?",
            "accepted_answers": ["internal customer", "an internal customer"],
        },
    ]


def answer_sheet(quiz, attempt, correct: bool | int = True) -> dict:
    """POST data answering every question; ``correct`` may be a number of questions
    to answer right (the rest wrong)."""
    data = {"attempt": str(attempt.pk)}
    right = len(list(quiz.questions.all())) if correct is True else int(correct)
    for index, question in enumerate(quiz.questions.filter(retired_at__isnull=True)):
        key = f"question-{question.pk}"
        good = index < right
        if question.type == "short":
            data[key] = question.accepted_answers[0] if good else "no idea"
        elif question.type == "multiple":
            chosen = question.choices.filter(is_correct=good)
            data[key] = [str(choice.pk) for choice in chosen]
        else:
            data[key] = str(question.choices.get(is_correct=good).pk)
    return data


def as_post(data: dict) -> dict[str, list[str]]:
    """The answer sheet the quiz views pass to the use cases (quizzes.sheets), read from
    the form post of answer_sheet()'s dict."""
    from django.http import QueryDict

    from quizzes.sheets import answer_sheet as parse_sheet

    post = QueryDict(mutable=True)
    for key, value in data.items():
        post.setlist(key, value if isinstance(value, list) else [value])
    return parse_sheet(post)


def press_start(client, quiz):
    """Press the quiz page's Start button (quizzes:start), as a learner does before
    the questions show: the page's GET opens no attempt."""
    import re

    from django.urls import reverse

    data = {}
    if client.handler.enforce_csrf_checks:  # as a browser: the token from the page
        page = client.get(reverse("quizzes:take", args=[quiz.pk])).content.decode()
        data["csrfmiddlewaretoken"] = re.search(
            r'name="csrfmiddlewaretoken" value="([^"]+)"', page
        ).group(1)
    response = client.post(reverse("quizzes:start", args=[quiz.pk]), data)
    assert response.status_code == 302, response.status_code
    return response


def take_quiz(learner, quiz, correct: bool | int = True):
    """Open an attempt and submit it through the real use cases (as the quiz page does:
    graded, and what a pass completes recorded); returns the attempt."""
    from progress.services import submit_quiz
    from quizzes.services import open_attempt, quiz_status

    attempt = open_attempt(learner, quiz, quiz_status(learner, quiz).used)
    return submit_quiz(learner, quiz, attempt.pk, as_post(answer_sheet(quiz, attempt, correct)))


def make_graded_attempt(learner, quiz, number: int = 1, score: int = 0, max_score: int = 4):
    """A submitted attempt row as grading leaves it, without going through the form."""
    from django.utils import timezone

    from quizzes.models import Attempt

    return Attempt.objects.create(
        learner=learner,
        quiz=quiz,
        number=number,
        submitted_at=timezone.now(),
        score=score,
        max_score=max_score,
        percent=score * 100 // max_score,
        passed=False,
    )


def on_day(day, hour: int = 9):
    """The clock stopped at ``hour`` (UTC, the tests' time zone) on ``day``, with
    time-machine: for rules that depend on the date (expiry, renewals, reminders)."""
    import datetime

    import time_machine

    return time_machine.travel(datetime.datetime(day.year, day.month, day.day, hour, 0), tick=False)


def finish_course(learner, course):
    """Complete every lesson of a course without quizzes (the use case, as "Mark
    complete" does); the learner's current completion, with its certificate."""
    from lessons.models import CourseCompletion
    from progress.services import record_lesson_completion

    for lesson in course.lessons.order_by("position"):
        record_lesson_completion(learner, lesson)
    return CourseCompletion.objects.get(learner=learner, course=course, superseded_at=None)
