"""Disruption figures, counted in the database. Only approved disruptions count, and a support
record only while its lead record is approved (``DisruptionQuerySet.counted``)."""

from __future__ import annotations

import datetime as dt

from django.db.models import CharField, Count, Q, QuerySet
from django.db.models.functions import Cast, Substr

from .choices import Category, DisruptionType, FourP
from .models import Disruption
from .services import standard_failures

EXTRACT_COLUMNS = [
    "region",
    "organisation",
    "lead_disruptions",
    "pursue",
    "prevent",
    "protect",
    "prepare",
    "major",
    "moderate",
    "minor",
]


def extract_queryset(
    queryset: QuerySet, date_from: dt.date, date_to: dt.date, region=None
) -> QuerySet:
    """The inspectorate's disruption extract: Lead, record date in the period, category Major,
    Moderate or Minor, approved only. Support records are never in it, so the rule that a
    support record counts only with an approved lead leaves its figures as they were."""
    qs = queryset.counted().filter(
        disruption_type=DisruptionType.LEAD,
        record_date__gte=date_from,
        record_date__lte=date_to,
        category__in=Category.values,
    )
    if region is not None:
        qs = qs.filter(recording_organisation__region=region)
    return qs


def disruption_extract(
    queryset: QuerySet, date_from: dt.date, date_to: dt.date, region=None
) -> list[dict]:
    """One row per recording organisation: lead disruptions, by 4P and by category."""
    counts = {"lead_disruptions": Count("id")}
    counts.update({p: Count("id", filter=Q(four_p=p)) for p in FourP.values})
    counts.update({c: Count("id", filter=Q(category=c)) for c in Category.values})
    rows = (
        extract_queryset(queryset, date_from, date_to, region)
        .values("recording_organisation__region__name", "recording_organisation__name")
        .annotate(**counts)
        .order_by("recording_organisation__region__name", "recording_organisation__name")
    )
    return [
        {
            "region": r.pop("recording_organisation__region__name") or "National",
            "organisation": r.pop("recording_organisation__name"),
            **r,
        }
        for r in rows
    ]


