"""Scoring schemes as data: the dataclasses, and loading with full validation.

A scheme lists its factors (grouped as harm, likelihood, confidence and organisational position),
each factor's allowed answers with numeric values, the combination rule's parameters and the five
thresholds that turn a priority score into a tier. ``load_scheme`` checks everything and reports
every problem at once; ``Scheme.to_dict`` gives back exactly what ``load_scheme`` accepts.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

#: Each group and the roles its factors may play in the combination rule.
ROLES: dict[str, tuple[str, ...]] = {
    "harm": ("impact", "scope", "vulnerability"),
    "likelihood": ("likelihood",),
    "confidence": ("confidence",),
    "organisational_position": ("position",),
}
GROUPS = tuple(ROLES)
#: How many factors each role needs: (at least, at most); ``None`` means no upper limit.
ROLE_COUNTS: dict[str, tuple[int, int | None]] = {
    "impact": (1, None),
    "scope": (1, 1),
    "vulnerability": (1, 1),
    "likelihood": (1, 1),
    "confidence": (1, 1),
    "position": (1, None),
}
#: Roles whose answer values multiply the score, so must be greater than 0.
MULTIPLIERS = ("scope", "vulnerability", "likelihood", "confidence")
#: How the impact values combine into one impact figure.
IMPACT_METHODS = ("max", "sum", "mean")
TIERS = (1, 2, 3, 4, 5)

_SCHEME_FIELDS = {"name", "version", "label", "description", "factors", "combination", "tiers"}
_FACTOR_FIELDS = {"key", "label", "help", "group", "role", "answers"}
_ANSWER_FIELDS = {"key", "label", "value"}
_COMBINATION_FIELDS = {"impact", "impact_weights", "position_base", "position_weight"}
_TIER_FIELDS = {"tier", "min"}


class SchemeError(ValueError):
    """A scheme is not valid; ``errors`` lists every problem found."""

    def __init__(self, errors: list[str]):
        self.errors = list(errors)
        lines = "\n".join(f"- {e}" for e in self.errors)
        super().__init__(f"The scoring scheme is not valid:\n{lines}")


@dataclass(frozen=True)
class Answer:
    """One allowed answer to a factor."""

    key: str
    label: str
    value: float

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "value": self.value}


@dataclass(frozen=True)
class Factor:
    """One question of the scheme; ``role`` says how its value enters the combination rule."""

    key: str
    label: str
    group: str
    role: str
    answers: tuple[Answer, ...]
    help: str = ""

    def answer(self, key: str) -> Answer | None:
        return next((a for a in self.answers if a.key == key), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "group": self.group,
            "role": self.role,
            "help": self.help,
            "answers": [a.to_dict() for a in self.answers],
        }


@dataclass(frozen=True)
class Combination:
    """Parameters of the combination rule (see ``scoring.score``)."""

    impact: str = "max"
    position_base: float = 0.8
    position_weight: float = 0.1
    impact_weights: dict[str, float] = field(default_factory=dict)

    def weight(self, factor_key: str) -> float:
        """The weight of an impact factor; 1 unless the scheme says otherwise."""
        return self.impact_weights.get(factor_key, 1.0)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "impact": self.impact,
            "position_base": self.position_base,
            "position_weight": self.position_weight,
        }
        if self.impact_weights:
            data["impact_weights"] = dict(self.impact_weights)
        return data


@dataclass(frozen=True)
class Threshold:
    """The lowest priority score that falls in ``tier``."""

    tier: int
    min: float

    def to_dict(self) -> dict[str, Any]:
        return {"tier": self.tier, "min": self.min}


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
        """The first tier (Tier 1 first) whose threshold the priority reaches."""
        for threshold in self.tiers:
            if priority >= threshold.min:
                return threshold.tier
        return self.tiers[-1].tier

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "label": self.label,
            "description": self.description,
            "factors": [f.to_dict() for f in self.factors],
            "combination": self.combination.to_dict(),
            "tiers": [t.to_dict() for t in self.tiers],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)


# --- Loading ---------------------------------------------------------------------------------


def load_scheme(data: dict[str, Any] | str | Path) -> Scheme:
    """Validate and load a scheme from a dict, a JSON or YAML string, or a file path.

    Raises ``SchemeError`` listing every problem found.
    """
    if isinstance(data, Path):
        try:
            data = data.read_text(encoding="utf-8")
        except OSError as exc:
            raise SchemeError([f"cannot read {data}: {exc.strerror or exc}"]) from exc
    if isinstance(data, str):
        data = _parse(data)
    if not isinstance(data, dict):
        raise SchemeError(
            ["a scheme must be a mapping with name, version, label, factors, combination and tiers"]
        )
    return _Loader().scheme(data)


def _parse(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SchemeError([f"not valid JSON or YAML: {exc}"]) from exc


class _Loader:
    """Builds a Scheme while collecting every problem, so they can all be reported at once."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def scheme(self, data: dict[str, Any]) -> Scheme:
        self._unknown(data, _SCHEME_FIELDS, "scheme")
        name = self._text(data, "name", "scheme")
        version = self._text(data, "version", "scheme")
        label = self._text(data, "label", "scheme")
        description = self._text(data, "description", "scheme", required=False)
        factors = self._factors(data.get("factors"))
        combination = self._combination(data.get("combination"), factors)
        tiers = self._tiers(data.get("tiers"))
        if self.errors:
            raise SchemeError(self.errors)
        return Scheme(name, version, label, description, factors, combination, tiers)

    # Factors and answers

    def _factors(self, raw: Any) -> tuple[Factor, ...]:
        if not isinstance(raw, list) or not raw:
            self.errors.append("'factors' must be a non-empty list")
            return ()
        factors: list[Factor] = []
        seen: set[str] = set()
        for i, item in enumerate(raw, 1):
            factor = self._factor(item, i)
            if factor is None:
                continue
            if factor.key in seen:
                self.errors.append(f"factor '{factor.key}': duplicate factor key")
            seen.add(factor.key)
            factors.append(factor)
        self._role_counts(factors)
        return tuple(factors)

    def _factor(self, raw: Any, position: int) -> Factor | None:
        if not isinstance(raw, dict):
            self.errors.append(f"factor {position}: must be a mapping")
            return None
        key = self._text(raw, "key", f"factor {position}")
        where = f"factor '{key}'" if key else f"factor {position}"
        self._unknown(raw, _FACTOR_FIELDS, where)
        label = self._text(raw, "label", where)
        help_text = self._text(raw, "help", where, required=False)
        group, role = raw.get("group"), raw.get("role")
        if group not in ROLES:
            self.errors.append(
                f"{where}: unknown group {group!r} (choose from {', '.join(GROUPS)})"
            )
            group, role = "", ""
        elif role is None and len(ROLES[group]) == 1:
            role = ROLES[group][0]
        elif role not in ROLES[group]:
            allowed = ", ".join(ROLES[group])
            self.errors.append(
                f"{where}: role {role!r} is not allowed in group {group} ({allowed})"
            )
            role = ""
        answers = self._answers(raw.get("answers"), where, role)
        return Factor(key, label, group, role, answers, help_text)

    def _answers(self, raw: Any, where: str, role: str) -> tuple[Answer, ...]:
        if not isinstance(raw, list) or not raw:
            self.errors.append(f"{where}: 'answers' must be a non-empty list")
            return ()
        answers: list[Answer] = []
        seen: set[str] = set()
        for i, item in enumerate(raw, 1):
            if not isinstance(item, dict):
                self.errors.append(f"{where}, answer {i}: must be a mapping")
                continue
            key = self._text(item, "key", f"{where}, answer {i}")
            at = f"{where}, answer '{key}'" if key else f"{where}, answer {i}"
            self._unknown(item, _ANSWER_FIELDS, at)
            if key and key in seen:
                self.errors.append(f"{where}: duplicate answer key '{key}'")
            seen.add(key)
            label = self._text(item, "label", at)
            value = self._number(item, "value", at)
            if value is not None and role in MULTIPLIERS and value <= 0:
                self.errors.append(f"{at}: 'value' multiplies the score, so must be greater than 0")
            elif value is not None and value < 0:
                self.errors.append(f"{at}: 'value' cannot be negative")
            answers.append(Answer(key, label, value if value is not None else 0.0))
        return tuple(answers)

    def _role_counts(self, factors: list[Factor]) -> None:
        for group, roles in ROLES.items():
            if not any(f.group == group for f in factors):
                self.errors.append(
                    f"missing required group '{group}': add its factors ({', '.join(roles)})"
                )
                continue
            for role in roles:
                found = sum(1 for f in factors if f.role == role)
                least, most = ROLE_COUNTS[role]
                if found < least:
                    self.errors.append(f"group '{group}' needs a factor with role '{role}'")
                elif most is not None and found > most:
                    self.errors.append(
                        f"group '{group}' may have only {most} factor with role '{role}' (found {found})"
                    )

    # Combination rule and tiers

    def _combination(self, raw: Any, factors: tuple[Factor, ...]) -> Combination:
        where = "combination"
        if not isinstance(raw, dict):
            self.errors.append(
                "'combination' must be a mapping with impact, position_base and position_weight"
            )
            return Combination()
        self._unknown(raw, _COMBINATION_FIELDS, where)
        method = raw.get("impact")
        if method not in IMPACT_METHODS:
            self.errors.append(
                f"{where}: unknown impact method {method!r} (choose from {', '.join(IMPACT_METHODS)})"
            )
            method = "max"
        base = self._number(raw, "position_base", where)
        if base is not None and base <= 0:
            self.errors.append(f"{where}: 'position_base' must be greater than 0")
        weight = self._number(raw, "position_weight", where)
        if weight is not None and weight < 0:
            self.errors.append(f"{where}: 'position_weight' cannot be negative")
        weights = self._impact_weights(raw.get("impact_weights", {}), factors)
        return Combination(method, base or 1.0, weight or 0.0, weights)

    def _impact_weights(self, raw: Any, factors: tuple[Factor, ...]) -> dict[str, float]:
        where = "combination: impact_weights"
        if not isinstance(raw, dict):
            self.errors.append(f"{where} must map impact factor keys to weights")
            return {}
        impacts = [f.key for f in factors if f.role == "impact"]
        weights: dict[str, float] = {}
        for key in raw:
            if key not in impacts:
                self.errors.append(f"{where}: {key!r} is not an impact factor")
                continue
            value = self._number(raw, key, where)
            if value is not None and value < 0:
                self.errors.append(f"{where}: the weight of '{key}' cannot be negative")
            weights[key] = value if value is not None else 1.0
        if impacts and raw and all(weights.get(k, 1.0) == 0 for k in impacts):
            self.errors.append(f"{where}: at least one impact weight must be greater than 0")
        return weights

    def _tiers(self, raw: Any) -> tuple[Threshold, ...]:
        if not isinstance(raw, list) or len(raw) != len(TIERS):
            self.errors.append("'tiers' must list five thresholds, Tier 1 to Tier 5")
            raw = raw if isinstance(raw, list) else []
        tiers: list[Threshold] = []
        for i, item in enumerate(raw, 1):
            if not isinstance(item, dict):
                self.errors.append(f"threshold {i}: must be a mapping with 'tier' and 'min'")
                continue
            self._unknown(item, _TIER_FIELDS, f"threshold {i}")
            tier = item.get("tier")
            if isinstance(tier, bool) or not isinstance(tier, int):
                self.errors.append(f"threshold {i}: 'tier' must be a whole number from 1 to 5")
                tier = 0
            minimum = self._number(item, "min", f"tier {tier or i}")
            tiers.append(Threshold(tier, minimum if minimum is not None else math.nan))
        if [t.tier for t in tiers] != list(TIERS[: len(tiers)]):
            self.errors.append("tiers must be listed in order Tier 1, Tier 2, … Tier 5")
        mins = [t.min for t in tiers if not math.isnan(t.min)]
        if any(high <= low for high, low in zip(mins, mins[1:], strict=False)):
            self.errors.append("tier thresholds must fall strictly from Tier 1 to Tier 5")
        if len(tiers) == len(TIERS) and tiers[-1].min != 0 and not math.isnan(tiers[-1].min):
            self.errors.append("the Tier 5 threshold must be 0 so every score has a tier")
        return tuple(tiers)

    # Field helpers

    def _unknown(self, raw: dict[str, Any], allowed: set[str], where: str) -> None:
        for extra in sorted(set(map(str, raw)) - allowed):
            self.errors.append(
                f"{where}: unknown field '{extra}' (allowed: {', '.join(sorted(allowed))})"
            )

    def _text(self, raw: dict[str, Any], name: str, where: str, *, required: bool = True) -> str:
        value = raw.get(name)
        if value is None and not required:
            return ""
        if not isinstance(value, str):
            problem = "is required" if value is None else f"must be text, not {value!r}"
            self.errors.append(f"{where}: '{name}' {problem}")
            return ""
        if required and not value.strip():
            self.errors.append(f"{where}: '{name}' is required")
        return value.strip() if required else value

    def _number(self, raw: dict[str, Any], name: str, where: str) -> float | None:
        value = raw.get(name)
        if value is None:
            self.errors.append(f"{where}: '{name}' is required")
            return None
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            self.errors.append(f"{where}: '{name}' must be a number, not {value!r}")
            return None
        return float(value)


# --- The shipped scheme ----------------------------------------------------------------------

DEFAULT_SCHEME_PATH = Path(__file__).with_name("schemes") / "default-v1.json"


def default_scheme() -> Scheme:
    """The shipped default scheme: an editable default, not an official national MoRiLE scale."""
    return load_scheme(DEFAULT_SCHEME_PATH)


def list_factors(scheme: Scheme, group: str | None = None) -> list[Factor]:
    """The scheme's factors in order, optionally only those of one group."""
    return [f for f in scheme.factors if group is None or f.group == group]
