"""Model instances from the rows of a hand-written statement, as the ORM builds them.

A page's hottest reads have a fixed shape: the same columns, the same tables, only the
values change.  Built and compiled by the ORM at every call, such a read cost 0.5-0.7 ms
of Python, several times what PostgreSQL takes to answer it.  Written once, its rows
become instances here: every concrete field, each value through the converters the ORM
would apply (a JSON field's decoding), with ``from_db`` so that the instances are the
ORM's own (loaded from the database, savable; fields left out are deferred, as with
``only()``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db import connection
from django.db.models import Field, Model
from django.db.models.expressions import Col


@dataclass(frozen=True)
class Reader:
    """How to read one model's columns out of a row (``select_list`` wrote them)."""

    model: type[Model]
    fields: tuple[Field, ...]
    attnames: tuple[str, ...]
    converters: tuple[tuple[int, Any, Col], ...]  # (position, converter, expression)

    @property
    def width(self) -> int:
        return len(self.attnames)

    def instance(self, row: Sequence[Any], start: int = 0) -> Model:
        """The instance held in ``row`` from position ``start``."""
        values = list(row[start : start + self.width])
        for at, convert, expression in self.converters:
            values[at] = convert(values[at], expression, connection)
        return self.model.from_db(connection.alias, self.attnames, values)

    def select_list(self, alias: str) -> str:
        """The model's columns, on the table named ``alias`` (a constant of the
        caller's SQL), in the order ``instance`` reads them."""
        quote = connection.ops.quote_name
        return ", ".join(f"{alias}.{quote(f.column)}" for f in self.fields)


@cache
def reader(model: type[Model], only: tuple[str, ...] = ()) -> Reader:
    """How to read ``model``: every concrete field, or the primary key and the fields
    named in ``only`` (the others deferred)."""
    fields = tuple(
        f
        for f in model._meta.concrete_fields
        if not only or f.primary_key or f.name in only or f.attname in only
    )
    named = {f.name for f in fields} | {f.attname for f in fields} | {"pk"}
    if unknown := set(only) - named:
        raise ValueError(f"{model.__name__} has no column field {', '.join(sorted(unknown))}")
    converters = []
    for at, field in enumerate(fields):
        expression = Col(model._meta.db_table, field)
        found = connection.ops.get_db_converters(expression) + field.get_db_converters(connection)
        converters += [(at, convert, expression) for convert in found]
    return Reader(model, fields, tuple(f.attname for f in fields), tuple(converters))


def table(model: type[Model]) -> str:
    """The model's table name, quoted for a hand-written statement."""
    return connection.ops.quote_name(model._meta.db_table)
