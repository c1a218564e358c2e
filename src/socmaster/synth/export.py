"""Write a synthetic dataset out as the files of a whole history import (docs/import-history.md).

Pure Python: no Django. The files describe the records ``socmaster.web.synthetic.load_dataset``
writes for the same dataset, in the columns the history importers read (masterlist.csv,
members.csv, assessments.csv, disruptions.csv, plans.csv, plan-actions.csv, plan-reviews.csv),
so that ``socmaster import-history`` of them builds what the loader builds. Beside them go the
dataset's SARs in the SAR bulk format (``sars.csv``, for ``socmaster import-sars``) and their
ground truth (``sars-truth.csv``), from ``intelligence.py``. As the loader does,
4P plan dates are moved from the generator's fixed day to ``today``, and a plan started from a
template has the template's aim and objectives lines before its own. The caller passes what only
the database knows: the organisations (for their names) and the plan templates.

A CSV file cannot say it is synthetic without an extra first line the importers would refuse, so
the directory's ``README.txt`` says so (and every reference starts ``SYN-``).
"""

from __future__ import annotations

import csv
import datetime as dt
import shlex
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

from socmaster.morile import default_scheme

from .generator import Dataset, OrgSpec, SynthThreat
from .intelligence import (
    SAR_COLUMNS,
    TRUTH_COLUMNS,
    intelligence_for,
    write_sars_csv,
    write_truth_csv,
)

#: The master-list importer's columns (threats.importer.COLUMNS), the optional ones included.
MASTERLIST_COLUMNS = [
    "Reference",
    "Name",
    "Threat type",
    "Owner",
    "Type",
    "Moderation status",
    "SOC",
    "Tier",
    "Phase",
    "Crime types",
    "LRO",
    "Assessment date",
    "Score",
    "SRO",
    "Opened",
    "Operation names",
]
MEMBERS_COLUMNS = [
    "Threat reference",
    "Nominal reference",
    "Family name",
    "Given names",
    "Date of birth",
    "Gender",
    "Nationality",
    "Role",
    "From",
    "To",
    "Notes",
]
ASSESSMENTS_COLUMNS = [
    "Threat reference",
    "Version",
    "Scheme",
    "Answers",
    "Whole threat",
    "Partial justification",
    "Evidence from",
    "Evidence to",
    "Review due",
    "Summary",
    "Status",
    "Assessor",
    "Submitted on",
    "Moderator",
    "Moderated by",
    "Moderated on",
    "Return reason",
    "Tier",
]
DISRUPTIONS_COLUMNS = [
    "Reference",
    "Threat reference",
    "Recording organisation",
    "Team",
    "Disruption type",
    "4P",
    "Assessment category",
    "Event date",
    "Record date",
    "Tactic",
    "Moderation status",
    "Narrative",
    "Evidence",
    "Nominal references",
    "Recorded by",
    "Entered on",
    "Moderated by",
    "Moderated on",
    "Decision reason",
]
PLANS_COLUMNS = [
    "Threat reference",
    "Version",
    "Status",
    "Author",
    "Author role",
    "Aim",
    "Pursue objectives",
    "Prevent objectives",
    "Protect objectives",
    "Prepare objectives",
    "Intelligence gaps",
    "Safeguarding plans",
    "Investigation plans",
    "Review frequency days",
    "Partner sections",
    "Written on",
    "Updated on",
    "Superseded on",
]
PLAN_ACTIONS_COLUMNS = [
    "Action ID",
    "Threat reference",
    "Plan version",
    "4P",
    "Description",
    "Owner",
    "Owner organisation",
    "Start date",
    "Due date",
    "Status",
    "Result",
    "Completed on",
    "Created on",
    "Updated on",
    "Disruption references",
]
PLAN_REVIEWS_COLUMNS = [
    "Threat reference",
    "Plan version",
    "Reviewer",
    "Reviewer role",
    "Reviewed on",
    "Outcome",
    "Comments",
]

