"""Scoring and the quiz rules: the services without HTTP, then the pages they decide."""

import dataclasses
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags
from hypothesis import assume, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from authoring import content_hash
from authoring.content_files import read_content
from authoring.content_hash import quiz_hash
from authoring.importing import import_content
from lessons.models import LessonProgress, ProgressState
from lessons.services import LessonError
from progress.rules import course_progress
from progress.services import close_expired_quiz, complete_lesson, record_lesson_completion
from quizzes import drafts
from quizzes.answers import answer_form, answer_key
from quizzes.models import Answer, Attempt, Question, QuestionType, Quiz, ShowAnswers
from quizzes.services import (
    DEADLINE_GRACE,
    AttemptClosed,
    GivenAnswer,
    MissingAnswers,
    QuizLocked,
    TamperedAnswers,
    answers_visible,
    check_quiz_open,
    close_expired_attempt,
    is_correct,
    open_attempt,
    passes,
    questions_for,
    quiz_status,
    read_answer_sheet,
    review_attempt,
    submit_attempt,
    time_left,
)
from tests.factories import answer_sheet, as_post, make_course, make_quiz, press_start, take_quiz
from tests.test_content_files import COURSE_MD, errors_for, write_course

pytestmark = pytest.mark.django_db


take = take_quiz


@pytest.fixture
def quiz(course):
    return make_quiz(lesson=course.lessons.first())


def question_of(quiz, kind):
    return next(q for q in questions_for(quiz) if q.type == kind)


def choice_ids(question, *texts):
    return tuple(c.pk for c in question.ordered_choices if c.text in texts)


# Scoring --------------------------------------------------------------------


def test_single_choice_scores_only_the_correct_choice(quiz):
    question = question_of(quiz, "single")
    assert is_correct(question, GivenAnswer(choice_ids(question, "The colleague")))
    assert not is_correct(question, GivenAnswer(choice_ids(question, "Nobody")))


def test_multiple_choice_needs_exactly_the_correct_set(quiz):
    question = question_of(quiz, "multiple")
    assert is_correct(question, GivenAnswer(choice_ids(question, "Your boss", "Payroll")))
    assert not is_correct(question, GivenAnswer(choice_ids(question, "Your boss")))
    everything = choice_ids(question, "Your boss", "Payroll", "A shopper")
    assert not is_correct(question, GivenAnswer(everything))


def test_true_false_scores_the_right_value(quiz):
    question = question_of(quiz, "true_false")
    assert is_correct(question, GivenAnswer(choice_ids(question, "True")))
    assert not is_correct(question, GivenAnswer(choice_ids(question, "False")))


@pytest.mark.parametrize(
    "typed, right",
    [
        ("internal customer", True),
        ("  Internal   CUSTOMER ", True),
        ("an internal customer", True),
        ("internal", False),
        ("internal customers", True),  # plurals are folded (quizzes/answers.py)
        ("external customer", False),
    ],
)
def test_short_answer_ignores_case_and_spacing(quiz, typed, right):
    assert is_correct(question_of(quiz, "short"), GivenAnswer(text=typed)) is right


def test_answer_key_drops_case_spacing_and_articles():
    assert answer_key("  The   Boss\t") == answer_key("boss")


@pytest.mark.parametrize(
    "score, total, mark, result",
    [
        (4, 5, 80, True),
        (3, 5, 80, False),
        (2, 3, 67, False),
        (2, 3, 66, True),
        (0, 4, 0, True),
        (5, 5, 100, True),
    ],
)
def test_pass_mark_is_compared_exactly(score, total, mark, result):
    assert passes(score, total, mark) is result


# Attempts and completion ---------------------------------------------------------


def test_submitting_records_score_answers_and_snapshot(learner, quiz):
    attempt = take(learner, quiz, correct=3)
    assert (attempt.number, attempt.score, attempt.max_score, attempt.percent) == (1, 3, 4, 75)
    assert attempt.passed is False
    answers = Answer.objects.filter(attempt=attempt)
    assert answers.count() == 4
    short = answers.get(question__type="short")
    assert (short.given, short.is_correct) == ("no idea", False)
    # The first accepted answer: the others are variants grading accepts.
    assert short.expected == "internal customer"


def test_passing_a_lesson_quiz_completes_the_lesson(learner, quiz):
    take(learner, quiz, correct=3)
    assert not LessonProgress.objects.filter(learner=learner, state="completed").exists()
    take(learner, quiz, correct=True)
    progress = LessonProgress.objects.get(learner=learner, lesson=quiz.lesson)
    assert progress.state == ProgressState.COMPLETED


