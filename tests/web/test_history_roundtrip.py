"""A synthetic history written out in the import formats and imported with ``socmaster
import-history`` builds what the demo loader builds from the same dataset: the same exceptions
report, plan-quality report, disruption recording audit and disruption figures, threat by threat,
and the same records, field by field, as far as the files carry them.

Database A is the loader's (``web.synthetic.load_dataset``); database B starts empty (flushed,
reference data reloaded), has the dataset's users created as an operator would, and imports the
files. Only what must differ is left out of the comparison: :data:`MUST_DIFFER` says what and why.
"""

from __future__ import annotations

import datetime as dt
import importlib
import io
import re
from collections import defaultdict

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from socmaster.synth import export as ex
from socmaster.synth import generate

SEED = 2026
#: The demo region's dataset cut to its first 40 threats (of 120) and what belongs to them, with
#: 600 disruptions generated (about 200 of them against those threats), to keep the test to about
#: a minute: every imported record goes through its service, with its own audit entry.
THREATS = 40
DISRUPTIONS = 600
SINCE = dt.date(2015, 1, 1)  # before anything the generator dates

#: What the two databases may not share, and why. Each entry is applied where it is named.
MUST_DIFFER = {
    "import markings": "import_source, imported_at and source_key are set on imported records "
    "only (the loader enters them as if typed): they are not compared.",
    "stale_evidence source": "the exceptions report says where an imported score came from: the "
    "loader leaves a threat's assessment_source blank ('from an import'), the import names the "
    "file and row ('from masterlist.csv, row N').",
    "threat description, handling and sharing": "the master-list format has no columns for "
    "them: an imported threat takes the defaults. Not compared.",
    "assessment date of a threat with a moderated assessment": "the loader writes the evidence "
    "date; in the product a moderated assessment dates the threat's assessment by its moderation "
    "(assessments.services._sync_threat), and so does the assessments import. Not compared for "
    "those threats.",
    "threat closing date and reason": "the master list has no closing date: the import closes a "
    "threat in a closed phase on its assessment date. Compared as closed or not.",
    "opening date of a closed threat assessed before it opened": "left blank in the file "
    "(synth.export.opened_on), as the master-list import refuses a closing (the assessment date) "
    "before the opening. Not compared for those threats.",
    "nominal aliases, identifiers and handling": "members.csv has no columns for them; a new "
    "nominal takes its threat's handling. Not compared.",
    "disruption moderator": "the disruptions format names the source system's moderator (a "
    "name: 'approved outside the product') and no user: compared as the moderator's name and "
    "the date, whichever field holds them.",
    "lead of a support record whose threat has two leads on its event date": "the format has no "
    "lead column: the importer links a support to the first lead of its threat and event date. "
    "Those supports' lead, and the support_lead_not_approved rows of their threats, are not compared.",
    "import accounts": "the imports run from the command line record their writes under an "
    "import-<organisation> account, which the loader does not make. Users are compared for the "
    "dataset's users only.",
    "times of day and who last changed a record": "the files carry dates, not times, and no "
    "editor: dates are compared as Europe/London dates; created_by/updated_by are not compared.",
    "audit entries": "the loader writes one entry for the whole dataset, the imports one per "
    "record. Not compared.",
    "disruption recorder": "the disruptions format names who recorded a record in the source "
    "system (Recorded by, kept as that name); an imported record is written under the import "
    "account. Compared as the loader's recorder's user name and the name the file gave.",
    "intelligence exceptions": "the history files are the master list's (threats, members, "
    "assessments, disruptions, plans); the loader also loads synthetic intelligence reports and "
    "SARs, whose exceptions (waiting past their service level) have no history file. Rows of the "
    "exceptions report about records other than threats and LROs are not compared.",
    "partner_unseen": "whether a partner has opened its action is an event in this product (a "
    "view in the audit trail), not a fact a history file carries: the loader writes synthetic "
    "views, an import has none yet. The check is left out of the plan-quality comparison.",
}


def reload_reference_data() -> None:
    """The reference data the migrations load (as tests/conftest.py ``reference_data``), and the
    national plan templates, into a flushed database. Each loader is idempotent."""
    from django.apps import apps

    call_command("load-organisations", stdout=io.StringIO())
    for module, function in (
        ("socmaster.threats.migrations.0002_reference_data", "load"),
        ("socmaster.threats.migrations.0008_import_jobs_and_reference_aliases", "add_aliases"),
        ("socmaster.disruptions.migrations.0002_reference_data", "load"),
        ("socmaster.assessments.migrations.0002_default_scheme", "load"),
        ("socmaster.plans.migrations.0002_national_templates", "load"),
    ):
        getattr(importlib.import_module(module), function)(apps, None)


