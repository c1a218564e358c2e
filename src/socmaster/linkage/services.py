"""Entity resolution's one way in: training and putting models into use, screening, reviewers'
decisions, unlinking and deconfliction. Views, the API and the commands call these; each checks
rights, writes in one transaction and records an audit entry.

Screening compares a batch with **every** nominal outside compartments, not only those the user
may see: a match with a nominal the user may not see is what deconfliction tells them about
(existence without content). What each user is shown is filtered by the access policy at read
time (:func:`visible_candidates`, :func:`deconfliction_notices`).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Q, Sum
from django.http import Http404
from django.utils import timezone

from socmaster.core import audit, policy
from socmaster.core.choices import Action, AuditAction, Handling
from socmaster.core.reasons import MIN_REASON_LENGTH
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

MIN_REASON = MIN_REASON_LENGTH
GENDER = {"male": "M", "female": "F"}
PERSON_COLUMNS = ["first_name", "middle_name", "surname", "dob", "gender", "postcode", "phone"]
#: Roles that may decide whether two records are the same person (in an organisation that may
#: see both records).
REVIEWER_ROLES = (Role.ANALYST, Role.RESEARCHER, Role.LRO, Role.SIO)
#: The review queue's order: the most serious threat tier first (no threat last), then the most
#: probable.
QUEUE_ORDER = (F("visible_tier").asc(nulls_last=True), "-probability", "id")


def is_police_member(user) -> bool:
    """Does ``user`` work in a police or agency organisation now (not only in partners, and not
    with no membership at all)? Only such users are told of records held elsewhere."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or any(not m.organisation.is_partner for m in user.active_memberships)


class NoModel(Exception):
    """No matching model is in use yet."""


# --- person records as the engine's tables -------------------------------------------------------


def _split(given: str) -> tuple[str, str]:
    first, _, middle = (given or "").strip().partition(" ")
    return first, middle.strip()


def _person_row(key, family, given, dob, gender, postcode="", phone="") -> tuple:
    """One person record as a row of the engine's raw table."""
    first, middle = _split(given)
    dob = dob.isoformat() if dob else ""
    return (
        str(key),
        first,
        middle,
        family,
        dob,
        GENDER.get(gender, ""),
        postcode or "",
        phone or "",
    )


def _frame(rows, id_column: str):
    import pandas as pd

    return pd.DataFrame(rows, columns=[id_column, *PERSON_COLUMNS])


def nominal_frame(queryset=None):
    """Nominals (default: every nominal outside a compartment) as the engine's raw table, ``id``
    the nominal's primary key; each alias is a further row ``<pk>~<n>`` for the same nominal."""
    queryset = Nominal.objects.filter(compartment__isnull=True) if queryset is None else queryset
    contact = _first_identifiers(queryset)
    fields = ("family_name", "given_names", "date_of_birth", "gender")
    rows = [
        _person_row(pk, *values, *contact.get(pk, ("", "")))
        for pk, *values in queryset.values_list("pk", *fields).iterator(chunk_size=5000)
    ]
    aliases = Nominal.aliases.rel.related_model.objects.filter(nominal__in=queryset.values("pk"))
    for n, (pk, *values) in enumerate(
        aliases.values_list(
            "nominal_id", "family_name", "given_names", "nominal__date_of_birth", "nominal__gender"
        ).iterator(chunk_size=5000)
    ):
        rows.append(_person_row(f"{pk}~{n}", *values, *contact.get(pk, ("", ""))))
    return _frame(rows, "id")


def _first_identifiers(queryset) -> dict[int, tuple[str, str]]:
    """Each nominal's first recorded postcode and phone (its identifiers), for the comparison."""
    from socmaster.threats.models import Identifier

    found: dict[int, dict[str, str]] = {}
    for pk, kind, value in (
        Identifier.objects.filter(nominal__in=queryset.values("pk"), kind__in=("postcode", "phone"))
        .order_by("nominal_id", "pk")
        .values_list("nominal_id", "kind", "value")
        .iterator(chunk_size=5000)
    ):
        found.setdefault(pk, {}).setdefault(kind, value)
    return {pk: (v.get("postcode", ""), v.get("phone", "")) for pk, v in found.items()}


