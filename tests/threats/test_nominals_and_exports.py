"""Nominals, memberships, master-list search over members, exports and the exceptions report."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from openpyxl import load_workbook

from socmaster.core.models import AuditEntry
from socmaster.threats import services
from socmaster.threats.models import Identifier, Phase, Threat

pytestmark = pytest.mark.django_db


@pytest.fixture
def analyst(make_user):
    return make_user("force-durham", "analyst", username="nina")


@pytest.fixture
def group(analyst, org):
    return services.create_threat(
        analyst, owner=org("force-durham"), reference="N-T1", name="Harbour network"
    )


def test_nominal_with_aliases_identifiers_and_membership(analyst, org, group):
    n = services.create_nominal(
        analyst,
        owner=org("force-durham"),
        family_name="Ashworth",
        given_names="Robert",
        date_of_birth=dt.date(1990, 3, 4),
        aliases=[("Bob", "Ashworth", "nickname")],
        identifiers=[("phone", "07700 900123"), ("pnc_id", "12/345678A")],
    )
    assert n.reference == "NOM-000001"
    assert Identifier.objects.get(nominal=n, kind="phone").normalised == "07700900123"
    member = services.add_member(analyst, group, n, role="principal", from_date=dt.date(2024, 1, 1))
    with pytest.raises(ValidationError, match="already a current member"):
        services.add_member(analyst, group, n, role="peripheral")
    services.end_member(analyst, member, to_date=dt.date(2025, 1, 1))
    with pytest.raises(ValidationError):
        services.end_member(analyst, member, to_date=dt.date(2023, 1, 1))
    actions = list(
        AuditEntry.objects.filter(record_type__in=["threats.nominal", "threats.threatmember"])
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == ["create", "create", "update"]


def test_future_date_of_birth_refused(analyst, org):
    with pytest.raises(ValidationError) as exc:
        services.create_nominal(
            analyst,
            owner=org("force-durham"),
            family_name="X",
            date_of_birth=dt.date.today() + dt.timedelta(days=2),
        )
    assert "date_of_birth" in exc.value.message_dict


def test_master_list_search_covers_member_names_and_aliases(web, analyst, org, group):
    n = services.create_nominal(
        analyst,
        owner=org("force-durham"),
        family_name="Quennell",
        given_names="Thomas",
        aliases=[("Tommo", "Q", "nickname")],
    )
    services.add_member(analyst, group, n, role="significant")
    client = web(analyst)
    assert "/threats/N-T1/" in client.get("/threats/", {"q": "quennell"}).content.decode()
    assert "/threats/N-T1/" in client.get("/threats/", {"q": "Tommo"}).content.decode()
    assert "/threats/N-T1/" not in client.get("/threats/", {"q": "Zebedee"}).content.decode()


def test_search_does_not_reveal_hidden_members(web, analyst, org, group, make_user):
    from socmaster.threats.models import ThreatMember

    kent = make_user("force-kent", "analyst")
    secret = services.create_nominal(
        kent, owner=org("force-kent"), family_name="Hiddenson", handling="owner"
    )
    # A Kent-only nominal linked to a Durham threat (e.g. by a joint operation) must not make it match.
    ThreatMember.objects.create(threat=group, nominal=secret, role="associate")
    assert (
        "/threats/N-T1/" not in web(analyst).get("/threats/", {"q": "Hiddenson"}).content.decode()
    )


def test_nominal_page_logs_a_view_and_hides_other_threats(web, analyst, org, group, make_user):
    n = services.create_nominal(
        analyst, owner=org("force-durham"), family_name="Pike", handling="national"
    )
    services.add_member(analyst, group, n, role="principal")
    kent_user = make_user("force-kent", "analyst")
    kent_threat = services.create_threat(
        kent_user, owner=org("force-kent"), reference="K-1", name="Kent only", handling="owner"
    )
    services.add_member(kent_user, kent_threat, n, role="associate")
    body = web(analyst).get(f"/threats/nominals/{n.reference}/").content.decode()
    assert (
        "Harbour network" in body and "Kent only" not in body and "1 threat you may not see" in body
    )
    assert (
        AuditEntry.objects.filter(
            action="view", record_type="threats.nominal", username="nina"
        ).count()
        == 1
    )


def test_nominal_form_and_member_form(web, analyst, org, group):
    client = web(analyst)
    response = client.post(
        "/threats/nominals/new/",
        {
            "owner": org("force-durham").pk,
            "family_name": "Lomax",
            "given_names": "Jo",
            "gender": "female",
            "handling": "region",
            "aliases": "Joanne, Lomax",
            "identifiers": "phone: 07700 900456",
        },
    )
    assert response.status_code == 302
    bad = client.post(
        "/threats/nominals/new/",
        {
            "owner": org("force-durham").pk,
            "family_name": "Lomax",
            "gender": "female",
            "handling": "region",
            "identifiers": "shoe size: 9",
        },
    )
    assert (
        bad.status_code == 200 and "Line 1: write &#x27;type: value&#x27;" in bad.content.decode()
    )
    ref = response["Location"].rstrip("/").split("/")[-1]
    added = client.post(
        f"/threats/{group.reference}/members/new/", {"nominal": ref, "role": "principal"}
    )
    assert added.status_code == 302
    assert group.members.count() == 1
    missing = client.post(
        f"/threats/{group.reference}/members/new/", {"nominal": "NOM-999999", "role": "principal"}
    )
    assert missing.status_code == 200 and "No nominal NOM-999999" in missing.content.decode()


def test_nominals_and_memberships_api(api, analyst, org, group):
    client = api(analyst)
    created = client.post(
        "/api/nominals/",
        {
            "owner": "Durham Police",
            "family_name": "Varga",
            "given_names": "Ilona",
            "aliases": [{"given_names": "Ila", "family_name": "Varga", "alias_type": "nickname"}],
            "identifiers": [{"kind": "phone", "value": "07700 900789"}],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    ref = created.json()["reference"]
    assert client.get("/api/nominals/", {"q": "07700900789"}).json()["count"] == 1
    member = client.post(
        "/api/memberships/",
        {"threat": group.reference, "nominal": ref, "role": "principal"},
        format="json",
    )
    assert member.status_code == 201, member.json()
    ended = client.patch(
        f"/api/memberships/{member.json()['id']}/", {"to_date": "2026-01-01"}, format="json"
    )
    assert ended.status_code == 200 and ended.json()["to_date"] == "2026-01-01"


def test_csv_and_xlsx_export_need_a_reason_and_are_audited(web, analyst, org):
    for i in range(3):
        services.create_threat(
            analyst,
            owner=org("force-durham"),
            reference=f"EX-{i}",
            name=f"Export {i}",
            tier=2,
            assessment_source="Synthetic test import",
        )
    client = web(analyst)
    assert client.get("/threats/export.csv").status_code == 200  # the reason form
    assert client.post("/threats/export.csv", {"reason": ""}).status_code == 400
    response = client.post("/threats/export.csv?tier=2", {"reason": "Quarterly return"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][0] == "Reference" and sorted(r[0] for r in rows[1:]) == ["EX-0", "EX-1", "EX-2"]
    response = client.post("/threats/export.xlsx?tier=2", {"reason": "Quarterly return"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [c.value for c in next(sheet.iter_rows(max_row=1))][:3] == [
        "Reference",
        "Name",
        "Threat type",
    ]
    assert sheet.max_row == 4
    exports = AuditEntry.objects.filter(action="export", record_type="threats.threat")
    assert exports.count() == 2 and all(e.reason == "Quarterly return" for e in exports)
    assert client.post("/threats/export.pdf", {"reason": "x"}).status_code == 400


def test_exceptions_report(web, make_user, org, settings):
    settings.SOCMASTER = {**settings.SOCMASTER, "LRO_THREAT_LIMIT": 2}
    lro = make_user("force-durham", "lro", username="busy")
    analyst = make_user("force-durham", "analyst")
    closed = Phase.objects.filter(name__contains="Closed").first()
    for i in range(3):
        Threat.objects.create(
            reference=f"BUSY-{i}",
            name="b",
            owner=org("force-durham"),
            lro=lro,
            moderation_status="moderated",
        )
    Threat.objects.create(
        reference="NOLRO-1", name="n", owner=org("force-durham"), moderation_status="moderated"
    )
    Threat.objects.create(
        reference="NOLRO-CLOSED",
        name="c",
        owner=org("force-durham"),
        phase=closed,
        closed_on=dt.date(2025, 1, 1),
        closed_reason="done",
    )
    Threat.objects.create(reference="DRAFT-1", name="d", owner=org("force-durham"), lro=analyst)
    body = web(analyst).get("/threats/exceptions/").content.decode()
    assert (
        'data-testid="count-no_lro">1<' in body and "NOLRO-1" in body and "NOLRO-CLOSED" not in body
    )
    assert 'data-testid="count-lro_overloaded">1<' in body and "3 active threats (limit 2)" in body
    assert 'data-testid="count-not_moderated">1<' in body and "DRAFT-1" in body
