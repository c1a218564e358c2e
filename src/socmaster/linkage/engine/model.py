"""The trained person-matching model, and what it does: train, screen, explain, compare.

A :class:`Model` is data: the trained Splink settings (every comparison level's m and u
probabilities and the prior), the thresholds and when and on what it was trained. It round-trips
through JSON (:meth:`Model.to_json`, :meth:`Model.from_json`) and is reused for every screening
run until it is retrained. The same model runs on DuckDB (embedded, the default) or Spark
(:mod:`.backends`): the settings are rebuilt for the back-end's SQL dialect and the trained
parameters copied across level by level.

Inputs are standardised tables (:func:`.standardise.prepare`): ``nominals`` (the master list) and
``subjects`` (the batch being screened).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import time
from dataclasses import dataclass, field
from typing import Any

from . import settings as defaults
from .backends import db_api, to_backend

FORMAT = 1
UNSEEN_M = 1e-4


class ModelError(ValueError):
    """A model that cannot be read or used."""


@dataclass
class Model:
    """A trained model. ``splink`` is the trained Splink settings dictionary (DuckDB dialect)."""

    splink: dict[str, Any]
    trained_at: str
    upper: float = defaults.UPPER
    lower: float = defaults.LOWER
    training: dict[str, Any] = field(default_factory=dict)

    # --- as data ------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "trained_at": self.trained_at,
            "upper": self.upper,
            "lower": self.lower,
            "training": self.training,
            "splink": self.splink,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Model:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ModelError("not a socmaster linkage model (format 1)")
        try:
            model = cls(
                splink=data["splink"],
                trained_at=data["trained_at"],
                upper=float(data["upper"]),
                lower=float(data["lower"]),
                training=dict(data.get("training") or {}),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"model is missing or has a bad field: {exc}") from exc
        if not 0 < model.lower <= model.upper < 1:
            raise ModelError("thresholds must satisfy 0 < lower <= upper < 1")
        model.levels()  # every comparison must line up with the current settings
        return model

    @classmethod
    def from_json(cls, text: str) -> Model:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ModelError(f"model is not JSON: {exc}") from exc
        return cls.from_dict(data)

    # --- parameters ---------------------------------------------------------------------------
    @property
    def prior(self) -> float:
        return float(self.splink["probability_two_random_records_match"])

    def levels(self) -> list[dict[str, Any]]:
        """Each comparison with its levels' labels, m, u and match weight, for display."""
        out = []
        base = defaults.settings_for("duckdb")["comparisons"]
        trained = self.splink.get("comparisons") or []
        if [c["output_column_name"] for c in base] != [
            c.get("output_column_name") for c in trained
        ]:
            raise ModelError("the model's comparisons do not match the current settings")
        for comparison in trained:
            levels = []
            for level in comparison["comparison_levels"]:
                if level.get("is_null_level"):
                    continue
                m, u = level.get("m_probability"), level.get("u_probability")
                weight = math.log2(m / u) if m and u else None
                levels.append(
                    {"label": level.get("label_for_charts", ""), "m": m, "u": u, "weight": weight}
                )
            out.append({"comparison": comparison["output_column_name"], "levels": levels})
        return out

    def settings_for(self, dialect: str, *, link_type: str = "link_only") -> dict[str, Any]:
        """The trained settings for ``dialect``: that dialect's SQL, this model's parameters."""
        target = defaults.settings_for(dialect, link_type=link_type)
        target["probability_two_random_records_match"] = self.prior
        for mine, theirs in zip(self.splink["comparisons"], target["comparisons"], strict=True):
            for a, b in zip(mine["comparison_levels"], theirs["comparison_levels"], strict=True):
                for key in ("m_probability", "u_probability", "tf_minimum_u_value"):
                    if key in a:
                        b[key] = a[key]
        return target


def _linker(settings, tables: list, aliases: list[str], backend: str, spark=None):
    from splink import Linker

    api = db_api(backend, spark)
    inputs = [to_backend(t, backend, api) for t in tables]
    return Linker(inputs, settings, api, set_up_basic_logging=False, input_table_aliases=aliases)


def _tables(nominals, subjects):
    if subjects is None:  # the master list against itself
        return [nominals], ["nominals"], "dedupe_only"
    return [nominals, subjects], ["nominals", "subjects"], "link_only"


