"""Changes to organisations and people. Each writes one audit entry in the same transaction."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from socmaster.core import audit, policy
from socmaster.core.choices import AuditAction
from socmaster.core.tokens import revoke_api_tokens

from .choices import AliasKind, ChangeKind, OrganisationType, Role
from .models import (
    Membership,
    Organisation,
    OrganisationAlias,
    OrganisationChange,
    User,
    normalise_name,
)


def resolve_organisation(name: str, *, field: str = "organisation") -> Organisation:
    """Find an organisation by any of its names, or raise a field-level ValidationError."""
    try:
        return Organisation.objects.resolve(name)
    except Organisation.DoesNotExist as exc:
        raise ValidationError({field: [str(exc)]}) from exc


def _check_roles(actor, organisation: Organisation, roles) -> list[str]:
    """The roles, de-duplicated, if ``actor`` may grant every one of them in ``organisation``.

    One rule for every path (pages, API, CLI): which roles may exist in which kind of
    organisation, and which an administrator may grant, come from ``policy.grantable_roles``.
    """
    if not policy.grantable_roles(actor, organisation):
        raise PermissionDenied("Administrators manage users of their own organisation only.")
    roles = list(dict.fromkeys(roles))
    bad = [r for r in roles if r not in Role.values]
    if bad:
        raise ValidationError(
            {"roles": [f"Unknown role(s): {', '.join(bad)}. Choose from {', '.join(Role.values)}."]}
        )
    if not roles:
        raise ValidationError({"roles": ["Give the user at least one role."]})
    allowed = policy.roles_allowed_in(organisation)
    refused = [Role(r).label for r in roles if r not in allowed]
    if refused:
        kind = organisation.get_type_display().lower()
        if Role.INSPECTOR in roles and Role.INSPECTOR not in allowed:
            message = "Only inspectorate staff can hold the inspector role."
        elif Role.PARTNER_USER in roles and Role.PARTNER_USER not in allowed:
            message = "The partner user role is for partner organisations."
        else:
            message = f"A {kind} cannot hold the role(s): {', '.join(refused)}."
        raise ValidationError({"roles": [message]})
    return roles


@transaction.atomic
def create_user(
    actor,
    *,
    username: str,
    organisation: Organisation,
    roles,
    password: str | None = None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    job_title: str = "",
) -> User:
    """Create a user with roles in ``organisation``. ``actor`` None means an operator at the CLI."""
    roles = _check_roles(actor, organisation, roles)
    errors: dict[str, list[str]] = {}
    username = (username or "").strip()
    if not username:
        errors["username"] = ["Enter a user name."]
    elif User.objects.filter(username__iexact=username).exists():
        errors["username"] = [f"The user name '{username}' is already taken."]
    user = User(
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=email,
        job_title=job_title,
        home_organisation=organisation,
    )
    if password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            errors["password"] = list(exc.messages)
    if errors:
        raise ValidationError(errors)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    for role in roles:
        Membership.objects.create(user=user, organisation=organisation, role=role)
    audit.record(
        AuditAction.CREATE,
        user,
        user=actor,
        changes={
            "after": audit.snapshot(user) | {"memberships": [[organisation.pk, r] for r in roles]}
        },
    )
    return user


@transaction.atomic
def set_roles(actor, target: User, organisation: Organisation, roles) -> None:
    """Replace ``target``'s roles in ``organisation``."""
    roles = _check_roles(actor, organisation, roles)
    before = sorted(
        target.memberships.filter(organisation=organisation).values_list("role", flat=True)
    )
    if before == sorted(set(roles)):  # the roles held already: nothing to write or audit
        return
    target.memberships.filter(organisation=organisation).exclude(role__in=roles).delete()
    for role in roles:
        Membership.objects.get_or_create(user=target, organisation=organisation, role=role)
    audit.record(
        AuditAction.UPDATE,
        target,
        user=actor,
        changes={f"roles@{organisation.key}": {"before": before, "after": sorted(roles)}},
    )


