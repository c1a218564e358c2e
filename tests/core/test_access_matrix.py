"""The access policy, case by case, through the UI and the API.

The expected outcomes below are written out by hand from shared/domain.md §11 and the foundation
issue; they are deliberately not computed from socmaster.core.policy.
"""

from __future__ import annotations

import pytest

from socmaster.core import policy
from socmaster.threats.models import Threat

OWNER_KEY = "force-durham"  # North East region

#: relation name -> organisation key of the user. The record is shared with "force-cheshire"
#: and "partner-durham-county-council" whatever its handling level.
RELATIONS = {
    "own": "force-durham",
    "same_region": "rocu-north-east",
    "other_region": "force-west-yorkshire",
    "named_police": "force-cheshire",
    "partner_shared": "partner-durham-county-council",
    "partner_unshared": "hmrc",
    "inspectorate": "hmicfrs",
}
SHARED_WITH = ["force-cheshire", "partner-durham-county-council"]

HANDLINGS = ["owner", "named", "region", "national"]
ROLES = [
    "analyst",
    "rocta_assessor",
    "moderator",
    "lro",
    "sio",
    "gateway_officer",
    "offender_manager",
    "partner_user",
    "chief_officer",
    "inspector",
    "administrator",
]

# May a user of this relation (without the inspector role) see a record of this handling level?
VIEW = {
    #                   owner  named  region national
    "own": (True, True, True, True),
    "same_region": (False, False, True, True),
    "other_region": (False, False, False, True),
    "named_police": (False, True, True, True),
    "partner_shared": (False, True, True, True),
    "partner_unshared": (False, False, False, False),
    "inspectorate": (False, False, False, True),
}
# Roles that may change records of their own organisation (written out, not imported).
CHANGE_ROLES = {
    "analyst",
    "rocta_assessor",
    "moderator",
    "lro",
    "sio",
    "gateway_officer",
    "offender_manager",
    "chief_officer",
    "administrator",
}
DELETE_ROLES = {"administrator"}


def expected(role: str, relation: str, handling: str, action: str) -> bool:
    sees = role == "inspector" or VIEW[relation][HANDLINGS.index(handling)]
    if action in ("view", "export"):
        return sees
    if role == "inspector" or relation != "own":
        return False
    return role in (CHANGE_ROLES if action == "change" else DELETE_ROLES)


CASES = [(role, relation) for role in ROLES for relation in RELATIONS]
COUNT = len(CASES) * len(HANDLINGS) * 4


@pytest.fixture
def records(db, make_user, org):
    creator = make_user(OWNER_KEY, "analyst", username="creator")
    shared = [org(k) for k in SHARED_WITH]
    out = {}
    for handling in HANDLINGS:
        t = Threat.objects.create(
            reference=f"ACC-{handling}",
            name=f"Access {handling}",
            owner=org(OWNER_KEY),
            handling=handling,
        )
        t.shared_with.set(shared)
        out[handling] = t
    del creator
    return out


@pytest.mark.parametrize(("role", "relation"), CASES, ids=[f"{r}-{rel}" for r, rel in CASES])
def test_access_matrix(role, relation, records, make_user, api, client, settings):
    user = make_user(RELATIONS[relation], role)
    client.force_login(user, backend=settings.AUTHENTICATION_BACKENDS[-1])
    rest = api(user)
    failures = []
    for handling, threat in records.items():
        ref = threat.reference
        for action in ("view", "change", "delete", "export"):
            want = expected(role, relation, handling, action)
            # 1. the policy module, object and queryset forms agree with the table
            got = policy.can(user, action, threat)
            in_qs = (
                policy.restrict(Threat.objects.all(), user, action).filter(pk=threat.pk).exists()
            )
            if got != want or in_qs != want:
                failures.append(
                    f"policy {handling}/{action}: can={got} restrict={in_qs} want={want}"
                )
            # 2. the UI
            if action == "view":
                session = client.session
                session["reasons"] = {f"threats.threat:{threat.pk}": ["matrix test", 9e18]}
                session.save()
                status = client.get(f"/threats/{ref}/").status_code
                ok = status == 200 if want else status == 404
            elif action == "change":
                status = client.get(f"/threats/{ref}/edit/").status_code
                ok = (
                    status == 200
                    if want
                    else status
                    in ((403,) if expected(role, relation, handling, "view") else (404,))
                )
            elif action == "delete":
                status = client.get(f"/threats/{ref}/delete/").status_code
                ok = (
                    status == 200
                    if want
                    else status
                    in ((403,) if expected(role, relation, handling, "view") else (404,))
                )
            else:
                listed = f"/threats/{ref}/" in client.get("/threats/", {"q": ref}).content.decode()
                status, ok = listed, listed == want
            if not ok:
                failures.append(
                    f"UI {handling}/{action}: got {status}, want {'allowed' if want else 'refused'}"
                )
            # 3. the API
            if action == "view":
                status = rest.get(f"/api/threats/{ref}/", HTTP_X_REASON="matrix test").status_code
                ok = status == 200 if want else status == 404
            elif action == "change":
                status = rest.patch(
                    f"/api/threats/{ref}/", {"operation_names": f"Op {role}"}, format="json"
                ).status_code
                ok = status == 200 if want else status in (403, 404)
                if not want and status == 403 and not expected(role, relation, handling, "view"):
                    ok = False  # an unseen record must look missing
            elif action == "delete":
                # Without a reason an allowed delete is refused with 400, so the record survives.
                status = rest.delete(f"/api/threats/{ref}/").status_code
                ok = (
                    status == 400
                    if want
                    else status
                    in ((403,) if expected(role, relation, handling, "view") else (404,))
                )
            else:
                listed = ref in [
                    t["reference"] for t in rest.get("/api/threats/", {"q": ref}).json()["results"]
                ]
                status, ok = listed, listed == want
            if not ok:
                failures.append(
                    f"API {handling}/{action}: got {status}, want {'allowed' if want else 'refused'}"
                )
    assert not failures, f"{role} in {relation}:\n" + "\n".join(failures)


def test_case_count():
    # 11 roles x 7 relations x 4 handling levels x 4 actions, each through policy, UI and API.
    assert COUNT == 1232
