"""Synthetic demo data: demo users for every role and a small invented master list.

Everything here is invented (Faker, seeded). Nothing describes a real person or group.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.db.models import Q
from faker import Faker

from socmaster.core.choices import Handling
from socmaster.organisations import services as org_services
from socmaster.organisations.choices import Role
from socmaster.organisations.models import Organisation, User
from socmaster.threats import services as threat_services
from socmaster.threats.choices import Category, ModerationStatus, Soc, ThreatType
from socmaster.threats.models import CrimeType, Phase, Threat

DEMO_PASSWORD = "socmaster-demo"

#: (username, role, organisation key) — one demo user for every role.
DEMO_USERS = [
    ("analyst", Role.ANALYST, "force-durham"),
    ("lro", Role.LRO, "force-durham"),
    ("sio", Role.SIO, "force-durham"),
    ("chief", Role.CHIEF_OFFICER, "force-durham"),
    ("admin", Role.ADMINISTRATOR, "force-durham"),
    ("researcher", Role.RESEARCHER, "force-durham"),
    ("assessor", Role.ROCTA_ASSESSOR, "rocu-north-east"),
    ("moderator", Role.MODERATOR, "rocu-north-east"),
    ("gateway", Role.GATEWAY_OFFICER, "rocu-north-east"),
    ("offender", Role.OFFENDER_MANAGER, "force-northumbria"),
    ("partner", Role.PARTNER_USER, "partner-durham-county-council"),
    ("inspector", Role.INSPECTOR, "hmicfrs"),
]

DEMO_THREATS = 40
#: The demo LRO's own threat, which the demo data fills so that every panel shows what it is for.
LRO_THREAT = "DEMO-0005"


def _org(key: str) -> Organisation:
    org = Organisation.objects.filter(key=key).first()
    if org is None:  # keys are stable, but fall back to a name match for partners
        org = Organisation.objects.resolve(key.split("-", 1)[-1].replace("-", " "))
    return org


@transaction.atomic
def load_demo(seed: int = 2026, scale="demo") -> dict:
    """Demo users (one per role) and a small master list; then the synthetic demo-scale dataset."""
    summary = _load_demo_threats(seed)
    from socmaster.synth import generate
    from socmaster.web.synthetic import load_dataset, organisation_specs, synthetic_data_present

    if not synthetic_data_present():
        load_dataset(generate(scale, seed, organisation_specs()))
    _demo_assessments(seed)
    _demo_plans(seed)
    _demo_story(seed)
    _demo_intelligence()
    _demo_linkage()
    summary["threats"] = Threat.objects.filter(
        Q(reference__startswith="DEMO-") | Q(reference__startswith="SYN-T-")
    ).count()
    return summary


def _demo_linkage() -> None:
    """A matching model trained on the demo's own master list and SAR subjects, put into use, and
    every SAR screened with it, so that the review queue, links and deconfliction show."""
    from django.core.exceptions import ValidationError

    from socmaster.intelligence.models import SuspiciousActivityReport
    from socmaster.linkage import services as linkage_services
    from socmaster.linkage.models import LinkageModel

    if LinkageModel.objects.exists():
        return
    try:
        row = linkage_services.train_model(None)
    except ValidationError:  # too small a master list to learn from
        return
    linkage_services.put_into_use(None, row.version, "Demo: the first model, trained on demo data.")
    durham = Organisation.objects.get(key="force-durham")
    researcher = User.objects.filter(username="researcher").first()
    if researcher is not None:  # Durham's run is the demo researcher's own, with its page
        run = linkage_services.start_sar_screening(researcher, durham)
        linkage_services.run_queued(run)
    linkage_services.screen_sars(
        SuspiciousActivityReport.objects.filter(compartment__isnull=True).exclude(owner=durham)
    )
    linkage_services.screen_duplicates(None)


def _demo_intelligence(claims: int = 3) -> None:
    """The demo researcher claims the riskiest few of Durham's waiting synthetic reports, so that
    their own work shows beside the unit's queue (through the service, audited)."""
    from socmaster.intelligence import services as intel_services
    from socmaster.intelligence.models import IntelligenceReport

    researcher = User.objects.filter(username="researcher").first()
    if researcher is None:
        return
    mine = IntelligenceReport.objects.filter(assigned_to=researcher)
    if mine.exists():
        return
    waiting = IntelligenceReport.objects.filter(
        reference__startswith="SYN-IR-",
        owner__key="force-durham",
        status="awaiting",
        assigned_to__isnull=True,
    ).order_by("-risk_base", "submitted_on", "pk")[:claims]
    for report in waiting:
        intel_services.claim(researcher, report)


