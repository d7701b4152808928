"""A session that ends never loses work: mark complete, quiz answers, autosave."""

import html
import re

import pytest
from django.contrib.auth import get_user_model
from django.core import signing
from django.test import Client
from django.urls import reverse

from lessons.models import LessonProgress, ProgressState
from quizzes import drafts
from quizzes.models import Answer, Attempt
from quizzes.services import questions_for
from tests.conftest import PASSWORD
from tests.factories import answer_sheet, as_post, make_graded_attempt, make_quiz, press_start

pytestmark = pytest.mark.django_db

SIGNED_OUT = "You were signed out. Your answers are saved: sign in to submit them."
MARK_AGAIN = "You were signed out before the lesson was marked complete. Mark it complete again."


def text(response) -> str:
    return html.unescape(" ".join(response.content.decode().split()))


def login_url(next_url: str) -> str:
    return f"{reverse('login')}?next={next_url}"


def complete_url(lesson) -> str:
    return reverse("lessons:complete", args=[lesson.course.slug, lesson.slug])


def quiz_url(quiz) -> str:
    return reverse("quizzes:take", args=[quiz.pk])


def save_url(attempt) -> str:
    return reverse("quizzes:save", args=[attempt.pk])


def log_in_with_form(client, next_url: str, username: str = "alice"):
    """The login form, as a person uses it, then wherever ``next`` leads."""
    return client.post(
        reverse("login"),
        {"username": username, "password": PASSWORD, "next": next_url},
        follow=True,
    )


def completed(learner, lesson) -> bool:
    return LessonProgress.objects.filter(
        learner=learner, lesson=lesson, state=ProgressState.COMPLETED
    ).exists()


@pytest.fixture
def quiz(course):
    return make_quiz(lesson=course.lessons.first(), max_attempts=3)


def open_quiz(client, quiz) -> tuple[Attempt, str]:
    """Press Start and show the quiz form; return its attempt and the signed-out token
    it carries."""
    press_start(client, quiz)
    page = client.get(quiz_url(quiz)).content.decode()
    attempt_id = re.search(r'name="attempt" value="(\d+)"', page).group(1)
    token = re.search(r'name="draft_token" value="([^"]+)"', page).group(1)
    return Attempt.objects.get(pk=attempt_id), token


def input_tag(page: str, element_id: str) -> str:
    return re.search(rf'<input[^>]*id="{element_id}"[^>]*>', page).group(0)


def pick(quiz, attempt) -> dict:
    """A full, correct answer sheet and the inputs it selects / the text it types."""
    data = answer_sheet(quiz, attempt)
    chosen = [
        f"choice-{value}"
        for key, values in data.items()
        if key.startswith("question-")
        for value in (values if isinstance(values, list) else [values])
        if value.isdigit()
    ]
    return {"data": data, "chosen": chosen}


# Mark complete ------------------------------------------------------------------


def test_get_of_mark_complete_goes_to_the_lesson_with_a_message(learner_client, learner, course):
    lesson = course.lessons.first()
    response = learner_client.get(complete_url(lesson), follow=True)
    assert response.status_code == 200
    assert response.redirect_chain == [(lesson.get_absolute_url(), 302)]
    assert MARK_AGAIN in text(response)
    assert "Mark complete" in text(response)
    assert not completed(learner, lesson)


def test_get_of_mark_complete_for_an_unknown_lesson_is_404(learner_client, course):
    url = reverse("lessons:complete", args=[course.slug, "no-such-lesson"])
    assert learner_client.get(url).status_code == 404


def test_mark_complete_after_the_session_ended(client, learner, course):
    lesson = course.lessons.first()
    log_in_with_form(client, reverse("courses:my_learning"))
    assert client.get(lesson.get_absolute_url()).status_code == 200
    client.logout()  # the session ends while the lesson is open

    response = client.post(complete_url(lesson), follow=True)
    assert response.redirect_chain == [(login_url(complete_url(lesson)), 302)]
    assert not completed(learner, lesson)

    response = log_in_with_form(client, complete_url(lesson))
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == lesson.get_absolute_url()
    assert MARK_AGAIN in text(response)
    assert not completed(learner, lesson)

    client.post(complete_url(lesson))
    assert completed(learner, lesson)