def sar_subject_frame(queryset):
    """SAR subjects as the engine's raw table (``subject_id`` their key; the first phone)."""
    rows = [
        _person_row(*values, (phones or [""])[0])
        for *values, phones in queryset.values_list(
            "pk", "family_name", "given_names", "date_of_birth", "gender", "postcode", "phones"
        ).iterator(chunk_size=5000)
    ]
    return _frame(rows, "subject_id")


def _nominal_pk(engine_id: str) -> int:
    return int(str(engine_id).split("~", 1)[0])


# --- models ---------------------------------------------------------------------------------------


def model_in_use() -> tuple[LinkageModel, Model]:
    row = LinkageModel.objects.filter(status=ModelStatus.IN_USE).first()
    if row is None:
        raise NoModel("No matching model is in use: train one with `socmaster linkage train`.")
    return row, Model.from_dict(row.model)


def may_change_models(user) -> bool:
    """The matching model serves every organisation: only a national administrator changes it
    (``user`` None: the command line)."""
    return user is None or (
        policy.is_national_administrator(user) and not policy.is_read_only(user)
    )


def _require_admin(user) -> None:
    if not may_change_models(user):
        raise PermissionDenied(
            "Only a national administrator may train or change the matching model."
        )


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


def with_tier(queryset, user):
    """Annotate each match with its nominal's most serious current threat tier among the
    threats ``user`` may see (``visible_tier``): a hidden threat's tier is never shown, nor
    used to order what the user sees."""
    from django.db.models import OuterRef, Subquery

    from socmaster.threats.models import Threat

    tiers = (
        ThreatMember.objects.filter(
            nominal_id=OuterRef("nominal_id"),
            to_date__isnull=True,
            threat__tier__isnull=False,
            threat__in=Threat.objects.visible_to(user),
        )
        .order_by("threat__tier")
        .values("threat__tier")[:1]
    )
    return queryset.annotate(visible_tier=Subquery(tiers))


def _kept_apart(linked: set[int], nominal_id: int) -> list[int]:
    """Of the nominals a subject is already ``linked`` to, those a reviewer decided are not the
    same person as ``nominal_id`` (as a pair of possible duplicates): linking would join them.
    Only such direct decisions are followed, not chains of links."""
    linked = set(linked) - {nominal_id}
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
        scope = {"organisation": getattr(owner, "pk", None), "sars": sars.count()}
        run = _new_run(
            SubjectKind.SAR_SUBJECT, user=user, owner=owner, version=row.version, scope=scope
        )
    return _carry_out(run, row.version, lambda: _screen_sar_subjects(run, model, sars, progress))


def _new_run(kind, *, user, version: int, scope: dict, owner=None, reason: str = ""):
    """A screening run, queued (audited as created)."""
    with transaction.atomic():
        run = ScreeningRun.objects.create(
            kind=kind, owner=owner, started_by=user, model_version=version, scope=scope
        )
        audit.record(AuditAction.CREATE, run, user=user, reason=reason, changes={"scope": scope})
    return run


def _carry_out(run: ScreeningRun, version: int, work: Callable[[], dict]) -> ScreeningRun:
    """Run ``work`` (which returns the run's counts) as ``run``: running, then done with its
    counts (and any ``results`` it set on the run), or failed with the error, re-raised."""
    run.status, run.model_version = RunStatus.RUNNING, version
    run.save(update_fields=["status", "model_version"])
    try:
        counts = work()
    except Exception as exc:
        ScreeningRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        raise
    run.status, run.counts, run.finished_at = RunStatus.DONE, counts, timezone.now()
    run.save(update_fields=["status", "counts", "results", "finished_at"])
    return run


def _tell(run, progress, step: str, done: int, total: int) -> None:
    run.progress = {"step": step, "done": done, "total": total}
    ScreeningRun.objects.filter(pk=run.pk).update(progress=run.progress)
    if progress:
        progress(step, done, total)


