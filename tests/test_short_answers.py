"""Short answers graded like a person would (issue 20): a table of what learners type.

Each question is written as an author would write it (a short ``accept`` list, some
``wrong`` answers, sometimes ``exact``); each row is an answer a learner might type
and how it must be judged: "right", "spelling" (right, with a typo forgiven) or
"wrong". Rows go through ``judge_short``, the function grading uses; the German
questions carry their German answers as a translation does.
"""

from __future__ import annotations

import pytest

from quizzes.answers import Listed
from quizzes.models import Question, QuestionType
from quizzes.services import judge_short
from quizzes.translations import TranslatedAnswers

RIGHT, SPELLING, WRONG = "right", "spelling", "wrong"

# name: (language, accepted answers, listed wrong answers, exact)
QUESTIONS = {
    "internal": ("en", ["internal customer"], ["external customer"], False),
    "fifty-regulars": ("en", ["10", "10 customers", "10 out of 50", "10 of them"], ["40"], False),
    "share": ("en", ["20%", "20", "one in five"], ["80%"], False),
    "expectations": ("en", ["expectations", "customer expectations"], [], False),
    "mood": ("en", ["affect"], ["effect"], False),
    "b2b": ("en", ["B2B"], [], True),
    "client": ("en", ["client"], [], True),
    "grey": ("en", ["grey area", "gray area"], [], False),
    "consumer": ("en", ["end user", "consumer"], ["customer"], False),
    "participation": ("en", ["participation"], [], False),
    "person": ("en", ["the customer is always a person"], [], False),
    "twenty-one": ("en", ["21"], [], False),
    "intern": ("de", ["interner Kunde", "interne Kundin"], ["externer Kunde"], False),
    "zehn": ("de", ["10", "10 von 50"], ["40"], False),
    "anteil": ("de", ["20 %", "20", "jeder Fünfte", "1 von 5"], ["80 %"], False),
    "erwartungen": ("de", ["Erwartungen", "Erwartungen der Kunden"], ["Erfahrungen"], False),
    "grauzone": ("de", ["Grauzone"], [], False),
    "verbraucher": ("de", ["Verbraucher", "Endverbraucher"], ["Verbrauch", "Kunde"], False),
    "mitwirkung": ("de", ["Beteiligung", "Mitwirkung"], [], False),
    "stammkunde": ("de", ["Stammkunde"], ["Laufkunde"], True),
    "mensch": ("de", ["ein Mensch"], ["eine Firma"], False),
    "einundzwanzig": ("de", ["21"], [], False),
}

