"""Entity resolution's one way in: training and putting models into use, screening, reviewers'
decisions, unlinking and deconfliction. Views, the API and the commands call these; each checks
rights, writes in one transaction and records an audit entry.

Screening compares a batch with **every** nominal outside compartments, not only those the user
may see: a match with a nominal the user may not see is what deconfliction tells them about
(existence without content). What each user is shown is filtered by the access policy at read
time (:func:`visible_candidates`, :func:`deconfliction_notices`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F, Max, Min, Q, Sum
from django.http import Http404
from django.utils import timezone

from socmaster.core import audit, policy
from socmaster.core.choices import Action, AuditAction, Handling
from socmaster.core.services import require
from socmaster.intelligence.choices import ScreeningStatus
from socmaster.intelligence.models import SarSubject, SuspiciousActivityReport
from socmaster.organisations.choices import Role
from socmaster.threats.models import Nominal, ThreatMember

from .choices import (
    DECISION_STATUS,
    OPEN,
    AccessRequestStatus,
    Decision,
    MatchStatus,
    ModelStatus,
    RunStatus,
    SubjectKind,
)
from .engine import Model, ModelError, compare, predict, prepare, train
from .models import AccessRequest, CandidateMatch, LinkageModel, MatchDecision, ScreeningRun

MIN_REASON = 5
GENDER = {"male": "M", "female": "F"}
#: Roles that may decide whether two records are the same person (in an organisation that may
#: see both records).
REVIEWER_ROLES = (Role.ANALYST, Role.RESEARCHER, Role.LRO, Role.SIO)
#: The review queue's order: the most serious threat tier first (no threat last), then the most
#: probable.
QUEUE_ORDER = (F("tier").asc(nulls_last=True), "-probability", "id")


class NoModel(Exception):
    """No matching model is in use yet."""


# --- person records as the engine's tables -------------------------------------------------------


def _split(given: str) -> tuple[str, str]:
    first, _, middle = (given or "").strip().partition(" ")
    return first, middle.strip()


def nominal_frame(queryset=None):
    """Nominals (default: every nominal outside a compartment) as the engine's raw table, ``id``
    the nominal's primary key; each alias is a further row ``<pk>~<n>`` for the same nominal."""
    import pandas as pd

    queryset = Nominal.objects.filter(compartment__isnull=True) if queryset is None else queryset
    rows = []
    for pk, family, given, dob, gender in queryset.values_list(
        "pk", "family_name", "given_names", "date_of_birth", "gender"
    ).iterator(chunk_size=5000):
        first, middle = _split(given)
        rows.append(
            (
                str(pk),
                first,
                middle,
                family,
                dob.isoformat() if dob else "",
                GENDER.get(gender, ""),
                "",
                "",
            )
        )
    aliases = Nominal.aliases.rel.related_model.objects.filter(nominal__in=queryset.values("pk"))
    for n, (pk, family, given, dob, gender) in enumerate(
        aliases.values_list(
            "nominal_id", "family_name", "given_names", "nominal__date_of_birth", "nominal__gender"
        ).iterator(chunk_size=5000)
    ):
        first, middle = _split(given)
        rows.append(
            (
                f"{pk}~{n}",
                first,
                middle,
                family,
                dob.isoformat() if dob else "",
                GENDER.get(gender, ""),
                "",
                "",
            )
        )
    return pd.DataFrame(
        rows,
        columns=[
            "id",
            "first_name",
            "middle_name",
            "surname",
            "dob",
            "gender",
            "postcode",
            "phone",
        ],
    )


def sar_subject_frame(queryset):
    import pandas as pd

    rows = []
    for pk, family, given, dob, gender, postcode, phones in queryset.values_list(
        "pk", "family_name", "given_names", "date_of_birth", "gender", "postcode", "phones"
    ).iterator(chunk_size=5000):
        first, middle = _split(given)
        rows.append(
            (
                str(pk),
                first,
                middle,
                family,
                dob.isoformat() if dob else "",
                GENDER.get(gender, ""),
                postcode or "",
                (phones or [""])[0],
            )
        )
    return pd.DataFrame(
        rows,
        columns=[
            "subject_id",
            "first_name",
            "middle_name",
            "surname",
            "dob",
            "gender",
            "postcode",
            "phone",
        ],
    )


