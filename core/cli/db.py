"""`oyna db start|stop|status|url|migrate`: the database server and its schema."""

from __future__ import annotations

import argparse
from typing import Any

from core.cli.support import UsageError, connect
from core.platform import server
from core.platform.db import check, get_engine, resolve_url
from core.platform.settings import load_settings


def add_parsers(sub: Any) -> None:
    db = sub.add_parser("db", help="the database server and schema")
    db.add_argument("action", choices=["start", "stop", "status", "url", "migrate"])
    db.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    if args.action == "migrate":
        from core.platform.migrate import migrate

        applied = migrate(connect())
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