def disruption_report(
    queryset: QuerySet, date_from: dt.date, date_to: dt.date, region=None
) -> dict:
    """Counted disruptions by organisation (with its share of its region), region, 4P, category,
    lead/support, tactic and month, and how many approved support records are left out because
    their lead is not approved. Grouped queries; the rest is summed here."""
    from socmaster.organisations.models import Organisation

    from .models import Tactic

    in_period = queryset.filter(event_date__gte=date_from, event_date__lte=date_to)
    if region is not None:
        in_period = in_period.filter(recording_organisation__region=region)
    qs = in_period.counted()
    groups = list(
        qs.values("recording_organisation_id", "four_p", "category", "disruption_type", "tactic_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    months = (
        qs.annotate(month=Substr(Cast("event_date", CharField()), 1, 7))
        .values("month")
        .annotate(n=Count("id"))
        .order_by("month")
    )
    orgs = Organisation.objects.select_related("region").in_bulk(
        {g["recording_organisation_id"] for g in groups}
    )
    tactics = Tactic.objects.in_bulk({g["tactic_id"] for g in groups if g["tactic_id"]})

    def tally(key_of, label_of) -> list[dict]:
        totals: dict = {}
        for g in groups:
            key = key_of(g)
            totals[key] = totals.get(key, 0) + g["n"]
        return sorted(  # most first; equal counts by name, so the order never depends on the
            # order the database happens to return its groups in
            ({"key": k, "label": label_of(k), "n": n} for k, n in totals.items()),
            key=lambda r: (-r["n"], r["label"]),
        )

    by_org = tally(lambda g: g["recording_organisation_id"], lambda k: orgs[k].name)
    region_of = {k: (orgs[k].region.name if orgs[k].region_id else "National") for k in orgs}
    region_totals: dict[str, int] = {}
    for row in by_org:
        region_totals[region_of[row["key"]]] = (
            region_totals.get(region_of[row["key"]], 0) + row["n"]
        )
    organisations = sorted(
        (
            {
                "organisation": row["label"],
                "region": region_of[row["key"]],
                "n": row["n"],
                "share": round(100 * row["n"] / region_totals[region_of[row["key"]]], 1),
            }
            for row in by_org
        ),
        key=lambda r: (r["region"], -r["n"]),
    )
    return {
        "total": sum(g["n"] for g in groups),
        "support_left_out": in_period.support_lead_not_approved().count(),
        "organisations": organisations,
        "regions": sorted(region_totals.items()),
        "four_p": tally(lambda g: g["four_p"], lambda k: FourP(k).label),
        "category": tally(lambda g: g["category"], lambda k: Category(k).label),
        "type": tally(lambda g: g["disruption_type"], lambda k: DisruptionType(k).label),
        "tactic": tally(lambda g: g["tactic_id"], lambda k: tactics[k].label if k else "–"),
        "months": [{"month": m["month"], "n": m["n"]} for m in months],
        "months_rows": [{"label": _month_label(m["month"]), "n": m["n"]} for m in months],
    }


def _month_label(month: str) -> str:
    """'2026-03' as people write it: 'Mar 2026'."""
    try:
        return dt.date.fromisoformat(f"{month}-01").strftime("%b %Y")
    except ValueError:
        return month


# The rules of a minimum standard in the domain's words, by the field each one is about.
RULE_NAMES = {
    "threat": "Allowed threat types",
    "record_date": "Time allowed to record",
    "event_date": "Event date",
    "team": "Team recorded",
    "tactic": "Tactic recorded",
    "narrative": "Narrative (and activities that are never SOC disruptions)",
    "evidence": "Evidence references",
}


def rule_name(field: str) -> str:
    return RULE_NAMES.get(field, field.replace("_", " ").capitalize())


def recording_audit(
    queryset: QuerySet, date_from: dt.date, date_to: dt.date, organisation=None
) -> dict:
    """How many records in the period met each rule of the standard they were recorded under, and
    which failed (as one ROCU audited a year of its records)."""
    qs = queryset.filter(record_date__gte=date_from, record_date__lte=date_to).select_related(
        "threat", "standard", "tactic", "recording_organisation"
    )
    if organisation is not None:
        qs = qs.filter(recording_organisation=organisation)
    failures, by_rule, total = [], {}, 0
    for disruption in qs.iterator(chunk_size=2000):
        total += 1
        values = {
            name: getattr(disruption, name)
            for name in ("event_date", "record_date", "team", "tactic", "narrative", "evidence")
        }
        problems = standard_failures(values, disruption.threat, disruption.standard)
        for field, messages in problems.items():
            by_rule[field] = by_rule.get(field, 0) + 1
            failures.append(
                {
                    "disruption": disruption,
                    "field": field,
                    "rule": rule_name(field),
                    "message": " ".join(messages),
                }
            )
    failed = len({f["disruption"].pk for f in failures})
    return {
        "total": total,
        "met": total - failed,
        "failed": failed,
        "by_rule": sorted(by_rule.items()),
        "by_rule_named": [(rule_name(field), n) for field, n in sorted(by_rule.items())],
        "failures": failures,
    }


AUDIT_COLUMNS = [
    "disruption",
    "threat",
    "recording_organisation",
    "event_date",
    "record_date",
    "standard",
    "rule",
    "message",
]


def recording_audit_rows(data: dict) -> list[dict]:
    """The recording audit's failures as plain rows (exports and ``socmaster report``)."""
    return [
        {
            "disruption": f["disruption"].reference,
            "threat": f["disruption"].threat.reference,
            "recording_organisation": f["disruption"].recording_organisation.name,
            "event_date": f["disruption"].event_date.isoformat(),
            "record_date": f["disruption"].record_date.isoformat(),
            "standard": f["disruption"].standard.version,
            "rule": f["rule"],
            "message": f["message"],
        }
        for f in data["failures"]
    ]


def threat_timeline(user, threat) -> list[dict]:
    """The approved disruptions of ``threat`` that ``user`` may see, by event date, for a chart."""
    return [
        {
            "date": d.event_date.isoformat(),
            "label": f"{d.get_four_p_display()} ({d.get_category_display()})",
        }
        for d in Disruption.objects.visible_to(user)
        .filter(threat=threat)
        .counted()
        .order_by("event_date")
    ]