def _nominal_pk(engine_id: str) -> int:
    return int(str(engine_id).split("~", 1)[0])


# --- models ---------------------------------------------------------------------------------------


def model_in_use() -> tuple[LinkageModel, Model]:
    row = LinkageModel.objects.filter(status=ModelStatus.IN_USE).first()
    if row is None:
        raise NoModel("No matching model is in use: train one with `socmaster linkage train`.")
    return row, Model.from_dict(row.model)


def _require_admin(user) -> None:
    if user is not None and not (
        policy.is_national_administrator(user) or user.has_role(Role.ADMINISTRATOR)
    ):
        raise PermissionDenied("Only an administrator may train or change the matching model.")


def train_model(
    user=None, *, subject_sample: int = 200_000, progress: Callable | None = None
) -> LinkageModel:
    """Train a model on the master list and the SAR subjects held, compare it with the model in
    use on the same data, and store it as a candidate (not yet in use)."""
    _require_admin(user)
    nominals = prepare(nominal_frame(), "id")
    subjects_qs = SarSubject.objects.filter(sar__compartment__isnull=True).order_by("?")[
        :subject_sample
    ]
    subjects = prepare(sar_subject_frame(subjects_qs), "subject_id")
    if len(nominals) < 10:
        raise ValidationError({"nominals": ["At least 10 nominals are needed to train a model."]})
    if progress:
        progress("read", 1, 3)
    trained = train(nominals, subjects if len(subjects) >= 10 else None)
    if progress:
        progress("trained", 2, 3)
    comparison: dict = {}
    current = LinkageModel.objects.filter(status=ModelStatus.IN_USE).first()
    if current is not None:
        try:
            old = Model.from_dict(current.model)
            comparison = {
                "against_version": current.version,
                **compare(old, trained, nominals, subjects if len(subjects) else None),
            }
        except ModelError as exc:  # the settings changed shape: nothing to compare pair by pair
            comparison = {"against_version": current.version, "error": str(exc)}
    if progress:
        progress("compared", 3, 3)
    with transaction.atomic():
        version = (LinkageModel.objects.aggregate(v=Max("version"))["v"] or 0) + 1
        row = LinkageModel.objects.create(
            version=version,
            model=trained.to_dict(),
            trained_at=timezone.now(),
            trained_by=user,
            comparison=comparison,
        )
        audit.record(AuditAction.CREATE, row, user=user, changes={"training": trained.training})
    return row


def put_into_use(user, version: int, reason: str) -> LinkageModel:
    """Put a trained model into use (the one in use is retired), after its comparison has been
    seen. Audited."""
    _require_admin(user)
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise ValidationError({"reason": ["Say why this model should be put into use."]})
    with transaction.atomic():
        row = LinkageModel.objects.select_for_update().filter(version=version).first()
        if row is None:
            raise ValidationError({"version": [f"No model version {version}."]})
        if row.status != ModelStatus.CANDIDATE:
            raise ValidationError(
                {
                    "version": [
                        f"Model v{version} is {row.get_status_display().lower()}, not waiting."
                    ]
                }
            )
        for old in LinkageModel.objects.select_for_update().filter(status=ModelStatus.IN_USE):
            old.status = ModelStatus.RETIRED
            old.save(update_fields=["status"])
            audit.record(
                AuditAction.TRANSITION,
                old,
                user=user,
                reason=reason,
                changes={"status": {"before": "in_use", "after": "retired"}},
            )
        row.status, row.decided_at, row.decided_by, row.reason = (
            ModelStatus.IN_USE,
            timezone.now(),
            user,
            reason,
        )
        row.save(update_fields=["status", "decided_at", "decided_by", "reason"])
        audit.record(
            AuditAction.TRANSITION,
            row,
            user=user,
            reason=reason,
            changes={"status": {"before": "candidate", "after": "in_use"}},
        )
    return row