def test_grading_alone_completes_nothing(learner, quiz):
    """quizzes only grade: what a pass completes is recorded by progress.services
    (submit_quiz, the quiz page's submit), so quizzes never import it."""
    attempt = open_attempt(learner, quiz, used=0)
    graded = submit_attempt(learner, quiz, attempt.pk, as_post(answer_sheet(quiz, attempt)))
    assert graded.passed
    assert not LessonProgress.objects.filter(learner=learner).exists()


def test_mark_complete_is_refused_for_a_lesson_with_a_quiz(learner, quiz):
    with pytest.raises(LessonError, match="Pass this lesson's quiz"):
        complete_lesson(learner, quiz.lesson)


def test_attempt_limit_is_enforced(learner, quiz):
    quiz.max_attempts = 2
    quiz.save()
    take(learner, quiz, correct=1)
    take(learner, quiz, correct=2)
    assert open_attempt(learner, quiz, used=2) is None
    assert quiz.attempts_label(2) == "2 of 2 attempts used"


def test_open_attempt_is_reused_until_submitted(learner, quiz):
    first = open_attempt(learner, quiz, used=0)
    assert open_attempt(learner, quiz, used=0) == first
    take(learner, quiz)
    assert Attempt.objects.filter(learner=learner, quiz=quiz).count() == 1


def test_resubmitting_a_submitted_attempt_is_refused(learner, quiz):
    attempt = take(learner, quiz)
    with pytest.raises(AttemptClosed):
        submit_attempt(learner, quiz, attempt.pk, as_post(answer_sheet(quiz, attempt)))
    assert Answer.objects.filter(attempt=attempt).count() == 4


def test_another_learners_attempt_cannot_be_submitted(learner, second_learner, quiz):
    attempt = open_attempt(second_learner, quiz, used=0)
    with pytest.raises(TamperedAnswers):
        submit_attempt(learner, quiz, attempt.pk, as_post(answer_sheet(quiz, attempt)))


def test_unanswered_question_records_nothing(learner, quiz):
    attempt = open_attempt(learner, quiz, used=0)
    data = answer_sheet(quiz, attempt)
    data.pop(f"question-{question_of(quiz, 'short').pk}")
    with pytest.raises(MissingAnswers) as caught:
        submit_attempt(learner, quiz, attempt.pk, as_post(data))
    assert caught.value.unanswered == [question_of(quiz, "short").pk]
    attempt.refresh_from_db()
    assert attempt.submitted_at is None and not Answer.objects.exists()


def test_answer_sheet_refuses_what_the_form_cannot_send(quiz, course):
    other = make_quiz(lesson=course.lessons.last())
    questions = questions_for(quiz)
    single = question_of(quiz, "single")
    foreign_choice = question_of(other, "single").ordered_choices[0].pk
    sheets = [
        {f"question-{single.pk}": [str(foreign_choice)]},
        {f"question-{single.pk}": ["999999"]},
        {f"question-{single.pk}": ["abc"]},
        {f"question-{single.pk}": [str(c.pk) for c in single.ordered_choices[:2]]},
        {"question-999999": ["1"]},
        {"question-x": ["1"]},
        {f"question-{question_of(quiz, 'short').pk}": ["a", "b"]},
        {f"question-{question_of(quiz, 'short').pk}": ["x" * 201]},
    ]
    for sheet in sheets:
        with pytest.raises(TamperedAnswers):
            read_answer_sheet(questions, as_post(sheet))


def test_shuffled_order_is_fixed_for_an_attempt(learner, course):
    questions = [
        {
            "type": "single",
            "prompt": f"Question {n}",
            "choices": [(f"{n}{c}", c == "a") for c in "abcd"],
        }
        for n in range(12)
    ]
    quiz = make_quiz(lesson=course.lessons.first(), questions=questions, shuffle=True)
    attempt = open_attempt(learner, quiz, used=0)
    first = [(q.pk, [c.pk for c in q.ordered_choices]) for q in questions_for(quiz, attempt)]
    again = [(q.pk, [c.pk for c in q.ordered_choices]) for q in questions_for(quiz, attempt)]
    natural = [(q.pk, [c.pk for c in q.ordered_choices]) for q in questions_for(quiz)]
    assert first == again
    assert first != natural  # 12! orders: equal by chance with negligible probability


def test_final_assessment_is_locked_until_every_lesson_is_complete(learner):
    course = make_course(lessons=2)
    final = make_quiz(course=course, max_attempts=3)
    first, second = course.lessons.all()
    record_lesson_completion(learner, first)
    with pytest.raises(QuizLocked, match="1 lesson to go"):
        open_attempt(learner, final, used=0)
    record_lesson_completion(learner, second)
    assert open_attempt(learner, final, used=0) is not None


