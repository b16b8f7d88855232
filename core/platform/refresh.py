"""Refresh the analytics views (`mv_daily_club_stats`, `mv_hourly_utilization`) and report when they were.

The work happens in the SQL function `refresh_analytics()` (migration 005), so cron or any
SQL client can run it too: `oyna sql "select * from refresh_analytics()"`.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.platform import metrics
from core.platform.db import load_sql, query_rows

VIEWS = ("mv_daily_club_stats", "mv_hourly_utilization")


def refresh(engine: Engine, *, concurrently: bool = True) -> dict[str, float]:
    """Refresh every analytics view; returns seconds per view.

    With `concurrently`, readers are never blocked (`REFRESH ... CONCURRENTLY`); a view that
    was never populated is refreshed plainly the first time.
    """
    if not isinstance(concurrently, bool):
        raise ValueError("concurrently must be True or False")
    with engine.begin() as conn:
        rows = conn.execute(sa.text(load_sql("platform/refresh_views")), {"concurrent": concurrently}).all()
    for row in rows:
        metrics.observe(metrics.VIEW_REFRESH, float(row.seconds), row.view_name)
    return {row.view_name: float(row.seconds) for row in rows}


def last_refreshed(engine: Engine) -> dict[str, datetime | None]:
    """When each analytics view was last refreshed (None: never through `refresh`)."""
    done = {row.view_name: row.refreshed_at for row in query_rows(engine, "platform/refresh_log")}
    return {view: done.get(view) for view in VIEWS}


def refresh_if_stale(engine: Engine, *, max_age: timedelta = timedelta(minutes=15)) -> dict[str, float]:
    """Refresh only when some view is older than `max_age` (or never refreshed); {} when all are fresh."""
    now = datetime.now(timezone.utc)
    if all(t is not None and now - t < max_age for t in last_refreshed(engine).values()):
        return {}
    return refresh(engine)


def oldest_refresh(engine: Engine) -> datetime | None:
    """When the least recently refreshed analytics view was refreshed (None: none ever was)."""
    times = [t for t in last_refreshed(engine).values() if t is not None]
    return min(times) if times else None