# --- screening ------------------------------------------------------------------------------------


def _tiers(nominal_ids: Iterable[int]) -> dict[int, int]:
    """Each nominal's most serious (lowest) current threat tier."""
    rows = (
        ThreatMember.objects.filter(
            nominal_id__in=list(nominal_ids), to_date__isnull=True, threat__tier__isnull=False
        )
        .values("nominal_id")
        .annotate(tier=Min("threat__tier"))
    )
    return {r["nominal_id"]: r["tier"] for r in rows}


def _kept_apart(subject_field: str, subject_id: int, nominal_id: int) -> list[int]:
    """Nominals this subject is already linked to that a reviewer decided are not the same person
    as ``nominal_id`` (directly, as a duplicate pair): linking would join them."""
    linked = set(
        CandidateMatch.objects.filter(**{subject_field: subject_id}, status=MatchStatus.LINKED)
        .exclude(nominal_id=nominal_id)
        .values_list("nominal_id", flat=True)
    )
    if not linked:
        return []
    apart = CandidateMatch.objects.filter(
        status=MatchStatus.NOT_SAME, kind=SubjectKind.NOMINAL
    ).filter(
        Q(nominal_id=nominal_id, other_nominal_id__in=linked)
        | Q(other_nominal_id=nominal_id, nominal_id__in=linked)
    )
    out = set()
    for a, b in apart.values_list("nominal_id", "other_nominal_id"):
        out.add(b if a == nominal_id else a)
    # A subject linked to one nominal that a reviewer said is not this subject's other match.
    return sorted(out)


def screen_sars(
    sars,
    *,
    user=None,
    owner=None,
    progress: Callable | None = None,
    run: ScreeningRun | None = None,
) -> ScreeningRun:
    """Screen the subjects of ``sars`` (a queryset) against the master list with the model in
    use; store candidate matches and set each SAR's screening status. ``run``: a queued run to
    carry out (otherwise one is made)."""
    row, model = model_in_use()
    if run is None:
        run = ScreeningRun.objects.create(
            kind=SubjectKind.SAR_SUBJECT,
            owner=owner,
            started_by=user,
            model_version=row.version,
            status=RunStatus.RUNNING,
        )
    else:
        run.status, run.model_version = RunStatus.RUNNING, row.version
        run.save(update_fields=["status", "model_version"])
    try:
        counts = _screen_sar_subjects(run, model, sars, progress)
    except Exception as exc:
        ScreeningRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        raise
    run.status, run.counts, run.finished_at = RunStatus.DONE, counts, timezone.now()
    run.save(update_fields=["status", "counts", "finished_at"])
    return run


def _tell(run, progress, step: str, done: int, total: int) -> None:
    run.progress = {"step": step, "done": done, "total": total}
    ScreeningRun.objects.filter(pk=run.pk).update(progress=run.progress)
    if progress:
        progress(step, done, total)


