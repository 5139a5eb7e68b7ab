"""Portable SQL helpers for SQLite and PostgreSQL, whose date arithmetic differs.

Prefer comparing columns with bound parameters computed in Python; these constructs cover the
few places where arithmetic on a column is unavoidable.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import DateTime, Float, Integer, cast
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement


class plus_days(FunctionElement[Any]):
    """`timestamp + n days` for a timestamp column (n a Python int)."""

    type = DateTime(timezone=True)
    inherit_cache = True

    def __init__(self, column: ColumnElement[Any], days: int) -> None:
        self.days = int(days)
        super().__init__(column)


@compiles(plus_days, "postgresql")
def _plus_days_pg(element: plus_days, compiler: Any, **kw: Any) -> str:
    (column,) = element.clauses
    return f"({compiler.process(column, **kw)} + interval '{element.days} days')"


@compiles(plus_days, "sqlite")
def _plus_days_sqlite(element: plus_days, compiler: Any, **kw: Any) -> str:
    # SQLAlchemy stores 'YYYY-MM-DD HH:MM:SS.ffffff'; keep the fraction so text comparison with
    # other stored timestamps stays exact at the boundary.
    (column,) = element.clauses
    col = compiler.process(column, **kw)
    return f"(strftime('%Y-%m-%d %H:%M:%S', {col}, '{element.days:+d} days') || substr({col}, 20))"


class day_diff(FunctionElement[Any]):
    """Whole days from `start` to `end` (both dates): end − start."""

    type = Integer()
    inherit_cache = True


@compiles(day_diff, "postgresql")
def _day_diff_pg(element: day_diff, compiler: Any, **kw: Any) -> str:
    end, start = list(element.clauses)
    end_sql, start_sql = compiler.process(end, **kw), compiler.process(start, **kw)
    return f"(CAST({end_sql} AS date) - CAST({start_sql} AS date))"


@compiles(day_diff, "sqlite")
def _day_diff_sqlite(element: day_diff, compiler: Any, **kw: Any) -> str:
    end, start = list(element.clauses)
    return (
        f"CAST(julianday({compiler.process(end, **kw)}) - "
        f"julianday({compiler.process(start, **kw)}) AS INTEGER)"
    )


def as_float(expr: Any) -> ColumnElement[float]:
    """Cast to floating point so PostgreSQL does not divide integers."""
    return cast(expr, Float)
