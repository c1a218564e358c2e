"""Scoring answers: the figures, their explanations, answer errors and the default's tier spread."""

from __future__ import annotations

import json

import pytest

from socmaster.morile import AnswerError, default_scheme, load_scheme, score

SCHEME = default_scheme()
POSITIONS = [f.key for f in SCHEME.factors if f.role == "position"]


def profile(
    impact="serious",
    scope="regional",
    vulnerability="highly",
    likelihood="likely",
    confidence="high",
    position="medium",
    **extra,
) -> dict[str, str]:
    """Answers with physical harm at ``impact``, the other impacts 'none' unless given in ``extra``."""
    answers = {f.key: "none" for f in SCHEME.factors if f.role == "impact"}
    answers.update(
        physical=impact,
        scope=scope,
        victim_vulnerability=vulnerability,
        likelihood=likelihood,
        confidence=confidence,
    )
    answers.update({key: position for key in POSITIONS})
    answers.update(extra)
    return answers


def test_every_figure_is_worked_out_and_explained():
    result = score(SCHEME, profile(impact="critical", financial="serious"))
    values = {f.key: f.value for f in result.figures}
    assert values["impact:physical"] == 16 and values["impact:financial"] == 8
    assert values["impact"] == 16 and values["scope"] == 2 and values["vulnerability"] == 2
    assert values["harm"] == 64 and values["likelihood"] == 4 and values["risk"] == 256
    assert (
        values["confidence"] == 1 and values["position"] == 2 and values["position_modifier"] == 1
    )
    assert values["priority"] == 256 and values["tier"] == 1 and result.tier == 1
    assert (result.scheme_name, result.scheme_version) == ("socmaster-default", "1")
    assert len(result.explanation) == len(result.figures) and all(result.explanation)


def test_explanation_names_the_answers_a_moderator_chose():
    result = score(SCHEME, profile(impact="critical", confidence="medium", position="high"))
    text = "\n".join(result.explanation)
    assert "Physical harm: 'Critical' scores 16." in text
    assert (
        "Harm 64 = highest impact 16 (Physical harm: Critical) × scope 2 (Regional)"
        " × vulnerability 2 (Highly vulnerable victims)." in text
    )
    assert "Risk 256 = harm 64 × likelihood 4 (Likely)." in text
    assert "Capacity 'High' 3" in text and "Position modifier 1.1 = 0.8 + 0.1 × position 3." in text
    assert "Priority 239.36 = risk 256 × confidence 0.85 (Medium) × position modifier 1.1." in text
    assert (
        "Tier 2: priority 239.36 reaches the Tier 2 threshold of 120 but not the Tier 1 threshold of 240"
        in text
    )


def test_sum_and_mean_methods_with_weights_are_explained():
    data = SCHEME.to_dict()
    data["combination"].update(impact="sum", impact_weights={"financial": 0.5})
    answers = profile(impact="serious", financial="critical")
    text = "\n".join(score(load_scheme(data), answers).explanation)
    assert "Financial harm: 'Critical' scores 16, weighted × 0.5 = 8." in text
    assert (
        "Impact 16 is the sum of the impact scores: Physical harm 8 (Serious) + Financial harm 8 (Critical)."
        in text
    )
    data["combination"]["impact"] = "mean"
    result = score(load_scheme(data), answers)
    assert result.figure("impact").value == 3.56  # 16 ÷ (4 × 1 + 0.5)
    assert "Harm 14.24 = impact 3.56 (the average impact score) × scope 2" in "\n".join(
        result.explanation
    )


def test_result_is_json_serialisable():
    data = json.loads(json.dumps(score(SCHEME, profile()).to_dict()))
    assert data["scheme"] == {"name": "socmaster-default", "version": "1"}
    assert data["tier"] == 2 and data["priority"] == 128
    assert [f["key"] for f in data["figures"]][-2:] == ["priority", "tier"]
    assert data["explanation"] == [f["explanation"] for f in data["figures"]]


def test_all_answer_problems_are_reported_at_once():
    answers = profile(likelihood="every-day", colour="blue")
    del answers["physical"]
    answers["capacity"] = ""
    with pytest.raises(AnswerError) as exc:
        score(SCHEME, answers)
    problems = exc.value.problems
    assert problems == [
        "physical: no answer given for Physical harm",
        "likelihood: 'every-day' is not an allowed answer for Likelihood"
        " (allowed: rare, unlikely, possible, likely, almost_certain)",
        "capacity: no answer given for Capacity",
        "colour: not a factor of scheme socmaster-default version 1",
    ]
    assert all(p in str(exc.value) for p in problems)


def test_no_answers_lists_every_factor():
    with pytest.raises(AnswerError) as exc:
        score(SCHEME, {})
    assert [p.split(":")[0] for p in exc.value.problems] == [f.key for f in SCHEME.factors]
    with pytest.raises(AnswerError):
        score(SCHEME, ["physical"])  # type: ignore[arg-type]


# Realistic answer profiles for the default scheme, from a local nuisance to a national threat to life.
PROFILES = [
    (
        dict(
            impact="critical",
            scope="national",
            vulnerability="highly",
            likelihood="almost_certain",
            position="high",
        ),
        1,
    ),
    (dict(impact="serious", scope="regional", vulnerability="highly", likelihood="likely"), 2),
    (
        dict(
            impact="serious",
            scope="regional",
            vulnerability="some",
            likelihood="likely",
            confidence="medium",
        ),
        3,
    ),
    (
        dict(
            impact="moderate",
            scope="force",
            vulnerability="some",
            likelihood="possible",
            confidence="medium",
        ),
        4,
    ),
    (
        dict(
            impact="minor",
            scope="local",
            vulnerability="not_vulnerable",
            likelihood="unlikely",
            confidence="low",
            position="low",
        ),
        5,
    ),
]


@pytest.mark.parametrize(("answers", "tier"), PROFILES)
def test_realistic_profiles_spread_over_all_five_tiers(answers, tier):
    assert score(SCHEME, profile(**answers)).tier == tier
