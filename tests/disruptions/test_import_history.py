"""Importing a force's disruption history: the optional columns (narrative, evidence, nominals,
who recorded it and when it was entered, who moderated it outside the product, when and why), the
standard applied to them as to a typed record, the rules of history, the import marking, rights,
re-imports, undo, the command line, the record's page and the example file."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from socmaster.core import audit
from socmaster.core.importing import IMPORTERS
from socmaster.core.models import AuditEntry
from socmaster.disruptions import services
from socmaster.disruptions.checks import _backdated
from socmaster.disruptions.importer import ALL_COLUMNS, COLUMNS, import_disruptions
from socmaster.disruptions.models import Disruption
from socmaster.disruptions.reports import recording_audit
from socmaster.threats.models import ImportJob, Nominal, Threat
from tests.disruptions.test_disruptions import record

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()
ROOT = Path(__file__).resolve().parents[2]


def day(n: int) -> str:
    """The date ``n`` days ago, as a file writes it."""
    return (TODAY - dt.timedelta(days=n)).isoformat()


@pytest.fixture(autouse=True)
def world(org):
    durham = org("force-durham")
    threat = Threat.objects.create(reference="H-OCG", name="n", owner=durham, threat_type="ocg")
    Threat.objects.create(
        reference="H-KENT", name="k", owner=org("force-kent"), threat_type="ocg", handling="owner"
    )
    Nominal.objects.create(reference="H-NOM-1", family_name="One", owner=durham)
    Nominal.objects.create(reference="H-NOM-2", family_name="Two", owner=durham)
    Nominal.objects.create(
        reference="H-NOM-K", family_name="Kent", owner=org("force-kent"), handling="owner"
    )
    return threat


def row(**overrides) -> dict:
    values = {
        "Reference": "H-1",
        "Threat reference": "H-OCG",
        "Recording organisation": "Durham Police",
        "Team": "Op Lantern",
        "Disruption type": "Lead",
        "4P": "Pursue",
        "Assessment category": "Major",
        "Event date": day(40),
        "Record date": day(38),
        "Tactic": "Arrest",
        "Moderation status": "Approved",
        "Narrative": "Three principals arrested; the drugs line closed.",
        "Evidence": "Custody refs 1-3",
        "Nominal references": "H-NOM-1; H-NOM-2",
        "Recorded by": "DC A. Example",
        "Entered on": day(38),
        "Moderated by": "DI B. Sample",
        "Moderated on": day(30),
        "Decision reason": "Meets the standard.",
    }
    values.update(overrides)
    return values


def support(**overrides) -> dict:
    return row(
        **{
            "Reference": "H-2",
            "Recording organisation": "NERSOU",
            "Team": "Regional team",
            "Disruption type": "Support",
            "Tactic": "Seizure of cash",
            "Narrative": "Cash seized at two addresses.",
            "Evidence": "Property ref 9",
            "Nominal references": "H-NOM-2",
            "Recorded by": "DS C. Test",
            "Entered on": day(37),
            "Decision reason": "",
            **overrides,
        }
    )


def make_csv(rows: list[dict], columns=ALL_COLUMNS) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _stored():
    return sorted(tuple(sorted(d.items())) for d in Disruption.objects.values())


def _links():
    return sorted(Disruption.nominals.through.objects.values_list("disruption_id", "nominal_id"))


def noon(days_ago: int) -> dt.datetime:
    return services.at_noon(TODAY - dt.timedelta(days=days_ago))


# --- a valid file ---------------------------------------------------------------------------


def test_a_history_file_creates_records_with_the_files_dates_and_the_import_marking():
    before = timezone.now()
    result = import_disruptions(make_csv([row(), support()]), source="durham-history.csv")
    assert result.written and result.created == 2, result.errors
    lead = Disruption.objects.get(reference="H-1")
    assert lead.import_source == "durham-history.csv, row 2"
    assert lead.imported_at >= before and lead.imported_at <= timezone.now()
    assert lead.created_at == noon(38)  # Entered on, not the time of the import
    assert timezone.localdate(lead.created_at) == TODAY - dt.timedelta(days=38)
    assert (lead.event_date, lead.record_date) == (
        TODAY - dt.timedelta(days=40),
        TODAY - dt.timedelta(days=38),
    )
    assert lead.narrative == "Three principals arrested; the drugs line closed."
    assert lead.evidence == "Custody refs 1-3"
    assert sorted(n.reference for n in lead.nominals.all()) == ["H-NOM-1", "H-NOM-2"]
    assert lead.recorder_name == "DC A. Example"
    assert lead.recorder.username == "import-force-durham"
    assert lead.outside_decision_by == "DI B. Sample"
    assert lead.outside_decision_on == TODAY - dt.timedelta(days=30)
    assert lead.moderated_at == noon(30) and lead.moderator is None
    assert lead.decision_reason == "Meets the standard."
    assert lead.status == "approved" and lead.decided_outside and lead.is_imported
    assert lead.source_key == ""  # a disruption's reference is its own key
    helper = Disruption.objects.get(reference="H-2")
    assert helper.lead == lead and helper.import_source == "durham-history.csv, row 3"
    entry = AuditEntry.objects.get(
        record_type="disruptions.disruption", record_id=str(lead.pk), action="create"
    )
    assert entry.changes["import_source"] == "durham-history.csv, row 2"
    assert entry.changes["after"]["nominals"] == sorted(n.pk for n in lead.nominals.all())


def test_without_entered_on_the_record_is_entered_at_the_time_of_the_import():
    import_disruptions(make_csv([row(**{"Entered on": ""})]))
    lead = Disruption.objects.get()
    assert lead.created_at == lead.imported_at and not lead.entered_on_known
    assert lead.import_source == "disruption import, row 2"


def test_re_importing_the_same_file_changes_nothing_and_writes_no_audit_entry():
    data = make_csv([row(), support()])
    import_disruptions(data, source="h.csv")
    stored, links, entries = _stored(), _links(), AuditEntry.objects.count()
    again = import_disruptions(data, source="h.csv")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert _stored() == stored and _links() == links
    # only the import job's own entries were added
    added = AuditEntry.objects.filter(seq__gt=entries)
    assert not added.filter(record_type="disruptions.disruption").exists()


def test_a_changed_row_updates_the_imported_record_and_its_audit_entry_names_the_file():
    import_disruptions(make_csv([row()]), source="first.csv")
    first = Disruption.objects.get()
    imported_at = first.imported_at
    changed = row(**{"Narrative": "Four principals arrested.", "Nominal references": "H-NOM-1"})
    result = import_disruptions(make_csv([changed]), source="second.csv")
    assert (result.created, result.updated) == (0, 1)
    first.refresh_from_db()
    assert first.narrative == "Four principals arrested."
    assert [n.reference for n in first.nominals.all()] == ["H-NOM-1"]
    # where and when it was first imported stay on the record
    assert first.import_source == "first.csv, row 2" and first.imported_at == imported_at
    entry = AuditEntry.objects.filter(record_type="disruptions.disruption", action="update").get()
    assert entry.changes["import_source"] == "second.csv, row 2"
    assert set(entry.changes) >= {"narrative", "nominals"}


def test_a_column_left_out_leaves_its_field_as_it_is():
    import_disruptions(make_csv([row()]))
    result = import_disruptions(make_csv([row()], columns=COLUMNS))
    assert (result.updated, result.unchanged) == (0, 1)
    lead = Disruption.objects.get()
    assert lead.narrative and lead.recorder_name and lead.nominals.count() == 2


def test_a_record_entered_in_socmaster_is_never_changed_by_an_import(make_user, world, org):
    typed = record(make_user("force-durham", "analyst"), world, org("force-durham"))
    result = import_disruptions(make_csv([row(Reference=typed.reference)]))
    assert not result.written
    [error] = result.errors
    assert error.field == "Reference" and "was recorded in socmaster, not imported" in error.message
    typed.refresh_from_db()
    assert typed.import_source == "" and typed.recorder_name == ""


# --- the standard, applied to what the file gives ------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "column", "message"),
    [
        ({"Narrative": "Visits to registered sex offenders."}, "Narrative", "offender management"),
        ({"Narrative": "RSO visit completed."}, "Narrative", "(found: 'RSO')"),
        ({"Narrative": "Routine patrol of the estate."}, "Narrative", "Routine patrol is not"),
        ({"Team": "Routine patrol"}, "Narrative", "Routine patrol is not"),
    ],
)
def test_a_narrative_given_is_held_to_the_standard_as_a_typed_one(overrides, column, message):
    result = import_disruptions(make_csv([row(**overrides)]))
    assert not result.written and Disruption.objects.count() == 0
    assert any(e.field == column and message in e.message for e in result.errors), result.errors


def test_the_same_narrative_typed_by_hand_is_refused_the_same_way(make_user, world, org):
    with pytest.raises(services.ValidationError) as typed:
        record(
            make_user("force-durham", "analyst"),
            world,
            org("force-durham"),
            narrative="RSO visit completed.",
        )
    result = import_disruptions(make_csv([row(Narrative="RSO visit completed.")]))
    assert result.errors[0].message == " ".join(typed.value.message_dict["narrative"])


def test_without_narrative_or_evidence_the_row_is_imported_and_the_audit_lists_it():
    rows = [
        row(Reference="H-1"),
        row(Reference="H-3", Narrative="", Evidence=""),  # the cells blank
    ]
    assert import_disruptions(make_csv(rows)).written
    assert import_disruptions(make_csv([row(Reference="H-4")], columns=COLUMNS)).written
    data = recording_audit(
        Disruption.objects.all(), TODAY - dt.timedelta(days=60), TODAY, organisation=None
    )
    failing = {(f["disruption"].reference, f["field"]) for f in data["failures"]}
    assert failing == {
        ("H-3", "narrative"),
        ("H-3", "evidence"),
        ("H-4", "narrative"),
        ("H-4", "evidence"),
    }
    assert ("H-1", "narrative") not in failing  # imported with a narrative: not listed


def test_the_team_and_tactic_are_still_required_by_the_standard():
    result = import_disruptions(make_csv([row(Team="", Tactic="")]))
    assert {e.field for e in result.errors} == {"Team", "Tactic"}


def test_a_partner_organisation_imports_support_records_only():
    result = import_disruptions(
        make_csv([row(**{"Recording organisation": "Durham County Council"})])
    )
    assert not result.written
    assert result.errors[0].field == "Disruption type"
    assert "Partner organisations record support disruptions only" in result.errors[0].message


# --- bad input: a row-numbered problem each, and nothing written ------------------------------


@pytest.mark.parametrize(
    ("overrides", "column", "message"),
    [
        ({"Threat reference": "NOPE"}, "Threat reference", "no threat NOPE on the master list"),
        ({"Disruption type": "Primary"}, "Disruption type", "is not one of Lead, Support"),
        ({"Moderation status": "Maybe"}, "Moderation status", "Approved, Draft, Submitted"),
        ({"Entered on": "last week"}, "Entered on", "'last week' is not a date"),
        ({"Moderated on": "31/02/2025"}, "Moderated on", "is not a date"),
        ({"Entered on": day(-1)}, "Entered on", "cannot be in the future"),
        ({"Moderated on": day(-1)}, "Moderated on", "cannot be in the future"),
        ({"Record date": day(-1)}, "Record date", "cannot be in the future"),
        ({"Event date": day(-1), "Record date": day(-1)}, "Event date", "cannot be in the future"),
        ({"Entered on": day(41)}, "Entered on", "entered before the event"),
        ({"Moderated on": day(39)}, "Moderated on", "moderated before it was entered"),
        (
            {"Entered on": "", "Moderated on": day(41)},
            "Moderated on",
            "moderated before the event",
        ),
        ({"Moderation status": "Draft"}, "Moderated by", "A draft record has not been moderated"),
        (
            {"Moderation status": "Submitted", "Moderated by": ""},
            "Moderated on",
            "A submitted record has not been moderated",
        ),
        ({"Nominal references": "H-NOM-1; NOPE"}, "Nominal references", "no nominal NOPE"),
        ({"Reference": ""}, "Reference", "is required"),
        ({"Event date": ""}, "Event date", "is required"),
        ({"Narrative": "Arrests\x07 made."}, "Narrative", "control character U+0007"),
        ({"Recorded by": "DC\tExample"}, "Recorded by", "control character"),
        ({"Recorded by": "x" * 201}, "Recorded by", "longer than 200 characters"),
        ({"Team": "t" * 121}, "Team", "longer than 120 characters"),
    ],
)
def test_each_problem_is_row_numbered_and_nothing_is_written(overrides, column, message):
    result = import_disruptions(make_csv([row(Reference="H-0"), row(**overrides)]))
    assert not result.written and Disruption.objects.count() == 0
    assert not Disruption.nominals.through.objects.exists()
    assert any(e.row == 3 and e.field == column and message in e.message for e in result.errors), (
        result.errors
    )


def test_a_duplicate_reference_is_a_problem():
    result = import_disruptions(make_csv([row(), row()]))
    assert not result.written
    assert str(result.errors[0]) == "row 3, Reference: H-1 appears again (first on row 2)"


def test_tabs_and_line_breaks_are_allowed_in_the_narrative():
    assert import_disruptions(make_csv([row(Narrative="Arrests made.\n\tLine closed.")])).written
    assert Disruption.objects.get().narrative == "Arrests made.\n\tLine closed."


def test_choices_match_by_label_or_value_in_any_case():
    result = import_disruptions(
        make_csv(
            [row(**{"Disruption type": "LEAD", "4P": "pursue", "Assessment category": " major "})]
        )
    )
    assert result.written, result.errors


def test_skip_bad_writes_the_good_rows_and_rejects_the_bad_with_their_reasons():
    rows = [row(), row(Reference="H-9", **{"Entered on": day(-2)})]
    result = import_disruptions(make_csv(rows), skip_bad=True)
    assert result.written and result.created == 1
    assert list(Disruption.objects.values_list("reference", flat=True)) == ["H-1"]
    [rejected] = result.rejected
    assert rejected["Reference"] == "H-9" and "Entered on" in rejected["Error"]


# --- rights: the importing person must be allowed to change each threat -----------------------


def test_a_threat_the_person_may_not_see_is_reported_as_missing(make_user):
    user = make_user("force-durham", "analyst")
    hidden = import_disruptions(make_csv([row(**{"Threat reference": "H-KENT"})]), user=user)
    missing = import_disruptions(make_csv([row(**{"Threat reference": "H-GONE"})]), user=user)
    assert [e.message for e in hidden.errors] == [
        e.message.replace("H-GONE", "H-KENT") for e in missing.errors
    ]
    assert not hidden.written and Disruption.objects.count() == 0


def test_a_nominal_the_person_may_not_see_is_reported_as_missing(make_user):
    user = make_user("force-durham", "analyst")
    result = import_disruptions(make_csv([row(**{"Nominal references": "H-NOM-K"})]), user=user)
    assert [str(e) for e in result.errors] == ["row 2, Nominal references: no nominal H-NOM-K"]
    # an operator at the command line imports any nominal
    assert import_disruptions(make_csv([row(**{"Nominal references": "H-NOM-K"})])).written


@pytest.mark.parametrize(
    ("org_key", "role"),
    [("force-cleveland", "analyst"), ("hmicfrs", "inspector")],
)
def test_a_person_who_may_only_read_the_threat_cannot_import_its_disruptions(
    make_user, org_key, role
):
    user = make_user(org_key, role)
    result = import_disruptions(make_csv([row()]), user=user)
    assert not result.written and Disruption.objects.count() == 0
    assert "you may not change H-OCG" in result.errors[0].message


def test_a_permitted_person_imports_and_is_named_in_the_audit(make_user):
    user = make_user("force-durham", "analyst", username="importer-1")
    assert import_disruptions(make_csv([row()]), user=user).written
    lead = Disruption.objects.get()
    assert lead.recorder.username == "import-force-durham"  # the organisation recorded it
    entry = AuditEntry.objects.get(record_type="disruptions.disruption", action="create")
    assert entry.username == "importer-1"
    assert ImportJob.objects.get().created_by == user


# --- all or nothing, even when something fails part-way ------------------------------------


def test_a_failure_part_way_leaves_nothing_changed(monkeypatch):
    assert import_disruptions(make_csv([row()])).written
    before, links = _stored(), _links()
    real, calls = services.import_disruption, {"n": 0}

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk on fire")
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "import_disruption", failing)
    changed = [row(Narrative="Changed.", **{"Nominal references": "H-NOM-1"}), support()]
    with pytest.raises(RuntimeError, match="disk on fire"):
        import_disruptions(make_csv(changed), batch_size=1)  # the first row was committed
    assert _stored() == before and _links() == links
    assert audit.verify_chain().ok


# --- the exceptions report's backdating check ----------------------------------------------


def test_an_imported_record_is_judged_for_backdating_against_its_entered_on(settings):
    rows = [
        row(Reference="H-LATE", **{"Entered on": day(20), "Moderated on": day(10)}),
        row(Reference="H-ONTIME", **{"Event date": day(40), "Entered on": day(38)}),
        row(Reference="H-UNKNOWN", **{"Entered on": "", "Moderated on": ""}),
    ]
    assert import_disruptions(make_csv(rows)).written
    [flagged] = _backdated(Threat.objects.all())
    assert "H-LATE: record date" in flagged["detail"]
    assert (
        "entered in the source system" in flagged["detail"]
        and "(18 days later)" in flagged["detail"]
    )
    assert "H-ONTIME" not in flagged["detail"]
    # No Entered on: created when imported, weeks after its record date, and still not judged.
    assert "H-UNKNOWN" not in flagged["detail"]
    settings.SOCMASTER = {**settings.SOCMASTER, "BACKDATED_DAYS": 0}
    assert "H-UNKNOWN" not in _backdated(Threat.objects.all())[0]["detail"]


def test_records_imported_before_entered_on_existed_stay_unjudged():
    """The migration gives records imported earlier their import time as ``imported_at``."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module(
        "socmaster.disruptions.migrations.0007_disruption_history_fields"
    )
    import_disruptions(make_csv([row(**{"Entered on": ""})], columns=COLUMNS))
    lead = Disruption.objects.get()
    Disruption.objects.filter(pk=lead.pk).update(
        imported_at=None, created_at=timezone.now() - dt.timedelta(days=2)
    )
    assert _backdated(Threat.objects.all()) == []  # imported, with no import time: not judged
    migration.keep_import_times(apps, None)
    lead.refresh_from_db()
    assert lead.imported_at == lead.created_at and not lead.entered_on_known
    assert _backdated(Threat.objects.all()) == []


