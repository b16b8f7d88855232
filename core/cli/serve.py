"""`oyna serve`: what `make run` does. The database, demo data if empty, the live feed and the app."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.cli.demo import run_demo
from core.cli.support import connect
from core.platform.settings import PROJECT_ROOT, load_settings

def add_parsers(sub: Any) -> None:
    serve = sub.add_parser("serve", help="database, demo data, live feed and the app (make run)")
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8501")))
    serve.add_argument("--size", default="M")
    serve.add_argument("--seed", type=int, default=42)
    serve.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from core.demo.load import has_data

    engine = connect(migrated=True)
    with engine.connect() as conn:
        empty = not has_data(conn)
    if empty:
        code = run_demo(argparse.Namespace(size=args.size, seed=args.seed, live=False, replace=False,
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


def _interrupt(*_) -> None:
    raise KeyboardInterrupt


def _refresh_views(engine: Engine, stop: threading.Event) -> None:
    """Keep the analytics views at most 15 minutes old while the app runs (as the seed's cron did), and grade
    the model versions' predictions whose horizon has passed when they are refreshed."""
    from core.models.performance import grade
    from core.platform.refresh import refresh_if_stale

    while not stop.is_set():
        try:
            if refresh_if_stale(engine):
                grade(engine)
        except sa.exc.SQLAlchemyError as exc:
            print(f"view refresh failed, retrying later: {str(getattr(exc, 'orig', exc)).strip()[:160]}", flush=True)
        stop.wait(60)


def _first_models(engine: Engine) -> None:
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


def _print_demo_accounts(engine: Engine) -> None:
    """Create a manager and an analyst when there are no accounts, and print their passwords once."""
    from core.accounts import ensure_demo_accounts

    created = ensure_demo_accounts(engine)
    if not created:
        return
    print("\n  Demo accounts (shown only this once; change them with `oyna user passwd NAME`):")
    for username, password in created.items():
        print(f"    {username:<10} {password}")
    print(flush=True)
