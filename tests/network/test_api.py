"""The network API: associations through the services (references only to visible nominals),
the user's own analyses, and a record's chart, hidden answering like missing. Synthetic data."""

from __future__ import annotations

import pytest

from socmaster.network import services
from socmaster.network.models import Association
from tests.network.test_access import world  # noqa: F401


def test_associations_are_listed_and_recorded_through_the_service(world, api):  # noqa: F811
    people, n, _threat = world
    owner = api(people["owner"])
    listed = owner.get("/api/associations/").json()
    assert len(listed["results"] if "results" in listed else listed) == 3
    same_region = api(people["same_region"]).get("/api/associations/").json()
    rows = same_region["results"] if "results" in same_region else same_region
    assert {(r["nominal"], r["other"]) for r in rows} == {
        ("NOM-NET-A", "NOM-NET-B"),
        ("NOM-NET-A", "NOM-NET-D"),
    }
    created = owner.post(
        "/api/associations/",
        {"nominal": "NOM-NET-C", "other": "NOM-NET-D", "kind": "partner"},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert Association.objects.filter(nominal=n["C"], other=n["D"], kind="partner").exists()
    self_tie = owner.post(
        "/api/associations/", {"nominal": "NOM-NET-A", "other": "NOM-NET-A"}, format="json"
    )
    assert self_tie.status_code == 400 and "other" in self_tie.json()


def test_a_hidden_nominal_is_no_such_nominal(world, api):  # noqa: F811
    people, _n, _threat = world
    response = api(people["same_region"]).post(
        "/api/associations/", {"nominal": "NOM-NET-A", "other": "NOM-NET-C"}, format="json"
    )
    missing = api(people["same_region"]).post(
        "/api/associations/", {"nominal": "NOM-NET-A", "other": "NOM-NET-Z"}, format="json"
    )
    assert response.status_code == missing.status_code == 400
    assert response.json() == missing.json() == {"other": ["No such nominal."]}


@pytest.mark.parametrize("who,status", [("owner", 200), ("same_region", 200), ("partner", 404)])
def test_the_chart_endpoint(world, api, who, status):  # noqa: F811
    people, _n, threat = world
    client = api(people[who])
    response = client.get(
        "/api/network-runs/chart/", {"kind": "threat", "reference": threat.reference}
    )
    missing = client.get("/api/network-runs/chart/", {"kind": "threat", "reference": "NONE-0"})
    assert response.status_code == status
    if status == 404:
        assert response.json() == missing.json()
    else:
        assert ("NOM-NET-C" in response.content.decode()) is (who == "owner")
    bad = client.get("/api/network-runs/chart/", {"kind": "place", "reference": "x"})
    assert bad.status_code == 400 and "kind" in bad.json()


def test_analyses_are_listed_only_for_their_starter(world, api):  # noqa: F811
    people, _n, _threat = world
    run = services.run_queued(services.start_analysis(people["owner"]))
    mine = api(people["owner"]).get("/api/network-runs/").json()
    ids = [r["id"] for r in (mine["results"] if "results" in mine else mine)]
    assert ids == [run.pk]
    theirs = api(people["same_region"]).get(f"/api/network-runs/{run.pk}/")
    assert theirs.status_code == 404
