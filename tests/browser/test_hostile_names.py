"""Names from club systems in Chromium: a customer, a club, a hall and seats named with Markdown and HTML images
and links that point at a small HTTP server on 127.0.0.1 are shown as the text they are on the Customer,
Customers and Utilization pages (and the sidebar), and the browser never asks that server for anything.
tests/pages/test_hostile_names.py checks the same pages' Markdown through AppTest."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.browser.support import CHROMIUM, no_exceptions, sign_in, wait_for_app, wait_for_charts, wait_for_heading
from tests.conftest import logs_forgotten
from tests.pages.support import PASSWORD, hostile_rows

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"Debian's Chromium is not installed ({CHROMIUM} is missing)"),
]

@pytest.fixture
def listener() -> Iterator[tuple[str, list[str]]]:
    """A server on 127.0.0.1 that answers everything with 204 and notes each path asked for."""
    hits: list[str] = []

    class Note(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the standard library's name
            hits.append(self.path)
            self.send_response(204)
            self.end_headers()

        do_POST = do_HEAD = do_GET

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Note)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", hits
    finally:
        server.shutdown()
        server.server_close()


def pointing_at(page, base: str) -> list[str]:
    """Links, images and other loaders in the page (charts' SVG too) whose address is on `base`."""
    return page.evaluate("""(base) => [...document.querySelectorAll('a, img, image, iframe, source, video, link')]
        .map(e => e.getAttribute('href') || e.getAttribute('src') || e.getAttribute('xlink:href') || '')
        .filter(address => address.startsWith(base))""", base)


def text_of(page) -> str:
    """The text the page shows (its charts' labels too), without the invisible joiners."""
    return page.evaluate("""() => (document.querySelector('[data-testid="stAppViewContainer"]').innerText + ' '
        + [...document.querySelectorAll('.js-plotly-plot text')].map(t => t.textContent).join(' '))
        .replaceAll('\\u2060', '')""")


def test_hostile_names_are_text_and_the_browser_fetches_nothing(desktop, server, engine, listener):
    base, hits = listener
    names = {"name": f"Айгерим ![p]({base}/name.png) [pay]({base}/pay) <img src={base}/name-tag.png>",
             "email": f"[x]({base}/mail)@a.b",
             "club": f"Pixel ![c]({base}/club.png) [pay]({base}/club) <a href={base}/club-tag>a</a>",
             "hall": f"Hall ![h]({base}/hall.png) <a href={base}/hall-tag>h</a>",
             "seats": ["PC-1", f"[seat]({base}/seat)", f"<img src={base}/seat.png>"],
             "action": f"[Call]({base}/action)", "reason": f"plays at ![r]({base}/reason.png)"}
    page = desktop
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    with logs_forgotten(engine), hostile_rows(engine, **names) as made:
        sign_in(page, server, made.account.username, PASSWORD)
        for path, heading, charts, shown in (
                (f"customer?id={made.user}", "Customer", 2, [names["name"], names["email"], names["club"]]),
                ("customers", "Customers", 2, [names["club"]]),
                ("utilization", "Utilization", 2, [names["club"], names["hall"]])):
            page.goto(f"{server}/{path}")
            wait_for_heading(page, heading)
            wait_for_charts(page, charts)
            wait_for_app(page)
            page.wait_for_timeout(500)  # time for an image to be asked for
            no_exceptions(page)
            assert pointing_at(page, base) == [], path
            text = text_of(page)
            assert all(value in text for value in shown), (path, text)
    assert hits == [] and not [url for url in requested if url.startswith(base)]
