"""The Prometheus metrics every process records; the one module that imports prometheus_client.

    from core.platform import metrics
    with metrics.timer(metrics.QUERY, "customers/search"): ...
    metrics.record_retrain(seconds, "activated")

The metrics are made on first use, so `oyna serve --metrics-port` (and any `oyna` command run with
OYNA_METRICS_DIR set) can first switch the process to prometheus_client's multiprocess mode: then
every process (the CLI, the Streamlit app, the live feed) writes its numbers to files in one folder,
and the exporter in `oyna serve` (core.system.exporter) adds them up for each scrape. Without a
folder the numbers stay in this process (tests read them from `registry()`).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"

# name -> (type, help, labels)
PAGE = "oyna_page_render_seconds"
QUERY = "oyna_query_seconds"
RETRAIN = "oyna_retrain_seconds"
RETRAINS = "oyna_retrains"
VIEW_REFRESH = "oyna_view_refresh_seconds"
LIVE_FEED = "oyna_live_feed_ticks"
ALERTS_SENT = "oyna_alerts_sent"
ALERTS_FAILED = "oyna_alerts_failed"
IMPORTS = "oyna_imports"
IMPORT_ROWS = "oyna_import_rows"

PAGE_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)
QUERY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)
LONG_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 900.0)

SPECS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    PAGE: ("histogram", "Time to render a page (or a live fragment of it), by page", ("page",)),
    QUERY: ("histogram", "Time to run a named SQL query, by query", ("query",)),
    RETRAIN: ("histogram", "Time a retrain took", ()),
    RETRAINS: ("counter", "Retrains by result (activated, kept, failed)", ("result",)),
    VIEW_REFRESH: ("histogram", "Time to refresh the rollups (view: rollups)", ("view",)),
    LIVE_FEED: ("counter", "Live-feed ticks, by result (ok, failed)", ("result",)),
    ALERTS_SENT: ("counter", "Alert messages delivered, by channel kind", ("channel",)),
    ALERTS_FAILED: ("counter", "Alert delivery attempts that failed, by channel kind", ("channel",)),
    IMPORTS: ("counter", "Data imports, by result", ("result",)),
    IMPORT_ROWS: ("counter", "Rows brought in by data imports", ()),
}
# Label values made at start, so a scrape lists these series before the first event.
KNOWN_LABELS: dict[str, tuple[str, ...]] = {
    RETRAINS: ("activated", "kept", "failed"),
    LIVE_FEED: ("ok", "failed"),
    ALERTS_SENT: ("telegram", "webhook", "email"),
    ALERTS_FAILED: ("telegram", "webhook", "email"),
    IMPORTS: ("ok", "failed"),
}

_lock = threading.Lock()
_made: dict[str, Any] | None = None
_registry: Any = None


def use_folder(path: Path | str) -> None:
    """Record into files in `path` (multiprocess mode); call before the first metric is recorded.

    Child processes inherit the folder through the environment.
    """
    global _made, _registry
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    with _lock:
        if _made is not None and os.environ.get(DIR_VARIABLE) == str(folder):
            return
        os.environ[DIR_VARIABLE] = str(folder)
        from prometheus_client import values

        values.ValueClass = values.get_value_class()
        _made, _registry = None, None  # made again, now writing to the folder


def folder() -> Path | None:
    value = os.environ.get(DIR_VARIABLE)
    return Path(value) if value else None


def _metrics() -> dict[str, Any]:
    global _made, _registry
    if _made is not None:
        return _made
    with _lock:
        if _made is None:
            from prometheus_client import CollectorRegistry, Counter, Histogram

            registry = CollectorRegistry(auto_describe=True)
            made: dict[str, Any] = {}
            for name, (kind, text, labels) in SPECS.items():
                if kind == "histogram":
                    buckets = {PAGE: PAGE_BUCKETS, QUERY: QUERY_BUCKETS}.get(name, LONG_BUCKETS)
                    made[name] = Histogram(name, text, labels, buckets=buckets, registry=registry)
                else:
                    made[name] = Counter(name, text, labels, registry=registry)
            _registry, _made = registry, made
    return _made


def registry():
    """This process's registry (the exporter reads the folder instead in multiprocess mode)."""
    _metrics()
    return _registry


def touch_known(extra: dict[str, tuple[str, ...]] | None = None) -> None:
    """Make the known label values (and `extra` ones) exist with zero, so a scrape lists them."""
    made = _metrics()
    for name, values in {**KNOWN_LABELS, **(extra or {})}.items():
        for value in values:
            made[name].labels(value)


def observe(name: str, seconds: float, label: str | None = None) -> None:
    metric = _metrics()[name]
    (metric.labels(label) if label is not None else metric).observe(max(0.0, seconds))


def count(name: str, label: str | None = None, amount: float = 1.0) -> None:
    metric = _metrics()[name]
    (metric.labels(label) if label is not None else metric).inc(amount)


@contextmanager
def timer(name: str, label: str | None = None) -> Iterator[None]:
    """Observe how long the block took (also when it raises)."""
    started = time.perf_counter()
    try:
        yield
    finally:
        observe(name, time.perf_counter() - started, label)


def record_retrain(seconds: float, result: str) -> None:
    observe(RETRAIN, seconds)
    count(RETRAINS, result)


def record_import(result: str, rows: int = 0) -> None:
    """For the imports domain: one import finished (`ok` or `failed`) with the rows it brought in."""
    count(IMPORTS, result)
    if rows:
        count(IMPORT_ROWS, amount=rows)
