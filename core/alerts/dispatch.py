"""One pass of alert delivery: evaluate, keep the incidents, plan the messages, send what is due.

    run_pass(engine, settings)          # `oyna alerts run` (cron) and every minute inside `oyna serve`

1. The clubs someone subscribed to are evaluated with the Overview's rules (core.alerts.evaluate).
2. Incidents: an alert that holds opens an incident keyed by kind and club (one per key while it lasts);
   an incident not seen for CLEAR_AFTER is over. Waiting that long keeps a flapping rule from
   sending a message every minute.
3. Messages: each channel whose subscription wants the incident (club, kind, level) gets one
   "opened" message; when it is over, every channel that was told gets one "cleared" message, and
   messages not sent yet are dropped.
4. Sending: quiet hours (club-local, per subscription) postpone a message to their end, unless it is
   critical and the subscription lets critical alerts break them; a failed attempt is retried with
   exponential back-off (BACKOFF_FIRST, doubling, at most BACKOFF_MAX), and after MAX_ATTEMPTS the
   message is marked failed, which the health check reports.

Only one process runs a pass at a time (a PostgreSQL advisory lock); a second one skips. Delivery
is at least once: a process killed between sending and recording may send a message again.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.alerts import channels, messages
from core.alerts.evaluate import Evaluation, ForecastCache, evaluate_overview
from core.alerts.store import Subscription, subscriptions
from core.i18n import _
from core.overview.kpis import CRITICAL
from core.platform import metrics
from core.platform.clubs import all_clubs
from core.platform.db import load_sql, query_rows
from core.platform.settings import Settings

logger = logging.getLogger("oyna.alerts")

DISPATCH_LOCK = 7_351_011
CLEAR_AFTER = timedelta(minutes=10)
BACKOFF_FIRST = timedelta(seconds=30)
BACKOFF_MAX = timedelta(minutes=30)
MAX_ATTEMPTS = 8  # about an hour of trying
BATCH = 200  # messages sent per pass at most

Evaluate = Callable[[Engine, Sequence[int]], Evaluation]
Send = Callable[[Settings, str, str, channels.Message], None]

_FORECASTS = ForecastCache()


def evaluate_default(engine: Engine, club_ids: Sequence[int]) -> Evaluation:
    return evaluate_overview(engine, club_ids, forecasts=_FORECASTS)


@dataclass
class PassReport:
    skipped: bool = False  # another process holds the lock
    clubs: int = 0
    opened: int = 0
    cleared: int = 0
    sent: int = 0
    failed: int = 0  # attempts that failed this pass
    postponed: int = 0  # quiet hours

    def summary(self) -> str:
        if self.skipped:
            return "another process is delivering alerts right now; skipped"
        return (f"{self.clubs} clubs evaluated; incidents: {self.opened} opened, {self.cleared} cleared; "
                f"messages: {self.sent} sent, {self.failed} failed, {self.postponed} postponed (quiet hours)")


def backoff(attempts: int) -> timedelta:
    """The wait after the n-th failed attempt: 30 s, 1 min, 2 min, ... at most 30 min."""
    return min(BACKOFF_FIRST * (2 ** max(0, attempts - 1)), BACKOFF_MAX)


def quiet_end(sub: Subscription, zone: str, now: datetime) -> datetime | None:
    """When the subscription's quiet hours around `now` end (None: not quiet now)."""
    if sub.quiet_from is None or sub.quiet_until is None:
        return None
    tz = ZoneInfo(zone)
    local = now.astimezone(tz)
    at, start, end = local.time().replace(tzinfo=None), sub.quiet_from, sub.quiet_until
    inside = start <= at < end if start < end else (at >= start or at < end)
    if not inside:
        return None
    until = datetime.combine(local.date(), _naive(end), tzinfo=tz)
    if until <= local:
        until += timedelta(days=1)
    return until.astimezone(timezone.utc)


def _naive(moment: time) -> time:
    return moment.replace(tzinfo=None)