def test_the_final_assessment_gate_costs_one_query(learner, django_assert_num_queries):
    course = make_course(lessons=3)
    final = make_quiz(course=course)
    for lesson in course.lessons.all():
        record_lesson_completion(learner, lesson)
    with django_assert_num_queries(1):  # the lessons left (lessons.services.lessons_left)
        check_quiz_open(learner, final)


def test_a_final_assessment_without_published_lessons_stays_locked(learner):
    course = make_course(lessons=1)
    final = make_quiz(course=course)
    course.lessons.update(retired_at=timezone.now())
    with pytest.raises(QuizLocked, match="0 lessons to go"):
        open_attempt(learner, final, used=0)


def test_course_completes_only_when_the_final_assessment_is_passed(learner):
    course = make_course(lessons=2)
    final = make_quiz(course=course)
    for lesson in course.lessons.all():
        record_lesson_completion(learner, lesson)
    progress = course_progress(learner, course)
    assert (progress.percent, progress.state, progress.awaiting_final) == (100, "in_progress", True)
    take(learner, final, correct=2)
    assert course_progress(learner, course).state == "in_progress"
    take(learner, final)
    assert course_progress(learner, course).state == ProgressState.COMPLETED


def test_best_and_latest_scores(learner, quiz):
    take(learner, quiz, correct=4)
    take(learner, quiz, correct=2)
    status = quiz_status(learner, quiz)
    assert (status.used, status.best.percent, status.latest.percent, status.passed) == (
        2,
        100,
        50,
        True,
    )


def test_recorded_result_survives_later_edits(learner, quiz):
    attempt = take(learner, quiz, correct=True)
    question = question_of(quiz, "single")
    question.choices.update(is_correct=False)
    attempt.refresh_from_db()
    answer = Answer.objects.get(attempt=attempt, question=question)
    assert (attempt.score, answer.is_correct, answer.expected) == (4, True, "The colleague")


def test_a_stale_count_never_opens_an_attempt_beyond_the_limit(learner, course):
    quiz = make_quiz(lesson=course.lessons.first(), max_attempts=1)
    used_when_the_page_was_read = quiz_status(learner, quiz).used  # 0
    take_quiz(learner, quiz, correct=1)  # another tab submits the only attempt
    assert open_attempt(learner, quiz, used_when_the_page_was_read) is None
    assert Attempt.objects.filter(learner=learner, quiz=quiz).count() == 1


# Short answers: normalisation ------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "Internal customer.",
        "internal customer!",
        "  INTERNAL   customer ?",
        "internal-customer",
        "internal customer;:",
        "An internal-customer.",
    ],
)
def test_short_answer_ignores_trailing_punctuation_and_hyphens(quiz, typed):
    assert is_correct(question_of(quiz, "short"), GivenAnswer(text=typed))


def test_punctuation_between_words_counts_as_a_space():
    assert answer_key("Mr. Smith, the boss.") == answer_key("mr smith boss")
    assert answer_key("e-mail") == answer_key("e mail")


ANSWER_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=40
)


@hypothesis_settings(max_examples=300, deadline=None, database=None)
@given(ANSWER_TEXT)
def test_any_answer_with_words_matches_itself(text):
    question = Question(type=QuestionType.SHORT, accepted_answers=[text])
    has_words = not answer_form(text).is_empty
    assert is_correct(question, GivenAnswer(text=text)) is has_words


@st.composite
def variant_of(draw, answer: str) -> str:
    """``answer`` as a learner might type it: other case, spacing, hyphens, an ending."""
    words = answer.split()
    separators = draw(st.lists(st.sampled_from([" ", "  ", "-", " - ", "\t"]), min_size=len(words)))
    typed = "".join(word + separator for word, separator in zip(words, separators, strict=False))
    typed = typed.rstrip(" -\t") if len(words) else typed
    typed = draw(st.sampled_from([typed, typed.upper(), typed.title(), typed.swapcase()]))
    ending = draw(st.sampled_from(["", ".", "!", "?", " ?", "...", ";", ":", ",", " "]))
    return draw(st.sampled_from(["", " ", "  "])) + typed + ending


@hypothesis_settings(max_examples=200, deadline=None, database=None)
@given(data=st.data())
def test_variants_of_an_accepted_answer_grade_equal(data):
    answer = data.draw(
        st.lists(
            st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8),
            min_size=1,
            max_size=4,
        ).map(" ".join)
    )
    assume(not answer_form(answer).is_empty)  # "a", "the": refused by the importer
    question = Question(type=QuestionType.SHORT, accepted_answers=[answer])
    typed = data.draw(variant_of(answer))
    assert answer_key(typed) == answer_key(answer)
    assert is_correct(question, GivenAnswer(text=typed))


# Who sees the answers ----------------------------------------------------------------


