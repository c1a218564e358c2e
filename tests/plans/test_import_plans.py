"""Importing 4P plan versions (plans.csv): the file's dates and author, import marking, one
current plan per threat, row-numbered errors, all or nothing, --skip-bad, undo, the command, the
quality checks on imported plans, the plan page and the example file."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from socmaster.core import audit
from socmaster.core.importing import IMPORTERS, UNDO_HANDLERS
from socmaster.core.models import AuditEntry
from socmaster.plans import quality, services
from socmaster.plans.importer import PLAN_COLUMNS, import_plans
from socmaster.plans.models import Plan, PlanTextBand
from socmaster.threats.models import ImportJob, Threat

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
WRITTEN_1 = TODAY - dt.timedelta(days=800)
SUPERSEDED_1 = TODAY - dt.timedelta(days=400)
WRITTEN_2 = SUPERSEDED_1
UPDATED_2 = TODAY - dt.timedelta(days=20)
DOCS = Path(__file__).resolve().parents[2] / "docs"


def iso(day: dt.date) -> str:
    return day.isoformat()


def noon(day: dt.date) -> dt.datetime:
    return services.at_noon(day)


def csv_text(columns: list[str], rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns)
    writer.writeheader()
    writer.writerows({c: r.get(c, "") for c in columns} for r in rows)
    return buffer.getvalue()


def own_text(seed: str, words: int = 30) -> str:
    import hashlib

    return " ".join(hashlib.sha256(f"{seed}{i}".encode()).hexdigest()[:7] for i in range(words))


def plan_row(**overrides) -> dict:
    row = {
        "Threat reference": "PLN-1",
        "Version": "2",
        "Status": "Current",
        "Author": "lro",
        "Author role": "LRO",
        "Aim": "Dismantle the Harbour network and stop its county lines into Durham.",
        "Pursue objectives": "Charge the three principals with conspiracy to supply.",
        "Prevent objectives": "Divert the younger runners into the youth diversion scheme.",
        "Protect objectives": "Safeguard the cuckooed tenants on the Bishop estate.",
        "Prepare objectives": "Brief the community safety partnership before the arrests.",
        "Intelligence gaps": "Who launders the cash.",
        "Safeguarding plans": "SG-2024-11",
        "Investigation plans": "Op Lantern",
        "Review frequency days": "90",
        "Partner sections": "Aim; Objectives under each P",
        "Written on": iso(WRITTEN_2),
        "Updated on": iso(UPDATED_2),
        "Superseded on": "",
    }
    row.update(overrides)
    return row


def superseded_row(**overrides) -> dict:
    return plan_row(
        **{
            "Version": "1",
            "Status": "Superseded",
            "Aim": "Disrupt the Harbour network's supply of cocaine.",
            "Written on": iso(WRITTEN_1),
            "Updated on": iso(WRITTEN_1 + dt.timedelta(days=30)),
            "Superseded on": iso(SUPERSEDED_1),
            **overrides,
        }
    )


def plans_csv(*rows: dict) -> str:
    return csv_text(PLAN_COLUMNS, list(rows))


@pytest.fixture
def people(make_user):
    return {
        "lro": make_user("force-durham", "lro", username="lro"),
        "sro": make_user("force-durham", "analyst", username="sro"),
        "analyst": make_user("force-durham", "analyst", username="analyst"),
        "sio": make_user("force-durham", "sio", username="sio"),
        "chief": make_user("force-durham", "chief_officer", username="chief"),
        "neighbour": make_user("force-cleveland", "analyst", username="cleveland"),
        "far": make_user("force-west-yorkshire", "analyst", username="wy"),
        "inspector": make_user("hmicfrs", "inspector", username="insp"),
    }


@pytest.fixture
def threats(org, people):
    common = dict(owner=org("force-durham"), threat_type="ocg", handling="region")
    return {
        "PLN-1": Threat.objects.create(
            reference="PLN-1",
            name="Harbour network",
            lro=people["lro"],
            sro=people["sro"],
            **common,
        ),
        "PLN-2": Threat.objects.create(
            reference="PLN-2", name="Quarry group", lro=people["lro"], sro=people["sro"], **common
        ),
        "HID-1": Threat.objects.create(
            reference="HID-1",
            name="Hidden",
            owner=org("force-west-yorkshire"),
            threat_type="ocg",
            handling="owner",
        ),
    }


def test_a_valid_file_creates_the_versions_with_the_files_dates_and_the_import_marking(
    threats, people
):
    before = timezone.now()
    result = import_plans(plans_csv(superseded_row(), plan_row()), source="plans.csv")
    assert result.written and (result.created, result.updated, result.unchanged) == (2, 0, 0)
    old, new = Plan.objects.filter(threat=threats["PLN-1"]).order_by("version")
    assert (old.status, old.superseded_at) == ("superseded", noon(SUPERSEDED_1))
    assert (old.created_at, old.updated_at) == (noon(WRITTEN_1), noon(WRITTEN_1 + dt.timedelta(30)))
    assert (new.status, new.superseded_at) == ("current", None)
    assert (new.created_at, new.updated_at) == (noon(WRITTEN_2), noon(UPDATED_2))
    assert timezone.localtime(new.created_at).date() == WRITTEN_2
    assert (new.author, new.author_role) == (people["lro"], "lro")
    assert new.partner_sections == ["aim", "objectives"]
    assert new.review_frequency_days == 90 and new.investigation_plans == "Op Lantern"
    assert (old.import_source, new.import_source) == ("plans.csv, row 2", "plans.csv, row 3")
    assert new.is_imported and before <= new.imported_at <= timezone.now()
    assert new.template is None and new.template_lines == []
    # The text fingerprint is there, and only the current version is a copy candidate.
    assert new.text_signature and old.text_signature
    assert PlanTextBand.objects.filter(plan=new).exists()
    assert not PlanTextBand.objects.filter(plan=old).exists()
    entries = AuditEntry.objects.filter(record_type="plans.plan", action="create")
    assert entries.count() == 2
    entry = entries.get(record_id=str(new.pk))
    assert entry.changes["import_source"] == "plans.csv, row 3"
    assert entry.changes["after"]["created_at"] == noon(WRITTEN_2).isoformat()
    assert entry.username == "import-force-durham"  # the command line's import account


def test_importing_the_same_file_again_changes_nothing(threats):
    data = plans_csv(superseded_row(), plan_row())
    assert import_plans(data).written
    records = AuditEntry.objects.exclude(record_type="threats.importjob")
    entries, stored = records.count(), list(Plan.objects.values())
    again = import_plans(data)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    # The import job's own entries aside, nothing is written.
    assert records.count() == entries
    assert list(Plan.objects.values()) == stored


def test_the_same_rows_from_another_file_name_change_nothing(threats):
    assert import_plans(plans_csv(plan_row()), source="a.csv").written
    again = import_plans(plans_csv(plan_row()), source="b.csv")
    assert again.unchanged == 1 and Plan.objects.get().import_source == "a.csv, row 2"


def test_a_changed_row_updates_the_imported_version_with_one_audit_entry(threats):
    assert import_plans(plans_csv(plan_row())).written
    plan = Plan.objects.get()
    result = import_plans(plans_csv(plan_row(Aim="A better aim.")), source="fixed.csv")
    assert (result.created, result.updated) == (0, 1)
    plan.refresh_from_db()
    assert plan.aim == "A better aim." and plan.lock_version == 2
    assert plan.import_source == "fixed.csv, row 2"
    entry = AuditEntry.objects.get(record_type="plans.plan", action="update")
    assert entry.changes["aim"]["after"] == "A better aim."
    assert entry.changes["import_source"] == "fixed.csv, row 2"


def test_an_imported_plan_changed_in_socmaster_is_not_changed_back(threats, people):
    data = plans_csv(plan_row())
    assert import_plans(data).written
    services.update_plan(people["lro"], Plan.objects.get(), aim="Rewritten by the LRO.")
    result = import_plans(data)
    assert [(e.row, e.field) for e in result.errors] == [(2, "Version")]
    assert "has been changed in socmaster since it was imported" in result.errors[0].message
    assert Plan.objects.get().aim == "Rewritten by the LRO."


def test_a_file_that_supersedes_an_imported_current_version(threats):
    assert import_plans(
        plans_csv(superseded_row(Status="Current", **{"Superseded on": ""}))
    ).written
    result = import_plans(plans_csv(plan_row(), superseded_row()))  # current row first in the file
    assert result.written and (result.created, result.updated) == (1, 1)
    assert list(Plan.objects.order_by("version").values_list("status", flat=True)) == [
        "superseded",
        "current",
    ]


def test_a_file_read_from_disk_names_its_rows_by_file_name(threats, tmp_path):
    path = tmp_path / "force-plans.csv"
    path.write_text(plans_csv(plan_row()), encoding="utf-8")
    assert import_plans(path).written
    assert Plan.objects.get().import_source == "force-plans.csv, row 2"


def test_the_authors_role_is_the_files_and_the_quality_checks_still_judge_it(threats, people):
    rows = [
        plan_row(Author="analyst", **{"Author role": "LRO"}),  # said to be the LRO; is not
        plan_row(**{"Threat reference": "PLN-2", "Author": "sio", "Author role": "SIO"}),
    ]
    assert import_plans(plans_csv(*rows)).written
    first = Plan.objects.get(threat=threats["PLN-1"])
    second = Plan.objects.get(threat=threats["PLN-2"])
    assert first.author_role == "lro" and second.author_role == "sio"
    entry = AuditEntry.objects.get(record_type="plans.plan", record_id=str(first.pk))
    assert entry.changes["author_role_given"] == {
        "from_file": "lro",
        "in_socmaster_today": "other",
    }
    checked = {r.plan.pk: r.failed_keys for r in quality.evaluate(Plan.objects.all())}
    assert "not_by_lro" in checked[first.pk]
    assert "written_by_sio" in checked[second.pk]


def test_a_changed_author_role_is_audited_beside_the_role_socmaster_gives(threats):
    assert import_plans(plans_csv(plan_row(Author="sio", **{"Author role": "SIO"}))).written
    assert import_plans(plans_csv(plan_row(Author="sio", **{"Author role": "LRO"}))).updated == 1
    entry = AuditEntry.objects.get(record_type="plans.plan", action="update")
    assert entry.changes["author_role"] == {"before": "sio", "after": "lro"}
    assert entry.changes["author_role_given"]["in_socmaster_today"] == "sio"


def test_a_blank_author_role_is_the_one_socmaster_gives(threats, people):
    assert import_plans(plans_csv(plan_row(Author="sio", **{"Author role": ""}))).written
    assert Plan.objects.get().author_role == "sio"


def test_a_plan_by_the_lro_is_not_flagged(threats):
    assert import_plans(plans_csv(plan_row())).written
    keys = quality.evaluate(Plan.objects.all())[0].failed_keys
    assert "not_by_lro" not in keys and "written_by_sio" not in keys


def test_a_plan_not_updated_for_long_is_stale_at_once(threats):
    stale = TODAY - dt.timedelta(days=200)
    assert import_plans(plans_csv(plan_row(**{"Updated on": iso(stale)}))).written
    failures = {f.key: f.reason for f in quality.evaluate(Plan.objects.all())[0].failures}
    assert f"Not updated since {stale:%d %b %Y} (200 days" in failures["not_updated"]


def test_a_plan_written_long_ago_and_never_reviewed_is_overdue_at_once(threats):
    assert import_plans(plans_csv(superseded_row(), plan_row())).written
    checked = quality.evaluate(Plan.objects.all())[0]
    # The clock starts when the first version was written.
    due = WRITTEN_1 + dt.timedelta(days=90)
    assert checked.next_review_due == due
    assert (
        "never reviewed since it was written on"
        in dict((f.key, f.reason) for f in checked.failures)["review_overdue"]
    )


def test_copied_text_is_found_between_imported_plans(threats):
    text = own_text("shared", 40)
    rows = [
        plan_row(Aim=text),
        plan_row(**{"Threat reference": "PLN-2", "Aim": text}),
    ]
    assert import_plans(plans_csv(*rows)).written
    checked = {r.threat.reference: r.failed_keys for r in quality.evaluate(Plan.objects.all())}
    assert "copied_text" in checked["PLN-1"] and "copied_text" in checked["PLN-2"]


def test_a_multi_line_text_cell_is_allowed(threats):
    assert import_plans(plans_csv(plan_row(Aim="First line.\nSecond line.\tTabbed."))).written
    assert Plan.objects.get().aim == "First line.\nSecond line.\tTabbed."


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("Threat reference", "NOPE", "no threat NOPE on the master list"),
        ("Version", "two", "'two' is not a whole number"),
        ("Version", "0", "Give a version number of 1 or more."),
        ("Status", "Draft", "'Draft' is not one of Current, Superseded"),
        (
            "Author role",
            "Sergeant",
            "'Sergeant' is not one of Lead responsible officer, Senior investigating officer",
        ),
        ("Author", "nobody", "no user 'nobody'"),
        ("Aim", "", "is required"),
        ("Written on", "", "is required"),
        ("Written on", "yesterday", "'yesterday' is not a date (YYYY-MM-DD or DD/MM/YYYY)"),
        ("Written on", iso(TODAY + dt.timedelta(days=1)), "The date cannot be in the future."),
        ("Updated on", iso(TODAY + dt.timedelta(days=1)), "The date cannot be in the future."),
        (
            "Updated on",
            iso(WRITTEN_2 - dt.timedelta(days=1)),
            "The date cannot be before the date the plan was written.",
        ),
        (
            "Superseded on",
            iso(SUPERSEDED_1),
            "A current plan has not been superseded: leave the date blank.",
        ),
        ("Review frequency days", "400", "Give a review period between 7 and 365 days."),
        ("Review frequency days", "6", "Give a review period between 7 and 365 days."),
        ("Partner sections", "Aim; Gossip", "'Gossip' is not one of Aim, Objectives under each P"),
        ("Intelligence gaps", "bell\x07", "control character U+0007"),
        ("Author", "l\nro", "control character"),
    ],
)
def test_each_bad_value_gives_its_row_error_and_writes_nothing(threats, column, value, message):
    result = import_plans(plans_csv(superseded_row(), plan_row(**{column: value})))
    assert not result.written and not Plan.objects.exists()
    assert [(e.row, e.field) for e in result.errors] == [(3, column)], result.errors
    assert message in result.errors[0].message
    assert not ImportJob.objects.exists()


def test_a_superseded_version_needs_the_date_it_was_superseded(threats):
    result = import_plans(plans_csv(superseded_row(**{"Superseded on": ""}), plan_row()))
    assert [(e.row, e.field, e.message) for e in result.errors] == [
        (2, "Superseded on", "Give the date this version was superseded.")
    ]
    assert not Plan.objects.exists()


def test_choices_are_matched_by_label_or_value_without_regard_to_case(threats):
    row = plan_row(Status="  current ", **{"Author role": "lead responsible officer"})
    row["Partner sections"] = "AIM;other_actions; Quality-assurance reviews"
    assert import_plans(plans_csv(row)).written
    plan = Plan.objects.get()
    assert plan.partner_sections == ["aim", "other_actions", "reviews"]


def test_dates_may_be_written_day_first(threats):
    assert import_plans(
        plans_csv(plan_row(**{"Written on": WRITTEN_2.strftime("%d/%m/%Y")}))
    ).written
    assert Plan.objects.get().created_at == noon(WRITTEN_2)


def test_a_missing_column_is_one_error(threats):
    data = csv_text([c for c in PLAN_COLUMNS if c != "Aim"], [plan_row()])
    result = import_plans(data)
    assert [(e.row, e.field) for e in result.errors] == [(1, "header")]
    assert "Aim" in result.errors[0].message


def test_headers_are_matched_without_regard_to_case(threats):
    data = plans_csv(plan_row()).replace("Threat reference", "THREAT REFERENCE", 1)
    assert import_plans(data.encode("utf-8-sig")).written


def test_a_duplicate_key_is_an_error(threats):
    result = import_plans(plans_csv(plan_row(), plan_row(Aim="Another aim.")))
    assert [(e.row, e.field) for e in result.errors] == [(3, "Version")]
    assert "appears again (first on row 2)" in result.errors[0].message
    assert not Plan.objects.exists()


def test_a_hidden_threat_is_reported_as_a_missing_one(threats, people):
    hidden = import_plans(plans_csv(plan_row(**{"Threat reference": "HID-1"})), user=people["lro"])
    missing = import_plans(plans_csv(plan_row(**{"Threat reference": "NOPE"})), user=people["lro"])
    assert hidden.errors[0].message == "no threat HID-1 on the master list"
    assert missing.errors[0].message == "no threat NOPE on the master list"
    assert not Plan.objects.exists()


@pytest.mark.parametrize("who", ["neighbour", "inspector"])
def test_the_importer_must_be_allowed_to_change_the_threat(threats, people, who):
    result = import_plans(plans_csv(plan_row()), user=people[who])
    assert [(e.field, e.message) for e in result.errors] == [
        ("Threat reference", "you may not change the plans of PLN-1")
    ]
    assert not Plan.objects.exists()


def test_a_person_who_may_change_the_threat_imports_under_their_own_name(threats, people):
    result = import_plans(plans_csv(plan_row()), user=people["analyst"], source="plans.csv")
    assert result.written
    entry = AuditEntry.objects.get(record_type="plans.plan")
    assert entry.user == people["analyst"]
    assert ImportJob.objects.get().created_by == people["analyst"]


def test_the_service_refuses_an_importer_who_may_not_change_the_threat(threats, people):
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    values = dict(version=1, status="current", author=people["lro"], written_on=WRITTEN_2, aim="A")
    with pytest.raises(PermissionDenied):
        services.import_plan(people["neighbour"], threats["PLN-1"], **values)
    with pytest.raises(Http404):
        services.import_plan(people["far"], threats["PLN-1"], **values)
    assert not Plan.objects.exists()


def test_at_most_one_current_plan_per_threat_in_a_file(threats):
    result = import_plans(
        plans_csv(superseded_row(Status="Current", **{"Superseded on": ""}), plan_row())
    )
    assert [(e.row, e.field) for e in result.errors] == [(2, "Status"), (3, "Status")]
    assert "more than one current plan (also version 2)" in result.errors[0].message
    assert not Plan.objects.exists() and not ImportJob.objects.exists()


def test_the_current_plan_is_the_latest_version(threats):
    result = import_plans(
        plans_csv(
            superseded_row(Version="3", **{"Superseded on": iso(UPDATED_2)}),
            plan_row(),
        )
    )
    assert [(e.row, e.field) for e in result.errors] == [(2, "Version")]
    assert "version 2 is current: the current plan is the latest" in result.errors[0].message
    assert not ImportJob.objects.exists()


def test_a_current_plan_beside_one_already_current_is_refused(threats):
    assert import_plans(
        plans_csv(superseded_row(Status="Current", **{"Superseded on": ""}))
    ).written
    result = import_plans(plans_csv(plan_row()))
    assert [(e.row, e.field) for e in result.errors] == [(2, "Status")]
    assert Plan.objects.count() == 1
    assert ImportJob.objects.count() == 1  # found when the file was checked


def test_a_plan_written_in_socmaster_is_not_changed_by_an_import(threats, people):
    services.create_plan(people["lro"], threats["PLN-1"], aim="Written by hand.")
    result = import_plans(plans_csv(superseded_row(Version="1")))
    assert [(e.row, e.field) for e in result.errors] == [(2, "Version")]
    assert "was written in socmaster; an import does not change it" in result.errors[0].message
    assert Plan.objects.get().aim == "Written by hand."
    assert not ImportJob.objects.exists()  # found when the file was checked


def test_the_service_does_not_change_a_plan_written_in_socmaster(threats, people):
    from django.core.exceptions import ValidationError

    services.create_plan(people["lro"], threats["PLN-1"], aim="Written by hand.")
    with pytest.raises(ValidationError) as caught:
        services.import_plan(
            people["analyst"],
            threats["PLN-1"],
            version=1,
            status="current",
            author=people["lro"],
            written_on=WRITTEN_2,
            aim="Imported.",
        )
    assert "was written in socmaster; an import does not change it" in str(caught.value)
    assert Plan.objects.get().aim == "Written by hand."


def test_history_may_be_imported_before_a_plan_written_in_socmaster(threats, people):
    plan = services.create_plan(people["lro"], threats["PLN-1"], aim="Written by hand.")
    Plan.objects.filter(pk=plan.pk).update(version=3)
    assert import_plans(plans_csv(superseded_row(), superseded_row(Version="2"))).written
    result = import_plans(plans_csv(plan_row(Version="4")))
    assert "more than one current plan (also version 3)" in result.errors[0].message


def test_the_service_keeps_one_current_plan_even_if_the_file_check_is_bypassed(threats, people):
    from django.core.exceptions import ValidationError

    values = dict(status="current", author=people["lro"], written_on=WRITTEN_2, aim="Aim.")
    services.import_plan(people["analyst"], threats["PLN-1"], version=1, **values)
    with pytest.raises(ValidationError) as caught:
        services.import_plan(people["analyst"], threats["PLN-1"], version=2, **values)
    assert "already has a current plan (version 1)" in str(caught.value)
    with pytest.raises(ValidationError) as caught:
        services.import_plan(
            people["analyst"],
            threats["PLN-1"],
            version=3,
            **{**values, "status": "superseded", "superseded_on": UPDATED_2},
        )
    assert "Version 1 is current: a superseded version is an earlier one." in str(caught.value)
    Plan.objects.filter(version=1).update(status="superseded", superseded_at=noon(UPDATED_2))
    services.import_plan(
        people["analyst"],
        threats["PLN-1"],
        version=5,
        **{**values, "status": "superseded", "superseded_on": UPDATED_2},
    )
    with pytest.raises(ValidationError) as caught:
        services.import_plan(people["analyst"], threats["PLN-1"], version=2, **values)
    assert "Version 5 exists: the current plan is the latest version." in str(caught.value)


def test_skip_bad_writes_the_good_rows_and_returns_the_bad(threats):
    bad = plan_row(**{"Threat reference": "PLN-2", "Status": "Draft"})
    result = import_plans(plans_csv(superseded_row(), plan_row(), bad), skip_bad=True)
    assert result.written and result.created == 2
    assert [r["Threat reference"] for r in result.rejected] == ["PLN-2"]
    assert "Status: 'Draft' is not one of" in result.rejected[0]["Error"]
    assert not Plan.objects.filter(threat=threats["PLN-2"]).exists()


def _stored():
    return (
        sorted(tuple(sorted(p.items())) for p in Plan.objects.values()),
        sorted(PlanTextBand.objects.values_list("plan_id", "band", "value")),
    )


def test_a_failure_part_way_leaves_nothing(threats, monkeypatch):
    assert import_plans(
        plans_csv(superseded_row(Status="Current", **{"Superseded on": ""}))
    ).written
    before = _stored()
    real, calls = services.import_plan, {"n": 0}

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk on fire")
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "import_plan", failing)
    rows = [superseded_row(), plan_row(), plan_row(**{"Threat reference": "PLN-2"})]
    with pytest.raises(RuntimeError, match="disk on fire"):
        import_plans(plans_csv(*rows), batch_size=1)  # v1 superseded, v2 written, then the failure
    assert _stored() == before
    failed = ImportJob.objects.order_by("-pk").first()
    assert (failed.kind, failed.status) == ("plans", "failed") and not failed.undo.exists()
    assert audit.verify_chain().ok


def test_a_row_refused_when_written_undoes_the_rows_before_it(threats, people, monkeypatch):
    # Row 3's threat gets a current plan written by hand after the file was checked.
    original = services.import_plan

    def racing(actor, threat, **kwargs):
        if threat.reference == "PLN-2":
            services.create_plan(people["lro"], threat, aim="Written by hand meanwhile.")
        return original(actor, threat, **kwargs)

    monkeypatch.setattr(services, "import_plan", racing)
    result = import_plans(
        plans_csv(plan_row(), plan_row(**{"Threat reference": "PLN-2"})), batch_size=1
    )
    assert not result.written
    assert [(e.row, e.field) for e in result.errors] == [(3, "Status")]
    assert not Plan.objects.filter(threat=threats["PLN-1"]).exists()


def test_the_command_imports_and_exits_non_zero_on_errors(threats, tmp_path, capsys):
    path = tmp_path / "plans.csv"
    path.write_text(plans_csv(superseded_row(), plan_row(Status="Draft")), encoding="utf-8")
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import-plans", str(path))
    assert "row 3, Status: 'Draft' is not one of Current, Superseded" in capsys.readouterr().err
    assert not Plan.objects.exists()
    call_command("import-plans", str(path), "--skip-bad")
    assert "1 created" in capsys.readouterr().out
    assert "Draft" in (tmp_path / "plans.rejects.csv").read_text()
    assert Plan.objects.get().import_source == "plans.csv, row 2"
    path.write_text(plans_csv(superseded_row()), encoding="utf-8")
    call_command("import-plans", str(path))
    assert "0 created, 0 updated, 1 unchanged" in capsys.readouterr().out


def test_the_imports_are_registered_for_the_upload_page_and_undo():
    from socmaster.plans import importer

    assert IMPORTERS["plans"]["run"] is importer.import_plans
    assert IMPORTERS["plans"]["columns"] == PLAN_COLUMNS
    assert IMPORTERS["plan_actions"]["run"] is importer.import_plan_actions
    assert IMPORTERS["plan_reviews"]["run"] is importer.import_plan_reviews
    assert {IMPORTERS[k]["guide"] for k in ("plans", "plan_actions", "plan_reviews")} == {
        "docs/import-plans.md"
    }
    assert (DOCS.parent / IMPORTERS["plans"]["guide"]).is_file()
    assert UNDO_HANDLERS["plans.plan"] is services.undo_import_plan
    assert UNDO_HANDLERS["plans.planaction"] is services.undo_import_action
    assert UNDO_HANDLERS["plans.planreview"] is services.undo_import_review


def test_an_upload_runs_the_import_with_its_queued_job(threats, people, tmp_path):
    from socmaster.threats.services import start_import

    path = tmp_path / "upload.csv"
    path.write_text(plans_csv(plan_row()), encoding="utf-8")
    job = start_import(
        people["analyst"],
        source_name="plans.csv",
        stored_file=str(path),
        skip_bad=False,
        kind="plans",
    )
    run = IMPORTERS["plans"]["run"]
    result = run(path, user=people["analyst"], skip_bad=False, source="plans.csv", job=job)
    assert result.written
    job.refresh_from_db()
    assert (job.status, job.created) == ("done", 1) and ImportJob.objects.count() == 1
    assert Plan.objects.get().import_source == "plans.csv, row 2"


def test_the_plan_page_shows_an_imported_plan_as_imported(threats, people, web):
    assert import_plans(plans_csv(superseded_row(), plan_row()), source="plans.csv").written
    page = web(people["lro"]).get("/plans/PLN-1/").content.decode()
    assert "data-imported" in page and "from plans.csv, row 3" in page
    assert "Its dates are the source system" in page
    old = web(people["lro"]).get("/plans/PLN-1/?version=1").content.decode()
    assert "from plans.csv, row 2" in old


def test_the_plan_page_of_a_plan_written_here_says_nothing_of_imports(threats, people, web):
    services.create_plan(people["lro"], threats["PLN-1"], aim="Written by hand.")
    page = web(people["lro"]).get("/plans/PLN-1/").content.decode()
    assert "data-imported" not in page


def test_the_example_files_import(threats, people, make_user, org):
    """docs/examples/plans.csv, plan-actions.csv and plan-reviews.csv, in the order of a history."""
    from socmaster.organisations.models import User
    from socmaster.plans.importer import import_plan_actions, import_plan_reviews
    from socmaster.plans.models import PlanAction, PlanReview

    examples = DOCS / "examples"
    owner = org("force-durham")
    make_user("force-durham", "lro", username="jlro")
    make_user("force-durham", "analyst", username="asro")
    make_user("force-durham", "sio", username="bsio")
    make_user("force-durham", "chief_officer", username="cchief")
    lro, sro = (User.objects.get(username=name) for name in ("jlro", "asro"))
    for ref, name in (("EX-OCG-0001", "Example network"), ("EX-OCG-0002", "Example group")):
        Threat.objects.create(
            reference=ref,
            name=name,
            owner=owner,
            threat_type="ocg",
            handling="region",
            lro=lro,
            sro=sro,
        )
    for run, name in (
        (import_plans, "plans.csv"),
        (import_plan_actions, "plan-actions.csv"),
        (import_plan_reviews, "plan-reviews.csv"),
    ):
        result = run(examples / name)
        assert result.written and not result.errors, (name, result.errors)
    assert Plan.objects.filter(threat__reference__startswith="EX-").count() == 3
    assert PlanAction.objects.filter(import_source__startswith="plan-actions.csv").count() >= 5
    assert PlanReview.objects.filter(import_source__startswith="plan-reviews.csv").count() >= 2


def test_the_api_shows_where_an_imported_plan_came_from_and_keeps_it(threats, people, api):
    assert import_plans(plans_csv(plan_row()), source="plans.csv").written
    plan = Plan.objects.get()
    client = api(people["lro"])
    body = client.get(f"/api/plans/{plan.pk}/", {"reason": "Checking the import"}).json()
    assert body["import_source"] == "plans.csv, row 2"
    assert body["imported_at"] is not None
    # Read-only: a client cannot change where a record came from.
    response = client.patch(
        f"/api/plans/{plan.pk}/",
        {"import_source": "forged.csv, row 9", "aim": plan.aim},
        format="json",
        HTTP_IF_MATCH=client.get(f"/api/plans/{plan.pk}/", {"reason": "x"})["ETag"],
    )
    assert response.status_code == 200, response.content
    assert response.json()["import_source"] == "plans.csv, row 2"
    plan.refresh_from_db()
    assert plan.import_source == "plans.csv, row 2"
