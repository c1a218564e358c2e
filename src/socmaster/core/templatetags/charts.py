"""Bar charts drawn as tables (no script): each row's figure and a bar of its share of the
largest, so the picture and its text alternative are one element."""

from __future__ import annotations

from django import template

register = template.Library()


@register.inclusion_tag("core/_bar_table.html")
def bar_table(rows, caption: str, testid: str = "", value_label: str = "Number"):
    """``rows`` are dicts with ``label`` and ``n``; the longest bar is the largest ``n``."""
    rows = list(rows)
    largest = max((r["n"] for r in rows), default=0)
    shown = [
        # in steps of 5%, as classes: the Content-Security-Policy allows no inline style
        {**r, "step": 5 * round(20 * r["n"] / largest) if largest else 0}
        for r in rows
    ]
    return {"rows": shown, "caption": caption, "testid": testid, "value_label": value_label}