@contextmanager
def dispatch_lock(engine: Engine) -> Iterator[bool]:
    """Hold the dispatcher's advisory lock for the block; yields False when another process has it."""
    with engine.connect() as conn:
        got = bool(conn.execute(sa.text("select pg_try_advisory_lock(:k)"), {"k": DISPATCH_LOCK}).scalar())
        conn.commit()
        try:
            yield got
        finally:
            if got:
                conn.execute(sa.text("select pg_advisory_unlock(:k)"), {"k": DISPATCH_LOCK})
                conn.commit()


def run_pass(engine: Engine, settings: Settings, *, now: datetime | None = None,
             evaluate: Evaluate = evaluate_default, send: Send = channels.send,
             clear_after: timedelta = CLEAR_AFTER) -> PassReport:
    """One evaluation-and-delivery pass (see the module's doc)."""
    now = now or datetime.now(timezone.utc)
    report = PassReport()
    with dispatch_lock(engine) as got:
        if not got:
            report.skipped = True
            return report
        try:
            subs = subscriptions(engine)
            wanted = sorted(set().union(*(s.club_ids for s in subs))) if subs else []
            evaluation = evaluate(engine, wanted) if wanted else Evaluation([], frozenset())
            report.clubs = len(evaluation.clubs)
            _reconcile(engine, evaluation, set(wanted), now, clear_after, report)
            _plan(engine, subs, now)
            _deliver(engine, settings, subs, now, send, report)
        except Exception as exc:
            _finish(engine, now, str(exc)[:500])
            raise
        _finish(engine, now, None)
    return report


def _finish(engine: Engine, now: datetime, error: str | None) -> None:
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(load_sql("alerts/dispatcher_pass")), {"now": now, "error": error})
    except sa.exc.SQLAlchemyError:
        logger.debug("could not record the pass", exc_info=True)


def _reconcile(engine: Engine, evaluation: Evaluation, wanted: set[int], now: datetime, clear_after: timedelta,
               report: PassReport) -> None:
    """Open, update and clear incidents, in one transaction."""
    found = {f.key: f for f in evaluation.found}
    with engine.begin() as conn:
        open_rows = {row.key: row for row in conn.execute(sa.text(load_sql("alerts/incidents_open")))}
        for key, item in found.items():
            params = {"key": key, "kind": item.kind, "club_id": item.club_id, "level": item.level,
                      "texts": json.dumps(item.texts, ensure_ascii=False), "now": now}
            if key in open_rows:
                conn.execute(sa.text(load_sql("alerts/incident_seen")), {**params, "id": open_rows[key].id})
            else:
                conn.execute(sa.text(load_sql("alerts/incident_insert")), params)
                report.opened += 1
        over = [row.id for key, row in open_rows.items()
                if key not in found
                and (row.club_id in evaluation.clubs or row.club_id not in wanted)
                and row.last_seen_at <= now - clear_after]
        if over:
            conn.execute(sa.text(load_sql("alerts/incidents_clear")), {"ids": over, "now": now})
            report.cleared += len(over)


def _plan(engine: Engine, subs: list[Subscription], now: datetime) -> None:
    """Plan one "opened" message per open incident and channel that wants it, and the "cleared" ones."""
    with engine.begin() as conn:
        incidents = list(conn.execute(sa.text(load_sql("alerts/incidents_current"))))
        rows = [(i.id, s.id, s.channel_id) for i in incidents for s in subs if s.wants(i.kind, i.club_id, i.level)]
        if rows:
            conn.execute(sa.text(load_sql("alerts/deliveries_plan")), {
                "incident_ids": [r[0] for r in rows], "subscription_ids": [r[1] for r in rows],
                "channel_ids": [r[2] for r in rows], "now": now})
        conn.execute(sa.text(load_sql("alerts/deliveries_cleared")), {"now": now})