def _screen_subjects(run, model: Model, field: str, subjects, progress) -> dict[str, int]:
    """Screen a table of person records (``subjects``, the engine's raw columns, keyed by the
    ``field`` record's primary key) against every nominal outside compartments and store the
    candidates. Call inside the run's transaction."""
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
    counts = {"subjects": len(subjects), "linked": 0, "review": 0, "conflict": 0, "never_again": 0}

    subject_ids = sorted({k[0] for k in best})
    column = f"{field}_id"
    with transaction.atomic():
        existing: dict[tuple[int, int], CandidateMatch] = {}
        for chunk in _chunks(subject_ids):
            for c in CandidateMatch.objects.select_for_update().filter(**{f"{column}__in": chunk}):
                existing[(getattr(c, column), c.nominal_id)] = c
        linked: dict[int, set[int]] = {}  # subject -> nominals it is linked to
        for (subject_id, nominal_id), c in existing.items():
            if c.status == MatchStatus.LINKED:
                linked.setdefault(subject_id, set()).add(nominal_id)

        def on_link(pair) -> list[int]:
            subject_id, nominal_id = pair
            conflict = _kept_apart(linked.get(subject_id, set()), nominal_id)
            if not conflict:
                linked.setdefault(subject_id, set()).add(nominal_id)
            return conflict

        stored, combined = _store_candidates(
            run,
            model,
            best,
            existing,
            kind=SubjectKind(field),
            names=lambda pair: {column: pair[0], "nominal_id": pair[1]},
            on_link=on_link,
        )
        for name, n in stored.items():
            counts[name] += n
        _audit_links(run, combined, key=field)
    return counts


def _store_candidates(run, model: Model, best: dict, existing: dict, *, kind, names, on_link=None):
    """Store a run's candidates, the one place their rules are kept: ``best`` maps a pair to its
    engine record, ``existing`` a pair to its stored candidate, ``names(pair)`` the fields that
    name a new candidate's two records, ``on_link(pair)`` the nominals a link would join that a
    reviewer kept apart (then it is a conflict, not a link).

    A pair decided *not the same person* is never proposed again; a link, an unlinked pair and
    an unsure decision stand; the rest is linked at or above the upper threshold unless vetoed,
    else reviewed. Returns the counts and the links made ``(pair..., probability)``."""
    from .engine import explain

    counts = {"linked": 0, "review": 0, "conflict": 0, "never_again": 0}
    new, changed, combined = [], [], []
    for pair, record in sorted(best.items()):
        old = existing.get(pair)
        if old is not None and old.status == MatchStatus.NOT_SAME:
            counts["never_again"] += 1
            continue
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
        conflict = on_link(pair) if on_link and status == MatchStatus.LINKED else []
        if conflict:
            status = MatchStatus.CONFLICT
        counts[str(status)] += 1
        values = {
            "kind": kind,
            "run": run,
            "model_version": run.model_version,
            "probability": float(record["match_probability"]),
            "weight": float(record["match_weight"]),
            "vetoed": bool(record["veto"]),
            "explanation": explain(model, record),
            "status": status,
            "conflict_with": conflict,
        }
        if old is None:
            new.append(CandidateMatch(**names(pair), **values))
        else:
            for name, value in values.items():
                setattr(old, name, value)
            changed.append(old)
        if status == MatchStatus.LINKED:
            combined.append((*pair, values["probability"]))
    CandidateMatch.objects.bulk_create(new, batch_size=500)
    CandidateMatch.objects.bulk_update(
        changed,
        ["run", "model_version", "probability", "weight", "vetoed", "explanation", "status"]
        + ["conflict_with", "updated_at"],
        batch_size=500,
    )
    return counts, combined


def _screen_sar_subjects(run, model: Model, sars, progress) -> dict[str, int]:
    subjects = sar_subject_frame(SarSubject.objects.filter(sar__in=sars))
    with transaction.atomic():
        counts = _screen_subjects(run, model, "sar_subject", subjects, progress)
        _tell(run, progress, "stored", 3, 4)
        matched = set(
            CandidateMatch.objects.filter(sar_subject__sar__in=sars)
            .exclude(status__in=[MatchStatus.NOT_SAME, MatchStatus.UNLINKED])
            .values_list("sar_subject__sar_id", flat=True)
        )
        from socmaster.intelligence import services as intelligence

        intelligence.set_screening_many(
            {
                pk: ScreeningStatus.MATCHES if pk in matched else ScreeningStatus.NO_MATCH
                for pk in SuspiciousActivityReport.objects.filter(
                    pk__in=sars.values("pk")
                ).values_list("pk", flat=True)
            }
        )
    _tell(run, progress, "done", 4, 4)
    return counts


