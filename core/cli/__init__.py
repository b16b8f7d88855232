"""The `oyna` command: one module per command group, assembled into one parser here.

    db       core/cli/db.py       the database server and schema
    sql      core/cli/sql.py      run one statement
    demo     core/cli/demo.py     demo data, and `live`, the live feed
    serve    core/cli/serve.py    what `make run` does
    models   core/cli/models.py   `refresh`, `retrain`, `models list|activate`
    user     core/cli/users.py    sign-in accounts
    import, data   core/cli/data.py   imports from club systems, and the data's health
    alerts   core/cli/alerts.py   alert delivery: channels, subscriptions, `alerts run` for cron
    health   core/cli/system.py   the health checks

Each module's `add_parsers(sub)` adds its commands and sets `run` to the function that does the
work; the function returns the exit code.
"""

from __future__ import annotations

import argparse
import os
import sys

import sqlalchemy as sa

from core.cli import alerts, data, db, demo, models, serve, sql, system, users
from core.cli.support import UsageError
from core.platform.db import DatabaseUnavailable

GROUPS = (db, sql, demo, serve, models, users, data, alerts, system)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="oyna", description="Oyna Insights: analytics for gaming-club chains.")
    sub = parser.add_subparsers(dest="command", required=True)
    for group in GROUPS:
        group.add_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if os.environ.get("OYNA_METRICS_DIR"):  # cron jobs add their numbers to `oyna serve --metrics-port`'s
        from core.platform import metrics

        metrics.use_folder(os.environ["OYNA_METRICS_DIR"])
    try:
        return args.run(args)
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


__all__ = ["build_parser", "main"]
