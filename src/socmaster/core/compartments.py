"""Compartments: named units whose members alone may see the records put in them.

Any protected record of any app (a threat, a nominal, an intelligence report…) may be put in a
compartment; the access policy (:mod:`core.policy`) then answers "missing" to everyone outside it,
inspectors and superusers included, and every opening of it needs a reason and is audited.

Who manages what, so that nobody can give themselves a compartment:

* an operator at the command line (``actor`` None) creates compartments and grants their first
  members;
* afterwards an administrator of the compartment's owning organisation who is a member of the
  compartment grants and ends memberships;
* a member of the compartment who may change a record puts it in the compartment or takes it out.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from . import audit, policy
from .choices import Action, AuditAction
from .models import Compartment, CompartmentMember
from .reasons import REASON_TOO_SHORT, is_enough


def _actor_name(actor) -> str:
    return getattr(actor, "username", "") or "operator"


def may_manage(actor, compartment: Compartment) -> bool:
    """May ``actor`` grant and end memberships of ``compartment``?"""
    if actor is None:
        return True
    if not actor.is_authenticated or not actor.is_active or policy.is_read_only(actor):
        return False
    if compartment.pk not in policy.compartment_ids(actor):
        return False
    return compartment.owner_id in policy.administered_organisation_ids(actor)


def create_compartment(actor, *, code: str, name: str, owner, description: str = "") -> Compartment:
    """Create a compartment (operators only: a compartment is a security decision)."""
    if actor is not None and not (actor.is_authenticated and actor.is_superuser):
        raise PermissionDenied("Only an operator creates compartments.")
    with transaction.atomic():
        compartment = Compartment(code=code, name=name, owner=owner, description=description)
        compartment.full_clean()
        compartment.save()
        audit.record(
            AuditAction.CREATE,
            compartment,
            user=actor,
            changes={"code": code, "name": name, "owner": owner.pk},
        )
    return compartment


def current_members(compartment: Compartment, on: dt.date | None = None):
    on = on or timezone.localdate()
    return compartment.members.filter(valid_from__lte=on).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=on)
    )


def grant(
    actor,
    compartment: Compartment,
    user,
    *,
    reason: str,
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
) -> CompartmentMember:
    """Give ``user`` the compartment (audited, with the reason)."""
    if not may_manage(actor, compartment):
        raise PermissionDenied("You may not manage the members of this compartment.")
    if not is_enough(reason):
        raise ValidationError({"reason": [REASON_TOO_SHORT]})
    valid_from = valid_from or timezone.localdate()
    if valid_to is not None and valid_to < valid_from:
        raise ValidationError({"valid_to": ["The end date must be on or after the start date."]})
    with transaction.atomic():
        if current_members(compartment, valid_from).filter(user=user).exists():
            raise ValidationError({"user": [f"{user} is already a member of {compartment}."]})
        member = CompartmentMember.objects.create(
            compartment=compartment,
            user=user,
            valid_from=valid_from,
            valid_to=valid_to,
            granted_by=_actor_name(actor),
            reason=reason.strip(),
        )
        audit.record(
            AuditAction.CREATE,
            member,
            user=actor,
            reason=reason.strip(),
            changes={
                "compartment": compartment.code,
                "user": user.username,
                "valid_from": valid_from.isoformat(),
                "valid_to": valid_to.isoformat() if valid_to else None,
            },
        )
    policy.forget_compartments(user)
    return member


def end(actor, member: CompartmentMember, *, reason: str, on: dt.date | None = None) -> None:
    """End a membership from ``on`` (today by default): the user no longer sees the records."""
    if not may_manage(actor, member.compartment):
        raise PermissionDenied("You may not manage the members of this compartment.")
    if not is_enough(reason):
        raise ValidationError({"reason": [REASON_TOO_SHORT]})
    on = on or timezone.localdate()
    last_day = on - dt.timedelta(days=1)
    with transaction.atomic():
        member = CompartmentMember.objects.select_for_update().get(pk=member.pk)
        before = member.valid_to
        member.valid_to = max(last_day, member.valid_from - dt.timedelta(days=1))
        member.save(update_fields=["valid_to"])
        audit.record(
            AuditAction.UPDATE,
            member,
            user=actor,
            reason=reason.strip(),
            changes={
                "valid_to": {
                    "before": before.isoformat() if before else None,
                    "after": member.valid_to.isoformat(),
                }
            },
        )
    policy.forget_compartments(member.user)


def place(actor, obj, compartment: Compartment | None, *, reason: str) -> bool:
    """Put ``obj`` (a record owning its protection) in ``compartment``, or take it out (None).

    The actor must be able to change the record and be a member of both the compartment it
    leaves and the one it enters. Returns whether anything changed."""
    if policy.protection_of(type(obj)).kind != "owns":
        raise ValidationError(
            {"compartment": ["Only a record that owns its protection can be compartmented."]}
        )
    if actor is not None:
        if not policy.can(actor, Action.CHANGE, obj):
            raise PermissionDenied("You may not change this record.")
        held = policy.compartment_ids(actor)
        for needed in (obj.compartment_id, getattr(compartment, "pk", None)):
            if needed is not None and needed not in held:
                raise PermissionDenied("You are not a member of that compartment.")
    if not is_enough(reason):
        raise ValidationError({"reason": [REASON_TOO_SHORT]})
    new_id = getattr(compartment, "pk", None)
    if obj.compartment_id == new_id:
        return False
    with transaction.atomic():
        before = obj.compartment_id
        type(obj).objects.filter(pk=obj.pk).update(compartment_id=new_id)
        obj.compartment_id = new_id
        audit.record(
            AuditAction.UPDATE,
            obj,
            user=actor,
            reason=reason.strip(),
            changes={"compartment": {"before": before, "after": new_id}},
        )
    return True