def _screen_sar_subjects(run, model: Model, sars, progress) -> dict[str, int]:
    subjects_qs = SarSubject.objects.filter(sar__in=sars)
    subjects = sar_subject_frame(subjects_qs)
    _tell(run, progress, "read", 1, 4)
    nominals = prepare(nominal_frame(), "id")
    pairs = (
        predict(model, nominals, prepare(subjects, "subject_id"))
        if len(subjects) and len(nominals)
        else None
    )
    _tell(run, progress, "compared", 2, 4)
    best: dict[tuple[int, int], dict] = {}
    if pairs is not None:
        for record in pairs.to_dict("records"):
            key = (int(record["subject_id"]), _nominal_pk(record["nominal_id"]))
            if key not in best or record["match_weight"] > best[key]["match_weight"]:
                best[key] = record
    rejected = set(
        CandidateMatch.objects.filter(
            sar_subject_id__in=[k[0] for k in best], status=MatchStatus.NOT_SAME
        ).values_list("sar_subject_id", "nominal_id")
    )
    tiers = _tiers({k[1] for k in best})
    counts = {"subjects": len(subjects), "linked": 0, "review": 0, "conflict": 0, "never_again": 0}
    from .engine import explain

    with transaction.atomic():
        existing = {
            (c.sar_subject_id, c.nominal_id): c
            for c in CandidateMatch.objects.select_for_update().filter(
                sar_subject_id__in=[k[0] for k in best]
            )
        }
        for (subject_id, nominal_id), record in best.items():
            if (subject_id, nominal_id) in rejected:
                counts["never_again"] += 1
                continue
            old = existing.get((subject_id, nominal_id))
            if old is not None and old.status in (
                MatchStatus.LINKED,
                MatchStatus.UNLINKED,
                MatchStatus.UNSURE,
            ):
                continue  # a reviewer's decision, or a link already made, stands
            status = (
                MatchStatus.LINKED
                if record["match_probability"] >= model.upper and not record["veto"]
                else MatchStatus.REVIEW
            )
            conflict = (
                _kept_apart("sar_subject_id", subject_id, nominal_id)
                if status == MatchStatus.LINKED
                else []
            )
            if conflict:
                status = MatchStatus.CONFLICT
            counts[str(status)] = counts.get(str(status), 0) + 1
            values = {
                "kind": SubjectKind.SAR_SUBJECT,
                "run": run,
                "model_version": run.model_version,
                "probability": float(record["match_probability"]),
                "weight": float(record["match_weight"]),
                "vetoed": bool(record["veto"]),
                "explanation": explain(model, record),
                "status": status,
                "conflict_with": conflict,
                "tier": tiers.get(nominal_id),
            }
            if old is None:
                match = CandidateMatch.objects.create(
                    sar_subject_id=subject_id, nominal_id=nominal_id, **values
                )
            else:
                for name, value in values.items():
                    setattr(match := old, name, value)
                match.save()
            if status == MatchStatus.LINKED:
                audit.record(
                    AuditAction.COMBINE,
                    match.nominal,
                    user=run.started_by,
                    reason=f"screening run {run.pk}: linked above the upper threshold",
                    changes={
                        "sar_subject": subject_id,
                        "probability": round(values["probability"], 6),
                        "model": run.model_version,
                    },
                )
        _tell(run, progress, "stored", 3, 4)
        matched = set(
            CandidateMatch.objects.filter(sar_subject__sar__in=sars)
            .exclude(status__in=[MatchStatus.NOT_SAME, MatchStatus.UNLINKED])
            .values_list("sar_subject__sar_id", flat=True)
        )
    from socmaster.intelligence import services as intelligence

    for sar in SuspiciousActivityReport.objects.filter(pk__in=sars.values("pk")):
        intelligence.set_screening(
            None, sar, ScreeningStatus.MATCHES if sar.pk in matched else ScreeningStatus.NO_MATCH
        )
    _tell(run, progress, "done", 4, 4)
    return counts


# --- what a user is shown -------------------------------------------------------------------------


def visible_candidates(user, queryset=None):
    """Candidates whose both records ``user`` may see."""
    queryset = CandidateMatch.objects.all() if queryset is None else queryset
    nominals = Nominal.objects.visible_to(user)
    return queryset.filter(nominal__in=nominals).filter(
        Q(sar_subject__in=SarSubject.objects.visible_to(user))
        | Q(other_nominal__in=nominals)
        | Q(report_subject__isnull=False, report_subject__report__in=_visible_reports(user))
    )


def _visible_reports(user):
    from socmaster.intelligence.models import IntelligenceReport

    return IntelligenceReport.objects.visible_to(user)


def review_queue(user):
    """Candidates waiting for a reviewer, most serious threat tier first, then most probable."""
    return (
        visible_candidates(
            user,
            CandidateMatch.objects.filter(status__in=[MatchStatus.REVIEW, MatchStatus.CONFLICT]),
        )
        .select_related("nominal", "sar_subject__sar")
        .order_by(*QUEUE_ORDER)
    )


