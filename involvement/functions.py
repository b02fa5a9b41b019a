"""Database functions every app may use that Django does not ship: whole days between two dates."""

from __future__ import annotations

from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Func, IntegerField
from django.db.models.sql.compiler import SQLCompiler


class DaysBetween(Func):
    """``later - earlier`` in whole days, for two date expressions."""

    output_field = IntegerField()
    arity = 2

    def as_sql(  # type: ignore[override]  # Func.as_sql takes more keywords than we need
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any
    ) -> tuple[str, Any]:
        # PostgreSQL: date - date is an integer number of days.
        return super().as_sql(compiler, connection, template="(%(expressions)s)", arg_joiner=" - ", **extra_context)

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any
    ) -> tuple[str, Any]:
        # SQLite stores dates as ISO text: julian day numbers subtract to days.
        return super().as_sql(
            compiler,
            connection,
            template="CAST(ROUND(julianday(%(expressions)s)) AS INTEGER)",
            arg_joiner=") - julianday(",
            **extra_context,
        )
