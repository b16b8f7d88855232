"""A database outage while the Overview is open (issue 11): the app reaches PostgreSQL through a relay the
test can cut, as a network outage would. The next refresh keeps the last figures on screen, dimmed under a
banner, with their age counting on; when the database is back, the next refresh clears it."""

from __future__ import annotations

import re
import socket
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.browser.conftest import PASSWORD
from tests.browser.support import (
    CHROMIUM,
    DESKTOP,
    screenshot,
    sign_in,
    streamlit_server,
    wait_for_app,
    visible_charts,
    wait_for_charts,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"Debian's Chromium is not installed ({CHROMIUM} is missing)"),
]

REFRESH_WITHIN = 75_000  # ms: the served app's live part reruns every 5 s (OYNA_LIVE_SECONDS); room for a busy machine


class Relay:
    """A TCP port that passes connections through to the database until `cut()`; `restore()` lets new ones in."""

    def __init__(self, url: str):
        parsed = sa.make_url(url)
        folder = parsed.query.get("host")
        if folder and str(folder).startswith("/"):  # the embedded server's Unix socket
            sock = next(p for p in Path(folder).glob(".s.PGSQL.*") if not p.name.endswith(".lock"))
            self.upstream = (socket.AF_UNIX, str(sock))
        else:
            self.upstream = (socket.AF_INET, (parsed.host or "127.0.0.1", parsed.port or 5432))
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = parsed.set(host="127.0.0.1", port=self.listener.getsockname()[1],
                              query={k: v for k, v in parsed.query.items() if k != "host"}
                              ).render_as_string(hide_password=False)
        self.open, self.live = True, set()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.open:
                client.close()
                continue
            server = socket.socket(self.upstream[0], socket.SOCK_STREAM)
            server.connect(self.upstream[1])
            self.live |= {client, server}
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> None:
        self.open = False
        for s in list(self.live):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.live.clear()

    def restore(self) -> None:
        self.open = True

    def close(self) -> None:
        self.cut()
        self.listener.close()


@pytest.fixture
def relayed_app(db_url, accounts, trained, model_settings):
    relay = Relay(db_url)
    try:
        with streamlit_server(relay.url, extra_env={"OYNA_LIVE_SECONDS": "5",
                                                       "OYNA_MODELS_DIR": str(model_settings.models_dir)}) as base:
            yield base, relay
    finally:
        relay.close()


def _cards(page) -> list[str]:
    return page.locator('[data-testid="stMetric"]').all_inner_texts()


def test_an_outage_keeps_the_last_figures_on_screen_marked_stale(browser, relayed_app, accounts):
    base, relay = relayed_app
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    try:
        sign_in(page, base, accounts["manager"].username, PASSWORD)
        wait_for_charts(page, 1)
        page.wait_for_function("""() => document.querySelectorAll('[data-testid="stMetric"]').length == 5""",
                               timeout=30_000)  # the five cards, drawn one after another
        wait_for_app(page)
        before = _cards(page)
        assert len(before) == 5
        relay.cut()
        banner = page.get_by_text("The database is not reachable. These are the last figures")
        banner.wait_for(timeout=REFRESH_WITHIN)
        wait_for_app(page)
        assert _cards(page) == before  # the same numbers, still on screen
        assert visible_charts(page) >= 1
        stale = page.locator("#oyna-age-overview")
        assert stale.inner_text().startswith("Stale: updated")
        page.wait_for_function("""() => /Stale: updated \\d+ seconds ago/.test(
            (document.getElementById('oyna-age-overview') || {}).innerText || "")""",
                           timeout=15_000)  # its real age (the line is redrawn by each refresh)
        screenshot(page, "desktop-overview-database-down", whole=False)

        relay.restore()
        page.locator("#oyna-age-overview", has_text=re.compile(r"^Updated ")).wait_for(timeout=REFRESH_WITHIN)
        assert banner.count() == 0
    finally:
        context.close()