def deconfliction_notices(user, subject_queryset=None):
    """For the SAR subjects ``user`` may see, the matches with nominals they may not see: only
    the owning organisation and its contact point, nothing of the nominal. Never for a partner
    user, never for a compartmented nominal."""
    if policy.is_partner_only(user) or not policy.is_police_user(user):
        return []
    subjects = (
        SarSubject.objects.visible_to(user)
        if subject_queryset is None
        else subject_queryset.filter(pk__in=SarSubject.objects.visible_to(user).values("pk"))
    )
    hidden = (
        CandidateMatch.objects.filter(sar_subject__in=subjects, nominal__compartment__isnull=True)
        .exclude(nominal__in=Nominal.objects.visible_to(user))
        .exclude(status__in=[MatchStatus.NOT_SAME, MatchStatus.UNLINKED])
        .select_related("nominal__owner", "sar_subject__sar")
    )
    notices = {}
    for match in hidden:
        owner = match.nominal.owner
        notices.setdefault(
            (match.sar_subject_id, match.nominal_id),
            {
                "subject_id": match.sar_subject_id,
                "subject": match.sar_subject,
                "owner": owner,
                "contact": _contact(owner),
                "candidate": match.pk,
            },
        )
    return list(notices.values())


def _contact(organisation) -> str:
    """Who to ask at ``organisation``: its intelligence unit (researchers), else its
    administrators, by name; else the organisation itself."""
    from socmaster.organisations.models import Membership

    today = timezone.localdate()
    for role, unit in (
        (Role.RESEARCHER, "intelligence unit"),
        (Role.ADMINISTRATOR, "administrators"),
    ):
        names = sorted(
            {
                m.user.get_full_name() or m.user.username
                for m in Membership.objects.filter(
                    organisation=organisation,
                    role=role,
                    user__is_active=True,
                    valid_from__lte=today,
                )
                .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))
                .select_related("user")
            }
        )
        if names:
            return f"{organisation.name} {unit}: {', '.join(names[:3])}"
    return organisation.name


# --- reviewers' decisions ---------------------------------------------------------------------------


def _require_both(user, match: CandidateMatch) -> None:
    require(user, Action.VIEW, match.nominal)
    require(user, Action.VIEW, match.subject)
    if (
        policy.is_read_only(user)
        or policy.is_partner_only(user)
        or not user.has_role(*REVIEWER_ROLES)
    ):
        raise PermissionDenied("You may read matches but not decide them.")


def decide(user, match: CandidateMatch, decision: str, reason: str) -> CandidateMatch:
    """Record a reviewer's decision: the same person (a link, audited as "combine"), not the
    same person (never proposed again for this pair) or unsure."""
    _require_both(user, match)
    if decision not in Decision.values:
        raise ValidationError({"decision": ["Choose same person, not the same person or unsure."]})
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise ValidationError(
            {"reason": ["Give the reason for your decision (at least 5 characters)."]}
        )
    with transaction.atomic():
        match = CandidateMatch.objects.select_for_update().get(pk=match.pk)
        before = match.status
        after = DECISION_STATUS[decision]
        if decision == Decision.SAME and match.sar_subject_id:
            conflict = _kept_apart("sar_subject_id", match.sar_subject_id, match.nominal_id)
            if conflict:
                raise ValidationError(
                    {
                        "decision": [
                            "Linking would join people a reviewer has kept apart: decide that conflict first."
                        ]
                    }
                )
        match.status = after
        match.save(update_fields=["status", "updated_at"])
        MatchDecision.objects.create(
            candidate=match, decision=decision, reason=reason, decided_by=user
        )
        action = AuditAction.COMBINE if decision == Decision.SAME else AuditAction.UPDATE
        audit.record(
            action,
            match.nominal,
            user=user,
            reason=reason,
            changes={"candidate": match.pk, "status": {"before": before, "after": after}},
        )
    return match


