"""Health checks: one line each, `ok`, `warn`, `fail` (or `skip` when the database is down).

    checks = run_checks(engine, settings)     # `oyna health` and the System page
    worst(checks)                             # "fail" -> `oyna health` exits 1

The limits below are operational, not product thresholds; docs/operations.md's alerting rules use
the same numbers.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from core.i18n import N_, _, ngettext
from core.i18n.format import ago, datetime_text, number, percent
from core.platform import server
from core.platform.db import DatabaseUnavailable, database_down, query_rows, resolve_url
from core.platform.settings import Settings
from core.rollups.refresh import status as rollup_status

OK, WARN, FAIL, SKIP = "ok", "warn", "fail", "skip"
RANK = {OK: 0, SKIP: 1, WARN: 2, FAIL: 3}

SLOW_DATABASE = 0.5  # seconds for `select 1`
VIEWS_WARN = timedelta(minutes=30)  # `oyna serve` refreshes the rollups every minute
VIEWS_FAIL = timedelta(hours=2)
MODEL_WARN = timedelta(days=8)  # retrained nightly or weekly
DATA_WARN = timedelta(hours=1)  # no new booking for this long
DISK_WARN = (0.10, 5 * 2**30)  # free share, free bytes
DISK_FAIL = (0.05, 1 * 2**30)
CONNECT_TIMEOUT = 5


@dataclass(frozen=True)
class Check:
    name: str  # database, views, model, data, alerts, disk, audit
    status: str
    summary: str
    value: float | None = None  # the number behind it (seconds, bytes, messages), for metrics

    @property
    def label(self) -> str:
        return _(LABELS.get(self.name, self.name))


LABELS = {"database": N_("Database"), "views": N_("Analytics views"), "model": N_("Model"),
          "data": N_("Latest data"), "alerts": N_("Alert delivery"), "disk": N_("Disk space"),
          "audit": N_("Audit partitions")}


def worst(checks: list[Check]) -> str:
    return max((c.status for c in checks), key=lambda s: RANK[s], default=OK)


def health_engine(settings: Settings) -> tuple[Engine | None, str | None]:
    """An engine for the checks that never starts the embedded server; (None, why) when there is none."""
    if settings.database_url:
        url = resolve_url(settings)
    else:
        status = server.status(settings.pgdata)
        if not status.running or status.socket_dir is None:
            return None, _("the embedded server is not running (start it with `oyna db start` or `oyna serve`)")
        try:
            url = server.role_url(settings.pgdata)
        except server.ServerError as exc:
            return None, str(exc)
    try:
        engine = sa.create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": CONNECT_TIMEOUT})
    except (sa.exc.ArgumentError, ValueError, ImportError) as exc:
        return None, str(exc)
    return engine, None


def run_checks(engine: Engine | None, settings: Settings, *, why_no_engine: str | None = None) -> list[Check]:
    """Every check, in a fixed order; with the database down, those that need it are skipped."""
    checks = [database(engine, why_no_engine)]
    up = checks[0].status != FAIL
    for check in (views, model, data, alerts):
        if not up:
            checks.append(Check(check.__name__, SKIP, _("not checked: the database is not reachable")))
            continue
        try:
            checks.append(check(engine))
        except Exception as exc:  # noqa: BLE001 - one broken check must not hide the others
            if database_down(exc):
                checks.append(Check(check.__name__, FAIL, _("the database stopped answering: {reason}").format(
                    reason=_first_line(exc))))
                up = False
            else:
                checks.append(Check(check.__name__, FAIL, _("the check failed: {reason}").format(
                    reason=_first_line(exc))))
    checks.append(disk(settings))
    checks.append(audit(engine) if up else Check("audit", SKIP, _("not checked: the database is not reachable")))
    return checks


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


def database(engine: Engine | None, why: str | None = None) -> Check:
    if engine is None:
        return Check("database", FAIL, _("not reachable: {reason}").format(reason=why or "?"))
    started = time.perf_counter()
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
    except (sa.exc.SQLAlchemyError, DatabaseUnavailable) as exc:
        return Check("database", FAIL, _("not reachable: {reason}").format(reason=_first_line(exc)))
    seconds = time.perf_counter() - started
    text = _("reachable in {ms} ms").format(ms=number(seconds * 1000))
    return Check("database", WARN if seconds > SLOW_DATABASE else OK, text, seconds)


def views(engine: Engine) -> Check:
    """The rollups: every change up to how long ago is in them (the age is the check's value)."""
    as_of = rollup_status(engine).as_of
    if as_of is None:
        return Check("views", WARN, _("never refreshed (run `oyna refresh --full`)"))
    age = datetime.now(timezone.utc) - as_of
    state = FAIL if age > VIEWS_FAIL else WARN if age > VIEWS_WARN else OK
    return Check("views", state, _("figures include every change up to {ago}").format(ago=ago(as_of)),
                 age.total_seconds())


def model(engine: Engine) -> Check:
    from core.models import service as models

    active = models.active_model(engine)
    if active is None:
        return Check("model", WARN, _("no model is active yet (run `oyna retrain`)"))
    trained = active["trained_at"]
    age = datetime.now(timezone.utc) - trained
    quality, dropped = live_quality(engine)
    status = WARN if dropped or age > MODEL_WARN else OK
    return Check("model", status, _("{version} trained {ago}; live quality: {quality}").format(
        version=active["version"], ago=ago(trained), quality=quality), age.total_seconds())


def live_quality(engine: Engine) -> tuple[str, bool]:
    """How the newest graded version's live churn predictions did for the whole chain against what it
    promised at training (core.models.performance); (words, whether they fell clearly below)."""
    from core.models import performance
    from core.platform.clubs import all_club_ids

    latest = performance.latest_check(performance.performance(engine, club_ids=all_club_ids(engine)))
    if latest.empty:
        return _("not graded yet"), False
    row = latest.iloc[0]
    dropped = bool(row.below_promise) if pd.notna(row.below_promise) else False
    text = _("{version}'s live ROC AUC {live} against {promised} promised").format(
        version=row.version, live=number(row.live_auc, 2), promised=number(row.promised_auc, 2))
    return (text + _(", clearly below: retrain") if dropped else text), dropped


def data(engine: Engine) -> Check:
    row = query_rows(engine, "system/data_freshness")[0]
    latest = row.latest_booking
    if latest is None:
        return Check("data", WARN, _("no bookings yet"))
    lag = row.server_now - latest
    as_of = _("data as of {time}").format(time=datetime_text(row.as_of))
    if row.as_of < row.server_now - timedelta(days=1):
        as_of += " " + _("(an imported history: pages work as of that moment)")
    status = WARN if lag > DATA_WARN else OK
    return Check("data", status, _("newest booking arrived {ago}; {as_of}").format(ago=ago(latest, row.server_now),
                                                                                  as_of=as_of), lag.total_seconds())


def alerts(engine: Engine) -> Check:
    from core.alerts.dispatch import backlog

    b = backlog(engine)
    if b.failed:
        return Check("alerts", FAIL, ngettext(
            "{n} message could not be delivered in the last day; last error: {error}",
            "{n} messages could not be delivered in the last day; last error: {error}", b.failed).format(
            n=b.failed, error=b.last_error or "?"), float(b.failed))
    if b.overdue:
        return Check("alerts", FAIL, ngettext(
            "{n} message is waiting past its time: is `oyna serve` or the `oyna alerts run` cron job running?",
            "{n} messages are waiting past their time: is `oyna serve` or the `oyna alerts run` cron job running?",
            b.overdue).format(n=b.overdue), float(b.overdue))
    if b.retrying:
        return Check("alerts", WARN, ngettext(
            "{n} message is being retried; last error: {error}",
            "{n} messages are being retried; last error: {error}", b.retrying).format(
            n=b.retrying, error=b.last_error or "?"), float(b.retrying))
    if not b.subscriptions:
        return Check("alerts", OK, _("nobody subscribed to alerts yet"), 0.0)
    stale = b.last_pass_at is None or datetime.now(timezone.utc) - b.last_pass_at > timedelta(minutes=10)
    if stale:
        return Check("alerts", WARN, _("the dispatcher last ran {ago}: is `oyna serve` or the `oyna alerts run` cron "
                                       "job running?").format(ago=ago(b.last_pass_at)), 0.0)
    if b.pass_error:
        return Check("alerts", WARN, _("the last pass stopped: {error}").format(error=b.pass_error), 0.0)
    return Check("alerts", OK, ngettext("nothing waiting; {n} subscription; last pass {ago}",
                                        "nothing waiting; {n} subscriptions; last pass {ago}", b.subscriptions).format(
        n=b.subscriptions, ago=ago(b.last_pass_at)), 0.0)


def data_folder(settings: Settings) -> Path:
    """The folder whose disk matters: the embedded server's data, or the model files with DATABASE_URL."""
    folder = settings.pgdata if settings.embedded else settings.models_dir
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder


def disk(settings: Settings) -> Check:
    folder = data_folder(settings)
    usage = shutil.disk_usage(folder)
    share = usage.free / usage.total if usage.total else 0.0
    status = (FAIL if share < DISK_FAIL[0] or usage.free < DISK_FAIL[1] else
              WARN if share < DISK_WARN[0] or usage.free < DISK_WARN[1] else OK)
    return Check("disk", status, _("{free} GB free ({share}) where {folder} is").format(
        free=number(usage.free / 2**30, 1), share=percent(share), folder=folder), float(usage.free))


def audit(engine: Engine) -> Check:
    rows = query_rows(engine, "system/audit_partitions")
    missing = [r.month for r in rows if not r.present]
    if not missing:
        return Check("audit", OK, _("partitions for {months} exist").format(months=", ".join(r.month for r in rows)),
                     float(len(rows)))
    status = FAIL if rows[0].month in missing else WARN
    return Check("audit", status, _("missing partitions: {months} (run `oyna sql \"select "
                                    "ensure_audit_partitions(current_date, current_date + 31)\"`)").format(
        months=", ".join(missing)), float(len(rows) - len(missing)))


__all__ = ["Check", "FAIL", "OK", "SKIP", "WARN", "health_engine", "run_checks", "worst"]
