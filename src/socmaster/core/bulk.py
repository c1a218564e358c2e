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
import uuid
from collections.abc import Sequence

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
        defaults = {f.attname: f.get_default() for f in fields if f.has_default() or f.null}
        rows = []
        for obj in objs:
            row = []
            for field, as_is in zip(fields, plain, strict=True):
                value = obj[field.attname] if field.attname in obj else defaults[field.attname]
                if not (as_is and isinstance(value, _PLAIN)):
                    value = field.get_db_prep_save(value, connection)
                row.append(value)
            rows.append(row)
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
