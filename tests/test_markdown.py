"""Lesson Markdown is rendered with tables, code and anchors, and always sanitised;
images only from allowed hosts, heading ids that cannot clash with the page's, and
work that grows in proportion to the text, whatever it holds."""

import itertools
import re
import sys
import tomllib

import markdown
import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse
from markdown import htmlparser
from packaging.requirements import Requirement

from courses import markdown as markdown_module
from courses.markdown import render_markdown
from tests.factories import make_course, make_lesson


def test_tables_fenced_code_and_heading_anchors():
    html = render_markdown(
        "## Who pays\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```python\nprint('<hi>')\n```\n"
    )
    assert '<h2 id="s-who-pays">Who pays</h2>' in html
    assert "<table>" in html and "<td>1</td>" in html
    assert "<code class=\"language-python\">print('&lt;hi&gt;')" in html


def test_top_level_heading_is_demoted_so_the_page_keeps_one_h1():
    html = render_markdown("# Title\n\ntext")
    assert "<h1" not in html
    assert '<h2 id="s-title">Title</h2>' in html


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


# --- Images: only from allowed hosts ------------------------------------------------


@pytest.mark.parametrize(
    "markdown",
    [
        "![pixel](https://tracker.example/p.gif)",
        "![pixel](http://tracker.example/p.gif)",
        "![pixel](http://img.example.com/p.gif)",  # allowed host, but not over https
        '<img src="https://tracker.example/p.gif" alt="pixel">',
        '<img src="//tracker.example/p.gif" alt="pixel">',  # protocol-relative
        '<img src="/\\tracker.example/p.gif" alt="pixel">',  # a browser reads \ as /
        '<img src=" https://tracker.example/p.gif" alt="pixel">',
        '<img src="https:tracker.example/p.gif" alt="pixel">',
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt="pixel">',
        '<img src="ftp://img.example.com/p.gif" alt="pixel">',
        '<img alt="pixel">',
    ],
)
@override_settings(LESSON_IMAGE_HOSTS=["img.example.com"])
def test_images_from_other_hosts_are_replaced_by_their_alt_text(markdown):
    html = render_markdown(markdown)
    assert "<img" not in html
    assert "pixel" in html  # the alt text, as plain text


@override_settings(LESSON_IMAGE_HOSTS=["img.example.com"])
def test_images_from_allowed_hosts_and_relative_paths_are_kept():
    html = render_markdown(
        "![a](https://img.example.com/a.png) ![b](HTTPS://IMG.example.com/b.png) "
        "![c](media/c.png) ![d](/media/d.png)"
    )
    assert html.count("<img") == 4
    assert 'src="https://img.example.com/a.png"' in html and 'src="media/c.png"' in html


def test_no_external_image_is_allowed_by_default():
    assert settings.LESSON_IMAGE_HOSTS == []
    assert "<img" not in render_markdown("![x](https://img.example.com/a.png)")


def test_alt_text_of_a_dropped_image_is_escaped():
    html = render_markdown('<img src="https://x.example/a.png" alt="<b>&amp;</b>">')
    assert "<b>" not in html and "&lt;b&gt;" in html


# --- Heading ids: prefixed, never the page's own ids ---------------------------------


def test_heading_ids_are_prefixed_so_they_cannot_take_the_pages_ids():
    html = render_markdown("## Main\n\n## Content main\n\n<h3 id='main'>Raw</h3>\n\n## Main")
    # Raw HTML ids get the prefix too (it may then repeat a heading's id: harmless).
    assert re.findall(r'id="([^"]*)"', html) == ["s-main", "s-content-main", "s-main", "s-main_1"]


def test_in_page_links_follow_the_prefixed_ids():
    html = render_markdown(
        "[TOC]\n\nSee [the summary](#summary) or [top](#s-summary).\n\n## Summary\n\n## Summary"
    )
    targets = re.findall(r'href="#([^"]*)"', html)
    ids = set(re.findall(r'id="([^"]*)"', html))
    assert targets and all(target in ids for target in targets)
    assert "#summary" not in html


def test_only_the_first_toc_marker_is_expanded():
    html = render_markdown("[TOC]\n\n## A\n\n[TOC]\n\n## B")
    assert html.count('href="#s-a"') == 1
    assert "<p>[TOC]</p>" in html


def test_empty_heading_gets_an_id_too():
    assert '<h2 id="s-section">' in render_markdown("## ???")


# --- Text that is not text ----------------------------------------------------------


