"""Question analytics: the statistics on small hand-computed data, then the page."""

import datetime
import math
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from lessons.models import LessonProgress
from lessons.services import start_lesson
from progress.services import record_lesson_completion
from tests.factories import (
    default_questions,
    make_course,
    make_graded_attempt,
    make_user,
    take_quiz,
)
from tests.factories import make_quiz as make_any_quiz
from training.analytics import (
    AnswerRow,
    AttemptRow,
    ChoiceSpec,
    ProgressRow,
    QuestionSpec,
    course_analytics,
    discrimination,
    format_duration,
    histogram,
    lesson_funnel,
    question_flags,
    question_stats,
    quiz_question_stats,
    summarise_attempts,
)
from training.roles import learners_followed_by
from training.services import assign_course

T0 = datetime.datetime(2025, 3, 3, 9, 0, tzinfo=datetime.UTC)
SINGLE = QuestionSpec(
    id=10,
    position=1,
    prompt="Who is a colleague?",
    type="single",
    choices=[ChoiceSpec(100, "The colleague", True), ChoiceSpec(101, "The supplier", False)],
)
SHORT = QuestionSpec(id=11, position=2, prompt="Name one.", type="short")


def attempt(id, score, percent=0, passed=False, learner=None, quiz=1) -> AttemptRow:
    return AttemptRow(id, quiz, learner or id, score, percent, passed)


def answer(attempt_id, correct, choice_ids=(), text="", question=10) -> AnswerRow:
    return AnswerRow(attempt_id, question, list(choice_ids), text, correct)


# The statistics, without a database ---------------------------------------------------


def test_percent_correct_counts_the_attempts_that_answered():
    answers = [answer(1, True), answer(2, True), answer(3, True), answer(4, False)]
    stats = question_stats(SINGLE, answers, {1: 1, 2: 1, 3: 1, 4: 0})
    assert (stats.answered, stats.correct, stats.percent_correct) == (4, 3, 75.0)


def test_discrimination_is_the_correlation_with_the_rest_of_the_attempt():
    # Question right in the two best attempts: question scores 1,1,0,0; totals 3,2,1,0,
    # so the rest is 2,1,1,0. Deviations .5,.5,-.5,-.5 and 1,0,0,-1: r = 1 / sqrt(1 * 2).
    assert discrimination([(1, 2), (1, 1), (0, 1), (0, 0)]) == pytest.approx(1 / math.sqrt(2))
    # The same rest scores, but right only in the two weaker attempts: the sign flips.
    assert discrimination([(0, 2), (0, 1), (1, 1), (1, 0)]) == pytest.approx(-1 / math.sqrt(2))


def test_discrimination_leaves_the_question_out_of_the_attempt_score():
    # Totals 3,2,1,0 include the question: rest = total - question score.
    answers = [answer(1, True), answer(2, True), answer(3, False), answer(4, False)]
    stats = question_stats(SINGLE, answers, {1: 3, 2: 2, 3: 1, 4: 0})
    assert stats.discrimination == pytest.approx(1 / math.sqrt(2))


def test_discrimination_is_undefined_when_everybody_or_one_answered_alike():
    assert discrimination([(1, 3), (1, 2), (1, 0)]) is None
    assert discrimination([(1, 3)]) is None
    assert discrimination([(1, 2), (0, 2)]) is None  # the rest is the same for all


def test_summary_mean_median_and_pass_rate():
    attempts = [
        attempt(1, 0, 40),
        attempt(2, 0, 60),
        attempt(3, 0, 80, True),
        attempt(4, 0, 100, True),
    ]
    summary = summarise_attempts(attempts, pass_mark=80)
    assert (summary.attempts, summary.learners, summary.passed) == (4, 4, 2)
    assert summary.pass_rate == 50.0
    assert summary.mean == 70.0 and summary.median == 70.0
    assert (
        summarise_attempts([attempt(1, 0, 50), attempt(2, 0, 70), attempt(3, 0, 90)], 80).median
        == 70
    )


def test_summary_of_no_attempts_has_no_figures():
    summary = summarise_attempts([], pass_mark=80)
    assert (summary.attempts, summary.pass_rate, summary.mean, summary.median) == (
        0,
        None,
        None,
        None,
    )
    assert sum(b.count for b in summary.histogram) == 0


