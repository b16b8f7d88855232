"""Soak the served app: `python -m bench.soak --size M --sessions 30 --minutes 10`.

Starts `oyna serve` (the demo tier loaded into a fresh embedded PostgreSQL in /tmp by a child process,
the first models trained, the live feed adding bookings) unless `--url` names a running app. Then real
Chromium sessions (one browser context each, so each has its own sign-in) sign in and sit on the Overview,
whose live part reruns every 30 s; every fourth sits on the Models page, which must not rerun at all.

It prints:

* refresh latency, p50 and p95: from the browser asking for a rerun (a fragment's timer) to the server's
  "script finished", read from the websocket frames;
* errors shown: Streamlit exceptions and error boxes on any page, counted every 30 s;
* the memory (RSS) of the Streamlit process and of `oyna serve` at the start and the end;
* database connections in use (pg_stat_activity), at the start, the most seen, and the end;
* the server's own side of a refresh, from `oyna serve --metrics-port`: how long the Overview's live part
  took to run in the app (p50 and p95 from the histogram's buckets) and the named queries that took the
  most time, so that the browser's latency splits into the app's work and the waiting around it.

Targets: 0 errors, p95 refresh under 1 s, the app's memory grows less than 20%. A benchmark, not a test:
run it on a quiet machine and say under what load (`uptime`) it ran.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
USERNAME, PASSWORD = "soak-manager", "soak-harbour-5530"
P95_TARGET, GROWTH_TARGET = 1.0, 0.20
ERRORS = '[data-testid="stException"], [data-testid="stAlertContentError"]'


def _browser_support():
    """tests/browser/support.py by path (as bench.pages does)."""
    spec = importlib.util.spec_from_file_location("_browser_support", ROOT / "tests" / "browser" / "support.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def children(pid: int) -> list[tuple[int, str]]:
    """(pid, command line) of a process's children."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                cmd = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                found.append((int(stat.parent.name), cmd))
        except (OSError, IndexError, ValueError):
            continue
    return found


def _get(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read().decode()
    except OSError:
        return None


@dataclass
class Served:
    base: str
    database_url: str
    metrics: str | None = None  # oyna serve's /metrics
    serve_pid: int | None = None
    app_pid: int | None = None
    proc: subprocess.Popen | None = None
    home: Path | None = None
    loaded_rss: float | None = None  # oyna serve right after the demo load and the first retrain


def start_serve(size: str, port: int, metrics_port: int, home: Path) -> Served:
    env = dict(os.environ, OYNA_HOME=str(home), OYNA_MODELS_DIR=str(home / "models"), PYTHONUNBUFFERED="1")
    env.pop("DATABASE_URL", None)
    log = open(home / "serve.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "core.cli", "serve", "--size", size, "--port", str(port),
                             "--metrics-port", str(metrics_port)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    t0 = time.monotonic()
    while True:  # the demo loaded, the first models trained, the app up
        text = (home / "serve.log").read_text()
        training = "training the first models" in text and not ("models ready" in text or "retrain failed" in text)
        if not training and "Oyna Insights: http" in text and _get(f"{base}/_stcore/health") == "ok":
            break
        if proc.poll() is not None:
            raise SystemExit(f"oyna serve exited:\n{text[-3000:]}")
        time.sleep(2)
    print(f"oyna serve ready in {time.monotonic() - t0:.0f} s (tier {size})", flush=True)
    app = next((pid for pid, cmd in children(proc.pid) if "streamlit" in cmd), None)
    url = subprocess.run([sys.executable, "-m", "core.cli", "db", "url"], cwd=ROOT, env=env, capture_output=True,
                         text=True, check=True).stdout.strip()
    return Served(base, url, f"http://127.0.0.1:{metrics_port}/metrics", proc.pid, app, proc, home,
                  rss_mb(proc.pid))


def ensure_account(url: str) -> None:
    from core.accounts import add_account, remove_account
    from core.platform.db import make_engine

    engine = make_engine(url)
    try:
        remove_account(engine, username=USERNAME)
        add_account(engine, username=USERNAME, role="manager", password=PASSWORD)
    finally:
        engine.dispose()


def connections(url: str) -> int:
    from core.platform.db import make_engine

    import sqlalchemy as sa

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text("select count(*) - 1 from pg_stat_activity "
                                            "where datname = current_database()")).scalar())
    finally:
        engine.dispose()


