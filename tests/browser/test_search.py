"""Search in a real browser: type a word, see it highlighted, follow the result."""

import pytest

from tests.browser.conftest import has_sideways_scroll, log_in, serious_axe_violations


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
def test_search_finds_highlights_and_links(
    browser, live_server, learner, sample_course, color_scheme
):
    context = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme=color_scheme)
    page = context.new_page()
    log_in(page, live_server, learner.username)
    page.goto(f"{live_server.url}/search/")
    assert serious_axe_violations(page) == []

    page.get_by_label("Search lessons").fill("competitors")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/search/?q=competitors")
    assert page.locator("mark", has_text="competitors").count() >= 1
    problems = serious_axe_violations(page)
    assert not has_sideways_scroll(page)

    page.get_by_role("link", name="External customers").click()
    page.wait_for_url(f"**/courses/{sample_course.slug}/lessons/external-customers/")
    assert page.get_by_role("heading", level=1).text_content().strip() == "External customers"

    page.goto(f"{live_server.url}/search/?q=zebra+crossing")
    assert page.get_by_text("No lessons match").is_visible()
    problems += serious_axe_violations(page)
    context.close()
    assert problems == []


def test_the_navigation_search_box_searches_from_any_page(
    page, live_server, learner, sample_course
):
    log_in(page, live_server, learner.username)
    page.get_by_role("searchbox", name="Search", exact=True).fill("competitors")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/?q=competitors")
    assert page.locator("mark", has_text="competitors").count() >= 1