def test_histogram_bins_of_ten_with_100_in_the_last():
    bins = histogram([0, 9, 10, 55, 99, 100], pass_mark=80)
    assert [b.count for b in bins] == [2, 1, 0, 0, 0, 1, 0, 0, 0, 2]
    assert (bins[0].label, bins[9].label) == ("0–9%", "90–100%")
    assert [b.passing for b in bins] == [False] * 8 + [True] * 2


def test_distractor_counts_how_often_each_choice_was_picked():
    answers = [
        answer(1, True, [100]),
        answer(2, False, [101]),
        answer(3, False, [101]),
        answer(4, False),
    ]
    stats = question_stats(SINGLE, answers, {1: 1, 2: 0, 3: 0, 4: 0})
    assert [(c.text, c.is_correct, c.picked, c.percent) for c in stats.choices] == [
        ("The colleague", True, 1, 25.0),
        ("The supplier", False, 2, 50.0),
    ]


def test_common_wrong_short_answers_ignore_case_and_spaces():
    answers = [
        answer(1, False, text="Nobody", question=11),
        answer(2, False, text="  nobody ", question=11),
        answer(3, False, text="the boss", question=11),
        answer(4, True, text="internal customer", question=11),
    ]
    stats = question_stats(SHORT, answers, {1: 0, 2: 0, 3: 0, 4: 1})
    assert stats.wrong_answers == [("nobody", 2), ("the boss", 1)]
    assert stats.choices == []


def test_flags():
    assert question_flags(answered=4, correct=0, index=None) == ["nobody"]
    assert question_flags(answered=4, correct=4, index=None) == ["everybody"]
    assert question_flags(answered=4, correct=2, index=-0.3) == ["negative"]
    assert question_flags(answered=4, correct=2, index=0.1) == ["low"]
    assert question_flags(answered=4, correct=2, index=0.5) == []
    assert question_flags(answered=0, correct=0, index=None) == []


def test_quiz_question_stats_count_only_the_attempts_given():
    # Attempt 3 is not counted (e.g. a second attempt when looking at first attempts).
    answers = [answer(1, True), answer(2, False), answer(3, True)]
    (stats, short) = quiz_question_stats([SINGLE, SHORT], [attempt(1, 1), attempt(2, 0)], answers)
    assert (stats.answered, stats.correct) == (2, 1)
    assert short.answered == 0 and short.percent_correct is None and short.flags == []


def test_funnel_opened_completed_dropped_off_and_median_time():
    lessons = [(1, 1, "One"), (2, 2, "Two"), (3, 3, "Three")]
    minutes = datetime.timedelta(minutes=1)
    progress = [
        # Ann completed lesson 1 in 10 minutes, opened lesson 2 and stopped there.
        ProgressRow(1, 1, T0, T0 + 10 * minutes),
        ProgressRow(1, 2, T0, None),
        # Ben opened lesson 1, skipped to lesson 3 and completed it: lesson 1 is not
        # where he dropped off.
        ProgressRow(2, 1, T0, None),
        ProgressRow(2, 3, T0, T0 + 5 * minutes),
        # Cy completed lessons 1 and 2, in 30 and 20 minutes.
        ProgressRow(3, 1, T0, T0 + 30 * minutes),
        ProgressRow(3, 2, T0, T0 + 20 * minutes),
        # Dee opened lesson 1 only.
        ProgressRow(4, 1, T0, None),
    ]
    one, two, three = lesson_funnel(lessons, progress)
    assert (one.opened, one.completed, one.dropped_off) == (4, 2, 1)
    assert one.median_time == 20 * minutes  # of 10 and 30
    assert (two.opened, two.completed, two.dropped_off) == (2, 1, 1)
    assert (three.opened, three.completed, three.dropped_off, three.median_time) == (
        1,
        1,
        0,
        5 * minutes,
    )


def test_format_duration():
    assert format_duration(None) == "–"
    assert format_duration(datetime.timedelta(seconds=20)) == "under a minute"
    assert format_duration(datetime.timedelta(minutes=45)) == "45 min"
    assert format_duration(datetime.timedelta(hours=3, minutes=20)) == "3 h 20 min"
    assert format_duration(datetime.timedelta(days=2, hours=4, minutes=5)) == "2 d 4 h"


