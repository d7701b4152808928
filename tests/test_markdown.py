"""Lesson Markdown is rendered with tables, code and anchors, and always sanitised."""

import pytest

from courses.markdown import render_markdown
from tests.factories import make_course, make_lesson


def test_tables_fenced_code_and_heading_anchors():
    html = render_markdown(
        "## Who pays\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```python\nprint('<hi>')\n```\n"
    )
    assert '<h2 id="who-pays">Who pays</h2>' in html
    assert "<table>" in html and "<td>1</td>" in html
    assert "<code class=\"language-python\">print('&lt;hi&gt;')" in html


def test_top_level_heading_is_demoted_so_the_page_keeps_one_h1():
    html = render_markdown("# Title\n\ntext")
    assert "<h1" not in html
    assert '<h2 id="title">Title</h2>' in html


@pytest.mark.parametrize(
    "markdown, forbidden",
    [
        ("<script>alert(1)</script>", "<script"),
        ('<img src="x.png" onerror="alert(1)">', "onerror"),
        ("[click](javascript:alert(1))", "javascript:"),
        ('<a href="javascript:alert(1)">x</a>', "javascript:"),
        ('<iframe src="https://example.com"></iframe>', "<iframe"),
        ('<p style="background:url(x)" onclick="x()">hi</p>', "onclick"),
    ],
)
def test_dangerous_html_never_survives(markdown, forbidden):
    assert forbidden not in render_markdown(markdown).lower()


def test_ordinary_links_are_kept():
    html = render_markdown("[docs](https://example.com/a)")
    assert 'href="https://example.com/a"' in html


@pytest.mark.django_db
def test_lesson_html_is_rendered_when_saved():
    lesson = make_lesson(make_course(lessons=0), 1, body_markdown="**bold** <script>x</script>")
    assert lesson.body_html == "<p><strong>bold</strong> </p>"
    lesson.body_markdown = "_new_"
    lesson.save()
    assert lesson.body_html == "<p><em>new</em></p>"