def rule_quiz(course, show_answers, **settings):
    return make_quiz(lesson=course.lessons.first(), show_answers=show_answers, **settings)


@pytest.mark.parametrize(
    "rule, outcomes, visible",
    [
        (ShowAnswers.ALWAYS, [1], True),
        (ShowAnswers.NEVER, [4], False),
        (ShowAnswers.AFTER_PASS, [1], False),
        (ShowAnswers.AFTER_PASS, [1, 4], True),
        (ShowAnswers.AFTER_LAST_ATTEMPT, [1], False),
        (ShowAnswers.AFTER_LAST_ATTEMPT, [1, 1], True),  # no attempts left
        (ShowAnswers.AFTER_LAST_ATTEMPT, [4], True),  # or passed
    ],
)
def test_answers_visible(learner, course, rule, outcomes, visible):
    quiz = rule_quiz(course, rule, max_attempts=2)
    first = None
    for correct in outcomes:
        attempt = take(learner, quiz, correct=correct)
        first = first or attempt
    # Asked of the first attempt: passing later shows an earlier attempt's answers too.
    assert answers_visible(quiz, first, quiz_status(learner, quiz)) is visible


def test_after_last_attempt_with_unlimited_attempts_waits_for_a_pass(learner, course):
    quiz = rule_quiz(course, ShowAnswers.AFTER_LAST_ATTEMPT)
    attempts = [take(learner, quiz, correct=1) for _ in range(5)]
    assert not answers_visible(quiz, attempts[0], quiz_status(learner, quiz))


def test_a_hidden_review_gives_no_answer_away_but_keeps_own_feedback(learner, quiz):
    attempt = take(learner, quiz, correct=1)  # the single choice right, the rest wrong
    items = review_attempt(attempt, reveal=False)
    assert all(not choice.correct for item in items for choice in item.choices)
    assert all(item.explanation == "" and item.expected == "" for item in items)
    single = next(item for item in items if item.answer.question.type == "single")
    chosen = next(choice for choice in single.choices if choice.chosen)
    assert chosen.feedback == f"Feedback for {chosen.text}."
    assert not any(choice.feedback for choice in single.choices if not choice.chosen)
    shown = review_attempt(attempt, reveal=True)
    assert any(item.expected == "internal customer" for item in shown)
    assert all(item.explanation for item in shown)


# Question pools (draw) ---------------------------------------------------------------


def five_questions() -> list[dict]:
    return [
        {"type": "single", "prompt": f"Pool {n}?", "choices": [("yes", True), ("no", False)]}
        for n in range(1, 6)
    ]


@pytest.fixture
def pooled(course):
    return make_quiz(lesson=course.lessons.first(), questions=five_questions(), draw=3)


def test_a_draw_keeps_n_questions_for_the_attempt(learner, pooled):
    attempt = open_attempt(learner, pooled, used=0)
    attempt.refresh_from_db()  # as stored: jsonb keeps no key order
    drawn = [question.pk for question in questions_for(pooled, attempt)]
    assert len(drawn) == 3
    assert drawn == [question.pk for question in questions_for(pooled, attempt)]
    # Not shuffled: the drawn questions keep the quiz's order.
    positions = [Question.objects.get(pk=pk).position for pk in drawn]
    assert positions == sorted(positions)


def test_a_pooled_attempt_is_graded_on_its_drawn_questions_only(learner, pooled):
    attempt = open_attempt(learner, pooled, used=0)
    drawn = questions_for(pooled, attempt)
    sheet = {"attempt": str(attempt.pk)}
    for question in drawn:
        sheet[f"question-{question.pk}"] = str(question.choices.get(is_correct=True).pk)
    graded = submit_attempt(learner, pooled, attempt.pk, as_post(sheet))
    assert (graded.score, graded.max_score, graded.passed) == (3, 3, True)
    assert {a.question_id for a in graded.answers.all()} == {q.pk for q in drawn}


def test_an_undrawn_question_in_the_sheet_is_tampering(learner, pooled):
    attempt = open_attempt(learner, pooled, used=0)
    drawn = {question.pk for question in questions_for(pooled, attempt)}
    other = pooled.questions.exclude(pk__in=drawn).first()
    sheet = {f"question-{q.pk}": str(q.choices.first().pk) for q in pooled.questions.all()}
    with pytest.raises(TamperedAnswers):
        submit_attempt(learner, pooled, attempt.pk, as_post({"attempt": str(attempt.pk), **sheet}))
    assert other is not None


