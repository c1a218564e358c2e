"""One-record lookup: "possible matches" for a person being typed in, at once.

Splink scores a batch by generating and running a SQL pipeline, which costs a few hundred
milliseconds however small the batch. A :class:`Lookup` holds the nominals in an embedded DuckDB
table and one prepared query built from the model's own comparison levels (the same SQL
conditions, in the same order), and scores the pairs with the model's own m and u probabilities
and term-frequency adjustments, so that a pair scores exactly as :func:`.model.predict` scores it
(tested). Blocking is the model's.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Any

from . import settings as defaults
from .model import Model, level_labels, prior_weight
from .standardise import prepare_one

_TEXT = [
    "first_name",
    "middle_name",
    "surname",
    "suffix",
    "dob",
    "dob_transposed",
    "gender",
    "postcode",
    "phone",
    "first_initial",
]
_ARRAYS = ["forename_keys", "surname_parts"]


def _block_sql(rule) -> str:
    """A blocking rule over the nominals ``n`` and the record looked up ``q``."""
    if isinstance(rule, str):
        return re.sub(r"\bl\.", "n.", re.sub(r"\br\.", "q.", rule))
    return " AND ".join(f"n.{c} = q.{c}" for c in rule)


class Lookup:
    """The nominals, ready to be searched one person at a time."""

    def __init__(self, model: Model, nominals) -> None:
        """``nominals``: a standardised table (:func:`.standardise.prepare`)."""
        import duckdb

        self.model = model
        self.con = duckdb.connect()
        self.con.register("nominals_frame", nominals)
        self.con.execute("CREATE TABLE nominals AS SELECT * FROM nominals_frame")
        self.con.unregister("nominals_frame")
        self.count = len(nominals)
        self.tf = {c: Counter(nominals[c].dropna()) for c in defaults.TERM_FREQUENCY_COLUMNS}
        self.tf_total = {c: int(nominals[c].notna().sum()) for c in defaults.TERM_FREQUENCY_COLUMNS}
        self.comparisons = model.splink["comparisons"]
        self.sql = self._sql()
        self.weights = self._weights()

    def _sql(self) -> str:
        cases = []
        for comparison in self.comparisons:
            labels = level_labels(comparison)
            numbered = {label: gamma for gamma, label in labels.items()}
            whens = []
            for level in comparison["comparison_levels"]:
                gamma = -1 if level.get("is_null_level") else numbered[level["label_for_charts"]]
                condition = level["sql_condition"]
                whens.append(
                    f"ELSE {gamma}" if condition == "ELSE" else f"WHEN {condition} THEN {gamma}"
                )
            cases.append(f'CASE {" ".join(whens)} END AS "{comparison["output_column_name"]}"')
        columns = [*_TEXT, *_ARRAYS]
        pairs = ", ".join(
            [f"n.{c} AS {c}_l, q.{c} AS {c}_r" for c in columns] + ["n.unique_id AS unique_id"]
        )
        query = ", ".join(
            [f"CAST(? AS VARCHAR) AS {c}" for c in _TEXT]
            + [f"CAST(? AS VARCHAR[]) AS {c}" for c in _ARRAYS]
        )
        blocks = " OR ".join(f"({_block_sql(rule)})" for rule in defaults.BLOCKING)
        return (
            f"WITH q AS (SELECT {query}), "
            f"p AS (SELECT {pairs} FROM nominals n, q WHERE {blocks}) "
            f"SELECT unique_id, first_name_l, surname_l, {', '.join(cases)} FROM p"
        )

    def _weights(self) -> list[dict[int, tuple[float, dict | None]]]:
        """Per comparison: level number -> (match weight, the level's term-frequency details)."""
        out = []
        for comparison in self.comparisons:
            labels = level_labels(comparison)
            numbered = {label: gamma for gamma, label in labels.items()}
            exact_u = next(
                (
                    lv["u_probability"]
                    for lv in comparison["comparison_levels"]
                    if lv.get("tf_adjustment_column")
                ),
                None,
            )
            levels = {}
            for level in comparison["comparison_levels"]:
                if level.get("is_null_level"):
                    levels[-1] = (0.0, None)
                    continue
                weight = math.log2(level["m_probability"] / level["u_probability"])
                tf = None
                if level.get("tf_adjustment_column") and level.get("tf_adjustment_weight", 1):
                    tf = {
                        "column": level["tf_adjustment_column"],
                        "u": exact_u,
                        "weight": float(level.get("tf_adjustment_weight", 1.0)),
                        "minimum": float(level.get("tf_minimum_u_value", 0.0)),
                    }
                levels[numbered[level["label_for_charts"]]] = (weight, tf)
            out.append(levels)
        return out

    def _tf(self, column: str, value, query_value) -> float | None:
        """The value's term frequency among the nominals and the record looked up, as Splink
        works it out when it links the two."""
        if value is None:
            return None
        count = self.tf[column].get(value, 0) + (1 if query_value == value else 0)
        total = self.tf_total[column] + (1 if query_value is not None else 0)
        return count / total if total else None

    def matches(self, record: dict[str, Any], *, limit: int = 10, threshold: float | None = None):
        """The best ``limit`` nominals for one raw record (the screening file's columns), at or
        above ``threshold`` (default: the model's lower threshold), best first: each with its
        probability, match weight, whether it is vetoed from linking, and its explanation."""
        row = prepare_one(record)
        params = [row[c] for c in _TEXT]
        params += [row[c] for c in _ARRAYS]
        found = self.con.execute(self.sql, params).fetchall()
        cutoff = self.model.lower if threshold is None else threshold
        prior = prior_weight(self.model)
        names = [c["output_column_name"] for c in self.comparisons]
        out = []
        for unique_id, first_l, surname_l, *gammas in found:
            values = {"first_name": first_l, "surname": surname_l}
            steps, total, veto = [], prior, False
            for name, comparison, levels, gamma in zip(
                names, self.comparisons, self.weights, gammas, strict=True
            ):
                weight, tf = levels[gamma]
                if tf is not None:
                    freq = self._tf(
                        tf["column"], values[tf["column"]], params[_TEXT.index(tf["column"])]
                    )
                    if freq is not None:
                        weight += tf["weight"] * math.log2(tf["u"] / max(freq, tf["minimum"]))
                label = level_labels(comparison)[gamma]
                veto = veto or (name, label) in defaults.VETO
                steps.append({"comparison": name, "label": label, "weight": weight})
                total += weight
            probability = 2**total / (1 + 2**total)
            if probability >= cutoff:
                out.append(
                    {
                        "nominal_id": unique_id,
                        "match_probability": probability,
                        "match_weight": total,
                        "veto": veto,
                        "explanation": [
                            {
                                "comparison": "prior",
                                "label": "before any comparison",
                                "weight": prior,
                            },
                            *steps,
                        ],
                    }
                )
        out.sort(key=lambda m: (-m["match_weight"], m["nominal_id"]))
        return out[:limit]
