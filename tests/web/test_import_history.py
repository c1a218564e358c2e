"""``socmaster import-history DIR``: the files present, in the formats' order, each through its
importer; a summary per file; it stops at the first file with problems."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command

from socmaster.core.importing import IMPORTERS, ImportResult, RowError
from socmaster.threats.choices import ImportKind
from socmaster.web.history import HISTORY_FILES

pytestmark = pytest.mark.django_db

ORDER = [
    "masterlist.csv",
    "members.csv",
    "assessments.csv",
    "disruptions.csv",
    "plans.csv",
    "plan-actions.csv",
    "plan-reviews.csv",
]


def run(directory, *args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import-history", str(directory), *args, stdout=out, stderr=err)
    except CommandError as exc:
        return str(exc), out.getvalue(), err.getvalue()
    return None, out.getvalue(), err.getvalue()


@pytest.fixture
def fakes(monkeypatch):
    """Stand-in importers for every file, recording how they were called; ``fail`` names files
    whose import finds problems, ``reject`` files whose import skips a bad row."""
    calls, fail, reject = [], set(), set()

    def importer(name):
        def run_import(data, *, user=None, skip_bad=False, source="", progress=None, job=None):
            calls.append((name, data, user, skip_bad, source))
            result = ImportResult(created=2)
            if name in fail:
                result.errors.append(RowError(3, "Status", "'Pending' is not one of Draft, …"))
                result.rejected.append({"Error": "Status: …"})
                return result
            if name in reject:
                result.errors.append(RowError(4, "Role", "unknown role"))
                result.rejected.append({"Threat reference": "T-1", "Error": "Role: unknown role"})
            if progress:
                progress(2, 2)
            result.written = True
            return result

        return run_import

    for name, kind in HISTORY_FILES:
        if kind == ImportKind.MASTERLIST:
            monkeypatch.setattr("socmaster.threats.importer.import_masterlist", importer(name))
        else:
            monkeypatch.setitem(
                IMPORTERS,
                kind,
                {"label": name, "run": importer(name), "columns": ["Threat reference"]},
            )
    return calls, fail, reject


def test_the_files_present_are_imported_in_the_formats_order(tmp_path, fakes):
    calls, _, _ = fakes
    assert [name for name, _ in HISTORY_FILES] == ORDER
    for name in reversed(ORDER):
        if name != "assessments.csv":
            (tmp_path / name).write_text("x\n")
    (tmp_path / "notes.csv").write_text("x\n")  # not a history file: left alone
    problem, out, _ = run(tmp_path)
    assert problem is None
    present = [n for n in ORDER if n != "assessments.csv"]
    assert [c[0] for c in calls] == present
    for name, data, user, skip_bad, source in calls:
        assert data == tmp_path / name and user is None and skip_bad is False and source == name
    lines = out.splitlines()
    assert [line.split(":")[0] for line in lines[:-1]] == present
    assert lines[0].startswith("masterlist.csv: 2 created, 0 updated, 0 unchanged (")
    assert lines[-1] == "History imported: 6 file(s)."


def test_it_stops_at_the_first_file_with_problems(tmp_path, fakes):
    calls, fail, _ = fakes
    for name in ORDER:
        (tmp_path / name).write_text("x\n")
    fail.add("assessments.csv")
    problem, out, err = run(tmp_path)
    assert [c[0] for c in calls] == ORDER[:3]  # nothing after the failing file is tried
    assert "assessments.csv: row 3, Status: 'Pending' is not one of Draft, …" in err
    assert "assessments.csv: nothing imported, 1 problem(s) found" in out
    assert problem.startswith(
        "Stopped at assessments.csv: nothing from it was imported (1 problem(s)). Fix the file"
    )
    assert "Imported before it: masterlist.csv, members.csv." in problem
    assert "Not tried: disruptions.csv, plans.csv, plan-actions.csv, plan-reviews.csv." in problem
    assert not list(tmp_path.glob("*.rejects.csv"))


def test_skip_bad_writes_the_good_rows_and_the_rejects_beside_the_file(tmp_path, fakes):
    calls, _, reject = fakes
    for name in ORDER[:3]:
        (tmp_path / name).write_text("x\n")
    reject.add("members.csv")
    problem, out, err = run(tmp_path, "--skip-bad")
    assert problem is None and [c[3] for c in calls] == [True, True, True]
    rejects = tmp_path / "members.rejects.csv"
    assert (
        f"members.csv: 2 created, 0 updated, 0 unchanged, 1 rejected (written to {rejects})" in out
    )
    assert "members.csv: row 4, Role: unknown role" in err
    assert rejects.read_text().splitlines() == ["Threat reference,Error", "T-1,Role: unknown role"]
    assert "History imported: 3 file(s)." in out


def test_a_file_without_an_importer_stops_the_import(tmp_path, fakes, monkeypatch):
    calls, _, _ = fakes
    monkeypatch.delitem(IMPORTERS, ImportKind.PLANS)
    for name in ORDER:
        (tmp_path / name).write_text("x\n")
    problem, out, _ = run(tmp_path)
    assert [c[0] for c in calls] == ORDER[:4]
    assert "plans.csv: no importer is installed for 4P plans (plans)" in out
    assert problem.startswith(
        "Stopped at plans.csv: no importer is installed for 4P plans (plans). Install its importer"
    )


def test_a_missing_or_empty_directory_is_refused(tmp_path):
    problem, _, _ = run(tmp_path / "nowhere")
    assert problem == f"No such directory: {tmp_path / 'nowhere'}"
    (tmp_path / "notes.csv").write_text("x\n")
    problem, _, _ = run(tmp_path)
    assert problem.startswith(f"No history files in {tmp_path}: expected any of masterlist.csv,")


MASTERLIST = (
    "Reference,Name,Threat type,Owner,Type,Moderation status,SOC,Tier,Phase,Crime types,LRO,"
    "Assessment date,Score\n"
    "HIST-1,Harbour network,OCG,Durham Police,Tactical,Moderated,SOC,Tier 2,Identified,drugs,,"
    "2026-01-05,120\n"
)
DISRUPTION_HEADER = (
    "Reference,Threat reference,Recording organisation,Team,Disruption type,4P,"
    "Assessment category,Event date,Record date,Tactic,Moderation status\n"
)


def test_the_real_importers_one_after_another(tmp_path):
    """The master list and disruption importers (the others come with their apps): a bad
    disruption row stops the import after the master list; fixed, the run goes on, the master
    list unchanged."""
    from socmaster.disruptions.models import Disruption
    from socmaster.threats.models import Threat

    day = (dt.date.today() - dt.timedelta(days=3)).isoformat()
    row = f"HIST-D-1,{{threat}},Durham Police,Op Lantern,Lead,Pursue,Major,{day},{day},arrest,Approved\n"
    (tmp_path / "masterlist.csv").write_text(MASTERLIST)
    (tmp_path / "disruptions.csv").write_text(DISRUPTION_HEADER + row.format(threat="HIST-9"))
    problem, out, err = run(tmp_path)
    assert out.startswith("masterlist.csv: 1 created, 0 updated, 0 unchanged (")
    assert "disruptions.csv: row 2, Threat reference: no threat HIST-9 on the master list" in err
    assert problem.startswith("Stopped at disruptions.csv: nothing from it was imported (")
    assert Threat.objects.get(reference="HIST-1").tier == 2 and not Disruption.objects.exists()

    (tmp_path / "disruptions.csv").write_text(DISRUPTION_HEADER + row.format(threat="HIST-1"))
    problem, out, err = run(tmp_path)
    assert problem is None, err
    assert "masterlist.csv: 0 created, 0 updated, 1 unchanged (" in out
    assert "disruptions.csv: 1 created, 0 updated, 0 unchanged (" in out
    disruption = Disruption.objects.get(reference="HIST-D-1")
    assert disruption.threat.reference == "HIST-1"
    assert disruption.import_source == "disruptions.csv, row 2"
    assert Threat.objects.get(reference="HIST-1").assessment_source == "masterlist.csv, row 2"
