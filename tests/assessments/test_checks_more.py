# ruff: noqa: F811 (the shared fixtures are imported by name)
"""Stale scores from any source, and 'whole threat' assessments overtaken by new members."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from socmaster.assessments.checks import _no_longer_whole, _stale
from socmaster.threats.models import Nominal, Threat, ThreatMember
from tests.assessments.test_workflow import people, threat  # noqa: F401
from tests.reporting.test_threat_chart import _moderated

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


def test_an_imported_score_older_than_the_limit_is_stale(org):
    old = Threat.objects.create(
        reference="IMP-OLD",
        name="Old import",
        owner=org("force-durham"),
        score=Decimal("150.00"),
        tier=2,
        moderation_status="moderated",
        assessed_on=TODAY - dt.timedelta(days=400),
        assessment_source="apmis.csv, row 7",
    )
    Threat.objects.create(
        reference="IMP-NEW",
        name="Recent import",
        owner=org("force-durham"),
        score=Decimal("150.00"),
        tier=2,
        moderation_status="moderated",
        assessed_on=TODAY - dt.timedelta(days=100),
        assessment_source="apmis.csv, row 8",
    )
    [row] = _stale(Threat.objects.all())
    assert row["threat"] == old
    assert "Imported score assessed" in row["detail"] and "apmis.csv, row 7" in row["detail"]


def test_a_threat_assessed_in_the_product_is_judged_by_its_assessment_not_its_import(
    people,
    threat,
):
    Threat.objects.filter(pk=threat.pk).update(assessed_on=TODAY - dt.timedelta(days=900))
    _moderated(people | {"assessor": people["assessor"]}, threat, 0, 30)
    assert _stale(Threat.objects.all()) == []  # its moderated evidence is 30 days old


def test_members_joining_after_a_whole_threat_assessment_make_it_partial(
    people,
    threat,
):
    _moderated(people, threat, 0, 30)  # evidence to 30 days ago, whole threat
    earlier = Nominal.objects.create(reference="N-1", family_name="Earlier", owner=threat.owner)
    ThreatMember.objects.create(
        threat=threat, nominal=earlier, from_date=TODAY - dt.timedelta(days=60)
    )
    assert _no_longer_whole(Threat.objects.all()) == []
    later = Nominal.objects.create(reference="N-2", family_name="Newcomer", owner=threat.owner)
    ThreatMember.objects.create(
        threat=threat, nominal=later, from_date=TODAY - dt.timedelta(days=5)
    )
    [row] = _no_longer_whole(Threat.objects.all())
    assert row["threat"] == threat and "Newcomer" in row["detail"].title()


def test_a_partial_assessment_is_not_reported_again_as_overtaken(people, threat):
    _moderated(people, threat, 0, 30, whole=False)
    nominal = Nominal.objects.create(reference="N-3", family_name="Later", owner=threat.owner)
    ThreatMember.objects.create(threat=threat, nominal=nominal, from_date=TODAY)
    assert _no_longer_whole(Threat.objects.all()) == []
