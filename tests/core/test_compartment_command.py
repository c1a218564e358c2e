"""``socmaster compartment``: an operator creates compartments and grants and ends memberships,
each audited; bad input is a clear message and a non-zero exit, and nothing changes."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from socmaster.core import policy
from socmaster.core.models import AuditEntry, Compartment, CompartmentMember

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("compartment", *args, stdout=out)
    return out.getvalue()


def test_create_grant_list_and_end(make_user):
    user = make_user("force-durham", "analyst", username="siu-officer")
    assert "created" in run("create", "siu", "Sensitive intelligence unit", "--owner", "Durham")
    assert Compartment.objects.get(code="siu").owner.key == "force-durham"
    run("grant", "siu", "siu-officer", "--reason", "Joined the unit")
    assert policy.compartment_ids(type(user).objects.get(pk=user.pk))
    assert "siu-officer" in run("list")
    run("end", "siu", "siu-officer", "--reason", "Left the unit")
    assert not policy.compartment_ids(type(user).objects.get(pk=user.pk))
    actions = list(
        AuditEntry.objects.filter(record_type__startswith="core.compartment")
        .order_by("seq")
        .values_list("action", "record_type")
    )
    assert actions == [
        ("create", "core.compartment"),
        ("create", "core.compartmentmember"),
        ("update", "core.compartmentmember"),
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("grant", "nope", "someone", "--reason", "Joined"), "No compartment 'nope'"),
        (("create", "x"), "create needs name or user"),
        (("create", "x", "X", "--owner", "Atlantis"), ""),
    ],
)
def test_bad_input_is_a_clear_error(args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert not Compartment.objects.exists()


def test_a_grant_needs_a_reason_and_a_real_user(make_user):
    make_user("force-durham", "analyst", username="officer")
    run("create", "siu", "Sensitive intelligence unit", "--owner", "Durham")
    with pytest.raises(CommandError, match="reason"):
        run("grant", "siu", "officer")
    with pytest.raises(CommandError, match="No user 'ghost'"):
        run("grant", "siu", "ghost", "--reason", "Joined the unit")
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        run("grant", "siu", "officer", "--reason", "Joined the unit", "--from", "tomorrow")
    assert not CompartmentMember.objects.exists()