# A quiz submitted after the session ended -----------------------------------------


def test_a_quiz_submitted_after_sign_out_keeps_every_answer(client, learner, quiz):
    client.force_login(learner)
    attempt, token = open_quiz(client, quiz)
    sheet = pick(quiz, attempt)
    client.logout()

    response = client.post(quiz_url(quiz), {**sheet["data"], "draft_token": token})
    assert response.status_code == 302
    assert response["Location"] == login_url(quiz_url(quiz))
    attempt.refresh_from_db()
    assert attempt.submitted_at is None and attempt.score is None
    assert not Answer.objects.exists()
    assert not Attempt.objects.filter(submitted_at__isnull=False).exists()
    short = quiz.questions.get(type="short")
    assert attempt.saved_answers[str(short.pk)] == ["internal customer"]
    assert len(attempt.saved_answers) == 4
    assert SIGNED_OUT in text(client.get(response["Location"]))  # on the login page

    page = log_in_with_form(client, quiz_url(quiz))
    assert page.redirect_chain[-1][0] == quiz_url(quiz)
    html_page = page.content.decode()
    assert f'name="attempt" value="{attempt.pk}"' in html_page  # the same attempt
    for element_id in sheet["chosen"]:
        assert " checked" in input_tag(html_page, element_id), element_id
    unchosen = re.findall(r'id="(choice-\d+)"', html_page)
    for element_id in set(unchosen) - set(sheet["chosen"]):
        assert " checked" not in input_tag(html_page, element_id), element_id
    assert 'value="internal customer"' in input_tag(html_page, f"answer-{short.pk}")

    response = client.post(quiz_url(quiz), sheet["data"])
    assert response["Location"] == reverse("quizzes:result", args=[attempt.pk])
    attempt.refresh_from_db()
    assert attempt.passed is True and attempt.score == 4


def test_the_saved_answers_end_with_the_attempt(learner_client, quiz):
    attempt, _token = open_quiz(learner_client, quiz)
    sheet = pick(quiz, attempt)
    assert learner_client.post(save_url(attempt), sheet["data"]).status_code == 204
    learner_client.post(quiz_url(quiz), sheet["data"])
    press_start(learner_client, quiz)
    page = learner_client.get(quiz_url(quiz)).content.decode()
    assert "Attempt 2" in page
    assert " checked" not in page
    assert "internal customer" not in page


def tokens(quiz, attempt, second_learner, course):
    """Tokens that must not save anything into ``attempt``."""
    other_quiz = make_quiz(lesson=course.lessons.last())
    elsewhere = Attempt.objects.create(learner=attempt.learner, quiz=other_quiz, number=1)
    payload = {"attempt": attempt.pk, "learner": attempt.learner_id}
    return {
        "missing": None,
        "empty": "",
        "forged": drafts.sign_attempt(attempt)[:-3] + "abc",
        "unsigned": signing.dumps(payload, salt="some.other.purpose"),
        "another learner named": signing.dumps(
            {"attempt": attempt.pk, "learner": second_learner.pk}, salt=drafts.TOKEN_SALT
        ),
        "another learner's attempt of another quiz": drafts.sign_attempt(
            Attempt.objects.create(learner=second_learner, quiz=other_quiz, number=1)
        ),
        "an attempt of another quiz": drafts.sign_attempt(elsewhere),
        "not a dict": signing.dumps([attempt.pk], salt=drafts.TOKEN_SALT),
    }


@pytest.mark.parametrize(
    "case",
    [
        "missing",
        "empty",
        "forged",
        "unsigned",
        "another learner named",
        "another learner's attempt of another quiz",
        "an attempt of another quiz",
        "not a dict",
    ],
)
def test_a_bad_token_saves_nothing(client, learner, second_learner, quiz, course, case):
    client.force_login(learner)
    attempt, _token = open_quiz(client, quiz)
    data = pick(quiz, attempt)["data"]
    token = tokens(quiz, attempt, second_learner, course)[case]
    client.logout()
    if token is not None:
        data["draft_token"] = token
    response = client.post(quiz_url(quiz), data, follow=True)
    assert response.redirect_chain == [(login_url(quiz_url(quiz)), 302)]
    assert SIGNED_OUT not in text(response)
    assert not Attempt.objects.exclude(saved_answers={}).exists()
    assert not Attempt.objects.filter(submitted_at__isnull=False).exists()


