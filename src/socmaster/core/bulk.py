"""Inserting many rows of one model quickly, for bulk work (imports).

``QuerySet.bulk_create`` builds a placeholder and a conversion for every value of every row in
Python; for rows whose ids are not needed afterwards (audit entries, undo journals, many-to-many
links) ``insert_rows`` has Django's own compiler build the INSERT for one row and sends every row
with it through the driver's ``executemany``, converting each value as ``bulk_create`` would
(``pre_save`` then ``get_db_prep_save``) except plain strings, numbers and None for fields that
store them as they are. Signals are not sent and ``save()`` is not called, as with
``bulk_create``; the caller validates first and writes its own audit entries.
"""

from __future__ import annotations

import datetime as dt
import decimal
import gc
import uuid
from collections.abc import Sequence
from contextlib import contextmanager

from django.db import connections, models, router
from django.db.models.sql import InsertQuery

_PLAIN = (str, int, float, bool, type(None))
#: Value types whose conversion depends only on the value (so it can be remembered).
_MEMO = frozenset({dt.date, dt.datetime, dt.time, decimal.Decimal, uuid.UUID})
#: Fields whose database value is the Python value itself when that value is plain.
_AS_THEY_ARE = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BigIntegerField,
    models.SmallIntegerField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.BooleanField,
    models.ForeignKey,
)


@contextmanager
def bulk_work(
    using: str = "default",
    *,
    threshold: int = 200_000,
    cache_mb: int = 256,
    checkpoint_pages: int = 25_000,
):
    """Set up for a large import, and put things back after it.

    Python's cyclic garbage collector runs less often: an import allocates millions of small
    objects that live for a batch, and the collector, run by default every 700 allocations,
    spent about a fifth of a SAR import's time scanning them (a collection still runs every
    ``threshold`` allocations, so memory stays bounded). On SQLite the connection's page cache
    grows to ``cache_mb``: with the default 2 MB, keeping the indexes of tables of millions of
    rows up to date read the same pages from disk again and again; and the write-ahead log is
    copied into the database every ``checkpoint_pages`` pages (about 100 MB) instead of 1,000,
    so an index page changed by many batches is written back once, not once a batch."""
    old = gc.get_threshold()
    gc.set_threshold(max(threshold, old[0]), *old[1:])
    connection = connections[using]
    sqlite = connection.vendor == "sqlite"
    if sqlite:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size")
            (cache,) = cursor.fetchone()
            cursor.execute("PRAGMA wal_autocheckpoint")
            (checkpoint,) = cursor.fetchone()
            cursor.execute(f"PRAGMA cache_size = -{int(cache_mb) * 1024}")
            cursor.execute(f"PRAGMA wal_autocheckpoint = {int(checkpoint_pages)}")
    try:
        yield
    finally:
        gc.set_threshold(*old)
        if sqlite:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA cache_size = {int(cache)}")
                cursor.execute(f"PRAGMA wal_autocheckpoint = {int(checkpoint)}")


def insert_rows(model: type[models.Model], objs: Sequence, *, chunk: int = 2000):
    """Insert ``objs``: unsaved instances (do not rely on their ``pk`` afterwards), or plain
    dicts of field attribute names (``"threat_id"``) to values, which skip building an instance
    (a field a dict leaves out gets its default)."""
    if not objs:
        return
    using = router.db_for_write(model)
    connection = connections[using]
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    plain = [isinstance(f, _AS_THEY_ARE) for f in fields]
    if isinstance(objs[0], dict):
        defaults = {f.attname: f.get_default() for f in fields}  # "" for text, as the ORM
        convert = [_converter(f, as_is, connection) for f, as_is in zip(fields, plain, strict=True)]
        columns = [(f.attname, c) for f, c in zip(fields, convert, strict=True)]
        rows = [
            [convert(obj[name] if name in obj else defaults[name]) for name, convert in columns]
            for obj in objs
        ]
        _execute(connection, _insert_sql(model, fields, model(), using), rows, chunk)
        return

    # A field whose pre_save only reads the attribute is read directly (most fields; not
    # auto_now dates, which set the time).
    direct = [_reads_attribute(f) for f in fields]
    columns = list(zip(fields, plain, direct, strict=True))

    # Converted values (dates, times, decimals) recur within a batch: each is converted once.
    converted: dict = {}

    def params(obj):
        row = []
        values = obj.__dict__
        for index, (field, as_is, read) in enumerate(columns):
            value = values[field.attname] if read else field.pre_save(obj, add=True)
            if as_is and isinstance(value, _PLAIN):
                row.append(value)
                continue
            if hasattr(value, "resolve_expression"):  # a database default or expression
                raise _NeedsCompiler
            if value.__class__ in _MEMO:
                memo_key = (index, value)
                if memo_key not in converted:
                    converted[memo_key] = field.get_db_prep_save(value, connection)
                row.append(converted[memo_key])
            else:
                row.append(field.get_db_prep_save(value, connection))
        return row

    try:
        rows = [params(o) for o in objs]
    except _NeedsCompiler:
        model._base_manager.using(using).bulk_create(objs, batch_size=500)
        return
    _execute(connection, _insert_sql(model, fields, objs[0], using), rows, chunk)


