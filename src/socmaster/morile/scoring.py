"""Scoring a set of answers against a scheme, with every figure explained in plain English.

The combination rule (its parameters are data in the scheme's ``combination`` block)::

    impact    = max | sum | mean of (weight × impact value)   over the impact factors
    harm      = impact × scope × victim vulnerability
    risk      = harm × likelihood
    position  = mean of the organisational position values
    modifier  = position_base + position_weight × position
    priority  = risk × confidence × modifier
    tier      = the first tier, Tier 1 first, whose threshold the priority reaches

Each figure is rounded to two decimal places and the next figure is worked out from the rounded
one, so every explanation line can be checked by hand. Impact values, weights and position values
are at least 0 and every multiplier is greater than 0, so raising any harm or likelihood answer to
a higher-valued one never lowers the risk, the priority or the tier.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from .scheme import Answer, Factor, Scheme

PLACES = 2


class AnswerError(ValueError):
    """Answers are missing or not allowed; ``problems`` lists every one as "factor_key: message"."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        lines = "\n".join(f"- {p}" for p in self.problems)
        super().__init__(f"The answers cannot be scored:\n{lines}")


@dataclass(frozen=True)
class Figure:
    """One figure of a score: what it is, its value and how it was reached."""

    key: str
    label: str
    value: float
    explanation: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", round(float(self.value), PLACES))


@dataclass
class ScoreResult:
    """Every figure of a score, in the order they are worked out, and the resulting tier."""

    scheme_name: str
    scheme_version: str
    figures: list[Figure] = field(default_factory=list)
    tier: int = 5

    def figure(self, key: str) -> Figure:
        return next(f for f in self.figures if f.key == key)

    @property
    def harm(self) -> float:
        return self.figure("harm").value

    @property
    def risk(self) -> float:
        return self.figure("risk").value

    @property
    def priority(self) -> float:
        return self.figure("priority").value

    @property
    def explanation(self) -> list[str]:
        return [f.explanation for f in self.figures]

    def to_dict(self) -> dict[str, Any]:
        return {
            "scheme": {"name": self.scheme_name, "version": self.scheme_version},
            "figures": [asdict(f) for f in self.figures],
            "priority": self.priority,
            "tier": self.tier,
            "explanation": self.explanation,
        }


def score(scheme: Scheme, answers: Mapping[str, str]) -> ScoreResult:
    """Score ``answers`` (factor key → answer key) against ``scheme``.

    Raises ``AnswerError`` listing every missing, unknown or not-allowed answer at once.
    """
    chosen = _check(scheme, answers)
    result = ScoreResult(scheme.name, scheme.version)

    def add(key: str, label: str, value: float, explanation: str) -> float:
        result.figures.append(Figure(key, label, value, explanation))
        return result.figures[-1].value

    def answer(key: str, role: str, verb: str) -> Answer:
        factor = scheme.by_role(role)[0]
        chosen_answer = chosen[factor.key]
        value = _fmt(chosen_answer.value)
        add(
            key,
            factor.label,
            chosen_answer.value,
            f"{factor.label}: '{chosen_answer.label}' {verb} {value}.",
        )
        return chosen_answer

    impact, phrase = _impact(scheme, chosen, add)
    scope = answer("scope", "scope", "multiplies harm by")
    vuln = answer("vulnerability", "vulnerability", "multiplies harm by")
    harm = _round(impact * scope.value * vuln.value)
    add(
        "harm",
        "Harm",
        harm,
        f"Harm {_fmt(harm)} = {phrase} × scope {_fmt(scope.value)} ({scope.label})"
        f" × vulnerability {_fmt(vuln.value)} ({vuln.label}).",
    )

    like = answer("likelihood", "likelihood", "scores")
    risk = _round(harm * like.value)
    add(
        "risk",
        "Risk",
        risk,
        f"Risk {_fmt(risk)} = harm {_fmt(harm)} × likelihood {_fmt(like.value)} ({like.label}).",
    )
    conf = answer("confidence", "confidence", "weights the priority by")

    position_answers = [(f, chosen[f.key]) for f in scheme.by_role("position")]
    position = _round(sum(a.value for _, a in position_answers) / len(position_answers))
    parts = ", ".join(f"{f.label} '{a.label}' {_fmt(a.value)}" for f, a in position_answers)
    add(
        "position",
        "Organisational position",
        position,
        f"Organisational position {_fmt(position)} is the average of: {parts}.",
    )
    base, weight = scheme.combination.position_base, scheme.combination.position_weight
    modifier = _round(base + weight * position)
    add(
        "position_modifier",
        "Position modifier",
        modifier,
        f"Position modifier {_fmt(modifier)} = {_fmt(base)} + {_fmt(weight)} × position {_fmt(position)}.",
    )

    priority = _round(risk * conf.value * modifier)
    add(
        "priority",
        "Priority score",
        priority,
        f"Priority {_fmt(priority)} = risk {_fmt(risk)}"
        f" × confidence {_fmt(conf.value)} ({conf.label}) × position modifier {_fmt(modifier)}.",
    )
    result.tier = scheme.tier_for(priority)
    add("tier", "Tier", result.tier, _tier_explanation(scheme, priority, result.tier))
    return result


