"""Short answers: does what a learner typed match an answer the author listed?

One function, :func:`match_answer`, decides it for grading, the result page and the
trainers' analytics. Both sides are brought to the same form first
(:func:`answer_form`), in the language the listed answer is written in:

* Unicode: compatibility forms (NFKC), curly quotes and apostrophes, dashes; case;
  hyphens and punctuation between words count as spaces, so "Internal-customer."
  is "internal customer";
* articles are ignored ("the", "a", "an"; "der", "die", "das", "ein"... in German);
* words are reduced to their stem with the Snowball stemmer of the language, which
  folds possessives and plurals ("customers' expectations" is "the customer's
  expectation");
* digits and number words are equal ("ten" is "10", "einundzwanzig" is "21"), "%",
  "percent" and "per cent" are one word, and a hedge before a number is ignored
  ("about ten", "rund 10");
* unless the question is exact (``Question.exact``), one typo is forgiven in each word
  of 5 to 9 letters and two in longer words (Damerau-Levenshtein, so swapped
  letters count once), never in numbers or shorter words;
* an answer the author listed as wrong (``Question.wrong_answers``) is refused even
  when it is one typo away from an accepted answer, with the feedback written for it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer
from django.conf import settings
from num2words import num2words
from rapidfuzz.distance import DamerauLevenshtein

# Words of fewer letters get no typo forgiven; longer words one, very long ones two.
TYPO_MIN_LETTERS = 5
TWO_TYPOS_MIN_LETTERS = 10
# Number words are read up to this number (and digits of any size).
LARGEST_NUMBER_WORD = 1000

STEMMERS = {"en": "english", "de": "german"}
_GERMAN_ENDINGS = ("", "e", "en", "em", "er", "es")
# Articles and possessive determiners carry nothing a short answer is judged on:
# "their expectations" is "expectations", "ein interner Kunde" is "interner Kunde".
IGNORED = {
    "en": {"a", "an", "the", "my", "your", "his", "her", "its", "our", "their"},
    "de": {"der", "die", "das", "den", "dem", "des"}
    | {
        stem + ending
        for stem in ("ein", "mein", "dein", "sein", "ihr", "unser")
        for ending in _GERMAN_ENDINGS
    }
    | {"euer", "eure", "euren", "eurem", "eurer", "eures"},
}
# "einer von fünf": a German article form before these words is the number one.
GERMAN_ONE = {"ein", "eine", "einer", "eines", "einem", "einen", "eins"}
GERMAN_ONE_BEFORE = {"von", "aus", "unter"}
# Words that only soften a number: "about ten" is "ten".
HEDGES = {
    "en": {"about", "around", "roughly", "approximately", "approx", "circa", "ca", "some", "~"},
    "de": {"etwa", "ungefähr", "ungefahr", "rund", "circa", "ca", "zirka", "~"},
}
PERCENT = "%"
PERCENT_WORDS = {"en": {("percent",), ("per", "cent")}, "de": {("prozent",)}}

_QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "`": "'",
        "\u00b4": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u00ab": '"',
        "\u00bb": '"',
    }
)
# German feminine plurals, which the stemmer leaves apart: "Kundinnen" is "Kundin".
_GERMAN_FEMININE_PLURAL = re.compile(r"innen$")
# A number (digits, with a decimal part), a word (letters, apostrophes inside), "%"
# or "~"; everything else separates words.
_TOKEN = re.compile(r"\d+(?:[.,]\d+)?|[^\W\d_]+(?:'[^\W\d_]*)*|%|~")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


def language_of(code: str | None) -> str:
    """The primary language of a code ("en-gb" -> "en"); the site's for None."""
    return (code or settings.LANGUAGE_CODE).split("-")[0].lower()


@dataclass(frozen=True)
class Form:
    """An answer in the form answers are compared in."""

    words: tuple[str, ...]  # folded words before stemming (numbers as digits)
    stems: tuple[str, ...]

    @property
    def is_empty(self) -> bool:
        return not self.stems


