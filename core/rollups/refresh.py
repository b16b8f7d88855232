"""Keep the rollups current: the incremental refresh, the full rebuild, and how fresh the figures are.

Triggers queue the days (and customers' months) every write touches (migration 023). `refresh` plans
(the queue's markers, a new local day), then rebuilds the queued days in batches, each batch in a transaction
of its own: a refresh killed or cut off mid-batch leaves that batch's rollups and queue rows as they were, and
the next refresh carries on. One refresh runs at a time (the batches take an advisory lock); the SQL
procedure `refresh_rollups()` does the same for cron or any client, and `refresh_analytics()` (the seed's
contract) all of it in the caller's transaction.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.platform import metrics
from core.platform.db import load_sql, query_rows

BATCH_DAYS = 500  # (club, day) pairs per batch: about 50 days of 10 clubs, a stretch of bookings read at once
BATCH_MONTHS = 5000  # customers' months per batch


@dataclass(frozen=True)
class Refreshed:
    """What a refresh did."""

    days: int  # (club, day) pairs rebuilt
    customer_months: int  # customers' months rebuilt (a month of every customer counts once)
    batches: int
    seconds: float
    done: bool  # the queue was empty at the end (False: max_batches stopped it)


@dataclass(frozen=True)
class Status:
    """How current the rollups are."""

    pending_days: int
    pending_months: int
    oldest_change: datetime | None  # the oldest change still queued
    refreshed_at: datetime | None  # when the last refresh finished
    seconds: float | None  # how long it took

    @property
    def as_of(self) -> datetime | None:
        """Every change before this moment is in the figures (None: never refreshed)."""
        if self.refreshed_at is None:
            return None
        return self.oldest_change if self.oldest_change is not None else self.refreshed_at


def refresh(engine: Engine, max_batches: int | None = None, *, batch_days: int = BATCH_DAYS,
            batch_months: int = BATCH_MONTHS) -> Refreshed:
    """Rebuild what the queue holds, one transaction per batch (at most `max_batches` of them; None: until
    the queue is empty), then mv_daily_club_stats when days changed."""
    if max_batches is not None and max_batches < 1:
        raise ValueError("max_batches must be at least 1 (or None: until the queue is empty)")
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(sa.text(load_sql("rollups/plan")))
    days = months = batches = 0
    done = True
    for name, size in (("rollups/refresh_days", {"batch_days": batch_days}),
                       ("rollups/refresh_customers", {"batch_months": batch_months})):
        while True:
            if max_batches is not None and batches >= max_batches:
                done = False
                break
            with engine.begin() as conn:
                rebuilt = int(conn.execute(sa.text(load_sql(name)), size).scalar())
            if not rebuilt:
                break
            batches += 1
            if name == "rollups/refresh_days":
                days += rebuilt
            else:
                months += rebuilt
    seconds = time.perf_counter() - started
    with engine.begin() as conn:
        conn.execute(sa.text(load_sql("rollups/publish")), {"days": days, "months": months, "seconds": seconds})
    metrics.observe(metrics.VIEW_REFRESH, seconds, "rollups")
    return Refreshed(days=days, customer_months=months, batches=batches, seconds=seconds, done=done)


def rebuild(engine: Engine) -> Refreshed:
    """Every club's days and every customer's months again, in batches (a new install, after a restore)."""
    with engine.begin() as conn:
        conn.execute(sa.text(load_sql("rollups/queue_all")))
    return refresh(engine)


def status(engine: Engine) -> Status:
    row = query_rows(engine, "rollups/status")[0]
    return Status(pending_days=int(row.pending_days), pending_months=int(row.pending_months),
                  oldest_change=row.oldest_change, refreshed_at=row.refreshed_at,
                  seconds=None if row.seconds is None else float(row.seconds))


def figures_as_of(engine: Engine) -> datetime | None:
    """Every change before this moment is in the figures the pages show (None: never refreshed)."""
    return status(engine).as_of