def test_draws_differ_between_attempts(learner, course):
    questions = [
        {"type": "true_false", "prompt": f"Q{n}", "choices": [("True", True), ("False", False)]}
        for n in range(30)
    ]
    quiz = make_quiz(lesson=course.lessons.first(), questions=questions, draw=5, max_attempts=0)
    draws = set()
    for _ in range(3):
        attempt = open_attempt(learner, quiz, used=quiz_status(learner, quiz).used)
        draws.add(frozenset(q.pk for q in questions_for(quiz, attempt)))
        submit_attempt(learner, quiz, attempt.pk, as_post(answer_sheet_for(quiz, attempt)))
    assert len(draws) > 1  # C(30, 5) draws: three equal ones have negligible probability


def answer_sheet_for(quiz, attempt) -> dict:
    """Every drawn question answered right."""
    data = {"attempt": str(attempt.pk)}
    for question in questions_for(quiz, attempt):
        data[f"question-{question.pk}"] = str(question.choices.get(is_correct=True).pk)
    return data


def test_a_shuffled_order_survives_the_database(learner, course):
    questions = [
        {"type": "true_false", "prompt": f"Q{n}", "choices": [("True", True), ("False", False)]}
        for n in range(12)
    ]
    quiz = make_quiz(lesson=course.lessons.first(), questions=questions, shuffle=True)
    attempt = open_attempt(learner, quiz, used=0)
    shown = [q.pk for q in questions_for(quiz, attempt)]
    attempt.refresh_from_db()
    assert [q.pk for q in questions_for(quiz, attempt)] == shown
    assert shown != sorted(shown)  # 12! orders: sorted by chance with negligible probability


def test_an_attempt_opened_before_draws_keeps_every_question(learner, pooled):
    legacy = Attempt.objects.create(learner=learner, quiz=pooled, number=1, order={})
    assert len(questions_for(pooled, legacy)) == 5


def test_the_model_refuses_a_draw_beyond_its_questions(pooled):
    pooled.draw = 6
    with pytest.raises(ValidationError) as caught:
        pooled.full_clean()
    assert "Cannot draw 6 questions: the quiz has 5 published questions." in str(caught.value)
    pooled.draw = 5
    pooled.full_clean()


# Time limits ---------------------------------------------------------------------------


@pytest.fixture
def timed(course):
    return make_quiz(lesson=course.lessons.last(), time_limit=10)


def move_deadline(attempt, seconds_ago: float) -> None:
    attempt.deadline = timezone.now() - timedelta(seconds=seconds_ago)
    attempt.save(update_fields=["deadline"])


def save_right_answers(attempt, quiz, how_many: int) -> None:
    sheet = answer_sheet(quiz, attempt, correct=True)
    keep = [key for key in sheet if key.startswith("question-")][:how_many]
    drafts.save_answers(attempt, as_post({key: sheet[key] for key in keep}))


def test_opening_a_timed_attempt_sets_its_deadline(learner, timed, quiz):
    before = timezone.now()
    attempt = open_attempt(learner, timed, used=0)
    assert (
        before + timedelta(minutes=10) <= attempt.deadline <= timezone.now() + timedelta(minutes=10)
    )
    assert open_attempt(learner, quiz, used=0).deadline is None


def test_a_sheet_posted_after_the_grace_is_graded_with_the_saved_answers(learner, timed):
    attempt = open_attempt(learner, timed, used=0)
    save_right_answers(attempt, timed, 2)
    move_deadline(attempt, DEADLINE_GRACE.total_seconds() + 5)
    graded = submit_attempt(learner, timed, attempt.pk, as_post(answer_sheet(timed, attempt)))
    assert (graded.score, graded.max_score) == (2, 4)  # not the posted 4 of 4
    assert graded.answers.filter(given="").count() == 2  # the unsaved ones are blank


def test_a_sheet_posted_within_the_grace_is_graded_with_blanks_wrong(learner, timed):
    attempt = open_attempt(learner, timed, used=0)
    move_deadline(attempt, 5)
    sheet = answer_sheet(timed, attempt)
    del sheet[f"question-{question_of(timed, 'short').pk}"]
    graded = submit_attempt(learner, timed, attempt.pk, as_post(sheet))
    assert (graded.score, graded.max_score) == (3, 4)


def test_before_the_deadline_a_blank_is_still_refused(learner, timed):
    attempt = open_attempt(learner, timed, used=0)
    sheet = answer_sheet(timed, attempt)
    del sheet[f"question-{question_of(timed, 'short').pk}"]
    with pytest.raises(MissingAnswers):
        submit_attempt(learner, timed, attempt.pk, as_post(sheet))


def test_an_expired_attempt_is_closed_with_its_saved_answers(learner, timed):
    attempt = open_attempt(learner, timed, used=0)
    save_right_answers(attempt, timed, 3)
    assert close_expired_attempt(learner, timed, attempt) is None  # time left
    move_deadline(attempt, 1)
    graded = close_expired_attempt(learner, timed, attempt)
    assert (graded.score, graded.max_score, graded.is_submitted) == (3, 4, True)
    with pytest.raises(AttemptClosed):
        close_expired_attempt(learner, timed, attempt)