def _day(moment) -> dt.date | None:
    return timezone.localtime(moment).date() if moment is not None else None


def _name(user) -> str:
    return (user.get_full_name() or user.username) if user is not None else ""


def cut(dataset, n: int):
    """``dataset`` with its first ``n`` threats only, and what belongs to them: their
    memberships, assessments, disruptions and plans, and the nominals whose first threat they
    are (with those nominals' memberships of kept threats). The users are kept."""
    import dataclasses

    kept = {t.reference for t in dataset.threats[:n]}
    first: dict[str, str] = {}
    for m in dataset.members:
        first.setdefault(m.nominal, m.threat)
    nominals = [x for x in dataset.nominals if first.get(x.reference) in kept]
    names = {x.reference for x in nominals}
    return dataclasses.replace(
        dataset,
        threats=dataset.threats[:n],
        nominals=nominals,
        members=[m for m in dataset.members if m.threat in kept and m.nominal in names],
        assessments=[a for a in dataset.assessments if a.threat in kept],
        disruptions=[d for d in dataset.disruptions if d.threat in kept],
        plans=[p for p in dataset.plans if p.threat in kept],
        truth={},
    )


def relinked_supports(dataset) -> set[str]:
    """Supports whose lead the file cannot name: another lead of the same threat and event date
    comes first in the file (leads are written, and imported, in the dataset's order)."""
    first: dict[tuple[str, dt.date], str] = {}
    for d in dataset.disruptions:
        if d.disruption_type == "lead":
            first.setdefault((d.threat, d.event_date), d.reference)
    return {
        d.reference
        for d in dataset.disruptions
        if d.disruption_type == "support" and first[(d.threat, d.event_date)] != d.lead
    }


def reports(relinked_threats: set[str]) -> dict[str, dict]:
    """The reports, each keyed by threat reference (figures by their name)."""
    from socmaster.disruptions.models import Disruption
    from socmaster.disruptions.reports import (
        disruption_extract,
        disruption_report,
        recording_audit,
        recording_audit_rows,
    )
    from socmaster.plans import quality
    from socmaster.plans.models import Plan
    from socmaster.threats.exception_rows import rows as exception_rows
    from socmaster.threats.models import Threat

    today = timezone.localdate()
    exceptions = defaultdict(list)
    for row in exception_rows(Threat.objects.all()):
        if row["record_kind"] not in ("threat", "LRO"):
            continue  # MUST_DIFFER: intelligence exceptions
        if row["check"] == "support_lead_not_approved" and row["threat"] in relinked_threats:
            continue  # MUST_DIFFER: lead of a support record …
        if row["check"] == "stale_evidence":  # MUST_DIFFER: stale_evidence source
            row["detail"] = re.sub(r"; from .*\)$", "; from <source>)", row["detail"])
        where = row["threat"] if row["check"] != "lro_overloaded" else f"LRO {row['lro']}"
        exceptions[where].append(tuple(sorted(row.items())))
    plan_quality = {}
    for r in quality.report(Threat.objects.all(), Plan.objects.all()):
        r.failures = [f for f in r.failures if f.key != "partner_unseen"]  # MUST_DIFFER
        plan_quality[r.threat.reference] = r.as_row()
    audit = recording_audit(Disruption.objects.all(), SINCE, today)
    audit_rows = defaultdict(list)
    for row in recording_audit_rows(audit):
        audit_rows[row["threat"]].append(tuple(sorted(row.items())))
    figures = disruption_report(Disruption.objects.all(), SINCE, today)
    for name, value in figures.items():  # tallies carry database ids as keys: drop them
        if isinstance(value, list):
            figures[name] = [
                {k: v for k, v in item.items() if k != "key"} if isinstance(item, dict) else item
                for item in value
            ]
    return {
        "exceptions report": {k: sorted(v) for k, v in exceptions.items()},
        "plan-quality report": plan_quality,
        "recording audit failures": {k: sorted(v) for k, v in audit_rows.items()},
        "recording audit totals": {
            k: audit[k] for k in ("total", "met", "failed", "by_rule", "by_rule_named")
        },
        "disruption figures": figures,
        "disruption extract": {
            r["organisation"]: r for r in disruption_extract(Disruption.objects.all(), SINCE, today)
        },
    }


