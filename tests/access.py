"""The shared access test base: every protected model plugs in with a record factory, its page and
API addresses, and the hand-written expected outcomes below (in the spirit of NetBox's API view
test cases). ``tests/core/test_declared_access.py`` runs every case.

The outcomes are written out from docs/access-and-audit.md, not computed from the policy.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from socmaster.organisations.models import Membership, Organisation, User

OWNER = "force-durham"  # North East region
SHARED_WITH = ("force-cheshire", "partner-durham-county-council")
HANDLINGS = ("owner", "named", "region", "national")
RESTRICTED = {"owner", "named"}

#: One user per role and relation: name -> (organisation key, roles, extra (org, role) memberships).
CAST = {
    "owner_analyst": (OWNER, ("analyst",), ()),
    "owner_admin": (OWNER, ("administrator",), ()),
    "same_region": ("rocu-north-east", ("analyst",), ()),
    "other_region": ("force-west-yorkshire", ("analyst",), ()),
    "named_police": ("force-cheshire", ("analyst",), ()),
    "partner_shared": ("partner-durham-county-council", ("partner_user",), ()),
    "partner_unshared": ("partner-middlesbrough-council", ("partner_user",), ()),
    "inspector": ("hmicfrs", ("inspector",), ()),
    # An inspector who also works in the owning force: still reads everything and changes nothing.
    "inspector_and_analyst": ("hmicfrs", ("inspector",), ((OWNER, "analyst"),)),
    "inactive_owner": (OWNER, ("analyst",), ()),
}

#: May this member of the cast see a record of each handling level (owner, named, region, national)?
SEES = {
    "owner_analyst": (True, True, True, True),
    "owner_admin": (True, True, True, True),
    "same_region": (False, False, True, True),
    "other_region": (False, False, False, True),
    "named_police": (False, True, True, True),
    "partner_shared": (False, True, True, True),
    "partner_unshared": (False, False, False, False),
    "inspector": (True, True, True, True),
    "inspector_and_analyst": (True, True, True, True),
    "inactive_owner": (False, False, False, False),
}
#: Who may change and who may delete (any handling): the owner's working roles; its administrator.
CHANGES = {"owner_analyst", "owner_admin"}
DELETES = {"owner_admin"}


def sees(member: str, handling: str) -> bool:
    return SEES[member][HANDLINGS.index(handling)]


def make_cast(make_user) -> dict[str, User]:
    people = {}
    for name, (org_key, roles, extra) in CAST.items():
        user = make_user(org_key, *roles, username=f"cast-{name.replace('_', '-')}")
        for key, role in extra:
            Membership.objects.create(
                user=user, organisation=Organisation.objects.get(key=key), role=role
            )
        if name == "inactive_owner":
            user.is_active = False
            user.save(update_fields=["is_active"])
        people[name] = user
    return people


@dataclass(frozen=True)
class ProtectedCase:
    """One protected model, declared for the shared access tests.

    ``make(handling, people)`` builds one record whose protection (its own or its parent's) has
    that handling level, owned by ``OWNER`` and shared with ``SHARED_WITH``. ``api`` and ``page``
    give its addresses (None where it has none); ``missing_api`` and ``missing_page`` the address
    of a record that does not exist, whose answer a hidden record must equal. ``patch`` is a
    change that ``CHANGES`` may make through the API (200); anyone else who sees the record gets
    403 and anyone who does not, 404.
    """

    name: str
    model: type
    make: Callable
    api: Callable | None = None
    api_list: str | None = None
    list_key: str = "id"
    page: Callable | None = None
    missing_api: str | None = None
    missing_page: str | None = None
    #: A harmless change sent by PATCH to the API detail address: (field, value).
    patch: tuple[str, object] | None = None


_CSRF = re.compile(rb"[A-Za-z0-9]{64}")


def same_body(a: bytes, b: bytes) -> bool:
    """Two responses' bodies are the same but for the per-request CSRF token."""
    return _CSRF.sub(b"", a) == _CSRF.sub(b"", b)


TODAY = dt.date.today()
