"""A lesson with an image and a video, in a real browser: the image loads through
courses:media under the site's Content-Security-Policy, the player is there, and
axe-core finds nothing serious."""

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from authoring.importing import import_content
from lessons.models import Lesson
from tests.browser.conftest import log_in, serious_axe_violations

LESSON = """---
title: Greeting at the till
---
A receipt looks like this:

![A till receipt with the total circled](media/receipt.png)

!video[Greeting a customer](https://youtu.be/dQw4w9WgXcQ "transcript: media/greeting.txt")

Print [the checklist (PDF)](media/checklist.pdf).
"""


@pytest.fixture
def media_lesson(transactional_db, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media-root"
    folder = tmp_path / "content" / "tills"
    (folder / "media").mkdir(parents=True)
    (folder / "course.md").write_text("---\ntitle: Tills\n---\nAbout tills.\n")
    (folder / "01-greeting.md").write_text(LESSON)
    image = io.BytesIO()
    Image.new("RGB", (320, 160), "teal").save(image, format="PNG")
    (folder / "media" / "receipt.png").write_bytes(image.getvalue())
    (folder / "media" / "greeting.txt").write_text("Hello, how can I help?\n")
    (folder / "media" / "checklist.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    import_content(tmp_path / "content")
    return Lesson.objects.get(slug="greeting")


def test_a_lesson_shows_its_image_and_video(page, live_server, learner, media_lesson):
    log_in(page, live_server, learner.username)
    page.goto(live_server.url + media_lesson.get_absolute_url())
    image = page.get_by_role("img", name="A till receipt with the total circled")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.complete && img.naturalWidth") == 320
    player = page.locator("iframe[title='Greeting a customer']")
    expect(player).to_have_attribute("src", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ")
    expect(player).to_have_attribute("loading", "lazy")
    assert player.bounding_box()["width"] > 0
    expect(
        page.get_by_role("link", name="Transcript of the video “Greeting a customer”")
    ).to_be_visible()
    assert serious_axe_violations(page) == []


def test_the_transcript_downloads(page, live_server, learner, media_lesson):
    log_in(page, live_server, learner.username)
    page.goto(live_server.url + media_lesson.get_absolute_url())
    link = page.get_by_role("link", name="Transcript of the video “Greeting a customer”")
    # Scrolled first: clicking a link below the fold straight away, Playwright's own
    # scroll left Chromium's click with no target (no click event reached the page).
    link.scroll_into_view_if_needed()
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "greeting.txt"
