"""What every command group uses: the usage error, the database engine, and printing a table."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from core.platform.db import check, get_engine
from core.platform.settings import load_settings


class UsageError(Exception):
    """A command was given input it cannot use (exit code 2)."""


def connect(*, migrated: bool = False) -> Engine:
    """The engine from the settings, checked to be reachable; with `migrated`, the schema brought up to date."""
    engine = get_engine(load_settings())
    check(engine)
    if migrated:
        from core.platform.migrate import migrate

        migrate(engine)
    return engine


def table(columns: list[str], rows: list) -> str:
    """Rows as a plain text table with a header, a rule and a row count."""
    cells = [[str(c) for c in columns]] + [["" if v is None else str(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
    lines = [" | ".join(v.ljust(w) for v, w in zip(r, widths)) for r in cells]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines + [f"({len(rows)} rows)"])