# Reading the rows from the database ---------------------------------------------------


def make_quiz(**fields):
    """The factories' quiz, but with one wrong choice per question, so that
    answer_sheet() can answer any of them wrong."""
    questions = default_questions()
    questions[0]["choices"] = questions[0]["choices"][:2]
    return make_any_quiz(questions=questions, **fields)


@pytest.fixture
def quiz_course(db):
    course = make_course(lessons=2)
    quiz = make_quiz(lesson=course.lessons.first(), max_attempts=0)
    return course, quiz


def test_first_attempts_or_all(quiz_course, learner, second_learner, admin_user):
    course, quiz = quiz_course
    take_quiz(learner, quiz, correct=0)
    take_quiz(learner, quiz, correct=True)
    take_quiz(second_learner, quiz, correct=True)
    learners = learners_followed_by(admin_user)
    (first,) = course_analytics(course, learners, "first").quizzes
    (every,) = course_analytics(course, learners, "all").quizzes
    assert (first.summary.attempts, first.summary.learners, first.summary.median) == (2, 2, 50)
    assert (every.summary.attempts, every.summary.learners) == (3, 2)
    assert [q.correct for q in first.questions] == [1, 1, 1, 1]
    assert [q.correct for q in every.questions] == [2, 2, 2, 2]


def test_first_attempt_is_the_first_submitted_one_of_any_run(quiz_course, learner, admin_user):
    course, quiz = quiz_course
    # An attempt left open (never submitted) does not count; numbering goes on after it.
    from quizzes.models import Attempt

    Attempt.objects.create(learner=learner, quiz=quiz, number=1)
    Attempt.objects.filter(learner=learner).delete()
    make_graded_attempt(learner, quiz, number=2, score=1)
    make_graded_attempt(learner, quiz, number=3, score=4)
    (stats,) = course_analytics(course, learners_followed_by(admin_user), "first").quizzes
    assert stats.summary.attempts == 1 and stats.summary.mean == 25


def test_attempts_of_earlier_runs_count(quiz_course, learner, admin_user):
    from lessons.models import CourseCompletion
    from quizzes.models import Attempt

    course, quiz = quiz_course
    earlier = make_graded_attempt(learner, quiz, number=1, score=1)
    make_graded_attempt(learner, quiz, number=2, score=4)
    run = CourseCompletion.objects.create(
        learner=learner, course=course, run=1, completed_at=timezone.now()
    )
    Attempt.all_runs.filter(pk=earlier.pk).update(archived_in=run)
    learners = learners_followed_by(admin_user)
    (first,) = course_analytics(course, learners, "first").quizzes
    (every,) = course_analytics(course, learners, "all").quizzes
    assert (first.summary.attempts, first.summary.mean) == (1, 25)  # the archived one
    assert every.summary.attempts == 2


def test_only_the_chosen_learners_count(quiz_course, learner, second_learner, team):
    course, quiz = quiz_course
    take_quiz(learner, quiz, correct=True)
    take_quiz(second_learner, quiz, correct=0)  # not in the team
    (stats,) = course_analytics(course, team.members.all(), "all").quizzes
    assert stats.summary.attempts == 1 and stats.summary.pass_rate == 100


def test_quizzes_in_course_order_final_last(learner):
    course = make_course(lessons=2)
    final = make_quiz(course=course)
    second = make_quiz(lesson=course.lessons.get(position=2))
    first = make_quiz(lesson=course.lessons.get(position=1))
    result = course_analytics(course, learners_followed_by(learner))
    assert [pk for pk, _title in result.all_quizzes] == [first.pk, second.pk, final.pk]
    assert [quiz.id for quiz in result.quizzes] == [first.pk]  # one at a time: the first
    last = course_analytics(course, learners_followed_by(learner), quiz_id=final.pk)
    assert last.quiz.is_final and last.quiz.title.startswith("Final assessment")
    assert (last.previous_quiz[0], last.next_quiz) == (second.pk, None)
    only = course_analytics(course, learners_followed_by(learner), quiz_id=second.pk)
    assert [quiz.id for quiz in only.quizzes] == [second.pk]