def test_control_characters_and_lone_surrogates_never_reach_the_html():
    html = render_markdown("a\x00b\x1bc\x02d\x03 \ud800e")
    assert html == "<p>abcd \ufffde</p>"


# --- Hostile Markdown: bounded, and linear -------------------------------------------


def test_deep_raw_html_reaches_nh3_at_most_max_html_depth_deep():
    html = render_markdown("<div>" * 5000 + "x" + "</div>" * 5000)
    assert html.count("<div>") == markdown_module.MAX_HTML_DEPTH
    assert "x" in html


def test_quotes_and_lists_nested_too_deep_are_shown_as_text():
    html = render_markdown("> " * 100 + "x")
    assert html.count("<blockquote>") <= markdown_module.MAX_BLOCK_NESTING
    assert "&gt; &gt; x" in html
    nested = "".join("    " * depth + "- x\n" for depth in range(2_000))  # 8 MB of spaces
    html = render_markdown(nested[: markdown_module.MAX_MARKDOWN_LENGTH])
    assert 0 < html.count("<ul>") <= markdown_module.MAX_BLOCK_NESTING


def test_an_unclosed_tag_start_is_text():
    assert render_markdown("a <b and c") == "<p>a &lt;b and c</p>"
    assert render_markdown("x" + " <a" * 10 + " y") == "<p>x" + " &lt;a" * 10 + " y</p>"


def test_ordinary_links_images_and_code_are_unchanged_by_the_bounds():
    html = render_markdown(
        '[a [nested] link](https://x.example/a_(b) "title (with) parens") '
        "![img](pic.png) `code [with] (brackets)` [ref] [text][ref]\n\n[ref]: https://r.example\n"
    )
    assert '<a href="https://x.example/a_(b)" title="title (with) parens"' in html
    assert ">a [nested] link</a>" in html
    assert '<img alt="img" src="pic.png">' in html
    assert "<code>code [with] (brackets)</code>" in html
    assert html.count('href="https://r.example"') == 2


def test_a_long_paragraph_is_processed_in_pieces_and_keeps_its_text():
    words = " ".join(f"*w{i}*" for i in range(4000))  # about 24,000 characters
    html = render_markdown(words)
    assert html.count("<em>") == 4000 and "<span" not in html
    assert html.startswith("<p><em>w0</em>") and html.endswith("<em>w3999</em></p>")


@pytest.fixture
def small_bounds(monkeypatch):
    """The renderer's bounds made small, so small inputs show how work grows."""
    for name, value in {
        "INLINE_CHUNK": 400,
        "SPLIT_BLOCKS_OVER": 400,
        "MAX_TAG_LENGTH": 100,
        "MAX_LINK_TAIL": 400,
        "MAX_CODE_SPAN": 400,
        "MAX_HTML_DEPTH": 10,
        "MAX_BLOCK_NESTING": 8,
    }.items():
        monkeypatch.setattr(markdown_module, name, value)
    render_markdown("warm up: [a](b) *c* <b>d</b>\n\n## e")  # imports, compiled patterns


def work(text: str) -> int:
    """Deterministic work done rendering ``text``: Python lines run, calls made (C
    functions too), the length of every string Python functions return (the copies
    Python-Markdown makes), and how far Python's HTML parser must scan for the end
    of each tag it starts (a regular expression, invisible to the rest). No clock."""
    count = 0

    def profile(frame, event, arg):
        nonlocal count
        count += 1
        if event == "call" and frame.f_code.co_name == "check_for_whole_start_tag":
            rawdata, start = frame.f_locals["self"].rawdata, frame.f_locals["i"]
            end = rawdata.find(">", start)
            count += ((end if end != -1 else len(rawdata)) - start) // 8
        elif event == "return":
            if isinstance(arg, str):
                count += len(arg) // 8
            elif isinstance(arg, tuple):
                count += sum(len(item) for item in arg if isinstance(item, str)) // 8

    def trace(frame, event, arg):
        nonlocal count
        count += 1
        return trace

    sys.setprofile(profile)
    sys.settrace(trace)
    try:
        render_markdown(text)
    finally:
        sys.settrace(None)
        sys.setprofile(None)
    return count


def _up_to(pieces, size: int) -> str:
    text = ""
    for piece in pieces:
        if len(text) + len(piece) > size:
            break
        text += piece
    return text