def _demo_assessments(seed: int) -> None:
    """Moderated assessments (two versions each) for a few Durham threats, so score history shows.

    The re-assessment changes a few answers of the first and its summary says which, and how the
    score moved; the demo LRO's own threat (DEMO-0005) starts at the top of the scale and falls
    after its disruptions, as a newcomer would expect a disrupted group to."""
    from socmaster.assessments import services as assessment_services
    from socmaster.assessments.models import Assessment

    rng = random.Random(seed)
    assessor, moderator = (
        User.objects.get(username="assessor"),
        User.objects.get(username="moderator"),
    )
    scheme = assessment_services.current_scheme().engine_scheme()
    threats = Threat.objects.filter(
        reference__startswith="DEMO-",
        owner__key="force-durham",
        handling__in=["region", "national"],
    ).order_by("reference")[:6]
    today = dt.date.today()
    for threat in threats:
        if Assessment.objects.filter(threat=threat).exists():
            continue
        if threat.reference == LRO_THREAT:
            first = {f.key: max(f.answers, key=lambda a: a.value).key for f in scheme.factors}
            second = _lowered(scheme, first, count=4)
        else:
            first = {f.key: rng.choice(f.answers).key for f in scheme.factors}
            second = dict(first)
            for factor in rng.sample(list(scheme.factors), k=3):
                second[factor.key] = rng.choice(
                    [a for a in factor.answers if a.key != first[factor.key]] or factor.answers
                ).key
        summaries = [
            "Synthetic demo assessment. First assessment of the group, from the intelligence "
            "picture of the previous six months.",
            _change_summary(scheme, first, second, threat),
        ]
        for version, (months_ago, answers) in enumerate(((14, first), (2, second))):
            a = assessment_services.create_assessment(
                assessor,
                threat,
                answers=answers,
                evidence_from=today - dt.timedelta(days=30 * (months_ago + 6)),
                evidence_to=today - dt.timedelta(days=30 * months_ago),
                review_due=today + dt.timedelta(days=180 - 30 * months_ago * (version == 0)),
                summary=summaries[version],
            )
            assessment_services.submit_assessment(assessor, a)
            assessment_services.moderate_assessment(moderator, a)


def _lowered(scheme, answers: dict, *, count: int) -> dict:
    """``answers`` with the ``count`` factors whose lowest answer lowers the priority most."""
    from socmaster.morile import score

    base = score(scheme, answers).priority
    drops = []
    for factor in scheme.factors:
        if factor.key == "confidence":  # what fell is the threat, not what is known of it
            continue
        lowest = min(factor.answers, key=lambda a: a.value)
        trial = answers | {factor.key: lowest.key}
        drops.append((base - score(scheme, trial).priority, factor.key, lowest.key))
    changed = dict(answers)
    for _drop, key, answer in sorted(drops, reverse=True)[:count]:
        changed[key] = answer
    return changed


def _change_summary(scheme, before: dict, after: dict, threat) -> str:
    """Why the re-assessment's score differs from the first: the answers that changed."""
    from socmaster.morile import score

    old, new = score(scheme, before), score(scheme, after)
    direction = "fell" if new.priority < old.priority else "rose"
    changes = [
        f"{f.label}: {f.answer(before[f.key]).label} to {f.answer(after[f.key]).label}"
        for f in scheme.factors
        if before[f.key] != after[f.key]
    ]
    why = (
        " The principals were arrested and charged and the drugs line closed (see the "
        "disruptions), so the group's capability and reach are much reduced."
        if threat.reference == LRO_THREAT
        else ""
    )
    return (
        f"Synthetic demo re-assessment. The priority {direction} from {old.priority:.1f} "
        f"(Tier {old.tier}) to {new.priority:.1f} (Tier {new.tier}) because these answers "
        f"changed: {'; '.join(changes)}.{why}"
    )


