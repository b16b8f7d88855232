"""`oyna serve --metrics-port N`: one Prometheus endpoint for the whole app.

The app runs in several processes (`oyna serve`, the Streamlit app it starts, the live feed, cron
jobs given the same OYNA_METRICS_DIR), each writing its numbers to files in one folder
(core.platform.metrics). The exporter adds those up on every scrape and adds gauges measured right
then: the health checks, the age of the views and the model, the live feed's lag, the alert backlog
and the free disk space.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from pathlib import Path
from typing import Any

from core.platform import metrics
from core.platform.settings import Settings

logger = logging.getLogger("oyna.system")

CACHE_SECONDS = 10.0  # scrapes closer together than this share one round of checks
STATUS_VALUE = {"ok": 0, "skip": 1, "warn": 2, "fail": 3}


def prepare_folder(settings: Settings) -> Path:
    """The metrics folder for this `oyna serve` (OYNA_METRICS_DIR, or a fresh temporary one), emptied of
    earlier runs' files, and this process switched to writing there."""
    import tempfile

    folder = settings.metrics_dir or Path(tempfile.mkdtemp(prefix="oyna-metrics-"))
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()
    metrics.use_folder(folder)
    metrics.touch_known({metrics.VIEW_REFRESH: ("rollups",)})
    return folder


def start(port: int, address: str, settings: Settings, folder: Path) -> Any:
    """Serve /metrics on address:port in a background thread; returns the HTTP server."""
    from prometheus_client import CollectorRegistry, start_http_server
    from prometheus_client.multiprocess import MultiProcessCollector

    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(folder))
    registry.register(HealthCollector(settings))
    server, _ = start_http_server(port, addr=address, registry=registry)
    return server


def process_exited(pid: int) -> None:
    """Forget a finished child's live gauges (its counters stay in the totals)."""
    from prometheus_client import multiprocess

    try:
        multiprocess.mark_process_dead(pid)
    except OSError:
        pass


class HealthCollector:
    """Gauges measured at scrape time from the health checks (cached for CACHE_SECONDS)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._lock = threading.Lock()
        self._kept: tuple[float, list] | None = None

    def describe(self):
        return []  # measured on collect; nothing to describe up front

    def collect(self):
        with self._lock:
            if self._kept is None or time.monotonic() - self._kept[0] > CACHE_SECONDS:
                self._kept = (time.monotonic(), self._measure())
            families = self._kept[1]
        yield from families

    def _measure(self) -> list:
        from prometheus_client.core import GaugeMetricFamily

        from core.system import health

        engine, why = health.health_engine(self.settings)
        try:
            checks = health.run_checks(engine, self.settings, why_no_engine=why)
            engine_up = checks[0].status != health.FAIL
            backlog = _backlog(engine) if engine_up else None
            dropped = _quality_dropped(engine) if engine_up else False
            live = _live_sessions(engine, self.settings) if engine_up else None
        finally:
            if engine is not None:
                engine.dispose()
        by_name = {c.name: c for c in checks}
        out = []
        status = GaugeMetricFamily("oyna_health_check_status", "Health check result: 0 ok, 1 skipped, 2 warning, "
                                   "3 failed (oyna health)", labels=["check"])
        for check in checks:
            status.add_metric([check.name], STATUS_VALUE[check.status])
        out.append(status)
        up = float(by_name["database"].status != "fail")
        out.append(_gauge("oyna_database_up", "1 when the database answers", up))
        values = {
            "oyna_database_latency_seconds": ("Time for the database to answer select 1", "database"),
            "oyna_view_age_seconds": ("Age of the oldest change not yet in the rollups (or of their last refresh)", "views"),
            "oyna_model_age_seconds": ("Age of the active model", "model"),
            "oyna_live_feed_lag_seconds": ("Time since the newest booking arrived (the live feed's lag)", "data"),
            "oyna_disk_free_bytes": ("Free bytes on the data folder's disk", "disk"),
        }
        for name, (text, check) in values.items():
            value = by_name[check].value if check in by_name else None
            if value is not None and by_name[check].status != "skip":
                out.append(_gauge(name, text, value))
        if engine_up and by_name.get("model") is not None and by_name["model"].status != "skip":
            out.append(_gauge("oyna_model_quality_dropped", "1 when the newest graded version's live churn "
                              "quality fell clearly below its promise", float(dropped)))
        if live is not None:
            out.append(_gauge("oyna_active_sessions", "Signed-in sessions that are live (used within the idle "
                              "timeout, not ended or expired), across every app process", live))
        folder = health.data_folder(self.settings)
        usage = shutil.disk_usage(folder)
        out.append(_gauge("oyna_disk_free_ratio", "Free share of the data folder's disk", usage.free / usage.total))
        if backlog is not None:
            family = GaugeMetricFamily("oyna_alert_messages", "Alert messages by state: overdue (waiting past "
                                       "their time), retrying, failed (in the last day)", labels=["state"])
            for state in ("overdue", "retrying", "failed"):
                family.add_metric([state], getattr(backlog, state))
            out.append(family)
            if backlog.last_pass_at is not None:
                out.append(_gauge("oyna_alert_dispatcher_last_pass_timestamp_seconds",
                                  "When the alert dispatcher last finished a pass", backlog.last_pass_at.timestamp()))
        audit = by_name.get("audit")
        if audit is not None and audit.value is not None and audit.status != "skip":
            out.append(_gauge("oyna_audit_partitions_ahead", "Audit partitions present for this month and the next",
                              audit.value))
        return out


def _gauge(name: str, text: str, value: float):
    from prometheus_client.core import GaugeMetricFamily

    return GaugeMetricFamily(name, text, value=value)


def _backlog(engine):
    from core.alerts.dispatch import backlog

    try:
        return backlog(engine)
    except Exception:  # noqa: BLE001 - a scrape reports what it can
        logger.debug("no alert backlog", exc_info=True)
        return None


def _live_sessions(engine, settings: Settings) -> int | None:
    from core.accounts import sessions

    try:
        return sessions.count_live(engine, settings=settings)
    except Exception:  # noqa: BLE001 - a scrape reports what it can
        logger.debug("no session count", exc_info=True)
        return None


def _quality_dropped(engine) -> bool:
    from core.system.health import live_quality

    try:
        return live_quality(engine)[1]
    except Exception:  # noqa: BLE001 - a scrape reports what it can
        logger.debug("no live quality", exc_info=True)
        return False