def _check(scheme: Scheme, answers: Mapping[str, str]) -> dict[str, Answer]:
    """The chosen answer for every factor, or one AnswerError naming every problem."""
    if not isinstance(answers, Mapping):
        raise AnswerError(
            [f"answers: expected a mapping of factor key to answer key, not {answers!r}"]
        )
    problems: list[str] = []
    chosen: dict[str, Answer] = {}
    for factor in scheme.factors:
        given = answers.get(factor.key)
        if given is None or given == "":
            problems.append(f"{factor.key}: no answer given for {factor.label}")
            continue
        answer = factor.answer(str(given))
        if answer is None:
            allowed = ", ".join(a.key for a in factor.answers)
            problems.append(
                f"{factor.key}: '{given}' is not an allowed answer for {factor.label} (allowed: {allowed})"
            )
            continue
        chosen[factor.key] = answer
    for key in sorted(set(map(str, answers)) - {f.key for f in scheme.factors}):
        problems.append(f"{key}: not a factor of scheme {scheme.name} version {scheme.version}")
    if problems:
        raise AnswerError(problems)
    return chosen


def _impact(
    scheme: Scheme, chosen: dict[str, Answer], add: Callable[[str, str, float, str], float]
) -> tuple[float, str]:
    """Add a figure for each impact factor and one for the combined impact; return the impact and
    the phrase that names it in the harm line, e.g. "highest impact 16 (Physical harm: Critical)"."""
    method = scheme.combination.impact
    terms: list[tuple[Factor, Answer, float, float]] = []
    for f in scheme.by_role("impact"):
        answer, weight = chosen[f.key], scheme.combination.weight(f.key)
        weighted = _round(weight * answer.value)
        terms.append((f, answer, weight, weighted))
        text = f"{f.label}: '{answer.label}' scores {_fmt(answer.value)}"
        if weight != 1:
            text += f", weighted × {_fmt(weight)} = {_fmt(weighted)}"
        add(f"impact:{f.key}", f.label, weighted, text + ".")

    values = [weighted for *_, weighted in terms]
    if method == "max":
        impact = max(values)
        top = [f"{f.label}: {a.label}" for f, a, _, w in terms if w == impact]
        phrase = f"highest impact {_fmt(impact)} ({'; '.join(top)})"
        line = f"Impact {_fmt(impact)} is the highest of the {len(terms)} impact scores ({'; '.join(top)})."
    else:
        total = _round(sum(values))
        nonzero = [f"{f.label} {_fmt(w)} ({a.label})" for f, a, _, w in terms if w]
        counted = nonzero or ["all score 0"]
        if method == "sum":
            impact = total
            phrase = f"impact {_fmt(impact)} (the sum of the impact scores)"
            line = f"Impact {_fmt(impact)} is the sum of the impact scores: {' + '.join(counted)}."
        else:
            divisor = sum(weight for _, _, weight, _ in terms)
            impact = _round(total / divisor)
            phrase = f"impact {_fmt(impact)} (the average impact score)"
            line = (
                f"Impact {_fmt(impact)} is the average impact score: ({' + '.join(counted)})"
                f" ÷ {_fmt(divisor)}."
            )
    add("impact", "Impact", impact, line)
    return impact, phrase


def _tier_explanation(scheme: Scheme, priority: float, tier: int) -> str:
    mins = {t.tier: t.min for t in scheme.tiers}
    text = f"Tier {tier}: priority {_fmt(priority)} reaches the Tier {tier} threshold of {_fmt(mins[tier])}"
    if tier - 1 in mins:
        text += f" but not the Tier {tier - 1} threshold of {_fmt(mins[tier - 1])}"
    return text + " (Tier 1 is the highest priority)."


def _round(value: float) -> float:
    return round(value, PLACES)


def _fmt(value: float) -> str:
    """A number as a moderator reads it: at most two decimals, no trailing zeros."""
    return f"{value:.{PLACES}f}".rstrip("0").rstrip(".")