def records(dataset, unopened: set[str], relinked: set[str]) -> dict[str, dict]:
    """The records, as far as the files carry them, keyed as the files key them. ``unopened``
    are the threats the file gives no opening date, ``relinked`` the supports whose lead it
    cannot name (see :data:`MUST_DIFFER`)."""
    from socmaster.assessments.models import Assessment
    from socmaster.disruptions.models import Disruption
    from socmaster.organisations.models import User
    from socmaster.plans.models import Plan, PlanAction, PlanReview
    from socmaster.threats.models import Nominal, Threat, ThreatMember

    usernames = {u.username for u in dataset.users}
    moderated = {a.threat for a in dataset.assessments if a.status == "moderated"}
    users = {
        u.username: (
            u.first_name,
            u.last_name,
            u.home_organisation.key,
            sorted((m.organisation.key, m.role) for m in u.memberships.all()),
        )
        for u in User.objects.filter(username__in=usernames)
        .select_related("home_organisation")
        .prefetch_related("memberships__organisation")
    }
    threats = {
        t.reference: (
            t.name,
            t.threat_type,
            t.owner.key,
            t.category,
            t.moderation_status,
            t.soc,
            t.tier,
            f"{float(t.score):.2f}" if t.score is not None else None,
            t.phase.name if t.phase_id else None,
            sorted(c.code for c in t.crime_types.all()),
            t.lro.username if t.lro_id else None,
            t.sro.username if t.sro_id else None,
            None if t.reference in moderated else t.assessed_on,  # MUST_DIFFER: assessment date
            None if t.reference in unopened else t.opened_on,  # MUST_DIFFER: opening date …
            t.closed_on is not None,  # MUST_DIFFER: threat closing date and reason
            t.operation_names,
        )
        for t in Threat.objects.select_related("owner", "phase", "lro", "sro").prefetch_related(
            "crime_types"
        )
    }
    nominals = {
        n.reference: (
            n.family_name,
            n.given_names,
            n.date_of_birth,
            n.gender,
            n.nationality,
            n.owner.key,
        )
        for n in Nominal.objects.select_related("owner")
    }
    members = {
        (m.threat.reference, m.nominal.reference): (m.role, m.from_date, m.to_date, m.notes)
        for m in ThreatMember.objects.select_related("threat", "nominal")
    }
    assessments = {
        (a.threat.reference, a.version_number): (
            f"{a.scheme.name} {a.scheme.version}",
            a.answers,
            a.result,
            f"{float(a.score):.2f}",
            a.tier,
            a.whole_threat,
            a.partial_justification,
            a.evidence_from,
            a.evidence_to,
            a.review_due,
            a.summary,
            a.status,
            a.assessor.username,
            _day(a.submitted_at),
            a.moderator.username if a.moderator_id else None,
            _day(a.moderated_at) or getattr(a, "outside_decision_on", None),
            getattr(a, "outside_decision_by", ""),
            a.return_reason,
        )
        for a in Assessment.objects.select_related("threat", "scheme", "assessor", "moderator")
    }
    disruptions = {
        d.reference: (
            d.threat.reference,
            d.recording_organisation.key,
            d.team,
            d.disruption_type,
            None if d.reference in relinked else (d.lead.reference if d.lead_id else None),
            d.four_p,
            d.category,
            d.event_date,
            d.record_date,
            d.tactic.code if d.tactic_id else None,
            d.status,
            d.narrative,
            d.evidence,
            sorted(n.reference for n in d.nominals.all()),
            # MUST_DIFFER: disruption recorder (a user in A, the source's name for them in B)
            d.recorder_name if d.import_source else d.recorder.username,
            _day(d.created_at),
            # MUST_DIFFER: disruption moderator (a user in A, a name from the source in B)
            _name(d.moderator) or getattr(d, "outside_decision_by", ""),
            _day(d.moderated_at) or getattr(d, "outside_decision_on", None),
            d.decision_reason,
            d.standard.version,
        )
        for d in Disruption.objects.select_related(
            "threat",
            "recording_organisation",
            "lead",
            "tactic",
            "recorder",
            "moderator",
            "standard",
        ).prefetch_related("nominals")
    }
    plans = {
        (p.threat.reference, p.version): (
            p.status,
            p.author.username,
            p.author_role,
            p.aim,
            p.pursue_objectives,
            p.prevent_objectives,
            p.protect_objectives,
            p.prepare_objectives,
            p.intelligence_gaps,
            p.safeguarding_plans,
            p.investigation_plans,
            p.review_frequency_days,
            sorted(p.partner_sections),
            _day(p.created_at),
            _day(p.updated_at),
            _day(p.superseded_at),
        )
        for p in Plan.objects.select_related("threat", "author")
    }
    actions = defaultdict(list)
    for a in PlanAction.objects.select_related(
        "plan__threat", "owner_user", "owner_organisation"
    ).prefetch_related("disruptions"):
        actions[(a.plan.threat.reference, a.plan.version)].append(
            (
                a.four_p,
                a.description,
                a.owner_user.username if a.owner_user_id else "",
                a.owner_organisation.key if a.owner_organisation_id else "",
                a.start_date,
                a.due_date,
                a.status,
                a.result,
                a.completed_on,
                _day(a.created_at),
                _day(a.updated_at),
                sorted(d.reference for d in a.disruptions.all()),
            )
        )
    reviews = defaultdict(list)
    for r in PlanReview.objects.select_related("plan__threat", "reviewer"):
        reviews[(r.plan.threat.reference, r.plan.version)].append(
            (r.reviewer.username, r.reviewer_role, r.reviewed_on, r.outcome, r.comments)
        )
    return {
        "users": users,
        "threats": threats,
        "nominals": nominals,
        "memberships": members,
        "assessments": assessments,
        "disruptions": disruptions,
        "plans": plans,
        "plan actions": {k: sorted(v, key=repr) for k, v in actions.items()},
        "plan reviews": {k: sorted(v, key=repr) for k, v in reviews.items()},
    }


