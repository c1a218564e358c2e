"""The MoRiLE scoring engine: schemes as data, and scoring a set of answers against a scheme.

Pure Python (no Django). A scheme lists its factors (grouped as harm, likelihood, confidence and
organisational position), each factor's allowed answers with numeric values, the combination rule
and the thresholds that turn a priority score into a tier. Scoring returns every intermediate
figure with a plain-English explanation a moderator can follow.

Combination rule (parameters are data in the scheme's ``combination`` block):

    impact    = combine(impact answers)                 (method: max | sum | mean)
    harm      = impact × scope × victim vulnerability
    risk      = harm × likelihood
    position  = mean(organisational position answers)
    priority  = risk × confidence × (position_base + position_weight × position)

Every multiplier is positive, so raising any harm answer never lowers the priority.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from statistics import mean
from typing import Any

GROUPS = ("harm", "likelihood", "confidence", "organisational_position")
ROLES = {
    "harm": ("impact", "scope", "vulnerability"),
    "likelihood": ("likelihood",),
    "confidence": ("confidence",),
    "organisational_position": ("position",),
}
IMPACT_METHODS = ("max", "sum", "mean")


class SchemeError(ValueError):
    """A scheme is not valid; ``errors`` lists every problem found."""

    def __init__(self, errors: list[str]):
        self.errors = list(errors)
        super().__init__("The scoring scheme is not valid:\n" + "\n".join(f"- {e}" for e in self.errors))


class AnswerError(ValueError):
    """Answers are missing or not allowed; ``problems`` lists every one, naming the factor."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("The answers cannot be scored:\n" + "\n".join(f"- {p}" for p in self.problems))


@dataclass(frozen=True)
class Answer:
    key: str
    label: str
    value: float


@dataclass(frozen=True)
class Factor:
    key: str
    label: str
    group: str
    role: str
    answers: tuple[Answer, ...]
    help: str = ""

    def answer(self, key: str) -> Answer | None:
        return next((a for a in self.answers if a.key == key), None)


@dataclass(frozen=True)
class Combination:
    impact: str = "max"
    position_base: float = 0.8
    position_weight: float = 0.1


@dataclass(frozen=True)
class Threshold:
    tier: int
    min: float


@dataclass(frozen=True)
class Scheme:
    name: str
    version: str
    label: str
    description: str
    factors: tuple[Factor, ...]
    combination: Combination
    tiers: tuple[Threshold, ...]

    def factor(self, key: str) -> Factor | None:
        return next((f for f in self.factors if f.key == key), None)

    def by_role(self, role: str) -> list[Factor]:
        return [f for f in self.factors if f.role == role]

    def tier_for(self, priority: float) -> int:
        for threshold in self.tiers:  # ordered Tier 1 first (highest minimum)
            if priority >= threshold.min:
                return threshold.tier
        return self.tiers[-1].tier

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "label": self.label,
            "description": self.description,
            "factors": [
                {"key": f.key, "label": f.label, "group": f.group, "role": f.role, "help": f.help,
                 "answers": [asdict(a) for a in f.answers]}
                for f in self.factors
            ],
            "combination": asdict(self.combination),
            "tiers": [asdict(t) for t in self.tiers],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)


def _number(value, where: str, errors: list[str]) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        errors.append(f"{where}: value {value!r} is not a number")
        return None
    return float(value)


