"""The sample course "Who is your customer?" as teaching material (issue 13).

What can be checked mechanically: the final assessment covers every objective
that course.md promises, no two questions share a prompt, the correct option is
not a give-away (longest, or the only one without a "because"), retired ids are
never reused for a new meaning, and the reasonable short answers a learner would
type are accepted by the imported course through the real grading function.
"""

import re

import pytest
from django.conf import settings
from django.db.models import Q

from courses.content_files import read_content
from quizzes.models import Question
from quizzes.services import GivenAnswer, is_correct

SLUG = "who-is-your-customer"

# Each objective listed in course.md, and the final questions that test it.
# Kept here rather than as a content key so the content format stays unchanged.
OBJECTIVES = {
    "recognise everyone who depends on your work as a customer, and remember that "
    "a customer is always a person": {"final-who-counts", "final-always-a-person"},
    "tell internal from external customers, and explain why the difference matters": {
        "final-council-outsiders",
        "final-accounting-sales-figures",
        "final-internal-vs-external",
        "final-canteen-visitor",
        "final-returns-team-date",
        "final-interview-panel",
    },
    "use the words customer, client, consumer and vendor correctly": {
        "final-plumber-customer-or-client",
        "final-bakery-vendor",
        "final-bakery-roles-swap",
        "final-office-chairs-consumer",
    },
    "meet the four basic needs of every customer, using skills that can be trained": {
        "final-hotel-desk-greeting",
        "final-repair-not-ready",
        "final-not-a-people-person",
    },
    "apply the 80/20 rule to the customers you find hard to deal with": {
        "final-eighty-twenty-split",
        "final-rush-order-demand",
    },
}

# Ids whose question changed meaning (a different key or fact tested): they were
# replaced under new ids, and must never come back, or learners' old answers
# would be read against a new meaning.
RETIRED_IDS = {
    "final-eighty-twenty-pattern",
    "final-external-traits",
    "final-sister-branch-response",
    "final-spouse-on-payroll-line",
    "final-unwelcome-sigh",
    "final-helpline-vs-client",
    "final-customer-always-right",
    "typing-while-talking",
    "same-few-customers",
}

# Answers a learner who understood the lesson would reasonably type, as typed:
# case, trailing punctuation and hyphens included.
REASONABLE_ANSWERS = {
    "helmet-money-left": ["Profit", "margin.", "Profit margin", "gross profit", "Mark-up"],
    "fifty-regulars": ["10 customers", "Ten.", "about 10", "around ten", "10 people"],
    "community-library-visitor": ["Grey area", "gray-area", "a grey area."],
    "refund-screen-need": ["Instruction", "instructions", "instructing"],
    "same-delivery-different-reaction": ["Expectations", "expectation", "their expectations."],
    "cereal-eaters": ["Consumers", "the consumer", "end-users", "End user"],
    "final-interview-panel": ["Participation.", "participating", "participate"],
}


def source_course():
    (course,) = read_content(settings.CONTENT_DIR)
    return course


def all_questions(course):
    return [q for lesson in course.lessons for q in lesson.quiz.questions] + list(
        course.final_assessment.questions
    )


def imported_question(course, key: str) -> Question:
    """A question of the imported course: a lesson quiz's or the final assessment's."""
    in_course = Q(quiz__lesson__course=course) | Q(quiz__course=course)
    return Question.objects.get(in_course, key=key, retired_at__isnull=True)


def listed_objectives(course) -> list[str]:
    """The bullet list under "What you will be able to do" in course.md."""
    section = course.introduction.split("## What you will be able to do", 1)[1]
    section = section.split("\n## ", 1)[0]
    return [line[2:].strip() for line in section.splitlines() if line.startswith("- ")]


def test_every_objective_of_course_md_is_tested_by_the_final_assessment():
    course = source_course()
    final_ids = {q.key for q in course.final_assessment.questions}
    assert listed_objectives(course) == list(OBJECTIVES)
    for objective, ids in OBJECTIVES.items():
        assert ids and ids <= final_ids, objective


def test_every_final_question_serves_an_objective():
    final_ids = {q.key for q in source_course().final_assessment.questions}
    assert final_ids == set().union(*OBJECTIVES.values())


def test_no_two_questions_share_a_prompt():
    prompts = [" ".join(q.prompt.casefold().split()) for q in all_questions(source_course())]
    assert len(prompts) == len(set(prompts))


def test_final_questions_are_not_recall_of_the_course():
    for question in source_course().final_assessment.questions:
        assert not re.search(r"\b(the course|the lesson)\b", question.prompt, re.I), question.key


def test_the_correct_option_is_the_longest_in_at_most_a_third_of_single_questions():
    singles = [q for q in all_questions(source_course()) if q.type == "single"]
    longest_correct = [q.key for q in singles if max(q.choices, key=lambda c: len(c.text)).correct]
    assert len(longest_correct) * 3 <= len(singles), longest_correct


def test_the_correct_option_is_the_shortest_in_at_most_a_third_of_single_questions():
    # The opposite cue: learners must not learn to pick the shortest option either.
    singles = [q for q in all_questions(source_course()) if q.type == "single"]
    shortest_correct = [q.key for q in singles if min(q.choices, key=lambda c: len(c.text)).correct]
    assert len(shortest_correct) * 3 <= len(singles), shortest_correct


def test_no_option_carries_a_because_justification():
    offenders = [
        (q.key, c.text)
        for q in all_questions(source_course())
        for c in q.choices
        if re.search(r"\bbecause\b", c.text, re.I)
    ]
    assert offenders == []


def test_retired_ids_are_not_reused():
    keys = {q.key for q in all_questions(source_course())}
    assert keys.isdisjoint(RETIRED_IDS)


def test_no_short_question_lists_its_options_in_the_prompt():
    # A prompt that lists the answers should be a single-choice question.
    for question in all_questions(source_course()):
        if question.type == "short":
            assert "understood, welcome" not in question.prompt, question.key


@pytest.mark.parametrize(
    "key, typed",
    [(key, typed) for key, answers in REASONABLE_ANSWERS.items() for typed in answers],
)
def test_reasonable_short_answers_are_accepted(sample_course, key, typed):
    assert is_correct(imported_question(sample_course, key), GivenAnswer(text=typed))


@pytest.mark.parametrize(
    "key, typed",
    [("helmet-money-left", "revenue"), ("fifty-regulars", "40"), ("cereal-eaters", "client")],
)
def test_wrong_short_answers_are_still_wrong(sample_course, key, typed):
    assert not is_correct(imported_question(sample_course, key), GivenAnswer(text=typed))
