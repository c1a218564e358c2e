"""Properties of the engine over the default scheme and over any valid generated scheme."""

from __future__ import annotations

import json
from typing import Any

import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from socmaster.morile import Scheme, default_scheme, load_scheme, score

ZERO_UP = st.floats(min_value=0, max_value=100, allow_nan=False, allow_infinity=False)
POSITIVE = st.floats(min_value=0.01, max_value=10, allow_nan=False, allow_infinity=False)


def _answers(values: st.SearchStrategy[float]) -> st.SearchStrategy[list[dict[str, Any]]]:
    return st.lists(values, min_size=1, max_size=5).map(
        lambda vs: [{"key": f"a{i}", "label": f"Answer {i}", "value": v} for i, v in enumerate(vs)]
    )


def _factor(key: str, group: str, role: str, values: st.SearchStrategy[float]):
    return _answers(values).map(
        lambda answers: {
            "key": key,
            "label": key.replace("_", " ").capitalize(),
            "help": f"Help for {key}.",
            "group": group,
            "role": role,
            "answers": answers,
        }
    )


@st.composite
def scheme_dicts(draw: st.DrawFn) -> dict[str, Any]:
    """A valid scheme as data: any number of impact and position factors, any combination rule."""
    n_impacts = draw(st.integers(1, 5))
    n_positions = draw(st.integers(1, 5))
    factors = [draw(_factor(f"impact_{i}", "harm", "impact", ZERO_UP)) for i in range(n_impacts)]
    factors += [
        draw(_factor("scope", "harm", "scope", POSITIVE)),
        draw(_factor("victim_vulnerability", "harm", "vulnerability", POSITIVE)),
        draw(_factor("likelihood", "likelihood", "likelihood", POSITIVE)),
        draw(_factor("confidence", "confidence", "confidence", POSITIVE)),
    ]
    factors += [
        draw(
            _factor(
                f"position_{i}",
                "organisational_position",
                "position",
                ZERO_UP.map(lambda v: v / 10),
            )
        )
        for i in range(n_positions)
    ]
    combination: dict[str, Any] = {
        "impact": draw(st.sampled_from(["max", "sum", "mean"])),
        "position_base": draw(POSITIVE),
        "position_weight": draw(st.floats(0, 1, allow_nan=False)),
    }
    if draw(st.booleans()):
        weights = {
            f"impact_{i}": draw(st.floats(0.1, 3, allow_nan=False)) for i in range(n_impacts)
        }
        combination["impact_weights"] = weights
    mins = sorted(
        draw(st.lists(st.floats(0.01, 1e6, allow_nan=False), min_size=4, max_size=4, unique=True))
    )
    tiers = [{"tier": i + 1, "min": m} for i, m in enumerate(reversed(mins))] + [
        {"tier": 5, "min": 0}
    ]
    return {
        "name": draw(st.text(min_size=1, max_size=20).filter(str.strip)).strip(),
        "version": draw(st.from_regex(r"[0-9]{1,3}(\.[0-9]{1,2})?", fullmatch=True)),
        "label": "Generated scheme",
        "description": draw(st.text(max_size=40)),
        "factors": factors,
        "combination": combination,
        "tiers": tiers,
    }


def answer_sets(scheme: Scheme) -> st.SearchStrategy[dict[str, str]]:
    """A complete, valid set of answers to ``scheme``."""
    return st.fixed_dictionaries(
        {f.key: st.sampled_from([a.key for a in f.answers]) for f in scheme.factors}
    )


SCHEMES = st.one_of(st.just(default_scheme()), scheme_dicts().map(load_scheme))
RAISABLE = ("impact", "scope", "vulnerability", "likelihood")


@settings(max_examples=100, deadline=None)
@given(data=scheme_dicts())
def test_any_valid_scheme_round_trips_unchanged(data):
    scheme = load_scheme(data)
    assert scheme.to_dict() == data
    assert load_scheme(scheme.to_json()).to_dict() == data
    assert load_scheme(json.loads(json.dumps(data))) == scheme
    assert load_scheme(yaml.safe_dump(data)) == scheme


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_raising_a_harm_answer_never_lowers_risk_priority_or_tier(data):
    scheme = data.draw(SCHEMES)
    answers = data.draw(answer_sets(scheme))
    factor = data.draw(st.sampled_from([f for f in scheme.factors if f.role in RAISABLE]))
    current = factor.answer(answers[factor.key])
    higher = [a for a in factor.answers if a.value > current.value]
    assume(higher)
    raised_to = data.draw(st.sampled_from(higher))
    before = score(scheme, answers)
    after = score(scheme, {**answers, factor.key: raised_to.key})
    assert after.risk >= before.risk
    assert after.priority >= before.priority
    assert after.tier <= before.tier  # Tier 1 is the highest priority


def _bucket(scheme: Scheme, value: float) -> int:
    mins = {t.tier: t.min for t in scheme.tiers}
    return next(t for t in (1, 2, 3, 4, 5) if value >= mins[t] and (t == 1 or value < mins[t - 1]))


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_tier_is_the_threshold_bucket_of_the_priority(data):
    scheme = data.draw(SCHEMES)
    result = score(scheme, data.draw(answer_sets(scheme)))
    assert result.tier == _bucket(scheme, result.priority)
    assert result.figure("tier").value == result.tier
    assert json.loads(json.dumps(result.to_dict()))["tier"] == result.tier


@settings(max_examples=200, deadline=None)
@given(
    scheme=SCHEMES,
    low=st.floats(0, 2e6, allow_nan=False),
    high=st.floats(0, 2e6, allow_nan=False),
)
def test_a_higher_score_never_gives_a_lower_priority_tier(scheme, low, high):
    low, high = sorted((low, high))
    assert scheme.tier_for(low) == _bucket(scheme, low)
    assert scheme.tier_for(high) <= scheme.tier_for(low)
