"""What an app process adds to the Prometheus metrics: how long pages take, and the sessions connected.

The numbers go through core.platform.metrics; `oyna serve --metrics-port` exports them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from core.platform import metrics

logger = logging.getLogger("oyna.pages")

SAMPLE_SECONDS = 5.0
_started = threading.Event()
_lock = threading.Lock()


@contextmanager
def page_timer(page: str) -> Iterator[None]:
    """Record how long a page (or a live fragment of it) took to render."""
    watch_sessions()
    with metrics.timer(metrics.PAGE, page):
        yield


def watch_sessions() -> None:
    """Count the browser sessions every few seconds, in a thread started once per served process."""
    from streamlit import runtime

    if _started.is_set() or not runtime.exists():  # AppTest and the CLI have no server runtime
        return
    with _lock:
        if _started.is_set():
            return
        _started.set()
    threading.Thread(target=_sample, name="oyna-sessions", daemon=True).start()


def _sample() -> None:
    from streamlit import runtime

    while True:
        try:
            manager = runtime.get_instance()._session_mgr  # no public count; the session manager has one
            metrics.set_gauge(metrics.SESSIONS, manager.num_active_sessions())
        except Exception:  # noqa: BLE001 - a metric must never break the app
            logger.debug("could not count sessions", exc_info=True)
        time.sleep(SAMPLE_SECONDS)
