"""The Quick start's demo: its loader runs on an empty database and its log-ins work."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from socmaster.threats.models import Threat
from socmaster.web.demo import DEMO_PASSWORD

pytestmark = pytest.mark.django_db


def test_demo_loads_and_its_log_ins_work(client):
    out = io.StringIO()
    call_command("demo", "--no-serve", "--scale", "0.01", stdout=out)
    assert "Synthetic demo data ready" in out.getvalue()
    demo = Threat.objects.filter(reference__startswith="DEMO-")
    assert demo.exists()
    # A threat's figures come from a moderated assessment, or say where they came from.
    unexplained = demo.exclude(tier=None).filter(assessment_source="")
    assert not unexplained.exclude(assessments__status="moderated").exists()
    response = client.post("/login/", {"username": "analyst", "password": DEMO_PASSWORD})
    assert response.status_code == 302 and client.get("/threats/").status_code == 200