def load_scheme(data: dict | str | Path) -> Scheme:
    """Validate and load a scheme from a dict, a JSON or YAML string, or a file path."""
    if isinstance(data, Path):
        data = data.read_text(encoding="utf-8")
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except json.JSONDecodeError:
            import yaml

            try:
                data = yaml.safe_load(data)
            except yaml.YAMLError as exc:
                raise SchemeError([f"not valid JSON or YAML: {exc}"]) from exc
    if not isinstance(data, dict):
        raise SchemeError(["a scheme must be a mapping with name, version, factors, combination and tiers"])
    errors: list[str] = []
    for key in ("name", "version", "label"):
        if not str(data.get(key, "")).strip():
            errors.append(f"'{key}' is required")

    factors: list[Factor] = []
    seen: set[str] = set()
    raw_factors = data.get("factors")
    if not isinstance(raw_factors, list) or not raw_factors:
        errors.append("'factors' must be a non-empty list")
        raw_factors = []
    for i, raw in enumerate(raw_factors, 1):
        if not isinstance(raw, dict):
            errors.append(f"factor {i}: must be a mapping")
            continue
        key = str(raw.get("key", "")).strip()
        where = f"factor '{key or i}'"
        if not key:
            errors.append(f"factor {i}: 'key' is required")
        elif key in seen:
            errors.append(f"{where}: duplicate factor key")
        seen.add(key)
        group, role = raw.get("group"), raw.get("role")
        if group not in GROUPS:
            errors.append(f"{where}: unknown group {group!r} (choose from {', '.join(GROUPS)})")
        elif role not in ROLES[group]:
            errors.append(f"{where}: role {role!r} is not allowed in group {group} ({', '.join(ROLES[group])})")
        answers: list[Answer] = []
        answer_keys: set[str] = set()
        raw_answers = raw.get("answers")
        if not isinstance(raw_answers, list) or not raw_answers:
            errors.append(f"{where}: 'answers' must be a non-empty list")
            raw_answers = []
        for a in raw_answers:
            akey = str((a or {}).get("key", "")).strip() if isinstance(a, dict) else ""
            if not akey:
                errors.append(f"{where}: every answer needs a 'key'")
                continue
            if akey in answer_keys:
                errors.append(f"{where}: duplicate answer key '{akey}'")
            answer_keys.add(akey)
            value = _number(a.get("value"), f"{where}, answer '{akey}'", errors)
            if value is not None and value < 0:
                errors.append(f"{where}, answer '{akey}': values cannot be negative")
            if value is not None and role in ("scope", "vulnerability", "likelihood", "confidence") and value <= 0:
                errors.append(f"{where}, answer '{akey}': a multiplier must be greater than 0")
            answers.append(Answer(akey, str(a.get("label", akey)), value if value is not None else 0.0))
        factors.append(Factor(key, str(raw.get("label", key)), str(group), str(role), tuple(answers),
                              str(raw.get("help", ""))))

    for role, count in (("impact", None), ("scope", 1), ("vulnerability", 1), ("likelihood", 1), ("confidence", 1)):
        found = [f for f in factors if f.role == role]
        if not found:
            errors.append(f"the scheme needs a factor with role '{role}'")
        elif count and len(found) > count:
            errors.append(f"the scheme may have only {count} factor with role '{role}'")

    raw_comb = data.get("combination") or {}
    if not isinstance(raw_comb, dict):
        errors.append("'combination' must be a mapping")
        raw_comb = {}
    impact = raw_comb.get("impact", "max")
    if impact not in IMPACT_METHODS:
        errors.append(f"combination: unknown impact method {impact!r} (choose from {', '.join(IMPACT_METHODS)})")
    base = _number(raw_comb.get("position_base", 0.8), "combination: position_base", errors)
    weight = _number(raw_comb.get("position_weight", 0.1), "combination: position_weight", errors)
    if base is not None and base <= 0:
        errors.append("combination: position_base must be greater than 0")
    if weight is not None and weight < 0:
        errors.append("combination: position_weight cannot be negative")
    combination = Combination(str(impact), base or 0.8, weight if weight is not None else 0.1)

    tiers: list[Threshold] = []
    raw_tiers = data.get("tiers")
    if not isinstance(raw_tiers, list) or len(raw_tiers) != 5:
        errors.append("'tiers' must list five thresholds, Tier 1 to Tier 5")
        raw_tiers = raw_tiers if isinstance(raw_tiers, list) else []
    for t in raw_tiers:
        if not isinstance(t, dict):
            errors.append("every tier threshold must be a mapping with 'tier' and 'min'")
            continue
        minimum = _number(t.get("min"), f"tier {t.get('tier')}", errors)
        tiers.append(Threshold(int(t.get("tier", 0) or 0), minimum if minimum is not None else 0.0))
    if tiers:
        if [t.tier for t in tiers] != [1, 2, 3, 4, 5][: len(tiers)]:
            errors.append("tiers must be listed in order Tier 1, Tier 2, … Tier 5")
        mins = [t.min for t in tiers]
        if any(a <= b for a, b in zip(mins, mins[1:], strict=False)):
            errors.append("tier thresholds must fall strictly from Tier 1 to Tier 5")
        if tiers[-1].min != 0:
            errors.append("the Tier 5 threshold must be 0 so every score has a tier")
    if errors:
        raise SchemeError(errors)
    return Scheme(str(data["name"]).strip(), str(data["version"]).strip(), str(data["label"]).strip(),
                  str(data.get("description", "")), tuple(factors), combination, tuple(tiers))


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    value: float
    explanation: str

    def __post_init__(self):
        object.__setattr__(self, "value", round(float(self.value), 4))


@dataclass
class ScoreResult:
    scheme_name: str
    scheme_version: str
    figures: list[Figure] = field(default_factory=list)
    tier: int = 5

    def figure(self, key: str) -> Figure:
        return next(f for f in self.figures if f.key == key)

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