def _deliver(engine: Engine, settings: Settings, subs: list[Subscription], now: datetime, send: Send,
             report: PassReport) -> None:
    by_id = {s.id: s for s in subs}
    due = query_rows(engine, "alerts/deliveries_due", now=now, limit=BATCH)
    if not due:
        return
    clubs = all_clubs(engine)
    zones = {int(r.club_id): str(r.timezone) for r in clubs.itertuples()}
    names = {int(r.club_id): str(r.club_name) for r in clubs.itertuples()}
    for row in due:
        sub = by_id.get(row.subscription_id)
        if sub is None:
            continue  # removed while this pass ran
        zone = zones.get(row.club_id, "UTC")
        if row.event == messages.OPENED and row.cleared_at is None and not sub.wants(row.kind, row.club_id, row.level):
            _update(engine, row.id, "cancelled", row.attempts, now, None, now)  # the level dropped meanwhile
            continue
        until = quiet_end(sub, zone, now)
        if until is not None and not (sub.critical_breaks_quiet and row.level == CRITICAL):
            _update(engine, row.id, "pending", row.attempts, until, None, now)
            report.postponed += 1
            continue
        attempts = row.attempts + 1
        try:  # one message that cannot be made or sent fails alone; the others go on
            message = messages.render(event=row.event, kind=row.kind, level=row.level, texts=row.texts,
                                      club=names.get(row.club_id, str(row.club_id)), timezone=zone,
                                      opened_at=row.opened_at, cleared_at=row.cleared_at, language=row.language,
                                      incident_id=row.incident_id, club_id=row.club_id)
            send(settings, row.channel_kind, row.target, message)
        except Exception as exc:  # noqa: BLE001 - recorded on its row and logged, like any failed attempt
            _failed(engine, row, attempts, exc, now)
            report.failed += 1
            continue
        _update(engine, row.id, "sent", attempts, now, None, now)
        metrics.count(metrics.ALERTS_SENT, row.channel_kind)
        report.sent += 1


def _failed(engine: Engine, row, attempts: int, exc: Exception, now: datetime) -> None:
    """Record a failed attempt: tried again after the back-off (or the server's own wait), given up on after
    MAX_ATTEMPTS. An error that is not a DeliveryError is named by its type only; the log has the rest."""
    wait = backoff(attempts)
    if isinstance(exc, channels.DeliveryError):
        reason = str(exc)
        if exc.retry_after:
            wait = max(wait, timedelta(seconds=exc.retry_after))
        logger.warning("alert message %s to %s failed (attempt %s): %s", row.id, row.channel_kind, attempts, exc)
    else:
        reason = _("unexpected error ({error}); the log has the details").format(error=type(exc).__name__)
        logger.exception("alert message %s to %s failed (attempt %s)", row.id, row.channel_kind, attempts)
    status = "failed" if attempts >= MAX_ATTEMPTS else "pending"
    _update(engine, row.id, status, attempts, now + wait, reason[:500], now)
    metrics.count(metrics.ALERTS_FAILED, row.channel_kind)


def _update(engine: Engine, delivery_id: int, status: str, attempts: int, next_at: datetime, error: str | None,
            now: datetime) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text(load_sql("alerts/delivery_update")), {
            "id": delivery_id, "status": status, "attempts": attempts, "next_attempt_at": next_at,
            "last_error": error, "now": now})


@dataclass(frozen=True)
class Backlog:
    """How delivery is doing, for the health check and the metrics."""

    overdue: int  # messages waiting well past their time (is a dispatcher running?)
    retrying: int  # messages that failed at least once and will be tried again
    failed: int  # messages given up on in the last FAILED_HOURS hours
    last_error: str | None
    subscriptions: int
    last_pass_at: datetime | None
    pass_error: str | None


OVERDUE_SECONDS = 600
FAILED_HOURS = 24


def backlog(engine: Engine) -> Backlog:
    row = query_rows(engine, "alerts/backlog", overdue_seconds=OVERDUE_SECONDS, failed_hours=FAILED_HOURS)[0]
    return Backlog(overdue=row.overdue, retrying=row.retrying, failed=row.failed, last_error=row.last_error,
                   subscriptions=row.subscriptions, last_pass_at=row.last_pass_at, pass_error=row.pass_error)
