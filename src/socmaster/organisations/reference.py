"""Loading the reference organisations (regions, ROCUs, forces, agencies, partners).

The list lives in ``data/organisations.json``; it is loaded by a data migration and can be
re-loaded (idempotently) with ``socmaster load-organisations``.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

DATA_FILE = Path(__file__).parent / "data" / "organisations.json"


def read_reference(path: Path = DATA_FILE) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["organisations"]


def load_reference(
    Organisation, OrganisationAlias, OrganisationChange, rows: list[dict] | None = None
) -> int:
    """Create or update each organisation by its key. Model classes are passed in so a
    migration can use its historical models. Returns the number of organisations loaded."""
    from .models import normalise_name

    rows = rows if rows is not None else read_reference()
    by_key = {}
    new_keys: set[str] = set()
    # Regions first, then ROCUs, then the rest, so references resolve.
    order = {"region": 0, "rocu": 1}
    for row in sorted(rows, key=lambda r: order.get(r["type"], 2)):
        # Existing organisations keep their recorded renames and moves: only new ones are created.
        org, created = Organisation.objects.get_or_create(
            key=row["key"],
            defaults={
                "name": row["name"],
                "short_name": row["short_name"],
                "type": row["type"],
                "normalised_name": normalise_name(row["name"]),
                "normalised_short_name": normalise_name(row["short_name"]),
            },
        )
        by_key[row["key"]] = org
        if created:
            new_keys.add(row["key"])
    for row in rows:
        org = by_key[row["key"]]
        if row["key"] not in new_keys:
            continue
        region_key = row["key"] if row["type"] == "region" else row.get("region")
        org.region = by_key[region_key] if region_key else None
        org.rocu = by_key[row["rocu"]] if row.get("rocu") else None
        org.save()
        for alias in row.get("aliases", []):
            OrganisationAlias.objects.update_or_create(
                normalised=normalise_name(alias),
                defaults={"organisation": org, "alias": alias, "kind": "alias"},
            )
        for change in row.get("history", []):
            until = dt.date.fromisoformat(change["until"])
            for value, kind in (
                (change.get("from_name"), "former_name"),
                (change.get("from_short_name"), "former_short_name"),
            ):
                if value:
                    OrganisationAlias.objects.update_or_create(
                        normalised=normalise_name(value),
                        defaults={
                            "organisation": org,
                            "alias": value,
                            "kind": kind,
                            "valid_until": until,
                        },
                    )
            OrganisationChange.objects.get_or_create(
                organisation=org,
                kind=change.get("kind", "renamed"),
                effective=until,
                defaults={
                    "before": {
                        "name": change.get("from_name"),
                        "short_name": change.get("from_short_name"),
                    },
                    "after": {"name": row["name"], "short_name": row["short_name"]},
                    "note": "From the reference list.",
                },
            )
    return len(by_key)