TABLE = [
    # English ------------------------------------------------------------------------
    ("internal", "internal customer", RIGHT),
    ("internal", "Internal customers", RIGHT),
    ("internal", "an internal customer", RIGHT),
    ("internal", "the internal customer.", RIGHT),
    ("internal", "INTERNAL-CUSTOMER", RIGHT),
    ("internal", "internal  customer!", RIGHT),
    ("internal", "internal customers'", RIGHT),
    ("internal", "Internal customer\u2019s", RIGHT),
    ("internal", "\u201cinternal customer\u201d", RIGHT),
    ("internal", "internal \u2013 customer", RIGHT),
    ("internal", "internl customer", SPELLING),
    ("internal", "internal custmer", SPELLING),
    ("internal", "interanl customer", SPELLING),
    ("internal", "internal cusotmers", SPELLING),
    ("internal", "external customer", WRONG),
    ("internal", "external customers", WRONG),
    ("internal", "internal", WRONG),
    ("internal", "customer", WRONG),
    ("internal", "international customer", WRONG),
    ("internal", "eternal customer", WRONG),
    ("internal", "intern customer", WRONG),
    ("internal", "internal supplier", WRONG),
    ("internal", "internal customer service", WRONG),
    ("internal", "", WRONG),
    ("fifty-regulars", "10", RIGHT),
    ("fifty-regulars", "ten", RIGHT),
    ("fifty-regulars", "Ten.", RIGHT),
    ("fifty-regulars", "about 10", RIGHT),
    ("fifty-regulars", "around ten", RIGHT),
    ("fifty-regulars", "roughly 10", RIGHT),
    ("fifty-regulars", "approximately ten", RIGHT),
    ("fifty-regulars", "~10", RIGHT),
    ("fifty-regulars", "10 out of 50", RIGHT),
    ("fifty-regulars", "ten out of fifty", RIGHT),
    ("fifty-regulars", "10 of them", RIGHT),
    ("fifty-regulars", "ten customers", RIGHT),
    ("fifty-regulars", "about 10 customers", RIGHT),
    ("fifty-regulars", "010", RIGHT),
    ("fifty-regulars", "11", WRONG),
    ("fifty-regulars", "1", WRONG),
    ("fifty-regulars", "100", WRONG),
    ("fifty-regulars", "40", WRONG),
    ("fifty-regulars", "forty", WRONG),
    ("fifty-regulars", "twenty", WRONG),
    ("fifty-regulars", "10%", WRONG),
    ("fifty-regulars", "1O", WRONG),
    ("fifty-regulars", "tne", WRONG),  # number words get no typo forgiven
    ("share", "20%", RIGHT),
    ("share", "20 %", RIGHT),
    ("share", "20 percent", RIGHT),
    ("share", "twenty per cent", RIGHT),
    ("share", "about 20%", RIGHT),
    ("share", "20", RIGHT),
    ("share", "1 in 5", RIGHT),
    ("share", "One in five.", RIGHT),
    ("share", "80%", WRONG),
    ("share", "80 percent", WRONG),
    ("share", "2%", WRONG),
    ("share", "25 percent", WRONG),
    ("expectations", "expectations", RIGHT),
    ("expectations", "Expectation", RIGHT),
    ("expectations", "their expectations", RIGHT),
    ("expectations", "the customer's expectations", RIGHT),
    ("expectations", "customers' expectations", RIGHT),
    ("expectations", "Customer\u2019s expectations.", RIGHT),
    ("expectations", "expectatoins", SPELLING),
    ("expectations", "expektations", SPELLING),
    ("expectations", "customer expecations", SPELLING),
    ("expectations", "exceptions", WRONG),
    ("expectations", "needs", WRONG),
    ("expectations", "hopes", WRONG),
    ("expectations", "specifications", WRONG),
    ("mood", "affect", RIGHT),
    ("mood", "affects", RIGHT),
    ("mood", "afect", SPELLING),
    ("mood", "effect", WRONG),  # one letter away, and listed as wrong
    ("mood", "effects", WRONG),
    ("b2b", "B2B", RIGHT),
    ("b2b", "b2b.", RIGHT),
    ("b2b", "B2C", WRONG),
    ("b2b", "B2", WRONG),
    ("client", "client", RIGHT),
    ("client", "Clients", RIGHT),
    ("client", "cleint", WRONG),  # exact: no typo forgiven
    ("client", "clint", WRONG),
    ("grey", "grey area", RIGHT),
    ("grey", "Grey-area", RIGHT),
    ("grey", "a gray area.", RIGHT),
    ("grey", "grey areas", RIGHT),
    ("grey", "greyarea", RIGHT),
    ("grey", "grey", WRONG),
    ("grey", "greay area", WRONG),  # "grey" is too short to forgive a typo
    ("grey", "grey zone", WRONG),
    ("consumer", "end user", RIGHT),
    ("consumer", "end-users", RIGHT),
    ("consumer", "enduser", RIGHT),
    ("consumer", "consumers", RIGHT),
    ("consumer", "the consumer", RIGHT),
    ("consumer", "consumr", SPELLING),
    ("consumer", "customer", WRONG),
    ("consumer", "customers", WRONG),
    ("consumer", "client", WRONG),
    ("consumer", "user", WRONG),
    ("participation", "participation", RIGHT),
    ("participation", "Participating", RIGHT),
    ("participation", "participate", RIGHT),
    ("participation", "particpation", SPELLING),
    ("participation", "partisipasion", SPELLING),  # two typos in a 13-letter word
    ("participation", "information", WRONG),
    ("participation", "assistance", WRONG),
    ("person", "A customer is always a person.", RIGHT),
    ("person", "the custmer is always a person", SPELLING),
    ("person", "a customer is always a company", WRONG),
    ("person", "customers are always people", WRONG),
    ("twenty-one", "21", RIGHT),
    ("twenty-one", "twenty-one", RIGHT),
    ("twenty-one", "Twenty one", RIGHT),
    ("twenty-one", "21.0", RIGHT),
    ("twenty-one", "12", WRONG),
    ("twenty-one", "2 1", WRONG),
    ("twenty-one", "twenty", WRONG),
    # German -------------------------------------------------------------------------
    ("intern", "interner Kunde", RIGHT),
    ("intern", "Interner Kunde.", RIGHT),
    ("intern", "interne Kunden", RIGHT),
    ("intern", "ein interner Kunde", RIGHT),
    ("intern", "der interne Kunde", RIGHT),
    ("intern", "den internen Kunden", RIGHT),
    ("intern", "Interner-Kunde", RIGHT),
    ("intern", "interne Kundin", RIGHT),
    ("intern", "eine interne Kundin", RIGHT),
    ("intern", "interne Kundinnen", RIGHT),
    ("intern", "intener Kunde", SPELLING),
    ("intern", "interner Kune", SPELLING),
    ("intern", "internre Kunde", SPELLING),
    ("intern", "externer Kunde", WRONG),
    ("intern", "externe Kunden", WRONG),
    ("intern", "Kunde", WRONG),
    ("intern", "intern", WRONG),
    ("intern", "internationaler Kunde", WRONG),
    ("intern", "interner Lieferant", WRONG),
    ("intern", "Kollege", WRONG),
    ("zehn", "10", RIGHT),
    ("zehn", "zehn", RIGHT),
    ("zehn", "Zehn.", RIGHT),
    ("zehn", "etwa 10", RIGHT),
    ("zehn", "ungefähr zehn", RIGHT),
    ("zehn", "rund 10", RIGHT),
    ("zehn", "ca. 10", RIGHT),
    ("zehn", "circa zehn", RIGHT),
    ("zehn", "~10", RIGHT),
    ("zehn", "10 von 50", RIGHT),
    ("zehn", "zehn von fünfzig", RIGHT),
    ("zehn", "zehn von fuenfzig", WRONG),  # number words get no typo forgiven
    ("zehn", "11", WRONG),
    ("zehn", "elf", WRONG),
    ("zehn", "100", WRONG),
    ("zehn", "40", WRONG),
    ("zehn", "vierzig", WRONG),
    ("zehn", "zwanzig", WRONG),
    ("anteil", "20 %", RIGHT),
    ("anteil", "20%", RIGHT),
    ("anteil", "20 Prozent", RIGHT),
    ("anteil", "zwanzig Prozent", RIGHT),
    ("anteil", "etwa 20 %", RIGHT),
    ("anteil", "20", RIGHT),
    ("anteil", "jeder Fünfte", RIGHT),
    ("anteil", "jeder fünfte.", RIGHT),
    ("anteil", "einer von fünf", RIGHT),
    ("anteil", "1 von 5", RIGHT),
    ("anteil", "80 %", WRONG),
    ("anteil", "80 Prozent", WRONG),
    ("anteil", "2 %", WRONG),
    ("anteil", "25 Prozent", WRONG),
    ("erwartungen", "Erwartungen", RIGHT),
    ("erwartungen", "Erwartung", RIGHT),
    ("erwartungen", "die Erwartungen", RIGHT),
    ("erwartungen", "ihre Erwartungen", RIGHT),
    ("erwartungen", "Erwartungen des Kunden", RIGHT),
    ("erwartungen", "die Erwartungen der Kundinnen und Kunden", WRONG),
    ("erwartungen", "Erwatungen", SPELLING),
    ("erwartungen", "Erwartungn", SPELLING),
    ("erwartungen", "Erwartugnen", SPELLING),
    ("erwartungen", "Erfahrungen", WRONG),
    ("erwartungen", "Wünsche", WRONG),
    ("erwartungen", "Bedürfnisse", WRONG),
    ("grauzone", "Grauzone", RIGHT),
    ("grauzone", "eine Grauzone", RIGHT),
    ("grauzone", "die Grauzone.", RIGHT),
    ("grauzone", "Grauzonen", RIGHT),
    ("grauzone", "Grau-Zone", RIGHT),
    ("grauzone", "Grazone", SPELLING),
    ("grauzone", "Grauzohne", SPELLING),
    ("grauzone", "grau", WRONG),
    ("grauzone", "Zone", WRONG),
    ("grauzone", "Graubereich", WRONG),
    ("verbraucher", "Verbraucher", RIGHT),
    ("verbraucher", "die Verbraucher", RIGHT),
    ("verbraucher", "Verbrauchern", RIGHT),
    ("verbraucher", "Endverbraucher", RIGHT),
    ("verbraucher", "End-Verbraucher", RIGHT),
    ("verbraucher", "Verbraucherin", RIGHT),
    ("verbraucher", "Verbrauher", SPELLING),
    ("verbraucher", "Verbrauch", WRONG),  # stems like Verbraucher, and listed as wrong
    ("verbraucher", "Kunde", WRONG),
    ("verbraucher", "Kunden", WRONG),
    ("verbraucher", "Käufer", WRONG),
    ("mitwirkung", "Beteiligung", RIGHT),
    ("mitwirkung", "Mitwirkung", RIGHT),
    ("mitwirkung", "die Beteiligung", RIGHT),
    ("mitwirkung", "Beteilgung", SPELLING),
    ("mitwirkung", "Mitwirkng", SPELLING),
    ("mitwirkung", "Unterstützung", WRONG),
    ("mitwirkung", "Information", WRONG),
    ("stammkunde", "Stammkunde", RIGHT),
    ("stammkunde", "Stammkunden", RIGHT),
    ("stammkunde", "ein Stammkunde", RIGHT),
    ("stammkunde", "Stamkunde", WRONG),  # exact: no typo forgiven
    ("stammkunde", "Laufkunde", WRONG),
    ("mensch", "ein Mensch", RIGHT),
    ("mensch", "Mensch", RIGHT),
    ("mensch", "Menschen", RIGHT),
    ("mensch", "immer ein Mensch", WRONG),
    ("mensch", "eine Firma", WRONG),
    ("mensch", "Firma", WRONG),
    ("mensch", "Mensh", SPELLING),
    ("mensch", "Mens", WRONG),
    ("einundzwanzig", "21", RIGHT),
    ("einundzwanzig", "einundzwanzig", RIGHT),
    ("einundzwanzig", "Einundzwanzig.", RIGHT),
    ("einundzwanzig", "12", WRONG),
    ("einundzwanzig", "zwanzig", WRONG),
    ("einundzwanzig", "zweiundzwanzig", WRONG),
]


