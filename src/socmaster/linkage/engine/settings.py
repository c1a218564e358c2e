"""The person-matching model's settings, as data.

:func:`comparisons` and :data:`BLOCKING` describe how two standardised records are compared and
which pairs are compared at all; :func:`settings_for` turns them into the Splink settings
dictionary for a SQL dialect (DuckDB or Spark: the same levels in the same order, so trained
parameters move between them level by level).

Two choices here are not Splink's defaults, and why:
- **Shared addresses.** Relatives share a postcode and a phone line far more often than two random
  people, so the chance that two *different* people share a postcode (u) is fixed at the rate for
  people in one household's circle (:data:`POSTCODE_U`), not learnt from random pairs. Learnt from
  random pairs, an exact postcode is worth about 20 bits and merges twins.
- **Suffixes.** A suffix (Jr, Sr, II) on one record and not the other, or different suffixes, is a
  level of its own that training learns to count against a match: a father and son with the same
  name at the same address differ in it.
"""

from __future__ import annotations

from typing import Any

#: The chance that two different people who might be confused share a postcode at each level
#: (exact, sector, district, area), fixed rather than learnt from random pairs.
POSTCODE_U = [0.004, 0.01, 0.03, 0.08]

#: Pairs are compared only where one of these holds (the union): the same date of birth, or
#: with the day and month transposed; the same forename and surname; the same postcode; the same
#: phone. A rule is a list of columns that must be equal, or SQL over ``l`` and ``r``.
BLOCKING: list[list[str] | str] = [
    ["dob"],
    "l.dob = r.dob_transposed",
    "l.dob_transposed = r.dob",
    ["surname", "first_name"],
    ["postcode"],
    ["phone"],
]
#: Training: each session of expectation maximisation fixes the comparisons it blocks on.
TRAINING_BLOCKS: list[list[str]] = [["dob"], ["surname", "first_initial"]]
#: Pairs that are certainly the same person, for estimating how many pairs match.
DETERMINISTIC: list[list[str]] = [["first_name", "surname", "dob"], ["surname", "dob", "postcode"]]
DETERMINISTIC_RECALL = 0.7
#: Pairs drawn at random to estimate u (how often two different people agree by chance).
U_PAIRS = 2_000_000
#: Above the upper threshold a match is proposed as a link; between the two it goes for review.
UPPER = 0.95
LOWER = 0.5
TERM_FREQUENCY_COLUMNS = ("first_name", "surname")
ELSE = "All other comparisons"
#: m probabilities fixed from what is known of record quality rather than learnt: how often one
#: person's two records disagree this way. Learnt by expectation maximisation, the hard strangers
#: (twins, fathers and sons) teach the model that such disagreements are common among matches.
FIXED_M = {
    ("forename", ELSE): 0.01,
    ("dob", "same year"): 0.01,
    ("dob", ELSE): 0.005,
    ("suffix", "different suffixes"): 0.005,
}
#: Levels that keep a pair from being proposed as a link whatever its probability: at most it is
#: reviewed. Entirely different forenames (twins, siblings), dates of birth a year or more apart
#: or different suffixes (a father and son) are what a person's own records almost never show.
VETO = {
    ("forename", ELSE),
    ("dob", "same year"),
    ("dob", ELSE),
    ("suffix", "different suffixes"),
}


YEAR_L = "CAST(SUBSTR(dob_l, 1, 4) AS INT)"
YEAR_R = "CAST(SUBSTR(dob_r, 1, 4) AS INT)"


