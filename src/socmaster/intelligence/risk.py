"""The risk score that orders the intelligence and SAR queues. Pure: no Django.

A score is the sum of named factors, so that the queue can show why a report is where it is:

* intelligence reports: each priority flag, the source evaluation and intelligence assessment,
  and whether it mentions a Tier 1–2 threat or one of its nominals;
* SARs: the type (DAML and vulnerability first), the amount, and matches found by screening;
* both: the time waiting, in bands (added when the queue is sorted, so it is always today's).
"""

from __future__ import annotations

FLAG_POINTS = {
    "threat_to_life": ("Threat to life", 50),
    "child_at_risk": ("Child at risk", 30),
    "vulnerable_victim": ("Vulnerable victim", 20),
    "time_critical": ("Time-critical", 15),
}
SOURCE_POINTS = {"1": 10, "2": 5, "3": 0}
ASSESSMENT_POINTS = {"A": 10, "B": 8, "C": 5, "D": 2, "E": 0}
TIER_MENTION_POINTS = 20
#: (days waiting at least, points), longest first.
AGE_BANDS = ((56, 20), (28, 15), (14, 10), (7, 5))
SAR_TYPE_POINTS = {"daml": 60, "vulnerability": 40, "standard": 0, "other": 0}
#: (amount at least, points), largest first.
AMOUNT_BANDS = ((1_000_000, 20), (100_000, 10), (10_000, 5))
SCREENING_MATCH_POINTS = 20

Factors = list[tuple[str, int]]


def report_factors(
    *, flags: dict[str, bool], source: str, assessment: str, mentions_tier_1_2: bool
) -> Factors:
    factors = [(label, points) for name, (label, points) in FLAG_POINTS.items() if flags.get(name)]
    factors.append((f"Source evaluation {source}", SOURCE_POINTS.get(source, 0)))
    factors.append((f"Intelligence assessment {assessment}", ASSESSMENT_POINTS.get(assessment, 0)))
    if mentions_tier_1_2:
        factors.append(("Mentions a Tier 1–2 threat or its nominal", TIER_MENTION_POINTS))
    return factors


def sar_factors(*, sar_type: str, amount, matches_found: bool) -> Factors:
    factors = [(f"Type: {sar_type}", SAR_TYPE_POINTS.get(sar_type, 0))]
    if amount is not None:
        for threshold, points in AMOUNT_BANDS:
            if amount >= threshold:
                factors.append((f"Amount of £{threshold:,} or more", points))
                break
    if matches_found:
        factors.append(("Screening found master-list matches", SCREENING_MATCH_POINTS))
    return factors


def total(factors: Factors) -> int:
    return sum(points for _, points in factors)


def age_points(days_waiting: int) -> int:
    for days, points in AGE_BANDS:
        if days_waiting >= days:
            return points
    return 0


def default_priority(flags: dict[str, bool]) -> str:
    """A report's priority before anyone triages it, from its flags."""
    if flags.get("threat_to_life"):
        return "urgent"
    if flags.get("child_at_risk") or flags.get("vulnerable_victim") or flags.get("time_critical"):
        return "high"
    return "normal"


def default_sar_priority(sar_type: str) -> str:
    return {"daml": "urgent", "vulnerability": "high"}.get(sar_type, "normal")
