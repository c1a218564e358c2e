"""The waterfall chart of a candidate match's explanation, as geometry for an inline SVG.

The explanation is the prior match weight followed by each comparison's weight (``engine.explain``);
each bar starts where the running total ended, green when it adds evidence for a match and red
when it takes it away, and the last bar is the total. The page draws the bars from this and
shows the same figures in a table beside it.
"""

from __future__ import annotations

import math

WIDTH = 640
ROW = 26
LABEL = 210
PAD = 12

NAMES = {
    "prior": "Before any comparison",
    "first_name": "First name",
    "middle_name": "Middle name",
    "surname": "Surname",
    "dob": "Date of birth",
    "suffix": "Suffix (Jr, Sr)",
    "postcode": "Postcode",
    "phone": "Phone",
    "gender": "Gender",
}


def comparison_name(key: str) -> str:
    return NAMES.get(key, key.replace("_", " ").capitalize())


def waterfall(explanation: list[dict], total: float) -> dict:
    steps = [
        {"name": comparison_name(s["comparison"]), "label": s["label"], "weight": s["weight"]}
        for s in explanation
    ]
    running, ends = 0.0, [0.0]
    for step in steps:
        step["start"] = running
        running += step["weight"]
        step["end"] = running
        ends.append(running)
    low = math.floor(min(*ends, total, 0.0))
    high = math.ceil(max(*ends, total, 0.0))
    span = max(high - low, 1)
    plot = WIDTH - LABEL - PAD

    def x(value: float) -> float:
        return round(LABEL + (value - low) / span * plot, 1)

    bars = []
    for n, step in enumerate([*steps, {"name": "Total", "label": "", "weight": total}]):
        total_bar = n == len(steps)
        start, end = (0.0, total) if total_bar else (step["start"], step["end"])
        left, right = sorted((x(start), x(end)))
        bars.append(
            {
                **step,
                "y": PAD + n * ROW,
                "x": left,
                "width": max(right - left, 1.0),
                "kind": "total" if total_bar else "for" if step["weight"] >= 0 else "against",
                "text_x": right + 4,
            }
        )
    tick_step = max(1, span // 8)
    ticks = [{"x": x(v), "value": v} for v in range(low, high + 1, tick_step)]
    height = PAD * 2 + len(bars) * ROW + 18
    return {
        "bars": bars,
        "ticks": ticks,
        "zero": x(0.0),
        "axis_left": ticks[0]["x"],
        "axis_right": ticks[-1]["x"],
        "width": WIDTH,
        "height": height,
        "axis_y": height - 18,
        "label_x": LABEL - 8,
    }
