"""The synthetic history written out as the history-import files: the formats' columns, a row for
every record, plan dates moved to the day of the import, clean cells, and a master list that the
master-list import takes as it is."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shlex
import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from socmaster.synth import OrgSpec, generate
from socmaster.synth import export as ex
from socmaster.synth.generator import TODAY

DATA = (
    Path(__file__).resolve().parents[2]
    / "src"
    / "socmaster"
    / "organisations"
    / "data"
    / "organisations.json"
)
SHIFT = dt.timedelta(days=31)
IMPORT_DAY = TODAY + SHIFT

#: The columns of each file as the history import formats fix them (shared formats document:
#: "History import formats"), the master list's being the master-list importer's.
FORMATS = {
    "masterlist.csv": "Reference, Name, Threat type, Owner, Type, Moderation status, SOC, Tier, "
    "Phase, Crime types, LRO, Assessment date, Score, SRO, Opened, Operation names",
    "members.csv": "Threat reference, Nominal reference, Family name, Given names, Date of birth, "
    "Gender, Nationality, Role, From, To, Notes",
    "assessments.csv": "Threat reference, Version, Scheme, Answers, Whole threat, Partial "
    "justification, Evidence from, Evidence to, Review due, Summary, Status, Assessor, Submitted "
    "on, Moderator, Moderated by, Moderated on, Return reason, Tier",
    "disruptions.csv": "Reference, Threat reference, Recording organisation, Team, Disruption "
    "type, 4P, Assessment category, Event date, Record date, Tactic, Moderation status, "
    "Narrative, Evidence, Nominal references, Recorded by, Entered on, Moderated by, Moderated "
    "on, Decision reason",
    "plans.csv": "Threat reference, Version, Status, Author, Author role, Aim, Pursue objectives, "
    "Prevent objectives, Protect objectives, Prepare objectives, Intelligence gaps, Safeguarding "
    "plans, Investigation plans, Review frequency days, Partner sections, Written on, Updated "
    "on, Superseded on",
    "plan-actions.csv": "Action ID, Threat reference, Plan version, 4P, Description, Owner, Owner "
    "organisation, Start date, Due date, Status, Result, Completed on, Created on, Updated on, "
    "Disruption references",
    "plan-reviews.csv": "Threat reference, Plan version, Reviewer, Reviewer role, Reviewed on, "
    "Outcome, Comments",
}


@pytest.fixture(scope="module")
def orgs():
    rows = json.loads(DATA.read_text())["organisations"]
    return [
        OrgSpec(
            o["key"], o["name"], o["type"], o["key"] if o["type"] == "region" else o.get("region")
        )
        for o in rows
    ]


@pytest.fixture(scope="module")
def dataset(orgs):
    return generate("demo", 7, orgs, disruptions=300)


#: The national templates' first lines, as plans/migrations/0002 loads them (enough to see them
#: put in front of a plan's own text).
TEMPLATES = {
    (None, "ocg"): {"aim": "Template aim for groups.", "pursue_objectives": "Template pursue."},
    (None, "vulnerability"): {"aim": "Template aim for places."},
}


@pytest.fixture(scope="module")
def written(dataset, orgs, tmp_path_factory):
    directory = tmp_path_factory.mktemp("history")
    seen = []
    counts = ex.write_history(
        dataset,
        directory,
        organisations=orgs,
        templates=TEMPLATES,
        today=IMPORT_DAY,
        progress=lambda name, done, total: seen.append((name, done, total)),
    )
    return directory, counts, seen


def read(directory: Path, name: str) -> tuple[list[str], list[dict]]:
    with open(directory / name, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return reader.fieldnames, list(reader)


def test_the_files_have_the_formats_columns_in_import_order():
    from socmaster.core.importing import IMPORTERS
    from socmaster.disruptions.importer import COLUMNS as DISRUPTION_COLUMNS
    from socmaster.threats.importer import COLUMNS as MASTERLIST_COLUMNS
    from socmaster.web.history import HISTORY_FILES

    assert {name: ", ".join(columns) for name, columns in ex.FILES.items()} == FORMATS
    assert list(ex.FILES) == [name for name, _ in HISTORY_FILES] == list(FORMATS)
    assert ex.MASTERLIST_COLUMNS == MASTERLIST_COLUMNS
    assert set(DISRUPTION_COLUMNS) <= set(ex.DISRUPTIONS_COLUMNS)
    # Every registered importer reads only columns the file has.
    for name, kind in HISTORY_FILES:
        if kind in IMPORTERS:
            assert set(IMPORTERS[kind]["columns"]) <= set(ex.FILES[name]), name


def test_the_labels_are_the_products_own(dataset):
    """Each value is written as its label in the product (the importers match labels)."""
    from socmaster.assessments.choices import AssessmentStatus
    from socmaster.core.importing import key
    from socmaster.disruptions import choices as disruption_choices
    from socmaster.plans import choices as plan_choices
    from socmaster.threats import choices as threat_choices
    from socmaster.threats.importer import CATEGORIES, SOC_VALUES, STATUSES, THREAT_TYPES

    for labels, choices in (
        (ex.THREAT_TYPE_LABELS, threat_choices.ThreatType),
        (ex.CATEGORY_LABELS, threat_choices.Category),
        (ex.SOC_LABELS, threat_choices.Soc),
        (ex.STATUS_LABELS, threat_choices.ModerationStatus),
        (ex.STATUS_LABELS, AssessmentStatus),
        (ex.GENDER_LABELS, threat_choices.Gender),
        (ex.MEMBER_ROLE_LABELS, threat_choices.MemberRole),
        (ex.DISRUPTION_TYPE_LABELS, disruption_choices.DisruptionType),
        (ex.FOUR_P_LABELS, disruption_choices.FourP),
        (ex.FOUR_P_LABELS, plan_choices.FourP),
        (ex.DISRUPTION_CATEGORY_LABELS, disruption_choices.Category),
        (ex.DISRUPTION_STATUS_LABELS, disruption_choices.DisruptionStatus),
        (ex.PARTNER_SECTION_LABELS, plan_choices.PartnerSection),
        (ex.ACTION_STATUS_LABELS, plan_choices.ActionStatus),
        (ex.REVIEWER_ROLE_LABELS, plan_choices.ReviewerRole),
        (ex.REVIEW_OUTCOME_LABELS, plan_choices.ReviewOutcome),
    ):
        assert labels == dict(choices.choices), choices.__name__
    # The formats name the author roles LRO, SIO and Other: the values, in capitals.
    assert {key(v) for v in ex.AUTHOR_ROLE_LABELS.values()} == set(plan_choices.AuthorRole.values)
    assert set(ex.AUTHOR_ROLE_LABELS) == set(plan_choices.AuthorRole.values)
    # The master-list importer knows every label written for it.
    assert all(key(label) in THREAT_TYPES for label in ex.THREAT_TYPE_LABELS.values())
    assert all(key(label) in CATEGORIES for label in ex.CATEGORY_LABELS.values())
    assert all(key(label) in SOC_VALUES for label in ex.SOC_LABELS.values())
    assert all(key(label) in STATUSES for label in ex.STATUS_LABELS.values())
    # Every value the generator uses has a label.
    assert {d.tactic for d in dataset.disruptions} <= {
        code for code, _, _ in disruption_choices.DEFAULT_TACTICS
    }
    assert {s for p in dataset.plans for s in p.partner_sections} <= set(ex.PARTNER_SECTION_LABELS)


def test_every_record_has_its_row(dataset, written):
    directory, counts, seen = written
    expected = {
        "masterlist.csv": len(dataset.threats),
        "members.csv": len(dataset.members),
        "assessments.csv": len(dataset.assessments),
        "disruptions.csv": len(dataset.disruptions),
        "plans.csv": len(dataset.plans),
        "plan-actions.csv": sum(len(p.actions) for p in dataset.plans),
        "plan-reviews.csv": sum(len(p.reviews) for p in dataset.plans),
    }
    assert min(expected.values()) > 50
    assert {k: v for k, v in counts.items() if k in ex.FILES} == expected
    assert expected == ex.expected_rows(dataset)
    assert list(counts) == [*ex.FILES, *ex.SAR_FILES]
    assert seen == [(name, n, n) for name, n in counts.items()]
    for name, n in expected.items():
        headers, rows = read(directory, name)
        assert headers == ex.FILES[name] and len(rows) == n, name
    assert sorted(p.name for p in directory.iterdir()) == sorted(
        [*ex.FILES, *ex.SAR_FILES, "README.txt"]
    )

    # Each file's key is unique (formats: the key of each kind of record).
    keys = {
        "masterlist.csv": ("Reference",),
        "members.csv": ("Threat reference", "Nominal reference"),
        "assessments.csv": ("Threat reference", "Version"),
        "disruptions.csv": ("Reference",),
        "plans.csv": ("Threat reference", "Version"),
        "plan-actions.csv": ("Action ID",),
        "plan-reviews.csv": ("Threat reference", "Plan version", "Reviewer", "Reviewed on"),
    }
    for name, columns in keys.items():
        rows = read(directory, name)[1]
        assert len({tuple(r[c] for c in columns) for r in rows}) == len(rows), name


def test_the_rows_say_what_the_loader_writes(dataset, orgs, written):
    directory = written[0]
    names = {o.key: o.name for o in orgs}
    users = {u.username: u for u in dataset.users}

    threat = dataset.threats[0]
    row = read(directory, "masterlist.csv")[1][0]
    assert row == {
        "Reference": threat.reference,
        "Name": threat.name,
        "Threat type": ex.THREAT_TYPE_LABELS[threat.threat_type],
        "Owner": names[threat.owner_key],
        "Type": threat.category.capitalize(),
        "Moderation status": threat.moderation_status.capitalize(),
        "SOC": ex.SOC_LABELS[threat.soc],
        "Tier": f"Tier {threat.tier}",
        "Phase": threat.phase,
        "Crime types": "; ".join(threat.crime_types),
        "LRO": threat.lro or "",
        "Assessment date": threat.assessed_on.isoformat(),
        "Score": f"{threat.score:.2f}",
        "SRO": "",
        "Opened": threat.opened_on.isoformat() if ex.opened_on(threat) else "",
        "Operation names": "",
    }

    # A nominal's first row is its first threat's, whose owner the loader gives it.
    members = read(directory, "members.csv")[1]
    first = {}
    for m in members:
        first.setdefault(m["Nominal reference"], m["Threat reference"])
    owners = {t.reference: t.owner_key for t in dataset.threats}
    assert all(owners[first[n.reference]] == n.owner_key for n in dataset.nominals)

    rows = {r["Threat reference"]: r for r in read(directory, "assessments.csv")[1]}
    for a in dataset.assessments:
        r = rows[a.threat]
        answers = dict(part.split("=") for part in r["Answers"].split("; "))
        assert answers == a.answers and r["Tier"] == str(a.tier)
        assert r["Assessor"] == a.assessor and r["Moderator"] == (a.moderator or "")
        assert r["Moderated on"] == (
            (a.evidence_to + dt.timedelta(days=14)).isoformat() if a.status == "moderated" else ""
        )
        assert (r["Whole threat"] == "Yes") == a.whole_threat
        assert bool(r["Partial justification"]) != a.whole_threat
    assert {r["Scheme"] for r in rows.values()} == {"socmaster-default 1"}

    rows = read(directory, "disruptions.csv")[1]
    types = [r["Disruption type"] for r in rows]
    assert types == sorted(types, key=lambda t: t != "Lead")  # leads first
    by_ref = {r["Reference"]: r for r in rows}
    for d in dataset.disruptions:
        r = by_ref[d.reference]
        assert r["Recording organisation"] == names[d.recording_org]
        assert r["Recorded by"] == d.recorder and r["Entered on"] == d.record_date.isoformat()
        if d.moderator:
            moderator = users[d.moderator]
            assert r["Moderated by"] == f"{moderator.first_name} {moderator.last_name}"
            assert r["Moderated on"] == d.record_date.isoformat()
        else:
            assert r["Moderated by"] == r["Moderated on"] == ""

    # A plan started from a template has the template's lines before its own.
    rows = {r["Threat reference"]: r for r in read(directory, "plans.csv")[1]}
    threats = {t.reference: t for t in dataset.threats}
    from_template = [p for p in dataset.plans if p.from_template]
    assert from_template and len(from_template) < len(dataset.plans)
    for p in dataset.plans:
        r, template = rows[p.threat], TEMPLATES.get((None, threats[p.threat].threat_type), {})
        if p.from_template and "aim" in template:
            assert r["Aim"] == f"{template['aim']}\n{p.aim}"
        else:
            assert r["Aim"] == p.aim
        if p.from_template and "pursue_objectives" in template:
            assert r["Pursue objectives"] == f"Template pursue.\n{p.objectives['pursue']}"
        else:
            assert r["Pursue objectives"] == p.objectives["pursue"]
        assert r["Prevent objectives"] == p.objectives["prevent"]
        assert (r["Author"], r["Author role"]) == (
            p.author,
            {"lro": "LRO", "sio": "SIO", "other": "Other"}[p.author_role],
        )

    actions = read(directory, "plan-actions.csv")[1]
    p = next(p for p in dataset.plans if any(a.owner_org for a in p.actions))
    mine = [r for r in actions if r["Threat reference"] == p.threat]
    assert [r["Action ID"] for r in mine] == [
        ex.action_id(p.threat, n) for n in range(1, len(p.actions) + 1)
    ]
    assert [r["Owner organisation"] for r in mine] == [
        names[a.owner_org] if a.owner_org else "" for a in p.actions
    ]

    readme = (directory / "README.txt").read_text()
    assert readme.startswith("SYNTHETIC DATA")
    assert f"The files name {len(dataset.users)} users" in readme
    commands = [line.strip() for line in readme.splitlines() if "socmaster createuser syn-" in line]
    assert len(commands) == len(dataset.users)
    user = next(u for u in dataset.users if " " in names[u.org_key])
    assert (
        f"socmaster createuser {user.username} --organisation '{names[user.org_key]}' "
        f"--role {user.roles[0]} --first-name {shlex.quote(user.first_name)} "
        f"--last-name {shlex.quote(user.last_name)}"
    ) in commands
    # Every record's own reference marks it synthetic.
    assert all(r["Reference"].startswith("SYN-T-") for r in read(directory, "masterlist.csv")[1])
    assert all(r["Reference"].startswith("SYN-D-") for r in read(directory, "disruptions.csv")[1])
    assert all(r["Nominal reference"].startswith("SYN-N-") for r in members)


def test_plan_dates_are_moved_to_the_import_day_and_no_others(dataset, written):
    directory = written[0]
    plans = {r["Threat reference"]: r for r in read(directory, "plans.csv")[1]}
    actions = read(directory, "plan-actions.csv")[1]
    reviews = read(directory, "plan-reviews.csv")[1]

    def day(value):
        return (value + SHIFT).isoformat() if value else ""

    i = 0
    for p in dataset.plans:
        assert plans[p.threat]["Written on"] == day(p.created_on)
        assert plans[p.threat]["Updated on"] == day(p.updated_on)
        for a in p.actions:
            r = actions[i]
            i += 1
            assert (r["Start date"], r["Due date"], r["Completed on"]) == (
                day(a.start_date),
                day(a.due_date),
                day(a.completed_on),
            )
            assert (r["Created on"], r["Updated on"]) == (day(a.created_on), day(a.updated_on))
    assert [r["Reviewed on"] for r in reviews] == [
        day(r.reviewed_on) for p in dataset.plans for r in p.reviews
    ]
    # Nothing written or reviewed after the import day; the loader moves no other dates.
    assert max(r["Reviewed on"] for r in reviews) <= IMPORT_DAY.isoformat()
    assert max(r["Updated on"] for r in plans.values()) < IMPORT_DAY.isoformat()
    disruptions = {r["Reference"]: r for r in read(directory, "disruptions.csv")[1]}
    d = dataset.disruptions[0]
    assert disruptions[d.reference]["Event date"] == d.event_date.isoformat()
    assessments = read(directory, "assessments.csv")[1]
    assert assessments[0]["Evidence to"] == dataset.assessments[0].evidence_to.isoformat()


def test_no_cell_holds_a_control_character(written):
    from socmaster.core.validators import control_character
    from socmaster.plans.models import Plan

    directory = written[0]
    multiline_seen = False
    for name in ex.FILES:
        multiline = ex.MULTILINE_COLUMNS.get(name, set())
        for row in read(directory, name)[1]:
            for column, value in row.items():
                assert control_character(value, multiline=column in multiline) is None, (
                    name,
                    column,
                    value,
                )
                multiline_seen |= "\n" in value
    assert multiline_seen  # objectives run over several lines
    # The columns that may hold line breaks are multi-line text in the product.
    for column in ex.MULTILINE_COLUMNS["plans.csv"]:
        field = Plan._meta.get_field(column.lower().replace(" ", "_"))
        assert field.get_internal_type() == "TextField", column
    raw = (directory / "plans.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf") and raw.decode("utf-8")


def test_a_closed_threat_assessed_before_it_opened_has_no_opening_date(dataset):
    closed = [t for t in dataset.threats if "Closed" in t.phase]
    early = [t for t in closed if t.assessed_on < t.opened_on]
    assert early and len(early) < len(closed)
    assert all(ex.opened_on(t) is None for t in early)
    others = [t for t in dataset.threats if t not in early]
    assert all(ex.opened_on(t) == t.opened_on for t in others)
    assert any(t.assessed_on < t.opened_on for t in others)  # open ones keep theirs


@pytest.mark.django_db
def test_the_master_list_imports_cleanly_into_an_empty_database(tmp_path):
    from socmaster.organisations.models import Organisation
    from socmaster.threats.importer import import_masterlist
    from socmaster.threats.models import Threat
    from socmaster.web.history import create_users, export_history
    from socmaster.web.synthetic import organisation_specs

    assert not Threat.objects.exists()
    dataset = generate("demo", 7, organisation_specs(), disruptions=0)
    assert create_users(dataset) == len(dataset.users)
    export_history(dataset, tmp_path)
    path = tmp_path / "masterlist.csv"
    result = import_masterlist(path, source="masterlist.csv")
    assert result.ok and result.written, [str(e) for e in result.errors[:10]]
    assert result.created == len(dataset.threats) == Threat.objects.count()

    stored = {
        t.reference: t
        for t in Threat.objects.select_related("owner", "phase", "lro").prefetch_related(
            "crime_types"
        )
    }
    for t in dataset.threats:
        s = stored[t.reference]
        assert (
            s.name,
            s.threat_type,
            s.owner.key,
            s.category,
            s.moderation_status,
            s.soc,
            s.tier,
            float(s.score),
            s.phase.name,
            sorted(c.code for c in s.crime_types.all()),
            s.lro.username if s.lro_id else None,
            s.assessed_on,
            s.opened_on,
        ) == (
            t.name,
            t.threat_type,
            t.owner_key,
            t.category,
            t.moderation_status,
            t.soc,
            t.tier,
            t.score,
            t.phase,
            t.crime_types,
            t.lro,
            t.assessed_on,
            ex.opened_on(t),
        ), t.reference
        assert (s.closed_on is not None) == ("Closed" in t.phase)
        assert s.assessment_source.startswith("masterlist.csv, row ")
    # Every organisation the files name is found by its name.
    for name in {r["Owner"] for r in read(tmp_path, "masterlist.csv")[1]}:
        assert Organisation.objects.resolve(name).name == name
    # The same file again changes nothing.
    again = import_masterlist(path, source="masterlist.csv")
    assert again.ok and again.unchanged == len(dataset.threats) and not again.created


@pytest.mark.django_db
def test_generate_export_writes_the_files_instead_of_loading_them(tmp_path, monkeypatch):
    """… and an operator creates the users with the README's commands, then imports."""
    from socmaster.organisations.models import User
    from socmaster.threats.models import Threat

    directory = tmp_path / "history"
    out, err = io.StringIO(), io.StringIO()
    args = ["generate", "--scale", "demo", "--seed", "3", "--disruptions", "40"]
    call_command(*args, "--export", str(directory), stdout=out, stderr=err)
    assert sorted(p.name for p in directory.iterdir()) == sorted(
        [*ex.FILES, *ex.SAR_FILES, "README.txt"]
    )
    assert "Synthetic demo history written to" in out.getvalue()
    assert "40 disruptions" in out.getvalue()
    assert "masterlist.csv: 120 rows" in err.getvalue()  # progress on stderr
    assert not Threat.objects.exists()  # written out, not loaded
    assert len(read(directory, "disruptions.csv")[1]) == 40
    # The plans are dated for an import today.
    plans = read(directory, "plans.csv")[1]
    from django.utils import timezone

    assert max(r["Updated on"] for r in plans) < timezone.localdate().isoformat()

    # The operator's part: the users (README.txt's commands), then the import.
    monkeypatch.setenv("SOCMASTER_NEW_PASSWORD", "Q7v!mPz#2kLr9wXs")
    commands = [
        shlex.split(line)[2:]
        for line in (directory / "README.txt").read_text().splitlines()
        if line.startswith("  socmaster createuser ")
    ]
    for command in commands:
        call_command("createuser", *command, stdout=io.StringIO())
    assert User.objects.filter(username__startswith="syn-").count() == len(commands) > 100
    only = tmp_path / "masterlist-only"
    only.mkdir()
    shutil.copy(directory / "masterlist.csv", only)
    call_command("import-history", str(only), stdout=out, stderr=err)
    assert Threat.objects.count() == 120

    with pytest.raises(CommandError, match="already holds masterlist.csv"):
        call_command(*args, "--export", str(directory), stdout=out, stderr=err)
    call_command(*args, "--export", str(directory), "--replace", stdout=out, stderr=err)
    (tmp_path / "file").write_text("x")
    with pytest.raises(CommandError, match="is not a directory"):
        call_command(*args, "--export", str(tmp_path / "file"), stdout=out, stderr=err)
