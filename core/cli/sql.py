"""`oyna sql QUERY`: run one SQL statement and print the rows."""

from __future__ import annotations

import argparse
from typing import Any

import sqlalchemy as sa

from core.cli.support import connect, table


def add_parsers(sub: Any) -> None:
    sql = sub.add_parser("sql", help="run a SQL statement and print the rows")
    sql.add_argument("query")
    sql.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    with connect().begin() as conn:
        result = conn.execute(sa.text(args.query))
        if not result.returns_rows:
            print(f"{result.rowcount} rows affected")
            return 0
        rows = result.fetchall()
        columns = list(result.keys())
    print(table(columns, rows))
    return 0
