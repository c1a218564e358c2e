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


def _set_crime_types(user, threat, codes):
    from socmaster.threats import services
    from socmaster.threats.models import CrimeType

    services.update_threat(user, threat, crime_types=list(CrimeType.objects.filter(code__in=codes)))


def test_crime_types_added_after_a_whole_threat_assessment_make_it_partial(
    people, threat, make_user
):
    from socmaster.threats.models import CrimeType

    codes = list(CrimeType.objects.order_by("code").values_list("code", flat=True)[:3])
    analyst = make_user("force-durham", "analyst", username="ct-analyst")
    _set_crime_types(analyst, threat, codes[:1])  # known when it was assessed
    _moderated(people, threat, 0, 30)
    assert _no_longer_whole(Threat.objects.all()) == []
    _set_crime_types(analyst, threat, codes[:2])  # one added after moderation
    [row] = _no_longer_whole(Threat.objects.all())
    added = CrimeType.objects.get(code=codes[1]).label
    assert row["threat"] == threat
    assert row["detail"] == f"Crime types added since it was moderated: {added}"
    assert CrimeType.objects.get(code=codes[0]).label not in row["detail"]


def test_a_crime_type_added_and_removed_again_or_a_reassessment_clears_it(
    people, threat, make_user
):
    from socmaster.threats.models import CrimeType

    codes = list(CrimeType.objects.order_by("code").values_list("code", flat=True)[:2])
    analyst = make_user("force-durham", "analyst", username="ct-analyst")
    _moderated(people, threat, 0, 30)
    _set_crime_types(analyst, threat, codes)
    assert len(_no_longer_whole(Threat.objects.all())) == 1
    _set_crime_types(analyst, threat, [])  # removed again: nothing uncovered now
    assert _no_longer_whole(Threat.objects.all()) == []
    _set_crime_types(analyst, threat, codes)
    _moderated(people, threat, 0, 1)  # reassessed after they were added
    assert _no_longer_whole(Threat.objects.all()) == []


def test_members_and_crime_types_together_give_both_reasons(people, threat, make_user):
    from socmaster.threats.models import CrimeType

    analyst = make_user("force-durham", "analyst", username="ct-analyst")
    _moderated(people, threat, 0, 30)
    _set_crime_types(analyst, threat, [CrimeType.objects.order_by("code").first().code])
    later = Nominal.objects.create(reference="N-9", family_name="Newcomer", owner=threat.owner)
    ThreatMember.objects.create(threat=threat, nominal=later, from_date=TODAY)
    [row] = _no_longer_whole(Threat.objects.all())
    assert "joined since" in row["detail"] and "Crime types added since" in row["detail"]
