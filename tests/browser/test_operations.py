"""`oyna serve --metrics-port` in Chromium: after pages render, the metrics endpoint lists the page,
query and session metrics (written by the Streamlit process) next to the serve process's own and the
health gauges; the System page at desktop and phone sizes, for managers only."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from tests.browser.conftest import PASSWORD
from tests.browser.support import (
    CHROMIUM,
    DESKTOP,
    PHONE,
    ROOT,
    free_port,
    horizontal_overflow,
    no_exceptions,
    open_page,
    screenshot,
    sign_in,
    wait_for_app,
    wait_for_charts,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"Debian's Chromium is not installed ({CHROMIUM} is missing)"),
]

METRICS = [
    "oyna_page_render_seconds", "oyna_query_seconds", "oyna_active_sessions", "oyna_retrain_seconds",
    "oyna_retrains_total", "oyna_view_refresh_seconds", "oyna_live_feed_lag_seconds", "oyna_alerts_sent_total",
    "oyna_alerts_failed_total", "oyna_imports_total", "oyna_health_check_status", "oyna_view_age_seconds",
    "oyna_model_age_seconds", "oyna_disk_free_bytes", "oyna_alert_messages",
]


def _get(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read().decode()
    except OSError:
        return None


@pytest.fixture(scope="module")
def served(db_url, app_url, accounts, trained, model_settings, tmp_path_factory):
    """`oyna serve --metrics-port` against the session's database, without the live feed (which would
    write to it); yields (app URL, metrics URL)."""
    port, metrics_port = free_port(), free_port()
    env = dict(os.environ, DATABASE_URL=app_url, OYNA_OWNER_DATABASE_URL=db_url, OYNA_HOME=str(tmp_path_factory.mktemp("serve-home")),
               OYNA_MODELS_DIR=str(model_settings.models_dir), PYTHONUNBUFFERED="1")
    env.pop("OYNA_METRICS_DIR", None)
    log = tempfile.NamedTemporaryFile(prefix="oyna-serve-", suffix=".log", delete=False)
    proc = subprocess.Popen([sys.executable, "-m", "core.cli", "serve", "--port", str(port), "--metrics-port",
                             str(metrics_port), "--no-live"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base, scrape = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{metrics_port}/metrics"
    try:
        deadline = time.monotonic() + 90
        while _get(f"{base}/_stcore/health") != "ok" or _get(scrape) is None:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"oyna serve did not come up:\n{Path(log.name).read_text()[-3000:]}")
            time.sleep(0.5)
        yield base, scrape
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def samples(text: str, name: str) -> list[tuple[str, float]]:
    """(labels, value) of every sample of a metric in Prometheus' text format."""
    found = []
    for line in text.splitlines():
        match = re.match(rf"^{name}(\{{[^}}]*\}})?\s+(\S+)$", line)
        if match:
            found.append((match.group(1) or "", float(match.group(2))))
    return found


def test_the_metrics_endpoint_answers_with_every_metric_after_a_page_render(browser, served, accounts):
    base, scrape = served
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    try:
        sign_in(page, base, accounts["manager"].username, PASSWORD)
        wait_for_charts(page, 1)
        wait_for_app(page)
        deadline = time.monotonic() + 20  # the session count is sampled every few seconds
        while True:
            text = _get(scrape) or ""
            if any(value >= 1 for _, value in samples(text, "oyna_active_sessions")) or time.monotonic() > deadline:
                break
            time.sleep(1)
    finally:
        context.close()
    missing = [name for name in METRICS if not re.search(rf"^{name}", text, re.M)]
    assert missing == []
    pages = samples(text, "oyna_page_render_seconds_count")
    assert any('page="overview"' in labels and value >= 1 for labels, value in pages), pages
    queries = samples(text, "oyna_query_seconds_count")
    assert any('query="overview/live_kpis"' in labels and value >= 1 for labels, value in queries)
    assert max(value for _, value in samples(text, "oyna_active_sessions")) >= 1
    status = dict(samples(text, "oyna_health_check_status"))
    assert status['{check="database"}'] == 0
    assert samples(text, "oyna_database_up") == [("", 1.0)]


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_the_system_page_for_a_manager(browser, served, accounts, size):
    base, _ = served
    context = browser.new_context(viewport=DESKTOP if size == "desktop" else PHONE)
    page = context.new_page()
    try:
        sign_in(page, base, accounts["manager"].username, PASSWORD)
        open_page(page, "System")
        page.get_by_role("heading", name="System", exact=True).wait_for(timeout=30_000)
        page.get_by_text("reachable in").first.wait_for(state="attached", timeout=30_000)  # a grid cell
        wait_for_app(page)
        no_exceptions(page)
        if size == "phone":
            assert horizontal_overflow(page) <= 0, "the System page scrolls sideways on a phone"
        screenshot(page, f"{size}-manager-system")
        page.get_by_role("tab", name="Alert delivery").click()
        page.get_by_text("Add a channel").wait_for(timeout=30_000)
        if size == "phone":
            assert horizontal_overflow(page) <= 0, "the alert delivery tab scrolls sideways on a phone"
        screenshot(page, f"{size}-manager-system-alerts")
    finally:
        context.close()


def test_analysts_have_no_system_page(browser, served, accounts):
    base, _ = served
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    try:
        sign_in(page, base, accounts["analyst"].username, PASSWORD)
        nav = page.locator('[data-testid="stSidebarNav"]')
        nav.get_by_text("Models", exact=True).wait_for(timeout=30_000)
        assert nav.get_by_text("System", exact=True).count() == 0
    finally:
        context.close()