def report_subject_frame(queryset):
    """Intelligence report subjects as the engine's raw table (``subject_id`` their key)."""
    rows = [
        _person_row(*values)
        for values in queryset.values_list(
            "pk", "family_name", "given_names", "date_of_birth", "gender", "postcode", "phone"
        ).iterator(chunk_size=5000)
    ]
    return _frame(rows, "subject_id")


def screen_reports(
    reports, *, user=None, owner=None, progress: Callable | None = None, run=None
) -> ScreeningRun:
    """Screen the subjects of intelligence ``reports`` (a queryset) against the master list: as
    for SARs, links above the upper threshold, the rest for review. A subject the researcher
    already tied to a nominal is screened too (it may also match another)."""
    from socmaster.intelligence.models import ReportSubject

    row, model = model_in_use()
    if run is None:
        scope = {"organisation": getattr(owner, "pk", None), "reports": reports.count()}
        run = _new_run(
            SubjectKind.REPORT_SUBJECT, user=user, owner=owner, version=row.version, scope=scope
        )

    def work():
        subjects = report_subject_frame(
            ReportSubject.objects.filter(report__in=reports.filter(compartment__isnull=True))
        )
        with transaction.atomic():
            counts = _screen_subjects(run, model, "report_subject", subjects, progress)
        _tell(run, progress, "done", 4, 4)
        return counts

    return _carry_out(run, row.version, work)


#: The most people of one uploaded list whose matches are kept for its page and download.
LIST_RESULTS_KEPT = 20_000
#: The largest list accepted from the page (the command line, ``socmaster screen``, takes more).
LIST_MAX_ROWS = 200_000


def start_list_screening(user, organisation, path, *, source_name: str, reason: str):
    """Check an uploaded list of people (the ``socmaster screen`` subjects format: every
    problem by row, nothing queued if any) and queue it to be screened against the master list
    for ``user``. The file is removed once screened."""
    from .engine.files import FileError, read_people

    if not _may_screen(user, organisation):
        raise PermissionDenied("You may screen lists only for your own police organisation.")
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise ValidationError({"reason": ["Say why you are screening this list."]})
    try:
        frame = read_people(path, "subject_id")
    except FileError as exc:
        raise ValidationError({"file": exc.problems}) from None
    if len(frame) > LIST_MAX_ROWS:
        raise ValidationError(
            {"file": [f"{len(frame):,} people: the page takes up to {LIST_MAX_ROWS:,}."]}
        )
    row, _ = model_in_use()
    scope = {
        "file": str(path),
        "source_name": source_name[:200],
        "rows": len(frame),
        "reason": reason,
    }
    return _new_run(
        SubjectKind.LIST,
        user=user,
        owner=organisation,
        version=row.version,
        scope=scope,
        reason=reason,
    )


def screen_list(run: ScreeningRun, progress: Callable | None = None) -> ScreeningRun:
    """Screen a queued uploaded list: for each person, the best match at or above the lower
    threshold among every nominal outside compartments. A nominal the starter may see is named
    (linked above the upper threshold and not vetoed, else possible); one they may not see is
    told only as its holding organisation and contact (police users only). Nothing is written
    to the master list; the reading is logged as a search."""
    from pathlib import Path

    from django.http import QueryDict

    from socmaster.core.services import record_search

    from .engine.files import read_people

    row, model = model_in_use()
    path = Path(run.scope["file"])

    def work():
        people = read_people(path, "subject_id")
        _tell(run, progress, "read", 1, 4)
        nominals = prepare(nominal_frame(), "id")
        pairs = predict(model, nominals, prepare(people, "subject_id")) if len(people) else None
        _tell(run, progress, "compared", 2, 4)
        run.results, counts = _list_results(run, model, people, pairs)
        with transaction.atomic():
            record_search(
                run.started_by,
                Nominal,
                params=QueryDict(f"list={run.pk}"),
                count=counts["linked"] + counts["possible"],
                where=f"screening run {run.pk} ({run.scope.get('source_name', '')})",
            )
        _tell(run, progress, "done", 4, 4)
        return counts

    try:
        return _carry_out(run, row.version, work)
    finally:
        path.unlink(missing_ok=True)


