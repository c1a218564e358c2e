"""Control characters are refused in every text input, user-supplied references match the
documented pattern, and records with older, odd references still have working pages."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from socmaster.assessments import services as assessment_services
from socmaster.core.models import AuditEntry
from socmaster.disruptions import services as disruption_services
from socmaster.disruptions.importer import COLUMNS as DISRUPTION_COLUMNS
from socmaster.disruptions.importer import import_disruptions
from socmaster.disruptions.models import Disruption
from socmaster.plans import services as plan_services
from socmaster.threats import services
from socmaster.threats.importer import COLUMNS, import_masterlist
from socmaster.threats.models import Nominal, Threat

pytestmark = pytest.mark.django_db

BAD_REFERENCES = [
    "a/b",
    "../x",
    "new",
    "NEW",
    "export.csv",
    "export.xlsx",
    "export.pdf",
    "nominals",
    "exceptions",
    ".hidden",
    "x" * 41,
    "has space",
    "semi;colon",
]
GOOD_REFERENCES = ["OP-2024_7.1", "SOC-000123", "a", "x" * 40, "Op.Lantern"]
ROW = [
    "IMP-1",
    "Harbour network",
    "OCG",
    "Durham Police",
    "Tactical",
    "Moderated",
    "SOC",
    "Tier 2",
    "Active investigation",
    "fraud",
    "",
    "2025-06-01",
    "150.5",
]


def _csv(header, rows) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


@pytest.fixture
def analyst(make_user):
    return make_user("force-durham", "analyst", username="ana")


@pytest.fixture
def threat(analyst, org):
    return services.create_threat(analyst, owner=org("force-durham"), name="Harbour network")


# --- Control characters ---------------------------------------------------------------------------


@pytest.mark.parametrize("char", ["\x07", "\x00", "\x1b", "\x7f", "\t", "\n"])
def test_api_refuses_control_characters_in_single_line_text(api, analyst, char):
    before = Threat.objects.count(), AuditEntry.objects.count()
    response = api(analyst).post(
        "/api/threats/", {"name": f"Bell{char}group", "owner": "Durham Police"}, format="json"
    )
    assert response.status_code == 400, response.content
    assert "name" in response.json()
    assert (Threat.objects.count(), AuditEntry.objects.count()) == before


def test_multi_line_text_keeps_tab_and_line_breaks_but_not_other_controls(api, analyst, threat):
    client = api(analyst)
    url = f"/api/threats/{threat.reference}/"
    ok = client.patch(url, {"description": "Line one\r\n\tLine two\n"}, format="json")
    assert ok.status_code == 200, ok.content
    bad = client.patch(url, {"description": "Ring\x07"}, format="json")
    assert bad.status_code == 400 and "description" in bad.json()
    threat.refresh_from_db()
    assert threat.description.strip() == "Line one\r\n\tLine two"


def test_form_shows_the_error_on_the_field(web, analyst, org):
    response = web(analyst).post(
        "/threats/new/",
        {
            "name": "Bell\x07 group",
            "threat_type": "ocg",
            "category": "tactical",
            "soc": "soc",
            "owner": org("force-durham").pk,
            "handling": "region",
        },
    )
    assert response.status_code == 200
    assert "control character U+0007" in response.content.decode()
    assert not Threat.objects.filter(name__startswith="Bell").exists()


def test_services_of_every_app_refuse_control_characters(analyst, make_user, org, threat):
    lro = make_user("force-durham", "lro", username="lro")
    cases = [
        (
            "family_name",
            lambda: services.create_nominal(
                analyst, owner=org("force-durham"), family_name="A\x00"
            ),
        ),
        (
            "aliases",
            lambda: services.create_nominal(
                analyst, owner=org("force-durham"), family_name="A", aliases=[("B\x07", "C", "")]
            ),
        ),
        ("name", lambda: services.add_link(analyst, threat, kind="business", name="Shop\x1b")),
        ("name", lambda: services.update_threat(analyst, threat, name="X\x07")),
        (
            "narrative",
            lambda: disruption_services.record_disruption(
                analyst, threat, recording_organisation=org("force-durham"), narrative="N\x00"
            ),
        ),
        ("aim", lambda: plan_services.create_plan(lro, threat, aim="Aim\x1b")),
        (
            "summary",
            lambda: assessment_services.create_assessment(
                analyst,
                threat,
                answers={},
                evidence_from=dt.date(2025, 1, 1),
                evidence_to=dt.date(2025, 2, 1),
                review_due=dt.date(2026, 2, 1),
                summary="Sum\x07",
            ),
        ),
    ]
    for field, call in cases:
        before = AuditEntry.objects.count()
        with pytest.raises(ValidationError) as exc:
            call()
        assert field in exc.value.message_dict, (field, exc.value.message_dict)
        assert AuditEntry.objects.count() == before


def test_masterlist_import_reports_row_and_column():
    rows = [list(ROW), list(ROW)]
    rows[0][1] = "Nul\x00 group"
    rows[1][0], rows[1][9] = "IMP-2", "fraud\x07"
    result = import_masterlist(_csv(COLUMNS, rows))
    assert not result.written and Threat.objects.count() == 0
    found = {(e.row, e.field) for e in result.errors}
    assert found == {(2, "Name"), (3, "Crime types")}
    assert "U+0000" in str(result.errors[0])


def test_disruption_import_reports_row_and_column(org):
    Threat.objects.create(reference="IMP-OCG", name="n", owner=org("force-durham"))
    day = (dt.date.today() - dt.timedelta(days=5)).isoformat()
    row = ["D-1", "IMP-OCG", "Durham Police", "Op\x07 Lantern", "Lead", "Pursue", "Major"]
    row += [day, dt.date.today().isoformat(), "Arrest", "Approved"]
    result = import_disruptions(_csv(DISRUPTION_COLUMNS, [row]))
    assert not result.written and Disruption.objects.count() == 0
    assert [(e.row, e.field) for e in result.errors] == [(2, "Team")]


def test_import_command_fails_with_the_row_and_column(tmp_path, capsys):
    rows = [list(ROW)]
    rows[0][1] = "Bell\x07"
    path = tmp_path / "masterlist.csv"
    path.write_text(_csv(COLUMNS, rows))
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import-masterlist", str(path))
    assert "row 2, Name" in capsys.readouterr().err


# --- References -----------------------------------------------------------------------------------


@pytest.mark.parametrize("reference", BAD_REFERENCES)
def test_api_refuses_bad_references(api, analyst, reference):
    before = Threat.objects.count(), AuditEntry.objects.count()
    response = api(analyst).post(
        "/api/threats/",
        {"reference": reference, "name": "n", "owner": "Durham Police"},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "reference" in response.json()
    assert (Threat.objects.count(), AuditEntry.objects.count()) == before


def test_good_references_are_accepted_and_open(api, analyst):
    client = api(analyst)
    for reference in GOOD_REFERENCES:
        created = client.post(
            "/api/threats/",
            {"reference": reference, "name": "n", "owner": "Durham Police"},
            format="json",
        )
        assert created.status_code == 201, created.content
        assert client.get(f"/api/threats/{reference}/").status_code == 200


def test_automatic_references_are_unchanged(analyst, org):
    t = services.create_threat(analyst, owner=org("force-durham"), name="n")
    n = services.create_nominal(analyst, owner=org("force-durham"), family_name="A")
    assert t.reference.startswith("SOC-") and n.reference.startswith("NOM-")


def test_form_nominal_disruption_and_import_refuse_bad_references(web, analyst, org, threat):
    response = web(analyst).post(
        "/threats/new/",
        {
            "reference": "a/b",
            "name": "n",
            "threat_type": "ocg",
            "category": "tactical",
            "soc": "soc",
            "owner": org("force-durham").pk,
            "handling": "region",
        },
    )
    assert response.status_code == 200 and "letters, digits" in response.content.decode()
    with pytest.raises(ValidationError) as exc:
        services.create_nominal(
            analyst, owner=org("force-durham"), family_name="A", reference="new"
        )
    assert "reference" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        disruption_services.record_disruption(
            analyst, threat, recording_organisation=org("force-durham"), reference="../d"
        )
    assert "reference" in exc.value.message_dict
    rows = [list(ROW)]
    rows[0][0] = "APM/123"
    result = import_masterlist(_csv(COLUMNS, rows))
    assert [(e.row, e.field) for e in result.errors] == [(2, "Reference")]


def test_pages_work_for_an_older_record_whose_reference_has_a_slash(web, make_user, org):
    admin = make_user("force-durham", "administrator", username="adm")
    legacy = Threat.objects.create(
        reference="APM/12 3~%",
        name="Legacy",
        owner=org("force-durham"),
        moderation_status="moderated",
    )
    Nominal.objects.create(reference="NOM/1", family_name="Old", owner=org("force-durham"))
    client = web(admin)
    listing = client.get("/threats/")
    assert listing.status_code == 200
    url = legacy.get_absolute_url()
    assert url in listing.content.decode() and "/" not in url.removeprefix("/threats/")[:-1]
    assert client.get("/threats/exceptions/").status_code == 200
    assert client.get("/threats/nominals/").status_code == 200
    detail = client.get(url)
    assert detail.status_code == 200 and "Legacy" in detail.content.decode()
    assert client.get(url + "edit/").status_code == 200
    deleted = client.post(url + "delete/", {"reason": "Created in error"})
    assert deleted.status_code in (200, 302)
    assert not Threat.objects.filter(pk=legacy.pk).exists()
