"""`oyna db start|stop|status|url|migrate|maintain|backup|restore`: the database server, its schema, its upkeep
and backups."""

from __future__ import annotations

import argparse
import sys
from typing import Any

import sqlalchemy as sa

from core.cli.support import UsageError, connect
from core.platform import server
from core.platform.db import check, get_engine, resolve_url
from core.platform.settings import load_settings


def add_parsers(sub: Any) -> None:
    db = sub.add_parser("db", help="the database server and schema")
    db.add_argument("action", choices=["start", "stop", "status", "url", "migrate", "maintain", "backup", "restore"],
                    help="maintain: create next months' log partitions, drop expired ones, trim old sign-ins and "
                         "sessions (`oyna serve` does it every hour)")
    db.add_argument("file", nargs="?", help="backup: the archive or a folder for it (default: OYNA_HOME/backups/); "
                                            "restore: the archive")
    db.add_argument("--keep", type=int, metavar="N", help="backup: then keep only the newest N oyna-*.tar in "
                                                          "that folder")
    db.add_argument("--role", choices=["owner", "app", "readonly"], default="owner",
                    help="url: whose URL (owner: migrations and admin commands; app: the pages; readonly: BI "
                         "tools such as Metabase)")
    db.add_argument("--replace", action="store_true", help="restore: delete everything in a non-empty database "
                                                            "first")
    db.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    if args.action in ("backup", "restore"):
        return run_backup(args, settings)
    if args.file or args.keep or args.replace:
        raise UsageError(f"`oyna db {args.action}` takes no file, --keep or --replace")
    if args.action == "migrate":
        from core.platform.migrate import migrate

        applied = migrate(connect())
        print("applied: " + ", ".join(applied) if applied else "the schema is up to date")
        return 0
    if args.action == "maintain":
        done = maintain(connect(migrated=True), settings)
        print(", ".join(f"{what}: {n}" for what, n in done.items()))
        return 0
    if args.role != "owner" and args.action != "url":
        raise UsageError("--role goes with `oyna db url`")
    if args.action == "url":
        print(resolve_url(settings, args.role))
        return 0
    if settings.database_url and args.action in ("start", "stop"):
        raise UsageError("DATABASE_URL is set, so there is no embedded server to start or stop")
    if args.action == "start":
        url = sa.make_url(server.start(settings.pgdata)).render_as_string(hide_password=True)
        print(f"embedded PostgreSQL running; url: {url} (`oyna db url` prints it with the password)")
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


def run_backup(args: argparse.Namespace, settings) -> int:
    from core.system import backup, pgtools, restore

    def say(message: str) -> None:
        print(message, flush=True)

    try:
        if args.action == "backup":
            if args.replace:
                raise UsageError("--replace is for `oyna db restore`")
            done = backup.backup(connect(), settings, args.file, keep=args.keep, progress=say)
            m = done.manifest
            print(f"backup written: {done.path} ({done.bytes / 2**20:.1f} MB): {len(m['tables'])} tables, "
                  f"{sum(m['tables'].values()):,} rows, {len(m['files']) - 1} model files, active model "
                  f"{m['active_model'] or 'none'}, PostgreSQL {m['postgresql']['server']}")
            if done.removed:
                print(f"removed {len(done.removed)} older backups: {', '.join(p.name for p in done.removed)}")
            return 0
        if not args.file:
            raise UsageError("name the backup to restore: oyna db restore FILE [--replace]")
        if args.keep:
            raise UsageError("--keep is for `oyna db backup`")
        done = restore.restore(connect(), settings, args.file, replace=args.replace, progress=say)
        print(f"restored {args.file}{' (replaced what was there)' if done.replaced else ''}: {done.tables} tables "
              f"with the backup's row counts, {done.model_files} model files, active model "
              f"{done.manifest['active_model'] or 'none'}")
        return 0
    except (backup.BackupError, pgtools.ToolMissing) as exc:
        print(f"oyna: {exc}", file=sys.stderr)
        return 1