# --- the command line ---------------------------------------------------------------------


def test_the_command_imports_marks_the_file_name_and_exits_non_zero_on_problems(tmp_path, capsys):
    good = tmp_path / "durham-history.csv"
    good.write_text(make_csv([row(), support()]), encoding="utf-8")
    call_command("import-disruptions", str(good))
    assert "2 created" in capsys.readouterr().out
    assert Disruption.objects.get(reference="H-1").import_source == "durham-history.csv, row 2"
    bad = tmp_path / "bad.csv"
    bad.write_text(make_csv([row(Reference="H-7", **{"Moderated on": day(-3)})]))
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import-disruptions", str(bad))
    assert "row 2, Moderated on: The day it was moderated cannot be in the future." in (
        capsys.readouterr().err
    )
    assert not Disruption.objects.filter(reference="H-7").exists()


def test_the_importer_is_offered_on_the_upload_page_with_every_column_and_its_guide():
    entry = IMPORTERS["disruptions"]
    assert entry["run"] is import_disruptions and entry["columns"] == ALL_COLUMNS
    assert (ROOT / entry["guide"]).is_file()


# --- the record's page --------------------------------------------------------------------


def test_the_page_shows_the_import_and_the_decision_outside_the_product(make_user, web):
    rows = [
        row(),
        row(
            Reference="H-5",
            **{
                "Event date": day(20),
                "Record date": day(19),
                "Entered on": day(19),
                "Moderation status": "Rejected",
                "Moderated on": day(12),
                "Decision reason": "Not linked to the group.",
            },
        ),
        row(
            Reference="H-6",
            **{"Moderation status": "Submitted", "Moderated by": "", "Moderated on": ""},
        ),
    ]
    import_disruptions(make_csv(rows), source="durham-history.csv")
    client = web(make_user("force-durham", "analyst"))
    body = client.get("/disruptions/H-1/").content.decode()
    assert "Imported" in body and "durham-history.csv, row 2" in body
    moderated = (TODAY - dt.timedelta(days=30)).strftime("%-d %B %Y")
    assert f"Approved outside the product by DI B. Sample on {moderated}" in body
    assert 'data-testid="recorder-name">DC A. Example<' in body
    entered = (TODAY - dt.timedelta(days=38)).strftime("%-d %B %Y")
    assert f"entered in the source system on {entered}" in body
    assert "Meets the standard." in body
    rejected = client.get("/disruptions/H-5/").content.decode()
    assert "Rejected outside the product by DI B. Sample" in rejected
    assert "Not linked to the group." in rejected
    waiting = client.get("/disruptions/H-6/").content.decode()
    assert "Imported" in waiting and "outside the product" not in waiting