def comparisons() -> list:
    """The Splink comparison creators, in order."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    forename = cl.CustomComparison(
        output_column_name="forename",
        comparison_description="first name",
        comparison_levels=[
            cll.NullLevel("first_name"),
            cll.ExactMatchLevel("first_name", term_frequency_adjustments=True),
            # One name among the other's short forms or formal names (Bill and William, Bob
            # and Robert), not merely a shared short form (Robert and William share "Bill").
            cll.CustomLevel(
                "array_contains(forename_keys_l, first_name_r) "
                "OR array_contains(forename_keys_r, first_name_l)",
                "nickname or short form",
            ),
            cll.CustomLevel(
                "first_name_l = middle_name_r OR middle_name_l = first_name_r",
                "first and middle names swapped",
            ),
            cll.JaroWinklerLevel("first_name", 0.9),
            cll.ColumnsReversedLevel("first_name", "surname", symmetrical=True).configure(
                label_for_charts="forename and surname swapped"
            ),
            cll.ElseLevel(),
        ],
    )
    surname = cl.CustomComparison(
        output_column_name="surname",
        comparison_description="surname",
        comparison_levels=[
            cll.NullLevel("surname"),
            cll.ExactMatchLevel("surname", term_frequency_adjustments=True),
            cll.ColumnsReversedLevel("first_name", "surname", symmetrical=True).configure(
                label_for_charts="forename and surname swapped"
            ),
            cll.ArrayIntersectLevel("surname_parts", 1).configure(
                label_for_charts="one part of a double-barrelled surname"
            ),
            cll.JaroWinklerLevel("surname", 0.92),
            cll.JaroWinklerLevel("surname", 0.85),
            cll.ElseLevel(),
        ],
    )
    middle = cl.CustomComparison(
        output_column_name="middle_name",
        comparison_description="middle name",
        comparison_levels=[
            cll.NullLevel("middle_name"),
            cll.ExactMatchLevel("middle_name"),
            cll.CustomLevel(
                "first_name_l = middle_name_r OR middle_name_l = first_name_r",
                "first and middle names swapped",
            ),
            cll.CustomLevel(
                "SUBSTR(middle_name_l, 1, 1) = SUBSTR(middle_name_r, 1, 1)", "same initial"
            ),
            cll.ElseLevel(),
        ],
    )
    dob = cl.CustomComparison(
        output_column_name="dob",
        comparison_description="date of birth",
        comparison_levels=[
            cll.NullLevel("dob"),
            cll.ExactMatchLevel("dob"),
            cll.CustomLevel("dob_l = dob_transposed_r", "day and month transposed"),
            # A typing slip in the day or month. Not in the year: 1963 and 1993 differ in one
            # digit and are a parent and child.
            cll.And(
                cll.DamerauLevenshteinLevel("dob", 1),
                cll.CustomLevel(f"{YEAR_L} = {YEAR_R}"),
            ).configure(label_for_charts="one digit of the day or month differs"),
            cll.CustomLevel(
                f"SUBSTR(dob_l, 6, 5) = SUBSTR(dob_r, 6, 5) AND ABS({YEAR_L} - {YEAR_R}) = 1",
                "same day and month, a year apart",
            ),
            cll.CustomLevel(f"{YEAR_L} = {YEAR_R}", "same year"),
            cll.ElseLevel(),
        ],
    )
    suffix = cl.CustomComparison(
        output_column_name="suffix",
        comparison_description="name suffix (Jr, Sr, II)",
        comparison_levels=[
            cll.CustomLevel("suffix_l = suffix_r", "same suffix, or neither has one"),
            cll.ElseLevel().configure(label_for_charts="different suffixes"),
        ],
    )
    return [
        forename,
        middle,
        surname,
        dob,
        suffix,
        cl.PostcodeComparison("postcode"),
        cl.ExactMatch("phone"),
        cl.ExactMatch("gender"),
    ]


def blocking(rules: list) -> list:
    from splink import block_on
    from splink.blocking_rule_library import CustomRule

    return [CustomRule(r) if isinstance(r, str) else block_on(*r) for r in rules]


def settings_for(dialect: str, *, link_type: str = "link_only") -> dict[str, Any]:
    """The untrained Splink settings dictionary for ``dialect`` (``duckdb`` or ``spark``)."""
    from splink import SettingsCreator

    creator = SettingsCreator(
        link_type=link_type,
        unique_id_column_name="unique_id",
        comparisons=comparisons(),
        blocking_rules_to_generate_predictions=blocking(BLOCKING),
        retain_intermediate_calculation_columns=True,
        retain_matching_columns=True,
        additional_columns_to_retain=[],
    )
    settings = creator.create_settings_dict(dialect)
    for comparison in settings["comparisons"]:
        name = comparison["output_column_name"]
        for level in comparison["comparison_levels"]:
            fixed = FIXED_M.get((name, level.get("label_for_charts")))
            if fixed is not None:
                level["m_probability"] = fixed
                level["fix_m_probability"] = True
        if name == "postcode":
            levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
            for level, u in zip(levels, POSTCODE_U, strict=False):
                level["u_probability"] = u
                level["fix_u_probability"] = True
    return settings
