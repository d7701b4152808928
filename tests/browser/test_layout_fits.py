"""Nothing is wider than the screen (issue 20): a lesson's image, video, wide table,
long code line and very long word stay inside the lesson column at 390 px and
1280 px, light and dark; German's long words hold on a phone; the search box shows
its whole placeholder."""

from __future__ import annotations

import io
import os

import pytest
from django.urls import reverse
from PIL import Image

from accounts.models import Profile
from authoring.importing import import_content
from lessons.models import Lesson
from lessons.services import start_lesson
from tests.browser.conftest import log_in

# Screenshots to look at (outside the repository).
SHOTS = os.environ.get("LAYOUT_SHOTS", "/tmp/shots/a")
WIDTHS = [320, 390, 1280]
SCHEMES = ["light", "dark"]
LONG_WORD = "Kundenzufriedenheitsbefragungsergebnisauswertungsverfahrensbeschreibung" * 2
LONG_CODE = "curl -s https://example.org/api/v1/customers?" + "&".join(
    f"field{n}=value{n}" for n in range(40)
)
COLUMNS = [f"Quarterly figure {n}" for n in range(1, 13)]
LESSON = f"""---
title: Wide things
---
A wide picture first:

![A wide diagram of the service desk](media/wide.png)

!video[Greeting a customer](https://youtu.be/dQw4w9WgXcQ)

| {" | ".join(COLUMNS)} |
|{"---|" * len(COLUMNS)}
| {" | ".join("1,234,567.89" for _ in COLUMNS)} |

```
{LONG_CODE}
```

The survey's name is {LONG_WORD}, said in one breath.
"""
GERMAN_COURSE = """---
title: Kundenzufriedenheitsbefragungsauswertung
---
Kundenzufriedenheitsbefragung für Einsteiger.
"""
GERMAN_LESSON = """---
title: Kundenzufriedenheitsbefragungsergebnisse
---
Die Kundenzufriedenheitsbefragungsergebnisse werden quartalsweise ausgewertet.
"""
# Every element that could be wider than the column, and where it must end.
BOXES = """() => {
  const column = document.querySelector('.lesson-body').getBoundingClientRect();
  const out = [];
  const wide = ['img', 'iframe', 'table', 'pre', 'p'].map(tag => `.lesson-body ${tag}`);
  for (const el of document.querySelectorAll(wide.join(', '))) {
    const box = el.getBoundingClientRect();
    if (box.left < column.left - 0.5 || box.right > column.right + 0.5) {
      out.push(`${el.tagName} ${Math.round(box.left)}..${Math.round(box.right)}`);
    }
  }
  return {column: [Math.round(column.left), Math.round(column.right)], outside: out};
}"""
SCROLL_WIDTH = "() => [document.documentElement.scrollWidth, window.innerWidth]"


def png(width: int, height: int) -> bytes:
    data = io.BytesIO()
    Image.new("RGB", (width, height), "teal").save(data, format="PNG")
    return data.getvalue()


@pytest.fixture
def wide_lesson(transactional_db, tmp_path, settings) -> Lesson:
    """A lesson with an 800 x 300 PNG imported as lesson media, a video, a table of 12
    columns, a long code line and a very long word; in German too, with long words."""
    settings.MEDIA_ROOT = tmp_path / "media-root"
    folder = tmp_path / "content" / "wide"
    (folder / "media").mkdir(parents=True)
    (folder / "course.md").write_text("---\ntitle: Wide things\n---\nAbout wide things.\n")
    (folder / "course.de.md").write_text(GERMAN_COURSE)
    (folder / "01-wide.md").write_text(LESSON)
    (folder / "01-wide.de.md").write_text(GERMAN_LESSON + LESSON.split("---\n", 2)[2])
    (folder / "media" / "wide.png").write_bytes(png(800, 300))
    import_content(tmp_path / "content")
    return Lesson.objects.get(slug="wide")


def open_page(browser, live_server, learner, width: int, scheme: str, language: str = "en-gb"):
    """The learner signed in, in ``language`` (their profile's choice, so the login
    page itself is the browser's English)."""
    Profile.objects.update_or_create(user=learner, defaults={"language": language})
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
    page = context.new_page()
    log_in(page, live_server, learner.username)
    return page


