"""Column charts for the compliance reports, drawn as SVG on the server like the
analytics page's (training/templatetags/analytics_charts.py): geometry worked out
here, labels escaped by the template, colours from static/css/analytics.css classes
(no inline styles: the Content-Security-Policy allows none). Each chart is a
``role="img"`` with a title and description; its numbers are in a table beside it."""

from collections.abc import Sequence

from django import template

register = template.Library()

WIDTH = 400
PLOT_TOP = 16
PLOT_HEIGHT = 140
HEIGHT = PLOT_TOP + PLOT_HEIGHT + 22


def _number(value: float) -> str:
    return f"{value:.1f}"  # SVG geometry, never localised


@register.inclusion_tag("compliance/charts/columns.html")
def column_chart(
    chart_id: str,
    title: str,
    description: str,
    labels: Sequence[str],
    values: Sequence[float | None],
    maximum: float | None = None,
    every: int = 1,
) -> dict:
    """One column per value (None: a gap); every ``every``-th label is written."""
    highest = maximum or max((v for v in values if v is not None), default=0) or 1
    slot = WIDTH / max(len(values), 1)
    columns = []
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        height = PLOT_HEIGHT * (value or 0) / highest
        columns.append(
            {
                "x": _number(index * slot + 1),
                "width": _number(max(slot - 2, 1)),
                "y": _number(PLOT_TOP + PLOT_HEIGHT - height),
                "height": _number(height),
                "middle": _number(index * slot + slot / 2),
                "label": label if index % every == 0 else "",
                "anchor": "start"
                if index == 0
                else "end"
                if index == len(values) - 1
                else "middle",
                "label_x": _number(
                    0
                    if index == 0
                    else WIDTH
                    if index == len(values) - 1
                    else index * slot + slot / 2
                ),
                "missing": value is None,
            }
        )
    return {
        "id": chart_id,
        "title": title,
        "description": description,
        "columns": columns,
        "width": WIDTH,
        "height": HEIGHT,
        "axis_y": _number(PLOT_TOP + PLOT_HEIGHT),
        "label_y": _number(PLOT_TOP + PLOT_HEIGHT + 16),
        "top_label": _number(PLOT_TOP - 4),
        "maximum": f"{highest:g}",
    }
