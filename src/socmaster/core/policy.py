"""The need-to-know access policy: the one place that decides who may do what to which record.

Rules (shared/domain.md §11):

* A record is always visible to its owning organisation's members.
* Beyond the owner, the record's handling level decides:
  ``owner`` – nobody else, whatever it is shared with;
  ``named`` – the organisations it is shared with;
  ``region`` – police and agency organisations of the owner's region, plus those it is shared with;
  ``national`` – every police or agency organisation, plus those it is shared with.
* Partner organisations (government and local partners) see only records they own or that are
  shared with them by name (never an owner-only record of someone else).
* Inspectors read everything and change nothing.
* Changing needs a working role in the owning organisation (or being the record's LRO);
  deleting needs the owning organisation's administrator; exporting follows viewing.
* A record the user may not see is indistinguishable from a missing one (404).

Every model declares its protection (``protection = ...``, see :class:`core.models.Protection`):
it owns it, or inherits it from a parent record, or is reference data, people or the audit log.
The functions below answer from that declaration, so records that inherit (an assessment from
its threat, a plan action from its plan and so from the threat) get exactly their parent's answer.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from socmaster.organisations.choices import PARTNER_TYPES, OrganisationType, Role

from .choices import RESTRICTED_HANDLING, Action, Handling

#: Roles that may change records owned by their organisation.
WRITE_ROLES = frozenset(
    {
        Role.ANALYST,
        Role.RESEARCHER,
        Role.ROCTA_ASSESSOR,
        Role.MODERATOR,
        Role.LRO,
        Role.SIO,
        Role.GATEWAY_OFFICER,
        Role.OFFENDER_MANAGER,
        Role.CHIEF_OFFICER,
        Role.ADMINISTRATOR,
    }
)
#: Roles that may delete records owned by their organisation.
DELETE_ROLES = frozenset({Role.ADMINISTRATOR})


# --- Declared protection ----------------------------------------------------------------------


def protection_of(model):
    """The protection ``model`` declares; a model that declares none is a configuration error."""
    declared = getattr(model, "protection", None)
    if declared is None:
        raise ImproperlyConfigured(f"{model._meta.label} declares no protection.")
    return declared


def root_model(model):
    """The model that owns the protection of ``model`` (itself, for an owning model)."""
    declared = protection_of(model)
    if declared.kind != "inherits":
        return model
    for part in declared.parent.split("__"):
        model = model._meta.get_field(part).related_model
    if protection_of(model).kind != "owns":
        raise ImproperlyConfigured(
            f"{declared.parent} does not lead to a record owning its protection."
        )
    return model


def root_of(obj):
    """The record that owns ``obj``'s protection (``obj`` itself, for an owning record)."""
    declared = protection_of(type(obj))
    if declared.kind != "inherits":
        return obj
    for part in declared.parent.split("__"):
        obj = getattr(obj, part)
    return obj


def is_restricted(obj) -> bool:
    """Does opening ``obj`` need a stated reason (its own or its parent's handling, or a
    compartment)?"""
    root = root_of(obj)
    return (
        getattr(root, "handling", None) in RESTRICTED_HANDLING
        or getattr(root, "compartment_id", None) is not None
    )


# --- Compartments -----------------------------------------------------------------------------


