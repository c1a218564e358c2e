"""Bar charts drawn as tables: each figure in text beside a bar of its share of the largest."""

from __future__ import annotations

import re

from django.template.loader import render_to_string

from socmaster.core.templatetags.charts import bar_table


def test_bars_are_the_share_of_the_largest_in_steps_of_five():
    context = bar_table([{"label": "Major", "n": 40}, {"label": "Minor", "n": 10}], "Category")
    assert [r["step"] for r in context["rows"]] == [100, 25]  # 10/40 = 25%
    assert bar_table([{"label": "None", "n": 0}], "Category")["rows"][0]["step"] == 0


def test_the_table_carries_every_figure_and_needs_no_inline_style():
    html = render_to_string(
        "core/_bar_table.html",
        bar_table([{"label": "Arrest", "n": 12}, {"label": "Cash seizure", "n": 3}], "Tactic", "t"),
    )
    assert 'data-testid="t"' in html and "style=" not in html
    rows = re.findall(r'<th scope="row"[^>]*>([^<]+)</th><td[^>]*>(\d+)</td>.*?sm-w-(\d+)', html)
    assert rows == [("Arrest", "12", "100"), ("Cash seizure", "3", "25")]
    empty = render_to_string("core/_bar_table.html", bar_table([], "Tactic"))
    assert "None in this period." in empty
