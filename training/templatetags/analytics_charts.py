"""Charts for the analytics page, drawn as SVG on the server.

The tags work out the geometry in Python and hand plain strings to small templates
(``training/charts/``), so every label is escaped by the template engine like any
other text. No inline style attributes (the Content-Security-Policy allows none):
colours come from classes in ``static/css/analytics.css``. Each chart is an
``role="img"`` with a title; the numbers are also in a table beside it.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from django import template
from django.utils.translation import gettext as _

from training.analytics import Bin, format_duration

register = template.Library()

# Every chart is drawn in a 400-unit-wide viewBox and scaled to the page's width.
WIDTH = 400
# Horizontal bars: a label column, the bar, and its figure on the right.
LABEL_WIDTH = 44
FIGURE_WIDTH = 96
ROW = 24
BAR = 16
# The histogram: a plot area above a row of bin labels.
PLOT_TOP = 18
PLOT_HEIGHT = 150
HISTOGRAM_HEIGHT = PLOT_TOP + PLOT_HEIGHT + 22


def _number(value: float) -> str:
    # Geometry as text, never localised: SVG wants "12.5", whatever the locale.
    return f"{value:.1f}"


@dataclass(frozen=True)
class HBar:
    """One row of a horizontal bar chart, as data: ``value`` over ``maximum``, on a
    lighter ``track`` (e.g. lesson opened, behind completed; 100% behind correct)."""

    label: str
    value: float
    track: float
    text: str
    css: str = ""


@register.inclusion_tag("training/charts/hbars.html")
def hbar_chart(
    chart_id: str,
    title: str,
    description: str,
    bars: Sequence[HBar],
    maximum: float,
    suffix: object = "",
) -> dict:
    """``chart_id`` + ``suffix`` is the id its title and description are named by."""
    span = WIDTH - LABEL_WIDTH - FIGURE_WIDTH

    def width(value: float) -> str:
        return _number(span * value / maximum if maximum else 0)

    rows = [
        {
            "label": bar.label,
            "text": bar.text,
            "css": bar.css,
            "y": _number(index * ROW + (ROW - BAR) / 2),
            "text_y": _number(index * ROW + ROW / 2 + 4),
            "width": width(bar.value),
            "track": width(bar.track),
        }
        for index, bar in enumerate(bars)
    ]
    return {
        "id": f"{chart_id}{suffix}",
        "title": title,
        "description": description,
        "rows": rows,
        "height": max(len(rows), 1) * ROW,
        "width": WIDTH,
        "bar_x": LABEL_WIDTH,
        "bar_height": BAR,
        "figure_x": WIDTH - 2,
    }


@register.inclusion_tag("training/charts/histogram.html")
def histogram_chart(
    chart_id: str, title: str, description: str, bins: Sequence[Bin], suffix: object = ""
) -> dict:
    highest = max((b.count for b in bins), default=0)
    slot = WIDTH / max(len(bins), 1)
    columns = []
    for index, b in enumerate(bins):
        height = PLOT_HEIGHT * b.count / highest if highest else 0
        columns.append(
            {
                "bin": b,
                "x": _number(index * slot + 3),
                "width": _number(slot - 6),
                "y": _number(PLOT_TOP + PLOT_HEIGHT - height),
                "height": _number(height),
                "middle": _number(index * slot + slot / 2),
                "count_y": _number(PLOT_TOP + PLOT_HEIGHT - height - 4),
            }
        )
    return {
        "id": f"{chart_id}{suffix}",
        "title": title,
        "description": description,
        "columns": columns,
        "width": WIDTH,
        "height": HISTOGRAM_HEIGHT,
        "axis_y": _number(PLOT_TOP + PLOT_HEIGHT),
        "label_y": _number(PLOT_TOP + PLOT_HEIGHT + 16),
    }


@register.simple_tag
def funnel_bars(funnel) -> list[HBar]:
    """The course funnel as bars: completed over opened, per lesson."""
    return [
        HBar(
            label=_("L%(number)s") % {"number": lesson.position},
            value=lesson.completed,
            track=lesson.opened,
            text=_("%(completed)s of %(opened)s")
            % {"completed": lesson.completed, "opened": lesson.opened},
        )
        for lesson in funnel
    ]


@register.simple_tag
def question_bars(questions) -> list[HBar]:
    """Percent correct per question, flagged questions in another colour."""
    return [
        HBar(
            label=_("Q%(number)s") % {"number": index},
            value=question.percent_correct or 0,
            track=100,
            text="–" if question.percent_correct is None else f"{question.percent_correct:.0f}%",
            css="chart-bar-flagged" if question.flags else "",
        )
        for index, question in enumerate(questions, start=1)
    ]


@register.filter
def duration(value: timedelta | None) -> str:
    return format_duration(value)
