"""Contrast that axe-core does not measure, read from Chromium's computed styles in
light and dark mode: the borders of form controls and focus rings against what is
behind them (WCAG 2.1 1.4.11, 3:1), and the text of state badges against the badge
(1.4.3, 4.5:1). The site follows the system's colour scheme (static/js/color-mode.js
sets data-bs-theme), so Playwright's colour-scheme emulation switches it."""

import pytest
from django.urls import reverse

from lessons.services import start_lesson
from progress.services import complete_lesson
from tests.browser.conftest import log_in, start_quiz
from tests.factories import make_course, make_quiz

NON_TEXT, TEXT = 3.0, 4.5

# Colours as the browser computed them, and the colour behind an element: its
# ancestors' backgrounds composited from the page down (the canvas is the scheme's).
MEASURE = """
(el) => {
  const parse = (value) => {
    const parts = value.match(/[\\d.]+/g).map(Number);
    return {r: parts[0], g: parts[1], b: parts[2], a: parts.length > 3 ? parts[3] : 1};
  };
  const over = (top, under) => ({
    r: top.r * top.a + under.r * (1 - top.a),
    g: top.g * top.a + under.g * (1 - top.a),
    b: top.b * top.a + under.b * (1 - top.a),
    a: 1,
  });
  const behind = (node) => {
    const chain = [];
    for (let n = node; n; n = n.parentElement) chain.push(getComputedStyle(n).backgroundColor);
    const dark = document.documentElement.dataset.bsTheme === "dark";
    let colour = dark ? {r: 0, g: 0, b: 0, a: 1} : {r: 255, g: 255, b: 255, a: 1};
    for (const value of chain.reverse()) colour = over(parse(value), colour);
    return colour;
  };
  const style = getComputedStyle(el);
  return {
    border: over(parse(style.borderTopColor), behind(el)),
    borderWidth: parseFloat(style.borderTopWidth),
    inside: behind(el),
    outside: behind(el.parentElement),
    outline: style.outlineStyle === "none"
      ? null : over(parse(style.outlineColor), behind(el.parentElement)),
    outlineWidth: parseFloat(style.outlineWidth),
    text: over(parse(style.color), behind(el)),
    focusVisible: el.matches(":focus-visible"),
  };
}
"""


def luminance(colour: dict) -> float:
    def channel(value: float) -> float:
        value /= 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * channel(colour["r"])
        + 0.7152 * channel(colour["g"])
        + 0.0722 * channel(colour["b"])
    )


def contrast(one: dict, other: dict) -> float:
    light, dark = sorted([luminance(one), luminance(other)], reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_contrast_formula():
    white, black = {"r": 255, "g": 255, "b": 255}, {"r": 0, "g": 0, "b": 0}
    assert round(contrast(white, black), 1) == 21.0
    assert round(contrast(white, {"r": 0xDE, "g": 0xE2, "b": 0xE6}), 2) == 1.30  # the report


@pytest.fixture
def quiz_course(transactional_db, learner):
    """A course with a quiz of every question type; one lesson done, one open, and a
    second course waiting only for its final assessment (every state badge)."""
    course = make_course(lessons=3, title="Contrast course")
    first, second, _third = course.lessons.order_by("position")
    complete_lesson(learner, first)
    start_lesson(learner, second)
    quiz = make_quiz(lesson=second)
    waiting = make_course(lessons=1, title="Waiting for its final")
    make_quiz(course=waiting)
    complete_lesson(learner, waiting.lessons.get())
    return course, quiz


def _focus_by_keyboard(page, selector: str) -> None:
    """Focus the element as a keyboard user does (focus rings show for the keyboard)."""
    page.locator(selector).first.focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Shift+Tab")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_controls_focus_rings_and_badges_have_enough_contrast(
    browser, live_server, learner, quiz_course, scheme
):
    course, quiz = quiz_course
    context = browser.new_context(viewport={"width": 1280, "height": 800}, color_scheme=scheme)
    page = context.new_page()
    log_in(page, live_server, learner.username)
    problems = []

    def check(name: str, found: float, needed: float) -> None:
        if found < needed:
            problems.append(f"{scheme}: {name} {found:.2f}:1 (needs {needed}:1)")

    page.goto(live_server.url + reverse("quizzes:take", args=[quiz.pk]))
    start_quiz(page)
    assert page.evaluate("() => document.documentElement.dataset.bsTheme") == scheme
    controls = {
        "radio": "input[type=radio]:not(:checked)",
        "checkbox": "input[type=checkbox]:not(:checked)",
        "text input": "input[type=text].form-control",
    }
    for name, selector in controls.items():
        found = page.locator(selector).first.evaluate(MEASURE)
        assert found["borderWidth"] >= 1, f"{name} has no border"
        check(
            f"{name} border against its inside",
            contrast(found["border"], found["inside"]),
            NON_TEXT,
        )
        check(
            f"{name} border against the page", contrast(found["border"], found["outside"]), NON_TEXT
        )

    focusable = {**controls, "submit button": "button[type=submit].btn-primary", "link": "main a"}
    for name, selector in focusable.items():
        _focus_by_keyboard(page, selector)
        found = page.evaluate(f"() => ({MEASURE})(document.activeElement)")
        if found["outline"] is None or found["outlineWidth"] < 2:
            problems.append(f"{scheme}: {name} shows no focus outline of 2px or more")
            continue
        check(f"{name} focus ring", contrast(found["outline"], found["outside"]), NON_TEXT)

    for url in (reverse("courses:my_learning"), course.get_absolute_url()):
        page.goto(live_server.url + url)
        badges = page.locator(".badge").all()
        assert badges, f"no badges on {url}"
        for badge in badges:
            found = badge.evaluate(MEASURE)
            check(
                f"badge “{badge.inner_text()}” on {url}",
                contrast(found["text"], found["inside"]),
                TEXT,
            )
    context.close()
    assert not problems, "\n".join(problems)
