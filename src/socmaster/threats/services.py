"""Every change to the master list goes through these functions (views, API, CLI, imports)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from socmaster.core import audit, policy
from socmaster.core.choices import Action, AuditAction, Handling
from socmaster.core.services import m2m_snapshot, require

from .models import Identifier, LinkedEntity, Nominal, NominalAlias, Threat, ThreatMember

EDITABLE_FIELDS = (
    "name",
    "operation_names",
    "threat_type",
    "category",
    "soc",
    "tier",
    "phase",
    "moderation_status",
    "score",
    "assessed_on",
    "lro",
    "sro",
    "description",
    "opened_on",
    "closed_on",
    "closed_reason",
    "handling",
)
M2M_FIELDS = ("crime_types", "shared_with", "areas")


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


def _next_reference() -> str:
    last = (
        Threat.objects.filter(reference__startswith="SOC-")
        .order_by("-reference")
        .values_list("reference", flat=True)
        .first()
    )
    number = int(last.split("-")[-1]) + 1 if last and last.split("-")[-1].isdigit() else 1
    return f"SOC-{number:06d}"


@transaction.atomic
def create_threat(
    user, *, owner, crime_types=(), shared_with=(), areas=(), reference: str = "", **fields
) -> Threat:
    """Create a threat owned by ``owner``; the user needs a working role there."""
    if not policy.can_create_for(user, owner):
        raise PermissionDenied(f"You may not create records for {owner}.")
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: ["Unknown field."] for name in sorted(unknown)})
    reference = (reference or "").strip() or _next_reference()
    if Threat.objects.filter(reference=reference).exists():
        raise ValidationError(
            {"reference": [f"A threat with reference {reference} already exists."]}
        )
    threat = Threat(owner=owner, reference=reference, **fields)
    _validate(threat, shared_with)
    threat.full_clean(exclude=["shared_with", "crime_types"])
    threat.save()
    threat.crime_types.set(crime_types)
    threat.shared_with.set(shared_with)
    threat.areas.set(areas)
    after = audit.snapshot(threat) | m2m_snapshot(threat, *M2M_FIELDS)
    audit.record(AuditAction.CREATE, threat, user=user, changes={"after": after})
    return threat


@transaction.atomic
def update_threat(
    user, threat: Threat, *, crime_types=None, shared_with=None, areas=None, **fields
) -> Threat:
    """Change a threat's fields; records before and after values of what changed."""
    require(user, Action.CHANGE, threat)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(
            {name: ["This field cannot be changed here."] for name in sorted(unknown)}
        )
    threat = Threat.objects.select_for_update().get(pk=threat.pk)
    before = audit.snapshot(threat) | m2m_snapshot(threat, *M2M_FIELDS)
    for name, value in fields.items():
        setattr(threat, name, value)
    _validate(threat, shared_with if shared_with is not None else threat.shared_with.all())
    threat.full_clean(exclude=["shared_with", "crime_types"])
    after = audit.snapshot(threat) | {
        "crime_types": sorted(c.pk for c in crime_types)
        if crime_types is not None
        else before["crime_types"],
        "shared_with": sorted(o.pk for o in shared_with)
        if shared_with is not None
        else before["shared_with"],
        "areas": sorted(o.pk for o in areas) if areas is not None else before["areas"],
    }
    changes = audit.diff(before, after)
    if not changes:
        return threat
    threat.updated_at = timezone.now()
    threat.save()
    if crime_types is not None:
        threat.crime_types.set(crime_types)
    if shared_with is not None:
        threat.shared_with.set(shared_with)
    if areas is not None:
        threat.areas.set(areas)
    audit.record(AuditAction.UPDATE, threat, user=user, changes=changes)
    return threat