def test_a_record_typed_in_socmaster_shows_no_import_marking(make_user, web, world, org):
    user = make_user("force-durham", "analyst")
    typed = record(user, world, org("force-durham"))
    body = web(user).get(f"/disruptions/{typed.reference}/").content.decode()
    assert "data-imported" not in body and "outside the product" not in body


# --- the example file in the guide ---------------------------------------------------------


def test_the_example_file_imports(org):
    durham = org("force-durham")
    Threat.objects.create(reference="EX-OCG-1", name="Example", owner=durham, threat_type="ocg")
    for ref in ("EX-NOM-1", "EX-NOM-2"):
        Nominal.objects.create(reference=ref, family_name="Example", owner=durham)
    path = ROOT / "docs" / "examples" / "disruptions.csv"
    result = import_disruptions(path, source=path.name)
    assert result.written and result.created == 5, result.errors
    assert Disruption.objects.get(reference="EX-D-2").lead.reference == "EX-D-1"
    assert Disruption.objects.get(reference="EX-D-1").outside_decision_by == "DI B. Sample"
    assert "synthetic" in Disruption.objects.get(reference="EX-D-1").narrative.lower()
    flagged = _backdated(Threat.objects.filter(reference="EX-OCG-1"))
    assert len(flagged) == 1 and "EX-D-5" in flagged[0]["detail"]
    assert import_disruptions(path, source=path.name).unchanged == 5


