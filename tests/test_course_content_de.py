"""The sample course "Who is your customer?" in German (issue 20): the German course
passes the same content tests as the English one.

Each translation file (``<name>.de.md``) exists for every base file and translates
every text of its quiz; its objectives map, in order, to the English ones, so the
same final questions test each; no final prompt asks what "der Kurs" or "die
Lektion" says; the options give no cue (longest, shortest, a "weil"); every
question explains its answer and helps a learner who got it wrong, in German; no
run of eight words comes from the seeds. The German answers a learner would type
are accepted through the real grading path, foreseeable wrong ones refused with
German feedback, and a German learner finds the lessons by German words.
"""

import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from lessons.search import search_lessons
from quizzes.models import Answer
from quizzes.services import GivenAnswer, is_correct, judge_short
from quizzes.translations import short_answers_in_translations
from tests.factories import answer_sheet, press_start
from tests.test_course_content import (
    OBJECTIVES,
    SEEDS_DIR,
    SLUG,
    imported_question,
    runs,
    source_course,
)

LANGUAGE = "de"
HEADING = "## Das können Sie nach diesem Kurs"

# Each objective listed in course.de.md, and the English objective it translates (in
# the same order): its final questions are OBJECTIVES[english].
GERMAN_OBJECTIVES = {
    "alle, die auf Ihre Arbeit angewiesen sind, als Kunden erkennen und daran denken, "
    "dass ein Kunde immer ein Mensch ist": "recognise everyone who depends on your work as "
    "a customer, and remember that a customer is always a person",
    "interne und externe Kunden unterscheiden und erklären, warum der Unterschied "
    "wichtig ist": "tell internal from external customers, and explain why the difference matters",
    "Kunden, Verbraucher und Lieferanten auseinanderhalten und Einmalkunden wie "
    "langjährigen Klienten den Service geben, den sie jeweils brauchen": "tell customers, "
    "consumers and vendors apart, and serve one-off customers and ongoing clients as each "
    "needs",
    "die vier Grundbedürfnisse jedes Kunden erfüllen, mit Fähigkeiten, die sich "
    "trainieren lassen": "meet the four basic needs of every customer, using skills that "
    "can be trained",
    "die 80/20-Regel auf die Kunden anwenden, mit denen Sie sich schwertun": "apply the "
    "80/20 rule to the customers you find hard to deal with",
    "Kunden gut bedienen, im Rahmen der Richtlinien Ihrer Organisation und ihrer "
    "Notwendigkeit, wirtschaftlich zu bleiben": "serve customers well within your "
    "organisation's policies and its need to stay profitable",
}

# What a German speaker who understood the lesson would reasonably type, as typed:
# case, punctuation, articles, plurals, gendered forms, hedges and a typo included.
REASONABLE_GERMAN_ANSWERS = {
    "community-library-visitor": [
        "Grauzone",
        "eine Grauzone.",
        "Grauzonen",
        "Graubereich",
        "Grenzfall",
    ],
    "refund-screen-need": [
        "Anleitung",
        "Anleitungen",
        "die Einweisung",
        "Schulung",
        "Einarbeitung",
        "Anleitnug",
    ],
    "same-delivery-different-reaction": [
        "Erwartungen",
        "Erwartung",
        "die Erwartungen.",
        "ihre Erwartungen",
        "Erwartungen der Kunden",
        "Kundenerwartungen",
        "Erwartugen",
    ],
    "cereal-eaters": [
        "Verbraucher",
        "die Verbraucher",
        "Endverbraucher",
        "Konsumenten",
        "Nutzer",
        "End-Nutzer",
        "Verbraucherinnen",
    ],
    "fifty-regulars": [
        "10",
        "zehn",
        "etwa 10",
        "ungefähr zehn",
        "ca. 10 Kunden",
        "zehn Stammkunden",
        "10 von 50",
        "rund 10 Leute",
    ],
    "final-interview-panel": [
        "Beteiligung",
        "Beteiligung.",
        "Mitwirkung",
        "Teilnahme",
        "mitmachen",
        "sich beteiligen",
        "Beteilligung",
    ],
}

