"""`oyna db start|stop|status|url|migrate|maintain`: the database server, its schema and its upkeep."""

from __future__ import annotations

import argparse
from typing import Any

from core.cli.support import UsageError, connect
from core.platform import server
from core.platform.db import check, get_engine, resolve_url
from core.platform.settings import load_settings


def add_parsers(sub: Any) -> None:
    db = sub.add_parser("db", help="the database server and schema")
    db.add_argument("action", choices=["start", "stop", "status", "url", "migrate", "maintain"],
                    help="maintain: create next months' log partitions, drop expired ones, trim old sign-ins and "
                         "sessions (`oyna serve` does it every hour)")
    db.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    if args.action == "migrate":
        from core.platform.migrate import migrate

        applied = migrate(connect())
        print("applied: " + ", ".join(applied) if applied else "the schema is up to date")
        return 0
    if args.action == "maintain":
        done = maintain(connect(migrated=True), settings)
        print(", ".join(f"{what}: {n}" for what, n in done.items()))
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


def maintain(engine, settings) -> dict[str, int]:
    """The logs' upkeep: next months' partitions, the activity log's expired months, sign-in attempts,
    ended sessions and forgotten throttle rows past their retention. Safe to run at any time, from cron
    or `oyna serve`."""
    import sqlalchemy as sa

    from core.accounts import audit, sessions, throttle
    from core.platform.db import load_sql
    from core.platform.partitions import ensure_ahead

    done = {"months with partitions": ensure_ahead(engine),
            "activity months dropped": audit.trim(engine, retention_days=settings.activity_retention_days)}
    with engine.begin() as conn:
        done["sign-in attempts trimmed"] = conn.execute(sa.text(load_sql("accounts/sign_in_log_trim")),
                                                        {"days": settings.sign_in_log_days}).rowcount
        done["throttle rows trimmed"] = conn.execute(sa.text(load_sql("accounts/throttle_trim")),
                                                     {"memory_seconds": throttle.THROTTLE_MEMORY_SECONDS}).rowcount
    done["sessions trimmed"] = sessions.trim(engine, settings=settings)
    return done