# --- the import service checks for itself, whoever calls it ---------------------------------


@pytest.fixture
def fields(world, org):
    from socmaster.disruptions.models import Tactic

    return {
        "threat": world,
        "recording_organisation": org("force-durham"),
        "team": "Op Lantern",
        "disruption_type": "lead",
        "lead": None,
        "four_p": "pursue",
        "category": "major",
        "event_date": TODAY - dt.timedelta(days=10),
        "record_date": TODAY - dt.timedelta(days=9),
        "tactic": Tactic.objects.get(code="arrest"),
        "status": "approved",
        "narrative": "Arrests made.",
        "evidence": "Custody refs",
    }


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"created_at": noon(-2)}, "created_at"),
        ({"outside_decision_on": TODAY + dt.timedelta(days=1)}, "outside_decision_on"),
        ({"narrative": "RSO visit."}, "narrative"),
        ({"narrative": ""}, "narrative"),  # carried, and blank: the standard requires it
        ({"team": "Op\x07Lantern"}, "team"),
        ({"disruption_type": "support"}, "lead"),
        ({"status": "draft", "outside_decision_by": "DI B. Sample"}, "outside_decision_by"),
    ],
)
def test_the_import_service_refuses_what_the_rules_refuse(fields, change, field):
    from socmaster.threats.importer import importer_account

    with pytest.raises(services.ValidationError) as refused:
        services.import_disruption(
            importer_account(fields["recording_organisation"]),
            reference="H-S",
            standard=services.current_standard(),
            fields=fields | change,
        )
    assert field in refused.value.message_dict
    assert not Disruption.objects.exists()