def open_menu(page, name: str) -> None:
    """Open the phone's menu and wait for Bootstrap's collapse to finish opening."""
    page.get_by_role("button", name=name).click()
    page.locator("#main-menu.show:not(.collapsing)").wait_for(state="visible")


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("width", WIDTHS)
def test_a_lesson_with_wide_things_fits_the_column(
    browser, live_server, learner, wide_lesson, width, scheme
):
    page = open_page(browser, live_server, learner, width, scheme)
    assert page.goto(live_server.url + wide_lesson.get_absolute_url()).status == 200
    image = page.get_by_role("img", name="A wide diagram of the service desk")
    assert image.evaluate("img => img.complete && img.naturalWidth") == 800
    page.screenshot(path=f"{SHOTS}/lesson-wide-{width}-{scheme}.png", full_page=True)
    scroll_width, inner_width = page.evaluate(SCROLL_WIDTH)
    assert scroll_width <= inner_width, f"{scroll_width}px wide at {width}px"
    boxes = page.evaluate(BOXES)
    assert boxes["outside"] == [], boxes
    # The table is wider than the column: it scrolls inside its own box, its words
    # whole (not a column of single letters).
    table = page.locator(".lesson-body table")
    assert table.evaluate("t => t.scrollWidth > t.clientWidth")
    words = page.locator(".lesson-body td").first.evaluate(
        "td => [td.getBoundingClientRect().height, parseFloat(getComputedStyle(td).lineHeight)]"
    )
    assert words[0] < 2 * words[1] + 20, f"1,234,567.89 is broken over lines: {words}"
    # The image is scaled as a whole (its proportions kept), not cropped.
    box = image.bounding_box()
    assert abs(box["width"] / box["height"] - 800 / 300) < 0.05, box


GERMAN_PAGES = {
    "lesson": lambda lesson: lesson.get_absolute_url(),
    "course": lambda lesson: lesson.course.get_absolute_url(),
    "my learning": lambda lesson: reverse("courses:my_learning"),
    "catalogue": lambda lesson: reverse("courses:catalogue"),
    "search": lambda lesson: reverse("search") + "?q=" + LONG_WORD,
    "my results": lambda lesson: reverse("quizzes:my_results"),
    "profile": lambda lesson: reverse("accounts:profile"),
}


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("name", GERMAN_PAGES)
def test_german_pages_fit_a_phone(browser, live_server, learner, wide_lesson, name, scheme):
    start_lesson(learner, wide_lesson)  # My learning shows the course and its progress
    page = open_page(browser, live_server, learner, 390, scheme, language="de")
    url = GERMAN_PAGES[name](wide_lesson)
    assert page.goto(live_server.url + url).status == 200
    assert page.locator("html").get_attribute("lang") == "de"
    # Open the menu, so its links and the search box are measured too.
    open_menu(page, "Menü")
    page.screenshot(path=f"{SHOTS}/de-{name.replace(' ', '-')}-390-{scheme}.png", full_page=True)
    scroll_width, inner_width = page.evaluate(SCROLL_WIDTH)
    assert scroll_width <= inner_width, f"German {name} is {scroll_width}px wide at 390px"


# The placeholder's width in the box's own font, against the room inside the box.
PLACEHOLDER_FITS = """input => {
  const style = getComputedStyle(input);
  const context = document.createElement('canvas').getContext('2d');
  context.font = `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
  const text = context.measureText(input.placeholder).width;
  const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return [Math.ceil(text), Math.floor(room)];
}"""


PLACEHOLDERS = [("de", "Lektionen durchsuchen"), ("en-gb", "Search lessons")]


@pytest.mark.parametrize("language, placeholder", PLACEHOLDERS)
@pytest.mark.parametrize("width", [390, 800, 992, 1280])
@pytest.mark.parametrize("who", ["learner", "admin_user"])  # a superuser has two links more
def test_the_search_box_shows_its_whole_placeholder(
    request, browser, live_server, who, language, placeholder, width
):
    user = request.getfixturevalue(who)
    page = open_page(browser, live_server, user, width, "light", language=language)
    page.goto(live_server.url + reverse("courses:catalogue"))
    if width < 992:
        open_menu(page, "Menü" if language == "de" else "Menu")
    search = page.locator("#nav-search")
    assert search.get_attribute("placeholder") == placeholder
    page.screenshot(path=f"{SHOTS}/search-box-{who}-{language}-{width}.png")
    text, room = search.evaluate(PLACEHOLDER_FITS)
    assert text <= room, f"the placeholder needs {text}px, the box has {room}px at {width}px"
    scroll_width, inner_width = page.evaluate(SCROLL_WIDTH)
    assert scroll_width <= inner_width, f"{scroll_width}px wide at {width}px"
