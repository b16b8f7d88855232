"""What an app process adds to the Prometheus metrics: how long pages take.

The numbers go through core.platform.metrics; `oyna serve --metrics-port` exports them. The live sessions
are counted from the session table at scrape time (core.system.exporter), across every app process.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from core.platform import metrics


@contextmanager
def page_timer(page: str) -> Iterator[None]:
    """Record how long a page (or a live fragment of it) took to render."""
    with metrics.timer(metrics.PAGE, page):
        yield