def compartment_ids(user) -> frozenset[int]:
    """The compartments ``user`` is a member of today (cached on the user object)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, "_compartment_ids", None)
    if cached is None:
        from django.utils import timezone

        from .models import CompartmentMember

        today = timezone.localdate()
        cached = frozenset(
            CompartmentMember.objects.filter(user_id=user.pk, valid_from__lte=today)
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))
            .values_list("compartment_id", flat=True)
        )
        user._compartment_ids = cached
    return cached


def forget_compartments(user) -> None:
    """Drop the cached compartments of ``user`` (after a membership is granted or ended)."""
    if user is not None and hasattr(user, "_compartment_ids"):
        del user._compartment_ids


def in_compartment_of(user, obj) -> bool:
    """Is ``obj`` (by its own compartment or its parent's) open to ``user``? A record in no
    compartment is; a compartmented one only to the compartment's members, whoever else they
    are (inspectors and superusers included)."""
    compartment = getattr(root_of(obj), "compartment_id", None)
    return compartment is None or compartment in compartment_ids(user)


def _compartment_q(user) -> Q:
    return Q(compartment__isnull=True) | Q(compartment_id__in=compartment_ids(user))


def is_reader_of_everything(user) -> bool:
    return bool(user.is_superuser or user.has_role(Role.INSPECTOR))


def is_read_only(user) -> bool:
    """Inspectors change nothing, even where they hold another role."""
    return user.has_role(Role.INSPECTOR) and not user.is_superuser


def is_partner_only(user) -> bool:
    """Does ``user`` work only for partner organisations (no police or agency membership)?

    Such users see only what is shared with them by name, so the police-only pages (exceptions
    across the master list, nominals, the people directory, the API) are not offered to them.
    """
    if not user.is_authenticated or user.is_superuser:
        return False
    memberships = user.active_memberships
    return bool(memberships) and all(m.organisation.is_partner for m in memberships)


def is_police_user(user) -> bool:
    """Not a partner-only user: the menu offers them the police-only pages."""
    return not is_partner_only(user)


def _police_memberships(user):
    return [m for m in user.active_memberships if not m.organisation.is_partner]


def visible_q(user, model) -> Q | None:
    """A filter selecting the records of ``model`` that ``user`` may see (None: all)."""
    if is_reader_of_everything(user):
        return None
    org_ids = user.organisation_ids
    through = model.shared_with.through
    source = f"{model._meta.model_name}_id"
    shared = through.objects.filter(organisation_id__in=org_ids).values(source)
    q = Q(owner_id__in=org_ids) | (Q(pk__in=shared) & ~Q(handling=Handling.OWNER))
    police = _police_memberships(user)
    if police:
        regions = {m.organisation.region_id for m in police if m.organisation.region_id}
        q |= Q(handling=Handling.NATIONAL)
        if regions:
            q |= Q(handling=Handling.REGION, owner__region_id__in=regions)
    return q


def restrict(queryset: QuerySet, user, action: str = Action.VIEW) -> QuerySet:
    """The part of ``queryset`` that ``user`` may act on (views, lists, API, exports, reports)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return queryset.none()
    model = queryset.model
    declared = protection_of(model)
    if declared.kind == "inherits":
        # A correlated EXISTS, not ``parent__in``: SQLite builds an uncorrelated IN list of every
        # parent the user may see before it reads a single child (200,000 intelligence reports
        # to find the mentions of two), where EXISTS looks up each child's parent by its key.
        # The same rows either way; PostgreSQL plans both as a semi-join.
        parents = restrict(root_model(model).objects.all(), user, action)
        return queryset.filter(Exists(parents.filter(pk=OuterRef(declared.parent))))
    if declared.kind != "owns":
        raise ImproperlyConfigured(f"{model._meta.label} is not a protected record.")
    queryset = queryset.filter(_compartment_q(user))
    if action == Action.VIEW or action == Action.EXPORT:
        q = visible_q(user, model)
        return queryset if q is None else queryset.filter(q)
    if is_read_only(user):
        return queryset.none()
    roles = DELETE_ROLES if action == Action.DELETE else WRITE_ROLES
    org_ids = [m.organisation_id for m in user.active_memberships if m.role in roles]
    q = Q(owner_id__in=org_ids)
    if action == Action.CHANGE and hasattr(model, "lro"):
        # An LRO changes the record they lead, as long as they may still see it (as can() says).
        q |= Q(lro_id=user.pk) & (visible_q(user, model) or Q())
    return queryset.filter(q)


def _may_see(user, obj) -> bool:
    if obj.compartment_id is not None and obj.compartment_id not in compartment_ids(user):
        return False
    if is_reader_of_everything(user):
        return True
    org_ids = user.organisation_ids
    if obj.owner_id in org_ids:
        return True
    if obj.handling == Handling.OWNER:
        return False
    if obj.pk is not None and obj.shared_with.filter(pk__in=org_ids).exists():
        return True
    police = _police_memberships(user)
    if not police:
        return False
    if obj.handling == Handling.NATIONAL:
        return True
    if obj.handling == Handling.REGION:
        regions = {m.organisation.region_id for m in police}
        return obj.owner.region_id is not None and obj.owner.region_id in regions
    return False


def can(user, action: str, obj) -> bool:
    """May ``user`` perform ``action`` on ``obj``?"""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if action not in Action.ALL:
        raise ValueError(f"Unknown action {action!r}")
    obj = root_of(obj)
    if not _may_see(user, obj):
        return False
    if action in (Action.VIEW, Action.EXPORT):
        return True
    if is_read_only(user):
        return False
    if action == Action.DELETE:
        return bool(user.roles_in(obj.owner_id) & DELETE_ROLES)
    if user.roles_in(obj.owner_id) & WRITE_ROLES:
        return True
    return getattr(obj, "lro_id", None) == user.pk


def can_share(user, obj) -> bool:
    """May ``user`` decide who sees ``obj`` beyond its owner (handling and sharing)?

    Only a working role in the owning organisation: being the record's LRO is not enough.
    """
    obj = root_of(obj)
    if not can(user, Action.CHANGE, obj) or is_read_only(user):
        return False
    return bool(user.roles_in(obj.owner_id) & WRITE_ROLES)


def can_create_for(user, organisation) -> bool:
    """May ``user`` create records owned by ``organisation``?"""
    if not user.is_authenticated or is_read_only(user):
        return False
    return bool(user.roles_in(organisation.pk) & WRITE_ROLES)


def get_or_404(queryset: QuerySet, user, action: str = Action.VIEW, **lookup):
    """Fetch one record the user may act on; missing and forbidden both raise 404."""
    try:
        return restrict(queryset, user, action).get(**lookup)
    except queryset.model.DoesNotExist as exc:
        raise Http404("No such record.") from exc


# --- People -----------------------------------------------------------------------------------


#: Which roles may exist in which kind of organisation. Inspectors belong to the inspectorate,
#: partner users to partner organisations; every other role to police and agency organisations.
POLICE_ROLES = frozenset(Role.values) - {Role.INSPECTOR, Role.PARTNER_USER}
INSPECTORATE_ROLES = frozenset({Role.INSPECTOR, Role.ADMINISTRATOR})
PARTNER_ROLES = frozenset({Role.PARTNER_USER, Role.ADMINISTRATOR})


def roles_allowed_in(organisation) -> frozenset[str]:
    """The roles a member of ``organisation`` may hold, whoever grants them."""
    if organisation.type == OrganisationType.INSPECTORATE:
        return INSPECTORATE_ROLES
    if organisation.type in PARTNER_TYPES:
        return PARTNER_ROLES
    return POLICE_ROLES


def grantable_roles(actor, organisation) -> frozenset[str]:
    """The roles ``actor`` may grant in ``organisation`` (``actor`` None: an operator at the CLI).

    An administrator grants, in an organisation they administer, only the roles that kind of
    organisation may hold; an inspector never grants anything, whatever else they hold.
    """
    allowed = roles_allowed_in(organisation)
    if actor is None or (actor.is_authenticated and actor.is_active and actor.is_superuser):
        return allowed
    if not actor.is_authenticated or not actor.is_active or is_read_only(actor):
        return frozenset()
    if organisation.pk not in administered_organisation_ids(actor):
        return frozenset()
    return allowed


def administrable(queryset: QuerySet, user) -> QuerySet:
    """The organisations in ``queryset`` where ``user`` may grant roles and add users."""
    if not user.is_authenticated or not user.is_active or is_read_only(user):
        return queryset.none()
    if user.is_superuser:
        return queryset
    return queryset.filter(pk__in=administered_organisation_ids(user))


def is_national_administrator(user) -> bool:
    """May ``user`` change national reference data (scoring schemes, minimum standards)?

    Operators at the CLI (``user`` None), superusers, and administrators of a national agency;
    never an inspector, whatever else they hold.
    """
    if user is None:
        return True
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if is_read_only(user):
        return False
    return any(
        m.role == Role.ADMINISTRATOR and m.organisation.type == OrganisationType.NATIONAL_AGENCY
        for m in user.active_memberships
    )


def administered_organisation_ids(user) -> frozenset[int]:
    return frozenset(
        m.organisation_id for m in user.active_memberships if m.role == Role.ADMINISTRATOR
    )


def visible_users(queryset: QuerySet, user) -> QuerySet:
    """People a user may look up: colleagues in their own organisations (everyone for inspectors)."""
    if not user.is_authenticated:
        return queryset.none()
    if is_reader_of_everything(user):
        return queryset
    return queryset.filter(
        Q(pk=user.pk) | Q(memberships__organisation_id__in=user.organisation_ids)
    ).distinct()


def can_manage_user(admin, target) -> bool:
    """Administrators manage users of their own organisation only."""
    if not admin.is_authenticated or not admin.is_active:
        return False
    if admin.is_superuser:
        return True
    if is_read_only(admin):
        return False
    administered = administered_organisation_ids(admin)
    if not administered:
        return False
    target_orgs = {m.organisation_id for m in target.memberships.all()}
    return bool(target_orgs) and target_orgs <= administered


def can_view_audit(user) -> bool:
    return user.is_authenticated and (
        user.is_superuser or user.has_role(Role.ADMINISTRATOR) or user.has_role(Role.INSPECTOR)
    )


def import_jobs_scope(queryset: QuerySet, user) -> QuerySet:
    """Import records a user may see: their own, and those started in an organisation they
    administer. Inspectors see none (they import nothing)."""
    if not user.is_authenticated or not user.is_active:
        return queryset.none()
    return queryset.filter(
        Q(created_by_id=user.pk) | Q(organisation_id__in=administered_organisation_ids(user))
    )


def can_read_history(user, obj) -> bool:
    """May ``user`` read the audit history of ``obj`` (its own or its parent's record)?

    The same rule as :func:`audit_scope`: inspectors (and superusers) read every entry;
    administrators read every entry about a record their organisation owns. Anyone else, the
    record's LRO and the owner's analysts included, has no audit viewer, so the threat page does
    not offer them a link that would answer 403.
    """
    if not can_view_audit(user) or not in_compartment_of(user, obj):
        return False
    if is_reader_of_everything(user):
        return True
    if is_read_only(user):
        return False
    return getattr(root_of(obj), "owner_id", None) in administered_organisation_ids(user)


def audit_scope(queryset: QuerySet, user) -> QuerySet:
    """Administrators see the entries made through a membership of an organisation they
    administer (the membership in force at the time, not those held before or since), and every
    entry about a record their organisation owns, whoever opened or changed it. Inspectors see
    all."""
    if not user.is_authenticated or not user.is_active:
        return queryset.none()
    queryset = queryset.filter(
        Q(record_compartment_id__isnull=True) | Q(record_compartment_id__in=compartment_ids(user))
    )
    if is_reader_of_everything(user):
        return queryset
    administered = administered_organisation_ids(user)
    if not administered or is_read_only(user):
        return queryset.none()
    return queryset.filter(
        Q(organisation_id__in=administered) | Q(record_owner_id__in=administered)
    )