# Answers that must still be refused: a neighbouring need or term, a different number.
WRONG_GERMAN_ANSWERS = [
    ("community-library-visitor", "Sonderfall"),
    ("refund-screen-need", "Unterstützung"),
    ("refund-screen-need", "Information"),
    ("refund-screen-need", "Informationen"),
    ("refund-screen-need", "Einleitung"),  # two letters from "Einweisung": another word
    ("same-delivery-different-reaction", "Bedürfnisse"),
    ("same-delivery-different-reaction", "Erfahrungen"),  # two letters from "Erwartungen"
    ("cereal-eaters", "Kunde"),
    ("cereal-eaters", "Kundin"),
    ("cereal-eaters", "Käufer"),
    ("cereal-eaters", "Klient"),
    ("fifty-regulars", "40"),
    ("fifty-regulars", "20"),
    ("fifty-regulars", "20 Prozent"),
    ("fifty-regulars", "vierzig Kunden"),
    ("final-interview-panel", "Unterstützung"),
    ("final-interview-panel", "Mithilfe"),
]

# Words a German learner would search for, and the German titles found.
SEARCHES = {
    "Grauzone": ["Was ist ein Kunde?"],
    "Empathie": ["Was jeder Kunde braucht"],
    "König": ["Die 80/20-Regel"],
    "Gewinnmarge": ["Externe Kunden", "Warum der Unterschied wichtig ist"],
}


def translations(course):
    """(base file name, its German TranslationSource, its quiz) for every file."""
    items = [("course.md", course.translations.get(LANGUAGE), course.final_assessment)]
    items += [
        (lesson.path.name, lesson.translations.get(LANGUAGE), lesson.quiz)
        for lesson in course.lessons
    ]
    return items


def german_questions(course):
    """(base question, its German texts) for every question of the course."""
    return [
        (question, german.quiz_texts.get(question.key, {}))
        for _, german, quiz in translations(course)
        for question in quiz.questions
    ]


def german_final(course):
    german = course.translations[LANGUAGE].quiz_texts
    return [(q, german.get(q.key, {})) for q in course.final_assessment.questions]


def listed_german_objectives(course) -> list[str]:
    """The bullet list under the German objectives heading of course.de.md."""
    section = course.translations[LANGUAGE].body.split(HEADING, 1)[1]
    section = section.split("\n## ", 1)[0]
    return [line[2:].strip() for line in section.splitlines() if line.startswith("- ")]


def choice_texts(texts: dict) -> list[str]:
    return [choice.get("text", "") for choice in texts.get("choices", [])]


# Every file, every text -----------------------------------------------------------------


def test_every_base_file_has_its_german_translation():
    folder = settings.CONTENT_DIR / SLUG
    bases = sorted(p.name for p in folder.glob("*.md") if not p.name.endswith(f".{LANGUAGE}.md"))
    german = sorted(p.name for p in folder.glob(f"*.{LANGUAGE}.md"))
    assert german == [name.removesuffix(".md") + f".{LANGUAGE}.md" for name in bases]
    missing = [name for name, german, _ in translations(source_course()) if german is None]
    assert missing == []


def test_every_translation_has_a_german_title_and_text():
    course = source_course()
    assert course.translations[LANGUAGE].description
    for name, german, _ in translations(course):
        assert german.title and german.body.strip(), name


def test_every_question_is_translated_with_every_choice():
    untranslated = []
    for question, texts in german_questions(source_course()):
        if not texts.get("prompt") or not texts.get("explanation"):
            untranslated.append((question.key, "prompt or explanation"))
        if question.type in ("single", "multiple"):
            german = texts.get("choices", [])
            if len(german) != len(question.choices) or not all(choice_texts(texts)):
                untranslated.append((question.key, "choices"))
            untranslated += [
                (question.key, f"feedback on '{choice.text}'")
                for choice, translated in zip(question.choices, german, strict=False)
                if choice.feedback and not translated.get("feedback")
            ]
    assert untranslated == []


def test_no_english_text_is_left_in_a_german_quiz():
    # A text left as in the base file was not translated.
    left = []
    for question, texts in german_questions(source_course()):
        pairs = [
            (question.prompt, texts.get("prompt")),
            (question.explanation, texts.get("explanation")),
        ]
        pairs += [(question.feedback, texts.get("feedback"))] if question.feedback else []
        pairs += [
            (choice.text, translated.get("text"))
            for choice, translated in zip(question.choices, texts.get("choices", []), strict=False)
        ]
        left += [(question.key, english) for english, german in pairs if english == german]
    assert left == []