def test_the_token_decides_whose_attempt_never_the_posted_attempt_id(
    client, learner, second_learner, quiz
):
    theirs = Attempt.objects.create(learner=second_learner, quiz=quiz, number=1)
    client.force_login(learner)
    mine, token = open_quiz(client, quiz)
    client.logout()
    data = {**answer_sheet(quiz, theirs), "draft_token": token}  # attempt=theirs
    assert client.post(quiz_url(quiz), data)["Location"] == login_url(quiz_url(quiz))
    theirs.refresh_from_db()
    mine.refresh_from_db()
    assert theirs.saved_answers == {} and len(mine.saved_answers) == 4


def test_an_expired_token_saves_nothing(client, learner, quiz, monkeypatch):
    client.force_login(learner)
    attempt, token = open_quiz(client, quiz)
    client.logout()
    monkeypatch.setattr(drafts, "TOKEN_MAX_AGE", -1)
    response = client.post(quiz_url(quiz), {**pick(quiz, attempt)["data"], "draft_token": token})
    assert response["Location"] == login_url(quiz_url(quiz))
    attempt.refresh_from_db()
    assert attempt.saved_answers == {}


def test_a_token_of_a_submitted_attempt_saves_nothing(client, learner, quiz):
    client.force_login(learner)
    attempt, token = open_quiz(client, quiz)
    data = pick(quiz, attempt)["data"]
    client.post(quiz_url(quiz), data)
    client.logout()
    response = client.post(quiz_url(quiz), {**data, "draft_token": token})
    assert response["Location"] == login_url(quiz_url(quiz))
    attempt.refresh_from_db()
    assert attempt.saved_answers == {} and attempt.score == 4


def test_an_anonymous_get_of_the_quiz_still_goes_to_login(client, quiz):
    response = client.get(quiz_url(quiz) + "?x=1")
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={quiz_url(quiz)}%3Fx%3D1"


def test_the_signed_out_submit_still_needs_the_csrf_token(learner, quiz):
    client = Client(enforce_csrf_checks=True)
    client.force_login(learner)
    attempt, token = open_quiz(client, quiz)
    client.logout()
    response = client.post(quiz_url(quiz), {**pick(quiz, attempt)["data"], "draft_token": token})
    assert response.status_code == 403
    attempt.refresh_from_db()
    assert attempt.saved_answers == {}


# Autosave ---------------------------------------------------------------------------


def test_autosave_stores_the_answers_and_grades_nothing(learner_client, learner, quiz):
    attempt, _token = open_quiz(learner_client, quiz)
    sheet = pick(quiz, attempt)
    response = learner_client.post(save_url(attempt), sheet["data"])
    assert response.status_code == 204
    attempt.refresh_from_db()
    assert len(attempt.saved_answers) == 4
    assert attempt.submitted_at is None and attempt.score is None and attempt.passed is None
    assert not Answer.objects.exists()
    assert not completed(learner, quiz.lesson)

    page = learner_client.get(quiz_url(quiz)).content.decode()
    for element_id in sheet["chosen"]:
        assert " checked" in input_tag(page, element_id), element_id


def test_autosave_replaces_the_saved_answers(learner_client, quiz):
    attempt, _token = open_quiz(learner_client, quiz)
    short = quiz.questions.get(type="short")
    single = quiz.questions.get(type="single")
    choice = single.choices.first()
    learner_client.post(save_url(attempt), {f"question-{short.pk}": "first thoughts"})
    learner_client.post(save_url(attempt), {f"question-{single.pk}": str(choice.pk)})
    attempt.refresh_from_db()
    assert attempt.saved_answers == {str(single.pk): [str(choice.pk)]}