def unlink(user, match: CandidateMatch, reason: str) -> CandidateMatch:
    """Take a link back (audited). The pair may be proposed again by a later run."""
    _require_both(user, match)
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise ValidationError({"reason": ["Give the reason for taking the link back."]})
    with transaction.atomic():
        match = CandidateMatch.objects.select_for_update().get(pk=match.pk)
        if match.status != MatchStatus.LINKED:
            raise ValidationError({"status": ["Only a link can be taken back."]})
        match.status = MatchStatus.UNLINKED
        match.save(update_fields=["status", "updated_at"])
        MatchDecision.objects.create(
            candidate=match, decision="unlink", reason=reason, decided_by=user
        )
        audit.record(
            AuditAction.UPDATE,
            match.nominal,
            user=user,
            reason=reason,
            changes={"candidate": match.pk, "status": {"before": "linked", "after": "unlinked"}},
        )
    return match


# --- deconfliction ----------------------------------------------------------------------------------


def request_access(user, match: CandidateMatch, reason: str) -> AccessRequest:
    """Ask the owner of a nominal the user may not see for access, from a deconfliction notice."""
    if policy.is_partner_only(user) or not policy.is_police_user(user):
        raise PermissionDenied("Partner users cannot request access to police records.")
    require(user, Action.VIEW, match.subject)
    nominal = match.nominal
    if nominal.compartment_id is not None:
        raise PermissionDenied("No such notice.")
    if policy.can(user, Action.VIEW, nominal):
        raise ValidationError({"nominal": ["You can already see this record."]})
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise ValidationError({"reason": ["Say why you need access (at least 5 characters)."]})
    organisation = next((m.organisation for m in user.active_memberships), None)
    if organisation is None:
        raise PermissionDenied("You have no organisation to share the record with.")
    with transaction.atomic():
        if AccessRequest.objects.filter(
            nominal=nominal, requesting_organisation=organisation, status=AccessRequestStatus.OPEN
        ).exists():
            raise ValidationError(
                {
                    "nominal": [
                        "Your organisation has already asked; the owner has not answered yet."
                    ]
                }
            )
        request = AccessRequest.objects.create(
            nominal=nominal,
            requester=user,
            requesting_organisation=organisation,
            owner=nominal.owner,
            reason=reason,
        )
        audit.record(
            AuditAction.CREATE, request, user=user, reason=reason, organisation=organisation
        )
    return request


def answer_access(user, request: AccessRequest, approve: bool, answer: str) -> AccessRequest:
    """The owner approves (the nominal is shared with the requesting organisation: audited as a
    disclosure) or declines with a reason."""
    if not any(
        m.organisation_id == request.owner_id for m in user.active_memberships
    ) or policy.is_read_only(user):
        raise PermissionDenied("Only the owning organisation can answer.")
    answer = (answer or "").strip()
    if not approve and len(answer) < MIN_REASON:
        raise ValidationError({"answer": ["Give the reason for declining."]})
    with transaction.atomic():
        request = AccessRequest.objects.select_for_update().get(pk=request.pk)
        if request.status != AccessRequestStatus.OPEN:
            raise ValidationError({"status": ["This request has already been answered."]})
        request.status = AccessRequestStatus.APPROVED if approve else AccessRequestStatus.DECLINED
        request.answer, request.answered_by, request.answered_at = answer, user, timezone.now()
        request.save()
        if approve:
            nominal = request.nominal
            changes = {"shared_with": request.requesting_organisation.pk, "request": request.pk}
            if nominal.handling == Handling.OWNER:  # owner-only ignores sharing: name them
                Nominal.objects.filter(pk=nominal.pk).update(handling=Handling.NAMED)
                changes["handling"] = {"before": Handling.OWNER, "after": Handling.NAMED}
            nominal.shared_with.add(request.requesting_organisation)
            audit.record(
                AuditAction.DISCLOSE,
                nominal,
                user=user,
                reason=answer or "access request approved",
                organisation=request.requesting_organisation,
                changes=changes,
            )
        audit.record(
            AuditAction.UPDATE,
            request,
            user=user,
            reason=answer,
            changes={"status": {"before": "open", "after": request.status}},
        )
    return request


def access_requests_for(user):
    """Requests made by, or to, the user's organisations."""
    orgs = [m.organisation_id for m in user.active_memberships]
    return AccessRequest.objects.filter(
        Q(owner_id__in=orgs) | Q(requesting_organisation_id__in=orgs)
    ).select_related("owner", "requesting_organisation")