# Links and code spans are bounded on their own: shown with long paragraphs
# processed whole.
LINKS_AND_CODE = {
    "[ x N": lambda n: "[" * n,
    "![ x N": lambda n: "![" * (n // 2),
    "nested brackets": lambda n: "[" * (n // 2) + "]" * (n // 2),
    '[x](a "b) x N': lambda n: '[x](a "b)' * (n // 9),
    "backtick runs": lambda n: _up_to(("`" * k + "a" for k in itertools.count(1)), n),
}

PATHOLOGICAL = {
    **LINKS_AND_CODE,
    "[x]( x N": lambda n: "[x](" * (n // 4),
    "[x][ x N": lambda n: "[x][" * (n // 4),
    "* x N": lambda n: "*" * n,
    "*a* x N": lambda n: "*a* " * (n // 4),
    "nested emphasis": lambda n: "*a " * (n // 6) + "b*" * (n // 6),
    "> x N": lambda n: ">" * n,
    "nested quotes": lambda n: _up_to((">" * i + " x\n" for i in itertools.count(1)), n),
    "nested lists": lambda n: _up_to(("    " * i + "- x\n" for i in itertools.count()), n),
    "< x N": lambda n: "<" * n,
    "<a  x N": lambda n: "<a " * (n // 3),
    "<b>x</i> x N": lambda n: "<b>x</i>" * (n // 8),
    "<b> then comments": lambda n: "<b>" + "<!--x-->" * (n // 8),
    "` x N": lambda n: "`" * n,
    "`a x N": lambda n: "`a" * (n // 2),
    "\\ x N": lambda n: "\\" * n,
    "headings": lambda n: "## a\n" * (n // 5),
    "text and headings": lambda n: "x\n## a\n" * (n // 7),
    "setext headings": lambda n: "a\n=\n" * (n // 4),
    "rules": lambda n: "***\n" * (n // 4),
    "reference definitions": lambda n: "x\n[a]: b\n" * (n // 9),
    "[TOC] x N": lambda n: "[TOC]\n\n## a\n\n" * (n // 13),
}


@pytest.mark.parametrize("name", PATHOLOGICAL)
def test_rendering_twice_the_text_costs_about_twice_the_work(small_bounds, name):
    make = PATHOLOGICAL[name]
    small, large = work(make(1_000)), work(make(2_000))
    # Linear work doubles (plus a constant); Python-Markdown on its own costs 2.3
    # to 4 times as much for most of these (quadratic).
    assert large / small <= 2.3, f"{name}: {small} -> {large}"


@pytest.mark.parametrize("name", LINKS_AND_CODE)
def test_links_and_code_spans_are_linear_without_splitting_paragraphs(
    small_bounds, monkeypatch, name
):
    monkeypatch.setattr(markdown_module, "INLINE_CHUNK", 10**9)
    make = LINKS_AND_CODE[name]
    small, large = work(make(1_000)), work(make(2_000))
    assert large / small <= 2.3, f"{name}: {small} -> {large}"


class _Tally:
    """Stands in for a compiled pattern (or the re module) and adds up how far each
    search or split may scan: regular expressions run in C, unseen by ``work``."""

    def __init__(self, wrapped, scanned: list[int]):
        self.wrapped, self.scanned = wrapped, scanned

    def search(self, pattern, string=None, pos=0, *args):
        if isinstance(self.wrapped, re.Pattern):  # pattern.search(string, pos)
            pattern, string, pos = self.wrapped, pattern, string or 0
            self.scanned[0] += len(string) - pos
            return pattern.search(string, pos, *args)
        self.scanned[0] += len(string)  # re.search(pattern, string, flags)
        return self.wrapped.search(pattern, string, pos, *args)

    def split(self, string, maxsplit=0):
        self.scanned[0] += len(string)
        return self.wrapped.split(string, maxsplit)

    def __getattr__(self, name):
        return getattr(self.wrapped, name)


def test_comments_inside_unclosed_inline_tags_are_linear(monkeypatch):
    """At each comment inside an open inline tag, Python-Markdown's raw HTML
    extractor searches the rest of the paragraph for the tag's end."""
    scanned = [0]
    end_tag = markdown_module._end_tag
    monkeypatch.setattr(htmlparser, "re", _Tally(re, scanned))
    monkeypatch.setattr(
        htmlparser, "inner_blank_line_re", _Tally(htmlparser.inner_blank_line_re, scanned)
    )
    monkeypatch.setattr(
        markdown_module, "_INNER_BLANK_LINE", _Tally(markdown_module._INNER_BLANK_LINE, scanned)
    )
    monkeypatch.setattr(markdown_module, "_end_tag", lambda tag: _Tally(end_tag(tag), scanned))
    text = "<b>x " + "<!--c-->" * 2_000 + "</b>"
    html = render_markdown(text)
    assert scanned[0] <= 4 * len(text)
    assert html.startswith("<p><b>x") and "c" not in html  # the comments stay inline
    # A comment inside an inline tag closed later in the paragraph stays inline.
    assert render_markdown("a <b>b <!-- c --> d</b> e") == "<p>a <b>b  d</b> e</p>"


def test_the_list_of_open_inline_tags_stays_short(monkeypatch):
    longest = 0
    close = htmlparser.HTMLExtractor.close_inline_tag

    def close_inline_tag(self, tag):
        nonlocal longest
        longest = max(longest, len(self.inline_stack))  # "tag in" this list, each time
        close(self, tag)

    monkeypatch.setattr(htmlparser.HTMLExtractor, "close_inline_tag", close_inline_tag)
    render_markdown("<b>x</i>" * 1_000)
    assert 0 < longest <= markdown_module.MAX_HTML_DEPTH


def test_text_nested_too_deep_for_python_markdown_is_shown_as_paragraphs(monkeypatch):
    def too_deep(text):
        raise RecursionError

    monkeypatch.setattr(markdown_module, "_to_html", too_deep)
    assert render_markdown("*a* <b>\n\nsecond") == "<p>*a* &lt;b&gt;</p><p>second</p>"


@pytest.mark.django_db
def test_the_admin_refuses_a_lesson_body_over_the_limit(client, admin_user):
    lesson = make_lesson(make_course(lessons=0), 1)
    client.force_login(admin_user)
    url = reverse("admin:lessons_lesson_change", args=[lesson.pk])
    data = {
        "course": lesson.course_id,
        "title": lesson.title,
        "slug": lesson.slug,
        "position": 1,
        "minutes": "",
        "body_markdown": "[" * (markdown_module.MAX_MARKDOWN_LENGTH + 1),
    }
    response = client.post(url, data)
    assert response.status_code == 200  # the form again, with the error
    assert "At most 200,000 characters" in response.content.decode()
    lesson.refresh_from_db()
    assert lesson.body_markdown == "## Part 1\n\nSome text."
    data["body_markdown"] = "[" * markdown_module.MAX_MARKDOWN_LENGTH
    assert client.post(url, data).status_code == 302
    lesson.refresh_from_db()
    assert len(lesson.body_markdown) == markdown_module.MAX_MARKDOWN_LENGTH


@pytest.mark.django_db
def test_the_body_limit_is_checked_by_the_model():
    lesson = make_lesson(make_course(lessons=0), 1)
    lesson.body_markdown = "x" * (markdown_module.MAX_MARKDOWN_LENGTH + 1)
    with pytest.raises(ValidationError) as caught:
        lesson.full_clean()
    assert "body_markdown" in caught.value.message_dict


# --- Python-Markdown versions: only those the bounds are tested with ---------------


def _markdown_requirement() -> Requirement:
    pyproject = tomllib.loads((settings.BASE_DIR / "pyproject.toml").read_text(encoding="utf-8"))
    (requirement,) = [
        Requirement(line)
        for line in pyproject["project"]["dependencies"]
        if Requirement(line).name.lower() == "markdown"
    ]
    return requirement


def test_the_installed_python_markdown_is_one_the_bounds_are_tested_with():
    """The bounds above override methods of Python-Markdown's internal classes,
    which change between patch releases (3.11.1 added some, 3.11.3 changed others)."""
    tested = _markdown_requirement().specifier
    assert tested.contains(markdown.__version__), (
        f"Python-Markdown {markdown.__version__} is installed, but courses/markdown.py bounds "
        f"rendering time by overriding its internals and is tested with Markdown{tested} only "
        "(pyproject.toml). Run tests/test_markdown.py, tests/test_video.py and "
        "tests/test_hostile_content.py with this version; if they pass, widen the range in "
        "pyproject.toml to include it."
    )


def test_the_tested_range_admits_no_newer_python_markdown():
    """The range ends at the newest release tested (<= or ==), so a new release is
    never installed untested, as an open bound such as <4 would allow."""
    tested = _markdown_requirement().specifier
    upper = [spec for spec in tested if spec.operator in ("<", "<=", "==", "~=", "===")]
    assert upper and all(spec.operator in ("<=", "==") for spec in upper), tested