@lru_cache(maxsize=4096)
def answer_form(text: str, language: str | None = None) -> Form:
    """``text`` as answers are compared: see the module's docstring."""
    language = language_of(language)
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES).casefold()
    tokens = [token.strip("'") for token in _TOKEN.findall(text)]
    if language == "de":
        tokens = [_GERMAN_FEMININE_PLURAL.sub("in", token) for token in tokens]
    tokens = _numbers(_without_ignored([token for token in tokens if token], language), language)
    stemmer = _stemmer(language)
    stems = tuple(
        token if _is_number(token) or token == PERCENT or stemmer is None else stemmer(token)
        for token in tokens
    )
    return Form(tuple(tokens), stems)


def _without_ignored(tokens: list[str], language: str) -> list[str]:
    ignored = IGNORED.get(language, set())
    kept = []
    for index, token in enumerate(tokens):
        following = tokens[index + 1] if index + 1 < len(tokens) else ""
        if language == "de" and token in GERMAN_ONE and following in GERMAN_ONE_BEFORE:
            kept.append("1")
        elif token not in ignored:
            kept.append(token)
    return kept


def answer_key(text: str, language: str | None = None) -> str:
    """One string per answer form: how the analytics count "the same" answer."""
    return " ".join(answer_form(text, language).stems)


@dataclass(frozen=True)
class Listed:
    """An answer an author listed, with the language it is written in (and, for a
    listed wrong answer, what a learner who typed it is told)."""

    text: str
    language: str
    feedback: str = ""


@dataclass(frozen=True)
class Match:
    """How a typed answer was judged."""

    accepted: bool
    answer: str = ""  # the listed answer it matched (accepted or wrong); "" for none
    spelling: bool = False  # matched with a typo forgiven
    feedback: str = ""  # a listed wrong answer's feedback

    @property
    def accepted_with_typo(self) -> bool:
        return self.accepted and self.spelling


REFUSED = Match(accepted=False)


def match_answer(
    typed: str,
    accepted: Sequence[Listed],
    wrong: Sequence[Listed] = (),
    exact: bool = False,
) -> Match:
    """Judge ``typed`` against the accepted and the listed wrong answers: an exact
    match of the forms first (accepted, then wrong), then, unless ``exact``, the
    closest match within the typos allowed, a wrong answer winning a tie."""
    if not typed.strip():
        return REFUSED
    # The same words first, then the same stems: a wrong answer listed as "Verbrauch"
    # is refused, though it stems like the accepted "Verbraucher".
    for same in (_same_words, _same_stems):
        for listed, is_accepted in _candidates(accepted, wrong):
            typed_form = answer_form(typed, listed.language)
            if same(typed_form, answer_form(listed.text, listed.language)):
                return _judged(listed, is_accepted, spelling=False)
    if exact:
        return REFUSED
    best: tuple[tuple[int, int], bool, Listed] | None = None
    for listed, is_accepted in _candidates(accepted, wrong):
        typed_form = answer_form(typed, listed.language)
        typos = _typos(typed_form, answer_form(listed.text, listed.language), listed.language)
        if typos is not None and (best is None or (typos, is_accepted) < best[:2]):
            best = (typos, is_accepted, listed)
    if best is None:
        return REFUSED
    return _judged(best[2], best[1], spelling=True)


def _candidates(
    accepted: Sequence[Listed], wrong: Sequence[Listed]
) -> Iterable[tuple[Listed, bool]]:
    yield from ((listed, True) for listed in accepted)
    yield from ((listed, False) for listed in wrong)


def _judged(listed: Listed, is_accepted: bool, spelling: bool) -> Match:
    if is_accepted:
        return Match(accepted=True, answer=listed.text, spelling=spelling)
    return Match(accepted=False, answer=listed.text, spelling=spelling, feedback=listed.feedback)


def _same_words(typed: Form, listed: Form) -> bool:
    """The same words, however spaced ("end-user" is "enduser"; numbers stay apart)."""
    return not listed.is_empty and _joined(typed) == _joined(listed)


def _joined(form: Form) -> str:
    return "".join(f" {word} " if _is_number(word) else word for word in form.words)


def _same_stems(typed: Form, listed: Form) -> bool:
    return not listed.is_empty and typed.stems == listed.stems


