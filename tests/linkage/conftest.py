import datetime as dt
import itertools

import pandas as pd
import pytest
from django.utils import timezone

from socmaster.intelligence.models import SarSubject, SuspiciousActivityReport
from socmaster.linkage import services
from socmaster.linkage.choices import ModelStatus
from socmaster.linkage.engine import prepare, train
from socmaster.linkage.models import CandidateMatch, LinkageModel
from socmaster.organisations.models import Organisation
from socmaster.synth import people as synth
from socmaster.threats.models import Nominal

NOMINALS = 3000
SUBJECTS = 30000


def raw(persons, id_column):
    rows = [p.row() for p in persons]
    return pd.DataFrame(rows, columns=[id_column, *synth.COLUMNS])


@pytest.fixture(scope="session")
def nominal_people():
    return synth.nominals(NOMINALS, seed=11)


@pytest.fixture(scope="session")
def nominals(nominal_people):
    return prepare(raw(nominal_people, "id"), "id")


@pytest.fixture(scope="session")
def model(nominal_people, nominals):
    """One model trained on the synthetic truth set, shared by the engine's tests."""
    subjects = [s.person for s in synth.subjects(nominal_people, SUBJECTS, seed=11)]
    return train(nominals, prepare(raw(subjects, "subject_id"), "subject_id"))


@pytest.fixture(autouse=True)
def _fresh_lookup():
    """Each test's database starts again, ids and all: the process's lookup must not outlive it."""
    from socmaster.linkage import services

    services.forget_lookup()
    yield
    services.forget_lookup()


# --- records for the review workflow's tests (all synthetic) ---------------------------------

OWNER = "force-durham"
OTHER = "force-west-yorkshire"
_n = itertools.count(1)


def org(key=OWNER) -> Organisation:
    return Organisation.objects.get(key=key)


def nominal(given, family, dob, *, owner=OWNER, handling="national", **extra) -> Nominal:
    return Nominal.objects.create(
        reference=f"NOM-LNK-{next(_n)}",
        given_names=given,
        family_name=family,
        date_of_birth=dob,
        owner=org(owner),
        handling=handling,
        **extra,
    )


def sar(*subjects, owner=OWNER, handling="national") -> SuspiciousActivityReport:
    record = SuspiciousActivityReport.objects.create(
        reference=f"UKFIU-LNK-{next(_n)}",
        owner=org(owner),
        handling=handling,
        reporter_sector="credit_institution",
        submitted_on=dt.date(2026, 11, 2),
        sar_type="standard",
        reason_text="Synthetic: rapid movement of funds.",
    )
    for given, family, dob in subjects:
        SarSubject.objects.create(
            sar=record, given_names=given, family_name=family, date_of_birth=dob
        )
    return record


DOB = dt.date(1980, 5, 1)


@pytest.fixture
def model_in_use(model):
    return LinkageModel.objects.create(
        version=1, status=ModelStatus.IN_USE, model=model.to_dict(), trained_at=timezone.now()
    )


@pytest.fixture
def master_list(model_in_use):
    """John Paul SMITH (the person most tests screen for) among 50 other synthetic nominals."""
    Nominal.objects.bulk_create(
        Nominal(
            reference=f"NOM-FILL-{i}",
            given_names=f"Filler{i}",
            family_name=f"Person{i}",
            date_of_birth=dt.date(1960 + i % 30, 1 + i % 9, 10 + i % 9),
            owner=org(),
            handling="national",
        )
        for i in range(50)
    )
    return {"smith": nominal("John Paul", "Smith", DOB)}


@pytest.fixture
def people(make_user):
    return {
        "analyst": make_user(OWNER, "analyst"),
        "researcher": make_user(OWNER, "researcher"),
        "lro": make_user(OWNER, "lro"),
        "other_analyst": make_user(OTHER, "analyst"),
        "partner": make_user("partner-durham-county-council", "partner_user"),
        "inspector": make_user("hmicfrs", "inspector"),
    }


def screen(*sars):
    return services.screen_sars(
        SuspiciousActivityReport.objects.filter(pk__in=[s.pk for s in sars])
    )


def match_for(record, nominal_obj) -> CandidateMatch:
    return CandidateMatch.objects.get(sar_subject__sar=record, nominal=nominal_obj)