def test_an_expired_attempt_closed_by_the_quiz_page_completes_the_lesson(learner, timed):
    attempt = open_attempt(learner, timed, used=0)
    save_right_answers(attempt, timed, 4)
    assert close_expired_quiz(learner, timed, attempt) is None  # time left
    move_deadline(attempt, 1)
    graded = close_expired_quiz(learner, timed, attempt)
    assert (graded.score, graded.passed) == (4, True)
    progress = LessonProgress.objects.get(learner=learner, lesson=timed.lesson)
    assert progress.state == ProgressState.COMPLETED


def test_nothing_is_saved_after_the_deadline(learner, timed):
    attempt = open_attempt(learner, timed, used=0)
    move_deadline(attempt, DEADLINE_GRACE.total_seconds() + 1)
    with pytest.raises(drafts.DraftClosed):
        save_right_answers(attempt, timed, 4)


def test_time_left_rounds_up_to_the_minute(learner, timed):
    attempt = open_attempt(learner, timed, used=0)
    left = time_left(attempt, attempt.deadline - timedelta(seconds=61))
    assert (left.seconds, left.minutes) == (61, 2)
    assert time_left(attempt, attempt.deadline + timedelta(seconds=5)).minutes == 0


# Attempt counts ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "limit, used, label, left",
    [
        (3, 1, "1 of 3 attempts used", "2 of 3 attempts left"),
        (3, 3, "3 of 3 attempts used", "0 of 3 attempts left"),
        (0, 1, "1 attempt used", ""),
        (0, 2, "2 attempts used", ""),
    ],
)
def test_attempt_labels(limit, used, label, left):
    quiz = Quiz(max_attempts=limit)
    assert (quiz.attempts_label(used), quiz.attempts_left_label(used)) == (label, left)


# The content format: show_answers, draw, time_limit -------------------------------------

POOL_OF_FOUR = "".join(
    f"  - id: q{n}\n    type: true_false\n    prompt: Yes {n}?\n    answer: true\n"
    for n in range(1, 5)
)


def pooled_lesson(settings_yaml: str) -> str:
    return f"---\ntitle: A lesson\nquiz:\n{settings_yaml}  questions:\n{POOL_OF_FOUR}---\nBody\n"


def test_the_new_keys_are_read(tmp_path):
    lesson = pooled_lesson("  show_answers: never\n  draw: 3\n  time_limit: 15\n")
    write_course(tmp_path, {"course.md": COURSE_MD, "01-a.md": lesson})
    (course,) = read_content(tmp_path)
    quiz = course.lessons[0].quiz
    assert (quiz.show_answers, quiz.draw, quiz.time_limit) == ("never", 3, 15)


def test_the_new_keys_default(tmp_path):
    write_course(tmp_path, {"course.md": COURSE_MD, "01-a.md": pooled_lesson("")})
    (course,) = read_content(tmp_path)
    quiz = course.lessons[0].quiz
    assert (quiz.show_answers, quiz.draw, quiz.time_limit) == ("always", 0, 0)


def test_a_final_assessment_shows_answers_after_the_last_attempt_by_default(tmp_path):
    course_md = f"---\ntitle: Demo course\nquiz:\n  questions:\n{POOL_OF_FOUR}---\nWelcome.\n"
    write_course(tmp_path, {"course.md": course_md, "01-a.md": pooled_lesson("")})
    (course,) = read_content(tmp_path)
    assert course.final_assessment.show_answers == "after_last_attempt"


@pytest.mark.parametrize(
    "settings_yaml, expected",
    [
        ("  draw: 5\n", "01-a.md:4: quiz: 'draw' is 5, more than the 4 questions of the quiz"),
        ("  draw: 0\n", "01-a.md:4: quiz: 'draw' must be a whole number from 1 to 4"),
        ("  draw: all\n", "quiz: 'draw' must be a whole number from 1 to 4"),
        (
            "  time_limit: 0\n",
            "01-a.md:4: quiz: 'time_limit' must be a whole number from 1 to 1440",
        ),
        ("  time_limit: 1441\n", "quiz: 'time_limit' must be a whole number from 1 to 1440"),
        (
            "  show_answers: sometimes\n",
            "01-a.md:4: quiz: 'show_answers' must be one of: always, after_pass, "
            "after_last_attempt, never",
        ),
    ],
)
def test_bad_new_keys_name_the_file_and_line(tmp_path, settings_yaml, expected):
    write_course(tmp_path, {"course.md": COURSE_MD, "01-a.md": pooled_lesson(settings_yaml)})
    errors = errors_for(tmp_path)
    assert any(expected in error for error in errors), errors


