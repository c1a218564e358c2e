"""Inspection faults in disruption recording, flagged on the exceptions report: backdated
records, support records whose lead is no longer approved, and active OCGs left undisrupted."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from socmaster.disruptions.checks import (
    _backdated,
    _ocg_without_disruption,
    _support_lead_not_approved,
)
from socmaster.disruptions.models import Disruption
from socmaster.threats.exceptions import checks
from socmaster.threats.models import Threat
from tests.disruptions.test_disruptions import record

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


@pytest.fixture
def lro(make_user):
    return make_user("force-durham", "lro")


@pytest.fixture
def ocg(org, lro):
    return Threat.objects.create(
        reference="CK-OCG",
        name="Harbour network",
        owner=org("force-durham"),
        threat_type="ocg",
        handling="region",
        lro=lro,
        opened_on=TODAY - dt.timedelta(days=400),
    )


def _all():
    return Threat.objects.all()


def test_the_checks_are_on_the_exceptions_report():
    keys = {c.key for c in checks()}
    assert {"backdated_disruptions", "support_lead_not_approved", "ocg_no_disruption"} <= keys


def test_a_record_date_typed_before_the_day_of_entry_is_backdated(ocg, lro, org):
    d = record(
        lro,
        ocg,
        org("force-durham"),
        event_date=TODAY - dt.timedelta(days=25),
        record_date=TODAY - dt.timedelta(days=20),
    )
    [row] = _backdated(_all())
    assert row["threat"] == ocg and f"{d.reference}: record date" in row["detail"]
    assert "(20 days later)" in row["detail"]
    # entered 25 days after the event: within the 30 the default standard allows
    assert "beyond" not in row["detail"]
    Disruption.objects.filter(pk=d.pk).update(created_at=timezone.now() + dt.timedelta(days=10))
    assert "beyond the 30 the standard allows" in _backdated(_all())[0]["detail"]


def test_a_record_dated_the_day_it_was_entered_or_imported_is_not_backdated(
    ocg, lro, org, settings
):
    d = record(lro, ocg, org("force-durham"), record_date=TODAY - dt.timedelta(days=1))
    assert _backdated(_all()) == []  # one day is allowed
    settings.SOCMASTER = {**settings.SOCMASTER, "BACKDATED_DAYS": 0}
    assert len(_backdated(_all())) == 1
    Disruption.objects.filter(pk=d.pk).update(import_source="force history.csv, row 2")
    assert _backdated(_all()) == []  # imported history keeps its source's dates


def test_an_approved_support_whose_lead_is_not_approved_is_flagged(ocg, lro, org):
    lead = record(lro, ocg, org("force-durham"))
    support = record(lro, ocg, org("force-durham"), disruption_type="support", lead=lead)
    Disruption.objects.filter(pk__in=[lead.pk, support.pk]).update(status="approved")
    assert _support_lead_not_approved(_all()) == []
    Disruption.objects.filter(pk=lead.pk).update(status="rejected")
    [row] = _support_lead_not_approved(_all())
    assert f"its lead {lead.reference} is rejected" in row["detail"]


def test_an_active_ocg_without_a_recent_approved_disruption_is_flagged(ocg, lro, org, settings):
    d = record(lro, ocg, org("force-durham"))
    [row] = _ocg_without_disruption(_all())  # recorded, but not approved
    assert row["threat"] == ocg and "No approved disruption recorded" in row["detail"]
    Disruption.objects.filter(pk=d.pk).update(status="approved")
    assert _ocg_without_disruption(_all()) == []
    Disruption.objects.filter(pk=d.pk).update(event_date=TODAY - dt.timedelta(days=200))
    [row] = _ocg_without_disruption(_all())
    assert "Last approved disruption" in row["detail"] and "(period 183 days)" in row["detail"]
    settings.SOCMASTER = {**settings.SOCMASTER, "OCG_DISRUPTION_GAP_DAYS": 365}
    assert _ocg_without_disruption(_all()) == []


def test_a_new_or_closed_ocg_is_not_flagged(ocg):
    Threat.objects.filter(pk=ocg.pk).update(opened_on=TODAY - dt.timedelta(days=10))
    assert _ocg_without_disruption(_all()) == []
    Threat.objects.filter(pk=ocg.pk).update(
        opened_on=TODAY - dt.timedelta(days=400), closed_on=TODAY, closed_reason="Dismantled"
    )
    assert _ocg_without_disruption(_all()) == []