def test_funnel_from_the_database(learner, second_learner, admin_user):
    course = make_course(lessons=3)
    one, two, _three = course.lessons.all()
    record_lesson_completion(learner, one)
    start_lesson(learner, two)
    start_lesson(second_learner, one)
    result = course_analytics(course, learners_followed_by(admin_user))
    assert [(f.opened, f.completed, f.dropped_off) for f in result.funnel] == [
        (2, 1, 1),
        (1, 0, 1),
        (0, 0, 0),
    ]
    assert result.learners == 3  # the admin is a user too


# The page ------------------------------------------------------------------------------


def page_url(**params) -> str:
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return reverse("training:analytics") + (f"?{query}" if query else "")


@pytest.mark.parametrize(
    "role, expected",
    [
        ("anonymous", 302),
        ("learner", 404),
        ("trainer", 200),
        ("other_trainer", 404),
        ("admin_user", 200),
    ],
)
def test_who_may_see_the_analytics(request, client, team, other_team, course, role, expected):
    if role == "other_trainer":
        client.force_login(other_team.trainers.get())
    elif role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    # The trainer's own team: another trainer's team is a 404 for them.
    response = client.get(page_url(team=team.pk, course=course.slug))
    assert response.status_code == expected
    if role == "anonymous":
        assert response["Location"].startswith(reverse("login"))


def test_everyone_followed_without_a_team(client, trainer, team, course):
    client.force_login(trainer)
    assert client.get(page_url()).status_code == 200
    assert client.get(page_url(course=course.slug, attempts="all")).status_code == 200


def test_the_dashboards_individual_view_has_its_analytics(client, admin_user, team, course):
    """The dashboard's "Assigned individually" links here with ?team=individual:
    the learners assigned individually outside the user's teams, no one else."""
    loner = make_user("olga", first_name="Olga", last_name="Outside")
    assign_course(by=admin_user, course=course, learners=[loner])
    quiz = make_quiz(lesson=course.lessons.first())
    take_quiz(loner, quiz, correct=True)
    client.force_login(admin_user)
    body = client.get(page_url(team="individual", course=course.slug)).content.decode()
    assert "Assigned individually" in body
    # Olga alone: neither the team's members nor the admin, who is in no team either.
    assert '<span id="learner-count">1</span> learner ·' in body


@pytest.mark.parametrize(
    "params",
    [
        {"attempts": "best"},
        {"team": "abc"},
        {"team": "1" * 30},
        {"quiz": "x"},
        {"quiz": "-1"},
    ],
)
def test_malformed_parameters_are_400(client, trainer, team, course, params):
    client.force_login(trainer)
    assert client.get(page_url(course=course.slug, **params)).status_code == 400


def test_unknown_course_or_a_quiz_of_another_course_is_404(client, trainer, team, course):
    elsewhere = make_quiz(lesson=make_course(lessons=1).lessons.get())
    client.force_login(trainer)
    assert client.get(page_url(course="no-such-course")).status_code == 404
    assert client.get(page_url(course=course.slug, quiz=elsewhere.pk)).status_code == 404


def test_page_shows_the_funnel_charts_and_question_figures(client, trainer, team, learner, course):
    quiz = make_quiz(lesson=course.lessons.first())
    take_quiz(learner, quiz, correct=2)
    client.force_login(trainer)
    response = client.get(page_url(team=team.pk, course=course.slug))
    body = response.content.decode()
    assert body.count("<h1") == 1
    assert body.count('role="img"') == 3  # funnel, score histogram, percent correct
    assert 'style="' not in body
    assert "Course funnel" in body and "Pick the colleague." in body
    assert "Nobody got it right" in body and "Everybody got it right" in body
    assert "“no idea”" in body  # the wrong short answer


def test_one_quiz_at_a_time(client, trainer, team, course):
    shown = make_quiz(lesson=course.lessons.get(position=1))
    hidden = make_quiz(lesson=course.lessons.get(position=2))
    client.force_login(trainer)
    body = client.get(page_url(course=course.slug, quiz=shown.pk)).content.decode()
    assert f'id="quiz-{shown.pk}-heading"' in body
    assert f'id="quiz-{hidden.pk}-heading"' not in body


def test_the_first_quiz_is_shown_by_default_and_only_it(client, trainer, team, course):
    first = make_quiz(lesson=course.lessons.get(position=1))
    second = make_quiz(lesson=course.lessons.get(position=2))
    final = make_quiz(course=course)
    client.force_login(trainer)
    body = client.get(page_url(course=course.slug)).content.decode()
    assert f'id="quiz-{first.pk}-heading"' in body
    assert f'id="quiz-{second.pk}-heading"' not in body
    assert f'id="quiz-{final.pk}-heading"' not in body


