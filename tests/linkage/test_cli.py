"""``socmaster screen`` and ``socmaster linkage``: files in and matches out, every problem in a
file reported by row with nothing written, models trained from files, put into use only with a
reason, and SAR screening at the command line. All people synthetic."""

from __future__ import annotations

import csv
import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from socmaster.core.choices import AuditAction
from socmaster.core.models import AuditEntry
from socmaster.linkage.choices import ModelStatus
from socmaster.linkage.engine import Model
from socmaster.linkage.models import LinkageModel

from .conftest import DOB, match_for, sar

HEADER = ["first_name", "middle_name", "surname", "dob", "gender", "postcode", "phone"]


def write(path, id_column, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow([id_column, *HEADER])
        writer.writerows(rows)
    return path


@pytest.fixture
def files(tmp_path, model):
    nominals = write(
        tmp_path / "nominals.csv",
        "id",
        [
            ["N1", "John", "Paul", "Smith", "1980-05-01", "M", "DH1 3LE", "07700 900123"],
            ["N2", "Mohammed", "", "Ahmed", "1975-03-12", "M", "LS1 4AP", ""],
            *[
                [
                    f"F{i}",
                    f"Filler{i}",
                    "",
                    f"Person{i}",
                    f"19{60 + i % 30}-01-1{i % 9}",
                    "",
                    "",
                    "",
                ]
                for i in range(40)
            ],
        ],
    )
    subjects = write(
        tmp_path / "subjects.csv",
        "subject_id",
        [
            ["S1", "JON", "", "SMITH", "1980-05-01", "", "DH13LE", "+44 7700 900123"],
            ["S2", "Mohamed", "", "Ahhmed", "1975-03-12", "", "", ""],
            ["S3", "Zebedee", "", "Quartermaine", "2001-01-01", "", "", ""],
        ],
    )
    model_file = tmp_path / "model.json"
    model_file.write_text(model.to_json(), encoding="utf-8")
    return {"nominals": nominals, "subjects": subjects, "model": model_file, "dir": tmp_path}


def screen(*args) -> str:
    out = StringIO()
    call_command("screen", *args, stdout=out)
    return out.getvalue()


def test_screening_files_writes_each_linked_subjects_best_match(files):
    out = files["dir"] / "matches.csv"
    said = screen(
        "--subjects",
        str(files["subjects"]),
        "--against",
        str(files["nominals"]),
        "--model",
        str(files["model"]),
        "--out",
        str(out),
    )
    assert "2 of 3 subjects linked to 42 nominals" in said
    with open(out, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["subject_id", "nominal_id", "match_probability"]
    assert {(r["subject_id"], r["nominal_id"]) for r in rows} == {("S1", "N1"), ("S2", "N2")}
    assert all(float(r["match_probability"]) >= 0.95 for r in rows)


def test_every_problem_in_a_file_is_reported_by_row_and_nothing_is_written(files):
    bad = write(
        files["dir"] / "bad.csv",
        "subject_id",
        [
            ["S1", "Jon", "", "Smith", "01/05/1980", "", "", ""],
            ["S1", "Ann", "", "Jones", "", "", "", ""],
            ["", "Bob", "", "Brown", "", "", "", ""],
        ],
    )
    out = files["dir"] / "never.csv"
    with pytest.raises(CommandError) as caught:
        screen(
            "--subjects",
            str(bad),
            "--against",
            str(files["nominals"]),
            "--model",
            str(files["model"]),
            "--out",
            str(out),
        )
    message = str(caught.value)
    assert "row 2" in message and "YYYY-MM-DD" in message
    assert "row 3: subject_id 'S1' appears more than once" in message
    assert "row 4: subject_id is empty" in message
    assert not out.exists()


def test_missing_columns_a_missing_model_and_no_user_are_refused(files):
    nocols = files["dir"] / "nocols.csv"
    nocols.write_text("subject_id,name\nS1,Jon Smith\n", encoding="utf-8")
    out = str(files["dir"] / "m.csv")
    with pytest.raises(CommandError, match="missing column"):
        screen(
            "--subjects",
            str(nocols),
            "--against",
            str(files["nominals"]),
            "--model",
            str(files["model"]),
            "--out",
            out,
        )
    with pytest.raises(CommandError, match="no such file"):
        screen(
            "--subjects",
            str(files["subjects"]),
            "--against",
            str(files["nominals"]),
            "--model",
            str(files["dir"] / "absent.json"),
            "--out",
            out,
        )
    broken = files["dir"] / "broken.json"
    broken.write_text('{"format": "something else"}', encoding="utf-8")
    with pytest.raises(CommandError, match="--model"):
        screen(
            "--subjects",
            str(files["subjects"]),
            "--against",
            str(files["nominals"]),
            "--model",
            str(broken),
            "--out",
            out,
        )


@pytest.mark.django_db
def test_screening_against_the_master_list_needs_a_user_and_a_reason_and_is_audited(
    files, master_list, people
):
    out = files["dir"] / "db.csv"
    with pytest.raises(CommandError, match="--as"):
        screen("--subjects", str(files["subjects"]), "--out", str(out))
    said = screen(
        "--subjects",
        str(files["subjects"]),
        "--out",
        str(out),
        "--as",
        people["analyst"].username,
        "--reason",
        "Prison releases list, December.",
    )
    assert "1 of 3 subjects linked" in said
    with open(out, encoding="utf-8") as f:
        (row,) = list(csv.DictReader(f))
    assert row["nominal_id"] == master_list["smith"].reference  # a reference, not a key
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert entry.reason == "Prison releases list, December."


def test_training_from_files_writes_a_model_that_loads(tmp_path):
    from socmaster.synth import people as synth

    noms = synth.nominals(400, seed=3)
    subjects = synth.subjects(noms, 4000, seed=3)
    synth.write_people(noms, subjects, tmp_path)
    out = tmp_path / "trained.json"
    said = StringIO()
    call_command(
        "linkage",
        "train",
        "--nominals",
        str(tmp_path / "nominals.csv"),
        "--subjects",
        str(tmp_path / "subjects.csv"),
        "--out",
        str(out),
        stdout=said,
    )
    assert "Model trained" in said.getvalue()
    model = Model.from_json(out.read_text(encoding="utf-8"))
    assert model.trained_at and model.upper == 0.95
    with pytest.raises(CommandError, match="--nominals and --out"):
        call_command("linkage", "train", "--subjects", str(tmp_path / "subjects.csv"))


@pytest.mark.django_db
def test_a_model_is_put_into_use_only_with_a_reason_and_only_once(model):
    LinkageModel.objects.create(
        version=1, model=model.to_dict(), trained_at=dt.datetime.now(dt.UTC)
    )
    with pytest.raises(CommandError, match="Say why"):
        call_command("linkage", "use", "1")
    with pytest.raises(CommandError, match="Give the version"):
        call_command("linkage", "use", "--reason", "No version given.")
    out = StringIO()
    call_command("linkage", "use", "1", "--reason", "First model, compared by hand.", stdout=out)
    assert "v1 is in use" in out.getvalue()
    assert LinkageModel.objects.get().status == ModelStatus.IN_USE
    with pytest.raises(CommandError, match="in use, not waiting"):
        call_command("linkage", "use", "1", "--reason", "Again, refused.")
    listed = StringIO()
    call_command("linkage", "models", stdout=listed)
    assert listed.getvalue().startswith("v1\tIn use")


@pytest.mark.django_db
def test_screen_sars_at_the_command_line(master_list):
    record = sar(("Jon", "Smith", DOB))
    with pytest.raises(CommandError, match="--organisation"):
        call_command("linkage", "screen-sars")
    out = StringIO()
    call_command("linkage", "screen-sars", "--organisation", "force-durham", stdout=out)
    counts = json.loads(out.getvalue().split(": ", 1)[1])
    assert counts["linked"] == 1 and counts["subjects"] == 1
    assert match_for(record, master_list["smith"]).status == "linked"
    record.refresh_from_db()
    assert record.screening_status == "matches"
    again = StringIO()  # screened ones are skipped unless --all
    call_command("linkage", "screen-sars", "--organisation", "force-durham", stdout=again)
    assert json.loads(again.getvalue().split(": ", 1)[1])["subjects"] == 0


@pytest.mark.django_db
def test_duplicates_at_the_command_line(master_list):
    from .conftest import nominal

    nominal("Jon", "Smith", DOB, owner="force-west-yorkshire")
    out = StringIO()
    call_command("linkage", "duplicates", stdout=out)
    counts = json.loads(out.getvalue().split(": ", 1)[1])
    assert counts["linked"] + counts["review"] == 1