@transaction.atomic
def set_active(actor, target: User, active: bool) -> None:
    if actor is not None and not policy.can_manage_user(actor, target):
        raise PermissionDenied("Administrators manage users of their own organisation only.")
    if target.is_active == active:
        return
    target.is_active = active
    target.save(update_fields=["is_active"])
    audit.record(
        AuditAction.UPDATE,
        target,
        user=actor,
        changes={"is_active": {"before": not active, "after": active}},
    )
    if not active:
        revoke_api_tokens(target, actor=actor, why="deactivated")


@transaction.atomic
def rename_organisation(
    actor,
    organisation: Organisation,
    *,
    name: str,
    short_name: str | None = None,
    effective: dt.date,
) -> Organisation:
    """Rename an organisation; the old names stay as former names so old records still resolve."""
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    short_name = short_name or organisation.short_name
    key = normalise_name(name)
    clash = Organisation.objects.filter(normalised_name=key).exclude(
        pk=organisation.pk
    ).exists() or (
        OrganisationAlias.objects.filter(normalised=key).exclude(organisation=organisation).exists()
    )
    if clash:
        raise ValidationError({"name": [f"Another organisation is already called '{name}'."]})
    OrganisationAlias.objects.filter(organisation=organisation, normalised=key).delete()
    before = {"name": organisation.name, "short_name": organisation.short_name}
    for old, kind in (
        (organisation.name, AliasKind.FORMER_NAME),
        (organisation.short_name, AliasKind.FORMER_SHORT_NAME),
    ):
        if normalise_name(old) not in {normalise_name(name), normalise_name(short_name)}:
            OrganisationAlias.objects.update_or_create(
                normalised=normalise_name(old),
                defaults={
                    "organisation": organisation,
                    "alias": old,
                    "kind": kind,
                    "valid_until": effective,
                },
            )
    organisation.name, organisation.short_name = name, short_name
    organisation.save()
    after = {"name": name, "short_name": short_name}
    OrganisationChange.objects.create(
        organisation=organisation,
        kind=ChangeKind.RENAMED,
        effective=effective,
        before=before,
        after=after,
    )
    audit.record(AuditAction.UPDATE, organisation, user=actor, changes=audit.diff(before, after))
    return organisation


@transaction.atomic
def move_organisation(
    actor,
    organisation: Organisation,
    *,
    region: Organisation,
    rocu: Organisation | None,
    effective: dt.date,
) -> Organisation:
    """Move a force to another region or ROCU, keeping the history of where it was."""
    errors = {}
    if region.type != OrganisationType.REGION:
        errors["region"] = [f"{region} is not a region."]
    if rocu is not None and rocu.type != OrganisationType.ROCU:
        errors["rocu"] = [f"{rocu} is not a ROCU."]
    if errors:
        raise ValidationError(errors)
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    before = {
        "region": organisation.region.name if organisation.region else None,
        "rocu": organisation.rocu.name if organisation.rocu else None,
    }
    organisation.region, organisation.rocu = region, rocu
    organisation.save()
    after = {"region": region.name, "rocu": rocu.name if rocu else None}
    OrganisationChange.objects.create(
        organisation=organisation,
        kind=ChangeKind.MOVED,
        effective=effective,
        before=before,
        after=after,
    )
    audit.record(AuditAction.UPDATE, organisation, user=actor, changes=audit.diff(before, after))
    return organisation


@transaction.atomic
def set_superuser(actor, target: User, superuser: bool) -> None:
    """Make ``target`` a superuser (or not). Only an operator at the CLI (``actor`` None) or a
    superuser may; the promotion is recorded."""
    if actor is not None and not (actor.is_authenticated and actor.is_superuser):
        raise PermissionDenied("Only an operator at the command line or a superuser may do this.")
    if target.is_superuser == superuser and target.is_staff == superuser:
        return
    before = {"is_superuser": target.is_superuser, "is_staff": target.is_staff}
    target.is_superuser = target.is_staff = superuser
    target.save(update_fields=["is_superuser", "is_staff"])
    audit.record(
        AuditAction.UPDATE,
        target,
        user=actor,
        changes=audit.diff(before, {"is_superuser": superuser, "is_staff": superuser}),
    )
