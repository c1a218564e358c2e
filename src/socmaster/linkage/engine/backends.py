"""The SQL back-ends a model runs on: DuckDB (embedded, the default) and Spark (local mode here,
a cluster for national volumes). Each is imported only when it is used."""

from __future__ import annotations

import os
from functools import cache

BACKENDS = ("duckdb", "spark")
#: DuckDB's memory ceiling for one screening run (it spills to disk above it).
DUCKDB_MEMORY = os.environ.get("SOCMASTER_LINKAGE_MEMORY", "1GB")


def db_api(backend: str, spark=None):
    if backend == "duckdb":
        import duckdb
        from splink.backends.duckdb import DuckDBAPI

        con = duckdb.connect()
        con.execute(f"SET memory_limit = '{DUCKDB_MEMORY}'")
        con.execute("SET preserve_insertion_order = false")
        return DuckDBAPI(connection=con)
    if backend == "spark":
        from splink.backends.spark import SparkAPI

        return SparkAPI(spark_session=spark or local_spark(), break_lineage_method="persist")
    raise ValueError(f"unknown back-end {backend!r}: choose one of {', '.join(BACKENDS)}")


@cache
def local_spark():
    """A local Spark session with Splink's string-similarity functions registered."""
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    return (
        SparkSession.builder.master("local[1]")
        .appName("socmaster-linkage")
        .config("spark.jars", similarity_jar_location())
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.default.parallelism", "4")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "2g")
        .config("spark.sql.ansi.enabled", "false")
        .getOrCreate()
    )


def to_backend(frame, backend: str, api):
    """A standardised pandas table in the form the back-end takes."""
    if backend != "spark":
        return frame
    from pyspark.sql.types import ArrayType, StringType, StructField, StructType

    arrays = {"forename_keys", "surname_parts"}
    schema = StructType(
        [
            StructField(c, ArrayType(StringType()) if c in arrays else StringType(), True)
            for c in frame.columns
        ]
    )
    records = frame.astype(object).where(frame.notna(), None).to_dict("records")
    return api.spark.createDataFrame(records, schema=schema)
