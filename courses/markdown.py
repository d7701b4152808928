"""Markdown to safe HTML, done once when content is saved, never per request.

Lesson text comes from files and from the admin, so rendering must stay safe and
take time in proportion to the text, whatever it holds. Python-Markdown (3.x) on
its own does not: every ``[`` is matched against the rest of its paragraph and
every ``](`` against the rest for its ``)``; each inline match copies the whole
paragraph; a block of many headings or rules is re-read after each one; lists and
quotes re-read their whole content at each level of nesting; an unclosed ``<a ``
is scanned to the end of the text; and nh3's HTML parser is quadratic in nesting
depth. Ordinary Markdown renders exactly as before; these are bounded instead
(the limits are the constants below):

* brackets nested more than MAX_LINK_NESTING deep, parentheses nested as deep in
  a link's address, and ``(...)`` longer than MAX_LINK_TAIL or with more than
  MAX_TITLE_QUOTES quotes make no link: the text shows as typed;
* closing backticks are looked for within MAX_CODE_SPAN characters;
* a paragraph longer than INLINE_CHUNK characters is processed in pieces, cut at
  a line end, a space or after a tag (a link across a cut shows as typed);
* a block longer than SPLIT_BLOCKS_OVER is split, before Python-Markdown sees it,
  exactly where its block processors would split it one line at a time;
* lists and quotes nested deeper than MAX_BLOCK_NESTING parser states show their
  deeper text as a paragraph, as typed;
* a ``<`` like the start of a tag with no ``>`` within MAX_TAG_LENGTH characters
  is text (as Python-Markdown shows it anyway, after scanning to the end);
* the raw HTML extractor's list of open inline tags is cut to MAX_HTML_DEPTH, and
  its searches for their end tags are remembered;
* only the first ``[TOC]`` is expanded;
* the HTML given to nh3 is rebuilt from its tags, keeping only those nh3 keeps,
  with at most MAX_HTML_DEPTH elements open (deeper tags are dropped, their text
  kept), so nh3's parser never sees deep nesting;
* text nested too deeply for Python-Markdown's recursion is shown as paragraphs.

These bounds override methods of Python-Markdown's internal classes (the link and
code span processors, the raw HTML extractor, the TOC tree processor) and follow its
block processors' tests, which change between patch releases: the extractor's
methods overridden here came in 3.11.1, and before 3.11.3 a text of headings still
costs its length squared. Processors registered through the extension API alone do
not bound the raw HTML extractor or the block processors' re-reading without
changing what ordinary Markdown renders. So pyproject.toml admits only the versions
these bounds are tested with, and tests/test_markdown.py fails on any other.

Content safety: an image is shown only from a relative path or over https from a
host in ``settings.LESSON_IMAGE_HOSTS`` (otherwise its alt text is), and heading ids carry
the prefix ``s-`` (in-page ``#anchor`` links get it too), so a heading never takes
an id of the page around it such as ``main``.

Videos: a line of its own ``!video[Title](https://www.youtube.com/watch?v=ID)``, with
an optional ``"transcript: media/transcript.txt"`` after the address, becomes a
player from ``settings.LESSON_VIDEO_HOSTS`` (YouTube's www.youtube-nocookie.com,
Vimeo's player.vimeo.com). The iframe is never written by the author nor passed
through nh3 (which removes every iframe, hand-written or not): the line is replaced
by a marker holding a secret made for this rendering, and after nh3 the marker is
replaced by an iframe this module builds from the video's id alone (and the title,
escaped). Any other address, and a line that is not exactly that, shows as typed.

Media: ``link_media`` points ``media/...`` image sources and links of the rendered
HTML at where the course's media are served (the renderer itself knows no course).
"""

from __future__ import annotations

import html
import re
import secrets
import xml.etree.ElementTree as etree
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urlsplit

import markdown
import nh3
from django.conf import settings
from markdown.blockprocessors import BlockProcessor, HRProcessor
from markdown.extensions import Extension
from markdown.extensions.toc import TocExtension, TocTreeprocessor
from markdown.extensions.toc import slugify as toc_slugify
from markdown.htmlparser import HTMLExtractor
from markdown.inlinepatterns import (
    BACKTICK_RE,
    IMAGE_LINK_RE,
    IMAGE_REFERENCE_RE,
    LINK_RE,
    REFERENCE_RE,
    BacktickInlineProcessor,
    ImageInlineProcessor,
    ImageReferenceInlineProcessor,
    LinkInlineProcessor,
    ReferenceInlineProcessor,
    ShortImageReferenceInlineProcessor,
    ShortReferenceInlineProcessor,
)
from markdown.preprocessors import HtmlBlockPreprocessor, Preprocessor
from markdown.treeprocessors import Treeprocessor
from markdown.util import AtomicString

# The longest lesson body or course introduction accepted (import and admin).
MAX_MARKDOWN_LENGTH = 200_000
HEADING_ID_PREFIX = "s-"