@transaction.atomic
def delete_threat(user, threat: Threat, *, reason: str) -> None:
    """Delete a threat (administrators of the owning organisation); a reason is required."""
    require(user, Action.DELETE, threat)
    if not reason.strip():
        raise ValidationError({"reason": ["Give the reason for deleting this threat."]})
    before = audit.snapshot(threat) | m2m_snapshot(threat, *M2M_FIELDS)
    audit.record(
        AuditAction.DELETE, threat, user=user, reason=reason.strip(), changes={"before": before}
    )
    threat.delete()


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
    last = (
        Nominal.objects.filter(reference__startswith="NOM-")
        .order_by("-reference")
        .values_list("reference", flat=True)
        .first()
    )
    number = int(last.split("-")[-1]) + 1 if last and last.split("-")[-1].isdigit() else 1
    return f"NOM-{number:06d}"


def _validate_nominal(nominal: Nominal) -> None:
    errors = {}
    if not nominal.family_name.strip():
        errors["family_name"] = ["Enter the family name (use 'UNKNOWN' if it is not known)."]
    if nominal.date_of_birth and nominal.date_of_birth > timezone.localdate():
        errors["date_of_birth"] = ["The date of birth cannot be in the future."]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def create_nominal(
    user, *, owner, aliases=(), identifiers=(), reference: str = "", **fields
) -> Nominal:
    """Create a nominal with optional aliases [(given, family, type)] and identifiers [(kind, value)]."""
    if not policy.can_create_for(user, owner):
        raise PermissionDenied(f"You may not create records for {owner}.")
    unknown = set(fields) - set(NOMINAL_FIELDS)
    if unknown:
        raise ValidationError({name: ["Unknown field."] for name in sorted(unknown)})
    nominal = Nominal(
        owner=owner, reference=(reference or "").strip() or _next_nominal_reference(), **fields
    )
    if Nominal.objects.filter(reference=nominal.reference).exists():
        raise ValidationError(
            {"reference": [f"A nominal with reference {nominal.reference} already exists."]}
        )
    _validate_nominal(nominal)
    nominal.full_clean(exclude=["shared_with"])
    nominal.save()
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
            | {"aliases": [list(a) for a in aliases], "identifiers": [list(i) for i in identifiers]}
        },
    )
    return nominal


@transaction.atomic
def update_nominal(user, nominal: Nominal, **fields) -> Nominal:
    require(user, Action.CHANGE, nominal)
    unknown = set(fields) - set(NOMINAL_FIELDS)
    if unknown:
        raise ValidationError(
            {name: ["This field cannot be changed here."] for name in sorted(unknown)}
        )
    nominal = Nominal.objects.select_for_update().get(pk=nominal.pk)
    before = audit.snapshot(nominal)
    for name, value in fields.items():
        setattr(nominal, name, value)
    _validate_nominal(nominal)
    nominal.full_clean(exclude=["shared_with"])
    changes = audit.diff(before, audit.snapshot(nominal))
    if changes:
        nominal.updated_at = timezone.now()
        nominal.save()
        audit.record(AuditAction.UPDATE, nominal, user=user, changes=changes)
    return nominal


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
    errors = {}
    if from_date and to_date and to_date < from_date:
        errors["to_date"] = ["The end date cannot be before the start date."]
    if (
        ThreatMember.objects.filter(threat=threat, nominal=nominal, to_date__isnull=True).exists()
        and to_date is None
    ):
        errors["nominal"] = [f"{nominal} is already a current member of {threat.reference}."]
    if errors:
        raise ValidationError(errors)
    member = ThreatMember(
        threat=threat, nominal=nominal, role=role, from_date=from_date, to_date=to_date, notes=notes
    )
    member.full_clean()
    member.save()
    audit.record(AuditAction.CREATE, member, user=user, changes={"after": audit.snapshot(member)})
    return member


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
    link = LinkedEntity(threat=threat, kind=kind, name=name.strip(), detail=detail.strip())
    link.full_clean()
    link.save()
    audit.record(AuditAction.CREATE, link, user=user, changes={"after": audit.snapshot(link)})
    return link
