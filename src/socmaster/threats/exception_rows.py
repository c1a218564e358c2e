"""The exceptions report as rows for CSV, XLSX and JSON (page exports and ``socmaster report``)."""

from __future__ import annotations

from .exceptions import Scope, run_all

COLUMNS = [
    "check",
    "check_title",
    "threat",
    "threat_name",
    "organisation",
    "region",
    "lro",
    "detail",
    "record_kind",
    "record",
]


def _person(user) -> str:
    return (user.get_full_name() or user.username) if user is not None else ""


def rows(threats, scope: Scope | None = None) -> list[dict]:
    """One row per flagged threat per check (per overloaded LRO, and per flagged record of the
    checks over other records, within ``scope``), over ``threats``."""
    out = []
    for check, found in run_all(threats, scope=scope):
        for row in found:
            threat = row.get("threat")
            base = {"check": check.key, "check_title": check.title, "detail": row.get("detail", "")}
            if row.get("record") is not None:  # a record that is not a threat (a SAR)
                owner = row["owner"]
                out.append(
                    base
                    | {
                        "threat": "",
                        "threat_name": "",
                        "organisation": owner.name,
                        "region": owner.region.name if owner.region_id else "",
                        "lro": "",
                        "record_kind": row["kind"],
                        "record": row["reference"],
                    }
                )
            elif threat is None:  # a check about people (LROs holding too many threats)
                out.append(
                    base
                    | {
                        "threat": "; ".join(t.reference for t in row.get("threats", [])),
                        "threat_name": "",
                        "organisation": "",
                        "region": "",
                        "lro": row.get("lro", ""),
                        "record_kind": "LRO",
                        "record": row.get("username", ""),
                    }
                )
            else:
                owner = threat.owner
                out.append(
                    base
                    | {
                        "threat": threat.reference,
                        "threat_name": threat.name,
                        "organisation": owner.name,
                        "region": owner.region.name if owner.region_id else "",
                        "lro": _person(threat.lro) if threat.lro_id else "",
                        "record_kind": "threat",
                        "record": threat.reference,
                    }
                )
    return out
