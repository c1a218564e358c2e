"""Every change to the master list goes through these functions (views, API, CLI, imports)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import ProtectedError, Q
from django.http import Http404
from django.utils import timezone

from socmaster.core import audit, policy
from socmaster.core.bulk import insert_rows
from socmaster.core.choices import Action, AuditAction, Handling
from socmaster.core.reasons import MIN_REASON_LENGTH, is_enough
from socmaster.core.references import next_reference
from socmaster.core.services import (
    audited_update,
    m2m_snapshot,
    refuse_unknown,
    require,
    undo_import_write,
)
from socmaster.core.validators import check_reference, check_text

from .choices import ImportKind, ImportStatus
from .models import (
    CrimeType,
    Identifier,
    ImportJob,
    ImportUndo,
    LinkedEntity,
    Nominal,
    NominalAlias,
    Phase,
    Threat,
    ThreatMember,
)

EDITABLE_FIELDS = (
    "name",
    "operation_names",
    "threat_type",
    "category",
    "soc",
    "phase",
    "lro",
    "sro",
    "description",
    "opened_on",
    "closed_on",
    "closed_reason",
    "handling",
)
M2M_FIELDS = ("crime_types", "shared_with", "areas")
#: Set only by a moderated assessment, or by an import that records where the figures came from.
ASSESSMENT_FIELDS = ("moderation_status", "score", "tier", "assessed_on")
ASSESSMENT_MESSAGE = (
    "This is set by the threat's latest moderated assessment (or by an import that records its "
    "source); it cannot be changed here."
)
#: Who may see a record beyond its owner is the owning organisation's decision.
SHARING_FIELDS = ("handling", "shared_with")
SHARING_MESSAGE = "Only the owning organisation decides a record's handling and sharing."
REFERENCE_TAKEN = (
    "The reference {reference} cannot be used; leave it blank to be given the next one."
)


def _validate(threat: Threat, shared_with) -> None:
    errors: dict[str, list[str]] = {}
    if threat.closed_on and threat.opened_on and threat.closed_on < threat.opened_on:
        errors.setdefault("closed_on", []).append(
            "The closing date cannot be before the opening date."
        )
    if threat.closed_on and not threat.closed_reason.strip():
        errors.setdefault("closed_reason", []).append("Give the reason the threat was closed.")
    if threat.phase_id and threat.phase.is_closed and not threat.closed_on:
        errors.setdefault("closed_on", []).append(
            "A threat in a closed phase needs a closing date."
        )
    if threat.handling == Handling.NAMED and shared_with is not None and not list(shared_with):
        errors.setdefault("shared_with", []).append(
            "Name at least one organisation to share with, or choose another handling level."
        )
    for field in ("lro", "sro"):
        person = getattr(threat, field)
        if person is not None and not person.is_active:
            errors.setdefault(field, []).append(f"{person} is not an active user.")
    if errors:
        raise ValidationError(errors)


def _check_officers_see(threat: Threat) -> None:
    """An LRO or SRO must be able to see the threat they lead (checked once sharing is saved)."""
    errors = {}
    for field in ("lro", "sro"):
        person = getattr(threat, field)
        if person is not None and not policy.can(person, Action.VIEW, threat):
            errors[field] = [
                f"{person} cannot see this threat, so cannot be its {field.upper()}: choose someone "
                "who can, or share the threat with their organisation."
            ]
    if errors:
        raise ValidationError(errors)


def _next_reference() -> str:
    return next_reference("SOC", Threat.objects.all())


def _assessment_values(fields: dict, assessment_source: str, current: Threat | None) -> dict:
    """Take the assessment figures out of ``fields``.

    With ``assessment_source`` (an import saying where they came from) they are returned to be
    stored; without it, figures equal to what is stored pass unnoticed and any other is refused.
    """
    values = {name: fields.pop(name) for name in ASSESSMENT_FIELDS if name in fields}
    if (assessment_source or "").strip():
        return values
    errors = {}
    for name, value in values.items():
        stored = (
            getattr(current, name)
            if current is not None
            else Threat._meta.get_field(name).get_default()
        )
        if value not in (None, "") and value != stored:
            errors[name] = [ASSESSMENT_MESSAGE]
    if errors:
        raise ValidationError(errors)
    return {}


def _new_threat(
    user, owner, reference: str, fields: dict, assessment_source: str, shared_with
) -> Threat:
    """A checked, unsaved threat (rights, fields, text, reference pattern, rules); the reference
    is not checked for being free: the caller does that (one query, or one per batch)."""
    if not policy.can_create_for(user, owner):
        raise PermissionDenied(f"You may not create records for {owner}.")
    fields = dict(fields)
    imported = _assessment_values(fields, assessment_source, None)
    refuse_unknown(fields, EDITABLE_FIELDS, "Unknown field.")
    check_text(Threat, fields)
    if (reference or "").strip():
        check_reference(reference.strip())
    threat = Threat(owner=owner, reference=(reference or "").strip(), **fields, **imported)
    if any(value not in (None, "") for value in imported.values()):
        threat.assessment_source = assessment_source.strip()
    _validate(threat, shared_with)
    return threat


def _created_snapshot(threat: Threat, related: dict) -> dict:
    return audit.snapshot(threat) | {
        name: sorted({o.pk for o in objects}) for name, objects in related.items()
    }


@transaction.atomic
def create_threat(
    user,
    *,
    owner,
    crime_types=(),
    shared_with=(),
    areas=(),
    reference: str = "",
    assessment_source: str = "",
    **fields,
) -> Threat:
    """Create a threat owned by ``owner``; the user needs a working role there.

    Assessment figures (moderation status, score, tier, date) come from assessments; only an
    import passes them, with ``assessment_source`` saying where they came from.
    """
    threat = _new_threat(user, owner, reference, fields, assessment_source, shared_with)
    threat.reference = threat.reference or _next_reference()
    if Threat.objects.filter(reference=threat.reference).exists():
        raise ValidationError({"reference": [REFERENCE_TAKEN.format(reference=threat.reference)]})
    threat.full_clean(exclude=list(M2M_FIELDS))
    threat.save()
    related = {
        "crime_types": list(crime_types),
        "shared_with": list(shared_with),
        "areas": list(areas),
    }
    for name, objects in related.items():
        if objects:  # a new record has none yet: adding nothing would still cost queries
            getattr(threat, name).add(*objects)
    _check_officers_see(threat)
    audit.record(
        AuditAction.CREATE, threat, user=user, changes={"after": _created_snapshot(threat, related)}
    )
    return threat


@transaction.atomic
def create_threats(items: list[dict], *, assessment_source=None) -> list[Threat | ValidationError]:
    """Create many threats at once, for imports: each item is ``create_threat``'s arguments (with
    ``user``, ``owner``, ``reference`` and optionally ``crime_types`` and ``assessment_source``)
    and is checked by the same rules; the valid ones are written with a few inserts and one
    audit entry each, as ``create_threat`` writes. Returns, item by item, the new threat or the
    ValidationError that refused it (nothing is written for a refused item). References must be
    given (imports key on them); a reference already used, or used twice here, is refused.
    """
    results: list[Threat | ValidationError] = []
    wanted = [(i.get("reference") or "").strip() for i in items]
    taken = set(
        Threat.objects.filter(reference__in=[r for r in wanted if r]).values_list(
            "reference", flat=True
        )
    )
    new: list[tuple[int, Threat, dict, object]] = []
    sees: dict[tuple, bool] = {}
    now = timezone.now()  # one moment for the batch, as one transaction writes it
    for item in items:
        item = dict(item)
        user, owner = item.pop("user"), item.pop("owner")
        reference = (item.pop("reference", "") or "").strip()
        crime_types = list(item.pop("crime_types", ()))
        source = item.pop("assessment_source", "")
        try:
            if not reference:
                raise ValidationError({"reference": ["A reference is required."]})
            if reference in taken:
                raise ValidationError({"reference": [REFERENCE_TAKEN.format(reference=reference)]})
            threat = _new_threat(user, owner, reference, item, source, ())
            # Checked: the fields given (a default is valid), except references given as records,
            # which need no query each to prove they exist.
            threat.full_clean(
                exclude=[
                    f.name
                    for f in Threat._meta.concrete_fields
                    if f.name not in item or (f.is_relation and f.is_cached(threat))
                ]
                + list(M2M_FIELDS),
                validate_unique=False,
                validate_constraints=False,
            )
            # An officer must see the threat they lead: a new threat shared with nobody is seen
            # by the same people as any other of its owner's, so one answer per officer and owner.
            for field in ("lro", "sro"):
                person = getattr(threat, field)
                if person is None:
                    continue
                answer = sees.get((person.pk, owner.pk, threat.handling))
                if answer is None:
                    answer = sees[(person.pk, owner.pk, threat.handling)] = policy.can(
                        person, Action.VIEW, threat
                    )
                if not answer:
                    _check_officers_see(threat)
        except ValidationError as exc:
            results.append(exc)
            continue
        except PermissionDenied as exc:
            results.append(ValidationError({"owner": [str(exc)]}))
            continue
        threat.created_at = threat.updated_at = now
        taken.add(reference)
        results.append(threat)
        new.append((len(results) - 1, threat, {"crime_types": crime_types}, user))
    insert_rows(Threat, [t for _, t, _, _ in new])
    ids = dict(
        Threat.objects.filter(reference__in=[t.reference for _, t, _, _ in new]).values_list(
            "reference", "pk"
        )
    )
    for _, threat, _, _ in new:
        threat.pk = ids[threat.reference]
        threat._state.adding, threat._state.db = False, Threat.objects.db
    through = Threat.crime_types.through
    insert_rows(
        through,
        [
            {"threat_id": t.pk, "crimetype_id": c.pk}
            for _, t, related, _ in new
            for c in {c.pk: c for c in related["crime_types"]}.values()
        ],
    )
    by_user: dict[int | None, list] = {}
    for _, threat, related, user in new:
        related = related | {"shared_with": [], "areas": []}
        by_user.setdefault(user, []).append((threat, {"after": _created_snapshot(threat, related)}))
    for user, records in by_user.items():
        audit.record_many(AuditAction.CREATE, records, user=user, snapshots=True)
    return results


@transaction.atomic
def update_threat(
    user,
    threat: Threat,
    *,
    crime_types=None,
    shared_with=None,
    areas=None,
    assessment_source: str = "",
    expected_version=None,
    **fields,
) -> Threat:
    """Change a threat's fields; records before and after values of what changed.

    ``expected_version`` is the version the user started from: if someone has changed the
    threat since, nothing is saved and ``VersionConflict`` is raised."""
    require(user, Action.CHANGE, threat)
    threat = Threat.objects.select_for_update().get(pk=threat.pk)
    imported = _assessment_values(fields, assessment_source, threat)
    refuse_unknown(fields, EDITABLE_FIELDS)
    sharing_changes = ("handling" in fields and fields["handling"] != threat.handling) or (
        shared_with is not None
        and sorted(o.pk for o in shared_with)
        != sorted(threat.shared_with.values_list("pk", flat=True))
    )
    if sharing_changes and not policy.can_share(user, threat):
        raise PermissionDenied(SHARING_MESSAGE)
    if any(value != getattr(threat, name) for name, value in imported.items()):
        fields |= imported | {"assessment_source": assessment_source.strip()}

    def validate(obj):
        _validate(obj, shared_with if shared_with is not None else obj.shared_with.all())

    changes = audited_update(
        user,
        threat,
        fields,
        m2m={"crime_types": crime_types, "shared_with": shared_with, "areas": areas},
        validate=validate,
        expected_version=expected_version,
    )
    if changes:
        _check_officers_see(threat)
    return threat


#: Records that may go with a deleted threat; they are recorded whole in the deletion's entry.
DELETED_WITH_THREAT = {"links": LinkedEntity}
HAS_HISTORY = (
    "{reference} has history ({history}) and cannot be deleted: close it instead (give a "
    "closing date and reason), so its record stays on the master list."
)


def _history(threat: Threat) -> list[str]:
    """What refers to ``threat`` beyond what may be deleted with it, as "2 assessments" phrases.

    Found from the model's relations, so records other apps add (assessments, disruptions,
    plans) count without this app naming them.
    """
    found = []
    for relation in threat._meta.related_objects:
        if not relation.one_to_many or relation.related_model in DELETED_WITH_THREAT.values():
            continue
        count = relation.related_model._base_manager.filter(**{relation.field.name: threat}).count()
        if count:
            meta = relation.related_model._meta
            noun = meta.verbose_name if count == 1 else meta.verbose_name_plural
            found.append(f"{count} {noun}")
    return sorted(found)


@transaction.atomic
def delete_threat(user, threat: Threat, *, reason: str) -> None:
    """Delete a threat that has no history (administrators of the owning organisation); a reason
    is required. A threat with assessments, disruptions, plans or members is closed, never
    deleted; its links go with it and are recorded whole in the audit entry."""
    require(user, Action.DELETE, threat)
    threat = Threat.objects.select_for_update().get(pk=threat.pk)
    if not is_enough(reason):
        raise ValidationError(
            {
                "reason": [
                    f"Give the reason for deleting this threat (at least {MIN_REASON_LENGTH} "
                    "characters)."
                ]
            }
        )
    history = _history(threat)
    if history:
        raise ValidationError(
            HAS_HISTORY.format(reference=threat.reference, history=", ".join(history))
        )
    before = audit.snapshot(threat) | m2m_snapshot(threat, *M2M_FIELDS)
    for name, model in DELETED_WITH_THREAT.items():
        before[name] = [audit.snapshot(o) for o in model.objects.filter(threat=threat)]
    audit.record(
        AuditAction.DELETE, threat, user=user, reason=reason.strip(), changes={"before": before}
    )
    try:
        threat.delete()
    except ProtectedError as exc:  # a relation added since: refuse rather than fail
        raise ValidationError(
            HAS_HISTORY.format(reference=threat.reference, history="protected records")
        ) from exc


# --- Nominals and memberships -----------------------------------------------------------------

NOMINAL_FIELDS = (
    "family_name",
    "given_names",
    "date_of_birth",
    "gender",
    "nationality",
    "notes",
    "handling",
)


def _next_nominal_reference() -> str:
    return next_reference("NOM", Nominal.objects.all())


def _validate_nominal(nominal: Nominal, shared_with=None) -> None:
    errors = {}
    if not nominal.family_name.strip():
        errors["family_name"] = ["Enter the family name (use 'UNKNOWN' if it is not known)."]
    if nominal.date_of_birth and nominal.date_of_birth > timezone.localdate():
        errors["date_of_birth"] = ["The date of birth cannot be in the future."]
    if nominal.handling == Handling.NAMED and shared_with is not None and not list(shared_with):
        errors["shared_with"] = [
            "Name at least one organisation to share with, or choose another handling level."
        ]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def create_nominal(
    user, *, owner, aliases=(), identifiers=(), shared_with=(), reference: str = "", **fields
) -> Nominal:
    """Create a nominal with optional aliases [(given, family, type)] and identifiers [(kind, value)]."""
    if not policy.can_create_for(user, owner):
        raise PermissionDenied(f"You may not create records for {owner}.")
    refuse_unknown(fields, NOMINAL_FIELDS, "Unknown field.")
    check_text(Nominal, fields)
    if (reference or "").strip():
        check_reference(reference.strip())
    for given, family, _alias_type in aliases:
        try:
            check_text(NominalAlias, {"given_names": given, "family_name": family})
        except ValidationError as exc:
            messages = [m for ms in exc.message_dict.values() for m in ms]
            raise ValidationError({"aliases": messages}) from exc
    for _kind, value in identifiers:
        try:
            check_text(Identifier, {"value": str(value)})
        except ValidationError as exc:
            raise ValidationError({"identifiers": exc.message_dict["value"]}) from exc
    nominal = Nominal(
        owner=owner, reference=(reference or "").strip() or _next_nominal_reference(), **fields
    )
    if Nominal.objects.filter(reference=nominal.reference).exists():
        raise ValidationError({"reference": [REFERENCE_TAKEN.format(reference=nominal.reference)]})
    _validate_nominal(nominal, shared_with)
    nominal.full_clean(exclude=["shared_with"])
    nominal.save()
    nominal.shared_with.set(shared_with)
    for given, family, alias_type in aliases:
        NominalAlias.objects.create(
            nominal=nominal, given_names=given, family_name=family, alias_type=alias_type
        )
    for kind, value in identifiers:
        if not str(value).strip():
            raise ValidationError({"identifiers": [f"The {kind} identifier is empty."]})
        Identifier.objects.create(nominal=nominal, kind=kind, value=str(value).strip())
    audit.record(
        AuditAction.CREATE,
        nominal,
        user=user,
        changes={
            "after": audit.snapshot(nominal)
            | m2m_snapshot(nominal, "shared_with")
            | {
                "aliases": [list(a) for a in aliases],
                "identifiers": [list(i) for i in identifiers],
            }
        },
    )
    return nominal


@transaction.atomic
def update_nominal(
    user, nominal: Nominal, *, shared_with=None, expected_version=None, **fields
) -> Nominal:
    require(user, Action.CHANGE, nominal)
    refuse_unknown(fields, NOMINAL_FIELDS)
    nominal = Nominal.objects.select_for_update().get(pk=nominal.pk)
    sharing_changes = ("handling" in fields and fields["handling"] != nominal.handling) or (
        shared_with is not None
        and sorted(o.pk for o in shared_with)
        != sorted(nominal.shared_with.values_list("pk", flat=True))
    )
    if sharing_changes and not policy.can_share(user, nominal):
        raise PermissionDenied(SHARING_MESSAGE)
    audited_update(
        user,
        nominal,
        fields,
        m2m={"shared_with": shared_with},
        validate=lambda obj: _validate_nominal(
            obj, shared_with if shared_with is not None else obj.shared_with.all()
        ),
        expected_version=expected_version,
    )
    return nominal


def _membership_errors(threat: Threat, nominal: Nominal, from_date, to_date, *, other=None) -> dict:
    """The rules of a membership period (``other``: the stored membership being changed)."""
    errors = {}
    if from_date and to_date and to_date < from_date:
        errors["to_date"] = ["The end date cannot be before the start date."]
    current = ThreatMember.objects.filter(threat=threat, nominal=nominal, to_date__isnull=True)
    if other is not None:
        current = current.exclude(pk=other.pk)
    if to_date is None and current.exists():
        errors["nominal"] = [f"{nominal} is already a current member of {threat.reference}."]
    return errors


@transaction.atomic
def add_member(
    user,
    threat: Threat,
    nominal: Nominal,
    *,
    role: str,
    from_date=None,
    to_date=None,
    notes: str = "",
) -> ThreatMember:
    """Link a nominal to a threat with a role and dates. Needs change rights on the threat."""
    require(user, Action.CHANGE, threat)
    if not policy.can(user, Action.VIEW, nominal):
        raise ValidationError({"nominal": ["No such nominal."]})
    errors = _membership_errors(threat, nominal, from_date, to_date)
    if errors:
        raise ValidationError(errors)
    check_text(ThreatMember, {"notes": notes})
    member = ThreatMember(
        threat=threat, nominal=nominal, role=role, from_date=from_date, to_date=to_date, notes=notes
    )
    member.full_clean()
    member.save()
    audit.record(AuditAction.CREATE, member, user=user, changes={"after": audit.snapshot(member)})
    return member


#: What an import sets on a membership, besides its threat and nominal.
MEMBER_IMPORT_FIELDS = ("role", "from_date", "to_date", "notes")


@transaction.atomic
def import_member(
    user,
    threat: Threat,
    nominal: Nominal,
    *,
    role: str,
    from_date=None,
    to_date=None,
    notes: str = "",
    source: str,
    source_key: str,
) -> tuple[str, tuple[int, dict | None] | None]:
    """Create or update one membership imported from a force's records (``source`` names the
    file and row, ``source_key`` its key there), by the rules of :func:`add_member` and
    :func:`end_member`; the dates are the source system's and may not be in the future.

    A membership imported before (same key) is updated where the file changed it (ended, or a
    new role or notes), but an ended one is not made current again. One entered in the product
    with the same role and dates is left as it is. Returns the outcome ('created', 'updated',
    'unchanged') and what undoes it: (id, None) for a new membership, (id, before-image) for a
    changed one, None when nothing changed."""
    require(user, Action.CHANGE, threat)
    if not policy.can(user, Action.VIEW, nominal):
        raise ValidationError({"nominal": ["No such nominal."]})
    notes = (notes or "").strip()
    check_text(ThreatMember, {"notes": notes})
    errors: dict[str, list[str]] = {}
    today = timezone.localdate()
    for name, value in (("from_date", from_date), ("to_date", to_date)):
        if value and value > today:
            errors[name] = ["The date cannot be in the future."]
    if errors:
        raise ValidationError(errors)
    values = {"role": role, "from_date": from_date, "to_date": to_date, "notes": notes}
    source = (source or "import")[:300]
    pair = ThreatMember.objects.select_for_update().filter(threat=threat, nominal=nominal)
    existing = pair.filter(source_key=source_key).exclude(import_source="").first()
    if existing is None:
        if pair.filter(role=role, from_date=from_date, to_date=to_date).exists():
            return "unchanged", None  # already recorded in the product
        errors = _membership_errors(threat, nominal, from_date, to_date)
        if from_date is not None and pair.filter(from_date=from_date).exists():
            errors["from_date"] = [
                f"{nominal} already has a membership of {threat.reference} from "
                f"{from_date:%d %b %Y} with another role or end date; an import does not change "
                "a membership entered in the product."
            ]
        if errors:
            raise ValidationError(errors)
        member = ThreatMember(
            threat=threat,
            nominal=nominal,
            **values,
            import_source=source,
            imported_at=timezone.now(),
            source_key=source_key,
        )
        member.full_clean()
        member.save()
        audit.record(
            AuditAction.CREATE, member, user=user, changes={"after": audit.snapshot(member)}
        )
        return "created", (member.pk, None)
    if all(getattr(existing, name) == value for name, value in values.items()):
        return "unchanged", None
    if existing.to_date is not None and to_date is None:
        raise ValidationError(
            {
                "to_date": [
                    f"This membership ended on {existing.to_date:%d %b %Y}; an import does not "
                    "make it current again (record a new membership instead)."
                ]
            }
        )
    errors = _membership_errors(threat, nominal, from_date, to_date, other=existing)
    if errors:
        raise ValidationError(errors)
    before = audit.snapshot(existing)
    for name, value in values.items():
        setattr(existing, name, value)
    existing.import_source, existing.imported_at = source, timezone.now()
    existing.full_clean()
    existing.save()
    changes = audit.diff(before, audit.snapshot(existing))
    changes["import_source"] = {"before": before["import_source"], "after": source}
    audit.record(AuditAction.UPDATE, existing, user=user, changes=changes)
    return "updated", (existing.pk, before)


@transaction.atomic
def end_member(user, member: ThreatMember, *, to_date) -> ThreatMember:
    """Record the date a nominal stopped being part of a threat (membership history is kept)."""
    require(user, Action.CHANGE, member.threat)
    if member.from_date and to_date < member.from_date:
        raise ValidationError({"to_date": ["The end date cannot be before the start date."]})
    before = audit.snapshot(member)
    member.to_date = to_date
    member.save(update_fields=["to_date"])
    audit.record(
        AuditAction.UPDATE, member, user=user, changes=audit.diff(before, audit.snapshot(member))
    )
    return member


@transaction.atomic
def add_link(user, threat: Threat, *, kind: str, name: str, detail: str = "") -> LinkedEntity:
    """Link a business, place, vehicle, phone or account to a threat."""
    require(user, Action.CHANGE, threat)
    check_text(LinkedEntity, {"name": name, "detail": detail})
    link = LinkedEntity(threat=threat, kind=kind, name=name.strip(), detail=detail.strip())
    link.full_clean()
    link.save()
    audit.record(AuditAction.CREATE, link, user=user, changes={"after": audit.snapshot(link)})
    return link


# --- Master-list imports ----------------------------------------------------------------------


@transaction.atomic
def start_import(
    user, *, source_name: str, stored_file: str, skip_bad: bool, kind: str = ImportKind.MASTERLIST
) -> ImportJob:
    """Record an import waiting to run (the caller enqueues the task after this commits, or runs
    it at once). ``user`` None is an operator at the command line."""
    if user is not None and (
        policy.is_read_only(user)
        or not any(m.role in policy.WRITE_ROLES for m in user.active_memberships)
    ):
        raise PermissionDenied("You may not import into the master list.")
    job = ImportJob.objects.create(
        created_by=user,
        organisation=getattr(user, "primary_organisation", None) if user else None,
        kind=kind,
        source_name=(source_name or "import")[:255],
        stored_file=stored_file,
        skip_bad=skip_bad,
    )
    audit.record(
        AuditAction.CREATE,
        job,
        user=user,
        changes={"after": audit.snapshot(job, ["kind", "source_name", "skip_bad", "status"])},
    )
    return job


STALLED = (
    "The import stopped without finishing (its worker ended after {at}); what it wrote has been "
    "undone, so nothing is half-written. Run it again."
)


def recover_stalled_imports(*, stalled_for: dt.timedelta) -> list[ImportJob]:
    """Imports still marked running whose worker has given no sign of life for ``stalled_for``
    (killed, or its machine lost): undo what each committed, from its journal, and mark it
    failed. A worker that is in fact still alive is asked to stop too (cancel requested), so it
    writes nothing more. Each recovery is audited."""
    from socmaster.core.importing import undo_job

    cutoff = timezone.now() - stalled_for
    recovered = []
    candidates = ImportJob.objects.filter(status=ImportStatus.RUNNING).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
    )
    for pk in candidates.values_list("pk", flat=True):
        with transaction.atomic():
            job = ImportJob.objects.select_for_update().filter(pk=pk).first()
            if job is None or job.status != ImportStatus.RUNNING:
                continue  # it ended meanwhile
            last = job.heartbeat_at or job.started_at
            job.cancel_requested = True
            job.save(update_fields=["cancel_requested"])
        undo_job(job)
        with transaction.atomic():
            message = STALLED.format(at=timezone.localtime(last).strftime("%d %b %Y %H:%M"))
            ImportJob.objects.filter(pk=pk).update(
                status=ImportStatus.FAILED,
                finished_at=timezone.now(),
                message=message,
                created=0,
                updated=0,
                unchanged=0,
            )
            job.refresh_from_db()
            audit.record(
                AuditAction.UPDATE,
                job,
                user=None,
                reason="Stalled import recovered",
                changes={"status": [ImportStatus.RUNNING, ImportStatus.FAILED]},
            )
        if job.stored_file:
            Path(job.stored_file).unlink(missing_ok=True)
        recovered.append(job)
    return recovered


@transaction.atomic
def cancel_import(user, job: ImportJob) -> ImportJob:
    """Cancel a queued import at once, or ask a running one to stop (it then undoes its writes)."""
    job = policy.import_jobs_scope(ImportJob.objects.select_for_update(), user).filter(pk=job.pk)
    job = job.first()
    if job is None:
        raise Http404
    if job.is_finished:
        raise ValidationError({"status": [f"This import has already ended ({job.status})."]})
    before = job.status
    if job.status == ImportStatus.QUEUED:
        job.status, job.finished_at = ImportStatus.CANCELLED, timezone.now()
        job.message = "Cancelled before it started."
    job.cancel_requested = True
    job.save(update_fields=["status", "finished_at", "message", "cancel_requested"])
    audit.record(
        AuditAction.UPDATE,
        job,
        user=user,
        reason="Import cancelled",
        changes={"status": [before, job.status], "cancel_requested": [False, True]},
    )
    return job


@transaction.atomic
def undo_import_change(job: ImportJob, undo: ImportUndo) -> None:
    """Put back one threat as it was before an import that did not finish: delete it if the
    import created it, else restore its fields and crime types from the before-image."""
    undo_import_write(
        Threat,
        undo.record_id,
        undo.before,
        user=job.created_by,
        reason=f"Import {job.pk} ({job.source_name}) did not finish; its change is undone.",
        m2m=M2M_FIELDS,
    )
    undo.delete()


# --- Reference data: phases and crime types ---------------------------------------------------


def _clean_aliases(aliases) -> list[str]:
    if isinstance(aliases, str):
        aliases = aliases.split(";")
    return sorted({" ".join(str(a).split()) for a in aliases or () if str(a).strip()})


@transaction.atomic
def add_phase(user, *, name: str, order: int | None = None, aliases=()) -> Phase:
    """Add a lifecycle phase (national administrators). A name containing "Closed" closes."""
    if not policy.is_national_administrator(user):
        raise PermissionDenied("Only administrators of a national agency add phases.")
    name = " ".join((name or "").split())
    if order is None:
        order = (Phase.objects.order_by("-order").values_list("order", flat=True).first() or 0) + 1
    phase = Phase(name=name, order=order, aliases=_clean_aliases(aliases))
    phase.full_clean()
    phase.save()
    audit.record(AuditAction.CREATE, phase, user=user, changes={"after": audit.snapshot(phase)})
    return phase


@transaction.atomic
def add_crime_type(user, *, code: str, label: str, aliases=()) -> CrimeType:
    """Add a crime type (national administrators)."""
    if not policy.is_national_administrator(user):
        raise PermissionDenied("Only administrators of a national agency add crime types.")
    crime = CrimeType(
        code=(code or "").strip(),
        label=" ".join((label or "").split()),
        aliases=_clean_aliases(aliases),
    )
    crime.full_clean()
    crime.save()
    audit.record(AuditAction.CREATE, crime, user=user, changes={"after": audit.snapshot(crime)})
    return crime