# Bounds on Python-Markdown's work (see the module docstring). Module attributes,
# read at each call, so tests can make them small and show the work stays linear.
MAX_LINK_NESTING = 8  # brackets inside a link text, parentheses inside its address
MAX_LINK_TAIL = 4_000  # characters of "(address "title")" looked at
MAX_TITLE_QUOTES = 6  # quote characters in a link's "(...)"
MAX_CODE_SPAN = 4_000  # characters looked at for the closing backticks of a code span
INLINE_CHUNK = 10_000  # characters of inline text processed in one piece
SPLIT_BLOCKS_OVER = 4_000  # blocks longer than this are split where Markdown would
MAX_BLOCK_NESTING = 24  # parser states open: a quote takes one, a list level one or two
MAX_TAG_LENGTH = 1_000  # a "<tag" needs its ">" within this many characters
MAX_HTML_DEPTH = 40  # elements open at once in the HTML given to nh3

_EXTENSIONS = ["tables", "fenced_code", "sane_lists"]  # and toc, below

_ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "dd",
    "del",
    "div",
    "dl",
    "dt",
    "em",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "kbd",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
}
_HEADINGS = {"h2", "h3", "h4", "h5", "h6"}
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "code": {"class"},
    "th": {"style"},
    "td": {"style"},
    "ol": {"start"},
    **{tag: {"id"} for tag in _HEADINGS},
}
_VOID_TAGS = {"br", "hr", "img"}
# Removed with their content, as nh3 does.
_DROPPED_WITH_CONTENT = {"script", "style"}

# Control characters (but tab, LF and CR) and lone surrogates: never meant, and
# Python-Markdown uses STX/ETX internally; nh3 cannot take a lone surrogate.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile("[\ud800-\udfff]")
# Stands for a "<" that cannot start a tag (see _DefuseUnclosedTags); it is put
# back as "&lt;" in the HTML, which is what Python-Markdown makes of such a "<".
_LT = "\x0e"

_BRACKET = re.compile(r"[\[\]]")
_LINK_TAIL = re.compile(r"""[()"']""")
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
_ATX_HEADING = re.compile(r"#{1,6}(?:\\.|[^\\])*")  # a line HashHeaderProcessor splits at
_SETEXT_UNDERLINE = re.compile(r"(?:=+|-+)[ ]*")
_HR_LINE = re.compile(HRProcessor.RE)
_QUOTE_LINE = re.compile(r"[ ]{0,3}>")  # BlockQuoteProcessor.RE, on one line
_REFERENCE_START = re.compile(r"[ ]{0,3}\[[^\[\]]*\]:")  # where ReferenceProcessor.RE can match


