"""Write a synthetic dataset (from the pure socmaster.synth generator) into the database with bulk inserts."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

BATCH = 2000


def organisation_specs() -> list:
    from socmaster.organisations.models import Organisation
    from socmaster.synth import OrgSpec

    return [
        OrgSpec(o.key, o.name, o.type, o.region.key if o.region_id else None)
        for o in Organisation.objects.select_related("region")
    ]


def synthetic_data_present() -> bool:
    from socmaster.threats.models import Threat

    return Threat.objects.filter(reference__startswith="SYN-T-").exists()


@transaction.atomic
def remove_synthetic() -> None:
    from socmaster.assessments.models import Assessment
    from socmaster.disruptions.models import Disruption
    from socmaster.organisations.models import User
    from socmaster.plans.models import Plan, PlanAction, PlanReview, PlanTextBand
    from socmaster.threats.models import Nominal, Threat, ThreatMember

    # Meetings first: their items name threats, and they name users.
    remove_synthetic_meetings()
    # Debriefs next: they name threats, gateway requests and users.
    remove_synthetic_debriefs()
    # Gateway requests next: they name threats and users, protected while they stand.
    remove_synthetic_gateway()
    # Intelligence next: it names nominals, threats and researchers, protected while it stands.
    remove_synthetic_intelligence()
    # Plans next: their authors and reviewers are protected from deletion while they stand.
    synthetic_plans = Plan.objects.filter(threat__reference__startswith="SYN-T-")
    PlanTextBand.objects.filter(plan__in=synthetic_plans).delete()
    PlanReview.objects.filter(plan__in=synthetic_plans).delete()
    PlanAction.objects.filter(plan__in=synthetic_plans).delete()
    synthetic_plans.delete()
    Assessment.objects.filter(threat__reference__startswith="SYN-T-").delete()
    Disruption.objects.filter(reference__startswith="SYN-D-", disruption_type="support").delete()
    Disruption.objects.filter(reference__startswith="SYN-D-").delete()
    ThreatMember.objects.filter(threat__reference__startswith="SYN-T-").delete()
    Threat.objects.filter(reference__startswith="SYN-T-").delete()
    Nominal.objects.filter(reference__startswith="SYN-N-").delete()
    User.objects.filter(username__startswith="syn-").delete()


def load_dataset(
    dataset,
    progress: Callable[[str, int, int], None] | None = None,
    *,
    in_one_transaction: bool = True,
) -> dict:
    """Insert users, threats, nominals, memberships, assessments, disruptions and 4P plans; one audit
    entry records the whole load, and ``view`` entries who opened the plans and their actions.

    In one transaction by default (the command line, the demo, tests). The background build
    passes ``in_one_transaction=False``: each batch is then its own short transaction, so others
    can write meanwhile, and if the build fails or is cancelled (``progress`` raising), what it
    wrote is removed (``remove_synthetic``), so nothing is left half-loaded."""
    from socmaster.core.bulk import bulk_work

    with bulk_work():
        if in_one_transaction:
            with transaction.atomic():
                return _load(dataset, progress)
        try:
            return _load(dataset, progress)
        except BaseException:
            remove_synthetic()
            raise


def _load(dataset, progress: Callable[[str, int, int], None] | None = None) -> dict:
    from django.contrib.auth.hashers import make_password

    from socmaster.core import audit
    from socmaster.core.choices import AuditAction
    from socmaster.organisations.models import Membership, Organisation, User
    from socmaster.threats.models import (
        CrimeType,
        Identifier,
        Nominal,
        NominalAlias,
        Phase,
        Threat,
        ThreatMember,
        normalise_identifier,
    )

    def step(name: str, done: int, total: int) -> None:
        if progress:
            progress(name, done, total)

    orgs = {o.key: o for o in Organisation.objects.all()}
    unusable = make_password(None)
    users = [
        User(
            username=u.username,
            first_name=u.first_name,
            last_name=u.last_name,
            password=unusable,
            home_organisation=orgs[u.org_key],
            job_title="Synthetic user",
        )
        for u in dataset.users
    ]
    User.objects.bulk_create(users, batch_size=BATCH)
    user_ids = dict(User.objects.filter(username__startswith="syn-").values_list("username", "id"))
    Membership.objects.bulk_create(
        [
            Membership(user_id=user_ids[u.username], organisation=orgs[u.org_key], role=role)
            for u in dataset.users
            for role in u.roles
        ],
        batch_size=BATCH,
    )
    step("users", len(users), len(users))

    phases = {p.name: p.pk for p in Phase.objects.all()}
    crime_ids = dict(CrimeType.objects.values_list("code", "id"))
    threats = [
        Threat(
            reference=t.reference,
            name=t.name,
            threat_type=t.threat_type,
            category=t.category,
            soc=t.soc,
            tier=t.tier,
            phase_id=phases[t.phase],
            moderation_status=t.moderation_status,
            score=t.score,
            assessed_on=t.assessed_on,
            owner=orgs[t.owner_key],
            lro_id=user_ids.get(t.lro),
            description=t.description,
            opened_on=t.opened_on,
            closed_on=t.closed_on,
            closed_reason="Synthetic closure" if t.closed_on else "",
            handling=t.handling,
        )
        for t in dataset.threats
    ]
    for start in range(0, len(threats), BATCH):
        Threat.objects.bulk_create(threats[start : start + BATCH])
        step("threats", min(start + BATCH, len(threats)), len(threats))
    threat_ids = dict(
        Threat.objects.filter(reference__startswith="SYN-T-").values_list("reference", "id")
    )
    Through = Threat.crime_types.through
    Through.objects.bulk_create(
        [
            Through(threat_id=threat_ids[t.reference], crimetype_id=crime_ids[c])
            for t in dataset.threats
            for c in t.crime_types
        ],
        batch_size=BATCH,
    )
    # Named-handling threats are shared with their owner's ROCU so the region can moderate them.
    rocu_of = {o.key: o.rocu_id for o in orgs.values()}
    Shared = Threat.shared_with.through
    Shared.objects.bulk_create(
        [
            Shared(threat_id=threat_ids[t.reference], organisation_id=rocu_of[t.owner_key])
            for t in dataset.threats
            if t.handling == "named" and rocu_of.get(t.owner_key)
        ],
        batch_size=BATCH,
    )

    nominals = [
        Nominal(
            reference=n.reference,
            family_name=n.family_name,
            given_names=n.given_names,
            date_of_birth=n.date_of_birth,
            gender=n.gender,
            nationality=n.nationality,
            owner=orgs[n.owner_key],
            handling="region",
        )
        for n in dataset.nominals
    ]
    for start in range(0, len(nominals), BATCH):
        Nominal.objects.bulk_create(nominals[start : start + BATCH])
        step("nominals", min(start + BATCH, len(nominals)), len(nominals))
    nominal_ids = dict(
        Nominal.objects.filter(reference__startswith="SYN-N-").values_list("reference", "id")
    )
    NominalAlias.objects.bulk_create(
        [
            NominalAlias(
                nominal_id=nominal_ids[n.reference], given_names=g, family_name=f, alias_type=kind
            )
            for n in dataset.nominals
            for g, f, kind in n.aliases
        ],
        batch_size=BATCH,
    )
    Identifier.objects.bulk_create(
        [
            Identifier(
                nominal_id=nominal_ids[n.reference],
                kind=k,
                value=v,
                normalised=normalise_identifier(k, v),
            )
            for n in dataset.nominals
            for k, v in n.identifiers
        ],
        batch_size=BATCH,
    )
    members = [
        ThreatMember(
            threat_id=threat_ids[m.threat],
            nominal_id=nominal_ids[m.nominal],
            role=m.role,
            from_date=m.from_date,
            to_date=m.to_date,
        )
        for m in dataset.members
    ]
    for start in range(0, len(members), BATCH):
        ThreatMember.objects.bulk_create(members[start : start + BATCH])
        step("memberships", min(start + BATCH, len(members)), len(members))
    association_counts = _load_associations(dataset, nominal_ids, step)
    step("assessments", 0, len(dataset.assessments))
    _load_assessments(dataset, threat_ids, user_ids)
    step("assessments", len(dataset.assessments), len(dataset.assessments))
    _load_disruptions(dataset, threat_ids, user_ids, orgs, progress)
    plan_counts = _load_plans(
        dataset, {t.reference: t for t in threats}, threat_ids, user_ids, orgs, step
    )
    intelligence_counts = _load_intelligence(dataset, orgs, user_ids, threat_ids, step)
    gateway_counts = _load_gateway(dataset, orgs, user_ids, threat_ids, step)
    debrief_counts = _load_debriefs(dataset, orgs, user_ids, threat_ids, step)
    meeting_counts = _load_meetings(dataset, orgs, user_ids, threat_ids, step)
    counts = {
        "users": len(users),
        "threats": len(threats),
        "nominals": len(nominals),
        "memberships": len(members),
        **association_counts,
        "assessments": len(dataset.assessments),
        "disruptions": len(dataset.disruptions),
        **plan_counts,
        **intelligence_counts,
        **gateway_counts,
        **debrief_counts,
        **meeting_counts,
    }
    audit.record(
        AuditAction.CREATE,
        record_type="synth.dataset",
        record_repr=f"synthetic dataset ({dataset.scale})",
        changes={"seed": dataset.seed, "scale": dataset.scale, "counts": counts},
    )
    return counts


def _load_associations(dataset, nominal_ids: dict, step) -> dict:
    """The association structure of ``synth.network``: recorded associations between nominals
    (recorded by nobody: the generator's), and the identifiers two or three nominals share,
    added to their own."""
    from socmaster.network.models import Association
    from socmaster.synth.network import association_plan
    from socmaster.threats.models import Identifier, normalise_identifier

    plan = association_plan(dataset)
    associations, shared = plan.associations, plan.shared_identifiers
    total = len(associations) + len(shared)
    step("associations", 0, total)
    for start in range(0, len(associations), BATCH):
        Association.objects.bulk_create(
            [
                Association(
                    nominal_id=nominal_ids[a.nominal],
                    other_id=nominal_ids[a.other],
                    kind=a.kind,
                    from_date=a.from_date,
                    to_date=a.to_date,
                    notes="Synthetic association.",
                )
                for a in associations[start : start + BATCH]
            ]
        )
        step("associations", min(start + BATCH, len(associations)), total)
    for start in range(0, len(shared), BATCH):
        Identifier.objects.bulk_create(
            [
                Identifier(
                    nominal_id=nominal_ids[ref],
                    kind=kind,
                    value=value,
                    normalised=normalise_identifier(kind, value),
                )
                for ref, kind, value in shared[start : start + BATCH]
            ]
        )
        step("associations", len(associations) + min(start + BATCH, len(shared)), total)
    return {"associations": len(associations), "shared identifiers": len(shared)}


def _load_assessments(dataset, threat_ids: dict, user_ids: dict) -> None:
    """One assessment per threat, scored with the default scheme, in the threat's moderation state."""
    import datetime as dt

    from django.utils import timezone

    from socmaster.assessments.models import Assessment, SchemeVersion
    from socmaster.morile import default_scheme

    reference = default_scheme()
    scheme = SchemeVersion.objects.filter(name=reference.name, version=reference.version).first()
    if scheme is None:
        return
    rows = []
    for a in dataset.assessments:
        moment = timezone.make_aware(
            dt.datetime.combine(a.evidence_to + dt.timedelta(days=14), dt.time(12))
        )
        rows.append(
            Assessment(
                threat_id=threat_ids[a.threat],
                version_number=1,
                scheme=scheme,
                answers=a.answers,
                result=a.result,
                score=a.score,
                tier=a.tier,
                whole_threat=a.whole_threat,
                partial_justification=""
                if a.whole_threat
                else "Synthetic: assessed for one operation only.",
                evidence_from=a.evidence_from,
                evidence_to=a.evidence_to,
                review_due=a.review_due,
                summary="Synthetic assessment.",
                status=a.status,
                assessor_id=user_ids[a.assessor],
                submitted_at=moment if a.status != "draft" else None,
                moderator_id=user_ids.get(a.moderator) if a.moderator else None,
                moderated_at=moment if a.status == "moderated" else None,
                return_reason="Synthetic: cover all members." if a.status == "returned" else "",
                created_at=moment,
                updated_at=moment,
            )
        )
    Assessment.objects.bulk_create(rows, batch_size=BATCH)


def _load_disruptions(dataset, threat_ids: dict, user_ids: dict, orgs: dict, progress=None) -> None:
    """Leads first, then support records linked to their lead."""
    import datetime as dt

    from django.utils import timezone

    from socmaster.core.bulk import ids_by_reference
    from socmaster.disruptions.models import Disruption, Standard, Tactic

    standard = Standard.objects.filter(is_current=True).order_by("-effective_from").first()
    if standard is None or not dataset.disruptions:
        return
    tactics = dict(Tactic.objects.values_list("code", "id"))
    lead_ids: dict[str, int] = {}
    total = len(dataset.disruptions)
    done = 0
    for kind in ("lead", "support"):
        rows = [d for d in dataset.disruptions if d.disruption_type == kind]
        for start in range(0, len(rows), BATCH * 5):
            chunk = rows[start : start + BATCH * 5]
            objs = []
            for d in chunk:
                moment = timezone.make_aware(dt.datetime.combine(d.record_date, dt.time(12)))
                objs.append(
                    Disruption(
                        reference=d.reference,
                        threat_id=threat_ids[d.threat],
                        standard=standard,
                        event_date=d.event_date,
                        record_date=d.record_date,
                        recording_organisation=orgs[d.recording_org],
                        team="Synthetic team",
                        disruption_type=d.disruption_type,
                        lead_id=lead_ids.get(d.lead) if d.lead else None,
                        four_p=d.four_p,
                        category=d.category,
                        tactic_id=tactics[d.tactic],
                        narrative="Synthetic record.",
                        evidence="Synthetic evidence reference",
                        status=d.status,
                        recorder_id=user_ids[d.recorder],
                        moderator_id=user_ids.get(d.moderator) if d.moderator else None,
                        moderated_at=moment if d.moderator else None,
                        created_at=moment,
                        updated_at=moment,
                    )
                )
            Disruption.objects.bulk_create(objs, batch_size=BATCH)
            if kind == "lead":
                lead_ids.update(ids_by_reference(Disruption, [d.reference for d in chunk]))
            done += len(chunk)
            if progress:
                progress("disruptions", done, total)


def _load_plans(dataset, threats: dict, threat_ids: dict, user_ids: dict, orgs: dict, step) -> dict:
    """Current 4P plans with their actions, reviews and copy-detection fingerprints.

    The generator dates plans relative to its fixed ``today``; every plan, action and review date is
    moved by (the real date - that day) so the plan-quality checks, which run against the real
    date, find what the ground truth says. Each plan keeps its template's lines, as ``create_plan``
    does, and the fingerprints are those ``plans.services.refresh_fingerprint`` would store: the
    signature of the plan's own text (template lines removed) and its bands.
    """
    import datetime as dt
    from itertools import islice

    from django.utils import timezone

    from socmaster.plans import fingerprint
    from socmaster.plans.choices import PlanStatus
    from socmaster.plans.models import OBJECTIVE_FIELDS, Plan, PlanAction, PlanReview, PlanTextBand
    from socmaster.plans.services import setting, template_for, template_texts

    plans = getattr(dataset, "plans", None) or []
    counts = {
        "plans": len(plans),
        "plan_actions": sum(len(p.actions) for p in plans),
        "plan_reviews": sum(len(p.reviews) for p in plans),
        "plan_views": 0,
    }
    if not plans:
        return counts
    shift = timezone.localdate() - dataset.today
    now = timezone.now()

    def day(d):
        return d + shift if d is not None else None

    def moment(d):
        return min(now, timezone.make_aware(dt.datetime.combine(d + shift, dt.time(12))))

    templates: dict[tuple[int, str], tuple] = {}

    def template_of(threat):
        """The template a plan for ``threat`` is written from, and its lines (as create_plan keeps them)."""
        key = (threat.owner_id, threat.threat_type)
        if key not in templates:
            template = template_for(threat)
            templates[key] = (template, template_texts(template))
        return templates[key]

    def with_template(own: str, template_text: str, use: bool) -> str:
        return f"{template_text}\n{own}" if use and template_text else own

    rows = []
    for p in plans:
        template, template_lines = template_of(threats[p.threat])
        fields = {
            name: with_template(
                p.objectives.get(four_p, ""), getattr(template, name, ""), p.from_template
            )
            for four_p, name in OBJECTIVE_FIELDS.items()
        }
        author = user_ids[p.author]
        rows.append(
            Plan(
                threat_id=threat_ids[p.threat],
                version=1,
                status=PlanStatus.CURRENT,
                author_id=author,
                author_role=p.author_role,
                template=template,
                template_lines=template_lines,
                aim=with_template(p.aim, getattr(template, "aim", ""), p.from_template),
                **fields,
                intelligence_gaps=p.intelligence_gaps,
                safeguarding_plans=p.safeguarding_plans,
                investigation_plans=p.investigation_plans,
                review_frequency_days=p.review_frequency_days,
                partner_sections=p.partner_sections,
                created_at=moment(p.created_on),
                updated_at=moment(p.updated_on),
                updated_by_id=author,
            )
        )
    for start in range(0, len(rows), BATCH):
        Plan.objects.bulk_create(rows[start : start + BATCH])
        step("plans", min(start + BATCH, len(rows)), len(rows))
    plan_ids = dict(
        Plan.objects.filter(
            threat__reference__startswith="SYN-T-", status=PlanStatus.CURRENT
        ).values_list("threat__reference", "id")
    )

    def action_rows():
        for p in plans:
            plan_id, author = plan_ids[p.threat], user_ids[p.author]
            for a in p.actions:
                owner = user_ids[a.owner_user] if a.owner_user else None
                yield PlanAction(
                    plan_id=plan_id,
                    four_p=a.four_p,
                    description=a.description,
                    owner_user_id=owner,
                    owner_organisation=orgs[a.owner_org] if a.owner_org else None,
                    start_date=day(a.start_date),
                    due_date=day(a.due_date),
                    status=a.status,
                    result=a.result,
                    completed_on=day(a.completed_on),
                    created_at=moment(a.created_on),
                    created_by_id=author,
                    updated_at=moment(a.updated_on),
                    updated_by_id=owner or author,
                )

    rows_left, done = action_rows(), 0
    while chunk := list(
        islice(rows_left, BATCH * 5)
    ):  # built a chunk at a time to keep memory down
        PlanAction.objects.bulk_create(chunk, batch_size=BATCH)
        done += len(chunk)
        step("plan actions", done, counts["plan_actions"])

    reviews = [
        PlanReview(
            plan_id=plan_ids[p.threat],
            reviewer_id=user_ids[r.reviewer],
            reviewer_role=r.reviewer_role,
            reviewed_on=day(r.reviewed_on),
            outcome=r.outcome,
            comments=r.comments,
            created_at=moment(r.reviewed_on),
        )
        for p in plans
        for r in p.reviews
    ]
    PlanReview.objects.bulk_create(reviews, batch_size=BATCH)
    step("plan reviews", len(reviews), len(reviews))
    counts["plan_views"] = _load_plan_views(dataset, plans, threats, plan_ids, user_ids, orgs, step)

    # Fingerprints from the stored rows, the actions in the order refresh_fingerprint reads them.
    min_words = setting("PLAN_COPY_MIN_WORDS")
    by_id = {plan_ids[p.threat]: obj for p, obj in zip(plans, rows, strict=True)}
    ids = sorted(by_id)
    for start in range(0, len(ids), BATCH):
        some = ids[start : start + BATCH]
        descriptions: dict[int, list[str]] = {}
        for plan_id, text in PlanAction.objects.filter(plan_id__in=some).values_list(
            "plan_id", "description"
        ):
            descriptions.setdefault(plan_id, []).append(text)
        signed, bands = [], []
        for plan_id in some:
            plan = by_id[plan_id]
            texts = [
                plan.aim,
                *(getattr(plan, n) for n in OBJECTIVE_FIELDS.values()),
                plan.intelligence_gaps,
                *descriptions.get(plan_id, []),
            ]
            lines = fingerprint.own_lines(texts, plan.template_lines)
            signature = fingerprint.signature(lines, min_words)
            signed.append(Plan(pk=plan_id, text_signature=signature))
            bands += [
                PlanTextBand(plan_id=plan_id, band=b, value=v)
                for b, v in fingerprint.bands(signature)
            ]
        Plan.objects.bulk_update(signed, ["text_signature"], batch_size=500)
        PlanTextBand.objects.bulk_create(bands, batch_size=BATCH)
        step("plan text", min(start + BATCH, len(ids)), len(ids))
    return counts


def _load_plan_views(dataset, plans, threats, plan_ids, user_ids, orgs, step) -> int:
    """Who opened each plan or its actions (``SynthPlan.views``), recorded as the product records
    a plan or an action being opened: a ``view`` entry in the audit log by the user, under their
    membership of their organisation, for a record of the threat's owner, with a reason where
    the threat's handling asks for one. The "partner_unseen" check reads them. Written in
    batches, one insert each."""
    from socmaster.core import audit
    from socmaster.core.choices import RESTRICTED_HANDLING, AuditAction
    from socmaster.organisations.models import Membership
    from socmaster.plans.models import Plan, PlanAction

    views = [(p, v) for p in plans for v in p.views]
    if not views:
        return 0
    org_of = {u.username: orgs[u.org_key] for u in dataset.users}
    memberships: dict[tuple[int, int], int] = {}
    for user_id, org_id, pk in (
        Membership.objects.filter(user_id__in={user_ids[v.viewer] for _, v in views})
        .order_by("pk")
        .values_list("user_id", "organisation_id", "pk")
    ):
        memberships.setdefault((user_id, org_id), pk)
    # Action ids in the order the actions were written: each plan's in the generator's order.
    action_ids: dict[int, list[int]] = {}
    opened = {plan_ids[p.threat] for p, v in views if v.action is not None}
    for plan_id, pk in (
        PlanAction.objects.filter(plan_id__in=opened).order_by("pk").values_list("plan_id", "pk")
    ):
        action_ids.setdefault(plan_id, []).append(pk)

    def row(p, v) -> dict:
        threat, plan_id = threats[p.threat], plan_ids[p.threat]
        user_id, org = user_ids[v.viewer], org_of[v.viewer]
        # Unsaved instances, only to name the record as ``audit.record`` would.
        record = Plan(pk=plan_id, version=1, threat=threat)
        if v.action is not None:
            pk = action_ids[plan_id][v.action]
            record = PlanAction(pk=pk, plan=record, four_p=p.actions[v.action].four_p)
        return {
            "user_id": user_id,
            "username": v.viewer,
            "organisation_id": org.pk,
            "organisation_name": org.name,
            "record_type": audit.record_type_of(record),
            "record_id": str(record.pk),
            "record_repr": str(record),
            "reason": "Synthetic: working on the plan's actions"
            if threat.handling in RESTRICTED_HANDLING
            else "",
            "record_owner_id": threat.owner_id,
            "membership_id": memberships.get((user_id, org.pk)),
        }

    for start in range(0, len(views), BATCH):
        audit.record_rows(AuditAction.VIEW, [row(p, v) for p, v in views[start : start + BATCH]])
        step("plan views", min(start + BATCH, len(views)), len(views))
    return len(views)


def start_synthetic_build(user, *, scale: str, seed: int, replace: bool):
    """Record a synthetic build waiting for the worker (audited); only a national administrator
    may start one. The caller enqueues ``web.tasks.build_synthetic`` after this commits."""
    from django.core.exceptions import PermissionDenied

    from socmaster.core import audit, policy
    from socmaster.core.choices import AuditAction
    from socmaster.threats.choices import ImportKind
    from socmaster.threats.models import ImportJob

    if not policy.is_national_administrator(user):
        raise PermissionDenied("Only administrators of a national agency build synthetic data.")
    job = ImportJob.objects.create(
        created_by=user,
        organisation=getattr(user, "primary_organisation", None),
        kind=ImportKind.SYNTHETIC,
        source_name=f"synthetic dataset ({scale}, seed {seed})",
        skip_bad=False,
    )
    audit.record(
        AuditAction.CREATE,
        job,
        user=user,
        changes={"after": audit.snapshot(job, ["kind", "source_name", "status"])}
        | {"replace": replace},
    )
    return job


def remove_synthetic_gateway() -> None:
    """Remove the synthetic gateway requests (those asked by synthetic users, referrals received
    included) with their pauses, and the synthetic offers no other request names."""
    from socmaster.gateway.models import CapabilityOffer, RequestPause, SupportRequest
    from socmaster.synth.gateway import TEAM_SUFFIX

    ids = list(
        SupportRequest.objects.filter(requested_by__username__startswith="syn-").values_list(
            "pk", flat=True
        )
    )
    for chunk in _chunks(ids):  # the links between referrals first: they protect each other
        SupportRequest.objects.filter(pk__in=chunk).update(referred_to=None)
    for chunk in _chunks(ids):
        RequestPause.objects.filter(request_id__in=chunk).delete()
        SupportRequest.shared_with.through.objects.filter(supportrequest_id__in=chunk).delete()
        SupportRequest.disruptions.through.objects.filter(supportrequest_id__in=chunk).delete()
        SupportRequest.objects.filter(pk__in=chunk).delete()
    CapabilityOffer.objects.filter(team__endswith=TEAM_SUFFIX, requests__isnull=True).delete()


#: The columns ``_load_gateway`` writes for each request, in its rows' order.
REQUEST_COLUMNS = (
    "reference",
    "capability_id",
    "owner_id",
    "handling",
    "requesting_organisation_id",
    "requested_by_id",
    "threat_id",
    "threat_description",
    "operation",
    "asked_for",
    "justification",
    "needed_from",
    "needed_to",
    "urgency",
    "threat_to_life",
    "authorities",
    "status",
    "submitted_at",
    "assigned_to_id",
    "triaged_at",
    "decided_at",
    "decided_by_id",
    "decline_reason",
    "referral_reason",
    "decision_notes",
    "offer_id",
    "committed_from",
    "committed_to",
    "committed_capacity",
    "referred_to_id",
    "started_at",
    "completed_at",
    "outcome",
    "score_base",
    "override_score",
    "override_reason",
    "override_by_id",
    "created_at",
    "updated_at",
)


def _load_gateway(dataset, orgs: dict, user_ids: dict, threat_ids: dict, step) -> dict:
    """The capability offers and the year of gateway requests of ``synth.gateway``, in bulk,
    written as the gateway's services leave them: each in a state its transitions reach, with
    the decision's time and decider, the offer (team) committed to accepted ones, referrals
    linked to the request received at the other gateway (shared with the requester and the
    referring gateway), every request shared with the organisation that asked, and the triage
    score's fixed part (``score_base``) worked out as ``services.base_factors`` works it out.
    References follow the gateway's own (``GW-000001``…), after any already used, and its
    counter is moved past them. Times move from the generator's day to today, as the other
    synthetic records' do. Synthetic offers already present are brought up to date."""
    import datetime as dt
    from decimal import Decimal

    from django.utils import timezone

    from socmaster.assessments.choices import AssessmentStatus
    from socmaster.assessments.models import Assessment
    from socmaster.core.bulk import ids_by_reference, insert_values
    from socmaster.core.models import ReferenceCounter
    from socmaster.core.references import automatic_pattern, highest_automatic
    from socmaster.gateway import services
    from socmaster.gateway.models import Capability, CapabilityOffer, RequestPause, SupportRequest
    from socmaster.synth.gateway import TEAM_SUFFIX, gateway_plan, reference

    plan = dataset.gateway or gateway_plan(dataset, organisation_specs())
    capabilities = dict(Capability.objects.values_list("code", "id"))
    counts = {"capability offers": 0, "gateway requests": 0, "request pauses": 0}

    # Offers: reference data; the synthetic ones already there are updated, not duplicated.
    existing = {
        (o.capability_id, o.organisation_id, o.team): o
        for o in CapabilityOffer.objects.filter(team__endswith=TEAM_SUFFIX)
    }
    new, changed = [], []
    for o in plan.offers:
        if o.capability not in capabilities or o.gateway not in orgs:
            continue
        values = {
            "monthly_capacity": Decimal(str(o.monthly_capacity)),
            "capacity_unit": o.unit,
            "capability_owner_id": user_ids.get(o.owner) if o.owner else None,
            "active": True,
        }
        key = (capabilities[o.capability], orgs[o.gateway].pk, o.team)
        if key in existing:
            offer = existing[key]
            if any(getattr(offer, name) != value for name, value in values.items()):
                for name, value in values.items():
                    setattr(offer, name, value)
                changed.append(offer)
            counts["capability offers"] += 1
        else:
            new.append(
                CapabilityOffer(capability_id=key[0], organisation_id=key[1], team=o.team, **values)
            )
    CapabilityOffer.objects.bulk_create(new, batch_size=BATCH)
    CapabilityOffer.objects.bulk_update(
        changed, ["monthly_capacity", "capacity_unit", "capability_owner", "active"]
    )
    counts["capability offers"] += len(new)
    offer_ids = {
        (code, org_key): pk
        for code, org_key, pk in CapabilityOffer.objects.filter(
            team__endswith=TEAM_SUFFIX
        ).values_list("capability__code", "organisation__key", "pk")
    }
    requests = [
        r
        for r in plan.requests
        if (r.capability, r.gateway) in offer_ids
        and r.requesting_org in orgs
        and (not r.threat or r.threat in threat_ids)  # a cut dataset may not hold the threat
    ]
    kept = {r.number for r in requests}  # all of them, unless reference data is missing
    requests = [r for r in requests if r.referred_to is None or r.referred_to in kept]
    if not requests:
        return counts

    # The triage score's fixed part, as services.base_factors has it: the threat's tier, the
    # harm of its latest moderated assessment against the scheme's highest, urgency, threat
    # to life.
    tier_of = {t.reference: t.tier for t in dataset.threats}
    harm: dict[str, tuple[float, float]] = {}
    wanted = {threat_ids[r.threat]: r.threat for r in requests if r.threat}
    seen: set[int] = set()
    for chunk in _chunks(sorted(wanted), 900):
        for threat_id, result, scheme_id in (
            Assessment.objects.filter(threat_id__in=chunk, status=AssessmentStatus.MODERATED)
            .order_by("threat_id", "-version_number")
            .values_list("threat_id", "result", "scheme_id")
        ):
            if threat_id in seen:
                continue
            seen.add(threat_id)
            figures = {f.get("key"): f.get("value") for f in (result or {}).get("figures", [])}
            if figures.get("harm") is not None:
                harm[wanted[threat_id]] = (
                    float(figures["harm"]),
                    services._full_harm(scheme_id),
                )

    def score_base(r) -> int:
        points = services.TIER_POINTS.get(tier_of.get(r.threat), 0) if r.threat else 0
        if r.threat in harm:
            value, full = harm[r.threat]
            points += round(services.HARM_POINTS * min(1.0, value / full))
        points += services.URGENCY_POINTS[r.urgency]
        return points + (services.THREAT_TO_LIFE_POINTS if r.threat_to_life else 0)

    shift = timezone.localdate() - dataset.today
    now = timezone.now()

    def moment(t):
        if t is None:
            return None
        return min(now, (t + shift).replace(tzinfo=dt.UTC))

    def day(d):
        return d + shift if d is not None else None

    counter = ReferenceCounter.objects.filter(prefix=services.PREFIX).first()
    taken = SupportRequest.objects.filter(
        reference__regex=automatic_pattern(services.PREFIX)
    ).values_list("reference", flat=True)
    offset = max(highest_automatic(taken, services.PREFIX), counter.last if counter else 0)

    def user(name):
        return user_ids[name] if name else None

    capacities: dict = {}

    def row(r, referred_to_id):
        submitted = moment(r.submitted_at)
        capacity = None
        if r.committed_capacity is not None:
            capacity = capacities.setdefault(
                r.committed_capacity, Decimal(str(r.committed_capacity))
            )
        return (
            reference(r.number, offset),
            capabilities[r.capability],
            orgs[r.gateway].pk,
            r.handling,
            orgs[r.requesting_org].pk,
            user_ids[r.requested_by],
            threat_ids[r.threat] if r.threat else None,
            r.threat_description,
            r.operation,
            r.asked_for,
            r.justification,
            day(r.needed_from),
            day(r.needed_to),
            r.urgency,
            r.threat_to_life,
            list(r.authorities),
            r.status,
            submitted,
            user(r.assigned_to),
            moment(r.triaged_at),
            moment(r.decided_at),
            user(r.decided_by),
            r.decline_reason,
            r.referral_reason,
            r.decision_notes,
            offer_ids[(r.capability, r.gateway)] if r.accepted else None,
            day(r.committed_from),
            day(r.committed_to),
            capacity,
            referred_to_id,
            moment(r.started_at),
            moment(r.completed_at),
            r.outcome,
            score_base(r),
            r.override_score,
            r.override_reason,
            user(r.override_by),
            submitted,
            moment(r.updated_at),
        )

    # Plain rows through one prepared INSERT; the referrals last, once the requests received
    # for them (which are never referred on) have ids to point to.
    total = len(requests)
    step("gateway requests", 0, total)
    ids: dict[str, int] = {}
    done = 0
    for referring in (False, True):
        some = [r for r in requests if (r.referred_to is not None) == referring]
        for start in range(0, len(some), BATCH):
            chunk = some[start : start + BATCH]
            rows = [
                row(r, ids[reference(r.referred_to, offset)] if referring else None) for r in chunk
            ]
            insert_values(SupportRequest, REQUEST_COLUMNS, rows)
            ids.update(
                ids_by_reference(SupportRequest, [reference(r.number, offset) for r in chunk])
            )
            done += len(chunk)
            step("gateway requests", done, total)
    ReferenceCounter.objects.update_or_create(
        prefix=services.PREFIX, defaults={"last": offset + max(r.number for r in requests)}
    )
    id_of = {r.number: ids[reference(r.number, offset)] for r in requests}
    insert_values(
        SupportRequest.shared_with.through,
        ("supportrequest_id", "organisation_id"),
        [(id_of[r.number], orgs[key].pk) for r in requests for key in r.shared_with],
    )
    pauses = [
        (
            id_of[r.number],
            moment(p.started_at),
            moment(p.ended_at),
            p.asked,
            p.answer,
            user_ids[p.started_by],
            user(p.ended_by),
        )
        for r in requests
        for p in r.pauses
    ]
    insert_values(
        RequestPause,
        ("request_id", "started_at", "ended_at", "asked", "answer", "started_by_id", "ended_by_id"),
        pauses,
    )
    counts["gateway requests"] = total
    counts["request pauses"] = len(pauses)
    return counts


def remove_synthetic_intelligence() -> None:
    """Remove the synthetic reports and SARs and everything hanging from them (before the
    nominals, threats and users they name)."""
    from socmaster.intelligence.models import (
        IntelligenceReport,
        ReportMention,
        ReportSubject,
        SarAccount,
        SarSubject,
        SuspiciousActivityReport,
    )

    # By id lists, a chunk at a time: on PostgreSQL a join on tables just loaded in bulk (no
    # statistics yet) can be planned as a nested loop over every pair of rows.
    report_ids = list(
        IntelligenceReport.objects.filter(reference__startswith="SYN-IR-").values_list(
            "pk", flat=True
        )
    )
    for chunk in _chunks(report_ids):
        ReportSubject.objects.filter(report_id__in=chunk).delete()
        ReportMention.objects.filter(report_id__in=chunk).delete()
        IntelligenceReport.threats.through.objects.filter(intelligencereport_id__in=chunk).delete()
        IntelligenceReport.researchers.through.objects.filter(
            intelligencereport_id__in=chunk
        ).delete()
        IntelligenceReport.shared_with.through.objects.filter(
            intelligencereport_id__in=chunk
        ).delete()
        IntelligenceReport.objects.filter(pk__in=chunk).delete()
    sar_ids = list(
        SuspiciousActivityReport.objects.filter(reference__startswith="SYN-SAR-").values_list(
            "pk", flat=True
        )
    )
    for chunk in _chunks(sar_ids):
        SarSubject.objects.filter(sar_id__in=chunk).delete()
        SarAccount.objects.filter(sar_id__in=chunk).delete()
        SuspiciousActivityReport.shared_with.through.objects.filter(
            suspiciousactivityreport_id__in=chunk
        ).delete()
        SuspiciousActivityReport.objects.filter(pk__in=chunk).delete()


def _chunks(ids: list[int], size: int = 5000):
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _load_intelligence(dataset, orgs: dict, user_ids: dict, threat_ids: dict, step) -> dict:
    """Intelligence reports (with subjects, mentions and threat links) and SARs (with subjects
    and linked accounts) from ``synth.intelligence``, in bulk, with a synthetic researcher for
    each organisation that receives them. Statuses, priorities and ``risk_base`` are set as the
    services would (``intelligence.risk``); dates move from the generator's day to today.
    The SARs stream from the generator a chunk at a time, so national sizes fit in memory."""
    import datetime as dt
    from decimal import Decimal
    from itertools import islice

    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from socmaster.core.bulk import ids_by_reference, insert_rows, insert_values
    from socmaster.intelligence import risk
    from socmaster.intelligence.importer import ACCOUNT_INSERT, SUBJECT_INSERT
    from socmaster.intelligence.models import (
        IntelligenceReport,
        ReportMention,
        ReportSubject,
        SarAccount,
        SarSubject,
        SuspiciousActivityReport,
    )
    from socmaster.intelligence.services import normalise_mention
    from socmaster.organisations.choices import Role
    from socmaster.organisations.models import Membership, User
    from socmaster.synth.intelligence import intelligence_for
    from socmaster.threats.models import Nominal

    intel = intelligence_for(dataset, organisation_specs())
    unusable = make_password(None)
    researchers = [
        User(
            username=username,
            first_name=first,
            last_name=last,
            password=unusable,
            home_organisation=orgs[key],
            job_title="Synthetic intelligence researcher",
        )
        for username, first, last, key in intel.researchers
        if key in orgs and username not in user_ids
    ]
    User.objects.bulk_create(researchers, batch_size=BATCH)
    Membership.objects.bulk_create(
        [
            Membership(user=u, organisation=u.home_organisation, role=Role.RESEARCHER)
            for u in researchers
        ],
        batch_size=BATCH,
    )
    researcher_ids = {u.username: u.pk for u in researchers} | user_ids
    nominal_ids = dict(
        Nominal.objects.filter(reference__startswith="SYN-N-").values_list("reference", "id")
    )
    shift = timezone.localdate() - dataset.today
    now = timezone.now()

    def moment(d):
        return min(now, timezone.make_aware(dt.datetime.combine(d + shift, dt.time(10))))

    tier_of = {t.reference: t.tier for t in dataset.threats}
    high_nominals = {
        m.nominal for m in dataset.members if m.to_date is None and tier_of.get(m.threat, 5) <= 2
    }
    counts = {"reports": 0, "report_subjects": 0, "report_mentions": 0}
    reports = intel.reports
    for start in range(0, len(reports), BATCH):
        chunk = reports[start : start + BATCH]
        rows = []
        for r in chunk:
            mentions_high = any(tier_of.get(t, 5) <= 2 for t in r.threats) or any(
                s.nominal in high_nominals for s in r.subjects if s.nominal
            )
            base = risk.total(
                risk.report_factors(
                    flags=r.flags,
                    source=r.source_evaluation,
                    assessment=r.intelligence_assessment,
                    mentions_tier_1_2=mentions_high,
                )
            )
            researcher = researcher_ids.get(r.researcher) if r.researcher else None
            received = moment(r.submitted_on)
            rows.append(
                IntelligenceReport(
                    reference=r.reference,
                    owner=orgs[r.owner_key],
                    handling=r.handling,
                    officer_name=r.officer_name,
                    submitted_on=r.submitted_on + shift,
                    original_text=r.original_text,
                    sanitised_text=r.sanitised_text,
                    sanitised_by_id=researcher if r.sanitised_text else None,
                    sanitised_at=moment(r.processed_on) if r.sanitised_text else None,
                    source_evaluation=r.source_evaluation,
                    intelligence_assessment=r.intelligence_assessment,
                    handling_code=r.handling_code,
                    handling_conditions=r.handling_conditions,
                    **r.flags,
                    status=r.status,
                    priority=r.priority,
                    assigned_to_id=researcher,
                    assigned_at=received if researcher else None,
                    processed_at=moment(r.processed_on) if r.processed_on else None,
                    risk_base=base,
                    created_at=received,
                    updated_at=moment(r.processed_on) if r.processed_on else received,
                )
            )
        # Plain rows through one prepared INSERT (bulk_create built a placeholder per value),
        # then the ids by reference, for the subjects, mentions and threat links.
        insert_rows(IntelligenceReport, rows)
        ids = ids_by_reference(IntelligenceReport, [r.reference for r in chunk])
        subjects, mentions, links = [], [], []
        Through = IntelligenceReport.threats.through
        for r in chunk:
            report_id = ids[r.reference]
            subjects += [
                {
                    "report_id": report_id,
                    "nominal_id": nominal_ids.get(s.nominal) if s.nominal else None,
                    "family_name": s.family_name,
                    "given_names": s.given_names,
                    "date_of_birth": s.date_of_birth,
                    "gender": s.gender,
                }
                for s in r.subjects
            ]
            mentions += [
                {
                    "report_id": report_id,
                    "kind": k,
                    "value": v,
                    "normalised": normalise_mention(k, v),
                }
                for k, v in r.mentions
            ]
            links += [
                {"intelligencereport_id": report_id, "threat_id": threat_ids[t]} for t in r.threats
            ]
        insert_rows(ReportSubject, subjects)
        insert_rows(ReportMention, mentions)
        insert_rows(Through, links)
        counts["reports"] += len(rows)
        counts["report_subjects"] += len(subjects)
        counts["report_mentions"] += len(mentions)
        step("reports", counts["reports"], len(reports))

    counts |= {"sars": 0, "sar_subjects": 0, "sar_accounts": 0}
    total = intel.total_sars
    sars = intel.sars()
    moments: dict = {}

    def moment_of(d):  # the same few hundred days recur: each converted once
        if d not in moments:
            moments[d] = moment(d)
        return moments[d]

    columns = (
        "reference",
        "owner_id",
        "handling",
        "reporter_sector",
        "submitted_on",
        "sar_type",
        "reason_text",
        "amount",
        "currency",
        "status",
        "priority",
        "assigned_to_id",
        "assigned_at",
        "processed_at",
        "screening_status",
        "screened_at",
        "consent_decision",
        "consent_decided_on",
        "risk_base",
        "created_at",
        "updated_at",
    )
    amounts: dict = {}
    while chunk := list(islice(sars, BATCH * 5)):
        rows = []
        for s in chunk:
            amount = None
            if s.amount is not None:
                amount = amounts.get(s.amount) or amounts.setdefault(s.amount, Decimal(s.amount))
            base = risk.total(
                risk.sar_factors(
                    sar_type=s.sar_type,
                    amount=amount,
                    matches_found=s.screening_status == "matches",
                )
            )
            researcher = (
                researcher_ids.get(f"syn-{s.owner_key}-researcher-1")
                if s.status != "awaiting"
                else None
            )
            received = moment_of(s.submitted_on)
            processed = moment_of(s.processed_on) if s.processed_on else None
            screened = s.screening_status != "not_screened"
            rows.append(
                (
                    s.reference,
                    orgs[s.owner_key].pk,
                    "owner",
                    s.reporter_sector,
                    s.submitted_on + shift,
                    s.sar_type,
                    s.reason_text,
                    amount,
                    s.currency,
                    s.status,
                    s.priority,
                    researcher,
                    received if researcher else None,
                    processed,
                    s.screening_status,
                    (processed or received) if screened else None,
                    s.consent_decision,
                    s.consent_decided_on + shift if s.consent_decided_on else None,
                    base,
                    received,
                    processed or received,
                )
            )
        insert_values(SuspiciousActivityReport, columns, rows)
        ids = ids_by_reference(SuspiciousActivityReport, [s.reference for s in chunk])
        # Subjects and accounts: plain rows through one prepared INSERT.
        subjects, accounts = [], []
        for s in chunk:
            sar_id = ids[s.reference]
            subjects += [
                (
                    sar_id,
                    p.family_name,
                    p.given_names,
                    p.date_of_birth,
                    p.gender,
                    "",
                    p.address,
                    p.postcode,
                    list(p.phones),
                    list(p.accounts),
                )
                for p in s.subjects
            ]
            accounts += [(sar_id, *account) for account in s.linked_accounts]
        insert_values(SarSubject, SUBJECT_INSERT, subjects)
        insert_values(SarAccount, ACCOUNT_INSERT, accounts)
        counts["sars"] += len(rows)
        counts["sar_subjects"] += len(subjects)
        counts["sar_accounts"] += len(accounts)
        step("SARs", counts["sars"], total)
    counts["researchers"] = len(researchers)
    return counts


def remove_synthetic_debriefs() -> None:
    """Remove the synthetic debriefs and any debrief about synthetic threats, requests or people
    (made due since the load), with their lessons."""
    from django.db.models import Q

    from socmaster.tasking.models import Debrief, Lesson

    synthetic = Debrief.objects.filter(
        Q(reference__startswith="SYN-DB-")
        | Q(threat__reference__startswith="SYN-T-")
        | Q(request__requested_by__username__startswith="syn-")
        | Q(owner_user__username__startswith="syn-")
        | Q(created_by__username__startswith="syn-")
    )
    ids = list(synthetic.values_list("pk", flat=True))
    Lesson.objects.filter(created_by__username__startswith="syn-").exclude(
        debrief_id__in=ids
    ).delete()
    for chunk in _chunks(ids):
        Lesson.crime_types.through.objects.filter(lesson__debrief_id__in=chunk).delete()
        Lesson.objects.filter(debrief_id__in=chunk).delete()
        Debrief.shared_with.through.objects.filter(debrief_id__in=chunk).delete()
        Debrief.objects.filter(pk__in=chunk).delete()


def _load_debriefs(dataset, orgs: dict, user_ids: dict, threat_ids: dict, step) -> dict:
    """The debriefs of the closed synthetic threats (``synth.debriefs``), in bulk, as the
    product leaves them: made due by the threat's closure, protected as the threat is (owner,
    handling, the organisations it is shared with), held with lessons, cancelled with a reason
    or still due. Dates move from the generator's day to today, so the overdue ones are overdue
    now."""
    import datetime as dt

    from django.utils import timezone

    from socmaster.disruptions.models import Tactic
    from socmaster.gateway.models import Capability
    from socmaster.synth.debriefs import debriefs_for
    from socmaster.tasking.choices import DebriefTrigger
    from socmaster.tasking.models import Debrief, Lesson
    from socmaster.threats.models import CrimeType, Threat

    made = debriefs_for(dataset).debriefs
    step("debriefs", 0, len(made))
    threats = {t.reference: t for t in dataset.threats}
    shift = timezone.localdate() - dataset.today
    now = timezone.now()

    def day(d):
        return d + shift if d is not None else None

    def moment(d):
        return min(now, timezone.make_aware(dt.datetime.combine(d + shift, dt.time(12))))

    rows = [
        Debrief(
            reference=d.reference,
            trigger=DebriefTrigger.THREAT_CLOSED,
            threat_id=threat_ids[d.threat],
            operation=d.operation,
            ended_on=day(d.ended_on),
            due_on=day(d.due_on),
            owner_user_id=user_ids.get(d.owner_user) if d.owner_user else None,
            status=d.status,
            held_on=day(d.held_on),
            what_worked=d.what_worked,
            what_did_not=d.what_did_not,
            partner_feedback=d.partner_feedback,
            cancel_reason=d.cancel_reason,
            owner=orgs[d.owner_key],
            handling=threats[d.threat].handling,
            created_at=moment(d.ended_on),
            updated_at=moment(d.held_on or d.ended_on),
        )
        for d in made
    ]
    Debrief.objects.bulk_create(rows, batch_size=BATCH)
    debrief_ids = dict(
        Debrief.objects.filter(reference__startswith="SYN-DB-").values_list("reference", "id")
    )
    # Shared with whom the threat is shared with, as a debrief made due by its closure is.
    shared = Threat.shared_with.through.objects.filter(threat_id__in=threat_ids.values())
    shared_with: dict[int, list[int]] = {}
    for threat_id, organisation_id in shared.values_list("threat_id", "organisation_id"):
        shared_with.setdefault(threat_id, []).append(organisation_id)
    Debrief.shared_with.through.objects.bulk_create(
        [
            Debrief.shared_with.through(debrief_id=debrief_ids[d.reference], organisation_id=o)
            for d in made
            for o in shared_with.get(threat_ids[d.threat], [])
        ],
        batch_size=BATCH,
    )
    tactics = dict(Tactic.objects.values_list("code", "id"))
    capabilities = dict(Capability.objects.values_list("code", "id"))
    crime_ids = dict(CrimeType.objects.values_list("code", "id"))
    lessons = [
        (
            Lesson(
                debrief_id=debrief_ids[d.reference],
                text=lesson.text,
                tactic_id=tactics.get(lesson.tactic),
                capability_id=capabilities.get(lesson.capability),
                created_by_id=user_ids.get(d.owner_user) if d.owner_user else None,
                created_at=moment(d.held_on or d.ended_on),
                updated_at=moment(d.held_on or d.ended_on),
            ),
            lesson.crime_types,
        )
        for d in made
        for lesson in d.lessons
    ]
    Lesson.objects.bulk_create([row for row, _ in lessons], batch_size=BATCH)
    Lesson.crime_types.through.objects.bulk_create(
        [
            Lesson.crime_types.through(lesson_id=row.pk, crimetype_id=crime_ids[code])
            for row, codes in lessons
            for code in codes
            if code in crime_ids
        ],
        batch_size=BATCH,
    )
    step("debriefs", len(made), len(made))
    return {"debriefs": len(rows), "lessons": len(lessons)}


def _synthetic_meeting_q(prefix: str = ""):
    """Meetings created, chaired or approved by a synthetic user (through ``prefix``)."""
    from django.db.models import Q

    return (
        Q(**{f"{prefix}created_by__username__startswith": "syn-"})
        | Q(**{f"{prefix}chair__username__startswith": "syn-"})
        | Q(**{f"{prefix}approved_by__username__startswith": "syn-"})
    )


def remove_synthetic_meetings() -> None:
    """Remove the synthetic meetings (created, chaired or approved by synthetic users) with
    their agendas, decisions and actions; and, in any other meeting, the items about synthetic
    threats or added by synthetic users and the decisions and actions by or for them, so that
    the threats and users can go."""
    from django.db.models import Q

    from socmaster.tasking.models import AgendaItem, Decision, Meeting, MeetingAction

    syn = "syn-"
    # Other meetings first, through the ORM (few rows; it removes what hangs from them).
    AgendaItem.objects.exclude(_synthetic_meeting_q("meeting__")).filter(
        Q(threat__reference__startswith="SYN-T-") | Q(added_by__username__startswith=syn)
    ).delete()
    MeetingAction.objects.exclude(_synthetic_meeting_q("item__meeting__")).filter(
        Q(owner__username__startswith=syn)
        | Q(raised_by__username__startswith=syn)
        | Q(closed_by__username__startswith=syn)
    ).delete()
    Decision.objects.exclude(_synthetic_meeting_q("item__meeting__")).filter(
        recorded_by__username__startswith=syn
    ).delete()
    # The synthetic meetings, a chunk at a time, children first.
    meeting_ids = list(Meeting.objects.filter(_synthetic_meeting_q()).values_list("pk", flat=True))
    Carried = AgendaItem.carried.through
    for chunk in _chunks(meeting_ids):
        item_ids = list(
            AgendaItem.objects.filter(meeting_id__in=chunk).values_list("pk", flat=True)
        )
        for items in _chunks(item_ids):
            action_ids = list(
                MeetingAction.objects.filter(item_id__in=items).values_list("pk", flat=True)
            )
            for actions in _chunks(action_ids):
                Carried.objects.filter(meetingaction_id__in=actions).delete()
            Carried.objects.filter(agendaitem_id__in=items).delete()
            Decision.objects.filter(item_id__in=items).delete()
            for actions in _chunks(action_ids):
                MeetingAction.objects.filter(pk__in=actions).delete()
            AgendaItem.objects.filter(pk__in=items).delete()
        MeetingAction.objects.filter(closed_in_id__in=chunk).update(closed_in=None)
        Meeting.objects.filter(previous_id__in=chunk).update(previous=None)
        Meeting.attendees.through.objects.filter(meeting_id__in=chunk).delete()
        Meeting.shared_with.through.objects.filter(meeting_id__in=chunk).delete()
        Meeting.objects.filter(pk__in=chunk).delete()


def _load_meetings(dataset, orgs: dict, user_ids: dict, threat_ids: dict, step) -> dict:
    """The year of tasking and co-ordination meetings of ``synth.meetings``, in bulk, as the
    tasking services leave them: each meeting linked to its group's previous one, shared with
    the partner organisations attending, its agenda in order (the carried actions' item linking
    the very actions it carries), decisions and actions recorded by its secretary, actions
    closed by their owner or at a later meeting (``closed_in``) with what came of them. Dates
    move from the generator's day to today, as the debriefs' do, so the overdue actions are
    overdue now."""
    import datetime as dt

    from django.urls import reverse
    from django.utils import timezone

    from socmaster.core.bulk import insert_values
    from socmaster.synth.meetings import meetings_plan
    from socmaster.tasking.models import AgendaItem, Decision, Meeting, MeetingAction

    plan = dataset.meetings
    if plan is None or any(  # a cut dataset may not hold every threat its plan names
        item.threat not in threat_ids for m in plan.meetings for item in m.items if item.threat
    ):
        plan = meetings_plan(dataset, organisation_specs())
    meetings = [m for m in plan.meetings if m.owner_key in orgs]
    counts = {
        "meetings": 0,
        "agenda items": 0,
        "meeting decisions": 0,
        "meeting actions": 0,
        "carried actions": 0,
    }
    if not meetings:
        return counts
    step("meetings", 0, len(meetings))
    shift = timezone.localdate() - dataset.today
    now = timezone.now()

    def moment(d, hour: int = 12):
        return min(now, timezone.make_aware(dt.datetime.combine(d + shift, dt.time(hour))))

    # Meetings in rounds (the first of each group, then the second, ...), so that each links
    # to its group's previous meeting, already written.
    made: dict[int, Meeting] = {}
    rounds: dict[int, list] = {}
    position: dict[int, int] = {}
    for m in meetings:
        position[m.number] = position[m.previous] + 1 if m.previous in position else 0
        rounds.setdefault(position[m.number], []).append(m)
    for _, some in sorted(rounds.items()):
        rows = [
            Meeting(
                owner_id=orgs[m.owner_key].pk,
                handling=m.handling,
                level=m.level,
                body=m.body,
                held_on=m.held_on + shift,
                chair_id=user_ids[m.chair],
                top_n=m.top_n,
                status=m.status,
                since=m.since + shift,
                previous_id=made[m.previous].pk if m.previous in made else None,
                created_by_id=user_ids[m.created_by],
                held_at=moment(m.held_on, 17) if m.status != "draft" else None,
                created_at=moment(m.held_on - dt.timedelta(days=7), 9),
                updated_at=moment(m.held_on, 17) if m.status != "draft" else now,
            )
            for m in some
        ]
        Meeting.objects.bulk_create(rows, batch_size=BATCH)
        made.update((m.number, row) for m, row in zip(some, rows, strict=True))
    insert_values(
        Meeting.attendees.through,
        ("meeting_id", "user_id"),
        [(made[m.number].pk, user_ids[u]) for m in meetings for u in m.attendees],
    )
    insert_values(
        Meeting.shared_with.through,
        ("meeting_id", "organisation_id"),
        [(made[m.number].pk, orgs[k].pk) for m in meetings for k in m.shared_with],
    )
    step("meetings", len(meetings), len(meetings))

    threat_url = {}
    exceptions_url = reverse("threats:exceptions")

    def url(item) -> str:
        if item.threat:
            if item.threat not in threat_url:
                threat_url[item.threat] = reverse("threats:detail", args=[item.threat])
            return threat_url[item.threat]
        return f"{exceptions_url}?check={item.check}" if item.check else ""

    entries = [(m, item) for m in meetings for item in m.items]
    items = [
        AgendaItem(
            meeting_id=made[m.number].pk,
            position=item.position,
            kind=item.kind,
            section=item.section,
            title=item.title,
            detail=item.detail,
            url=url(item),
            record_type="threats.threat" if item.threat else "",
            record_id=threat_ids[item.threat] if item.threat else None,
            threat_id=threat_ids[item.threat] if item.threat else None,
            figure=item.figure,
            added_by_id=user_ids[item.added_by] if item.added_by else None,
            created_at=moment(m.held_on - dt.timedelta(days=7), 9),
        )
        for m, item in entries
    ]
    AgendaItem.objects.bulk_create(items, batch_size=BATCH)
    insert_values(
        Decision,
        ("item_id", "text", "recorded_by_id", "recorded_at"),
        [
            (row.pk, text, user_ids[m.created_by], moment(m.held_on, 16))
            for (m, item), row in zip(entries, items, strict=True)
            for text in item.decisions
        ],
    )
    actions = []
    for (m, item), row in zip(entries, items, strict=True):
        for a in item.actions:
            closed = moment(a.closed_on, 12) if a.closed_on else None
            actions.append(
                MeetingAction(
                    item_id=row.pk,
                    description=a.description,
                    owner_id=user_ids[a.owner],
                    due_on=a.due_on + shift,
                    status=a.status,
                    outcome=a.outcome,
                    raised_by_id=user_ids[a.raised_by],
                    created_at=moment(m.held_on, 16),
                    updated_at=closed or moment(m.held_on, 16),
                    closed_at=closed,
                    closed_by_id=user_ids[a.closed_by] if a.closed_by else None,
                    closed_in_id=made[a.closed_in].pk if a.closed_in else None,
                )
            )
    MeetingAction.objects.bulk_create(actions, batch_size=BATCH)
    action_ids = {
        a.number: row.pk
        for a, row in zip(
            (a for m in meetings for item in m.items for a in item.actions), actions, strict=True
        )
    }
    carried = [
        (row.pk, action_ids[number])
        for (_m, item), row in zip(entries, items, strict=True)
        for number in item.carried
    ]
    insert_values(AgendaItem.carried.through, ("agendaitem_id", "meetingaction_id"), carried)
    counts["meetings"] = len(meetings)
    counts["agenda items"] = len(items)
    counts["meeting decisions"] = sum(len(item.decisions) for _m, item in entries)
    counts["meeting actions"] = len(actions)
    counts["carried actions"] = len(carried)
    return counts
