"""The two translation models share one base (courses.models.Translation): the same
checks and messages, the same rendering; and a translation's quiz texts are checked
against the quiz they translate (quizzes.translations), on the course's and on the
lesson's admin page."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from courses.markdown import MAX_MARKDOWN_LENGTH
from courses.models import CourseTranslation
from lessons.models import LessonTranslation
from quizzes.translations import quiz_text_problems_for
from tests.factories import make_course, make_quiz

pytestmark = pytest.mark.django_db


@pytest.fixture
def course():
    return make_course(lessons=1)


def _translations(course, **fields):
    """One translation of each kind, unsaved: the course's and its lesson's."""
    fields.setdefault("language", "de")
    return [
        CourseTranslation(course=course, **fields),
        LessonTranslation(lesson=course.lessons.get(), **fields),
    ]


def _errors(translation) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        translation.full_clean()
    return caught.value.message_dict


def test_a_long_text_gets_the_same_message_from_every_translation_model(course):
    course_translation, lesson_translation = _translations(course)
    course_translation.introduction_markdown = "x" * (MAX_MARKDOWN_LENGTH + 1)
    lesson_translation.body_markdown = "x" * (MAX_MARKDOWN_LENGTH + 1)
    course_errors = _errors(course_translation)["introduction_markdown"]
    lesson_errors = _errors(lesson_translation)["body_markdown"]
    assert course_errors == lesson_errors == [f"At most {MAX_MARKDOWN_LENGTH:,} characters."]


def test_a_text_at_the_limit_is_taken_by_every_translation_model(course):
    course_translation, lesson_translation = _translations(course)
    course_translation.introduction_markdown = "x" * MAX_MARKDOWN_LENGTH
    lesson_translation.body_markdown = "x" * MAX_MARKDOWN_LENGTH
    course_translation.full_clean()
    lesson_translation.full_clean()


def test_a_long_title_gets_the_same_message_from_every_translation_model(course):
    messages = [_errors(t)["title"] for t in _translations(course, title="x" * 201)]
    assert messages[0] == messages[1] and "at most 200 characters" in messages[0][0]


def test_a_language_content_is_not_translated_into_is_refused_alike(course):
    messages = [_errors(t)["language"] for t in _translations(course, language="fr")]
    assert messages[0] == messages[1] and "'fr' is not a language" in messages[0][0]


def test_every_translation_renders_its_text_when_saved(course):
    for translation in _translations(course, title="Titel"):
        setattr(translation, translation.markdown_field, "Hallo *Welt*")
        translation.save()
        translation.refresh_from_db()
        assert getattr(translation, translation.html_field) == "<p>Hallo <em>Welt</em></p>"


def test_the_models_keep_their_own_constraint_and_related_names(course):
    # Folded into one base, the tables are as they were (no migration).
    assert [c.name for c in CourseTranslation._meta.constraints] == [
        "unique_course_translation_language"
    ]
    assert [c.name for c in LessonTranslation._meta.constraints] == [
        "unique_lesson_translation_language"
    ]
    assert course.translations.model is CourseTranslation
    assert course.lessons.get().translations.model is LessonTranslation
    assert str(_translations(course)[0]) == f"{course.title} (de)"


# --- Quiz texts against the quiz (quizzes.translations.quiz_text_problems_for) --------

SINGLE = [{"type": "single", "prompt": "Pick.", "choices": [("Yes", True), ("No", False)]}]
SHORT = [{"type": "short", "prompt": "Say hello.", "accepted_answers": ["hello"]}]


def test_texts_that_fit_the_lesson_quiz_have_no_problems(course):
    make_quiz(lesson=course.lessons.get(), questions=SINGLE)
    _course_translation, translation = _translations(course)
    texts = {"q1": {"prompt": "Wähle.", "choices": [{"text": "Ja"}, {"text": "Nein"}]}}
    assert quiz_text_problems_for(translation, texts) == []


def test_a_question_the_lesson_quiz_does_not_have_is_a_problem(course):
    make_quiz(lesson=course.lessons.get(), questions=SINGLE)
    _course_translation, translation = _translations(course)
    problems = quiz_text_problems_for(translation, {"q9": {"prompt": "?"}})
    assert problems == ["question 'q9' is not in the quiz"]


def test_a_retired_question_is_not_in_the_quiz(course):
    quiz = make_quiz(lesson=course.lessons.get(), questions=SINGLE)
    quiz.questions.update(retired_at=quiz.updated_at)
    _course_translation, translation = _translations(course)
    problems = quiz_text_problems_for(translation, {"q1": {"prompt": "?"}})
    assert problems == ["question 'q1' is not in the quiz"]


def test_quiz_texts_of_a_lesson_without_a_quiz_do_not_fit(course):
    _course_translation, translation = _translations(course)
    problems = quiz_text_problems_for(translation, {"q1": {"prompt": "?"}})
    assert problems == ["question 'q1' is not in the quiz"]


def test_the_final_assessment_texts_are_checked_against_the_final_assessment(course):
    make_quiz(lesson=course.lessons.get(), questions=SHORT)  # not the one translated
    make_quiz(course=course, questions=SINGLE)
    translation, _lesson_translation = _translations(course)
    texts = {"q1": {"choices": [{"text": "Nur eine"}], "accept": ["hallo"]}}
    assert quiz_text_problems_for(translation, texts) == [
        "question 'q1' has 1 choices; the quiz has 2",
        "question 'q1': only short questions accept answers",
    ]


def test_wrong_answers_fit_short_questions_only(course):
    make_quiz(lesson=course.lessons.get(), questions=SINGLE)
    _course_translation, translation = _translations(course)
    texts = {"q1": {"wrong": [{"answer": "nein"}]}}
    assert quiz_text_problems_for(translation, texts) == [
        "question 'q1': only short questions list wrong answers"
    ]


def test_texts_of_the_wrong_shape_are_left_to_the_field_validator(course):
    make_quiz(lesson=course.lessons.get(), questions=SINGLE)
    _course_translation, translation = _translations(course)
    assert quiz_text_problems_for(translation, ["not", "a", "dict"]) == []
    assert quiz_text_problems_for(translation, {"q1": "choices"}) == []


def test_texts_of_a_translation_not_yet_attached_are_not_checked():
    translation = CourseTranslation(language="de")
    assert quiz_text_problems_for(translation, {"q1": {"prompt": "?"}}) == []


def test_the_course_admin_refuses_final_assessment_texts_that_do_not_fit(
    client, admin_user, course
):
    from tests.test_import_conflicts import _Form

    make_quiz(course=course, questions=SINGLE)
    CourseTranslation.objects.create(course=course, language="de", title="Kurs")
    client.force_login(admin_user)
    url = reverse("admin:courses_course_change", args=[course.pk])
    form = _Form()
    form.feed(client.get(url).content.decode())
    texts = '{"q1": {"choices": [{"text": "Nur eine"}]}}'
    response = client.post(url, {**form.data, "translations-0-quiz_texts": texts})
    assert response.status_code == 200
    assert "question &#x27;q1&#x27; has 1 choices; the quiz has 2" in response.content.decode()
    assert CourseTranslation.objects.get().quiz_texts == {}
    fitting = '{"q1": {"choices": [{"text": "Ja"}, {"text": "Nein"}]}}'
    response = client.post(url, {**form.data, "translations-0-quiz_texts": fitting})
    assert response.status_code == 302
    assert CourseTranslation.objects.get().quiz_texts["q1"]["choices"][0] == {"text": "Ja"}