def test_the_import_service_refuses_a_person_who_may_not_change_the_threat(fields, make_user):
    from socmaster.threats.importer import importer_account

    recorder = importer_account(fields["recording_organisation"])
    kwargs = dict(reference="H-S", standard=services.current_standard(), fields=fields)
    with pytest.raises(services.ValidationError, match="No threat H-OCG"):
        services.import_disruption(recorder, user=make_user("force-cleveland", "analyst"), **kwargs)
    assert not Disruption.objects.exists()
    outcome, _ = services.import_disruption(
        recorder, user=make_user("force-durham", "analyst"), **kwargs
    )
    assert outcome == "created"
    # what the source did not carry is not required
    outcome, _ = services.import_disruption(
        recorder,
        reference="H-T",
        standard=services.current_standard(),
        fields=fields | {"narrative": "", "evidence": ""},
        not_carried=("narrative", "evidence"),
    )
    assert outcome == "created"


def test_the_api_shows_where_a_record_came_from(api, make_user):
    import_disruptions(
        make_csv([row(**{"Moderation status": "Draft", "Moderated by": "", "Moderated on": ""})]),
        source="h.csv",
    )
    client = api(make_user("force-durham", "analyst"))
    body = client.get("/api/disruptions/H-1/").json()
    assert body["import_source"] == "h.csv, row 2" and body["recorder_name"] == "DC A. Example"
    assert body["created_at"].startswith((TODAY - dt.timedelta(days=38)).isoformat())
    assert body["imported_at"] and body["outside_decision_by"] == ""


