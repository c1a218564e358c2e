"""The same model on Spark (local mode) gives the same links as on DuckDB."""

import math

import pytest

from socmaster.linkage.engine import best_matches, predict, prepare
from socmaster.synth import people

from .conftest import raw

pytestmark = pytest.mark.spark


def test_spark_and_duckdb_give_the_same_links_and_scores(model, nominal_people, nominals):
    subjects = prepare(
        raw(
            [
                s.person
                for s in people.subjects(nominal_people, 600, seed=21, true_rate=0.3, hard_rate=0.1)
            ],
            "subject_id",
        ),
        "subject_id",
    )
    duck = predict(model, nominals, subjects, threshold=model.lower, backend="duckdb")
    spark = predict(model, nominals, subjects, threshold=model.lower, backend="spark")
    links = {
        b: set(zip(*[best_matches(model, p)[c] for c in ("subject_id", "nominal_id")], strict=True))
        for b, p in (("duckdb", duck), ("spark", spark))
    }
    assert len(links["duckdb"]) > 100
    assert links["duckdb"] == links["spark"]
    a = duck.set_index(["subject_id", "nominal_id"])["match_weight"]
    b = spark.set_index(["subject_id", "nominal_id"])["match_weight"]
    assert set(a.index) == set(b.index)
    assert all(math.isclose(a[k], b[k], abs_tol=1e-6) for k in a.index)
