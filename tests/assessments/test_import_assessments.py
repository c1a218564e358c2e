"""Importing MoRiLE assessments made in a force's own systems: scored by the engine as in the
product, the source system's status and dates kept, row-numbered errors, all or nothing,
--skip-bad, re-imports that change nothing, undo of a failed import, and the threat's figures
following a moderated import as they follow a moderation in the product."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from socmaster.assessments import services
from socmaster.assessments.importer import COLUMNS, import_assessments
from socmaster.assessments.models import Assessment
from socmaster.core import audit
from socmaster.core.importing import IMPORTERS
from socmaster.core.models import AuditEntry
from socmaster.threats.choices import ImportKind
from socmaster.threats.models import ImportJob, ImportUndo, Nominal, Threat, ThreatMember

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()
EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "assessments.csv"


def day(days_ago: int) -> str:
    return (TODAY - dt.timedelta(days=days_ago)).isoformat()


def answers(pick: int = 0) -> dict:
    scheme = services.current_scheme().engine_scheme()
    return {f.key: f.answers[min(pick, len(f.answers) - 1)].key for f in scheme.factors}


def answer_text(pick: int = 0) -> str:
    return "; ".join(f"{k}={v}" for k, v in answers(pick).items())


@pytest.fixture
def people(make_user):
    return {
        "assessor": make_user("rocu-north-east", "rocta_assessor", username="assessor"),
        "moderator": make_user("rocu-north-east", "moderator", username="moderator"),
        "importer": make_user("force-durham", "analyst", username="importer"),
    }


@pytest.fixture(autouse=True)
def threats(org, people):
    common = dict(owner=org("force-durham"), handling="region")
    return {
        "a": Threat.objects.create(
            reference="ASM-A",
            name="Harbour network",
            moderation_status="moderated",
            tier=4,
            score=5,
            assessed_on=TODAY - dt.timedelta(days=900),
            assessment_source="masterlist.csv, row 2",
            **common,
        ),
        "b": Threat.objects.create(reference="ASM-B", name="Quayside", **common),
        "hidden": Threat.objects.create(
            reference="ASM-H", name="Hidden", owner=org("force-kent"), handling="owner"
        ),
    }


def row(**values) -> dict:
    base = {
        "Threat reference": "ASM-A",
        "Version": "1",
        "Scheme": "",
        "Answers": answer_text(3),
        "Whole threat": "Yes",
        "Partial justification": "",
        "Evidence from": day(400),
        "Evidence to": day(300),
        "Review due": day(-60),
        "Summary": "Synthetic summary.",
        "Status": "Moderated",
        "Assessor": "assessor",
        "Submitted on": day(290),
        "Moderator": "",
        "Moderated by": "DI Synthetic Example",
        "Moderated on": day(280),
        "Return reason": "",
        "Tier": "",
    }
    base.update(values)
    return base


def good_rows() -> list[dict]:
    return [
        row(),
        row(
            Version="2",
            Answers=answer_text(1),
            **{
                "Evidence to": day(30),
                "Submitted on": day(20),
                "Status": "submitted",
                "Moderated by": "",
                "Moderated on": "",
            },
        ),
        row(
            **{
                "Threat reference": "ASM-B",
                "Status": "Draft",
                "Submitted on": "",
                "Moderated by": "",
                "Moderated on": "",
                "Whole threat": "No",
                "Partial justification": "Only the supply line under Op Synthetic.",
            }
        ),
    ]


def make_csv(rows: list[dict], columns=COLUMNS) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _entries():
    return AuditEntry.objects.filter(record_type="assessments.assessment")


def _stored():
    return sorted(
        tuple(sorted((k, str(v)) for k, v in a.items())) for a in Assessment.objects.values()
    )


def _figures(threat):
    threat.refresh_from_db()
    return (
        threat.score,
        threat.tier,
        threat.assessed_on,
        threat.moderation_status,
        threat.assessment_source,
    )


def test_a_valid_file_keeps_the_source_systems_status_and_dates(threats, people):
    result = import_assessments(make_csv(good_rows()), source="assessments.csv")
    assert result.written and (result.created, result.updated, result.unchanged) == (3, 0, 0)
    v1 = Assessment.objects.get(threat=threats["a"], version_number=1)
    engine = services._score(services.current_scheme(), answers(3))
    assert (v1.result, v1.score, v1.tier) == engine  # scored exactly as the product scores
    assert v1.status == "moderated" and v1.assessor == people["assessor"] and v1.moderator is None
    assert v1.created_at.date() == TODAY - dt.timedelta(days=300)  # the newest evidence's day
    assert v1.submitted_at.date() == TODAY - dt.timedelta(days=290)
    assert v1.moderated_at.date() == TODAY - dt.timedelta(days=280)
    assert v1.updated_at.date() == TODAY - dt.timedelta(days=280)
    assert (v1.outside_decision_by, v1.outside_decision_on) == (
        "DI Synthetic Example",
        TODAY - dt.timedelta(days=280),
    )
    assert v1.import_source == "assessments.csv, row 2" and v1.source_key == "ASM-A/1"
    assert v1.imported_at.date() == dt.datetime.now(dt.UTC).date()
    v2 = Assessment.objects.get(threat=threats["a"], version_number=2)
    assert v2.status == "submitted" and v2.moderated_at is None and not v2.decided_outside
    b = Assessment.objects.get(threat=threats["b"])
    assert (b.status, b.submitted_at, b.whole_threat) == ("draft", None, False)
    # The moderated version gives the threat its figures, as a moderation in the product does,
    # assessed on the file's moderation day; the imported master-list figures are replaced.
    assert _figures(threats["a"]) == (
        v1.score,
        v1.tier,
        TODAY - dt.timedelta(days=280),
        "moderated",
        "",
    )
    assert _figures(threats["b"])[3] == "draft"
    creates = _entries().filter(action="create")
    assert creates.count() == 3
    assert {e.changes["after"]["import_source"] for e in creates} == {
        f"assessments.csv, row {n}" for n in (2, 3, 4)
    }
    job = ImportJob.objects.get()
    assert (job.kind, job.status, job.created) == ("assessments", "done", 3)


def test_reimporting_the_same_file_changes_nothing():
    text = make_csv(good_rows())
    assert import_assessments(text, source="assessments.csv").created == 3
    stored, entries = _stored(), _entries().count()
    again = import_assessments(text, source="assessments.csv")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert _stored() == stored and _entries().count() == entries


def test_a_reimport_without_a_scheme_keeps_the_scheme_it_was_scored_with():
    from socmaster.morile import default_scheme

    text = make_csv(good_rows())
    assert import_assessments(text).created == 3
    definition = default_scheme().to_dict() | {"version": "2-synthetic"}
    services.load_scheme_version(None, definition)
    assert services.current_scheme().version == "2-synthetic"
    again = import_assessments(text)
    assert again.ok and again.unchanged == 3
    assert not Assessment.objects.filter(scheme__version="2-synthetic").exists()


def test_a_changed_file_updates_an_imported_version_not_yet_moderated(threats):
    rows = good_rows()
    assert import_assessments(make_csv(rows), source="first.csv").created == 3
    rows[1].update({"Status": "Moderated", "Moderator": "moderator", "Moderated on": day(10)})
    result = import_assessments(make_csv(rows), source="second.csv")
    assert (result.created, result.updated, result.unchanged) == (0, 1, 2)
    v2 = Assessment.objects.get(threat=threats["a"], version_number=2)
    assert v2.status == "moderated" and v2.moderator.username == "moderator"
    assert v2.import_source == "second.csv, row 3" and v2.lock_version == 2
    update = _entries().get(action="update")
    assert update.changes["status"] == {"before": "submitted", "after": "moderated"}
    assert update.changes["import_source"]["after"] == "second.csv, row 3"
    rows[2]["Summary"] = "Corrected in the source system."  # the draft; the same file and row
    assert import_assessments(make_csv(rows), source="first.csv").updated == 1
    update = _entries().filter(action="update").order_by("-seq").first()
    assert update.changes["import_source"] == {
        "before": "first.csv, row 4",
        "after": "first.csv, row 4",
    }
    # The newer moderated version now gives the threat its figures, dated its moderation.
    assert _figures(threats["a"])[:3] == (v2.score, v2.tier, TODAY - dt.timedelta(days=10))


def test_a_moderated_version_never_changes_through_an_import():
    rows = good_rows()
    assert import_assessments(make_csv(rows)).created == 3
    stored = _stored()
    rows[0]["Summary"] = "Rewritten."
    result = import_assessments(make_csv(rows))
    assert not result.written and _stored() == stored
    assert result.errors[0].row == 2 and result.errors[0].field == "Status"
    assert "moderated and never changes" in result.errors[0].message


def test_a_version_entered_in_the_product_is_not_replaced(threats, people):
    services.create_assessment(
        people["assessor"],
        threats["a"],
        answers=answers(0),
        evidence_from=TODAY - dt.timedelta(days=100),
        evidence_to=TODAY - dt.timedelta(days=50),
        review_due=TODAY + dt.timedelta(days=100),
    )
    result = import_assessments(make_csv(good_rows()))
    assert not result.written and Assessment.objects.count() == 1
    assert (result.errors[0].row, result.errors[0].field) == (2, "Version")
    assert "made in the product" in result.errors[0].message


@pytest.mark.parametrize(
    ("values", "column", "message"),
    [
        ({"Threat reference": "NOPE"}, "Threat reference", "no threat NOPE on the master list"),
        ({"Threat reference": ""}, "Threat reference", "is required"),
        ({"Version": "0"}, "Version", "is not a whole number from 1"),
        ({"Version": "two"}, "Version", "is not a whole number from 1"),
        (
            {"Scheme": "Imaginary 9"},
            "Scheme",
            "unknown scheme 'Imaginary 9'; known: socmaster-default 1",
        ),
        ({"Answers": ""}, "Answers", "is required"),
        ({"Answers": "physical"}, "Answers", "'physical' is not factor_code=answer_code"),
        ({"Answers": "physical=none; physical=minor"}, "Answers", "physical is answered twice"),
        ({"Answers": "physical=enormous"}, "Answers", "physical"),
        ({"Whole threat": "Mostly"}, "Whole threat", "'Mostly' is not Yes or No"),
        ({"Whole threat": "No"}, "Partial justification", "Explain why"),
        ({"Evidence from": "yesterday"}, "Evidence from", "is not a date"),
        ({"Evidence from": day(200)}, "Evidence to", "cannot be older than the oldest"),
        (
            {"Evidence to": day(-3), "Status": "Draft", "Submitted on": "", "Moderated by": ""}
            | {"Moderated on": ""},
            "Evidence to",
            "cannot be dated in the future",
        ),
        ({"Review due": day(310)}, "Review due", "must be after the evidence"),
        ({"Review due": ""}, "Review due", "is required"),
        ({"Status": "Approved"}, "Status", "is not one of Draft, Submitted, Moderated, Returned"),
        ({"Assessor": ""}, "Assessor", "is required"),
        ({"Assessor": "ghost"}, "Assessor", "no user 'ghost'"),
        ({"Moderator": "ghost"}, "Moderator", "no user 'ghost'"),
        ({"Moderator": "assessor"}, "Moderator", "Nobody moderates their own assessment"),
        ({"Moderated by": ""}, "Moderator", "needs its moderator"),
        ({"Submitted on": day(-1), "Moderated on": ""}, "Submitted on", "cannot be in the future"),
        ({"Moderated on": day(-1)}, "Moderated on", "cannot be in the future"),
        ({"Submitted on": day(310)}, "Submitted on", "before its newest evidence"),
        ({"Moderated on": day(295)}, "Moderated on", "before it was submitted"),
        (
            {"Status": "Draft", "Moderated by": "", "Moderated on": ""},
            "Submitted on",
            "has not been submitted",
        ),
        ({"Status": "Submitted", "Moderated on": ""}, "Moderated by", "has not been moderated"),
        ({"Status": "Submitted", "Moderated by": ""}, "Moderated on", "has not been moderated"),
        (
            {
                "Status": "Submitted",
                "Moderated by": "",
                "Moderated on": "",
                "Moderator": "moderator",
            },
            "Moderator",
            "has not been moderated",
        ),
        ({"Status": "Returned"}, "Return reason", "Say why the assessment was returned"),
        ({"Tier": "Tier 9"}, "Tier", "The answers score Tier"),
        ({"Tier": "high"}, "Tier", "'high' is not Tier 1 to Tier 5"),
        ({"Summary": "Bell\x07"}, "Summary", "control character U+0007"),
        ({"Moderated by": "DI\nTwo lines"}, "Moderated by", "control character U+000A"),
    ],
)
def test_each_problem_is_one_row_numbered_error_and_nothing_is_written(values, column, message):
    rows = good_rows()
    rows[2] = row(**values)  # the third data row: row 4 of the file
    if values.get("Threat reference", "ASM-A") == "ASM-A":
        rows[2]["Version"] = values.get("Version", "3")
    result = import_assessments(make_csv(rows))
    assert not result.written and Assessment.objects.count() == 0
    assert not ImportJob.objects.exists()  # found while checking, before anything is written
    assert [(e.row, e.field) for e in result.errors] == [(4, column)], result.errors
    assert message in result.errors[0].message


def test_a_control_character_in_any_column_is_refused():
    rows = good_rows()
    rows[2]["Answers"] = answer_text(0) + "\x1b"
    result = import_assessments(make_csv(rows))
    assert [(e.row, e.field) for e in result.errors] == [(4, "Answers")]
    assert "control character U+001B" in result.errors[0].message


def test_choices_dates_and_tier_are_read_leniently(threats):
    tier = services._score(services.current_scheme(), answers(3))[2]
    text = make_csv(
        [
            row(
                Scheme="SOCMASTER-DEFAULT  1",
                Status="  MODERATED ",
                Tier=f"tier {tier}",
                **{
                    "Whole threat": "y",
                    "Evidence to": (TODAY - dt.timedelta(days=300)).strftime("%d/%m/%Y"),
                },
            )
        ]
    )
    result = import_assessments(text)
    assert result.written, result.errors
    a = Assessment.objects.get()
    assert a.evidence_to == TODAY - dt.timedelta(days=300) and a.tier == tier


def test_a_multiline_summary_is_kept():
    rows = good_rows()
    rows[0]["Summary"] = "First line.\nSecond line."
    assert import_assessments(make_csv(rows)).written
    assert (
        Assessment.objects.get(version_number=1, threat__reference="ASM-A").summary.count("\n") == 1
    )


def test_a_returned_row_keeps_its_reason_and_the_moderation_day(threats, people, web):
    text = make_csv(
        [row(Status="Returned", **{"Return reason": "Evidence is thin.", "Moderator": "moderator"})]
    )
    assert import_assessments(text).written
    a = Assessment.objects.get()
    assert (a.status, a.return_reason, a.moderator.username) == (
        "returned",
        "Evidence is thin.",
        "moderator",
    )
    assert a.moderated_at.date() == TODAY - dt.timedelta(days=280)
    assert _figures(threats["a"])[3] == "returned"  # no moderated version: its status shows
    page = web(people["importer"]).get(a.get_absolute_url()).content.decode()
    assert "Returned outside the product by DI Synthetic Example" in page


def test_duplicate_keys_are_refused():
    rows = good_rows()
    rows.append(dict(rows[0]))
    result = import_assessments(make_csv(rows))
    assert not result.written and Assessment.objects.count() == 0
    assert (result.errors[0].row, result.errors[0].field) == (5, "Version")
    assert "version 1 of ASM-A appears again (first on row 2)" in result.errors[0].message


def test_a_missing_column_is_refused():
    result = import_assessments(make_csv(good_rows(), [c for c in COLUMNS if c != "Tier"]))
    assert not result.written and "missing column(s): Tier" in result.errors[0].message


def test_the_importing_user_must_be_allowed_to_change_the_threat(make_user, people):
    rows = good_rows()
    rows[2] = row(**{"Threat reference": "ASM-H"})
    # A threat the user may not see answers exactly as a missing one.
    result = import_assessments(make_csv(rows), user=people["importer"])
    assert [(e.row, e.message) for e in result.errors] == [
        (4, "no threat ASM-H on the master list")
    ]
    assert not ImportJob.objects.exists()  # found while checking
    # One they may see but not change (a neighbouring force's, region handling).
    neighbour = make_user("force-cleveland", "analyst", username="neighbour")
    result = import_assessments(make_csv(good_rows()), user=neighbour)
    assert not result.written and Assessment.objects.count() == 0
    assert not ImportJob.objects.exists()
    assert {e.message for e in result.errors} == {
        "you may not import assessments of ASM-A",
        "you may not import assessments of ASM-B",
    }
    inspector = make_user("force-durham", "inspector", username="inspector")
    assert not import_assessments(make_csv(good_rows()), user=inspector).written
    result = import_assessments(make_csv(good_rows()), user=people["importer"])
    assert result.written and {e.user_id for e in _entries()} == {people["importer"].pk}


def test_the_service_itself_refuses_a_threat_the_user_may_not_change(make_user, threats):
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    kwargs = dict(
        version_number=1,
        source="s.csv, row 2",
        source_key="k",
        answers=answers(1),
        evidence_from=TODAY - dt.timedelta(days=50),
        evidence_to=TODAY - dt.timedelta(days=40),
        review_due=TODAY,
        status="draft",
        assessor=make_user("force-durham", "analyst", username="someone"),
    )
    neighbour = make_user("force-cleveland", "analyst", username="neighbour")
    with pytest.raises(Http404):
        services.import_assessment(neighbour, threats["hidden"], **kwargs)
    with pytest.raises(PermissionDenied):
        services.import_assessment(neighbour, threats["a"], **kwargs)
    owner = make_user("force-durham", "analyst", username="owner")
    assert services.import_assessment(owner, threats["a"], **kwargs)[0] == "created"
    assert not Assessment.objects.exclude(threat=threats["a"]).exists()


def test_skip_bad_writes_the_good_rows():
    rows = good_rows()
    rows[1]["Status"] = "Lost"
    result = import_assessments(make_csv(rows), skip_bad=True)
    assert result.written and result.created == 2 and len(result.rejected) == 1
    assert "Status" in result.rejected[0]["Error"]
    assert not Assessment.objects.filter(version_number=2).exists()


def test_a_failure_mid_way_leaves_nothing(monkeypatch, threats):
    rows = good_rows()
    assert import_assessments(make_csv(rows[1:2])).created == 1  # version 2, submitted
    before, figures = _stored(), _figures(threats["a"])
    real, calls = services.import_assessment, {"n": 0}

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk on fire")
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "import_assessment", failing)
    rows[1]["Summary"] = "Changed in the source system."  # updated in the first batches
    with pytest.raises(RuntimeError, match="disk on fire"):
        import_assessments(make_csv(rows), batch_size=1)
    assert _stored() == before
    assert _figures(threats["a"]) == figures  # the moderated v1's figures are taken back
    failed = ImportJob.objects.order_by("-pk").first()
    assert failed.status == "failed" and not ImportUndo.objects.exists()
    assert audit.verify_chain().ok


def test_a_row_refused_at_writing_undoes_the_rows_before_it(monkeypatch, threats):
    from django.core.exceptions import ValidationError

    figures = _figures(threats["a"])
    real = services.import_assessment

    def refuse(actor, threat, **kwargs):  # as if the threat changed since the file was checked
        if threat.reference == "ASM-B":
            raise ValidationError({"evidence_to": ["refused"]})
        return real(actor, threat, **kwargs)

    monkeypatch.setattr(services, "import_assessment", refuse)
    result = import_assessments(make_csv(good_rows()), batch_size=1)
    assert not result.written and Assessment.objects.count() == 0
    assert (result.errors[0].row, result.errors[0].field) == (4, "Evidence to")
    assert _figures(threats["a"]) == figures


def test_the_command_line_imports_and_exits_non_zero_on_errors(tmp_path, capsys):
    rows = good_rows()
    rows[2]["Assessor"] = "ghost"
    path = tmp_path / "assessments.csv"
    path.write_text(make_csv(rows))
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import-assessments", str(path))
    assert "row 4, Assessor: no user 'ghost'" in capsys.readouterr().err
    assert not Assessment.objects.exists()
    call_command("import-assessments", str(path), "--skip-bad")
    assert "2 created, 0 updated, 0 unchanged, 1 rejected" in capsys.readouterr().out
    assert "ghost" in (tmp_path / "assessments.rejects.csv").read_text()
    a = Assessment.objects.get(version_number=1)
    assert a.import_source == "assessments.csv, row 2"
    # An operator's import is recorded under the owner's import account.
    assert _entries().filter(action="create").first().username == "import-force-durham"


def test_the_upload_page_runs_the_registered_importer_on_the_stored_file(tmp_path, people):
    from socmaster.threats.services import start_import

    entry = IMPORTERS[ImportKind.ASSESSMENTS]
    assert entry["columns"] == COLUMNS and entry["guide"] == "docs/import-assessments.md"
    assert (Path(__file__).resolve().parents[2] / entry["guide"]).is_file()
    path = tmp_path / "upload.csv"
    path.write_text(make_csv(good_rows()))
    job = start_import(
        people["importer"],
        source_name="assessments.csv",
        stored_file=str(path),
        skip_bad=False,
        kind=ImportKind.ASSESSMENTS,
    )
    result = entry["run"](
        path,
        user=people["importer"],
        skip_bad=False,
        source="assessments.csv",
        progress=None,
        job=job,
    )
    assert result.written and result.created == 3
    job.refresh_from_db()
    assert (job.status, job.created) == ("done", 3) and ImportJob.objects.count() == 1


def test_a_read_only_user_cannot_start_an_import(make_user):
    from django.core.exceptions import PermissionDenied

    from socmaster.threats.services import start_import

    inspector = make_user("force-durham", "inspector", username="ro")
    with pytest.raises(PermissionDenied):
        start_import(
            inspector, source_name="a.csv", stored_file="", skip_bad=False, kind="assessments"
        )


def test_the_pages_show_an_imported_assessment_and_its_outside_moderation(web, threats, people):
    assert import_assessments(make_csv(good_rows()), source="assessments.csv").written
    v1 = Assessment.objects.get(threat=threats["a"], version_number=1)
    page = web(people["importer"]).get(v1.get_absolute_url()).content.decode()
    assert "Imported</strong>" in page and "from assessments.csv, row 2" in page
    moderated_on = (TODAY - dt.timedelta(days=280)).strftime("%-d %B %Y")
    assert f"Moderated outside the product by DI Synthetic Example on {moderated_on}" in page
    v2 = Assessment.objects.get(threat=threats["a"], version_number=2)
    page = web(people["importer"]).get(v2.get_absolute_url()).content.decode()
    assert "Imported</strong>" in page and "outside the product" not in page
    panel = web(people["importer"]).get(threats["a"].get_absolute_url()).content.decode()
    assert panel.count("data-imported>Imported") == 2


def test_an_imported_submitted_assessment_is_moderated_in_the_product(threats, people):
    assert import_assessments(make_csv(good_rows())).written
    v2 = Assessment.objects.get(threat=threats["a"], version_number=2)
    assert v2 in services.moderation_queue(people["moderator"])
    services.moderate_assessment(people["moderator"], v2)
    v2.refresh_from_db()
    assert _figures(threats["a"])[:2] == (v2.score, v2.tier)
    again = services.create_assessment(
        people["assessor"],
        threats["a"],
        answers=answers(0),
        evidence_from=TODAY - dt.timedelta(days=20),
        evidence_to=TODAY - dt.timedelta(days=5),
        review_due=TODAY + dt.timedelta(days=90),
    )
    assert again.version_number == 3 and not again.is_imported


def test_the_exception_checks_see_imported_assessments(threats, org):
    from socmaster.assessments.checks import _no_longer_whole, _stale

    assert import_assessments(make_csv(good_rows()[:1])).written  # evidence 300 days old
    moderated = Assessment.objects.get(version_number=1)
    qs = Threat.objects.filter(pk=threats["a"].pk)
    assert _stale(qs) == []  # within the year
    Assessment.objects.filter(pk=moderated.pk).update(
        evidence_from=TODAY - dt.timedelta(days=500), evidence_to=TODAY - dt.timedelta(days=400)
    )
    assert [r["threat"].reference for r in _stale(qs)] == ["ASM-A"]
    assert _no_longer_whole(qs) == []
    nominal = Nominal.objects.create(
        reference="NOM-X1", family_name="Synthetic", owner=org("force-durham")
    )
    ThreatMember.objects.create(
        threat=threats["a"], nominal=nominal, from_date=TODAY - dt.timedelta(days=100)
    )
    assert [r["threat"].reference for r in _no_longer_whole(qs)] == ["ASM-A"]


def test_the_example_file_imports(make_user, org):
    for username in ("example-assessor", "example-moderator"):
        make_user("rocu-north-east", "rocta_assessor", username=username)
    for reference in ("EX-OCG-001", "EX-OCG-002"):
        Threat.objects.create(reference=reference, name="Example", owner=org("force-durham"))
    result = import_assessments(EXAMPLE.read_bytes(), source=EXAMPLE.name)
    assert result.written, result.errors
    assert result.created == Assessment.objects.filter(threat__reference__startswith="EX-").count()
    assert "synthetic" in (EXAMPLE.parent.parent / "import-assessments.md").read_text().lower()


def test_the_api_shows_where_an_imported_assessment_came_from(threats, people, api):
    assert import_assessments(make_csv(good_rows()), source="assessments.csv").written
    v1 = Assessment.objects.get(threat=threats["a"], version_number=1)
    body = api(people["assessor"]).get(f"/api/assessments/{v1.pk}/", {"reason": "Check"}).json()
    assert body["import_source"] == "assessments.csv, row 2"
    assert body["imported_at"] is not None
    assert body["outside_decision_by"] == "DI Synthetic Example"
    assert body["outside_decision_on"] == (TODAY - dt.timedelta(days=280)).isoformat()