def test_autosave_of_the_page_with_nothing_answered_stores_nothing(learner_client, quiz):
    attempt, token = open_quiz(learner_client, quiz)
    short = quiz.questions.get(type="short")
    data = {"attempt": attempt.pk, "draft_token": token, f"question-{short.pk}": "  "}
    assert learner_client.post(save_url(attempt), data).status_code == 204
    attempt.refresh_from_db()
    assert attempt.saved_answers == {}


def test_autosave_of_another_learners_attempt_is_404(client, learner, second_learner, quiz):
    theirs = Attempt.objects.create(learner=second_learner, quiz=quiz, number=1)
    client.force_login(learner)
    response = client.post(save_url(theirs), answer_sheet(quiz, theirs))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.saved_answers == {}


def test_autosave_when_signed_out_goes_to_login_and_stores_nothing(client, learner, quiz):
    attempt = Attempt.objects.create(learner=learner, quiz=quiz, number=1)
    response = client.post(save_url(attempt), answer_sheet(quiz, attempt))
    assert response.status_code == 302
    assert response["Location"] == login_url(save_url(attempt))
    attempt.refresh_from_db()
    assert attempt.saved_answers == {}


def test_autosave_of_a_submitted_attempt_is_409(learner_client, quiz):
    attempt, _token = open_quiz(learner_client, quiz)
    data = answer_sheet(quiz, attempt)
    learner_client.post(quiz_url(quiz), data)
    response = learner_client.post(save_url(attempt), data)
    assert response.status_code == 409
    assert "already submitted" in response.content.decode()
    attempt.refresh_from_db()
    assert attempt.saved_answers == {}


def test_autosave_needs_the_csrf_token(learner, quiz):
    client = Client(enforce_csrf_checks=True)
    client.force_login(learner)
    attempt = Attempt.objects.create(learner=learner, quiz=quiz, number=1)
    assert client.post(save_url(attempt), answer_sheet(quiz, attempt)).status_code == 403


def test_autosave_ignores_fields_that_are_not_answers(learner_client, quiz):
    attempt, token = open_quiz(learner_client, quiz)
    data = {**answer_sheet(quiz, attempt), "draft_token": token, "junk": "x" * 5000}
    assert learner_client.post(save_url(attempt), data).status_code == 204
    attempt.refresh_from_db()
    assert all(key.isdigit() for key in attempt.saved_answers)


def malformed_sheets(quiz, course) -> dict:
    other = make_quiz(lesson=course.lessons.last())
    single = quiz.questions.get(type="single")
    short = quiz.questions.get(type="short")
    multiple = quiz.questions.get(type="multiple")
    return {
        "non-numeric question id": {"question-abc": "1"},
        "huge question id": {"question-99999999999999999999999999": "1"},
        "negative question id": {"question--1": "1"},
        "question of another quiz": {f"question-{other.questions.first().pk}": "1"},
        "text too long": {f"question-{short.pk}": "x" * 201},
        "too many values": {f"question-{multiple.pk}": [str(n) for n in range(21)]},
        "choice not a number": {f"question-{single.pk}": "one"},
    }


@pytest.mark.parametrize(
    "case",
    [
        "non-numeric question id",
        "huge question id",
        "negative question id",
        "question of another quiz",
        "text too long",
        "too many values",
        "choice not a number",
    ],
)
def test_autosave_refuses_malformed_answers_with_400(learner_client, quiz, course, case):
    attempt, _token = open_quiz(learner_client, quiz)
    data = {**answer_sheet(quiz, attempt), **malformed_sheets(quiz, course)[case]}
    response = learner_client.post(save_url(attempt), data)
    assert response.status_code == 400
    attempt.refresh_from_db()
    assert attempt.saved_answers == {}


def test_a_huge_choice_id_is_kept_but_never_shown(learner_client, quiz):
    attempt, _token = open_quiz(learner_client, quiz)
    single = quiz.questions.get(type="single")
    data = {f"question-{single.pk}": "99999999999999999999999999"}
    assert learner_client.post(save_url(attempt), data).status_code == 204
    assert " checked" not in learner_client.get(quiz_url(quiz)).content.decode()


