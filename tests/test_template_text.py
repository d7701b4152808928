"""No template text reaches a page (issue 20): Django's ``{# #}`` comment is one line
only, so a comment over two lines is printed as it is. The URL x role walks of
tests/test_permissions.py check every page's visible text; this checks the helper
they use and every template's source, emails included."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.template import Context, Template

from tests.visible_text import template_syntax_in, visible_text

ROOT = Path(settings.BASE_DIR)
SKIP = {".venv", "node_modules", "staticfiles", ".git"}


def project_templates() -> list[Path]:
    found = []
    for pattern in ("**/templates/**/*.html", "**/templates/**/*.txt"):
        found += [
            path
            for path in ROOT.glob(pattern)
            if not SKIP.intersection(path.relative_to(ROOT).parts)
        ]
    return sorted(found)


def test_a_comment_over_two_lines_is_caught_in_the_visible_text():
    page = Template("<p>Hello</p>{# one\n two #}<p>{{ name }}</p>").render(Context({"name": "x"}))
    shown = repr("Hello {# one two #} x")
    assert template_syntax_in(page) == [shown, shown]  # its {# and its #}


def test_markup_scripts_attributes_and_json_are_not_visible_text():
    html = (
        '<title>T</title><style>a{}</style><script>let a = "{{";</script>'
        '<div title="{% x %}">Seen &amp; read</div><!-- {# -->'
        '<p>By question id: {"q1": {"prompt": "…", "accept": ["…"]}}.</p>'
    )
    assert visible_text(html).startswith("T Seen & read By question id:")
    assert template_syntax_in(html) == []


def test_no_template_has_a_comment_over_more_than_one_line():
    templates = project_templates()
    assert len(templates) > 50
    problems = []
    for path in templates:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            # Every {# on a line must be closed on that line.
            if re.search(r"\{#(?![^\n]*#\})", line):
                problems.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:80]}")
    assert not problems, "use {% comment %} for comments over several lines:\n" + "\n".join(
        problems
    )
