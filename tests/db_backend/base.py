"""Django's PostgreSQL backend with a flush that the application role may run."""

from __future__ import annotations

from django.db.backends.postgresql import base, operations


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class DatabaseOperations(operations.DatabaseOperations):
    def sql_flush(
        self,
        style: object,
        tables: list[str],
        *,
        reset_sequences: bool = False,
        allow_cascade: bool = False,
    ) -> list[str]:
        if not tables:
            return []
        names = ", ".join(_literal(table) for table in tables)
        return [
            f"SELECT declass_test.flush(ARRAY[{names}]::text[], "
            f"{str(bool(reset_sequences)).lower()}, {str(bool(allow_cascade)).lower()})"
        ]


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
