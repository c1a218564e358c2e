"""Every imported kind of record shows, read-only, where it came from in the API."""

from __future__ import annotations

import pytest

from socmaster.assessments.api import AssessmentSerializer
from socmaster.core.api import IMPORT_FIELDS, OUTSIDE_DECISION_FIELDS
from socmaster.disruptions.api import DisruptionSerializer
from socmaster.intelligence.api import ReportSerializer, SarSerializer
from socmaster.plans.api import PlanActionSerializer, PlanReviewSerializer, PlanSerializer
from socmaster.threats.api import ThreatMemberSerializer


@pytest.mark.parametrize(
    "serializer",
    [
        AssessmentSerializer,
        DisruptionSerializer,
        PlanSerializer,
        PlanActionSerializer,
        PlanReviewSerializer,
        ThreatMemberSerializer,
        ReportSerializer,
        SarSerializer,
    ],
)
def test_import_fields_are_shown_and_read_only(serializer):
    fields = serializer().get_fields()
    for name in IMPORT_FIELDS:
        assert name in fields and fields[name].read_only, name


@pytest.mark.parametrize("serializer", [AssessmentSerializer, DisruptionSerializer])
def test_decisions_made_outside_are_shown_and_read_only(serializer):
    fields = serializer().get_fields()
    for name in OUTSIDE_DECISION_FIELDS:
        assert name in fields and fields[name].read_only, name
