"""Database functions the reports need that Django does not ship: the median (PostgreSQL's
``percentile_cont``). Whole days between two dates is ``involvement.functions.DaysBetween``."""

from __future__ import annotations

from typing import Any

from django.db import NotSupportedError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Aggregate, FloatField
from django.db.models.sql.compiler import SQLCompiler


class Median(Aggregate):
    """The median of an expression: PostgreSQL's continuous 50th percentile (the mean of the two
    middle values when there is an even number). Other databases raise NotSupportedError; the
    caller falls back to a database-sorted list of the values (``selectors.median_of``)."""

    function = "PERCENTILE_CONT"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def as_sql(  # type: ignore[override]  # Aggregate.as_sql takes more keywords than we need
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any
    ) -> tuple[str, Any]:
        if connection.vendor != "postgresql":
            raise NotSupportedError("Median needs PostgreSQL's percentile_cont.")
        return super().as_sql(compiler, connection, **extra_context)