#: The files of a whole history, in the order ``socmaster import-history`` imports them.
FILES: dict[str, list[str]] = {
    "masterlist.csv": MASTERLIST_COLUMNS,
    "members.csv": MEMBERS_COLUMNS,
    "assessments.csv": ASSESSMENTS_COLUMNS,
    "disruptions.csv": DISRUPTIONS_COLUMNS,
    "plans.csv": PLANS_COLUMNS,
    "plan-actions.csv": PLAN_ACTIONS_COLUMNS,
    "plan-reviews.csv": PLAN_REVIEWS_COLUMNS,
}
#: Columns whose text may run over several lines (the others are one line each).
MULTILINE_COLUMNS = {
    "plans.csv": {
        "Aim",
        "Pursue objectives",
        "Prevent objectives",
        "Protect objectives",
        "Prepare objectives",
        "Intelligence gaps",
    },
}

# The labels the files use for the generator's values: the products' choice labels (the importers
# match a label or a value; tests/synth/test_export.py checks these against the apps' choices).
THREAT_TYPE_LABELS = {
    "ocg": "Organised crime group",
    "priority_individual": "SOC priority individual",
    "vulnerability": "SOC vulnerability",
}
CATEGORY_LABELS = {"tactical": "Tactical", "strategic": "Strategic"}
SOC_LABELS = {"soc": "SOC", "non_soc": "Non-SOC"}
STATUS_LABELS = {  # threat moderation and assessment status
    "draft": "Draft",
    "submitted": "Submitted",
    "moderated": "Moderated",
    "returned": "Returned",
}
GENDER_LABELS = {"female": "Female", "male": "Male", "other": "Other", "unknown": "Not known"}
MEMBER_ROLE_LABELS = {
    "principal": "Principal",
    "significant": "Significant",
    "peripheral": "Peripheral",
    "facilitator": "Facilitator",
    "enabler": "Professional enabler",
    "associate": "Associate",
}
DISRUPTION_TYPE_LABELS = {"lead": "Lead", "support": "Support"}
FOUR_P_LABELS = {
    "pursue": "Pursue",
    "prevent": "Prevent",
    "protect": "Protect",
    "prepare": "Prepare",
}
DISRUPTION_CATEGORY_LABELS = {"major": "Major", "moderate": "Moderate", "minor": "Minor"}
DISRUPTION_STATUS_LABELS = {
    "draft": "Draft",
    "submitted": "Submitted",
    "approved": "Approved",
    "returned": "Returned",
    "rejected": "Rejected",
}
AUTHOR_ROLE_LABELS = {"lro": "LRO", "sio": "SIO", "other": "Other"}
PARTNER_SECTION_LABELS = {
    "aim": "Aim",
    "objectives": "Objectives under each P",
    "intelligence_gaps": "Intelligence gaps",
    "linked_plans": "Linked safeguarding and investigation plans",
    "other_actions": "Other organisations' actions",
    "reviews": "Quality-assurance reviews",
}
ACTION_STATUS_LABELS = {
    "not_started": "Not started",
    "in_progress": "In progress",
    "complete": "Complete",
    "cancelled": "Cancelled",
}
REVIEWER_ROLE_LABELS = {
    "sro": "Senior responsible officer (supervisor)",
    "chief_officer": "Chief officer",
}
REVIEW_OUTCOME_LABELS = {
    "good": "Good: no changes needed",
    "improve": "Requires improvement",
    "inadequate": "Inadequate: rewrite needed",
}
#: The objectives columns of a plan by P, and the plan-template fields they start from.
OBJECTIVE_COLUMNS = {
    "pursue": ("Pursue objectives", "pursue_objectives"),
    "prevent": ("Prevent objectives", "prevent_objectives"),
    "protect": ("Protect objectives", "protect_objectives"),
    "prepare": ("Prepare objectives", "prepare_objectives"),
}

# What the loader writes where the generator gives nothing (web/synthetic.py).
ASSESSMENT_SUMMARY = "Synthetic assessment."
PARTIAL_JUSTIFICATION = "Synthetic: assessed for one operation only."
RETURN_REASON = "Synthetic: cover all members."
ASSESSMENT_DELAY_DAYS = (
    14  # an assessment is submitted (and moderated) two weeks after its evidence
)
DISRUPTION_TEAM = "Synthetic team"
DISRUPTION_NARRATIVE = "Synthetic record."
DISRUPTION_EVIDENCE = "Synthetic evidence reference"

#: Plan templates by (organisation key, or None for the national one; threat type): their aim and
#: objectives fields (``aim``, ``pursue_objectives``, …).
Templates = Mapping[tuple[str | None, str], Mapping[str, str]]


def _date(value: dt.date | None) -> str:
    return value.isoformat() if value is not None else ""


