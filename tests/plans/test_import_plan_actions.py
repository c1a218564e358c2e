"""Importing 4P plan actions (plan-actions.csv): the file's dates, owners and disruptions, the
import marking, the shared action rules, row-numbered errors, --skip-bad, undo, the command, the
time-based quality checks on imported actions and the pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from socmaster.core import audit
from socmaster.core.models import AuditEntry
from socmaster.disruptions.models import Disruption, Tactic
from socmaster.disruptions.services import current_standard
from socmaster.plans import quality, services
from socmaster.plans.importer import ACTION_COLUMNS, import_plan_actions, import_plans
from socmaster.plans.models import Plan, PlanAction
from socmaster.threats.models import ImportJob, Threat

from .test_import_plans import (
    UPDATED_2,
    WRITTEN_1,
    WRITTEN_2,
    csv_text,
    iso,
    noon,
    own_text,
    plan_row,
    plans_csv,
    superseded_row,
)

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
CREATED = WRITTEN_2 + dt.timedelta(days=1)
DONE = CREATED + dt.timedelta(days=40)


@pytest.fixture
def people(make_user):
    return {
        "lro": make_user("force-durham", "lro", username="lro"),
        "sro": make_user("force-durham", "analyst", username="sro"),
        "analyst": make_user("force-durham", "analyst", username="analyst"),
        "sio": make_user("force-durham", "sio", username="sio"),
        "neighbour": make_user("force-cleveland", "analyst", username="cleveland"),
        "inspector": make_user("hmicfrs", "inspector", username="insp"),
        "partner": make_user("partner-durham-county-council", "partner_user", username="council"),
    }


@pytest.fixture
def threats(org, people):
    common = dict(owner=org("force-durham"), threat_type="ocg", handling="region")
    out = {
        ref: Threat.objects.create(
            reference=ref, name=ref, lro=people["lro"], sro=people["sro"], **common
        )
        for ref in ("PLN-1", "PLN-2")
    }
    out["HID-1"] = Threat.objects.create(
        reference="HID-1", name="Hidden", owner=org("force-west-yorkshire"), handling="owner"
    )
    return out


@pytest.fixture
def plans(threats):
    rows = [superseded_row(), plan_row(), plan_row(**{"Threat reference": "PLN-2"})]
    assert import_plans(plans_csv(*rows)).written
    return {
        "old": Plan.objects.get(threat__reference="PLN-1", version=1),
        "new": Plan.objects.get(threat__reference="PLN-1", version=2),
        "other": Plan.objects.get(threat__reference="PLN-2"),
    }


def disruption(threat, user, reference: str) -> Disruption:
    return Disruption.objects.create(
        reference=reference,
        threat=threat,
        standard=current_standard(),
        event_date=TODAY - dt.timedelta(days=3),
        record_date=TODAY,
        recording_organisation=threat.owner,
        team="Op Lantern",
        disruption_type="lead",
        four_p="pursue",
        category="major",
        tactic=Tactic.objects.get(code="arrest"),
        narrative="Arrests",
        evidence="Custody refs",
        status="approved",
        recorder=user,
    )


def action_row(**overrides) -> dict:
    row = {
        "Action ID": "A-1",
        "Threat reference": "PLN-1",
        "Plan version": "2",
        "4P": "Pursue",
        "Description": "Arrest the two principals at the same time.",
        "Owner": "lro",
        "Owner organisation": "Durham Police",
        "Start date": iso(CREATED),
        "Due date": iso(CREATED + dt.timedelta(days=60)),
        "Status": "Complete",
        "Result": "Both principals arrested and charged; remanded in custody.",
        "Completed on": iso(DONE),
        "Created on": iso(CREATED),
        "Updated on": iso(DONE),
        "Disruption references": "",
    }
    row.update(overrides)
    return row


def open_row(**overrides) -> dict:
    return action_row(
        **{
            "Action ID": "A-2",
            "4P": "Prevent",
            "Description": "Refer the younger runners to the youth diversion scheme.",
            "Owner": "",
            "Owner organisation": "Durham County Council",
            "Status": "In progress",
            "Result": "",
            "Completed on": "",
            **overrides,
        }
    )


def actions_csv(*rows: dict) -> str:
    return csv_text(ACTION_COLUMNS, list(rows))


def test_a_valid_file_creates_the_actions_with_the_files_dates_and_the_import_marking(
    plans, people, org, threats
):
    d1, d2 = (disruption(threats["PLN-1"], people["lro"], ref) for ref in ("D-1", "D-2"))
    signature = plans["new"].text_signature
    before = timezone.now()
    rows = [action_row(**{"Disruption references": "D-1; D-2"}), open_row()]
    result = import_plan_actions(actions_csv(*rows), source="plan-actions.csv")
    assert result.written and (result.created, result.updated, result.unchanged) == (2, 0, 0)
    done = PlanAction.objects.get(source_key="A-1")
    assert done.plan == plans["new"] and done.four_p == "pursue"
    assert (done.owner_user, done.owner_organisation) == (people["lro"], org("force-durham"))
    assert (done.status, done.completed_on) == ("complete", DONE)
    assert (done.created_at, done.updated_at) == (noon(CREATED), noon(DONE))
    assert (done.start_date, done.due_date) == (CREATED, CREATED + dt.timedelta(days=60))
    assert set(done.disruptions.all()) == {d1, d2}
    assert done.import_source == "plan-actions.csv, row 2"
    assert before <= done.imported_at <= timezone.now()
    assert (done.created_by, done.updated_by) == (None, None)
    held = PlanAction.objects.get(source_key="A-2")
    assert held.owner_user is None and held.owner_organisation == org(
        "partner-durham-county-council"
    )
    assert (held.status, held.completed_on) == ("in_progress", None)
    # The plan's dates are its own; its text fingerprint now covers the actions.
    plan = Plan.objects.get(pk=plans["new"].pk)
    assert plan.updated_at == noon(UPDATED_2)
    assert plan.text_signature != signature
    entry = AuditEntry.objects.get(record_type="plans.planaction", record_id=str(done.pk))
    assert entry.action == "create" and entry.changes["import_source"] == "plan-actions.csv, row 2"
    assert entry.changes["after"]["disruptions"] == sorted([d1.pk, d2.pk])


def test_importing_the_same_file_again_changes_nothing(plans, people, threats):
    disruption(threats["PLN-1"], people["lro"], "D-1")
    data = actions_csv(action_row(**{"Disruption references": "D-1"}), open_row())
    assert import_plan_actions(data).written
    records = AuditEntry.objects.exclude(record_type="threats.importjob")
    entries = records.count()
    stored = list(PlanAction.objects.values())
    again = import_plan_actions(data)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert records.count() == entries and list(PlanAction.objects.values()) == stored


def test_a_changed_row_updates_the_action(plans):
    assert import_plan_actions(actions_csv(open_row())).written
    changed = open_row(
        Status="Complete",
        Result="Six runners referred; four completed the scheme.",
        **{"Completed on": iso(DONE), "Plan version": "1"},
    )
    result = import_plan_actions(actions_csv(changed))
    assert result.updated == 1
    action = PlanAction.objects.get()
    assert (action.status, action.completed_on, action.plan) == ("complete", DONE, plans["old"])
    assert action.lock_version == 2
    entry = AuditEntry.objects.get(record_type="plans.planaction", action="update")
    assert entry.changes["status"] == {"before": "in_progress", "after": "complete"}


def test_an_imported_action_changed_in_socmaster_is_not_changed_back(plans, people):
    data = actions_csv(open_row())
    assert import_plan_actions(data).written
    action = PlanAction.objects.get()
    services.update_action(people["lro"], action, status="cancelled")
    result = import_plan_actions(data)
    assert not result.written
    assert [(e.row, e.field) for e in result.errors] == [(2, "Action ID")]
    assert "has been changed in socmaster since it was imported" in result.errors[0].message
    assert PlanAction.objects.get().status == "cancelled"


def test_an_import_undone_may_be_run_again(plans, monkeypatch):
    assert import_plan_actions(actions_csv(open_row())).written
    changed = actions_csv(open_row(Result="Referred to the scheme."), action_row())
    real = services.import_action

    def failing(plan_actor, plan, **kwargs):
        if kwargs["key"] == "A-1":
            raise RuntimeError("disk on fire")
        return real(plan_actor, plan, **kwargs)

    monkeypatch.setattr(services, "import_action", failing)
    with pytest.raises(RuntimeError):
        import_plan_actions(changed, batch_size=1)
    assert PlanAction.objects.get().result == ""
    monkeypatch.setattr(services, "import_action", real)
    result = import_plan_actions(changed)
    assert (result.created, result.updated) == (1, 1)


def test_a_new_version_of_an_imported_plan_carries_its_actions_as_written_here(plans, people):
    data = actions_csv(open_row())
    assert import_plan_actions(data).written
    copy = services.new_version(people["lro"], plans["new"])
    carried = copy.actions.get()
    assert (carried.import_source, carried.imported_at, carried.source_key) == ("", None, "")
    assert carried.carried_from.source_key == "A-2"
    assert import_plan_actions(data).unchanged == 1
    assert copy.actions.get().import_source == ""


def test_an_action_added_here_to_an_imported_plan_survives_its_re_import(threats, people):
    data = plans_csv(plan_row())
    assert import_plans(data).written
    plan = Plan.objects.get()
    services.add_action(
        people["lro"], plan, four_p="pursue", description="By hand.", owner_user=people["lro"]
    )
    touched = Plan.objects.get().updated_at
    assert import_plans(data).unchanged == 1
    assert Plan.objects.get().updated_at == touched
    assert "not_updated" not in quality.evaluate(Plan.objects.all())[0].failed_keys


def test_the_same_action_id_on_another_threat_is_another_action(plans):
    rows = [open_row(), open_row(**{"Threat reference": "PLN-2"})]
    assert import_plan_actions(actions_csv(*rows)).created == 2


def test_actions_of_a_superseded_version_are_its_history(plans):
    row = action_row(**{"Plan version": "1", "Created on": iso(WRITTEN_1)})
    assert import_plan_actions(actions_csv(row)).written
    assert PlanAction.objects.get().plan == plans["old"]


def test_an_open_action_past_its_due_date_is_overdue_at_once(plans):
    due = TODAY - dt.timedelta(days=100)
    assert import_plan_actions(actions_csv(open_row(**{"Due date": iso(due)}))).written
    checked = {r.plan.pk: r for r in quality.evaluate(Plan.objects.all())}[plans["new"].pk]
    reasons = {f.key: f.reason for f in checked.failures}
    assert reasons["overdue_actions"] == "1 action past its due date."
    assert PlanAction.objects.get().is_overdue


def test_an_action_updated_lately_keeps_its_plan_from_being_stale(threats):
    stale = TODAY - dt.timedelta(days=200)
    assert import_plans(plans_csv(plan_row(**{"Updated on": iso(stale)}))).written
    keys = quality.evaluate(Plan.objects.all())[0].failed_keys
    assert "not_updated" in keys
    recent = TODAY - dt.timedelta(days=5)
    assert import_plan_actions(actions_csv(open_row(**{"Updated on": iso(recent)}))).written
    assert "not_updated" not in quality.evaluate(Plan.objects.all())[0].failed_keys
    # An action as old as the plan does not make it fresh.
    old = open_row(**{"Updated on": iso(stale)})
    assert import_plan_actions(actions_csv(old)).updated == 1
    assert "not_updated" in quality.evaluate(Plan.objects.all())[0].failed_keys


def test_copied_text_is_found_through_imported_actions(plans):
    text = own_text("action text", 40)
    rows = [
        open_row(Description=text),
        open_row(**{"Threat reference": "PLN-2", "Description": text}),
    ]
    assert import_plan_actions(actions_csv(*rows)).written
    checked = {r.threat.reference: r.failed_keys for r in quality.evaluate(Plan.objects.all())}
    assert "copied_text" in checked["PLN-1"] and "copied_text" in checked["PLN-2"]


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("Threat reference", "NOPE", "no threat NOPE on the master list"),
        ("Plan version", "7", "PLN-1 has no plan version 7"),
        ("Plan version", "v2", "'v2' is not a whole number"),
        ("4P", "Punish", "'Punish' is not one of Pursue, Prevent, Protect, Prepare"),
        ("Status", "Done", "'Done' is not one of Not started, In progress, Complete, Cancelled"),
        ("Owner", "nobody", "no user 'nobody'"),
        ("Owner organisation", "Atlantis", "unknown organisation 'Atlantis'"),
        ("Start date", "soon", "'soon' is not a date (YYYY-MM-DD or DD/MM/YYYY)"),
        ("Created on", iso(TODAY + dt.timedelta(days=1)), "The date cannot be in the future."),
        ("Completed on", iso(TODAY + dt.timedelta(days=1)), "The date cannot be in the future."),
        (
            "Updated on",
            iso(CREATED - dt.timedelta(days=1)),
            "The date cannot be before the date the action was created.",
        ),
        (
            "Completed on",
            iso(CREATED - dt.timedelta(days=1)),
            "The date cannot be before the date the action was created.",
        ),
        ("Completed on", "", "Give the date the action was completed."),
        ("Created on", "", "is required"),
        ("Description", "", "is required"),
        ("Action ID", "", "is required"),
        ("Action ID", "A" * 121, "is longer than 120 characters"),
        (
            "Due date",
            iso(CREATED - dt.timedelta(days=1)),
            "The due date cannot be before the start date.",
        ),
        ("Disruption references", "D-404", "no disruption D-404"),
        ("Description", "bell\x07", "control character U+0007"),
        ("Owner", "l\tro", "control character"),
    ],
)
def test_each_bad_value_gives_its_row_error_and_writes_nothing(plans, column, value, message):
    result = import_plan_actions(actions_csv(open_row(), action_row(**{column: value})))
    assert not result.written and not PlanAction.objects.exists()
    assert [(e.row, e.field) for e in result.errors] == [(3, column)], result.errors
    assert message in result.errors[0].message


def test_only_a_completed_action_has_a_completion_date(plans):
    result = import_plan_actions(actions_csv(open_row(**{"Completed on": iso(DONE)})))
    assert [(e.field, e.message) for e in result.errors] == [
        ("Completed on", "Only a completed action has a completion date.")
    ]


def test_history_is_kept_as_recorded_and_the_quality_checks_report_its_faults(plans, people):
    """A completed action without a result, an action with no owner and one held by an officer
    who has since left are refused when typed here, but kept when imported: history as it was
    recorded. The plan-quality checks then report the first two."""
    people["sio"].is_active = False
    people["sio"].save()
    rows = [
        action_row(**{"Result": ""}),  # complete, no result
        open_row(**{"Action ID": "A-9", "Owner": "", "Owner organisation": ""}),
        open_row(**{"Action ID": "A-8", "Owner": "sio"}),
    ]
    result = import_plan_actions(actions_csv(*rows))
    assert result.written and result.created == 3, result.errors
    assert PlanAction.objects.get(source_key="A-8").owner_user == people["sio"]
    [row] = [
        r
        for r in quality.report(Threat.objects.all(), Plan.objects.all())
        if r.threat.reference == "PLN-1" and r.plan is not None
    ]
    assert {"no_result", "undated_actions"} <= set(row.failed_keys)


def test_typed_here_the_same_actions_are_refused(plans, people):
    from django.core.exceptions import ValidationError

    plan = plans["new"]
    people["sio"].is_active = False
    people["sio"].save()
    with pytest.raises(ValidationError) as refused:
        services._validate_action(
            {"four_p": "pursue", "description": "x", "status": "complete", "result": ""},
            plan,
            [],
        )
    assert "result" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        services._validate_action(
            {
                "four_p": "pursue",
                "description": "x",
                "status": "not_started",
                "owner_user": people["sio"],
            },
            plan,
            [],
        )
    assert "is not an active user" in " ".join(refused.value.message_dict["owner_user"])


def test_a_disruption_of_another_threat_is_refused_as_by_hand(plans, people, threats):
    disruption(threats["PLN-2"], people["lro"], "D-9")
    result = import_plan_actions(actions_csv(open_row(**{"Disruption references": "D-9"})))
    assert [(e.field, e.message) for e in result.errors] == [
        ("Disruption references", "D-9 was not recorded against PLN-1.")
    ]


def test_a_disruption_the_importer_may_not_see_is_reported_as_a_missing_one(
    plans, people, threats, make_user
):
    outsider = make_user("force-west-yorkshire", "analyst", username="wyanalyst")
    disruption(threats["HID-1"], outsider, "D-H")
    result = import_plan_actions(
        actions_csv(open_row(**{"Disruption references": "D-H"})), user=people["lro"]
    )
    assert [(e.field, e.message) for e in result.errors] == [
        ("Disruption references", "no disruption D-H")
    ]


def test_a_duplicate_action_id_is_an_error(plans):
    result = import_plan_actions(actions_csv(open_row(), open_row(Description="Again.")))
    assert [(e.row, e.field) for e in result.errors] == [(3, "Action ID")]
    assert "Action A-2 of PLN-1 appears again (first on row 2)" in result.errors[0].message
    assert not PlanAction.objects.exists()


def test_a_hidden_threat_is_reported_as_a_missing_one(plans, people):
    hidden = import_plan_actions(
        actions_csv(open_row(**{"Threat reference": "HID-1"})), user=people["lro"]
    )
    assert [(e.field, e.message) for e in hidden.errors] == [
        ("Threat reference", "no threat HID-1 on the master list")
    ]


@pytest.mark.parametrize("who", ["neighbour", "inspector"])
def test_the_importer_must_be_allowed_to_change_the_threat(plans, people, who):
    result = import_plan_actions(actions_csv(open_row()), user=people[who])
    assert [(e.field, e.message) for e in result.errors] == [
        ("Threat reference", "you may not change the plans of PLN-1")
    ]
    assert not PlanAction.objects.exists()


def test_skip_bad_writes_the_good_rows(plans):
    rows = [open_row(), action_row(**{"4P": "Punish"})]
    result = import_plan_actions(actions_csv(*rows), skip_bad=True)
    assert result.written and result.created == 1
    assert [r["Action ID"] for r in result.rejected] == ["A-1"]
    assert list(PlanAction.objects.values_list("source_key", flat=True)) == ["A-2"]


def _stored():
    return (
        sorted(tuple(sorted(a.items())) for a in PlanAction.objects.values()),
        sorted(
            PlanAction.disruptions.through.objects.values_list("planaction_id", "disruption_id")
        ),
        sorted(Plan.objects.values_list("pk", "text_signature")),
    )


def test_a_failure_part_way_leaves_nothing(plans, people, threats, monkeypatch):
    disruption(threats["PLN-1"], people["lro"], "D-1")
    assert import_plan_actions(actions_csv(open_row())).written
    before = _stored()
    real, calls = services.import_action, {"n": 0}

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk on fire")
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "import_action", failing)
    rows = [
        open_row(Result="Referred.", **{"Disruption references": "D-1"}),  # changes A-2
        action_row(),  # creates A-1
        action_row(**{"Action ID": "A-3"}),
    ]
    with pytest.raises(RuntimeError, match="disk on fire"):
        import_plan_actions(actions_csv(*rows), batch_size=1)
    assert _stored() == before
    failed = ImportJob.objects.order_by("-pk").first()
    assert (failed.kind, failed.status) == ("plan_actions", "failed")
    assert audit.verify_chain().ok


def test_the_command_imports_and_exits_non_zero_on_errors(plans, tmp_path, capsys):
    path = tmp_path / "plan-actions.csv"
    path.write_text(actions_csv(open_row(), action_row(Status="Done")), encoding="utf-8")
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import-plan-actions", str(path))
    assert "row 3, Status: 'Done' is not one of" in capsys.readouterr().err
    assert not PlanAction.objects.exists()
    call_command("import-plan-actions", str(path), "--skip-bad")
    assert "1 created" in capsys.readouterr().out
    assert (tmp_path / "plan-actions.rejects.csv").is_file()
    assert PlanAction.objects.get().import_source == "plan-actions.csv, row 2"


def test_the_pages_show_an_imported_action_as_imported(plans, people, web):
    assert import_plan_actions(actions_csv(open_row()), source="plan-actions.csv").written
    action = PlanAction.objects.get()
    client = web(people["lro"])
    page = client.get("/plans/PLN-1/").content.decode()
    assert "data-imported-action" in page
    detail = client.get(f"/plans/actions/{action.pk}/").content.decode()
    assert "data-imported" in detail and "from plan-actions.csv, row 2" in detail


def test_an_action_added_by_hand_is_not_tagged(threats, people, web):
    plan = services.create_plan(people["lro"], threats["PLN-1"], aim="Written by hand.")
    action = services.add_action(
        people["lro"], plan, four_p="pursue", description="By hand.", owner_user=people["lro"]
    )
    client = web(people["lro"])
    assert "data-imported-action" not in client.get("/plans/PLN-1/").content.decode()
    assert "data-imported" not in client.get(f"/plans/actions/{action.pk}/").content.decode()