@dataclass
class Watch:
    """Reruns seen on the websockets: when each was asked for, how long each took."""

    asked: dict[int, tuple[float, bool]] = field(default_factory=dict)  # session -> (time, fragment rerun)
    fragment: list[float] = field(default_factory=list)
    full: list[float] = field(default_factory=list)
    by_session: dict[int, int] = field(default_factory=dict)

    def attach(self, page, session: int) -> None:
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        def sent(payload) -> None:
            if not isinstance(payload, bytes):
                return
            msg = BackMsg.FromString(payload)
            if msg.WhichOneof("type") == "rerun_script":
                self.asked[session] = (time.perf_counter(), bool(msg.rerun_script.fragment_id))

        def received(payload) -> None:
            if not isinstance(payload, bytes) or session not in self.asked:
                return
            msg = ForwardMsg.FromString(payload)
            if msg.WhichOneof("type") == "script_finished":
                started, is_fragment = self.asked.pop(session)
                (self.fragment if is_fragment else self.full).append(time.perf_counter() - started)
                self.by_session[session] = self.by_session.get(session, 0) + 1

        page.on("websocket", lambda ws: (ws.on("framesent", sent), ws.on("framereceived", received)))


def scrape(metrics_url: str | None) -> dict[tuple[str, str, str], float]:
    """The page-render and query histograms' samples: (sample name, page or query, bucket bound) -> value."""
    from prometheus_client.parser import text_string_to_metric_families

    text = _get(metrics_url) if metrics_url else None
    out: dict[tuple[str, str, str], float] = {}
    for family in text_string_to_metric_families(text or ""):
        if family.name in ("oyna_page_render_seconds", "oyna_query_seconds"):
            for sample in family.samples:
                label = sample.labels.get("page") or sample.labels.get("query") or ""
                out[(sample.name, label, sample.labels.get("le", ""))] = sample.value
    return out


def bucket_quantile(before: dict, after: dict, page: str, share: float) -> float:
    """A quantile of one page's render time over the soak, interpolated within the histogram's buckets."""
    name = "oyna_page_render_seconds_bucket"
    rows = sorted((float(le), after[key] - before.get(key, 0.0)) for key in after
                  if key[0] == name and key[1] == page for le in [key[2]])
    total = rows[-1][1] if rows else 0.0
    if not total:
        return float("nan")
    lower, below = 0.0, 0.0
    for bound, count in rows:
        if count >= share * total:
            if bound == float("inf"):
                return lower
            return lower + (bound - lower) * (share * total - below) / max(count - below, 1e-9)
        lower, below = bound, count
    return lower