# --- background screening runs ---------------------------------------------------------------------


def _may_screen(user, organisation) -> bool:
    return (
        user is not None
        and not policy.is_read_only(user)
        and any(
            m.organisation_id == organisation.pk and m.role in (*REVIEWER_ROLES, Role.ADMINISTRATOR)
            for m in user.active_memberships
        )
    )


def start_sar_screening(user, organisation, *, include_screened: bool = False) -> ScreeningRun:
    """Queue a run screening ``organisation``'s SARs (those not yet screened, or all) in the
    background (:func:`linkage.tasks.run_screening`); its page shows the progress."""
    if not _may_screen(user, organisation):
        raise PermissionDenied("You may screen only your own organisation's SARs.")
    row, _ = model_in_use()
    if ScreeningRun.objects.filter(
        owner=organisation, status__in=[RunStatus.QUEUED, RunStatus.RUNNING]
    ).exists():
        raise ValidationError(
            {"organisation": ["A screening run for this organisation has not finished yet."]}
        )
    run = ScreeningRun.objects.create(
        kind=SubjectKind.SAR_SUBJECT,
        owner=organisation,
        started_by=user,
        model_version=row.version,
        scope={"organisation": organisation.pk, "include_screened": include_screened},
    )
    audit.record(AuditAction.CREATE, run, user=user, changes={"scope": run.scope})
    return run


def sars_in_scope(scope: dict):
    sars = SuspiciousActivityReport.objects.filter(
        owner_id=scope["organisation"], compartment__isnull=True
    )
    if not scope.get("include_screened"):
        sars = sars.filter(screening_status=ScreeningStatus.NOT_SCREENED)
    return sars


def run_queued(run: ScreeningRun, progress: Callable | None = None) -> ScreeningRun:
    """Run a queued screening run (the background task calls this)."""
    if run.status != RunStatus.QUEUED:
        return run
    return screen_sars(
        sars_in_scope(run.scope), user=run.started_by, owner=run.owner, progress=progress, run=run
    )


def runs_for(user, queryset=None):
    """Screening runs ``user`` may see: their own, and those of organisations they administer
    (as imports)."""
    queryset = ScreeningRun.objects.all() if queryset is None else queryset
    if not user.is_authenticated or not user.is_active:
        return queryset.none()
    return queryset.filter(
        Q(started_by_id=user.pk) | Q(owner_id__in=policy.administered_organisation_ids(user))
    )


# --- what the LRO and the record pages are told ---------------------------------------------------


def _current_nominals_of(threats):
    return ThreatMember.objects.filter(threat__in=threats, to_date__isnull=True).values(
        "nominal_id"
    )


def lro_alerts(user):
    """Links (SAR or intelligence subjects) to nominals of the threats ``user`` is the LRO of,
    that they have not marked as seen."""
    from socmaster.threats.models import Threat

    threats = Threat.objects.visible_to(user).filter(lro=user)
    return visible_candidates(
        user,
        CandidateMatch.objects.filter(
            status=MatchStatus.LINKED,
            lro_seen=False,
            nominal_id__in=_current_nominals_of(threats),
        ).exclude(kind=SubjectKind.NOMINAL),
    )


def mark_seen(user, match: CandidateMatch) -> None:
    """The LRO has seen the link: it leaves their attention list."""
    _require_visible(user, match)
    if not lro_alerts(user).filter(pk=match.pk).exists():
        raise PermissionDenied("Only the LRO of the nominal's threat marks the link as seen.")
    CandidateMatch.objects.filter(pk=match.pk).update(lro_seen=True)
    audit.record(
        AuditAction.UPDATE,
        match.nominal,
        user=user,
        changes={"candidate": match.pk, "lro_seen": {"before": False, "after": True}},
    )


def _require_visible(user, match: CandidateMatch) -> None:
    if not visible_candidates(user).filter(pk=match.pk).exists():
        raise Http404("No such match.")