def _typos(typed: Form, listed: Form, language: str) -> tuple[int, int] | None:
    """The typos that turn ``typed`` into ``listed`` and how many words needed their
    endings folded to match, if each word is within what its length allows; None
    if not."""
    if typed.is_empty or len(typed.stems) != len(listed.stems):
        return None
    total = folded = 0
    for index, (stem, want) in enumerate(zip(typed.stems, listed.stems, strict=True)):
        if stem == want:
            continue
        word, wanted_word = typed.words[index], listed.words[index]
        allowed = typos_allowed(wanted_word)
        if not allowed or _is_number(word):
            return None
        # Measured on the words, not the stems: "international" stems close to
        # "internal". Failing that, with endings folded, so a plural can carry a typo.
        distance = DamerauLevenshtein.distance(word, wanted_word, score_cutoff=allowed)
        if distance > allowed:
            distance = DamerauLevenshtein.distance(
                _without_ending(word, language),
                _without_ending(wanted_word, language),
                score_cutoff=allowed,
            )
            folded += 1
        if distance > allowed:
            return None
        total += distance
    return total, folded


# Endings of plurals and possessives (and German's inflections), longest first.
ENDINGS = {"en": ("'s", "s'", "es", "s", "'"), "de": ("en", "er", "es", "em", "n", "e", "s")}


def _without_ending(word: str, language: str) -> str:
    for ending in ENDINGS.get(language_of(language), ()):
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            return word[: -len(ending)]
    return word


def typos_allowed(word: str) -> int:
    """Typos forgiven in a listed word: none in numbers and words of under 5 letters."""
    if _is_number(word) or word == PERCENT or len(word) < TYPO_MIN_LETTERS:
        return 0
    return 1 if len(word) < TWO_TYPOS_MIN_LETTERS else 2


def _is_number(token: str) -> bool:
    return bool(_NUMBER.fullmatch(token))


def _numbers(tokens: list[str], language: str) -> list[str]:
    """Number words as digits ("twenty one" -> "21"), "%"/"percent" as "%", digits
    without leading zeros or a decimal comma, and hedges before a number dropped."""
    phrases = _number_phrases(language)
    longest = max((len(phrase) for phrase in phrases), default=1)
    result: list[str] = []
    index = 0
    while index < len(tokens):
        for size in range(min(longest, len(tokens) - index), 0, -1):
            phrase = tuple(tokens[index : index + size])
            if phrase in phrases:
                result.append(phrases[phrase])
                index += size
                break
        else:
            token = tokens[index]
            result.append(_digits(token) if _is_number(token) else token)
            index += 1
    hedges = HEDGES.get(language, set())
    return [
        token
        for position, token in enumerate(result)
        if not (token in hedges and position + 1 < len(result) and _is_number(result[position + 1]))
    ]


def _digits(token: str) -> str:
    whole, _, fraction = token.replace(",", ".").partition(".")
    whole = whole.lstrip("0") or "0"
    fraction = fraction.rstrip("0")
    return f"{whole}.{fraction}" if fraction else whole


@lru_cache(maxsize=8)
def _number_phrases(language: str) -> dict[tuple[str, ...], str]:
    """{words: digits} for the number words of ``language`` up to LARGEST_NUMBER_WORD
    (from num2words), and the ways of writing "percent"."""
    phrases: dict[tuple[str, ...], str] = dict.fromkeys(PERCENT_WORDS.get(language, set()), PERCENT)
    try:
        spell = [num2words(number, lang=language) for number in range(LARGEST_NUMBER_WORD + 1)]
    except NotImplementedError:
        return phrases
    for number, words in enumerate(spell):
        tokens = tuple(_TOKEN.findall(words.casefold()))
        phrases.setdefault(tokens, str(number))
        if "and" in tokens:  # "one hundred five" as well as "one hundred and five"
            phrases.setdefault(tuple(t for t in tokens if t != "and"), str(number))
    extra = {"en": {"hundred": "100", "thousand": "1000"}, "de": {"eins": "1", "hundert": "100"}}
    for word, digits in extra.get(language, {}).items():
        phrases.setdefault((word,), digits)
    return phrases


def _stemmer(language: str):
    name = STEMMERS.get(language)
    return _stem_function(name) if name else None


@lru_cache(maxsize=8)
def _stem_function(name: str):
    stemmer = snowballstemmer.stemmer(name)
    return lru_cache(maxsize=16384)(stemmer.stemWord)
