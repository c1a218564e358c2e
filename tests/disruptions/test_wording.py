"""Never-SOC activities found in any wording: word forms, abbreviations and system names, kept as
data in the standard."""

from __future__ import annotations

import pytest

from socmaster.disruptions.wording import matches

RSO = {
    "phrase": "registered sex offender",
    "terms": ["RSO", "ViSOR", "sex offender management", "SOM visit"],
}


@pytest.mark.parametrize(
    "text",
    [
        "Registered sex offender visited at home address",
        "Visits to registered sex offenders completed",  # plural
        "Managing registered sex-offenders in the area",  # punctuation
        "RSO visit completed, no concerns",
        "Two RSOs checked",  # an abbreviation's plural
        "ViSOR record updated",
        "VISOR record updated",
        "Quarterly sex offender management review",
        "Monthly SOM visit",
    ],
)
def test_every_wording_of_the_activity_is_found(text):
    assert matches(RSO, text)


@pytest.mark.parametrize(
    "text",
    [
        "Cocaine found behind the car's visor",  # a name is not the everyday word
        "Three principals arrested; drugs line closed",
        "Supervisor briefed the team",  # never inside another word
        "The offender was registered at a new address",  # the words, but not the phrase
        "som visit",  # an abbreviation only in capitals
    ],
)
def test_other_text_is_not_flagged(text):
    assert matches(RSO, text) is None


def test_the_shipped_standard_refuses_an_rso_visit_recorded_as_a_disruption(org, db):
    from socmaster.disruptions.services import current_standard, standard_failures
    from socmaster.threats.models import Threat

    threat = Threat.objects.create(reference="W-1", name="n", owner=org("force-durham"))
    standard = current_standard()
    failures = standard_failures({"narrative": "RSO home visit, ViSOR updated"}, threat, standard)
    assert any("offender management" in m for m in failures["narrative"])
    assert "narrative" not in standard_failures(
        {"narrative": "Cash seized under POCA"}, threat, standard
    )