def insert_values(
    model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence], *, chunk=2000
) -> None:
    """Insert ``rows`` of values for the fields named by attribute in ``columns`` (``"sar_id"``),
    in that order; every other field gets its default. The fastest form, for the largest imports.

    Values of fields that store plain values as they are (text, integers, booleans, foreign-key
    ids: see ``_AS_THEY_ARE``) must be plain (str, int, float, bool or None) and are sent as
    they are; values of the other fields (dates, decimals, JSON) are converted as
    ``get_db_prep_save`` converts them, each distinct date, time or decimal once."""
    if not rows:
        return
    using = router.db_for_write(model)
    connection = connections[using]
    by_name = {f.attname: f for f in model._meta.concrete_fields if not f.primary_key}
    given = [by_name[name] for name in columns]
    rest = [f for f in by_name.values() if f.attname not in set(columns)]
    # As the ORM does: a field with no default takes its empty value ("" for text); one with
    # no empty value either (a required foreign key) must be given.
    missing = [f.attname for f in rest if not f.null and f.get_default() is None]
    if missing:
        raise ValueError(f"no value and no default for {', '.join(missing)}")
    defaults = tuple(
        _converter(f, isinstance(f, _AS_THEY_ARE), connection)(f.get_default()) for f in rest
    )
    convert = [
        (index, _converter(field, False, connection))
        for index, field in enumerate(given)
        if not isinstance(field, _AS_THEY_ARE)
    ]
    for index, field in enumerate(given):  # a cheap check of the promise above, on one row
        if isinstance(field, _AS_THEY_ARE) and not isinstance(rows[0][index], _PLAIN):
            raise TypeError(f"{field.attname}: {rows[0][index]!r} is not a plain value")
    if convert:
        out = []
        for row in rows:
            row = list(row)
            for index, conv in convert:
                row[index] = conv(row[index])
            row.extend(defaults)
            out.append(row)
    else:
        out = [(*row, *defaults) for row in rows]
    _execute(connection, _insert_sql(model, [*given, *rest], model(), using), out, chunk)


def ids_by_reference(model: type[models.Model], references: Sequence[str]) -> dict[str, int]:
    """The ids of ``model`` records by reference: the rows an insert above just wrote (it gives
    no ids back), looked up 900 at a time (under SQLite's limit on parameters)."""
    ids: dict[str, int] = {}
    for start in range(0, len(references), 900):
        chunk = references[start : start + 900]
        ids.update(model.objects.filter(reference__in=chunk).values_list("reference", "id"))
    return ids


def _converter(field, as_is: bool, connection):
    """The conversion of one field's values to what the driver is sent, as
    ``get_db_prep_save`` makes it, with the shortcuts that matter for bulk rows: plain values
    of fields that store them as they are pass through, JSON lists and dicts go straight to the
    back-end's adapter, and dates, times and decimals are converted once per distinct value."""
    prep = field.get_db_prep_save
    if isinstance(field, models.JSONField) and type(field).get_prep_value is (
        models.JSONField.get_prep_value
    ):
        adapt, encoder = connection.ops.adapt_json_value, field.encoder
        empty = adapt([], encoder)  # the commonest value of a list field, adapted once

        def convert(value):
            if value.__class__ is list:
                return adapt(value, encoder) if value else empty
            if value.__class__ is dict:
                return adapt(value, encoder)
            return prep(value, connection)

        return convert
    memo: dict = {}

    def convert(value):
        if as_is and isinstance(value, _PLAIN):
            return value
        if value.__class__ in _MEMO:
            if value not in memo:
                memo[value] = prep(value, connection)
            return memo[value]
        return prep(value, connection)

    return convert


def _reads_attribute(field) -> bool:
    """Whether ``field.pre_save`` on a new row only returns the stored attribute."""
    if type(field).pre_save is models.Field.pre_save:
        return True
    if isinstance(field, models.DateField):  # DateTimeField too
        return not (field.auto_now or field.auto_now_add)
    return False


def _insert_sql(model, fields, sample, using) -> str:
    """The INSERT Django's compiler writes for one row of ``fields``."""
    query = InsertQuery(model)
    query.insert_values(fields, [sample])
    [(sql, _)] = query.get_compiler(using=using).as_sql()
    return sql


def _execute(connection, sql: str, rows: list, chunk: int) -> None:
    with connection.cursor() as cursor:
        for start in range(0, len(rows), chunk):
            cursor.executemany(sql, rows[start : start + chunk])


class _NeedsCompiler(Exception):
    """A value only the compiler can write (an expression): use ``bulk_create``."""