def test_a_course_with_only_a_final_shows_the_final(client, trainer, team, course):
    final = make_quiz(course=course)
    client.force_login(trainer)
    body = client.get(page_url(course=course.slug)).content.decode()
    assert f'id="quiz-{final.pk}-heading"' in body


def test_the_chooser_lists_every_quiz_in_course_order(client, trainer, team, course):
    final = make_quiz(course=course)
    first = make_quiz(lesson=course.lessons.get(position=1))
    second = make_quiz(lesson=course.lessons.get(position=2))
    client.force_login(trainer)
    body = client.get(page_url(team=team.pk, course=course.slug, quiz=second.pk)).content.decode()
    options = re.findall(r'<option value="(\d+)"( selected)?>\d+\. ', body)
    assert options == [(str(first.pk), ""), (str(second.pk), " selected"), (str(final.pk), "")]
    assert f'<input type="hidden" name="team" value="{team.pk}">' in body
    assert f"quiz={first.pk}" in body and "Previous quiz" in body
    assert f"quiz={final.pk}" in body and "Next quiz" in body
    assert "Quiz 2 of 3" in body


def test_no_hidden_table_widens_the_page(client, trainer, team, learner, course):
    take_quiz(learner, make_quiz(lesson=course.lessons.first()), correct=2)
    client.force_login(trainer)
    body = client.get(page_url(course=course.slug)).content.decode()
    assert '<table class="visually-hidden"' not in body  # a table ignores that width
    assert '<div class="visually-hidden"><table>' in body


def test_the_page_does_not_grow_with_the_quizzes(
    client, trainer, team, learner, django_assert_max_num_queries
):
    course = make_course(lessons=6)
    for lesson in course.lessons.all():
        take_quiz(learner, make_quiz(lesson=lesson, max_attempts=0), correct=2)
    client.force_login(trainer)
    with django_assert_max_num_queries(QUERIES):
        body = client.get(page_url(team=team.pk, course=course.slug)).content.decode()
    assert body.count('role="img"') == 3  # the funnel, and one quiz's two charts


def populate(team, course, quizzes, size: int) -> None:
    members = [make_user() for _ in range(size)]
    team.members.add(*members)
    now = timezone.now()
    lessons = list(course.lessons.all())
    LessonProgress.objects.bulk_create(
        LessonProgress(learner=member, lesson=lesson, started_at=now)
        for member in members
        for lesson in lessons[:2]
    )
    for index, member in enumerate(members):
        for quiz in quizzes:
            take_quiz(member, quiz, correct=index % 5)
            take_quiz(member, quiz, correct=True)


# Session, user, two for permissions, teams, courses; then lessons, funnel rows, the
# learner count, quizzes, choices, questions, attempts, answers; and the course's
# requirements when its structure is read cold (issue 23's prerequisites).
QUERIES = 15


@pytest.mark.parametrize("scope", ["first", "all"])
def test_query_count_is_flat_in_learners_and_attempts(
    client, trainer, team, django_assert_max_num_queries, scope
):
    course = make_course(lessons=3)
    quizzes = [make_quiz(lesson=lesson, max_attempts=0) for lesson in course.lessons.all()[:2]]
    client.force_login(trainer)
    url = page_url(team=team.pk, course=course.slug, attempts=scope)
    populate(team, course, quizzes, 5)
    with django_assert_max_num_queries(QUERIES):
        assert client.get(url).status_code == 200
    populate(team, course, quizzes, 45)
    with django_assert_max_num_queries(QUERIES):
        assert client.get(url).status_code == 200


def test_common_wrong_short_answers_are_counted_as_grading_sees_them():
    answers = [
        answer(1, False, text="External customers", question=11),
        answer(2, False, text="an external customer.", question=11),
        answer(3, False, text="external customers", question=11),
        answer(4, False, text="", question=11),
    ]
    stats = question_stats(SHORT, answers, {1: 0, 2: 0, 3: 0, 4: 0})
    assert stats.wrong_answers == [("external customers", 3), ("", 1)]
