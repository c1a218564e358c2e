"""Organisational position is combined as the scheme says: the average of the position answers,
turned into a modifier by the scheme's position_base and position_weight; not the highest answer.

The answers below differ from one position factor to the next, so the average, the highest and
the lowest answer give different priorities. Every figure is worked out by hand from
schemes/default-v1.json:

    physical harm 'Serious' 8 (the other impacts 'None' 0): impact 8
    harm  = 8 x scope 'Regional' 2 x vulnerability 'Highly vulnerable victims' 2 = 32
    risk  = 32 x likelihood 'Likely' 4 = 128
    confidence 'High' 1
"""

from __future__ import annotations

import pytest

from socmaster.morile import default_scheme, load_scheme, score

SCHEME = default_scheme()

BASE = {
    "physical": "serious",
    "psychological": "none",
    "financial": "none",
    "community": "none",
    "environmental": "none",
    "scope": "regional",
    "victim_vulnerability": "highly",
    "likelihood": "likely",
    "confidence": "high",
}
POSITION_KEYS = ("capacity", "capability", "opportunity", "partnership", "public_expectation")


def answers(*positions: str) -> dict[str, str]:
    assert len(positions) == len(POSITION_KEYS)
    return {**BASE, **dict(zip(POSITION_KEYS, positions, strict=True))}


def figures(result) -> dict[str, float]:
    return {f.key: f.value for f in result.figures}


def test_the_risk_the_cases_below_start_from():
    values = figures(score(SCHEME, answers(*["medium"] * 5)))
    assert (values["harm"], values["risk"], values["confidence"]) == (32, 128, 1)


# position answers -> (position, modifier, priority, tier), by hand.
# Values: Very low 0, Low 1, Medium 2, High 3, Very high 4. modifier = 0.8 + 0.1 x position.
# "highest" gives what taking the highest answer would wrongly give.
CASES = {
    # 4, 0, 0, 0, 1 -> average 1; the highest (4) would give 1.2, 153.6, Tier 2
    "one_very_high": (
        ("very_high", "very_low", "very_low", "very_low", "low"),
        (1, 0.9, 115.2, 3),
    ),
    # 4, 4, 0, 0, 0 -> average 1.6; the lowest (0) would give 0.8, 102.4, Tier 3
    "two_very_high": (
        ("very_high", "very_high", "very_low", "very_low", "very_low"),
        (1.6, 0.96, 122.88, 2),
    ),
    # 0, 3, 1, 2, 4 -> average 2; the highest would give 1.2, 153.6
    "one_of_each": (
        ("very_low", "high", "low", "medium", "very_high"),
        (2, 1.0, 128, 2),
    ),
    # 1, 0, 0, 0, 0 -> average 0.2
    "one_low": (
        ("low", "very_low", "very_low", "very_low", "very_low"),
        (0.2, 0.82, 104.96, 3),
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_position_is_the_average_of_the_answers(case):
    positions, (position, modifier, priority, tier) = CASES[case]
    result = score(SCHEME, answers(*positions))
    values = figures(result)
    assert values["position"] == position
    assert values["position_modifier"] == modifier
    assert values["priority"] == priority
    assert result.tier == tier


def test_the_explanation_says_average_and_names_every_answer():
    result = score(SCHEME, answers("very_high", "very_low", "very_low", "very_low", "low"))
    text = "\n".join(result.explanation)
    assert (
        "Organisational position 1 is the average of: Capacity 'Very high' 4, "
        "Capability 'Very low' 0, Opportunity 'Very low' 0, Partnership 'Very low' 0, "
        "Public expectation 'Low' 1." in text
    )
    assert "Position modifier 0.9 = 0.8 + 0.1 × position 1." in text
    assert (
        "Priority 115.2 = risk 128 × confidence 1 (High: recent, corroborated information)"
        " × position modifier 0.9." in text
    )
    assert "Tier 3: priority 115.2 reaches the Tier 3 threshold of 50" in text


def test_the_order_of_the_answers_does_not_matter():
    one = score(SCHEME, answers("very_high", "very_low", "very_low", "very_low", "low"))
    other = score(SCHEME, answers("very_low", "low", "very_low", "very_high", "very_low"))
    assert figures(one)["priority"] == figures(other)["priority"] == 115.2


def test_the_modifier_uses_the_schemes_base_and_weight():
    data = SCHEME.to_dict()
    data["combination"].update(position_base=0.5, position_weight=0.2)
    result = score(
        load_scheme(data), answers("very_high", "very_low", "very_low", "very_low", "low")
    )
    values = figures(result)
    # average 1 -> 0.5 + 0.2 x 1 = 0.7; 128 x 1 x 0.7 = 89.6, Tier 3
    assert (values["position"], values["position_modifier"], values["priority"]) == (1, 0.7, 89.6)
    assert result.tier == 3


def test_a_scheme_with_two_position_factors_averages_those_two():
    data = SCHEME.to_dict()
    data["factors"] = [f for f in data["factors"] if f["key"] not in POSITION_KEYS[2:]]
    scheme = load_scheme(data)
    result = score(scheme, {**BASE, "capacity": "very_high", "capability": "low"})
    values = figures(result)
    # (4 + 1) / 2 = 2.5 -> 0.8 + 0.25 = 1.05; 128 x 1.05 = 134.4, Tier 2
    assert (values["position"], values["position_modifier"], values["priority"]) == (
        2.5,
        1.05,
        134.4,
    )
    assert result.tier == 2
