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
    ("assessor", Role.ROCTA_ASSESSOR, "rocu-north-east"),
    ("moderator", Role.MODERATOR, "rocu-north-east"),
    ("gateway", Role.GATEWAY_OFFICER, "rocu-north-east"),
    ("offender", Role.OFFENDER_MANAGER, "force-northumbria"),
    ("partner", Role.PARTNER_USER, "partner-durham-county-council"),
    ("inspector", Role.INSPECTOR, "hmicfrs"),
]

DEMO_THREATS = 40


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
    summary["threats"] = Threat.objects.filter(
        Q(reference__startswith="DEMO-") | Q(reference__startswith="SYN-T-")
    ).count()
    return summary


def _demo_assessments(seed: int) -> None:
    """Moderated assessments (two versions each) for a few Durham threats, so score history shows."""
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
        for version, months_ago in enumerate((14, 2)):
            answers = {f.key: rng.choice(f.answers).key for f in scheme.factors}
            a = assessment_services.create_assessment(
                assessor,
                threat,
                answers=answers,
                evidence_from=today - dt.timedelta(days=30 * (months_ago + 6)),
                evidence_to=today - dt.timedelta(days=30 * months_ago),
                review_due=today + dt.timedelta(days=180 - 30 * months_ago * (version == 0)),
                summary="Synthetic demo assessment.",
            )
            assessment_services.submit_assessment(assessor, a)
            assessment_services.moderate_assessment(moderator, a)


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
        plan = plan_services.create_plan(
            author,
            threat,
            add_suggested_actions=False,
            **plan_services.initial_from_template(plan_services.template_for(threat)),
            intelligence_gaps=f"Synthetic demo text. Who supplies the group in {place}; how cash leaves the area.",
            partner_sections=["aim", "objectives"] if n % 2 == 0 else [],
        )
        plan_services.update_plan(
            author,
            plan,
            aim=f"Synthetic demo plan. Dismantle {threat.name} in {place} "
            f"and protect the people it exploits. {fake.sentence(nb_words=14)}",
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