def _demo_plans(seed: int) -> None:
    """4P plans for the demo LRO's threats: a good plan, a pursue-only plan written by the SIO, and
    plans with partner actions held by Durham County Council (the demo partner), so every quality
    check and the partner view can be tried. All text is invented."""
    from socmaster.plans import services as plan_services
    from socmaster.plans.models import Plan

    fake = Faker("en_GB")
    fake.seed_instance(seed + 5)
    rng = random.Random(seed + 5)
    lro, sio, chief = (User.objects.get(username=n) for n in ("lro", "sio", "chief"))
    partner = _org("partner-durham-county-council")
    today = dt.date.today()
    threats = [
        t
        for t in Threat.objects.filter(
            reference__startswith="DEMO-", lro=lro, closed_on__isnull=True
        )
        .select_related("owner")
        .order_by("reference")
        if not Plan.objects.filter(threat=t).exists()
    ]
    for n, threat in enumerate(threats[:8]):
        author = sio if n % 4 == 1 else lro
        place = fake.city()
        values = plan_services.initial_from_template(plan_services.template_for(threat))
        values["aim"] = (
            f"Synthetic demo plan. Dismantle {threat.name} in {place} "
            f"and protect the people it exploits. {fake.sentence(nb_words=14)}"
        )
        plan = plan_services.create_plan(
            author,
            threat,
            add_suggested_actions=False,
            **values,
            intelligence_gaps=f"Synthetic demo text. Who supplies the group in {place}; how cash leaves the area.",
            partner_sections=["aim", "objectives"] if n % 2 == 0 else [],
        )
        ps = ["pursue", "pursue"] if n % 4 == 1 else ["pursue", "prevent", "protect", "prepare"]
        for p in ps:
            start = today - dt.timedelta(days=rng.randint(20, 90))
            due = today + dt.timedelta(days=rng.randint(-10, 120))
            holder = partner if p in ("protect", "prevent") else None
            plan_services.add_action(
                author,
                plan,
                four_p=p,
                description=f"Synthetic demo action: {fake.sentence(nb_words=10)}",
                owner_user=None if holder else lro,
                owner_organisation=holder,
                start_date=start,
                due_date=due,
                status="in_progress" if rng.random() < 0.6 else "not_started",
            )
        if n % 3 != 2:
            plan_services.record_review(
                chief,
                plan,
                reviewed_on=today,
                outcome="good" if n % 4 != 1 else "improve",
                comments="Synthetic demo review. Actions are owned and dated.",
            )


def _demo_story(seed: int) -> None:
    """Fill the demo users' own threats so that every page a newcomer opens shows what it is for:
    members and links, disruptions at each stage of moderation (one returned to its recorder),
    plan actions for every demo role that can hold one (some overdue, one done with its result),
    a plan review coming due for the chief officer, and an assessment waiting in the moderator's
    queue and another returned to the assessor. Everything goes through the services."""
    from socmaster.threats.models import ThreatMember

    threat = Threat.objects.filter(reference=LRO_THREAT).first()
    if threat is None or ThreatMember.objects.filter(threat=threat).exists():
        return
    fake = Faker("en_GB")
    fake.seed_instance(seed + 7)
    users = {u.username: u for u in User.objects.filter(username__in=[n for n, *_ in DEMO_USERS])}
    members = _demo_members(fake, users["lro"], threat, family=threat.name.split()[0])
    for other in Threat.objects.filter(reference__startswith="DEMO-", lro=users["lro"]).exclude(
        pk=threat.pk
    ):
        _demo_members(fake, users["lro"], other, family=other.name.split()[0], count=2)
    _demo_links(fake, users["lro"], threat)
    disruptions = _demo_disruptions(users, threat, members)
    _demo_actions(users, threat, disruptions)
    _demo_queues(seed, users)