def opened_on(threat: SynthThreat) -> dt.date | None:
    """The master list's opening date of ``threat``: its own, except for a closed threat
    assessed before it was opened, which is left without one. The master-list import dates a
    closed threat's closing by its assessment date (the file has no closing date) and refuses a
    closing before the opening; the generator's assessment dates do not follow its opening dates.
    """
    if "Closed" in threat.phase and threat.assessed_on < threat.opened_on:
        return None
    return threat.opened_on


def action_id(threat: str, n: int) -> str:
    """The source system's key of the ``n``-th action (from 1) of the plan for ``threat``."""
    return f"{threat}-A{n:02d}"


class _Writer:
    def __init__(
        self,
        dataset: Dataset,
        organisations: Iterable[OrgSpec],
        templates: Templates | None,
        today: dt.date,
    ):
        self.dataset = dataset
        self.org_names = {o.key: o.name for o in organisations}
        self.templates = templates or {}
        self.shift = today - dataset.today
        self.names = {
            u.username: f"{u.first_name} {u.last_name}".strip() or u.username for u in dataset.users
        }
        self.threats = {t.reference: t for t in dataset.threats}

    def org(self, key: str | None) -> str:
        return self.org_names[key] if key else ""

    def day(self, value: dt.date | None) -> str:
        """A 4P plan date moved from the generator's day to ``today``, as the loader moves it."""
        return _date(value + self.shift if value is not None else None)

    def template(self, threat: SynthThreat) -> Mapping[str, str]:
        """The owner's template for the threat type, else the national one (plans.services)."""
        return (
            self.templates.get((threat.owner_key, threat.threat_type))
            or self.templates.get((None, threat.threat_type))
            or {}
        )

    # -- one generator of rows per file --

    def masterlist(self) -> Iterator[list[str]]:
        for t in self.dataset.threats:
            yield [
                t.reference,
                t.name,
                THREAT_TYPE_LABELS[t.threat_type],
                self.org(t.owner_key),
                CATEGORY_LABELS[t.category],
                STATUS_LABELS[t.moderation_status],
                SOC_LABELS[t.soc],
                f"Tier {t.tier}",
                t.phase,
                "; ".join(t.crime_types),
                t.lro or "",
                _date(t.assessed_on),
                f"{t.score:.2f}",
                "",
                _date(opened_on(t)),
                "",
            ]

    def members(self) -> Iterator[list[str]]:
        # The generator lists each nominal's first threat first: the importer creates the
        # nominal with that threat's owner, as the loader gives it.
        nominals = {n.reference: n for n in self.dataset.nominals}
        for m in self.dataset.members:
            n = nominals[m.nominal]
            yield [
                m.threat,
                n.reference,
                n.family_name,
                n.given_names,
                _date(n.date_of_birth),
                GENDER_LABELS[n.gender],
                n.nationality,
                MEMBER_ROLE_LABELS[m.role],
                _date(m.from_date),
                _date(m.to_date),
                "",
            ]

    def assessments(self) -> Iterator[list[str]]:
        scheme = default_scheme()
        for a in self.dataset.assessments:
            decided = a.evidence_to + dt.timedelta(days=ASSESSMENT_DELAY_DAYS)
            yield [
                a.threat,
                "1",
                f"{scheme.name} {scheme.version}",
                "; ".join(f"{factor}={answer}" for factor, answer in a.answers.items()),
                "Yes" if a.whole_threat else "No",
                "" if a.whole_threat else PARTIAL_JUSTIFICATION,
                _date(a.evidence_from),
                _date(a.evidence_to),
                _date(a.review_due),
                ASSESSMENT_SUMMARY,
                STATUS_LABELS[a.status],
                a.assessor,
                _date(decided) if a.status != "draft" else "",
                a.moderator or "",
                "",  # the moderator is a user of the product, not a name from the source system
                _date(decided) if a.status == "moderated" else "",
                RETURN_REASON if a.status == "returned" else "",
                str(a.tier),
            ]

    def disruptions(self) -> Iterator[list[str]]:
        # Leads first, as the loader writes them (a support record names its lead's event).
        ordered = sorted(self.dataset.disruptions, key=lambda d: d.disruption_type != "lead")
        for d in ordered:
            yield [
                d.reference,
                d.threat,
                self.org(d.recording_org),
                DISRUPTION_TEAM,
                DISRUPTION_TYPE_LABELS[d.disruption_type],
                FOUR_P_LABELS[d.four_p],
                DISRUPTION_CATEGORY_LABELS[d.category],
                _date(d.event_date),
                _date(d.record_date),
                d.tactic,
                DISRUPTION_STATUS_LABELS[d.status],
                DISRUPTION_NARRATIVE,
                DISRUPTION_EVIDENCE,
                "",
                d.recorder,
                _date(d.record_date),  # the loader enters each record on its record date
                self.names.get(d.moderator, d.moderator) if d.moderator else "",
                _date(d.record_date) if d.moderator else "",
                "",
            ]

    def plans(self) -> Iterator[list[str]]:
        for p in self.dataset.plans:
            template = self.template(self.threats[p.threat]) if p.from_template else {}

            def text(own: str, field: str, template=template) -> str:
                start = template.get(field, "")
                return f"{start}\n{own}" if start else own

            yield [
                p.threat,
                "1",
                "Current",
                p.author,
                AUTHOR_ROLE_LABELS[p.author_role],
                text(p.aim, "aim"),
                *(
                    text(p.objectives.get(four_p, ""), f)
                    for four_p, (_, f) in OBJECTIVE_COLUMNS.items()
                ),
                p.intelligence_gaps,
                p.safeguarding_plans,
                p.investigation_plans,
                str(p.review_frequency_days),
                "; ".join(PARTNER_SECTION_LABELS[s] for s in p.partner_sections),
                self.day(p.created_on),
                self.day(p.updated_on),
                "",
            ]

    def plan_actions(self) -> Iterator[list[str]]:
        for p in self.dataset.plans:
            for n, a in enumerate(p.actions, start=1):
                yield [
                    action_id(p.threat, n),
                    p.threat,
                    "1",
                    FOUR_P_LABELS[a.four_p],
                    a.description,
                    a.owner_user or "",
                    self.org(a.owner_org),
                    self.day(a.start_date),
                    self.day(a.due_date),
                    ACTION_STATUS_LABELS[a.status],
                    a.result,
                    self.day(a.completed_on),
                    self.day(a.created_on),
                    self.day(a.updated_on),
                    "",
                ]

    def plan_reviews(self) -> Iterator[list[str]]:
        for p in self.dataset.plans:
            for r in p.reviews:
                yield [
                    p.threat,
                    "1",
                    r.reviewer,
                    REVIEWER_ROLE_LABELS[r.reviewer_role],
                    self.day(r.reviewed_on),
                    REVIEW_OUTCOME_LABELS[r.outcome],
                    r.comments,
                ]