def train(
    nominals,
    subjects=None,
    *,
    backend: str = "duckdb",
    sample: int = 200_000,
    seed: int = 1,
    upper: float = defaults.UPPER,
    lower: float = defaults.LOWER,
    spark=None,
) -> Model:
    """Train a model on standardised ``nominals`` and ``subjects`` (at most ``sample`` of them,
    drawn at random): the prior from pairs certainly the same person, u from random pairs,
    m by expectation maximisation with term-frequency adjustments. ``subjects`` None: train for
    finding duplicates within the master list."""
    from splink import block_on

    started = time.perf_counter()
    if subjects is not None and len(subjects) > sample:
        subjects = subjects.sample(n=sample, random_state=seed)
    tables, aliases, link_type = _tables(nominals, subjects)
    linker = _linker(
        defaults.settings_for("duckdb", link_type=link_type), tables, aliases, backend, spark
    )
    linker.training.estimate_probability_two_random_records_match(
        [block_on(*rule) for rule in defaults.DETERMINISTIC], recall=defaults.DETERMINISTIC_RECALL
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=defaults.U_PAIRS, seed=seed)
    for rule in defaults.TRAINING_BLOCKS:
        linker.training.estimate_parameters_using_expectation_maximisation(block_on(*rule))
    trained = linker.misc.save_model_to_json()
    trained.pop("sql_dialect", None)
    _fill_unseen(trained)
    return Model(
        splink=trained,
        trained_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        upper=upper,
        lower=lower,
        training={
            "nominals": len(nominals),
            "subjects": 0 if subjects is None else len(subjects),
            "link_type": link_type,
            "seconds": round(time.perf_counter() - started, 1),
            "backend": backend,
        },
    )


