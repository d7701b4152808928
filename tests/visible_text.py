"""What a person reads on a page: its visible text, for tests.

Tags, attributes, HTML comments and the contents of ``<script>``, ``<style>`` and
``<template>`` are left out; character references are decoded. Parsed with
Python's ``html.parser``, so markup inside attribute values or scripts never
counts as text.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser

# Elements whose content is never shown as text (``<noscript>``'s is, without
# JavaScript, so it counts).
HIDDEN = frozenset({"script", "style", "template"})
# Template syntax that must never reach a page: Django's comment, tag and variable
# delimiters (a template comment that spans lines is printed as it is).
TEMPLATE_SYNTAX = ("{#", "#}", "{%", "%}", "{{", "}}")


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in HIDDEN:
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    """The page's text as a reader sees it, whitespace collapsed to single spaces."""
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    return " ".join(" ".join(parser.parts).split())


def without_json(text: str) -> str:
    """The text with every JSON object in it left out: an example such as the
    admin's help text ``{"q1": {"prompt": "…"}}`` ends in ``}}`` and is data, not a
    template variable (``{{ name }}`` is never valid JSON)."""
    decoder = json.JSONDecoder()
    kept, index = [], 0
    while (start := text.find("{", index)) >= 0:
        try:
            _value, end = decoder.raw_decode(text, start)
        except ValueError:
            kept.append(text[index : start + 1])
            index = start + 1
        else:
            kept.append(text[index:start])
            index = end
    kept.append(text[index:])
    return "".join(kept)


def template_syntax_in(html: str) -> list[str]:
    """Each piece of template syntax in the visible text, with a little context."""
    text = without_json(visible_text(html))
    found = []
    for token in TEMPLATE_SYNTAX:
        start = text.find(token)
        if start >= 0:
            found.append(repr(text[max(0, start - 30) : start + 50]))
    return found


def is_html(response) -> bool:
    return response.get("Content-Type", "").startswith("text/html") and not getattr(
        response, "streaming", False
    )
