"""Helpers for driving the app in a real browser: a Streamlit server subprocess and Debian's Chromium.

Used by tests/test_browser.py and bench/pages.py.
"""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa

from core.cli.serve import streamlit_command
from core.platform.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
ARTIFACTS = ROOT / "test-artifacts"
CHART = ".js-plotly-plot .main-svg"
# A chart of the current run: Streamlit keeps the last page's elements, greyed and marked stale, until
# the new run replaces them.
FRESH_CHART = '[data-testid="stElementContainer"]:not([data-stale="true"]) .js-plotly-plot .main-svg'


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def streamlit_server(database_url: str, *, port: int | None = None, timeout: float = 60.0,
                     extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """Serve the app as `oyna serve` does (its Streamlit command line) against `database_url`; yields the base
    URL once it is healthy."""
    port = port or free_port()
    env = dict(os.environ)
    env.update({"DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1"}, **(extra_env or {}))
    log = tempfile.NamedTemporaryFile(prefix="oyna-streamlit-", suffix=".log", delete=False)
    # `oyna serve`'s own command line (XSRF, no table toolbar downloads), as a served app runs
    cmd = streamlit_command(port, "127.0.0.1", load_settings(env)) + [
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {proc.returncode}:\n{Path(log.name).read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not become healthy in {timeout:.0f} s:\n"
                                   f"{Path(log.name).read_text()[-3000:]}")
            time.sleep(0.25)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@contextmanager
def chromium() -> Iterator[object]:
    """A headless Debian Chromium driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def wait_for_app(page, timeout: float = 30_000) -> None:
    """Wait until Streamlit has finished running the script (no 'running' status widget)."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout)
    page.wait_for_function(
        """() => !document.querySelector('[data-testid="stStatusWidget"]')
                 || !document.querySelector('[data-testid="stStatusWidget"]').innerText.includes('Running')""",
        timeout=timeout)


def session_cookie(context) -> dict | None:
    """The browser's session cookie (HttpOnly: only the browser, not the page, sees it)."""
    from pages.ui.cookie import COOKIE
    return next((c for c in context.cookies() if c["name"] == COOKIE), None)


def sign_in(page, base: str, username: str, password: str, timeout: float = 30_000, *,
            labels: tuple[str, str, str] = ("Username", "Password", "Sign in")) -> None:
    """Open `base`, fill the sign-in form (`labels`: the user name, the password and the button, in the
    page's language) and wait for the app to show the page."""
    name_label, password_label, button = labels
    page.goto(base)
    page.get_by_label(name_label).fill(username, timeout=timeout)
    page.get_by_label(password_label, exact=True).fill(password)
    page.get_by_role("button", name=button).click()
    page.wait_for_selector('[data-testid="stSidebarNav"]', state="attached", timeout=timeout)
    # The tab then trades its grant for the session cookie, and that reply reruns the page: a click on the
    # navigation before the rerun can be lost, so wait for the cookie and for the run it starts.
    deadline = time.monotonic() + timeout / 1000
    while session_cookie(page.context) is None:
        assert time.monotonic() < deadline, "the session cookie was never set"
        page.wait_for_timeout(100)
    wait_for_app(page, timeout)


def open_page(page, title: str, timeout: float = 30_000) -> None:
    """Go to a page through the sidebar navigation (opening the sidebar on a phone first). The current run
    finishes first: a click during the first run after signing in can be lost."""
    wait_for_app(page, timeout)
    open_sidebar(page, timeout)
    links = page.locator('[data-testid="stSidebarNav"] a')
    links.filter(has=page.get_by_text(title, exact=True)).first.click(timeout=timeout)
    close_sidebar_on_phone(page)


def sidebar_open(page) -> bool:
    sidebar = page.locator('[data-testid="stSidebar"]')
    return sidebar.count() > 0 and sidebar.first.get_attribute("data-collapsed") == "false"


def open_sidebar(page, timeout: float = 30_000) -> None:
    if not sidebar_open(page):
        page.locator('[data-testid="stExpandSidebarButton"]').first.click(timeout=timeout)
        page.wait_for_function(
            """() => document.querySelector('[data-testid="stSidebar"]').getAttribute('data-collapsed') === 'false'""",
            timeout=timeout)
        page.wait_for_timeout(400)  # the slide-in animation


def close_sidebar_on_phone(page) -> None:
    """On a narrow screen the sidebar covers the page after navigating; close it."""
    if page.viewport_size and page.viewport_size["width"] < 640 and sidebar_open(page):
        page.locator('[data-testid="stSidebarCollapseButton"] button, [data-testid="stSidebarCollapseButton"]'
                     ).first.click()
        page.wait_for_timeout(400)


_VISIBLE = "(selector) => [...document.querySelectorAll(selector)].filter(svg => svg.getBoundingClientRect().width > 0)"


def wait_for_charts(page, count: int = 1, timeout: float = 30_000) -> None:
    """Wait until the current run has drawn `count` Plotly charts (visible ones: not the sign-in form's
    hidden chart that loads Plotly early)."""
    page.wait_for_function(f"([selector, count]) => ({_VISIBLE})(selector).length >= count",
                           arg=[FRESH_CHART, count], timeout=timeout)


def visible_charts(page) -> int:
    """How many Plotly charts the page shows."""
    return page.evaluate(f"(selector) => ({_VISIBLE})(selector).length", ".js-plotly-plot .main-svg")


def wait_for_heading(page, title: str, timeout: float = 30_000) -> None:
    """Wait for the page's h1 (a fresh one, not the last page's)."""
    page.wait_for_function(
        """(title) => [...document.querySelectorAll('[data-testid="stElementContainer"]:not([data-stale="true"]) h1')]
                      .some(h => h.innerText.trim() === title)""", arg=title, timeout=timeout)


def no_exceptions(page) -> None:
    """No Streamlit exception box on the page (its text is the failure message)."""
    boxes = page.locator('[data-testid="stException"]')
    assert boxes.count() == 0, boxes.first.inner_text()


def horizontal_overflow(page) -> int:
    """How many pixels the page is wider than the window (0 = no horizontal scrolling)."""
    return int(page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth"))


def screenshot(page, name: str, *, whole: bool = True) -> Path:
    """Save a PNG in test-artifacts/. Streamlit scrolls inside its main block, so for the whole page
    the window is made as tall as that block for the shot (and put back afterwards)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    size = page.viewport_size
    height = page.evaluate("""() => {
        const main = document.querySelector('[data-testid="stMain"]') || document.scrollingElement;
        return main ? main.scrollHeight : document.documentElement.scrollHeight; }""") if whole else 0
    if whole and size and height > size["height"]:
        page.set_viewport_size({"width": size["width"], "height": min(int(height) + 20, 6000)})
        page.wait_for_timeout(600)
    try:
        page.screenshot(path=str(path), full_page=True)
    finally:
        if size and page.viewport_size != size:
            page.set_viewport_size(size)
    return path


def model_versions(engine: sa.Engine) -> set[str]:
    """Every model version the registry has."""
    with engine.connect() as conn:
        return set(conn.execute(sa.text("select version from model_versions")).scalars())


@contextmanager
def walk_ins(engine: sa.Engine, n: int, minutes: int = 30) -> Iterator[int]:
    """Book `n` walk-ins starting now on free seats, with their payments (what the live feed does);
    yields how many were booked, and removes them afterwards, with the audit rows their removal writes."""
    from core.platform.db import load_sql

    booked: list[int] = []
    now = datetime.now(timezone.utc)
    try:
        with engine.begin() as conn:
            halls = conn.execute(sa.text("select id from halls order by id")).scalars().all()
            user = conn.execute(sa.text("select id from users order by id limit 1")).scalar_one()
            for i in range(n * 4):
                row = conn.execute(sa.text(load_sql("demo/live_insert_booking")), {
                    "user_id": user, "hall_id": halls[i % len(halls)], "start_time": now,
                    "end_time": now + timedelta(minutes=minutes), "price": 1000, "method": "card"}).first()
                if row is not None:
                    booked.append(int(row.booking_id))
                if len(booked) == n:
                    break
        yield len(booked)
    finally:
        if booked:
            _remove_bookings(engine, booked, since=now)


def _remove_bookings(engine: sa.Engine, booking_ids: list[int], *, since: datetime) -> None:
    with engine.begin() as conn:
        payments = conn.execute(sa.text("delete from payments where booking_id = any(:ids) returning id"),
                                {"ids": booking_ids}).scalars().all()
        conn.execute(sa.text("delete from bookings where id = any(:ids)"), {"ids": booking_ids})
        conn.execute(sa.text(
            "delete from audit_logs where created_at >= :since and action = 'DELETE' and ("
            "(table_name = 'bookings' and record_id = any(:bookings)) or "
            "(table_name = 'payments' and record_id = any(:payments)))"),
            {"since": since - timedelta(minutes=1), "bookings": booking_ids, "payments": list(payments)})