def _fill_unseen(trained: dict[str, Any]) -> None:
    """Give every level explicit probabilities. A level no random pair fell into has no u: it is
    set to half of one pair in the sample (rarer than anything seen); a level no training pair
    fell into has no m: it is set to :data:`UNSEEN_M`. Splink would otherwise fill them with
    defaults at prediction time that the one-record lookup cannot see."""
    for comparison in trained["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            if not level.get("u_probability"):
                level["u_probability"] = 0.5 / defaults.U_PAIRS
            if not level.get("m_probability"):
                level["m_probability"] = UNSEEN_M


def predict(
    model: Model,
    nominals,
    subjects=None,
    *,
    threshold: float | None = None,
    backend="duckdb",
    spark=None,
):
    """Every compared pair at or above ``threshold`` (default: the lower threshold) as a pandas
    DataFrame: ``nominal_id``, ``subject_id``, ``match_probability``, ``match_weight`` and each
    comparison's weight (``w_<comparison>``: its Bayes factor, term-frequency adjustment
    included, as bits). With ``subjects`` None, pairs of nominals (``subject_id`` is the other
    nominal)."""
    tables, aliases, link_type = _tables(nominals, subjects)
    dialect = "spark" if backend == "spark" else "duckdb"
    linker = _linker(
        model.settings_for(dialect, link_type=link_type), tables, aliases, backend, spark
    )
    cutoff = model.lower if threshold is None else threshold
    result = linker.inference.predict(threshold_match_probability=cutoff)
    frame = result.as_pandas_dataframe()
    return _pairs(model, frame)


def level_labels(comparison: dict[str, Any]) -> dict[int, str]:
    """A comparison's levels by Splink's number for them (the null level is -1, the last level
    0, the first the highest)."""
    levels = comparison["comparison_levels"]
    ordinary = [lv for lv in levels if not lv.get("is_null_level")]
    out = {len(ordinary) - 1 - i: lv.get("label_for_charts", "") for i, lv in enumerate(ordinary)}
    for lv in levels:
        if lv.get("is_null_level"):
            out[-1] = lv.get("label_for_charts", "")
    return out


def _pairs(model: Model, frame):
    import numpy as np
    import pandas as pd

    names = [c["output_column_name"] for c in model.splink["comparisons"]]
    if "source_dataset_l" in frame.columns:
        left_is_nominal = frame["source_dataset_l"] == "nominals"
    else:
        left_is_nominal = pd.Series(True, index=frame.index)
    out = pd.DataFrame(
        {
            "nominal_id": np.where(left_is_nominal, frame["unique_id_l"], frame["unique_id_r"]),
            "subject_id": np.where(left_is_nominal, frame["unique_id_r"], frame["unique_id_l"]),
            "match_probability": frame["match_probability"].astype(float),
            "match_weight": frame["match_weight"].astype(float),
        }
    )
    for name in names:
        bf = frame[f"bf_{name}"].astype(float)
        tf = f"bf_tf_adj_{name}"
        if tf in frame.columns:
            bf = bf * frame[tf].astype(float).fillna(1.0)
        out[f"w_{name}"] = np.log2(bf)
        out[f"level_{name}"] = frame[f"gamma_{name}"].astype(int)
    veto = pd.Series(False, index=frame.index)
    for comparison in model.splink["comparisons"]:
        name = comparison["output_column_name"]
        vetoed = [
            g for g, label in level_labels(comparison).items() if (name, label) in defaults.VETO
        ]
        if vetoed:
            veto |= out[f"level_{name}"].isin(vetoed)
    out["veto"] = veto
    return out.reset_index(drop=True)


def prior_weight(model: Model) -> float:
    p = model.prior
    return math.log2(p / (1 - p))


def explain(model: Model, pair) -> list[dict[str, Any]]:
    """One pair's explanation: the prior, then each comparison's level and match weight, in order
    (a waterfall). The weights sum to the pair's match weight."""
    steps = [
        {"comparison": "prior", "label": "before any comparison", "weight": prior_weight(model)}
    ]
    for comparison in model.splink["comparisons"]:
        name = comparison["output_column_name"]
        label = level_labels(comparison)[int(pair[f"level_{name}"])]
        steps.append({"comparison": name, "label": label, "weight": float(pair[f"w_{name}"])})
    return steps


def decisions(model: Model, pairs) -> dict[tuple[str, str], str]:
    """Each pair's decision under ``model``: ``link`` (at or above the upper threshold) or
    ``review`` (between the thresholds)."""
    keys = zip(pairs["nominal_id"], pairs["subject_id"], strict=True)
    probs, vetoes = pairs["match_probability"].to_numpy(), pairs["veto"].to_numpy()
    return {
        key: ("link" if prob >= model.upper and not veto else "review")
        for key, prob, veto in zip(keys, probs, vetoes, strict=True)
        if prob >= model.lower
    }


def compare(
    old: Model,
    new: Model,
    nominals,
    subjects=None,
    *,
    backend="duckdb",
    spark=None,
    examples: int = 20,
) -> dict[str, Any]:
    """What putting ``new`` in place of ``old`` would change on the same data: links gained, links
    lost and pairs whose decision (link / review / nothing) flips, with up to ``examples`` of
    each."""
    before = decisions(old, predict(old, nominals, subjects, backend=backend, spark=spark))
    after = decisions(new, predict(new, nominals, subjects, backend=backend, spark=spark))
    links_before = {k for k, v in before.items() if v == "link"}
    links_after = {k for k, v in after.items() if v == "link"}
    flipped = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    gained, lost = sorted(links_after - links_before), sorted(links_before - links_after)
    return {
        "links_before": len(links_before),
        "links_after": len(links_after),
        "gained": len(gained),
        "lost": len(lost),
        "flipped": len(flipped),
        "examples": {
            "gained": [list(k) for k in gained[:examples]],
            "lost": [list(k) for k in lost[:examples]],
            "flipped": [
                {"pair": list(k), "before": before.get(k, "none"), "after": after.get(k, "none")}
                for k in flipped[:examples]
            ],
        },
    }


def best_matches(model: Model, pairs):
    """Each subject's best match at or above the upper threshold and not vetoed: ``subject_id``,
    ``nominal_id``, ``match_probability``."""
    linked = pairs[(pairs["match_probability"] >= model.upper) & ~pairs["veto"]]
    best = linked.sort_values(
        ["subject_id", "match_probability", "nominal_id"], ascending=[True, False, True]
    )
    best = best.drop_duplicates("subject_id")
    return best[["subject_id", "nominal_id", "match_probability"]].reset_index(drop=True)