def question(name: str) -> tuple[Question, TranslatedAnswers | None]:
    """The question as grading sees it: English answers in the question itself,
    German ones as a German translation carries them."""
    language, accept, wrong, exact = QUESTIONS[name]
    if language == "en":
        listed_wrong = [{"answer": answer, "feedback": f"Not {answer}."} for answer in wrong]
        return (
            Question(
                type=QuestionType.SHORT,
                accepted_answers=accept,
                wrong_answers=listed_wrong,
                exact=exact,
            ),
            None,
        )
    base = Question(type=QuestionType.SHORT, accepted_answers=["(the English answer)"], exact=exact)
    translated = TranslatedAnswers(
        accepted=[Listed(answer, language) for answer in accept],
        wrong=[Listed(answer, language, f"Nicht {answer}.") for answer in wrong],
    )
    return base, translated


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_table_has_at_least_100_answers_per_language_both_ways(language):
    rows = [row for row in TABLE if QUESTIONS[row[0]][0] == language]
    assert len(rows) >= 100
    assert {RIGHT, SPELLING, WRONG} <= {expected for _name, _typed, expected in rows}


@pytest.mark.parametrize("name, typed, expected", TABLE)
def test_short_answers_are_judged_like_a_person_would(name, typed, expected):
    base, translated = question(name)
    match = judge_short(base, typed, translated)
    assert (match.accepted, match.spelling if match.accepted else False) == (
        expected != WRONG,
        expected == SPELLING,
    ), match


@pytest.mark.parametrize(
    "name, typed, feedback",
    [
        ("internal", "External customers", "Not external customer."),
        ("mood", "efect", "Not effect."),  # a typo of a listed wrong answer
        ("verbraucher", "Verbrauch", "Nicht Verbrauch."),
        ("erwartungen", "Erfahrungen", "Nicht Erfahrungen."),
    ],
)
def test_a_listed_wrong_answer_is_refused_with_its_feedback(name, typed, feedback):
    match = judge_short(question(name)[0], typed, question(name)[1])
    assert not match.accepted and match.feedback == feedback


def test_an_accepted_answer_with_a_typo_says_what_it_was_taken_for():
    match = judge_short(question("expectations")[0], "customer expecations")
    assert (match.accepted, match.spelling, match.answer) == (True, True, "customer expectations")