def differences(loaded: dict[str, dict], imported: dict[str, dict]) -> list[str]:
    """What differs, section by section, with a few examples of each."""
    out = []
    for section, a in loaded.items():
        b = imported[section]
        missing = sorted(set(a) - set(b), key=str)
        extra = sorted(set(b) - set(a), key=str)
        changed = sorted((k for k in set(a) & set(b) if a[k] != b[k]), key=str)
        if missing:
            out.append(f"{section}: {len(missing)} only in the loaded data, e.g. {missing[:5]}")
        if extra:
            out.append(f"{section}: {len(extra)} only in the imported data, e.g. {extra[:5]}")
        if changed:
            out.append(f"{section}: {len(changed)} differ, e.g.")
            for k in changed[:3]:
                out.append(f"  {k}:\n    loaded   {a[k]!r}\n    imported {b[k]!r}")
    return out


def test_every_history_file_has_its_importer_reading_the_exported_columns():
    """Each file's importer is registered and reads exactly the columns the exporter writes
    (an exported column no importer reads would be lost on the way)."""
    from socmaster.core.importing import IMPORTERS
    from socmaster.threats.importer import COLUMNS
    from socmaster.web.history import HISTORY_FILES, importer_for

    assert importer_for("masterlist")[1] == COLUMNS == ex.FILES["masterlist.csv"]
    for name, kind in HISTORY_FILES[1:]:
        assert kind in IMPORTERS, f"no importer registered for {name}"
        assert sorted(IMPORTERS[kind]["columns"]) == sorted(ex.FILES[name]), name


@pytest.mark.django_db(transaction=True)
def test_an_imported_history_gives_the_reports_and_records_the_loader_gives(
    reference_data, tmp_path
):
    from socmaster.web.history import create_users, export_history
    from socmaster.web.synthetic import load_dataset, organisation_specs

    reload_reference_data()
    dataset = cut(generate("demo", SEED, organisation_specs(), disruptions=DISRUPTIONS), THREATS)
    unopened = {t.reference for t in dataset.threats if ex.opened_on(t) is None}
    relinked = relinked_supports(dataset)
    supports = {d.reference: d for d in dataset.disruptions}
    relinked_threats = {supports[r].threat for r in relinked}
    export_history(dataset, tmp_path)

    # A: the loader.
    load_dataset(dataset)
    loaded_reports = reports(relinked_threats)
    loaded_records = records(dataset, unopened, relinked)
    # The comparison means something: every report has rows.
    assert len(loaded_reports["exceptions report"]) > THREATS / 2
    assert len(loaded_reports["plan-quality report"]) > THREATS / 2
    assert loaded_reports["recording audit failures"]
    assert loaded_reports["disruption figures"]["total"] > 100
    assert len(loaded_records["plan actions"]) == len(dataset.plans) > THREATS / 2
    assert len(loaded_records["memberships"]) > 8 * THREATS

    # B: an empty database, the users, the files.
    call_command("flush", interactive=False, verbosity=0)
    reload_reference_data()
    assert create_users(dataset) == len(dataset.users)
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import-history", str(tmp_path), stdout=out, stderr=err)
    except CommandError as exc:
        problems = err.getvalue().splitlines()
        pytest.fail(
            f"{exc}\n{out.getvalue()}{len(problems)} problem(s), e.g.\n" + "\n".join(problems[:20])
        )
    assert out.getvalue().count(" created, ") == len(ex.FILES), out.getvalue()
    imported_reports = reports(relinked_threats)
    imported_records = records(dataset, unopened, relinked)

    found = differences(loaded_reports, imported_reports) + differences(
        loaded_records, imported_records
    )
    assert not found, "\n".join(found)