def _demo_members(fake, lro, threat, *, family: str, count: int = 4) -> list:
    from socmaster.threats.choices import MemberRole

    roles = [MemberRole.PRINCIPAL, MemberRole.SIGNIFICANT, MemberRole.FACILITATOR]
    roles += [MemberRole.PERIPHERAL] * count
    nominals = []
    for n in range(count):
        gender = "male" if n % 2 == 0 else "female"
        given = fake.first_name_male() if gender == "male" else fake.first_name_female()
        nominal = threat_services.create_nominal(
            lro,
            owner=threat.owner,
            family_name=family if n < 3 else fake.last_name(),
            given_names=given,
            date_of_birth=dt.date(1970 + 7 * n, 1 + n, 10 + n),
            gender=gender,
            nationality="British",
            handling=threat.handling,
            notes="Synthetic demo person (invented).",
            aliases=[(given[:3], family, "nickname")] if n == 0 else [],
        )
        threat_services.add_member(
            lro,
            threat,
            nominal,
            role=roles[n],
            from_date=threat.opened_on,
            notes="Synthetic demo membership.",
        )
        nominals.append(nominal)
    return nominals


def _demo_links(fake, lro, threat) -> None:
    place = fake.city()
    for kind, name, detail in [
        ("business", f"{place} Hand Car Wash", "Synthetic demo business used to mix cash."),
        ("place", f"Unit 4, {fake.street_name()}, {place}", "Synthetic demo storage unit."),
        ("vehicle", "Grey estate car (invented registration)", "Synthetic demo vehicle."),
        ("phone", "Deal line ending 0000 (invented)", "Synthetic demo drugs line."),
    ]:
        threat_services.add_link(lro, threat, kind=kind, name=name, detail=detail)


def _demo_disruptions(users: dict, threat, members: list) -> list:
    """Two approved, one waiting for the moderator and one returned to the analyst who recorded it."""
    from socmaster.disruptions import services as disruption_services
    from socmaster.disruptions.models import Tactic

    today = dt.date.today()
    durham = threat.owner
    moderator = users["moderator"]
    recorded = []
    for recorder, days_ago, four_p, tactic, category, outcome, narrative in [
        (
            "lro",
            75,
            "pursue",
            "arrest",
            "major",
            "approve",
            "Three principals arrested at the car wash; the deal line went quiet.",
        ),
        (
            "lro",
            45,
            "pursue",
            "seizure_drugs",
            "moderate",
            "approve",
            "Cannabis and cocaine seized from the storage unit.",
        ),
        (
            "lro",
            12,
            "protect",
            "victims_safeguarded",
            "moderate",
            "submit",
            "Two young people used to run drugs safeguarded with children's services.",
        ),
        (
            "analyst",
            20,
            "prevent",
            "education",
            "minor",
            "return",
            "Talks in two schools about county lines.",
        ),
    ]:
        user = users[recorder]
        disruption = disruption_services.record_disruption(
            user,
            threat,
            recording_organisation=durham,
            nominals=members[:2] if four_p == "pursue" else [],
            event_date=today - dt.timedelta(days=days_ago),
            record_date=today - dt.timedelta(days=days_ago - 3),
            team="Op Lantern (synthetic)",
            disruption_type="lead",
            four_p=four_p,
            category=category,
            tactic=Tactic.objects.get(code=tactic),
            narrative=f"Synthetic demo disruption. {narrative}",
            evidence="Synthetic demo references 1-3",
        )
        disruption_services.submit_disruption(user, disruption)
        if outcome == "approve":
            disruption_services.moderate_disruption(moderator, disruption, "approve")
        elif outcome == "return":
            disruption_services.moderate_disruption(
                moderator,
                disruption,
                "return",
                "Say which schools and how many pupils, and give the evidence references.",
            )
        recorded.append(disruption)
    return recorded


