"""`oyna serve`: what `make run` does. The database, demo data if empty, the live feed and the app.

The demo load and the first retrain run in child processes: the memory they need (about 1.2 GB for tier M)
goes back to the system when they end, instead of staying with this long-lived process.

Beside the app it keeps the rollups current (every minute), delivers alerts every minute (core.alerts; one
process at a time across every `oyna serve`), and with --metrics-port exports Prometheus metrics.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.cli.support import UsageError, connect
from core.platform.settings import PROJECT_ROOT, Settings, load_settings

MAINTAIN_SECONDS = 3600  # the logs' upkeep (partitions, retention) runs this often
GRADE_SECONDS = 900  # past predictions are graded this often
REFRESH_EVERY = 60.0  # seconds between incremental refreshes of the rollups
ALERTS_EVERY = 60.0  # seconds between alert delivery passes


def add_parsers(sub: Any) -> None:
    serve = sub.add_parser("serve", help="database, demo data, live feed and the app (make run)")
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8501")))
    serve.add_argument("--address", metavar="ADDRESS",
                       help="the address the app listens on (default 127.0.0.1, or OYNA_ADDRESS; "
                            "0.0.0.0 for every interface: put a reverse proxy with TLS in front, docs/deploy.md)")
    serve.add_argument("--size", default="M")
    serve.add_argument("--seed", type=int, default=42)
    serve.add_argument("--no-live", action="store_true", help="no simulated live feed (real data comes by import)")
    serve.add_argument("--metrics-port", type=int, metavar="N", help="serve Prometheus metrics on this port")
    serve.add_argument("--metrics-address", default="127.0.0.1", metavar="ADDRESS",
                       help="the metrics' address (default 127.0.0.1; 0.0.0.0 for every interface)")
    serve.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from core.demo.load import has_data

    settings = load_settings()
    address = args.address or settings.serve_address
    command = streamlit_command(args.port, address, settings)  # a bad certificate stops here, before anything starts
    if args.metrics_port:
        from core.system import exporter

        folder = exporter.prepare_folder(settings)  # before any metric: children inherit the folder
        exporter.start(args.metrics_port, args.metrics_address, settings, folder)
        print(f"  metrics: http://{args.metrics_address}:{args.metrics_port}/metrics", flush=True)
    engine = connect(migrated=True)
    with engine.connect() as conn:
        empty = not has_data(conn)
    if empty:  # in a child process, so that its memory is returned when it ends
        code = _oyna("demo", "--size", args.size, "--seed", str(args.seed), "--if-empty").wait()
        if code:
            return code
    _print_demo_accounts(engine)
    stop = threading.Event()
    threading.Thread(target=_refresh_rollups, args=(engine, stop), name="oyna-refresh", daemon=True).start()
    children: list[subprocess.Popen] = []
    threading.Thread(target=_first_models, args=(engine, children), name="oyna-first-retrain", daemon=True).start()
    threading.Thread(target=_deliver_alerts, args=(engine, settings, stop), name="oyna-alerts", daemon=True).start()
    env = dict(os.environ)
    feed = None if args.no_live else subprocess.Popen([sys.executable, "-m", "core.cli", "live"], cwd=PROJECT_ROOT,
                                                      env=env)
    print(f"\n  Oyna Insights: {app_url(args.port, address, settings)}\n", flush=True)
    app = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env)
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops the feed and the app too
    try:
        return app.wait()
    except KeyboardInterrupt:
        app.send_signal(signal.SIGINT)
        return app.wait()
    finally:
        stop.set()
        for child in [feed, *children]:
            if child is not None and child.poll() is None:
                child.terminate()
                child.wait(10)
        if args.metrics_port:
            exporter.process_exited(app.pid)


def _oyna(*args: str, **popen: Any) -> subprocess.Popen:
    """An `oyna` command in a child process with this one's environment."""
    return subprocess.Popen([sys.executable, "-m", "core.cli", *args], cwd=PROJECT_ROOT, env=dict(os.environ),
                            **popen)


def streamlit_command(port: int, address: str, settings: Settings) -> list[str]:
    """The app's command line: the given address only, HTTPS when the settings name a certificate and key,
    XSRF protection (with CORS limits) and no download from a table's own toolbar (every download is made,
    checked and recorded by pages/ui/export.py), whatever the config files say, and the Data page's upload
    limit."""
    if not address:
        raise UsageError("--address must not be empty (127.0.0.1, or 0.0.0.0 for every interface)")
    from core.data import MAX_UPLOAD_MB

    command = [sys.executable, "-m", "streamlit", "run", str(PROJECT_ROOT / "pages" / "ui" / "asgi.py"),
               "--server.port", str(port), "--server.address", address, "--server.headless", "true",
               "--server.enableXsrfProtection", "true", "--server.enableCORS", "true",
               "--client.disableDataExport", "true", "--server.maxUploadSize", str(MAX_UPLOAD_MB)]
    if settings.tls_cert_file is not None:
        for name, path in (("certificate", settings.tls_cert_file), ("key", settings.tls_key_file)):
            if path is None or not path.is_file() or not os.access(path, os.R_OK):
                raise UsageError(f"the HTTPS {name} file {path} does not exist or cannot be read "
                                 f"(OYNA_TLS_CERT_FILE / OYNA_TLS_KEY_FILE)")
        command += ["--server.sslCertFile", str(settings.tls_cert_file),
                    "--server.sslKeyFile", str(settings.tls_key_file)]
    return command