@pytest.mark.parametrize("attempt_id", ["99999999999999999999999999", "0"])
def test_autosave_of_an_unknown_attempt_is_404(learner_client, attempt_id):
    url = reverse("quizzes:save", args=[attempt_id])
    assert learner_client.post(url, {"question-1": "1"}).status_code == 404


def test_autosave_url_with_a_non_numeric_id_is_404(learner_client):
    assert learner_client.post("/quizzes/attempts/abc/save/", {}).status_code == 404


def test_autosave_of_a_malformed_body_is_400(learner_client, quiz):
    attempt, _token = open_quiz(learner_client, quiz)
    response = learner_client.post(
        save_url(attempt),
        data=b"--x\r\nContent-Disposition: form-data\r\n\r\nno name\r\n--x--",
        content_type="multipart/form-data; boundary=",
    )
    assert response.status_code == 400
    attempt.refresh_from_db()
    assert attempt.saved_answers == {}


def test_a_get_of_the_autosave_url_goes_to_the_quiz(learner_client, quiz):
    attempt, _token = open_quiz(learner_client, quiz)
    response = learner_client.get(save_url(attempt))
    assert response.status_code == 302
    assert response["Location"] == quiz_url(quiz)


def test_the_quiz_form_posts_its_answers_to_the_autosave_url_from_a_file(learner_client, quiz):
    attempt, _token = open_quiz(learner_client, quiz)
    page = learner_client.get(quiz_url(quiz)).content.decode()
    assert f'data-autosave-url="{save_url(attempt)}"' in page
    assert re.search(r'<script src="[^"]*js/quiz-autosave\.js" defer></script>', page)
    assert 'aria-live="polite"' in page
    assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", page)  # no inline script
    assert " style=" not in page


# The rules, without HTTP ------------------------------------------------------------


def test_answers_to_show_keeps_only_what_fits_each_question(learner, quiz):
    attempt = Attempt.objects.create(learner=learner, quiz=quiz, number=1)
    questions = {question.type: question for question in questions_for(quiz, attempt)}
    single, multiple, short = questions["single"], questions["multiple"], questions["short"]
    first, second = (str(choice.pk) for choice in single.ordered_choices[:2])
    boss, payroll = (str(choice.pk) for choice in multiple.ordered_choices[:2])
    attempt.saved_answers = {
        str(single.pk): [first, second],  # a one-answer question shows one
        str(multiple.pk): [boss, payroll, boss, "12345678", "nope"],
        str(short.pk): ["typed", "twice"],
        "424242": ["a question retired since"],
    }
    given = drafts.answers_to_show(list(questions.values()), attempt)
    assert given[single.pk].choice_ids == (int(first),)
    assert given[multiple.pk].choice_ids == (int(boss), int(payroll))
    assert given[short.pk].text == "typed"
    assert questions["true_false"].pk not in given
    assert drafts.answers_to_show([], None) == {}


def test_save_answers_refuses_a_submitted_attempt(learner, quiz):
    attempt = make_graded_attempt(learner, quiz)
    with pytest.raises(drafts.DraftClosed):
        drafts.save_answers(attempt, answer_sheet_querydict(quiz, attempt))
    attempt.refresh_from_db()
    assert attempt.saved_answers == {}


def answer_sheet_querydict(quiz, attempt):
    """The answer sheet of a form post answering every question (quizzes.sheets)."""
    return as_post(answer_sheet(quiz, attempt))


def test_the_token_names_the_attempt_and_its_learner(learner, quiz):
    attempt = Attempt.objects.create(learner=learner, quiz=quiz, number=1)
    token = drafts.sign_attempt(attempt)
    saved = drafts.save_signed_out(token, quiz.pk, answer_sheet_querydict(quiz, attempt))
    assert saved == attempt
    assert get_user_model().objects.get(pk=attempt.learner_id) == learner
    attempt.refresh_from_db()
    assert len(attempt.saved_answers) == 4