def test_an_accepted_answer_of_only_punctuation_is_refused(tmp_path):
    lesson = (
        "---\ntitle: A lesson\nquiz:\n  questions:\n"
        "  - type: short\n    prompt: Word?\n    accept: [yes, '?!']\n---\nBody\n"
    )
    write_course(tmp_path, {"course.md": COURSE_MD, "01-a.md": lesson})
    errors = errors_for(tmp_path)
    assert any("accepted answer 2 is only punctuation" in error for error in errors), errors


def test_import_applies_and_export_writes_the_new_keys_only_when_set(tmp_path):
    lesson = pooled_lesson("  show_answers: never\n  draw: 2\n  time_limit: 5\n")
    write_course(tmp_path / "in", {"course.md": COURSE_MD, "01-a.md": lesson})
    import_content(tmp_path / "in")
    quiz = Quiz.objects.get()
    assert (quiz.show_answers, quiz.draw, quiz.time_limit) == ("never", 2, 5)
    assert quiz.imported_hash == quiz_hash(quiz)
    call_command("export_content", str(tmp_path / "out"))
    (exported,) = (tmp_path / "out").glob("*/01-*.md")
    text = exported.read_text()
    assert "show_answers: never\n" in text and "draw: 2\n" in text and "time_limit: 5\n" in text
    Quiz.objects.update(show_answers="always", draw=0, time_limit=0)  # a lesson quiz's defaults
    call_command("export_content", str(tmp_path / "out"))
    text = exported.read_text()
    assert "show_answers" not in text and "draw" not in text and "time_limit" not in text


def test_the_hash_of_a_quiz_at_the_old_defaults_is_the_hash_recorded_before_these_keys(
    tmp_path,
):
    # after_pass was the default of every quiz when hashes were first recorded.
    lesson = pooled_lesson("  show_answers: after_pass\n")
    write_course(tmp_path, {"course.md": COURSE_MD, "01-a.md": lesson})
    (course,) = read_content(tmp_path)
    source = course.lessons[0].quiz
    old_settings = {"pass_mark": 80, "max_attempts": 0, "shuffle": False}
    questions = [
        content_hash._question(
            q.key,
            content_hash.question_fields(q),
            [content_hash.choice_fields(c) for c in q.choices],
        )
        for q in source.questions
    ]
    assert quiz_hash(source) == content_hash._digest({**old_settings, "questions": questions})
    changed = dataclasses.replace(source, show_answers="never")
    assert quiz_hash(changed) != quiz_hash(source)


# Pages ------------------------------------------------------------------------------


def page_text(response) -> str:
    """The page's text as read: no tags, spaces collapsed."""
    return " ".join(strip_tags(response.content.decode()).split())


def open_page(client, quiz):
    """Start the quiz (the page's Start button) and read its page with the questions."""
    press_start(client, quiz)
    response = client.get(reverse("quizzes:take", args=[quiz.pk]))
    assert response.status_code == 200
    return response, Attempt.objects.get(quiz=quiz, submitted_at__isnull=True)


def post_sheet(client, quiz, data):
    return client.post(reverse("quizzes:take", args=[quiz.pk]), data)


def test_a_failed_result_hides_the_answers_until_passed(learner_client, quiz):
    _, attempt = open_page(learner_client, quiz)
    post_sheet(learner_client, quiz, answer_sheet(quiz, attempt, correct=1))
    failed_url = reverse("quizzes:result", args=[attempt.pk])
    page = page_text(learner_client.get(failed_url))
    assert "Incorrect" in page and "Your answer" in page
    assert "Correct answer" not in page and "Explanation" not in page
    assert "internal customer" not in page
    assert "Feedback for The colleague." in page  # the feedback of the learner's own choice
    assert "The correct answers are shown once you pass." in page
    _, second = open_page(learner_client, quiz)
    post_sheet(learner_client, quiz, answer_sheet(quiz, second))
    page = page_text(learner_client.get(failed_url))  # the failed attempt, now passed
    assert "Correct answer: internal customer" in page and "Explanation 2." in page
    assert "an internal customer" not in page  # the first accepted answer, not the list


def test_the_quiz_page_says_one_attempt_used(learner_client, course):
    quiz = make_quiz(lesson=course.lessons.first(), max_attempts=3)
    _, attempt = open_page(learner_client, quiz)
    post_sheet(learner_client, quiz, answer_sheet(quiz, attempt, correct=1))
    response, _ = open_page(learner_client, quiz)
    assert "1 of 3 attempts used" in page_text(response)