def _list_results(run, model: Model, people, pairs) -> tuple[list[dict], dict[str, int]]:
    user = run.started_by
    best: dict[str, dict] = {}
    if pairs is not None:
        for record in pairs.sort_values(["subject_id", "match_weight"]).to_dict("records"):
            best[record["subject_id"]] = record  # the heaviest last
    by_id = {r["subject_id"]: r for r in people.to_dict("records")}
    nominal_pks = {_nominal_pk(r["nominal_id"]) for r in best.values()}
    nominals = Nominal.objects.select_related("owner").in_bulk(list(nominal_pks))
    visible = set(
        Nominal.objects.visible_to(user)
        .filter(pk__in=list(nominal_pks))
        .values_list("pk", flat=True)
    )
    police, contacts = is_police_member(user), {}
    results = []
    counts = {"people": len(people), "linked": 0, "possible": 0, "elsewhere": 0}
    for subject_id, record in sorted(best.items()):
        nominal = nominals.get(_nominal_pk(record["nominal_id"]))
        if nominal is None or nominal.compartment_id is not None:
            continue
        person = by_id[subject_id]
        entry = {
            "subject_id": subject_id,
            "name": " ".join(
                p for p in (person["first_name"], person["middle_name"], person["surname"]) if p
            ),
            "dob": person["dob"],
        }
        if nominal.pk in visible:
            linked = record["match_probability"] >= model.upper and not record["veto"]
            counts["linked" if linked else "possible"] += 1
            entry |= {
                "status": "linked" if linked else "possible",
                "nominal": nominal.reference,
                "nominal_name": str(nominal),
                "probability": round(float(record["match_probability"]), 4),
            }
        elif police:
            counts["elsewhere"] += 1
            if nominal.owner_id not in contacts:
                contacts[nominal.owner_id] = _contact(nominal.owner)
            entry |= {
                "status": "elsewhere",
                "owner": nominal.owner.name,
                "contact": contacts[nominal.owner_id],
            }
        else:
            continue
        if len(results) < LIST_RESULTS_KEPT:
            results.append(entry)
    return results, counts


def _chunks(values: list, size: int = 2000):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _audit_links(run, combined: list[tuple[int, int, float]], *, key: str = "sar_subject") -> None:
    """One "combine" entry on each nominal a run linked a subject (or, for duplicates, another
    nominal: ``key``) to, written in one go."""
    if not combined:
        return
    owners = {}
    for chunk in _chunks(sorted({n for _, n, _ in combined})):
        for n in Nominal.objects.filter(pk__in=chunk):
            owners[n.pk] = (n.owner_id, n.compartment_id, str(n))
    user = run.started_by
    audit.record_rows(
        AuditAction.COMBINE,
        (
            {
                "user_id": getattr(user, "pk", None),
                "username": getattr(user, "username", ""),
                "record_type": audit.record_type_of(Nominal),
                "record_id": str(nominal_id),
                "record_repr": owners[nominal_id][2],
                "record_owner_id": owners[nominal_id][0],
                "record_compartment_id": owners[nominal_id][1],
                "reason": f"screening run {run.pk}: linked above the upper threshold",
                "changes": {
                    key: subject_id,
                    "probability": round(probability, 6),
                    "model": run.model_version,
                },
            }
            for subject_id, nominal_id, probability in combined
        ),
    )


def screen_duplicates(
    user=None, *, progress: Callable | None = None, run: ScreeningRun | None = None
) -> ScreeningRun:
    """Screen the master list against itself (every nominal outside compartments, aliases
    included) for people held twice: each pair of nominals at or above the lower threshold is a
    candidate (``nominal`` the older record, ``other_nominal`` the newer), linked as the same
    person above the upper threshold (audited as "combine"; the records stay two) or put in the
    review queue. Reviewers' decisions stand as for SARs. ``user`` None: the command line."""
    _require_admin(user)
    row, model = model_in_use()
    if run is None:
        run = start_duplicates(user)
    return _carry_out(run, row.version, lambda: _screen_duplicates(run, model, progress))


