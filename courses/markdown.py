"""Markdown to safe HTML, done once when content is saved, never per request."""

import re

import markdown
import nh3

_EXTENSIONS = ["tables", "fenced_code", "sane_lists", "toc"]
_EXTENSION_CONFIGS = {"toc": {"permalink": False}}

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

# The page title is the page's only <h1>, so a top-level heading in the body
# is demoted; the rest of the outline keeps its levels.
_H1 = re.compile(r"<(/?)h1(\s|>)")


def render_markdown(text: str) -> str:
    """Render lesson Markdown (tables, fenced code, heading anchors) and sanitise it.

    Scripts, event handlers, ``javascript:`` links and iframes are removed by nh3,
    whatever the Markdown contains.
    """
    html = markdown.markdown(
        text, extensions=_EXTENSIONS, extension_configs=_EXTENSION_CONFIGS, output_format="html"
    )
    html = _H1.sub(r"<\1h2\2", html)
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        filter_style_properties={"text-align"},
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
