"""Benchmark the Overview, Forecast, Utilization and What-if pages: `python -m bench.pages --size M`.

Loads a demo tier into a fresh embedded PostgreSQL in /tmp (or uses --database-url), refreshes the
rollups, then prints for every page:

* the server-side render time through Streamlit's AppTest, cold (empty caches) and warm (cached,
  the median of a few reruns);
* the time a real browser (Debian's Chromium, 1280x800) waits from the click to the page's first
  chart, on the first visit (the server's caches are cold) and on a later visit. The browser's cache is
  cold too; the Overview's first visit is timed from the click on "Sign in", with the name and password
  filled in as soon as the form shows (the form loads Plotly while it waits, so a person typing gives it
  more time than this).

Targets: warm render <= 0.5 s, first chart <= 2 s.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = {"Overview": "pages/overview.py", "Forecast": "pages/forecast.py", "Utilization": "pages/utilization.py",
         "What-if": "pages/whatif.py"}
PASSWORD = "bench-lantern-4417"
USERNAME = "bench-manager"
WARM_TARGET, CHART_TARGET = 0.5, 2.0


def _browser_support():
    """tests/browser/support.py by path (a `tests` package in site-packages could shadow it)."""
    spec = importlib.util.spec_from_file_location("_browser_support", ROOT / "tests" / "browser" / "support.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def prepare(size_name: str, seed: int, home: Path) -> str:
    from core.platform import server
    from core.platform.db import make_engine
    from core.demo.load import load
    from core.demo.simulate import simulate
    from core.demo.sizes import get_size
    from core.platform.migrate import migrate

    url = server.start(home / "pgdata")
    engine = make_engine(url)
    migrate(engine)
    t0 = time.perf_counter()
    load(engine, simulate(get_size(size_name), seed), progress=lambda _: None)
    print(f"loaded tier {size_name} in {time.perf_counter() - t0:.0f} s", flush=True)
    refresh_views(engine)
    engine.dispose()
    return url


def refresh_views(engine) -> None:
    """The rollups of whatever is queued (the load built them whole)."""
    from core.rollups.refresh import refresh

    t0 = time.perf_counter()
    done = refresh(engine)
    print(f"refreshed the rollups ({done.days} days) in {time.perf_counter() - t0:.1f} s", flush=True)


def ensure_account(url: str):
    from core.accounts import add_account, remove_account
    from core.platform.db import make_engine

    engine = make_engine(url)
    try:
        remove_account(engine, username=USERNAME)
        return add_account(engine, username=USERNAME, role="manager", password=PASSWORD)
    finally:
        engine.dispose()


def apptest_times(url: str, account, runs: int) -> dict[str, tuple[float, float]]:
    """Cold and warm server-side render seconds per page, through AppTest."""
    import streamlit as st

    from core.accounts import sessions
    from core.platform.db import make_engine
    from pages.ui.session import SESSION_KEY

    engine = make_engine(url)
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.testing.v1 import AppTest, app_test

    class AfterFirstRun(PagesManager):  # as a served app after its first run (see tests/pages/conftest.py)
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            PagesManager.uses_pages_directory = False

    app_test.PagesManager = AfterFirstRun
    out = {}
    for title, path in PAGES.items():
        st.cache_data.clear()
        st.cache_resource.clear()
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
        at.session_state[SESSION_KEY] = sessions.start(engine, account).session_id  # a real session row
        at.switch_page(path)
        t0 = time.perf_counter()
        at.run()
        cold = time.perf_counter() - t0
        if at.exception:
            raise SystemExit(f"{title} raised: {at.exception[0].value}")
        warm = []
        for _ in range(runs):
            t0 = time.perf_counter()
            at.run()
            warm.append(time.perf_counter() - t0)
        out[title] = (cold, statistics.median(warm))
    return out


def browser_times(url: str, bs) -> dict[str, tuple[float, float]]:
    """Seconds from the click to the page's first chart: first visit and a later one."""
    out: dict[str, list[float]] = {title: [] for title in PAGES}
    with bs.streamlit_server(url) as base, bs.chromium() as browser:
        page = browser.new_context(viewport=bs.DESKTOP, locale="en-US").new_page()
        page.goto(base)
        page.get_by_label("Username").fill(USERNAME)
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        t0 = time.perf_counter()
        page.get_by_role("button", name="Sign in").click()
        bs.wait_for_heading(page, "Overview", timeout=120_000)
        bs.wait_for_charts(page, 1, timeout=120_000)
        out["Overview"].append(time.perf_counter() - t0)  # includes checking the password
        bs.wait_for_app(page, timeout=120_000)
        rest = [title for title in PAGES if title != "Overview"]
        for title in [*rest, "Overview", *rest]:  # each page's first visit, then a later one
            page.wait_for_timeout(500)
            link = page.locator('[data-testid="stSidebarNav"] a', has_text=title).first
            t0 = time.perf_counter()
            link.click()
            bs.wait_for_heading(page, title, timeout=120_000)
            bs.wait_for_charts(page, 1, timeout=120_000)
            out[title].append(time.perf_counter() - t0)
            bs.wait_for_app(page, timeout=120_000)
    return {title: (times[0], times[-1]) for title, times in out.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="M")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--runs", type=int, default=3, help="warm AppTest runs per page (median)")
    parser.add_argument("--database-url", help="use this database (already loaded) instead of a fresh one")
    parser.add_argument("--no-browser", action="store_true", help="skip the Chromium measurements")
    args = parser.parse_args()

    from core.platform import server

    home = None
    if args.database_url:
        url = args.database_url
    else:
        home = Path(tempfile.mkdtemp(prefix="oyna-bench-pages-", dir="/tmp"))
        url = prepare(args.size, args.seed, home)
    try:
        os.environ["DATABASE_URL"] = url
        account = ensure_account(url)
        server_side = apptest_times(url, account, args.runs)
        bs = _browser_support()
        in_browser = None
        if args.no_browser:
            pass
        elif not bs.CHROMIUM.exists():
            print(f"{bs.CHROMIUM} is missing: no browser times (apt-get install -y chromium)", file=sys.stderr)
        else:
            in_browser = browser_times(url, bs)
    finally:
        if home is not None:
            server.stop(home / "pgdata")
            shutil.rmtree(home, ignore_errors=True)

    print(f"\ntier {args.size if not args.database_url else '(given database)'}; "
          f"targets: warm <= {WARM_TARGET} s, first chart <= {CHART_TARGET} s\n")
    header = f"{'page':<13}{'cold render':>12}{'warm render':>12}{'1st chart, 1st visit':>22}{'1st chart, later':>18}"
    print(header)
    print("-" * len(header))
    for title in PAGES:
        cold, warm = server_side[title]
        first, later = in_browser[title] if in_browser else (float("nan"), float("nan"))
        flag = " " if warm <= WARM_TARGET and (not in_browser or later <= CHART_TARGET) else "!"
        print(f"{title:<13}{cold:>11.2f}s{warm:>11.2f}s{first:>21.2f}s{later:>17.2f}s {flag}")
    print("\ncold/warm render: AppTest, server side, empty caches / cached (median of "
          f"{args.runs}); first chart: Chromium, click to the first drawn Plotly chart.")


if __name__ == "__main__":
    main()
