import pandas as pd
import pytest

from socmaster.linkage.engine import prepare, train
from socmaster.synth import people

NOMINALS = 3000
SUBJECTS = 30000


def raw(persons, id_column):
    rows = [p.row() for p in persons]
    return pd.DataFrame(rows, columns=[id_column, *people.COLUMNS])


@pytest.fixture(scope="session")
def nominal_people():
    return people.nominals(NOMINALS, seed=11)


@pytest.fixture(scope="session")
def nominals(nominal_people):
    return prepare(raw(nominal_people, "id"), "id")


@pytest.fixture(scope="session")
def model(nominal_people, nominals):
    """One model trained on the synthetic truth set, shared by the engine's tests."""
    subjects = [s.person for s in people.subjects(nominal_people, SUBJECTS, seed=11)]
    return train(nominals, prepare(raw(subjects, "subject_id"), "subject_id"))