def app_url(port: int, address: str, settings: Settings) -> str:
    scheme = "https" if settings.tls_cert_file is not None else "http"
    if address in ("0.0.0.0", "::"):  # noqa: S104 - told to listen everywhere
        return f"{scheme}://<this machine>:{port} (listening on every interface)"
    host = "localhost" if address in ("127.0.0.1", "::1", "localhost") else address
    return f"{scheme}://{host}:{port}"


def _interrupt(*_) -> None:
    raise KeyboardInterrupt


def _refresh_rollups(engine: Engine, stop: threading.Event) -> None:
    """Rebuild the rollups of the days that changed every minute while the app runs, grade the model versions'
    predictions whose horizon has passed every 15 minutes, and look after the logs every hour
    (`oyna db maintain`)."""
    from core.cli.db import maintain
    from core.models.performance import grade
    from core.rollups.refresh import refresh

    settings, last_upkeep, last_grade = load_settings(), 0.0, 0.0
    while not stop.is_set():
        try:
            refresh(engine)
            if time.monotonic() - last_grade > GRADE_SECONDS:
                grade(engine)
                last_grade = time.monotonic()
            if time.monotonic() - last_upkeep > MAINTAIN_SECONDS:
                maintain(engine, settings)
                last_upkeep = time.monotonic()
        except sa.exc.SQLAlchemyError as exc:
            print(f"background upkeep failed, retrying later: {str(getattr(exc, 'orig', exc)).strip()[:160]}",
                  flush=True)
        stop.wait(REFRESH_EVERY)


def _deliver_alerts(engine: Engine, settings, stop: threading.Event) -> None:
    """One alert delivery pass a minute (the advisory lock lets one process of several do it)."""
    from core.alerts.dispatch import run_pass

    while not stop.is_set():
        try:
            report = run_pass(engine, settings)
            if report.sent or report.failed:
                print(f"alerts: {report.summary()}", flush=True)
        except Exception as exc:  # noqa: BLE001 - delivery must not stop the app; the health check shows it
            print(f"alert delivery failed, retrying in a minute: {str(exc).strip()[:200]}", flush=True)
        stop.wait(ALERTS_EVERY)


def _first_models(engine: Engine, children: list[subprocess.Popen]) -> None:
    """Train the first model version in the background when none is active, so every page has numbers
    (`oyna retrain` in a child process: training needs memory this process would keep)."""
    from core.cli.models import BUSY
    from core.models.registry import active_version

    if active_version(engine) is not None:
        return
    print("training the first models in the background (about a minute) …", flush=True)
    child = _oyna("retrain", "--by", "first run", "--via", "system", stdout=subprocess.PIPE,
                  stderr=subprocess.STDOUT, text=True)
    children.append(child)
    output, _ = child.communicate()
    lines = [line for line in (output or "").splitlines() if line.strip()]
    if child.returncode == 0:
        done = next((line for line in lines if line.startswith("version ")), "a new version")
        print(f"models ready: {done}", flush=True)
    elif child.returncode not in (BUSY, -signal.SIGTERM):  # busy: another process is training them
        reason = lines[-1] if lines else f"exit code {child.returncode}"
        print(f"the first retrain failed: {reason}; retrain from the Models page or `oyna retrain`", flush=True)


def _print_demo_accounts(engine: Engine) -> None:
    """Create a manager and an analyst when there are no accounts, and show their passwords once."""
    from core.accounts import ensure_demo_accounts

    created = ensure_demo_accounts(engine)
    if created:
        show_demo_passwords(created)


def show_demo_passwords(created: dict[str, str], terminal: str = "/dev/tty") -> bool:
    """Write the demo passwords to the controlling terminal only, never to stdout (often a log file under
    a service manager or `> serve.log`). Without a terminal, say how to set them instead."""
    lines = ["", "  Demo accounts (shown only this once; change them with `oyna user passwd NAME`):"]
    lines += [f"    {username:<10} {password}" for username, password in created.items()]
    try:
        with open(terminal, "w", encoding="utf-8") as tty:
            tty.write("\n".join(lines) + "\n\n")
        return True
    except OSError:
        print(f"\n  Demo accounts created: {', '.join(created)}. There is no terminal to show their passwords on "
              "(they are never written to a log): set them with `oyna user passwd NAME`.\n", flush=True)
        return False
