"""Monthly partitions of the logs (`audit_logs`, `activity_log`): created ahead by the CLI's maintenance,
never by the app (its database role may not create tables). Each table also has a DEFAULT partition,
and a month created later takes over the rows that landed there (`create_month_partition`)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.platform.db import load_sql

MONTHS_AHEAD = 3


def ensure_ahead(engine: Engine, *, months_ahead: int = MONTHS_AHEAD) -> int:
    """Create the partitions from last month through `months_ahead` months from now; returns the months
    checked (creating what exists already does nothing)."""
    with engine.begin() as conn:
        return int(conn.execute(sa.text(load_sql("platform/partitions_ahead")),
                                {"months_ahead": int(months_ahead)}).scalar_one())