def busiest_queries(before: dict, after: dict, top: int = 4) -> list[tuple[str, float, float]]:
    """(query, total seconds, runs) of the named queries that took the most time during the soak."""
    spent = {key[1]: after[key] - before.get(key, 0.0) for key in after if key[0] == "oyna_query_seconds_sum"}
    runs = {key[1]: after[key] - before.get(key, 0.0) for key in after if key[0] == "oyna_query_seconds_count"}
    ranked = sorted(spent.items(), key=lambda item: -item[1])[:top]
    return [(query, seconds, runs.get(query, 0.0)) for query, seconds in ranked if seconds > 0]


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def soak(served: Served, sessions: int, minutes: float, bs) -> dict:
    watch = Watch()
    pages, errors, conns, samples = [], 0, [], []
    with bs.chromium() as browser:
        for n in range(sessions):
            page = browser.new_context(viewport=bs.DESKTOP).new_page()
            watch.attach(page, n)
            bs.sign_in(page, served.base, USERNAME, PASSWORD, timeout=120_000)
            try:
                if n % 4 == 3:
                    bs.wait_for_app(page, timeout=120_000)
                    bs.open_page(page, "Models", timeout=120_000)
                    page.get_by_role("heading", name="Models", exact=True).wait_for(timeout=120_000)
                else:
                    bs.wait_for_charts(page, 1, timeout=120_000)
            except Exception:
                page.screenshot(path=f"/tmp/oyna-soak-session-{n}.png", full_page=True)
                raise
            pages.append(page)
            print(f"  session {n + 1}/{sessions} signed in", flush=True)
        for page in pages:
            bs.wait_for_app(page, timeout=120_000)
        pages[0].wait_for_timeout(5000)  # the sign-ins' last reruns (the session cookie's) settle
        watch.fragment.clear()
        watch.full.clear()
        watch.by_session.clear()
        start = {"app": rss_mb(served.app_pid) if served.app_pid else float("nan"),
                 "serve": rss_mb(served.serve_pid) if served.serve_pid else float("nan"),
                 "connections": connections(served.database_url), "metrics": scrape(served.metrics)}
        print(f"soaking {sessions} sessions for {minutes:g} minutes; app RSS {start['app']:.0f} MB", flush=True)
        t0 = time.monotonic()
        next_check = t0 + 30
        while time.monotonic() - t0 < minutes * 60:
            pages[0].wait_for_timeout(1000)  # lets Playwright deliver every page's websocket events
            if time.monotonic() >= next_check:
                next_check += 30
                errors = max(errors, sum(page.locator(ERRORS).count() for page in pages))
                conns.append(connections(served.database_url))
                if served.app_pid:
                    samples.append(rss_mb(served.app_pid))
                print(f"  {time.monotonic() - t0:5.0f} s: {len(watch.fragment)} refreshes, p95 "
                      f"{percentile(watch.fragment, 0.95):.2f} s, errors {errors}, app RSS "
                      f"{samples[-1] if samples else float('nan'):.0f} MB, connections {conns[-1]}", flush=True)
        errors = max(errors, sum(page.locator(ERRORS).count() for page in pages))
        models_reruns = sum(watch.by_session.get(n, 0) for n in range(sessions) if n % 4 == 3)
    end = {"app": rss_mb(served.app_pid) if served.app_pid else float("nan"),
           "serve": rss_mb(served.serve_pid) if served.serve_pid else float("nan"),
           "connections": connections(served.database_url), "metrics": scrape(served.metrics)}
    return {"watch": watch, "errors": errors, "start": start, "end": end, "conns": conns, "samples": samples,
            "models_reruns": models_reruns}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="M")
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--port", type=int, default=0, help="the app's port (default: a free one)")
    parser.add_argument("--home", help="OYNA_HOME to use and keep (a second run reuses its loaded database)")
    args = parser.parse_args()

    bs = _browser_support()
    if not bs.CHROMIUM.exists():
        raise SystemExit(f"{bs.CHROMIUM} is missing (apt-get install -y chromium)")
    load_before = os.getloadavg()
    home = Path(args.home) if args.home else Path(tempfile.mkdtemp(prefix="oyna-bench-soak-", dir="/tmp"))
    home.mkdir(parents=True, exist_ok=True)
    served = start_serve(args.size, args.port or bs.free_port(), bs.free_port(), home)
    try:
        ensure_account(served.database_url)
        result = soak(served, args.sessions, args.minutes, bs)
    finally:
        served.proc.terminate()
        try:
            served.proc.wait(30)
        except subprocess.TimeoutExpired:
            served.proc.kill()
        subprocess.run([sys.executable, "-m", "core.cli", "db", "stop"], cwd=ROOT, capture_output=True,
                       env=dict(os.environ, OYNA_HOME=str(home)))
        if not args.home:
            shutil.rmtree(home, ignore_errors=True)

    watch, start, end = result["watch"], result["start"], result["end"]
    growth = (end["app"] - start["app"]) / start["app"] if start["app"] else float("nan")
    p50, p95 = percentile(watch.fragment, 0.5), percentile(watch.fragment, 0.95)
    load_after = os.getloadavg()
    print(f"\ntier {args.size}, {args.sessions} sessions ({args.sessions - args.sessions // 4} on the Overview, "
          f"{args.sessions // 4} on Models), {args.minutes:g} minutes, live feed on; load average "
          f"{load_before[0]:.2f} before, {load_after[0]:.2f} after ({os.cpu_count()} cores)\n")
    rows = [
        ("refreshes (fragment reruns)", f"{len(watch.fragment)}", ""),
        ("refresh latency p50", f"{p50:.2f} s", ""),
        ("refresh latency p95", f"{p95:.2f} s", "< 1 s" + ("" if p95 < P95_TARGET else "  !")),
        ("full reruns", f"{len(watch.full)}", ""),
        ("reruns on the Models page", f"{result['models_reruns']}", "0" + ("" if result["models_reruns"] == 0
                                                                               else "  !")),
        ("errors shown", f"{result['errors']}", "0" + ("" if result["errors"] == 0 else "  !")),
        ("app (Streamlit) RSS start -> end", f"{start['app']:.0f} -> {end['app']:.0f} MB ({growth:+.0%})",
         "< +20%" + ("" if growth < GROWTH_TARGET else "  !")),
        ("oyna serve RSS after load -> start -> end",
         f"{served.loaded_rss:.0f} -> {start['serve']:.0f} -> {end['serve']:.0f} MB", ""),
        ("DB connections start / max / end",
         f"{start['connections']} / {max(result['conns'] or [0])} / {end['connections']}", ""),
    ]
    before, after = start["metrics"], end["metrics"]
    rows.append(("live part run in the app p50 / p95",
                 f"{bucket_quantile(before, after, 'overview-live', 0.5):.2f} s / "
                 f"{bucket_quantile(before, after, 'overview-live', 0.95):.2f} s", ""))
    for query, seconds, runs in busiest_queries(before, after):
        rows.append((f"query {query}", f"{seconds:.1f} s in {runs:.0f} runs", ""))
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'value':<28}target")
    print("-" * (width + 40))
    for name, value, target in rows:
        print(f"{name:<{width}}  {value:<28}{target}")
    if result["samples"]:
        print("\napp RSS every 30 s (MB): " + " ".join(f"{v:.0f}" for v in result["samples"]))


if __name__ == "__main__":
    main()