def get_visible_or_404(user, pk) -> CandidateMatch:
    """A candidate match ``user`` may see (both records), or 404 exactly like a missing one."""
    match = (
        visible_candidates(user)
        .select_related("nominal__owner", "sar_subject__sar", "other_nominal", "report_subject")
        .filter(pk=pk)
        .first()
    )
    if match is None:
        raise Http404("No such match.")
    return match


def matches_of_nominal(user, nominal):
    """Links and open candidates of one nominal, for its page (records the user may see)."""
    return visible_candidates(
        user,
        CandidateMatch.objects.filter(
            Q(nominal=nominal) | Q(other_nominal=nominal),
            status__in=[MatchStatus.LINKED, *OPEN],
        ),
    ).select_related("sar_subject__sar", "nominal", "other_nominal")


def matches_of_sar(user, sar):
    """The SAR's subjects' links and open candidates the user may see, and how many of its
    subjects match a record held elsewhere (deconfliction)."""
    subjects = sar.subjects.all()
    visible = visible_candidates(
        user,
        CandidateMatch.objects.filter(
            sar_subject__in=subjects, status__in=[MatchStatus.LINKED, *OPEN]
        ),
    ).select_related("nominal", "sar_subject")
    return visible, deconfliction_notices(user, subjects)


def linked_to_threat(user, threat):
    """Subjects linked to the threat's current nominals (what its page shows)."""
    return visible_candidates(
        user,
        CandidateMatch.objects.filter(
            status=MatchStatus.LINKED, nominal_id__in=_current_nominals_of([threat])
        ).exclude(kind=SubjectKind.NOMINAL),
    ).select_related("nominal", "sar_subject__sar")


# --- one-record lookup ------------------------------------------------------------------------------

_LOOKUP: dict = {}


def _lookup():
    """The lookup over every nominal outside compartments, built once per model and master-list
    state and kept in the process."""
    from .engine import Lookup

    row, model = model_in_use()
    state = Nominal.objects.aggregate(n=Count("pk"), last=Max("pk"), versions=Sum("lock_version"))
    aliases = Nominal.aliases.rel.related_model.objects.aggregate(n=Count("pk"), last=Max("pk"))
    key = (row.version, tuple(state.values()), tuple(aliases.values()))
    if _LOOKUP.get("key") != key:
        _LOOKUP.clear()
        _LOOKUP.update(key=key, lookup=Lookup(model, prepare(nominal_frame(), "id")))
    return _LOOKUP["lookup"]


def forget_lookup() -> None:
    """Drop the process's lookup (it is rebuilt on the next use)."""
    _LOOKUP.clear()


def possible_matches(user, person: dict, *, limit: int = 5) -> dict:
    """Possible matches for one person being typed in (``first_name``, ``middle_name``,
    ``surname``, ``dob``, ``gender``, ``postcode``, ``phone``): the nominals the user may see,
    best first, and, for police users, whether an organisation holds a matching person the
    user may not see (its name and contact only)."""
    try:
        found = _lookup().matches(person, limit=limit * 4)
    except NoModel:
        return {"visible": [], "elsewhere": [], "model": None}
    best: dict[int, dict] = {}
    for match in found:
        pk = _nominal_pk(match["nominal_id"])
        if pk not in best or match["match_weight"] > best[pk]["match_weight"]:
            best[pk] = match
    nominals = Nominal.objects.in_bulk(list(best))
    visible_ids = set(
        Nominal.objects.visible_to(user).filter(pk__in=list(best)).values_list("pk", flat=True)
    )
    visible, elsewhere = [], {}
    for pk, match in sorted(best.items(), key=lambda kv: -kv[1]["match_weight"]):
        nominal = nominals.get(pk)
        if nominal is None or nominal.compartment_id is not None:
            continue
        if pk in visible_ids:
            visible.append({"nominal": nominal, **match})
        elif policy.is_police_user(user) and not policy.is_partner_only(user):
            elsewhere.setdefault(
                nominal.owner_id, {"owner": nominal.owner, "contact": _contact(nominal.owner)}
            )
    return {"visible": visible[:limit], "elsewhere": list(elsewhere.values()), "model": True}
