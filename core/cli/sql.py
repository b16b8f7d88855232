"""`oyna sql QUERY`: run one SQL statement and print the rows."""

from __future__ import annotations

import argparse
import re
from typing import Any

import sqlalchemy as sa

from core.cli.support import UsageError, connect, table

COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)


def is_empty(query: str) -> bool:
    """Whether a statement holds nothing to run: blanks, semicolons and comments only."""
    return not COMMENTS.sub("", query).strip().strip(";").strip()


def add_parsers(sub: Any) -> None:
    sql = sub.add_parser("sql", help="run a SQL statement and print the rows")
    sql.add_argument("query")
    sql.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if is_empty(args.query):
        raise UsageError('the statement is empty: give one SQL statement, e.g. oyna sql "select count(*) from clubs"')
    with connect().begin() as conn:
        result = conn.execute(sa.text(args.query))
        if not result.returns_rows:
            print(f"{result.rowcount} rows affected" if result.rowcount >= 0 else "done")
            return 0
        rows = result.fetchall()
        columns = list(result.keys())
    print(table(columns, rows))
    return 0