def _demo_actions(users: dict, threat, disruptions: list) -> None:
    """Actions on the LRO threat's plan for every demo role that can hold one."""
    from socmaster.plans import services as plan_services
    from socmaster.plans.models import Plan

    plan = Plan.objects.filter(threat=threat, status="current").first()
    if plan is None:
        return
    lro, today = users["lro"], dt.date.today()
    partner = _org("partner-durham-county-council")
    day = dt.timedelta(days=1)
    for four_p, holder, start, due, status, text, linked in [
        (
            "pursue",
            users["lro"],
            80,
            -5,
            "complete",
            "Arrest the principals at the car wash.",
            disruptions[:1],
        ),
        (
            "pursue",
            users["lro"],
            30,
            -3,
            "in_progress",
            "Restrain the family's cash and property.",
            [],
        ),
        (
            "pursue",
            users["sio"],
            20,
            40,
            "in_progress",
            "Build the conspiracy case file for charge.",
            [],
        ),
        ("protect", partner, 40, -7, "in_progress", "Licensing review of the car wash.", []),
        (
            "prevent",
            users["offender"],
            10,
            60,
            "not_started",
            "Seek serious crime prevention orders on release.",
            [],
        ),
        (
            "prepare",
            users["gateway"],
            5,
            25,
            "not_started",
            "Request a ROCU financial investigator.",
            [],
        ),
    ]:
        plan_services.add_action(
            lro,
            plan,
            disruptions=linked,
            four_p=four_p,
            description=f"Synthetic demo action: {text}",
            owner_user=None if holder == partner else holder,
            owner_organisation=partner if holder == partner else None,
            start_date=today - start * day,
            due_date=today + due * day,
            status=status,
            result="Three arrested and charged (synthetic)." if status == "complete" else "",
        )


def _demo_queues(seed: int, users: dict) -> None:
    """An assessment in the moderator's queue, one returned to the assessor, and a plan review
    coming due for the chief officer."""
    from socmaster.assessments import services as assessment_services
    from socmaster.plans import services as plan_services
    from socmaster.plans.models import Plan

    rng = random.Random(seed + 11)
    scheme = assessment_services.current_scheme().engine_scheme()
    assessor, moderator, today = users["assessor"], users["moderator"], dt.date.today()
    fresh = Threat.objects.filter(
        reference__startswith="DEMO-",
        owner__region__key="region-north-east",
        handling__in=["region", "national"],
        assessments__isnull=True,
        closed_on__isnull=True,
    ).order_by("reference")[:2]
    for n, threat in enumerate(fresh):
        a = assessment_services.create_assessment(
            assessor,
            threat,
            answers={f.key: rng.choice(f.answers).key for f in scheme.factors},
            evidence_from=today - dt.timedelta(days=200),
            evidence_to=today - dt.timedelta(days=10),
            review_due=today + dt.timedelta(days=180),
            summary="Synthetic demo assessment, waiting for moderation.",
        )
        assessment_services.submit_assessment(assessor, a)
        if n == 1:
            assessment_services.return_assessment(
                moderator,
                a,
                reason="The evidence period ends before the latest intelligence: extend it.",
            )
    for plan in Plan.objects.filter(
        threat__reference__startswith="DEMO-", threat__lro=users["lro"], status="current"
    ).exclude(threat__reference=LRO_THREAT):
        plan_services.update_plan(users["lro"], plan, review_frequency_days=7)


