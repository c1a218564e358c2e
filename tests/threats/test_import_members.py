"""Importing threat memberships with their dates: new nominals created by the nominal rules (owned
and handled as their threat), memberships by the membership rules, row-numbered errors, all or
nothing, --skip-bad, re-imports that change nothing, ended memberships updated, and undo."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from socmaster.core import audit
from socmaster.core.importing import IMPORTERS
from socmaster.core.models import AuditEntry
from socmaster.threats import services
from socmaster.threats.choices import ImportKind
from socmaster.threats.members_importer import COLUMNS, import_members
from socmaster.threats.models import ImportJob, ImportUndo, Nominal, Threat, ThreatMember

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()
EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "members.csv"


def day(days_ago: int) -> str:
    return (TODAY - dt.timedelta(days=days_ago)).isoformat()


@pytest.fixture
def importer(make_user):
    return make_user("force-durham", "analyst", username="importer")


@pytest.fixture(autouse=True)
def threats(org):
    durham = org("force-durham")
    return {
        "a": Threat.objects.create(
            reference="MEM-A", name="Harbour network", owner=durham, handling="region"
        ),
        "b": Threat.objects.create(
            reference="MEM-B", name="Quayside", owner=durham, handling="region"
        ),
        "hidden": Threat.objects.create(
            reference="MEM-H", name="Hidden", owner=org("force-kent"), handling="owner"
        ),
    }


@pytest.fixture(autouse=True)
def known(org):
    return Nominal.objects.create(
        reference="NOM-KNOWN",
        family_name="Existing",
        given_names="Synthetic",
        owner=org("force-durham"),
        handling="region",
    )


def row(**values) -> dict:
    base = {
        "Threat reference": "MEM-A",
        "Nominal reference": "NOM-NEW1",
        "Family name": "Example",
        "Given names": "Alex Synthetic",
        "Date of birth": "1990-04-01",
        "Gender": "Male",
        "Nationality": "British",
        "Role": "Principal",
        "From": day(700),
        "To": "",
        "Notes": "Synthetic member.",
    }
    base.update(values)
    return base


def good_rows() -> list[dict]:
    return [
        row(),
        row(
            **{
                "Nominal reference": "NOM-KNOWN",
                "Family name": "",
                "Given names": "",
                "Date of birth": "",
                "Gender": "",
                "Nationality": "",
                "Role": "professional ENABLER",
                "From": "01/02/2021",
                "To": day(400),
                "Notes": "",
            }
        ),
        row(**{"Threat reference": "MEM-B", "Role": "peripheral", "From": "", "Notes": ""}),
    ]


def make_csv(rows: list[dict], columns=COLUMNS) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _entries():
    return AuditEntry.objects.filter(record_type__in=("threats.threatmember", "threats.nominal"))


def _stored():
    members = sorted(
        tuple(sorted((k, str(v)) for k, v in m.items())) for m in ThreatMember.objects.values()
    )
    nominals = sorted(Nominal.objects.values_list("reference", flat=True))
    return members, nominals


def test_a_valid_file_creates_nominals_and_memberships_with_the_files_dates(threats, known):
    result = import_members(make_csv(good_rows()), source="members.csv")
    assert result.written and (result.created, result.updated, result.unchanged) == (3, 0, 0)
    new = Nominal.objects.get(reference="NOM-NEW1")
    assert (new.family_name, new.given_names, new.date_of_birth, new.gender, new.nationality) == (
        "Example",
        "Alex Synthetic",
        dt.date(1990, 4, 1),
        "male",
        "British",
    )
    # Owned and handled as its threat (the first row it appears on).
    assert (new.owner_id, new.handling) == (threats["a"].owner_id, threats["a"].handling)
    first = ThreatMember.objects.get(threat=threats["a"], nominal=new)
    assert (first.role, first.from_date, first.to_date, first.notes) == (
        "principal",
        TODAY - dt.timedelta(days=700),
        None,
        "Synthetic member.",
    )
    assert first.import_source == "members.csv, row 2" and first.source_key == "MEM-A/NOM-NEW1"
    assert first.imported_at is not None
    ended = ThreatMember.objects.get(nominal=known)
    assert (ended.role, ended.from_date, ended.to_date) == (
        "enabler",
        dt.date(2021, 2, 1),
        TODAY - dt.timedelta(days=400),
    )
    second = ThreatMember.objects.get(threat=threats["b"])
    assert second.nominal == new and second.from_date is None
    assert Nominal.objects.count() == 2  # the new nominal once, though on two rows
    known.refresh_from_db()
    assert known.family_name == "Existing"  # a nominal on record is not changed by the file
    creates = _entries().filter(action="create")
    assert (
        sorted(e.record_type for e in creates) == ["threats.nominal"] + ["threats.threatmember"] * 3
    )
    assert {
        e.changes["after"]["import_source"] for e in creates if e.record_type.endswith("member")
    } == {"members.csv, row 2", "members.csv, row 3", "members.csv, row 4"}
    job = ImportJob.objects.get()
    assert (job.kind, job.status, job.created) == ("members", "done", 3)


def test_reimporting_the_same_file_changes_nothing():
    text = make_csv(good_rows())
    assert import_members(text).created == 3
    stored, entries = _stored(), _entries().count()
    again = import_members(text)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert _stored() == stored and _entries().count() == entries


def test_a_membership_ended_in_the_source_system_is_updated_audited(threats):
    rows = good_rows()
    assert import_members(make_csv(rows), source="first.csv").created == 3
    rows[0]["To"] = day(30)
    rows[0]["Role"] = "Significant"
    result = import_members(make_csv(rows), source="second.csv")
    assert (result.created, result.updated, result.unchanged) == (0, 1, 2)
    member = ThreatMember.objects.get(threat=threats["a"], nominal__reference="NOM-NEW1")
    assert (member.to_date, member.role) == (TODAY - dt.timedelta(days=30), "significant")
    assert member.import_source == "second.csv, row 2"
    update = _entries().get(action="update")
    assert update.changes["to_date"] == {"before": None, "after": day(30)}
    assert update.changes["import_source"] == {
        "before": "first.csv, row 2",
        "after": "second.csv, row 2",
    }


def test_a_current_membership_given_a_new_role_is_updated_and_stays_current(threats):
    rows = good_rows()
    assert import_members(make_csv(rows), source="members.csv").created == 3
    rows[0]["Role"] = "Facilitator"
    result = import_members(make_csv(rows), source="members.csv")  # the same file and row
    assert (result.updated, result.unchanged) == (1, 2), result.errors
    member = ThreatMember.objects.get(threat=threats["a"], nominal__reference="NOM-NEW1")
    assert (member.role, member.to_date) == ("facilitator", None)
    update = _entries().get(action="update")
    assert update.changes["import_source"] == {
        "before": "members.csv, row 2",
        "after": "members.csv, row 2",
    }


def test_an_ended_membership_is_not_made_current_again():
    rows = good_rows()
    assert import_members(make_csv(rows)).created == 3
    stored = _stored()
    rows[1]["To"] = ""
    result = import_members(make_csv(rows))
    assert not result.written and _stored() == stored
    assert (result.errors[0].row, result.errors[0].field) == (3, "To")
    assert "does not make it current again" in result.errors[0].message


def test_a_membership_entered_in_the_product_is_left_as_it_is(threats, known, importer):
    services.add_member(
        importer,
        threats["a"],
        known,
        role="enabler",
        from_date=dt.date(2021, 2, 1),
        to_date=TODAY - dt.timedelta(days=400),
    )
    result = import_members(make_csv(good_rows()))
    assert result.written and (result.created, result.unchanged) == (2, 1)
    assert not ThreatMember.objects.get(nominal=known).is_imported
    rows = good_rows()
    rows[1]["Role"] = "Associate"  # the same period with another role: not changed by an import
    ThreatMember.objects.filter(import_source__gt="").delete()
    result = import_members(make_csv(rows))
    assert not result.written
    assert (result.errors[0].row, result.errors[0].field) == (3, "From")
    assert (
        "an import does not change a membership entered in the product" in result.errors[0].message
    )


def test_a_second_current_membership_is_refused_as_on_the_page(threats, known, importer):
    services.add_member(
        importer, threats["a"], known, role="associate", from_date=dt.date(2023, 1, 1)
    )
    rows = good_rows()
    rows[1]["To"] = ""
    result = import_members(make_csv(rows))
    assert not result.written and ThreatMember.objects.count() == 1
    assert (result.errors[0].row, result.errors[0].field) == (3, "Nominal reference")
    assert "is already a current member of MEM-A" in result.errors[0].message


@pytest.mark.parametrize(
    ("values", "column", "message"),
    [
        ({"Threat reference": "NOPE"}, "Threat reference", "no threat NOPE on the master list"),
        ({"Threat reference": ""}, "Threat reference", "is required"),
        ({"Nominal reference": ""}, "Nominal reference", "is required"),
        ({"Nominal reference": "bad ref!"}, "Nominal reference", "Use letters, digits"),
        ({"Role": ""}, "Role", "is required"),
        (
            {"Role": "Kingpin"},
            "Role",
            "'Kingpin' is not one of Principal, Significant, Peripheral, Facilitator, "
            "Professional enabler, Associate",
        ),
        ({"Gender": "Robot"}, "Gender", "'Robot' is not one of Female, Male, Other, Not known"),
        ({"Family name": ""}, "Family name", "is required for a new nominal"),
        ({"From": "sometime"}, "From", "is not a date"),
        ({"To": "31/02/2020"}, "To", "is not a date"),
        ({"Date of birth": "1990-13-01"}, "Date of birth", "is not a date"),
        ({"From": day(-2)}, "From", "cannot be in the future"),
        ({"To": day(-2)}, "To", "cannot be in the future"),
        ({"Date of birth": day(-2)}, "Date of birth", "cannot be in the future"),
        ({"To": day(800)}, "To", "the end date cannot be before the start date"),
        ({"Notes": "Bell\x07"}, "Notes", "control character U+0007"),
        ({"Notes": "two\nlines"}, "Notes", "control character U+000A"),
        ({"Family name": "Tab\tbed"}, "Family name", "control character U+0009"),
    ],
)
def test_each_problem_is_one_row_numbered_error_and_nothing_is_written(values, column, message):
    rows = good_rows()
    rows[2] = row(**{"Nominal reference": "NOM-NEW2", **values})  # row 4 of the file
    result = import_members(make_csv(rows))
    assert not result.written and ThreatMember.objects.count() == 0
    assert Nominal.objects.count() == 1
    assert not ImportJob.objects.exists()  # found while checking, before anything is written
    assert [(e.row, e.field) for e in result.errors] == [(4, column)], result.errors
    assert message in result.errors[0].message


def test_duplicate_keys_and_a_new_nominal_described_twice_are_refused():
    rows = good_rows()
    rows.append(dict(rows[0], Role="Associate"))
    result = import_members(make_csv(rows))
    assert not result.written and ThreatMember.objects.count() == 0
    assert (result.errors[0].row, result.errors[0].field) == (5, "Nominal reference")
    assert "NOM-NEW1 appears again for MEM-A (first on row 2)" in result.errors[0].message
    rows = good_rows()
    rows[2]["Date of birth"] = "1991-04-01"
    result = import_members(make_csv(rows))
    assert not result.written and Nominal.objects.count() == 1
    assert "the new nominal NOM-NEW1 is described differently on row 2" in result.errors[0].message


def test_a_missing_column_is_refused():
    result = import_members(make_csv(good_rows(), [c for c in COLUMNS if c != "Notes"]))
    assert not result.written and "missing column(s): Notes" in result.errors[0].message


def test_the_importing_user_must_be_allowed_to_change_the_threat(make_user, importer, threats, org):
    rows = good_rows()
    rows[2] = row(**{"Threat reference": "MEM-H"})
    result = import_members(make_csv(rows), user=importer)
    assert [(e.row, e.message) for e in result.errors] == [
        (4, "no threat MEM-H on the master list")  # as a missing one
    ]
    assert not ImportJob.objects.exists()  # found while checking
    neighbour = make_user("force-cleveland", "analyst", username="neighbour")
    result = import_members(make_csv(good_rows()), user=neighbour)
    assert not result.written and ThreatMember.objects.count() == 0
    assert not ImportJob.objects.exists()
    assert {e.message for e in result.errors} == {
        "you may not change the members of MEM-A",
        "you may not change the members of MEM-B",
    }
    inspector = make_user("force-durham", "inspector", username="inspector")
    assert not import_members(make_csv(good_rows()), user=inspector).written
    # An LRO from another force changes the threat but creates no nominals for its owner.
    Threat.objects.filter(pk=threats["a"].pk).update(lro=neighbour)
    result = import_members(make_csv(good_rows()[:1]), user=neighbour)
    assert [(e.field, e.message) for e in result.errors] == [
        ("Nominal reference", "you may not create nominals for Durham Constabulary")
    ]
    result = import_members(make_csv(good_rows()), user=importer)
    assert result.written and {e.user_id for e in _entries()} == {importer.pk}


def test_a_nominal_the_user_may_not_see_cannot_be_used(org, importer):
    Nominal.objects.create(
        reference="NOM-SECRET", family_name="Hidden", owner=org("force-kent"), handling="owner"
    )
    rows = good_rows()
    rows[2]["Nominal reference"] = "NOM-SECRET"
    result = import_members(make_csv(rows), user=importer)
    assert not result.written
    assert [(e.row, e.field) for e in result.errors] == [(4, "Nominal reference")]
    assert "The reference NOM-SECRET cannot be used" in result.errors[0].message
    assert not ImportJob.objects.exists()  # found while checking
    # At the command line the owner's import account may not see it either: the same answer.
    result = import_members(make_csv(rows))
    assert [(e.row, e.field) for e in result.errors] == [(4, "Nominal reference")]
    assert "The reference NOM-SECRET cannot be used" in result.errors[0].message
    assert not ThreatMember.objects.exists()


def test_a_new_nominal_of_a_threat_shared_by_name_is_shared_with_the_same(threats, org):
    threats["a"].handling = "named"
    threats["a"].save(update_fields=["handling"])
    threats["a"].shared_with.set([org("force-cleveland")])
    assert import_members(make_csv(good_rows()[:1])).written
    new = Nominal.objects.get(reference="NOM-NEW1")
    assert new.handling == "named"
    assert list(new.shared_with.values_list("key", flat=True)) == ["force-cleveland"]


def test_the_service_itself_applies_the_membership_rules(make_user, threats, known, org):
    from django.core.exceptions import ValidationError
    from django.http import Http404

    user = make_user("force-durham", "analyst", username="owner")

    def imp(threat=threats["a"], nominal=known, **values):
        values = {"role": "associate", "source": "s.csv, row 2", "source_key": "k"} | values
        return services.import_member(user, threat, nominal, **values)

    with pytest.raises(Http404):
        imp(threat=threats["hidden"])
    secret = Nominal.objects.create(
        reference="NOM-S", family_name="S", owner=org("force-kent"), handling="owner"
    )
    with pytest.raises(ValidationError, match="No such nominal"):
        imp(nominal=secret)
    with pytest.raises(ValidationError, match="cannot be in the future"):
        imp(from_date=TODAY + dt.timedelta(days=1))
    with pytest.raises(ValidationError, match="cannot be in the future"):
        imp(to_date=TODAY + dt.timedelta(days=1))
    with pytest.raises(ValidationError, match="cannot be before the start"):
        imp(from_date=TODAY - dt.timedelta(days=5), to_date=TODAY - dt.timedelta(days=9))
    with pytest.raises(ValidationError, match="control character"):
        imp(notes="bell\x07")
    assert not ThreatMember.objects.exists()
    assert imp(from_date=TODAY - dt.timedelta(days=5))[0] == "created"
    with pytest.raises(ValidationError, match="already a current member"):
        imp(source_key="other", from_date=TODAY - dt.timedelta(days=2))
    assert (
        imp(to_date=TODAY - dt.timedelta(days=1), from_date=TODAY - dt.timedelta(days=5))[0]
        == "updated"
    )
    with pytest.raises(ValidationError, match="cannot be before the start"):
        imp(from_date=TODAY - dt.timedelta(days=5), to_date=TODAY - dt.timedelta(days=9))


def test_skip_bad_writes_the_good_rows():
    rows = good_rows()
    rows[1]["Role"] = "Kingpin"
    result = import_members(make_csv(rows), skip_bad=True)
    assert result.written and result.created == 2 and len(result.rejected) == 1
    assert "Role" in result.rejected[0]["Error"]
    assert not ThreatMember.objects.filter(nominal__reference="NOM-KNOWN").exists()


def test_a_failure_mid_way_leaves_nothing(monkeypatch):
    rows = good_rows()
    assert import_members(make_csv(rows[1:2])).created == 1  # the known nominal, ended
    before = _stored()
    real, calls = services.import_member, {"n": 0}

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk on fire")
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "import_member", failing)
    rows[1]["To"] = day(100)  # updated in the second batch
    with pytest.raises(RuntimeError, match="disk on fire"):
        import_members(make_csv(rows), batch_size=1)  # rows 2 (new nominal) and 3 committed
    assert _stored() == before
    assert not Nominal.objects.filter(reference="NOM-NEW1").exists()
    failed = ImportJob.objects.order_by("-pk").first()
    assert failed.status == "failed" and not ImportUndo.objects.exists()
    deleted = AuditEntry.objects.filter(action="delete", record_type="threats.nominal").get()
    assert "did not finish" in deleted.reason
    assert audit.verify_chain().ok


def test_undoing_keeps_a_new_nominal_someone_linked_meanwhile(monkeypatch, threats, importer):
    real, calls = services.import_member, {"n": 0}

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk on fire")
        return real(*args, **kwargs)

    def someone_links_it(done, total):  # between batches, as another user may
        new = Nominal.objects.get(reference="NOM-NEW1")
        services.add_member(importer, threats["b"], new, role="associate")

    monkeypatch.setattr(services, "import_member", failing)
    with pytest.raises(RuntimeError, match="disk on fire"):
        import_members(make_csv(good_rows()), batch_size=1, progress=someone_links_it)
    new = Nominal.objects.get(reference="NOM-NEW1")  # kept: their membership needs it
    assert [m.is_imported for m in new.memberships.all()] == [False]
    assert not ThreatMember.objects.filter(import_source__gt="").exists()
    assert audit.verify_chain().ok


def test_the_command_line_imports_and_exits_non_zero_on_errors(tmp_path, capsys):
    rows = good_rows()
    rows[2]["Threat reference"] = "NOPE"
    path = tmp_path / "members.csv"
    path.write_text(make_csv(rows))
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import-members", str(path))
    assert "row 4, Threat reference: no threat NOPE on the master list" in capsys.readouterr().err
    assert not ThreatMember.objects.exists()
    call_command("import-members", str(path), "--skip-bad")
    assert "2 created, 0 updated, 0 unchanged, 1 rejected" in capsys.readouterr().out
    assert "NOPE" in (tmp_path / "members.rejects.csv").read_text()
    assert ThreatMember.objects.filter(import_source="members.csv, row 2").exists()
    assert _entries().filter(action="create").first().username == "import-force-durham"


def test_the_upload_page_runs_the_registered_importer_on_the_stored_file(tmp_path, importer):
    entry = IMPORTERS[ImportKind.MEMBERS]
    assert entry["columns"] == COLUMNS and entry["guide"] == "docs/import-members.md"
    assert (Path(__file__).resolve().parents[2] / entry["guide"]).is_file()
    path = tmp_path / "upload.csv"
    path.write_text(make_csv(good_rows()))
    job = services.start_import(
        importer, source_name="members.csv", stored_file=str(path), skip_bad=False, kind="members"
    )
    result = entry["run"](
        path, user=importer, skip_bad=False, source="members.csv", progress=None, job=job
    )
    assert result.written and result.created == 3
    job.refresh_from_db()
    assert (job.status, job.created) == ("done", 3) and ImportJob.objects.count() == 1


def test_the_pages_tag_imported_memberships(web, threats, known, importer):
    services.add_member(importer, threats["b"], known, role="associate")
    assert import_members(make_csv(good_rows()[:1]), source="members.csv").written
    client = web(importer)
    page = client.get(threats["a"].get_absolute_url()).content.decode()
    assert page.count("data-imported") == 1 and 'title="From members.csv, row 2">Imported' in page
    page = client.get(threats["b"].get_absolute_url()).content.decode()
    assert "data-imported" not in page  # entered in the product
    page = client.get(Nominal.objects.get(reference="NOM-NEW1").get_absolute_url()).content.decode()
    assert page.count("data-imported") == 1


def test_members_imported_after_an_imported_assessment_show_in_its_check(threats, make_user):
    from socmaster.assessments.checks import _no_longer_whole
    from socmaster.assessments.importer import COLUMNS as ASSESSMENT_COLUMNS
    from socmaster.assessments.importer import import_assessments
    from socmaster.assessments.services import current_scheme

    make_user("rocu-north-east", "rocta_assessor", username="assessor")
    scheme = current_scheme().engine_scheme()
    answers = "; ".join(f"{f.key}={f.answers[0].key}" for f in scheme.factors)
    assessment = {
        "Threat reference": "MEM-A",
        "Version": "1",
        "Answers": answers,
        "Evidence from": day(900),
        "Evidence to": day(800),
        "Review due": day(-30),
        "Status": "Moderated",
        "Assessor": "assessor",
        "Moderated by": "DI Synthetic",
        "Moderated on": day(790),
    }
    assert import_assessments(make_csv([assessment], ASSESSMENT_COLUMNS)).written
    qs = Threat.objects.filter(pk=threats["a"].pk)
    assert _no_longer_whole(qs) == []
    assert import_members(make_csv(good_rows()[:1])).written  # joined 700 days ago
    rows = _no_longer_whole(qs)
    assert [r["threat"].reference for r in rows] == ["MEM-A"] and "EXAMPLE" in rows[0]["detail"]


def test_the_example_file_imports(org):
    for reference in ("EX-OCG-001", "EX-OCG-002"):
        Threat.objects.create(reference=reference, name="Example", owner=org("force-durham"))
    result = import_members(EXAMPLE.read_bytes(), source=EXAMPLE.name)
    assert result.written, result.errors
    assert (
        result.created == ThreatMember.objects.filter(threat__reference__startswith="EX-").count()
    )
    assert "synthetic" in (EXAMPLE.parent.parent / "import-members.md").read_text().lower()


def test_the_api_shows_where_an_imported_membership_came_from(importer, api):
    assert import_members(make_csv(good_rows()), source="members.csv").written
    first = ThreatMember.objects.get(source_key="MEM-A/NOM-NEW1")
    body = api(importer).get(f"/api/memberships/{first.pk}/", {"reason": "Check"}).json()
    assert body["import_source"] == "members.csv, row 2"
    assert body["imported_at"] is not None
