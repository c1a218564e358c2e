"""The exceptions report as rows for CSV, XLSX and JSON (page exports and ``socmaster report``)."""

from __future__ import annotations

from .exceptions import run_all

COLUMNS = [
    "check",
    "check_title",
    "threat",
    "threat_name",
    "organisation",
    "region",
    "lro",
    "detail",
]


def _person(user) -> str:
    return (user.get_full_name() or user.username) if user is not None else ""


def rows(threats) -> list[dict]:
    """One row per flagged threat per check (and per overloaded LRO), over ``threats``."""
    out = []
    for check, found in run_all(threats):
        for row in found:
            threat = row.get("threat")
            base = {"check": check.key, "check_title": check.title, "detail": row.get("detail", "")}
            if threat is None:  # a check about people (LROs holding too many threats)
                out.append(
                    base
                    | {
                        "threat": "; ".join(t.reference for t in row.get("threats", [])),
                        "threat_name": "",
                        "organisation": "",
                        "region": "",
                        "lro": row.get("lro", ""),
                    }
                )
                continue
            owner = threat.owner
            out.append(
                base
                | {
                    "threat": threat.reference,
                    "threat_name": threat.name,
                    "organisation": owner.name,
                    "region": owner.region.name if owner.region_id else "",
                    "lro": _person(threat.lro) if threat.lro_id else "",
                }
            )
    return out