def test_every_question_explains_and_helps_a_wrong_answer_in_german():
    missing = []
    for question, texts in german_questions(source_course()):
        if not texts.get("explanation"):
            missing.append((question.key, "explanation"))
        if question.type in ("true_false", "short") and not texts.get("feedback"):
            missing.append((question.key, "feedback"))
        if question.type in ("single", "multiple"):
            missing += [
                (question.key, f"feedback on '{translated.get('text')}'")
                for choice, translated in zip(
                    question.choices, texts.get("choices", []), strict=False
                )
                if not choice.correct and not translated.get("feedback")
            ]
    assert missing == []


# The same content tests as the English course --------------------------------------------


def test_the_german_objectives_map_in_order_to_the_english_ones():
    course = source_course()
    assert listed_german_objectives(course) == list(GERMAN_OBJECTIVES)
    assert list(GERMAN_OBJECTIVES.values()) == list(OBJECTIVES)


def test_each_german_objective_is_tested_by_the_same_final_questions():
    final_ids = set(source_course().translations[LANGUAGE].quiz_texts)
    for german, english in GERMAN_OBJECTIVES.items():
        assert OBJECTIVES[english] <= final_ids, german
        assert len(OBJECTIVES[english]) >= 2, german


def test_no_two_german_questions_share_a_prompt():
    prompts = [
        " ".join(t["prompt"].casefold().split()) for _, t in german_questions(source_course())
    ]
    assert len(prompts) == len(set(prompts))


def test_no_german_final_question_asks_what_the_course_says():
    recall = re.compile(r"\b(Kurs|Kurses|Lektion|Lektionen)\b", re.I)
    for question, texts in german_final(source_course()):
        assert not recall.search(texts["prompt"]), question.key


def german_singles():
    return [(q, t) for q, t in german_questions(source_course()) if q.type == "single"]


def correct_option_is(pick, question, texts) -> bool:
    """Is the correct choice the one ``pick`` (max or min) chooses by German length?"""
    chosen = pick(zip(question.choices, choice_texts(texts), strict=True), key=lambda p: len(p[1]))
    return chosen[0].correct


def test_the_correct_german_option_is_the_longest_in_at_most_a_third_of_single_questions():
    singles = german_singles()
    longest = [q.key for q, t in singles if correct_option_is(max, q, t)]
    assert len(longest) * 3 <= len(singles), longest


def test_the_correct_german_option_is_the_shortest_in_at_most_a_third_of_single_questions():
    singles = german_singles()
    shortest = [q.key for q, t in singles if correct_option_is(min, q, t)]
    assert len(shortest) * 3 <= len(singles), shortest


def test_no_german_option_carries_a_weil_justification():
    offenders = [
        (question.key, text)
        for question, texts in german_questions(source_course())
        for text in choice_texts(texts)
        if re.search(r"\b(weil|denn)\b", text, re.I)
    ]
    assert offenders == []


def test_the_cue_checks_see_a_give_away():
    # A German "weil" is caught; the longest and shortest are measured on German text.
    assert re.search(r"\b(weil|denn)\b", "Ja, weil er zahlt", re.I)
    question, texts = german_singles()[0]
    padded = {
        "choices": [{"text": "x" * (300 if choice.correct else 10)} for choice in question.choices]
    }
    assert correct_option_is(max, question, padded)
    assert not correct_option_is(min, question, padded)


def test_no_run_of_eight_words_in_german_is_copied_from_the_seeds():
    # tests/test_course_content.py checks every *.md of the course, translations
    # included; this checks the German files on their own, so a German copy is named.
    seeds = sorted(SEEDS_DIR.glob("*.txt"))
    if not seeds:
        pytest.skip(f"no seed texts in {SEEDS_DIR} (set SEEDS_DIR)")
    seed_runs = set().union(*(runs(seed.read_text(encoding="utf-8")) for seed in seeds))
    german_files = sorted((settings.CONTENT_DIR / SLUG).glob(f"*.{LANGUAGE}.md"))
    assert len(german_files) == 8
    copied = [
        (path.name, " ".join(run))
        for path in german_files
        for run in sorted(runs(path.read_text(encoding="utf-8")) & seed_runs)
    ]
    assert copied == []