def history_rows(
    dataset: Dataset,
    *,
    organisations: Iterable[OrgSpec],
    templates: Templates | None = None,
    today: dt.date | None = None,
) -> dict[str, Iterator[list[str]]]:
    """The rows of each file (without its header), by file name, in import order."""
    writer = _Writer(dataset, organisations, templates, today or dt.date.today())
    return {
        "masterlist.csv": writer.masterlist(),
        "members.csv": writer.members(),
        "assessments.csv": writer.assessments(),
        "disruptions.csv": writer.disruptions(),
        "plans.csv": writer.plans(),
        "plan-actions.csv": writer.plan_actions(),
        "plan-reviews.csv": writer.plan_reviews(),
    }


def write_history(
    dataset: Dataset,
    directory: str | Path,
    *,
    organisations: Iterable[OrgSpec],
    templates: Templates | None = None,
    today: dt.date | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, int]:
    """Write the seven history files, the SARs (:data:`SAR_FILES`) and ``README.txt`` into
    ``directory`` (made if missing).

    ``organisations`` name the organisations the dataset was generated for; ``templates`` are
    the plan templates (see :data:`Templates`); ``today`` is the day the plan dates are moved to
    (the day the files are to be imported; default the machine's date; the SARs are dated to
    end on it too). ``progress(file, rows written, rows in the file)`` is told after each file.
    Returns the rows written per file."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    organisations = list(organisations)
    today = today or dt.date.today()
    totals = expected_rows(dataset)
    counts: dict[str, int] = {}
    for name, rows in history_rows(
        dataset, organisations=organisations, templates=templates, today=today
    ).items():
        with open(directory / name, "w", encoding="utf-8", newline="") as handle:
            out = csv.writer(handle)
            out.writerow(FILES[name])
            n = 0
            for row in rows:
                out.writerow(row)
                n += 1
        counts[name] = n
        if progress:
            progress(name, n, totals[name])
    for name, n in write_sars(dataset, directory, organisations=organisations, today=today).items():
        counts[name] = n
        if progress:
            progress(name, n, n)
    names = {o.key: o.name for o in organisations}
    (directory / "README.txt").write_text(readme(dataset, counts, today, names), encoding="utf-8")
    return counts


#: Written beside the history files: the dataset's year of SARs in the SAR bulk format
#: (``socmaster import-sars``), and their ground truth (which nominal each subject really is).
SAR_FILES = {"sars.csv": SAR_COLUMNS, "sars-truth.csv": TRUTH_COLUMNS}


def write_sars(
    dataset: Dataset, directory: str | Path, *, organisations: Iterable[OrgSpec], today: dt.date
) -> dict[str, int]:
    """Write ``sars.csv`` and ``sars-truth.csv`` for ``dataset`` in ``directory``, the SARs
    dated as the loader dates them (moved from the generator's day to ``today``). Streams: the
    SARs are drawn twice (the same ones) rather than held."""
    directory = Path(directory)
    intel = intelligence_for(dataset, organisations, reports=False)
    shift = today - dataset.today
    return {
        "sars.csv": write_sars_csv(intel.sars(), directory / "sars.csv", shift=shift),
        "sars-truth.csv": write_truth_csv(intel.sars(), directory / "sars-truth.csv"),
    }


def expected_rows(dataset: Dataset) -> dict[str, int]:
    """How many rows each file of ``dataset`` has."""
    return {
        "masterlist.csv": len(dataset.threats),
        "members.csv": len(dataset.members),
        "assessments.csv": len(dataset.assessments),
        "disruptions.csv": len(dataset.disruptions),
        "plans.csv": len(dataset.plans),
        "plan-actions.csv": sum(len(p.actions) for p in dataset.plans),
        "plan-reviews.csv": sum(len(p.reviews) for p in dataset.plans),
    }


def readme(
    dataset: Dataset, counts: Mapping[str, int], today: dt.date, org_names: Mapping[str, str]
) -> str:
    """What the directory holds: synthetic data, how to import it, and the users it needs."""
    users = sorted(dataset.users, key=lambda u: u.username)
    lines = [
        "SYNTHETIC DATA: every person, group, place and event in these files is invented.",
        "",
        f"A synthetic socmaster history (scale {dataset.scale}, seed {dataset.seed}), written by",
        "`socmaster generate --export` in the columns of the history imports",
        "(docs/import-history.md). Every reference starts SYN-. The files cannot say they are",
        "synthetic themselves (a CSV file has no room for a note the importers would not read",
        "as data), so this file says it for them: do not mix them with real records.",
        "",
        f"The 4P plan dates are moved to {today.isoformat()}, as the demo loader moves them,",
        "so that the plans' overdue actions and reviews are as the generator planted them:",
        "import the files within a week of that day.",
        "",
        "Files, in the order `socmaster import-history DIR` imports them:",
        *(f"  {name:<18} {counts.get(name, 0):>8,} rows" for name in FILES),
        "",
        "Beside them, the dataset's year of suspicious activity reports, in the SAR bulk format",
        "(one row per SAR subject), for `socmaster import-sars sars.csv` after the history:",
        f"  {'sars.csv':<18} {counts.get('sars.csv', 0):>8,} rows",
        "and their ground truth, which master-list nominal each matching SAR subject really is",
        "and the noise it is written with (not to be imported):",
        f"  {'sars-truth.csv':<18} {counts.get('sars-truth.csv', 0):>8,} rows",
        "",
        f"The files name {len(users)} users by user name. They must exist before the import",
        "(docs/import-history.md): with the password they are to share in",
        "SOCMASTER_NEW_PASSWORD, these commands create them:",
        *(
            "  socmaster createuser "
            + " ".join(
                [
                    shlex.quote(u.username),
                    "--organisation",
                    shlex.quote(org_names.get(u.org_key, u.org_key)),
                    *(f"--role {shlex.quote(role)}" for role in u.roles),
                    "--first-name",
                    shlex.quote(u.first_name),
                    "--last-name",
                    shlex.quote(u.last_name),
                ]
            )
            for u in users
        ),
        "",
    ]
    return "\n".join(lines)
