"""The `oyna` command: database, demo data, live feed and serving the app."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable

import pandas as pd
import sqlalchemy as sa

from core.platform import server
from core.accounts.auth import add_user_parser, cli_user
from core.platform.db import DatabaseUnavailable, check, get_engine, resolve_url
from core.platform.settings import PROJECT_ROOT, load_settings

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}


class UsageError(Exception):
    """A command was given input it cannot use."""


def command(name: str):
    def register(fn):
        COMMANDS[name] = fn
        return fn
    return register


def _engine():
    engine = get_engine(load_settings())
    check(engine)
    return engine


@command("db")
def cmd_db(args: argparse.Namespace) -> int:
    settings = load_settings()
    if args.action == "migrate":
        from core.platform.migrate import migrate

        applied = migrate(_engine())
        print("applied: " + ", ".join(applied) if applied else "the schema is up to date")
        return 0
    if args.action == "url":
        print(resolve_url(settings))
        return 0
    if settings.database_url and args.action in ("start", "stop"):
        raise UsageError("DATABASE_URL is set, so there is no embedded server to start or stop")
    if args.action == "start":
        print(f"embedded PostgreSQL running; url: {server.start(settings.pgdata)}")
    elif args.action == "stop":
        print("stopped" if server.stop(settings.pgdata) else "the embedded server was not running")
    elif args.action == "status":
        if settings.database_url:
            check(get_engine(settings))
            print("external database (DATABASE_URL) reachable")
            return 0
        st = server.status(settings.pgdata)
        print(f"running (pid {st.pid}), data in {st.pgdata}, socket in {st.socket_dir}" if st.running
              else f"stopped; data folder {st.pgdata}")
        return 0 if st.running else 3
    return 0


@command("sql")
def cmd_sql(args: argparse.Namespace) -> int:
    engine = _engine()
    with engine.begin() as conn:
        result = conn.execute(sa.text(args.query))
        if not result.returns_rows:
            print(f"{result.rowcount} rows affected")
            return 0
        rows = result.fetchall()
        columns = list(result.keys())
    print(_table(columns, rows))
    return 0


def _table(columns: list[str], rows: list) -> str:
    cells = [[str(c) for c in columns]] + [["" if v is None else str(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
    lines = [" | ".join(v.ljust(w) for v, w in zip(r, widths)) for r in cells]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines + [f"({len(rows)} rows)"])


@command("demo")
def cmd_demo(args: argparse.Namespace) -> int:
    from core.demo.load import has_data, load
    from core.demo.simulate import simulate
    from core.demo.sizes import get_size
    from core.platform.migrate import migrate

    try:
        size = get_size(args.size)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    engine = _engine()
    migrate(engine)
    with engine.connect() as conn:
        present = has_data(conn)
    if present and args.if_empty:
        print("the database already holds data; keeping it")
    else:
        t0 = time.perf_counter()
        print(f"simulating tier {size.name}: {size.clubs} clubs, {size.days} days, {size.customers:,} customers …",
              flush=True)
        data = simulate(size, args.seed)
        print(f"simulated in {time.perf_counter() - t0:.1f} s; loading …", flush=True)
        load(engine, data, replace=args.replace, progress=lambda m: print(m, flush=True))
        print(f"demo tier {size.name} loaded in {time.perf_counter() - t0:.1f} s", flush=True)
    if args.live:
        return _run_live(engine, args.interval, 1.0)
    return 0


@command("live")
def cmd_live(args: argparse.Namespace) -> int:
    return _run_live(_engine(), args.interval, args.speedup)


def _run_live(engine, interval: float, speedup: float) -> int:
    from core.demo.live import LiveFeed

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    feed = LiveFeed(engine, interval=interval, speedup=speedup)
    print(f"live feed: a new tick every {interval:g} s (Ctrl-C stops it)", flush=True)
    try:
        feed.run(stop)
    except KeyboardInterrupt:
        pass
    print(f"live feed stopped after {feed.inserted} new bookings", flush=True)
    return 0


@command("serve")
def cmd_serve(args: argparse.Namespace) -> int:
    """What `make run` does: database, demo data if empty, live feed and the app."""
    from core.demo.load import has_data

    engine = _engine()
    from core.platform.migrate import migrate

    migrate(engine)
    with engine.connect() as conn:
        empty = not has_data(conn)
    if empty:
        code = cmd_demo(argparse.Namespace(size=args.size, seed=args.seed, live=False, replace=False,
                                           if_empty=True, interval=5.0))
        if code:
            return code
    _print_demo_accounts(engine)
    stop = threading.Event()
    threading.Thread(target=_refresh_views, args=(engine, stop), name="oyna-refresh", daemon=True).start()
    threading.Thread(target=_first_models, args=(engine,), name="oyna-first-retrain", daemon=True).start()
    env = dict(os.environ)
    feed = subprocess.Popen([sys.executable, "-m", "core.cli", "live"], cwd=PROJECT_ROOT, env=env)
    print(f"\n  Oyna Insights: http://localhost:{args.port}\n", flush=True)
    app = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(PROJECT_ROOT / "app.py"),
                            "--server.port", str(args.port), "--server.headless", "true"], cwd=PROJECT_ROOT, env=env)
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops the feed and the app too
    try:
        return app.wait()
    except KeyboardInterrupt:
        app.send_signal(signal.SIGINT)
        return app.wait()
    finally:
        stop.set()
        feed.terminate()
        feed.wait(10)


@command("refresh")
def cmd_refresh(args: argparse.Namespace) -> int:
    from core.platform.refresh import refresh

    for view, seconds in refresh(_engine()).items():
        print(f"{view}: refreshed in {seconds:.1f} s")
    return 0


@command("retrain")
def cmd_retrain(args: argparse.Namespace) -> int:
    from core.models.registry import RetrainBusy
    from core.models.training import retrain

    def progress(fraction: float, message: str) -> None:
        print(f"[{fraction:4.0%}] {message}", flush=True)

    try:
        result = retrain(_engine(), load_settings(), force=args.force, trained_by=args.by, progress=progress)
    except RetrainBusy as exc:
        print(f"oyna: {exc}", file=sys.stderr)
        return 75
    churn, fc = result.metrics["churn"], result.metrics["forecast"]
    print(f"version {result.version} {'is now active' if result.activated else 'was NOT activated'} "
          f"({result.reason}); {result.seconds:.1f} s")
    print(f"  churn ROC AUC {churn.get('roc_auc', float('nan')):.3f} "
          f"(days since last visit {churn.get('baselines', {}).get('recency', {}).get('roc_auc', float('nan')):.3f}); "
          f"forecast MASE {fc.get('mase', float('nan')):.2f} (seasonal naive {fc.get('baseline_mase', float('nan')):.2f})")
    return 0


@command("models")
def cmd_models(args: argparse.Namespace) -> int:
    from core.models.registry import activate, list_versions

    engine = _engine()
    if args.action == "activate":
        if not args.version:
            raise UsageError("name the version to activate: oyna models activate VERSION")
        activate(engine, version=args.version)
        print(f"{args.version} is now active")
        return 0
    versions = list_versions(engine)
    if versions.empty:
        print("no model versions yet; run `oyna retrain`")
        return 0
    cols = ["version", "status", "trained_at", "churn_auc", "recency_auc", "forecast_mase", "customers", "notes"]
    rows = versions[cols].astype(object).where(versions[cols].notna(), None)
    rows["trained_at"] = versions["trained_at"].dt.strftime("%Y-%m-%d %H:%M")
    for c in ("churn_auc", "recency_auc", "forecast_mase"):
        rows[c] = versions[c].map(lambda v: "" if pd.isna(v) else f"{v:.3f}")
    print(_table(cols, rows.values.tolist()))
    return 0


COMMANDS["user"] = cli_user


def _interrupt(*_) -> None:
    raise KeyboardInterrupt


REFRESH_MINUTES = 15


def _refresh_views(engine, stop: threading.Event) -> None:
    """Keep the analytics views at most REFRESH_MINUTES old while the app runs (as the seed's cron did)."""
    from core.platform.refresh import refresh_if_stale

    while not stop.is_set():
        try:
            refresh_if_stale(engine)
        except sa.exc.SQLAlchemyError as exc:
            print(f"view refresh failed, retrying later: {str(getattr(exc, 'orig', exc)).strip()[:160]}", flush=True)
        stop.wait(60)


def _first_models(engine) -> None:
    """Train the first model version in the background when none is active, so every page has numbers."""
    from core.models.registry import RetrainBusy, active_version
    from core.models.training import retrain

    if active_version(engine) is not None:
        return
    print("training the first models in the background (about a minute) …", flush=True)
    try:
        result = retrain(engine, load_settings(), trained_by="first run")
        print(f"models ready: version {result.version} ({result.seconds:.0f} s)", flush=True)
    except RetrainBusy:
        pass
    except Exception as exc:  # noqa: BLE001 - the app keeps serving; the Models page can retry
        print(f"the first retrain failed: {exc}; retrain from the Models page or `oyna retrain`", flush=True)


def _print_demo_accounts(engine) -> None:
    """Create a manager and an analyst when there are no accounts, and print their passwords once."""
    from core.accounts.auth import ensure_demo_accounts

    created = ensure_demo_accounts(engine)
    if not created:
        return
    print("\n  Demo accounts (shown only this once; change them with `oyna user passwd NAME`):")
    for username, password in created.items():
        print(f"    {username:<10} {password}")
    print(flush=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="oyna", description="Oyna Insights: analytics for gaming-club chains.")
    sub = parser.add_subparsers(dest="command", required=True)

    db = sub.add_parser("db", help="the database server and schema")
    db.add_argument("action", choices=["start", "stop", "status", "url", "migrate"])

    sql = sub.add_parser("sql", help="run a SQL statement and print the rows")
    sql.add_argument("query")

    demo = sub.add_parser("demo", help="load a simulated chain of clubs")
    demo.add_argument("--size", default="M", help="S (tests), M (default demo) or L")
    demo.add_argument("--seed", type=int, default=42)
    demo.add_argument("--live", action="store_true", help="then keep adding bookings as they happen")
    demo.add_argument("--replace", action="store_true", help="delete the data that is there first")
    demo.add_argument("--if-empty", action="store_true", help="load only when the database is empty")
    demo.add_argument("--interval", type=float, default=5.0, help=argparse.SUPPRESS)

    live = sub.add_parser("live", help="keep adding bookings and payments as they happen")
    live.add_argument("--interval", type=float, default=5.0, help="seconds between ticks")
    live.add_argument("--speedup", type=float, default=1.0, help="multiply the usual arrival rate")

    serve = sub.add_parser("serve", help="database, demo data, live feed and the app (make run)")
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8501")))
    serve.add_argument("--size", default="M")
    serve.add_argument("--seed", type=int, default=42)

    sub.add_parser("refresh", help="refresh the analytics views (concurrently)")

    retrain = sub.add_parser("retrain", help="retrain every model, evaluate it and score every customer")
    retrain.add_argument("--force", action="store_true", help="activate even if worse than the active version")
    retrain.add_argument("--by", default="cli", help=argparse.SUPPRESS)

    models = sub.add_parser("models", help="model versions: list, or activate one (rollback)")
    models.add_argument("action", choices=["list", "activate"])
    models.add_argument("version", nargs="?")

    add_user_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except UsageError as exc:
        print(f"oyna: {exc}", file=sys.stderr)
        return 2
    except DatabaseUnavailable as exc:
        print(f"oyna: {exc}", file=sys.stderr)
        return 1
    except sa.exc.SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc)).strip()
        print(f"oyna: the database refused that: {reason}", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - the CLI never shows a bare traceback
        if os.environ.get("OYNA_DEBUG"):
            raise
        print(f"oyna: {exc} (set OYNA_DEBUG=1 for details)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