# --- the upload page (the one page every import kind shares) --------------------------------


def _upload_page():
    """The shared upload page offers the registered importers once it has its kind choice."""
    try:
        from socmaster.threats.import_views import kind_choices  # noqa: F401
    except ImportError:
        pytest.skip("the shared upload page has no choice of import kind yet")


def test_the_upload_page_imports_a_history_file_for_a_permitted_person(make_user, web):
    from django.core.files.uploadedfile import SimpleUploadedFile

    _upload_page()
    client = web(make_user("force-durham", "analyst"))
    data = make_csv([row(), support()]).encode()
    response = client.post(
        "/threats-import/",
        {"kind": "disruptions", "file": SimpleUploadedFile("durham-history.csv", data)},
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302 and (job.status, job.created) == ("done", 2)
    lead = Disruption.objects.get(reference="H-1")
    assert lead.import_source.endswith("durham-history.csv, row 2")
    body = client.get("/disruptions/H-1/").content.decode()
    assert "Imported" in body and "Approved outside the product by DI B. Sample" in body


def test_the_upload_page_is_refused_to_a_read_only_person_and_writes_nothing(make_user, web):
    from django.core.files.uploadedfile import SimpleUploadedFile

    _upload_page()
    client = web(make_user("hmicfrs", "inspector"))
    response = client.post(
        "/threats-import/",
        {"kind": "disruptions", "file": SimpleUploadedFile("h.csv", make_csv([row()]).encode())},
    )
    assert response.status_code == 403
    assert not Disruption.objects.exists() and not ImportJob.objects.exists()


def test_an_upload_for_a_threat_the_person_may_only_read_fails_with_its_problem(make_user, web):
    from django.core.files.uploadedfile import SimpleUploadedFile

    _upload_page()
    client = web(make_user("force-cleveland", "analyst"))
    client.post(
        "/threats-import/",
        {"kind": "disruptions", "file": SimpleUploadedFile("h.csv", make_csv([row()]).encode())},
    )
    job = ImportJob.objects.get()
    assert job.status == "failed" and job.errors[0][:2] == [2, "Threat reference"]
    assert not Disruption.objects.exists()
