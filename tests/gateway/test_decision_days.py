"""The gateway's decision limits from settings: the environment's "urgency=days" form, a dict,
and defaults for what either leaves out or gets wrong."""

from __future__ import annotations

import pytest

from socmaster.gateway import services


@pytest.mark.parametrize(
    "configured, expected",
    [
        ("", {"immediate": 1, "urgent": 3, "routine": 14}),
        ("immediate=2,urgent=5,routine=10", {"immediate": 2, "urgent": 5, "routine": 10}),
        (" routine = 21 ", {"immediate": 1, "urgent": 3, "routine": 21}),
        ("routine=soon,unknown=4,urgent=", {"immediate": 1, "urgent": 3, "routine": 14}),
        ({"urgent": 7}, {"immediate": 1, "urgent": 7, "routine": 14}),
    ],
)
def test_decision_days_read_from_settings(settings, configured, expected):
    settings.SOCMASTER = {**settings.SOCMASTER, "GATEWAY_DECISION_DAYS": configured}
    assert services.decision_days() == expected