def start_duplicates(user) -> ScreeningRun:
    """Queue a run looking for people held twice on the master list (national administrators;
    ``user`` None: the command line)."""
    _require_admin(user)
    row, _ = model_in_use()
    with transaction.atomic():
        if ScreeningRun.objects.filter(
            kind=SubjectKind.NOMINAL,
            status__in=[RunStatus.QUEUED, RunStatus.RUNNING],
            created_at__gte=timezone.now() - RUN_STALE_AFTER,
        ).exists():
            raise ValidationError({"run": ["A search for duplicates has not finished yet."]})
        return _new_run(
            SubjectKind.NOMINAL, user=user, version=row.version, scope={"master_list": True}
        )


def _screen_duplicates(run, model: Model, progress) -> dict[str, int]:

    nominals = prepare(nominal_frame(), "id")
    _tell(run, progress, "read", 1, 4)
    pairs = predict(model, nominals) if len(nominals) > 1 else None
    _tell(run, progress, "compared", 2, 4)
    best: dict[tuple[int, int], dict] = {}
    if pairs is not None:
        for record in pairs.to_dict("records"):
            a, b = _nominal_pk(record["nominal_id"]), _nominal_pk(record["subject_id"])
            if a == b:
                continue  # a nominal and its own alias
            key = (min(a, b), max(a, b))
            if key not in best or record["match_weight"] > best[key]["match_weight"]:
                best[key] = record
    counts = {"nominals": int(Nominal.objects.filter(compartment__isnull=True).count())}
    counts.update(linked=0, review=0, never_again=0)
    with transaction.atomic():
        existing = {
            (c.nominal_id, c.other_nominal_id): c
            for c in CandidateMatch.objects.select_for_update().filter(kind=SubjectKind.NOMINAL)
        }
        stored, combined = _store_candidates(
            run,
            model,
            best,
            existing,
            kind=SubjectKind.NOMINAL,
            names=lambda pair: {"nominal_id": pair[0], "other_nominal_id": pair[1]},
        )
        for name in ("linked", "review", "never_again"):
            counts[name] += stored[name]
        _audit_links(run, [(newer, older, p) for older, newer, p in combined], key="other_nominal")
        _tell(run, progress, "stored", 3, 4)
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
        with_tier(
            visible_candidates(
                user,
                CandidateMatch.objects.filter(
                    status__in=[MatchStatus.REVIEW, MatchStatus.CONFLICT]
                ),
            ),
            user,
        )
        .select_related("nominal", "sar_subject__sar")
        .order_by(*QUEUE_ORDER)
    )