def unlocked_final(learner, course, **settings):
    final = make_quiz(course=course, max_attempts=3, **settings)
    for lesson in course.lessons.all():
        record_lesson_completion(learner, lesson)
    return final


def test_a_failed_final_offers_one_primary_action(learner_client, learner, course):
    final = unlocked_final(learner, course)
    _, attempt = open_page(learner_client, final)
    response = post_sheet(learner_client, final, answer_sheet(final, attempt, correct=1))
    html = learner_client.get(response["Location"]).content.decode()
    page = page_text(learner_client.get(response["Location"]))
    assert "Try again (2 of 3 attempts left)" in page
    assert "Take the final assessment" not in page
    actions = html[html.index('id="score"') : html.index("Your answers")]
    assert actions.count("btn-primary") == 1
    assert "1 of 3 attempts used" in page


def test_a_pooled_quiz_page_shows_the_drawn_questions_and_scores_out_of_them(
    learner_client, course
):
    quiz = make_quiz(lesson=course.lessons.first(), questions=five_questions(), draw=3)
    response, attempt = open_page(learner_client, quiz)
    page = page_text(response)
    assert "3 questions drawn at random" in page and page.count("Pool ") == 3
    response = post_sheet(learner_client, quiz, answer_sheet_for(quiz, attempt))
    assert "Score: 3 / 3 (100%)" in page_text(learner_client.get(response["Location"]))


def test_a_timed_quiz_page_shows_the_time_left(learner_client, course):
    quiz = make_quiz(lesson=course.lessons.first(), time_limit=12)
    response, attempt = open_page(learner_client, quiz)
    ends = timezone.localtime(attempt.deadline).strftime("%H:%M")
    page = page_text(response)
    assert f"Time left: 12 minutes · ends at {ends}." in page
    assert "js/quiz-timer.js" in response.content.decode()


def test_after_the_deadline_the_page_grades_the_saved_answers_when_asked(learner_client, course):
    quiz = make_quiz(lesson=course.lessons.first(), time_limit=5)
    _, attempt = open_page(learner_client, quiz)
    save_right_answers(attempt, quiz, 1)
    move_deadline(attempt, 1)
    response = learner_client.get(reverse("quizzes:take", args=[quiz.pk]))
    assert response.status_code == 200  # the GET grades nothing: it offers the button
    assert "Time is up." in page_text(response)
    close = reverse("quizzes:close", args=[quiz.pk])
    assert f'action="{close}"' in response.content.decode()
    assert not Attempt.objects.get(pk=attempt.pk).is_submitted
    response = learner_client.post(close)
    assert response["Location"] == reverse("quizzes:result", args=[attempt.pk])
    page = page_text(learner_client.get(response["Location"]))
    assert "Time is up: the answers saved by the deadline were graded." in page
    assert "Score: 1 / 4 (25%)" in page and "The time limit was reached" in page


def test_a_late_sheet_is_graded_never_refused(learner_client, course):
    quiz = make_quiz(lesson=course.lessons.first(), time_limit=5)
    _, attempt = open_page(learner_client, quiz)
    save_right_answers(attempt, quiz, 2)
    move_deadline(attempt, DEADLINE_GRACE.total_seconds() + 60)
    response = post_sheet(learner_client, quiz, answer_sheet(quiz, attempt))
    assert response.status_code == 302
    attempt.refresh_from_db()
    assert (attempt.score, attempt.max_score) == (2, 4)
    save = reverse("quizzes:save", args=[attempt.pk])
    assert learner_client.post(save, answer_sheet(quiz, attempt)).status_code == 409


def test_quiz_rule_pages_query_counts(learner_client, course, django_assert_max_num_queries):
    quiz = make_quiz(
        lesson=course.lessons.first(),
        questions=five_questions(),
        time_limit=5,
        draw=3,
        max_attempts=3,
    )
    open_page(learner_client, quiz)
    with django_assert_max_num_queries(11):
        learner_client.get(reverse("quizzes:take", args=[quiz.pk]))
    attempt = Attempt.objects.get(quiz=quiz)
    response = post_sheet(learner_client, quiz, answer_sheet_for(quiz, attempt))
    with django_assert_max_num_queries(15):
        learner_client.get(response["Location"])


def test_the_admin_refuses_a_draw_beyond_the_questions(client, admin_user, pooled):
    from tests.test_import_conflicts import _Form

    client.force_login(admin_user)
    url = reverse("admin:quizzes_quiz_change", args=[pooled.pk])
    form = _Form()
    form.feed(client.get(url).content.decode())
    response = client.post(url, {**form.data, "draw": "6"})
    assert response.status_code == 200
    assert (
        "Cannot draw 6 questions: the quiz has 5 published questions." in response.content.decode()
    )
    pooled.refresh_from_db()
    assert pooled.draw == 3