def _fmt(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def score(scheme: Scheme, answers: dict[str, str]) -> ScoreResult:
    """Score ``answers`` (factor key → answer key) against ``scheme``."""
    problems = []
    chosen: dict[str, Answer] = {}
    for factor in scheme.factors:
        given = answers.get(factor.key)
        if given in (None, ""):
            problems.append(f"{factor.key}: no answer given for {factor.label}")
            continue
        answer = factor.answer(str(given))
        if answer is None:
            allowed = ", ".join(a.key for a in factor.answers)
            problems.append(f"{factor.key}: '{given}' is not an allowed answer for {factor.label} ({allowed})")
            continue
        chosen[factor.key] = answer
    for key in sorted(set(answers) - {f.key for f in scheme.factors}):
        problems.append(f"{key}: not a factor of scheme {scheme.name} version {scheme.version}")
    if problems:
        raise AnswerError(problems)

    result = ScoreResult(scheme.name, scheme.version)
    add = result.figures.append

    impacts = scheme.by_role("impact")
    for f in impacts:
        a = chosen[f.key]
        add(Figure(f"impact:{f.key}", f.label, a.value, f"{f.label}: '{a.label}' scores {_fmt(a.value)}."))
    values = [chosen[f.key].value for f in impacts]
    method = scheme.combination.impact
    impact = {"max": max, "sum": sum, "mean": mean}[method](values)
    how = {"max": "the highest", "sum": "the sum", "mean": "the average"}[method]
    add(Figure("impact", "Impact", impact, f"Impact {_fmt(impact)} is {how} of the {len(values)} impact scores."))

    scope_f, vuln_f = scheme.by_role("scope")[0], scheme.by_role("vulnerability")[0]
    scope_a, vuln_a = chosen[scope_f.key], chosen[vuln_f.key]
    add(Figure("scope", scope_f.label, scope_a.value, f"{scope_f.label}: '{scope_a.label}' multiplies harm by {_fmt(scope_a.value)}."))
    add(Figure("vulnerability", vuln_f.label, vuln_a.value,
               f"{vuln_f.label}: '{vuln_a.label}' multiplies harm by {_fmt(vuln_a.value)}."))
    harm = impact * scope_a.value * vuln_a.value
    add(Figure("harm", "Harm", harm, f"Harm {_fmt(harm)} = impact {_fmt(impact)} × scope {_fmt(scope_a.value)} "
                                     f"× vulnerability {_fmt(vuln_a.value)}."))

    like_f = scheme.by_role("likelihood")[0]
    like_a = chosen[like_f.key]
    add(Figure("likelihood", like_f.label, like_a.value, f"{like_f.label}: '{like_a.label}' scores {_fmt(like_a.value)}."))
    risk = harm * like_a.value
    add(Figure("risk", "Risk", risk, f"Risk {_fmt(risk)} = harm {_fmt(harm)} × likelihood {_fmt(like_a.value)}."))

    conf_f = scheme.by_role("confidence")[0]
    conf_a = chosen[conf_f.key]
    add(Figure("confidence", conf_f.label, conf_a.value,
               f"{conf_f.label}: '{conf_a.label}' weights the priority by {_fmt(conf_a.value)}."))

    position_fs = scheme.by_role("position")
    position = mean(chosen[f.key].value for f in position_fs) if position_fs else 0.0
    parts = ", ".join(f"{f.label} '{chosen[f.key].label}' {_fmt(chosen[f.key].value)}" for f in position_fs)
    c = scheme.combination
    modifier = c.position_base + c.position_weight * position
    add(Figure("position", "Organisational position", position,
               f"Organisational position {_fmt(position)} is the average of: {parts or 'no factors'}."))
    add(Figure("position_modifier", "Position modifier", modifier,
               f"Position modifier {_fmt(modifier)} = {_fmt(c.position_base)} + {_fmt(c.position_weight)} "
               f"× position {_fmt(position)}."))
    priority = risk * conf_a.value * modifier
    result.tier = scheme.tier_for(priority)
    threshold = next(t for t in scheme.tiers if t.tier == result.tier)
    add(Figure("priority", "Priority score", priority,
               f"Priority {_fmt(priority)} = risk {_fmt(risk)} × confidence {_fmt(conf_a.value)} × position "
               f"modifier {_fmt(modifier)}, which is Tier {result.tier} (Tier {result.tier} starts at "
               f"{_fmt(threshold.min)})."))
    return result


def default_scheme() -> Scheme:
    """The shipped default scheme: an editable default, not an official national MoRiLE scale."""
    return load_scheme(Path(__file__).with_name("schemes") / "default-v1.json")


def list_factors(scheme: Scheme) -> list[Factor]:
    return list(scheme.factors)