# German short answers through the real grading path --------------------------------------


def judged(course, key: str, typed: str) -> bool:
    question = imported_question(course, key)
    translated = short_answers_in_translations(question.quiz).get(key)
    return is_correct(question, GivenAnswer(text=typed), translated)


# One import of the course for each table (an import takes most of a second): every
# row is judged, and the test lists every row judged otherwise.


def test_reasonable_german_short_answers_are_accepted(sample_course):
    refused = [
        (key, typed)
        for key, answers in REASONABLE_GERMAN_ANSWERS.items()
        for typed in answers
        if not judged(sample_course, key, typed)
    ]
    assert refused == []


def test_wrong_german_short_answers_are_refused(sample_course):
    accepted = [
        (key, typed) for key, typed in WRONG_GERMAN_ANSWERS if judged(sample_course, key, typed)
    ]
    assert accepted == []


def test_every_short_question_has_a_few_german_answers_tested():
    shorts = {q.key for q, _ in german_questions(source_course()) if q.type == "short"}
    assert set(REASONABLE_GERMAN_ANSWERS) == shorts
    assert all(len(answers) >= 4 for answers in REASONABLE_GERMAN_ANSWERS.values())


def test_each_listed_german_wrong_answer_is_matched_to_its_german_feedback(sample_course):
    # The result page shows a translation's feedback for the listed answer matched
    # (quizzes.translations): graded in a German learner's request, a German wrong
    # answer matches the German listing first, even where the base file lists the
    # same word ("information").
    unmatched = []
    for question, texts in german_questions(source_course()):
        wrong = {item["answer"] for item in texts.get("wrong", [])}
        imported = imported_question(sample_course, question.key)
        translated = short_answers_in_translations(imported.quiz).get(question.key)
        for typed in wrong | {answer.capitalize() for answer in wrong}:
            with translation.override(LANGUAGE):
                match = judge_short(imported, typed, translated)
            if match.accepted or match.answer not in wrong:
                unmatched.append((question.key, typed, match.answer))
    assert unmatched == []


@pytest.fixture
def german_client(learner_client):
    learner_client.cookies[settings.LANGUAGE_COOKIE_NAME] = LANGUAGE
    return learner_client


def test_a_german_learner_takes_a_lesson_quiz_in_german(sample_course, german_client):
    quiz = sample_course.lessons.get(slug="internal-customers").quiz
    press_start(german_client, quiz)
    page = german_client.get(reverse("quizzes:take", args=[quiz.pk])).content.decode()
    assert "Erstattungsmaske" in page and "refund screen" not in page
    attempt = quiz.attempts.get(submitted_at__isnull=True)
    data = answer_sheet(quiz, attempt)
    need = quiz.questions.get(key="refund-screen-need")
    data[f"question-{need.pk}"] = "Information"
    german_client.post(reverse("quizzes:take", args=[quiz.pk]), data)
    answer = Answer.objects.get(attempt=attempt, question=need)
    assert not answer.is_correct
    result = german_client.get(attempt.get_absolute_url()).content.decode()
    assert "Informationen sind Zahlen, Antworten oder ein Zwischenstand." in result
    assert "Information is a figure" not in result


# Search in German -----------------------------------------------------------------------


def found(user, query: str) -> list[str]:
    with translation.override(LANGUAGE):
        return [
            re.sub(r"</?mark>", "", str(result.title)) for result in search_lessons(user, query)
        ]


@pytest.mark.parametrize("query, titles", SEARCHES.items())
def test_a_german_learner_finds_lessons_by_german_words(sample_course, learner, query, titles):
    assert sorted(found(learner, query)) == sorted(titles)


def test_kunde_finds_every_lesson_and_lieferant_the_lesson_on_vendors(sample_course, learner):
    assert len(found(learner, "Kunde")) == sample_course.lessons.count()
    assert "Kunden und Klienten" in found(learner, "Lieferant")


def test_a_german_learner_does_not_find_the_lessons_by_their_english_text(sample_course, learner):
    assert found(learner, "vendor") == []
