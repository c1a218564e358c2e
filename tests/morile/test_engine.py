"""The pure MoRiLE engine: scheme validation, scoring, explanations and properties."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socmaster.morile import AnswerError, SchemeError, default_scheme, load_scheme, score

SCHEME = default_scheme()
IMPACTS = [f for f in SCHEME.factors if f.role == "impact"]


def answers_strategy():
    return st.fixed_dictionaries({f.key: st.sampled_from([a.key for a in f.answers]) for f in SCHEME.factors})


def test_default_scheme_loads_and_says_it_is_not_official():
    assert SCHEME.name == "socmaster-default" and len(SCHEME.tiers) == 5
    assert "not an official national MoRiLE scale" in SCHEME.description
    assert {f.group for f in SCHEME.factors} == {"harm", "likelihood", "confidence", "organisational_position"}


def test_score_explains_every_figure_with_answer_labels():
    answers = {f.key: f.answers[-1].key for f in SCHEME.factors}
    answers["physical"] = "serious"
    result = score(SCHEME, answers)
    keys = [f.key for f in result.figures]
    for key in ("impact", "harm", "risk", "confidence", "position", "priority"):
        assert key in keys
    text = "\n".join(result.explanation)
    assert "Physical harm: 'Serious' scores 8" in text
    assert "Harm" in text and "× scope" in text and f"Tier {result.tier}" in text
    assert json.loads(json.dumps(result.to_dict()))["tier"] == result.tier


def test_all_answer_problems_are_reported_at_once():
    answers = {f.key: f.answers[0].key for f in SCHEME.factors}
    del answers["physical"]
    answers["likelihood"] = "every-day"
    answers["colour"] = "blue"
    with pytest.raises(AnswerError) as exc:
        score(SCHEME, answers)
    problems = exc.value.problems
    assert len(problems) == 3
    assert any(p.startswith("physical:") for p in problems)
    assert any("'every-day' is not an allowed answer" in p for p in problems)
    assert any(p.startswith("colour:") for p in problems)


def test_every_scheme_error_is_reported_at_once():
    bad = copy.deepcopy(SCHEME.to_dict())
    bad["name"] = ""
    bad["factors"][0]["group"] = "mystery"
    bad["factors"][1]["key"] = bad["factors"][2]["key"]
    bad["factors"][3]["answers"][0]["value"] = "high"
    bad["combination"]["impact"] = "median"
    bad["tiers"][1]["min"] = 500
    with pytest.raises(SchemeError) as exc:
        load_scheme(bad)
    errors = "\n".join(exc.value.errors)
    assert len(exc.value.errors) >= 6
    for fragment in ("'name' is required", "unknown group 'mystery'", "duplicate factor key", "is not a number",
                     "unknown impact method 'median'", "fall strictly"):
        assert fragment in errors


def test_yaml_and_json_text_load():
    import yaml

    assert load_scheme(yaml.safe_dump(SCHEME.to_dict())).to_dict() == SCHEME.to_dict()
    assert load_scheme(SCHEME.to_json()).to_dict() == SCHEME.to_dict()
    with pytest.raises(SchemeError):
        load_scheme("[1, 2")


PROFILES = {
    # (highest impact, scope, vulnerability, likelihood, confidence, position answer) -> expected tier
    ("critical", "national", "highly", "almost_certain", "high", "high"): 1,
    ("serious", "regional", "highly", "likely", "high", "medium"): 2,
    ("serious", "regional", "some", "likely", "medium", "medium"): 3,
    ("moderate", "force", "some", "possible", "medium", "medium"): 4,
    ("minor", "local", "not_vulnerable", "unlikely", "low", "low"): 5,
}


@pytest.mark.parametrize(("profile", "tier"), PROFILES.items())
def test_realistic_profiles_spread_over_the_tiers(profile, tier):
    impact, scope, vulnerability, likelihood, confidence, position = profile
    answers = {f.key: "none" for f in IMPACTS}
    answers["physical"] = impact
    answers.update(scope=scope, victim_vulnerability=vulnerability, likelihood=likelihood, confidence=confidence)
    answers.update({f.key: position for f in SCHEME.factors if f.role == "position"})
    assert score(SCHEME, answers).tier == tier


@settings(max_examples=150, deadline=None)
@given(answers=answers_strategy(), factor=st.sampled_from(IMPACTS + [SCHEME.factor("scope"),
                                                                      SCHEME.factor("victim_vulnerability")]))
def test_raising_a_harm_answer_never_lowers_the_score(answers, factor):
    base = score(SCHEME, answers)
    current = factor.answer(answers[factor.key])
    for higher in (a for a in factor.answers if a.value > current.value):
        raised = score(SCHEME, {**answers, factor.key: higher.key})
        assert raised.priority >= base.priority
        assert raised.tier <= base.tier  # Tier 1 is the highest priority


@settings(max_examples=150, deadline=None)
@given(answers=answers_strategy())
def test_tier_respects_thresholds(answers):
    result = score(SCHEME, answers)
    threshold = {t.tier: t.min for t in SCHEME.tiers}
    assert result.priority >= threshold[result.tier]
    if result.tier > 1:
        assert result.priority < threshold[result.tier - 1]


@settings(max_examples=60, deadline=None)
@given(
    mins=st.lists(st.integers(min_value=1, max_value=10_000), min_size=4, max_size=4, unique=True),
    impact=st.sampled_from(["max", "sum", "mean"]),
    weight=st.floats(min_value=0, max_value=1, allow_nan=False),
)
def test_scheme_round_trips_through_json(mins, impact, weight):
    data = SCHEME.to_dict()
    ordered = sorted(mins, reverse=True)
    data["tiers"] = [{"tier": i + 1, "min": float(m)} for i, m in enumerate(ordered)] + [{"tier": 5, "min": 0.0}]
    data["combination"] = {"impact": impact, "position_base": 0.8, "position_weight": weight}
    scheme = load_scheme(data)
    assert load_scheme(json.loads(scheme.to_json())).to_dict() == scheme.to_dict()