def render_markdown(text: str) -> str:
    """Render lesson Markdown (tables, fenced code, heading anchors, video lines) and
    sanitise it.

    Scripts, event handlers, ``javascript:`` links and iframes are removed by nh3,
    whatever the Markdown contains; the only iframes are the video players this
    module writes after nh3. Never raises on any text, and takes time in proportion
    to its length.
    """
    text = _SURROGATE.sub("\ufffd", _CONTROL.sub("", text))
    try:
        body = _to_html(text)
    except RecursionError:
        # Nesting deeper than Python-Markdown's recursion allows (hundreds of
        # levels of lists or emphasis): shown as plain paragraphs rather than lost.
        body = "".join(
            f"<p>{html.escape(paragraph.strip())}</p>"
            for paragraph in re.split(r"\n\s*\n", text)
            if paragraph.strip()
        )
    clean = nh3.clean(
        _rebuild(body),
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        filter_style_properties={"text-align"},
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
    videos = getattr(body, "videos", None)
    return videos.put_back(clean) if videos else clean


class _Html(str):
    """HTML from Python-Markdown, with the videos its markers stand for."""

    videos: _Videos


def _to_html(text: str) -> str:
    videos = _Videos()
    extensions = [
        *_EXTENSIONS,
        _TocExtension(permalink=False, slugify=_heading_id),
        _BoundedWork(),
        videos,
    ]
    html_text = markdown.markdown(text, extensions=extensions, output_format="html")
    result = _Html(html_text.replace(_LT, "&lt;"))
    result.videos = videos
    return result


def _heading_id(value: str, separator: str) -> str:
    return HEADING_ID_PREFIX + (toc_slugify(value, separator) or "section")


# --- Python-Markdown, bounded -------------------------------------------------------


class _BoundedWork(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        # After fenced code blocks are stashed, before raw HTML is looked for.
        md.preprocessors.register(_DefuseUnclosedTags(md), "defuse_unclosed_tags", 22)
        md.preprocessors.register(_HtmlBlock(md), "html_block", 20)
        md.parser.blockprocessors.register(_SplitLongBlock(md.parser), "split_long_block", 105)
        md.treeprocessors.register(_ChunkLongText(md), "chunk_long_text", 30)
        patterns = md.inlinePatterns
        patterns.register(_Backtick(BACKTICK_RE), "backtick", 190)
        patterns.register(_Reference(REFERENCE_RE, md), "reference", 170)
        patterns.register(_Link(LINK_RE, md), "link", 160)
        patterns.register(_Image(IMAGE_LINK_RE, md), "image_link", 150)
        patterns.register(_ImageReference(IMAGE_REFERENCE_RE, md), "image_reference", 140)
        patterns.register(_ShortReference(REFERENCE_RE, md), "short_reference", 130)
        patterns.register(_ShortImageReference(IMAGE_REFERENCE_RE, md), "short_image_ref", 125)


class _BoundedLinkScan:
    """For the link processors: Python-Markdown scans from each ``[`` to the end of
    the text for its ``]``, and from each ``](`` for its ``)``. Links nested at most
    MAX_LINK_NESTING deep come out the same; deeper brackets are plain text."""

    def getText(self, data: str, index: int) -> tuple[str, int, bool]:
        depth = 1
        # Jump from bracket to bracket; a scan stops MAX_LINK_NESTING levels deep,
        # so each bracket is visited by at most that many scans.
        for match in _BRACKET.finditer(data, index):
            if match.group() == "[":
                depth += 1
                if depth > MAX_LINK_NESTING:
                    break
            else:
                depth -= 1
                if depth == 0:
                    return data[index : match.start()], match.end(), True
        return "", index, False

    def getLink(self, data: str, index: int) -> tuple[str, str | None, int, bool]:
        # Python-Markdown's own parser, on the stretch a link can occupy.
        return super().getLink(data[: _link_end(data, index)], index)  # type: ignore[misc]


def _link_end(data: str, index: int) -> int:
    """Where a link's ``(address "title")`` starting at ``index`` must have ended."""
    end = min(len(data), index + MAX_LINK_TAIL)
    depth = quotes = 0
    for match in _LINK_TAIL.finditer(data, index, end):
        char = match.group()
        if char == "(":
            depth += 1
            if depth > MAX_LINK_NESTING:
                return match.start()
        elif char == ")":
            depth -= 1
            if depth <= 0 and not quotes:
                return match.end()
        else:
            quotes += 1
            if quotes > MAX_TITLE_QUOTES:
                return match.start()
    return end


class _Link(_BoundedLinkScan, LinkInlineProcessor):
    pass


class _Image(_BoundedLinkScan, ImageInlineProcessor):
    pass


class _Reference(_BoundedLinkScan, ReferenceInlineProcessor):
    pass


class _ImageReference(_BoundedLinkScan, ImageReferenceInlineProcessor):
    pass


class _ShortReference(_BoundedLinkScan, ShortReferenceInlineProcessor):
    pass


class _ShortImageReference(_BoundedLinkScan, ShortImageReferenceInlineProcessor):
    pass


class _Backtick(BacktickInlineProcessor):
    def find_code_spans(self, start: int, text: str) -> tuple[int, int | None]:
        # Looks for the closing backticks over a bounded stretch, not to the end.
        return super().find_code_spans(start, text[: start + MAX_CODE_SPAN])


class _DefuseUnclosedTags(Preprocessor):
    """A ``<`` followed by a letter, ``/``, ``!`` or ``?`` with no ``>`` within
    MAX_TAG_LENGTH characters: Python's HTML parser scans each such ``<`` to the end
    of the text. It can start no tag, so it becomes a stand-in that is written back
    as ``&lt;``, which is what Python-Markdown would have shown for it."""

    def run(self, lines: list[str]) -> list[str]:
        text = "\n".join(lines)
        parts: list[str] = []
        done = 0
        next_gt = -1
        for match in _TAG_START.finditer(text):
            start = match.start()
            if next_gt < start:
                next_gt = text.find(">", start)
                if next_gt == -1:
                    next_gt = len(text) + MAX_TAG_LENGTH + 1
            if next_gt - start > MAX_TAG_LENGTH:
                parts += [text[done:start], _LT]
                done = start + 1
        if not parts:
            return lines
        parts.append(text[done:])
        return "".join(parts).split("\n")


class _HtmlBlock(HtmlBlockPreprocessor):
    def run(self, lines: list[str]) -> list[str]:
        # Python-Markdown's own, with the extractor below.
        parser = _Extractor(self.md)
        parser.feed("\n".join(lines))
        parser.close()
        return "".join(parser.cleandoc).split("\n")


class _Extractor(HTMLExtractor):
    """Python-Markdown's raw HTML extractor keeps a list of unclosed inline tags
    and, at each comment, searches the rest of the paragraph for each of their end
    tags: quadratic in both. The list is cut to its last MAX_HTML_DEPTH tags, and
    each search result is kept until the parser has moved past it."""

    def reset(self) -> None:
        super().reset()
        self._ahead: dict[str, tuple[int, int, int]] = {}  # key: (searched from, start, end)

    def open_inline_tag(self, tag: str) -> None:
        super().open_inline_tag(tag)
        del self.inline_stack[:-MAX_HTML_DEPTH]

    def inline_close_follows(self, text: str) -> bool:
        if not self.inline_stack:
            return False
        start = self.line_offset + self.offset + len(text)
        paragraph_end = self._search("\n\n", _INNER_BLANK_LINE, start)[0]
        return any(
            self._search(tag, _end_tag(tag), start)[1] <= paragraph_end for tag in self.inline_stack
        )

    def _search(self, key: str, pattern: re.Pattern[str], start: int) -> tuple[int, int]:
        """(start, end) of the first match of ``pattern`` at or after ``start``."""
        cached = self._ahead.get(key)
        if cached is None or not cached[0] <= start <= cached[1]:
            match = pattern.search(self.rawdata, start)
            found = match.span() if match else (len(self.rawdata), len(self.rawdata) + 1)
            cached = self._ahead[key] = (start, *found)
        return cached[1], cached[2]


_INNER_BLANK_LINE = re.compile(r"\n[ \t]*\n")


def _end_tag(tag: str) -> re.Pattern[str]:
    return re.compile(rf"</\s*{re.escape(tag)}\s*>", re.IGNORECASE)


class _Whole(str):
    """A piece of a block already split as Python-Markdown would split it."""

    __slots__ = ()


class _SplitLongBlock(BlockProcessor):
    """Runs before every other block processor, in every container (list items and
    quotes too), for two things:

    * Lists and quotes nested more than MAX_BLOCK_NESTING deep: Python-Markdown
      re-reads the whole of the nested text at each level. Deeper text is a
      paragraph, shown as written.
    * A long block is split, up front, at the lines where Python-Markdown's block
      processors would split it one at a time (each time re-reading the rest):
      headings, setext headings, rules, runs of indented code and link reference
      definitions, with the text between them; whatever else the rest is (a table,
      a list, a quote, a paragraph) keeps it whole, as it would.
    """

    def test(self, parent: etree.Element, block: str) -> bool:
        if len(self.parser.state) >= MAX_BLOCK_NESTING:
            return True
        # A block starting with a line end is EmptyBlockProcessor's: it hands back the rest.
        return (
            len(block) > SPLIT_BLOCKS_OVER
            and not isinstance(block, _Whole)
            and not block.startswith("\n")
        )

    def run(self, parent: etree.Element, blocks: list[str]) -> None:
        block = blocks.pop(0)
        if len(self.parser.state) >= MAX_BLOCK_NESTING:
            paragraph = etree.SubElement(parent, "p")
            paragraph.text = block
            return
        pieces = _BlockSplitter(self, parent, block.split("\n")).pieces()
        blocks[0:0] = [_Whole(piece) for piece in pieces if piece]


class _BlockSplitter:
    """Python-Markdown's block processors, in priority order, on the lines of one
    block: where one of them would split off a piece, split it off."""

    def __init__(self, processor: _SplitLongBlock, parent: etree.Element, lines: list[str]):
        self.processor, self.parent, self.lines = processor, parent, lines
        self.processors = processor.parser.blockprocessors
        self.indent = " " * processor.tab_length
        self.found = {
            "heading": [i for i, line in enumerate(lines) if _ATX_HEADING.fullmatch(line)],
            "rule": [i for i, line in enumerate(lines) if _HR_LINE.match(line)],
            "quote": [i for i, line in enumerate(lines) if _QUOTE_LINE.match(line)],
            "reference": [i for i, line in enumerate(lines) if _REFERENCE_START.match(line)],
        }
        self.cursor = dict.fromkeys(self.found, 0)
        self.out: list[str] = []
        self.last = "none"  # the last piece: "split" (heading, rule, code...), "whole"

    def pieces(self) -> list[str]:
        self.segment(0, len(self.lines))
        return self.out

    def emit(self, start: int, end: int, kind: str) -> None:
        self.out.append("\n".join(self.lines[start:end]))
        self.last = kind

    def next(self, kind: str, start: int, end: int) -> int | None:
        found, position = self.found[kind], self.cursor[kind]
        while position < len(found) and found[position] < start:
            position += 1
        self.cursor[kind] = position
        return found[position] if position < len(found) and found[position] < end else None

    def segment(self, start: int, end: int) -> None:
        """lines[start:end], parsed as one block."""
        while start < end:
            start = self.split_first(start, end)

    def split_first(self, start: int, end: int) -> int:
        """Split off the first piece(s) of lines[start:end]; where the rest begins."""
        line = self.lines[start]
        if line.startswith(self.indent):
            return self.indented_code(start, end)
        if self.is_table(start, end):
            return self.whole(start, end)
        heading = self.next("heading", start, end)
        if heading is not None:
            return self.split_at(start, heading, heading + 1)
        if start + 1 < end and _SETEXT_UNDERLINE.fullmatch(self.lines[start + 1]):
            return self.split_at(start, start, start + 2)
        rule = self.next("rule", start, end)
        if rule is not None:
            return self.split_at(start, rule, rule + 1)
        if self.starts_list(line):
            return self.whole(start, end)
        quote = self.next("quote", start, end)
        if quote is not None:  # the quote takes the rest
            return self.split_at(start, quote, end, "whole")
        reference = self.reference(start, end)
        if reference is not None:
            return self.split_at(start, *reference)
        return self.whole(start, end)

    def split_at(self, start: int, first: int, after: int, kind: str = "split") -> int:
        """lines[first:after] is a piece of its own, the lines before it a block."""
        if first > start:
            self.segment(start, first)
        self.emit(first, after, kind)
        return after

    def whole(self, start: int, end: int) -> int:
        self.emit(start, end, "whole")
        return end

    def indented_code(self, start: int, end: int) -> int:
        if self.list_may_claim():
            return self.whole(start, end)
        lines = self.lines
        stop = start  # CodeBlockProcessor: indented (or blank) lines
        while stop < end and (lines[stop].startswith(self.indent) or not lines[stop].strip()):
            stop += 1
        self.emit(start, stop, "split")
        return stop

    def list_may_claim(self) -> bool:
        # ListIndentProcessor takes an indented block into a list item when the
        # parent is one or its last child is a list.
        if self.processor.parser.state.isstate("detabbed"):
            return False
        if self.parent.tag == "li" or self.last == "whole":
            return True
        parent = self.parent
        return self.last == "none" and len(parent) > 0 and parent[-1].tag in ("ul", "ol")

    def starts_list(self, line: str) -> bool:
        return any(
            name in self.processors and self.processors[name].test(self.parent, line)
            for name in ("olist", "ulist")
        )

    def is_table(self, start: int, end: int) -> bool:
        if "table" not in self.processors or start + 1 >= end:
            return False
        # The table test reads the first two rows, and a single-column table's rows
        # up to the first without a pipe: give it that much.
        stop = start + 2
        while stop < end and "|" in self.lines[stop]:
            stop += 1
        rows = "\n".join(self.lines[start : min(stop + 1, end)])
        return bool(self.processors["table"].test(self.parent, rows))

    def reference(self, start: int, end: int) -> tuple[int, int] | None:
        """The first link reference definition in lines[start:end]: (first line, after)."""
        if "reference" not in self.processors:
            return None
        pattern = self.processors["reference"].RE
        while (first := self.next("reference", start, end)) is not None:
            # A definition takes up to three lines (label, address, title).
            text = "\n".join(self.lines[first : min(first + 3, end)])
            match = pattern.match(text)
            if match:
                return first, first + 1 + match.group().count("\n")
            start = first + 1
        return None


class _ChunkLongText(Treeprocessor):
    """Hand the inline processor at most INLINE_CHUNK characters at a time.

    Each inline match makes Python-Markdown copy the whole text it is working on,
    so one long paragraph of many matches costs its length squared. Longer text is
    split at a line end (or a space, or after a tag) into <span> pieces, which nh3
    unwraps. No paragraph of prose is that long; a link or emphasis across a cut
    shows as typed.
    """

    def run(self, root: etree.Element) -> None:
        for element in list(root.iter()):
            text = element.text
            if isinstance(text, AtomicString) or not text or len(text) <= INLINE_CHUNK:
                continue
            first, *rest = _chunks(text)
            element.text = first
            for position, chunk in enumerate(rest):
                span = etree.Element("span")
                span.text = chunk
                element.insert(position, span)


def _chunks(text: str) -> list[str]:
    chunks = []
    start = 0
    while len(text) - start > INLINE_CHUNK:
        limit = start + INLINE_CHUNK
        # After a line end, a space, or the end of a tag; else anywhere.
        for separator in ("\n", " ", ">"):
            cut = text.rfind(separator, start + INLINE_CHUNK // 2, limit) + 1
            if cut:
                break
        else:
            cut = limit
        # Never inside one of Python-Markdown's placeholders (STX ... ETX).
        stx = text.rfind("\x02", start, cut)
        if stx > start and text.find("\x03", stx, cut) == -1:
            cut = stx
        chunks.append(text[start:cut])
        start = cut
    chunks.append(text[start:])
    return chunks


class _Toc(TocTreeprocessor):
    def replace_marker(self, root: etree.Element, elem: etree.Element) -> None:
        # The first [TOC] only (each copy would hold every heading again), found
        # in one pass rather than by re-reading every element's text.
        for parent in root.iter():
            for index, child in enumerate(parent):
                text = (child.text or "").strip()
                if child.tag == "p" and len(child) == 0 and text == self.marker:
                    parent[index] = elem
                    return


class _TocExtension(TocExtension):
    TreeProcessorClass = _Toc


# --- The HTML given to nh3 ----------------------------------------------------------


def _rebuild(body: str) -> str:
    builder = _Rebuilder()
    builder.feed(body)
    builder.close()
    return builder.result()


class _Rebuilder(HTMLParser):
    """Re-write the HTML with only the tags nh3 keeps, at most MAX_HTML_DEPTH open at
    once (html5ever, nh3's parser, is quadratic in nesting depth), images checked
    against LESSON_IMAGE_HOSTS and heading ids and in-page links prefixed."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []
        self.skipped: dict[str, int] = {}  # start tags left out, by name, for their end tags
        self.hidden = 0  # inside <script> or <style>
        self.image_hosts = {host.lower() for host in settings.LESSON_IMAGE_HOSTS}

    def result(self) -> str:
        return "".join(self.out + [f"</{tag}>" for tag in reversed(self.open)])

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        tag = "h2" if tag == "h1" else tag  # the page title is the page's only <h1>
        if tag in _DROPPED_WITH_CONTENT:
            self.hidden += 1
            return
        if self.hidden or tag not in _ALLOWED_TAGS:
            return
        kept = self._attributes(tag, attrs)
        if kept is None:  # an image from a host not allowed: its alt text instead
            alt = (dict(attrs).get("alt") or "").strip()
            self.out.append(html.escape(alt, quote=False))
            return
        if tag not in _VOID_TAGS:
            if len(self.open) >= MAX_HTML_DEPTH:
                self.skipped[tag] = self.skipped.get(tag, 0) + 1
                return
            self.open.append(tag)
        self.out.append(f"<{tag}{kept}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID_TAGS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        tag = "h2" if tag == "h1" else tag
        if tag in _DROPPED_WITH_CONTENT:
            self.hidden = max(0, self.hidden - 1)
            return
        if self.hidden or tag not in _ALLOWED_TAGS or tag in _VOID_TAGS:
            return
        if self.skipped.get(tag):
            self.skipped[tag] -= 1
            return
        if tag in self.open:
            while self.open:
                name = self.open.pop()
                self.out.append(f"</{name}>")
                if name == tag:
                    break

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.out.append(html.escape(data, quote=False))

    def _attributes(self, tag: str, attrs: list[tuple[str, str | None]]) -> str | None:
        allowed = _ALLOWED_ATTRIBUTES.get(tag, set())
        kept = []
        for name, value in attrs:
            if name not in allowed or value is None:
                continue
            if name == "id":
                value = _prefixed(value.strip())
                if not value:
                    continue
            elif name == "href" and value.startswith("#") and len(value) > 1:
                value = "#" + _prefixed(value[1:])
            kept.append(f' {name}="{html.escape(value, quote=True)}"')
        if tag == "img" and not self._image_allowed(dict(attrs).get("src") or ""):
            return None
        return "".join(kept)

    def _image_allowed(self, src: str) -> bool:
        # As a browser reads it: tabs and line breaks removed, backslashes are
        # slashes, leading spaces and control characters ignored.
        url = re.sub(r"[\t\n\r]", "", src).strip(" \x00-\x1f").replace("\\", "/")
        if not url:
            return False
        try:
            parts = urlsplit(url)
        except ValueError:  # such as "http://[::1"
            return False
        if not parts.scheme and not parts.netloc and not url.startswith("//"):
            return True  # a relative path: media served with the content
        if parts.scheme.lower() != "https":  # as the page's Content-Security-Policy
            return False
        return (parts.hostname or "").lower() in self.image_hosts


def _prefixed(name: str) -> str:
    if not name or name.startswith(HEADING_ID_PREFIX):
        return name
    return HEADING_ID_PREFIX + name


# --- Videos ------------------------------------------------------------------------

# A video line: "!video[Title](address)" or "!video[Title](address "transcript: path")".
VIDEO_LINE = re.compile(
    r' {0,3}!video\[(?P<title>[^\[\]\n]{1,200})\]\((?P<url>[^\s()"]{1,500})'
    r'(?:[ ]+"(?P<extra>[^"\n]{0,600})")?\)[ \t]*'
)
VIDEO_START = re.compile(r" {0,3}!video\[")
_TRANSCRIPT = re.compile(r"transcript:[ ]*(?P<target>\S{1,500})")
_YOUTUBE_ID = r"(?P<id>[A-Za-z0-9_-]{11})"
_VIMEO_KEY = re.compile(r"[?&]h=(?P<key>[0-9a-f]{1,20})(?:&|#|$)")
# Addresses people copy from the sites, and the players' own addresses.
_VIDEO_ADDRESSES = [
    (
        re.compile(
            r"https://(?:www\.|m\.)?youtube\.com/watch\?(?:[^#]*&)?v="
            + _YOUTUBE_ID
            + r"(?:[&#].*)?"
        ),
        "https://www.youtube-nocookie.com/embed/{id}",
    ),
    (
        re.compile(
            r"https://(?:youtu\.be|(?:www\.)?youtube(?:-nocookie)?\.com/(?:embed|shorts))/"
            + _YOUTUBE_ID
            + r"(?:[?#].*)?"
        ),
        "https://www.youtube-nocookie.com/embed/{id}",
    ),
    (
        re.compile(
            r"https://(?:www\.|player\.)?vimeo\.com/(?:video/)?(?P<id>[0-9]{1,12})"
            r"(?:/(?P<key>[0-9a-f]{1,20}))?(?:[?#].*)?"
        ),
        "https://player.vimeo.com/video/{id}",
    ),
]
VIDEO_SANDBOX = "allow-scripts allow-same-origin allow-presentation"
VIDEO_ALLOW = "fullscreen; picture-in-picture; encrypted-media"


@dataclass(frozen=True)
class Video:
    title: str
    player: str  # the iframe's src, built here
    transcript: str | None  # media/... or an https address


def player_address(url: str) -> str | None:
    """The privacy-enhanced player's address for a YouTube or Vimeo address, or None
    for any other address (or host not in LESSON_VIDEO_HOSTS)."""
    for pattern, template in _VIDEO_ADDRESSES:
        match = pattern.fullmatch(url)
        if match is None:
            continue
        player = template.format(id=match["id"])
        if "vimeo" in player:  # an unlisted Vimeo video's key: /ID/KEY or ?h=KEY
            query = _VIMEO_KEY.search(url)
            key = match["key"] or (query["key"] if query else None)
            if key:
                player += f"?h={key}"
        host = urlsplit(player).hostname
        return player if host in settings.LESSON_VIDEO_HOSTS else None
    return None


def parse_video(line: str) -> Video | str:
    """The video a ``!video[...]`` line shows, or why it shows none."""
    match = VIDEO_LINE.fullmatch(line)
    if match is None:
        return (
            'write a video as !video[Title](https://www.youtube.com/watch?v=ID "transcript: '
            'media/transcript.txt") on a line of its own (the transcript is optional)'
        )
    title = " ".join(match["title"].split())
    if not title:
        return "the video needs a title between the brackets (it names the player)"
    player = player_address(match["url"])
    if player is None:
        return (
            "videos may come from YouTube or Vimeo only (shown through "
            + " and ".join(settings.LESSON_VIDEO_HOSTS)
            + "); give the video's address on youtube.com, youtu.be or vimeo.com"
        )
    transcript = None
    if match["extra"] is not None:
        extra = _TRANSCRIPT.fullmatch(match["extra"].strip())
        if extra is None or not _link_allowed(extra["target"]):
            return 'after the address, give "transcript: media/<file>" or "transcript: https://..."'
        transcript = extra["target"]
    return Video(title, player, transcript)


def _link_allowed(target: str) -> bool:
    return target.startswith("media/") or target.startswith("https://")


class _Videos(Extension):
    """Video lines become markers; put_back turns the markers into players."""

    def __init__(self) -> None:
        super().__init__()
        self.secret = secrets.token_hex(16)  # the text cannot hold what it never saw
        self.found: list[Video] = []

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        # After fenced code is stashed (a video line in a code block stays code).
        md.preprocessors.register(_VideoLines(md, self), "video_lines", 21)

    def marker(self, index: int) -> str:
        return f"video{self.secret}n{index}x"

    def put_back(self, clean: str) -> str:
        """``clean`` with each marker (alone in its paragraph, or elsewhere if Markdown
        put it in a list item) replaced by its player."""
        if not self.found:
            return clean
        secret = re.escape(self.secret)
        marker = re.compile(rf"<p>video{secret}n(\d+)x</p>|video{secret}n(\d+)x")
        return marker.sub(lambda match: self._player(int(match[1] or match[2])), clean)

    def _player(self, index: int) -> str:
        return _player_html(self.found[index]) if index < len(self.found) else ""


class _VideoLines(Preprocessor):
    def __init__(self, md: markdown.Markdown, videos: _Videos):
        super().__init__(md)
        self.videos = videos

    def run(self, lines: list[str]) -> list[str]:
        out: list[str] = []
        for line in lines:
            if not VIDEO_START.match(line):
                out.append(line)
                continue
            # A "<" with no ">" after it was set aside as _LT (_DefuseUnclosedTags).
            video = parse_video(line.replace(_LT, "<"))
            if isinstance(video, str):
                out.append(line)  # shown as typed: the importer names the problem
                continue
            out += ["", self.videos.marker(len(self.videos.found)), ""]
            self.videos.found.append(video)
        return out


def _player_html(video: Video) -> str:
    title = html.escape(video.title, quote=True)
    player = (
        f'<div class="ratio ratio-16x9 lesson-video">'
        f'<iframe src="{html.escape(video.player, quote=True)}" title="{title}" '
        f'loading="lazy" sandbox="{VIDEO_SANDBOX}" allow="{VIDEO_ALLOW}" allowfullscreen '
        f'referrerpolicy="strict-origin-when-cross-origin"></iframe></div>'
    )
    if video.transcript:
        href = html.escape(video.transcript, quote=True)
        rel = ' rel="noopener noreferrer"' if video.transcript.startswith("https://") else ""
        player += (
            f'<p class="lesson-video-transcript"><a href="{href}"{rel}>'
            f"Transcript of the video “{html.escape(video.title, quote=False)}”</a></p>"
        )
    return player


# --- References to media, for the importer -----------------------------------------


@dataclass(frozen=True)
class Reference:
    line: int  # in the text, from 1
    target: str  # the address as written: media/..., https://...
    image: bool = False


@dataclass(frozen=True)
class ReferenceProblem:
    line: int
    message: str


_FENCE = re.compile(r" {0,3}(?:```|~~~)")
_CODE_SPAN = re.compile(r"`+[^`\n]*`+")
_IMAGE = re.compile(r"!\[(?P<alt>[^\[\]\n]*)\](?:\(\s*<?(?P<target>[^\s<>()]*)|\[)")
_LINK_TARGET = re.compile(r"\]\(\s*<?(?P<target>media/[^\s<>()\"]*)")
_DEFINITION = re.compile(r" {0,3}\[[^\]\n]+\]:\s*<?(?P<target>media/[^\s<>\"]*)")


def media_references(text: str) -> tuple[list[Reference], list[ReferenceProblem]]:
    """The media/... files ``text`` links to or shows, with their lines, and its
    problems: images without alt text, video lines that show no video. Lines in
    fenced code and code spans are not read (they show as typed)."""
    references: list[Reference] = []
    problems: list[ReferenceProblem] = []
    for number, line in _lines_outside_fences(text):
        if VIDEO_START.match(line):
            _video_references(number, line, references, problems)
        else:
            _line_references(number, _CODE_SPAN.sub("", line), references, problems)
    return references, problems


def _lines_outside_fences(text: str) -> Iterator[tuple[int, str]]:
    """(number, line) for each line outside fenced code (and not a fence)."""
    in_fence = False
    for number, line in enumerate(text.split("\n"), start=1):
        if _FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence:
            yield number, line


def _video_references(
    number: int, line: str, references: list[Reference], problems: list[ReferenceProblem]
) -> None:
    video = parse_video(line)
    if isinstance(video, str):
        problems.append(ReferenceProblem(number, video))
    elif video.transcript and video.transcript.startswith("media/"):
        references.append(Reference(number, video.transcript))


def _line_references(
    number: int, line: str, references: list[Reference], problems: list[ReferenceProblem]
) -> None:
    """The images, links and reference definitions of one line (code spans removed)."""
    for match in _IMAGE.finditer(line):
        if not match["alt"].strip():
            shown = match["target"] or "an image"
            problems.append(
                ReferenceProblem(
                    number,
                    f"the image {shown} has no alt text: write what it shows between "
                    "the brackets, ![A till receipt](media/receipt.png)",
                )
            )
        if (match["target"] or "").startswith("media/"):
            references.append(Reference(number, match["target"], image=True))
    for match in _LINK_TARGET.finditer(line):
        if not _closes_image(line, match.start()):
            references.append(Reference(number, match["target"]))
    if match := _DEFINITION.match(line):
        references.append(Reference(number, match["target"]))


def _closes_image(line: str, bracket: int) -> bool:
    """Whether the "](" at ``bracket`` closes an image's alt text (counted above)."""
    opening = line.rfind("[", 0, bracket)
    return opening > 0 and line[opening - 1] == "!"


# --- Media links in the rendered HTML ---------------------------------------------

# A tag as nh3 writes it: attribute values in double quotes, with any " in them
# escaped, so ' src="' inside a tag always starts an attribute (text, where quotes
# are not escaped, never holds a raw "<").
_MEDIA_TAG = re.compile(r'<(?:img|a)(?:\s+[a-z-]+="[^"]*")*\s*/?>')
_MEDIA_ATTRIBUTE = re.compile(r'(?P<name>\s(?:src|href))="(?P<path>media/[^"?#]*)"')


def link_media(clean: str, urls: Mapping[str, str]) -> str:
    """``clean`` (rendered HTML) with ``src``/``href`` values ``media/<name>`` that are in
    ``urls`` replaced by their served address; others are left as they are."""
    if "media/" not in clean or not urls:
        return clean

    def attribute(match: re.Match[str]) -> str:
        url = urls.get(html.unescape(match["path"]))
        if url is None:
            return match.group()
        return f'{match["name"]}="{html.escape(url, quote=True)}"'

    return _MEDIA_TAG.sub(lambda tag: _MEDIA_ATTRIBUTE.sub(attribute, tag.group()), clean)