def deconfliction_notices(user, subject_queryset=None):
    """For the SAR subjects ``user`` may see, whether an organisation holds a matching nominal
    they may not see: one notice per subject and holding organisation, with only that
    organisation and its contact point, in the order of the user's own records (nothing of the
    nominal, its threat, tier or probability, nor how many records it holds). Never for a
    partner user, never for a compartmented nominal."""
    if not is_police_member(user):
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
        .order_by("sar_subject_id", "nominal__owner_id", "-probability", "id")
    )
    notices, contacts = {}, {}
    for match in hidden:
        owner = match.nominal.owner
        if owner.pk not in contacts:
            contacts[owner.pk] = _contact(owner)
        notices.setdefault(
            (match.sar_subject_id, owner.pk),
            {
                "subject_id": match.sar_subject_id,
                "subject": match.sar_subject,
                "owner": owner,
                "contact": contacts[owner.pk],
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
        if before not in OPEN:
            raise ValidationError(
                {
                    "decision": [
                        "This match is already decided ("
                        f"{match.get_status_display().lower()}): unlink a link first."
                    ]
                }
            )
        after = DECISION_STATUS[decision]
        if decision == Decision.SAME and match.sar_subject_id:
            conflict = _kept_apart(
                set(
                    CandidateMatch.objects.filter(
                        sar_subject_id=match.sar_subject_id, status=MatchStatus.LINKED
                    ).values_list("nominal_id", flat=True)
                ),
                match.nominal_id,
            )
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
    """Take a link back (audited). A later run does not link the pair again by itself; a
    reviewer may still decide it."""
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
    if not is_police_member(user):
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
    police = [m.organisation for m in user.active_memberships if not m.organisation.is_partner]
    sar_owner = getattr(getattr(match.subject, "sar", None), "owner_id", None)
    organisation = next((o for o in police if o.pk == sar_owner), police[0] if police else None)
    if organisation is None:
        raise PermissionDenied("You have no organisation to share the record with.")
    already = ValidationError(
        {"nominal": ["Your organisation has already asked; the owner has not answered yet."]}
    )
    with transaction.atomic():
        if AccessRequest.objects.filter(
            nominal=nominal, requesting_organisation=organisation, status=AccessRequestStatus.OPEN
        ).exists():
            raise already
        try:
            with transaction.atomic():  # two at once: the constraint keeps one
                request = AccessRequest.objects.create(
                    nominal=nominal,
                    requester=user,
                    requesting_organisation=organisation,
                    owner=nominal.owner,
                    reason=reason,
                )
        except IntegrityError:
            raise already from None
        audit.record(
            AuditAction.CREATE, request, user=user, reason=reason, organisation=organisation
        )
    return request


def answer_access(user, request: AccessRequest, approve: bool, answer: str) -> AccessRequest:
    """The owner approves (the nominal is shared with the requesting organisation, through the
    nominal's own service, and audited as a disclosure) or declines with a reason.

    Sharing never widens beyond the requester: an owner-only record (which ignores its sharing
    list) becomes shared with named organisations, and its list is then the requester alone."""
    from socmaster.threats import services as threat_services

    answer = (answer or "").strip()
    with transaction.atomic():
        request = (
            AccessRequest.objects.select_for_update()
            .select_related("nominal", "requesting_organisation")
            .get(pk=request.pk)
        )
        nominal = request.nominal
        if (
            nominal.owner_id != request.owner_id
            or nominal.compartment_id is not None
            or not policy.can_share(user, nominal)
        ):
            raise PermissionDenied("Only the owning organisation can answer.")
        if request.status != AccessRequestStatus.OPEN:
            raise ValidationError({"status": ["This request has already been answered."]})
        if not approve and len(answer) < MIN_REASON:
            raise ValidationError({"answer": ["Give the reason for declining."]})
        request.status = AccessRequestStatus.APPROVED if approve else AccessRequestStatus.DECLINED
        request.answer, request.answered_by, request.answered_at = answer, user, timezone.now()
        request.save()
        if approve:
            requester_org = request.requesting_organisation
            before = {
                "handling": nominal.handling,
                "shared_with": sorted(nominal.shared_with.values_list("pk", flat=True)),
            }
            if nominal.handling == Handling.OWNER:
                threat_services.update_nominal(
                    user, nominal, handling=Handling.NAMED, shared_with=[requester_org]
                )
            elif not nominal.shared_with.filter(pk=requester_org.pk).exists():
                threat_services.update_nominal(
                    user, nominal, shared_with=[*nominal.shared_with.all(), requester_org]
                )
            nominal.refresh_from_db()
            audit.record(
                AuditAction.DISCLOSE,
                nominal,
                user=user,
                reason=answer or "access request approved",
                organisation=requester_org,
                changes={
                    "request": request.pk,
                    "before": before,
                    "after": {
                        "handling": nominal.handling,
                        "shared_with": sorted(nominal.shared_with.values_list("pk", flat=True)),
                    },
                },
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


#: How long an unfinished screening run keeps another from starting for its organisation.
RUN_STALE_AFTER = dt.timedelta(hours=6)


def _may_screen(user, organisation) -> bool:
    """A reviewer or administrator of a police organisation screens its SARs."""
    return (
        user is not None
        and not organisation.is_partner
        and not policy.is_read_only(user)
        and any(
            m.organisation_id == organisation.pk and m.role in (*REVIEWER_ROLES, Role.ADMINISTRATOR)
            for m in user.active_memberships
        )
    )


def start_sar_screening(
    user, organisation, *, include_screened: bool = False, kind: str = SubjectKind.SAR_SUBJECT
) -> ScreeningRun:
    """Queue a run screening ``organisation``'s SARs (those not yet screened, or all) in the
    background (:func:`linkage.tasks.run_screening`); its page shows the progress."""
    if not _may_screen(user, organisation):
        raise PermissionDenied("You may screen only your own organisation's SARs.")
    row, _ = model_in_use()
    # A run that has not finished within RUN_STALE_AFTER (its worker stopped) no longer blocks.
    stale = timezone.now() - RUN_STALE_AFTER
    with transaction.atomic():
        if ScreeningRun.objects.filter(
            owner=organisation,
            kind=kind,
            status__in=[RunStatus.QUEUED, RunStatus.RUNNING],
            created_at__gte=stale,
        ).exists():
            raise ValidationError(
                {"organisation": ["A screening run for this organisation has not finished yet."]}
            )
        if kind not in (SubjectKind.SAR_SUBJECT, SubjectKind.REPORT_SUBJECT):
            raise ValidationError({"kind": ["Screen SARs or intelligence reports."]})
        return _new_run(
            kind,
            user=user,
            owner=organisation,
            version=row.version,
            scope={"organisation": organisation.pk, "include_screened": include_screened},
        )


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
    if run.kind == SubjectKind.NOMINAL:
        return screen_duplicates(run.started_by, progress=progress, run=run)
    if run.kind == SubjectKind.LIST:
        return screen_list(run, progress)
    if run.kind == SubjectKind.REPORT_SUBJECT:
        from socmaster.intelligence.models import IntelligenceReport

        return screen_reports(
            IntelligenceReport.objects.filter(owner_id=run.scope["organisation"]),
            user=run.started_by,
            owner=run.owner,
            progress=progress,
            run=run,
        )
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
    with transaction.atomic():
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
        with_tier(visible_candidates(user), user)
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
    ).select_related("sar_subject__sar", "report_subject__report", "nominal", "other_nominal")


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
    ).select_related("nominal", "sar_subject__sar", "report_subject__report")


# --- one-record lookup ------------------------------------------------------------------------------

_LOOKUP: dict = {}
_LOOKUP_LOCK = threading.Lock()


#: How long the process's lookup is used before the database is asked whether the master list
#: or the model changed. Changes made in this process are seen at once (``forget_lookup`` from
#: the save and delete signals); another process's, or a bulk import's, within this long.
LOOKUP_RECHECK_SECONDS = 2.0


def _lookup():
    """The lookup over every nominal outside compartments, built once per model and master-list
    state and kept in the process."""
    import time

    from .engine import Lookup

    with _LOOKUP_LOCK:
        if (
            _LOOKUP.get("lookup") is not None
            and time.monotonic() - _LOOKUP["checked"] < LOOKUP_RECHECK_SECONDS
        ):
            return _LOOKUP["lookup"]
    version = (
        LinkageModel.objects.filter(status=ModelStatus.IN_USE)
        .values_list("version", flat=True)
        .first()
    )
    if version is None:
        raise NoModel("No matching model is in use.")
    state = Nominal.objects.aggregate(n=Count("pk"), last=Max("pk"), versions=Sum("lock_version"))
    aliases = Nominal.aliases.rel.related_model.objects.aggregate(n=Count("pk"), last=Max("pk"))
    key = (version, tuple(state.values()), tuple(aliases.values()))
    with _LOOKUP_LOCK:
        if _LOOKUP.get("key") != key:  # the model is read only when the table is rebuilt
            row, model = model_in_use()
            key = (row.version, *key[1:])
            _LOOKUP.update(key=key, lookup=Lookup(model, prepare(nominal_frame(), "id")))
        _LOOKUP["checked"] = time.monotonic()
        return _LOOKUP["lookup"]


def forget_lookup(*_args, **_kwargs) -> None:
    """Drop the process's lookup (it is rebuilt on the next use); also a signal receiver."""
    with _LOOKUP_LOCK:
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
    nominals = Nominal.objects.select_related("owner").in_bulk(list(best))
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
        elif is_police_member(user):
            elsewhere.setdefault(
                nominal.owner_id, {"owner": nominal.owner, "contact": _contact(nominal.owner)}
            )
    return {"visible": visible[:limit], "elsewhere": list(elsewhere.values()), "model": True}
