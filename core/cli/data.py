"""`oyna import` (club systems' exports into the database) and `oyna data check` (the data's health)."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any

from core.cli.support import UsageError, connect, table

REJECTED = 1


def add_parsers(sub: Any) -> None:
    imp = sub.add_parser("import", help="import visits or customers from a club system's export (docs/import.md)")
    imp.add_argument("files", nargs="+", metavar="FILE", help="CSV files; each goes in whole or not at all")
    imp.add_argument("--format", choices=["generic", "ggleap", "smartshell"],
                     help="the export's format (default: detected from the header)")
    imp.add_argument("--club", help="the club of files whose rows name none (ggLeap, SmartShell)")
    imp.add_argument("--timezone", default=None, help="IANA time zone of clubs created on the way (Asia/Almaty)")
    imp.add_argument("--source", help="the system the ids come from (default: the format; ggLeap's is per club)")
    imp.add_argument("--map", action="append", default=[], metavar="COLUMN=HEADER",
                     help="read COLUMN from the file's HEADER column (repeatable; COLUMN= leaves it out)")
    imp.add_argument("--dry-run", action="store_true", help="check everything and write nothing")
    imp.add_argument("--retrain", action="store_true", help="retrain the models after a successful import")
    imp.set_defaults(run=run_import)

    data = sub.add_parser("data", help="the data's health")
    data.add_argument("action", choices=["check"])
    data.add_argument("--club", action="append", default=[], help="only this club (repeatable; default: all)")
    data.set_defaults(run=run_check)


def _mapping(pairs: list[str]) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for pair in pairs:
        column, sep, header = pair.partition("=")
        if not sep or not column.strip():
            raise UsageError(f"--map takes COLUMN=HEADER (e.g. --map started_at='Start time'), got {pair!r}")
        out[column.strip()] = header.strip() or None
    return out


def run_import(args: argparse.Namespace) -> int:
    from core.data.imports import DEFAULT_TIMEZONE, Options, import_file
    from core.data.service import audit_import

    paths = [Path(f) for f in args.files]
    for path in paths:
        if not path.is_file():
            raise UsageError(f"no such file: {path}")
    options = Options(format=args.format, club=args.club, timezone=args.timezone or DEFAULT_TIMEZONE,
                      source=args.source, mapping=_mapping(args.map) or None, dry_run=args.dry_run)
    engine = connect(migrated=True)
    who = f"cli:{getpass.getuser()}"
    failed = 0
    for path in paths:
        print(f"{path.name}:", flush=True)

        def progress(fraction: float, message: str) -> None:
            print(f"  [{fraction:4.0%}] {message}", flush=True)

        report = import_file(engine, path, path.name, options, imported_by=who, progress=progress)
        print_report(report)
        audit_import(engine, None, report, via="cli", username=who)
        failed += not report.ok
    if args.retrain and not args.dry_run and not failed:
        from core.cli.models import run_retrain

        return run_retrain(argparse.Namespace(force=False, by=who))
    return REJECTED if failed else 0


def print_report(report) -> None:
    verdict = {"imported": "imported", "checked": "checked (dry run, nothing written)",
               "rejected": "NOT imported", "failed": "NOT imported (the database refused it)"}[report.result]
    print(f"  {verdict}: {report.format or '?'} file, {report.encoding or '?'}, {report.delimiter or '?'} delimited, "
          f"source {report.source or '?'}")
    if report.message:
        print(f"  {report.message}")
    print(f"  rows read {report.rows_read:,}; visits {report.visits:,}: added {report.rows_added:,}, "
          f"updated {report.rows_updated:,}, unchanged {report.rows_skipped:,}, bad {report.rows_bad:,}")
    print(f"  customers added {report.customers_added:,}, updated {report.customers_updated:,}; "
          f"clubs added {report.clubs_added}, halls {report.halls_added}, seats {report.seats_added:,} "
          f"({report.seats_placed:,} visits placed on a free seat)")
    if report.first_visit:
        print(f"  visits from {report.first_visit[:16]} to {report.last_visit[:16]} (UTC)")
    for what, count in {**report.counts, **report.warnings}.items():
        print(f"  {what}: {count:,}")
    if report.bad_rows:
        print("  bad rows by reason: " + "; ".join(f"{k} ({v:,})" for k, v in report.bad_reasons.items()))
        print(f"  the first {len(report.bad_rows)} bad rows:")
        for row in report.bad_rows:
            print(f"    line {row['line']}: {row['reason']}")


def run_check(args: argparse.Namespace) -> int:
    from core.accounts import Role
    from core.data.health import PROBLEM, WARNING, check
    from core.platform.clubs import all_clubs
    from core.rollups.refresh import refresh

    engine = connect()
    refresh(engine)  # the report reads the rollups: every change made so far goes in first
    clubs = all_clubs(engine)  # the server's operator sees the whole chain
    ids = clubs.club_id.tolist()
    if args.club:
        wanted = {c.strip().lower() for c in args.club}
        ids = [int(r.club_id) for r in clubs.itertuples() if str(r.club_name).lower() in wanted]
        if not ids:
            raise UsageError(f"no club named {', '.join(args.club)}; clubs: {', '.join(clubs.club_name)}")
    health = check(engine, club_ids=ids, viewer=Role.MANAGER)  # the operator of the server sees contacts
    print("coverage (club-local days with visits):")
    rows = [[r.club_name, r.first_day, r.last_day, r.days_with_visits, r.days_without_visits, f"{r.visits:,}"]
            for r in health.coverage.itertuples()]
    print(table(["club", "first day", "last day", "days with visits", "days without", "visits"], rows))
    print("\ncustomers: " + ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in health.totals.items()))
    print("\nchecks:")
    marks = {PROBLEM: "PROBLEM", WARNING: "warning"}
    for f in health.findings:
        print(f"  {marks.get(f.level, 'ok'):<8} {f.count:>9,}  {f.title}")
    if len(health.gaps):
        print("\nlongest runs of days without visits:")
        print(table(["club", "from", "to", "days"],
                    [[g.club_name, g.first_day, g.last_day, g.days] for g in health.gaps.itertuples()]))
    for kind, frame in health.duplicates.items():
        if len(frame):
            print(f"\ncustomers sharing a {'n e-mail' if kind == 'email' else ' phone'}:")
            print(table([kind, "customers", "customer ids"],
                        [[getattr(r, kind), r.customers, ", ".join(map(str, r.user_ids))] for r in frame.itertuples()]))
    problems = [f for f in health.findings if f.level == PROBLEM]
    if problems:
        print(f"\n{len(problems)} problem{'s' if len(problems) != 1 else ''} found", file=sys.stderr)
        return 1
    print("\nno problems found")
    return 0