def _load_demo_threats(seed: int) -> dict:
    fake = Faker("en_GB")
    fake.seed_instance(seed)
    rng = random.Random(seed)
    logins = []
    users = {}
    for username, role, key in DEMO_USERS:
        org = _org(key)
        user = User.objects.filter(username=username).first()
        if user is None:
            user = org_services.create_user(
                None,
                username=username,
                organisation=org,
                roles=[role],
                password=DEMO_PASSWORD,
                first_name=fake.first_name(),
                last_name=fake.last_name(),
                job_title=Role(role).label,
            )
        users[username] = user
        logins.append((username, Role(role).label, org.name))

    region_orgs = list(
        Organisation.objects.filter(region__key="region-north-east", type__in=["force", "rocu"])
    )
    elsewhere = list(
        Organisation.objects.filter(type="force").exclude(region__key="region-north-east")[:6]
    )
    partner = _org("partner-durham-county-council")
    phases = list(Phase.objects.all())
    open_phases = [p for p in phases if not p.is_closed]
    crime_types = list(CrimeType.objects.all())
    existing = Threat.objects.filter(reference__startswith="DEMO-").count()
    for i in range(existing, DEMO_THREATS):
        owner = rng.choice(region_orgs) if i % 5 else rng.choice(elsewhere)
        # Demo users create threats for their own organisation; others are created by the system user.
        creator = users["admin"] if owner.key == "force-durham" else None
        threat_type = rng.choices(list(ThreatType), weights=[80, 12, 8])[0]
        surname = fake.last_name()
        name = {
            ThreatType.OCG: f"{surname} {rng.choice(['network', 'family', 'crew', 'organisation'])}",
            ThreatType.PRIORITY_INDIVIDUAL: f"{fake.first_name()} {surname}",
            ThreatType.VULNERABILITY: f"{fake.city()} {rng.choice(['night-time economy', 'car washes', 'nail bars', 'port'])}",
        }[threat_type]
        phase = rng.choice(open_phases if rng.random() < 0.85 else phases)
        opened = dt.date(2022, 1, 1) + dt.timedelta(days=rng.randint(0, 1000))
        handling = rng.choices(list(Handling), weights=[10, 10, 60, 20])[0]
        shared = [partner] if handling == Handling.NAMED or rng.random() < 0.1 else []
        fields = dict(
            reference=f"DEMO-{i + 1:04d}",
            name=name,
            threat_type=threat_type,
            category=Category.TACTICAL if rng.random() < 0.9 else Category.STRATEGIC,
            soc=Soc.SOC if rng.random() < 0.95 else Soc.NON_SOC,
            tier=rng.choices([1, 2, 3, 4, 5], weights=[5, 15, 35, 30, 15])[0],
            phase=phase,
            moderation_status=rng.choices(list(ModerationStatus), weights=[10, 10, 70, 10])[0],
            lro=users["lro"] if owner.key == "force-durham" and rng.random() < 0.6 else None,
            description=f"Synthetic demo record. {fake.sentence(nb_words=12)}",
            opened_on=opened,
            closed_on=opened + dt.timedelta(days=300) if phase.is_closed else None,
            closed_reason="Synthetic closure" if phase.is_closed else "",
            handling=handling,
            # Invented figures stand in for a moderated assessment and say so.
            assessment_source="Synthetic demo figures (invented; no real assessment)",
        )
        if creator is None:
            threat = _create_as_system(
                owner, fields, rng.sample(crime_types, k=rng.randint(1, 3)), shared
            )
        else:
            threat = threat_services.create_threat(
                creator,
                owner=owner,
                crime_types=rng.sample(crime_types, k=rng.randint(1, 3)),
                shared_with=shared,
                **fields,
            )
        del threat
    return {
        "threats": Threat.objects.filter(reference__startswith="DEMO-").count(),
        "users": len(users),
        "logins": logins,
    }


def _create_as_system(owner, fields, crime_types, shared):
    """Create a threat for an organisation that has no demo user, still through the service."""
    system = _system_user(owner)
    return threat_services.create_threat(
        system, owner=owner, crime_types=crime_types, shared_with=shared, **fields
    )


def _system_user(owner: Organisation) -> User:
    username = f"demo-{owner.key}"[:150]
    user = User.objects.filter(username=username).first()
    if user is None:
        user = org_services.create_user(
            None,
            username=username,
            organisation=owner,
            roles=[Role.ANALYST],
            first_name="Demo",
            last_name=f"analyst ({owner.short_name})",
        )
    return user
