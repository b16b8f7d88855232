"""Importing one file: read it, check every row, write it whole or not at all, and report.

`preview` reads the head of a file without touching the database (the Data page shows it before
importing); `import_file` reads the file a chunk at a time, checks each chunk and stages it in
PostgreSQL, then writes it in the same transaction (a dry run rolls that transaction back), logs the
outcome in `data_imports` (dry runs are not logged; failures are, in a transaction of their own), and
refreshes the rollups of the days it touched. Memory follows the chunk, not the file, except for a ggLeap export,
whose logins and logouts are paired across the whole file (it is read whole). A bad file changes nothing:
its report lists the first 20 bad rows with their line numbers and reasons, and counts every reason.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd
import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.data import formats, generic, ggleap, loader, premises, smartshell, sniff, staging
from core.data.loader import Progress, quiet
from core.data.sniff import DELIMITER_NAMES, FileProblem, RawTable
from core.data.values import localize
from core.data.visits import Problems, Read, Seen, finish, tidy_customers, times
from core.platform import metrics
from core.platform.db import load_sql
from core.i18n import _, ngettext

logger = logging.getLogger("oyna.data")

DEFAULT_TIMEZONE = "Asia/Almaty"
READERS = {"generic": generic.read, "ggleap": ggleap.read, "smartshell": smartshell.read}
WHOLE = {"ggleap"}  # formats read in one piece (a session's login and logout may be far apart in the file)
SAMPLE_ROWS = 10
ANALYZE_ROWS = 50_000  # from this many new bookings, refresh the planner's statistics after an import


@dataclass(frozen=True)
class Options:
    """How to read a file: its format (None: detect it), the club for files whose rows name none, the
    time zone of clubs created on the way, the source (None: the format's name; ggLeap's is per club),
    corrections to the column mapping, and whether to write anything."""

    format: str | None = None
    club: str | None = None
    timezone: str = DEFAULT_TIMEZONE
    source: str | None = None
    mapping: Mapping[str, str | None] | None = None
    dry_run: bool = False


@dataclass
class Report:
    file_name: str
    format: str = ""
    source: str = ""
    club: str | None = None
    encoding: str = ""
    delimiter: str = ""
    dry_run: bool = False
    result: str = "rejected"  # imported, checked (a dry run that passed), rejected, failed
    message: str = ""
    rows_read: int = 0
    visits: int = 0
    rows_added: int = 0
    rows_updated: int = 0
    rows_skipped: int = 0
    rows_bad: int = 0
    customers_added: int = 0
    customers_updated: int = 0
    clubs_added: int = 0
    halls_added: int = 0
    seats_added: int = 0
    seats_placed: int = 0
    first_visit: str | None = None
    last_visit: str | None = None
    bad_rows: list[dict] = field(default_factory=list)
    bad_reasons: dict[str, int] = field(default_factory=dict)
    warnings: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    cleaned: int = 0  # rows whose names had control characters or line breaks (replaced by spaces)
    cleaned_lines: list[int] = field(default_factory=list)  # the first 20 of them
    seat_guard: str = ""
    seconds: float = 0.0
    log_id: int | None = None

    @property
    def ok(self) -> bool:
        return self.result in ("imported", "checked")

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Preview:
    """What a file looks like to the importer, before anything is written: its head only."""

    table: RawTable  # the rows of the file's head
    format: formats.Format
    detected: bool
    mapping: dict[str, str | None]
    sample: pd.DataFrame  # the first rows as read
    problems: Problems | None  # bad rows of the head found without the database (None: the mapping is incomplete)
    message: str = ""
    complete: bool = True  # the head is the whole file
    size: int = 0  # the file's bytes


def check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(_("unknown time zone {name!r} (use an IANA name such as Asia/Almaty)").format(name=name)) \
            from None
    return name


def choose_format(header: list[str], wanted: str | None) -> tuple[formats.Format, bool]:
    if wanted:
        return formats.get_format(wanted), False
    found = formats.detect(header)
    if found is None:
        raise formats.MappingProblem(_(
            "the file matches no format: a generic file needs customer_id and started_at columns, a ggLeap "
            "export Date, User Name and Action, a SmartShell clients export Nickname (columns found: {columns})"
        ).format(columns=", ".join(header)))
    return found, True


def preview(source: sniff.Source | sniff.Head, options: Options = Options()) -> Preview:
    """The detected format, encoding, delimiter and mapping, the first rows, and the rows of the file's head
    that are bad before the database is asked (FileProblem when the file is not a table). Only the head is
    read: pass a `sniff.Head` to preview another choice of the same file without reading it again."""
    head = source if isinstance(source, sniff.Head) else sniff.head(source)
    table = head.table
    fmt, detected = choose_format(table.header, options.format)
    guess = formats.mapping(fmt, table.header) if _complete(fmt, table.header) else \
        {c: None for c in fmt.columns}
    try:
        mapping = formats.mapping(fmt, table.header, options.mapping)
        club = (options.club or "").strip() or ("—" if fmt.needs_club else None)  # a stand-in to read the rows
        found = READERS[fmt.name](table, mapping, club=club)
        problems, message = found.problems, ""
    except (formats.MappingProblem, ValueError) as exc:
        mapping, problems, message = {**guess, **(options.mapping or {})}, None, str(exc)
    return Preview(table=table, format=fmt, detected=detected, mapping=mapping,
                   sample=table.frame.head(SAMPLE_ROWS), problems=problems, message=message,
                   complete=head.complete, size=head.layout.size)


def _complete(fmt: formats.Format, header: list[str]) -> bool:
    try:
        formats.mapping(fmt, header)
        return True
    except formats.MappingProblem:
        return False


def default_source(fmt: formats.Format, club: str | None) -> str:
    """ggLeap user names belong to one center, so its source is per club; other formats are per system."""
    return f"ggleap:{club}" if fmt.name == "ggleap" and club else fmt.name


def import_file(engine: Engine, source: sniff.Source, file_name: str, options: Options = Options(), *,
                imported_by: str | None = None, progress: Progress = quiet, refresh: bool = True) -> Report:
    """Check and write one file in one transaction, reading it a chunk at a time (`source`: its bytes, a
    path or an open binary file); the report says what happened (never raises for a bad file). With
    `options.dry_run`, the transaction is rolled back and nothing is logged."""
    started, clock = datetime.now(timezone.utc), time.perf_counter()
    report = Report(file_name=file_name, dry_run=options.dry_run, club=options.club)
    try:
        progress(0.02, _("reading the file"))
        check_timezone(options.timezone)
        layout = sniff.head(source).layout
        report.encoding = layout.encoding  # the delimiter in English: the import log keeps it
        report.delimiter = DELIMITER_NAMES.get(layout.delimiter, repr(layout.delimiter))
        fmt = choose_format(layout.header, options.format)[0]
        report.format = fmt.name
        mapping = formats.mapping(fmt, layout.header, options.mapping)
        report.source = (options.source or "").strip() or default_source(fmt, options.club)
        _write(engine, source, layout, fmt, mapping, options, report, progress)
    except (FileProblem, formats.MappingProblem, ValueError) as exc:
        report.result, report.message = "rejected", str(exc)
    except loader.DoubleBooked as exc:
        report.result, report.message = "failed", str(exc)
    except (staging.Refused, sa.exc.SQLAlchemyError, psycopg.Error) as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        report.result, report.message = "failed", _("the database refused the file, and nothing was imported: "
                                                    "{reason}").format(reason=reason)
    except Exception:  # a bug: the file is still recorded as failed, and the person gets no traceback
        logger.exception("importing %s failed", file_name)
        report.result, report.message = "failed", _("the import stopped on an unexpected error, and nothing was "
                                                    "imported (the server's log has the details)")
    report.seconds = round(time.perf_counter() - clock, 2)
    if not options.dry_run:
        report.log_id = _log(engine, report, imported_by, started)
        metrics.record_import("ok" if report.ok else "failed", (report.rows_added + report.rows_updated) if report.ok else 0)
        if report.result == "imported" and refresh:
            _after(engine, report, progress)
    progress(1.0, _("done"))
    return report


def _write(engine: Engine, source: sniff.Source, layout: sniff.Layout, fmt: formats.Format, mapping: dict,
           options: Options, report: Report, progress: Progress) -> None:
    """Read the file a chunk at a time, checking each and staging it while no row is bad; then write what was
    staged, in the same transaction (rolled back for a dry run or a bad file)."""
    club = (options.club or "").strip() or None
    problems, keys, stamps = Problems(), Seen(), Seen()
    zones: dict[str, str] = {}
    staged, customers = staging.Staged(), 0
    now = datetime.now(timezone.utc)
    with engine.connect() as conn:
        tx = conn.begin()
        try:
            staging.begin(conn)
            pieces = sniff.chunks(source, layout, whole=fmt.name in WHOLE,
                                  progress=lambda f: progress(0.05 + 0.4 * f, _("reading and checking the file")))
            for table in pieces:
                read = READERS[fmt.name](table, mapping, club=club, seen=keys)
                report.rows_read += read.rows_read
                for what, n in read.counts.items():
                    report.counts[what] = report.counts.get(what, 0) + n
                if fmt.kind == formats.VISITS:
                    new = sorted(set(read.visits.club.dropna().unique().tolist()) - set(zones))
                    zones.update(premises.club_timezones(conn, new, options.timezone))
                    visits = finish(read, zones, now=now, seen=stamps)
                    _span(report, visits.visits)
                    problems.absorb(read.problems)
                    if not problems.count:
                        staging.stage_visits(conn, visits, staged, options.timezone)
                else:
                    zone = zones.get(club or "") or (premises.club_timezones(conn, [club], options.timezone)[club]
                                                     if club else options.timezone)
                    zones[club or ""] = zone
                    found = _customer_table(read, zone, read.problems)
                    problems.absorb(read.problems)
                    if not problems.count:
                        staging.stage_customers(conn, found)
                        customers += len(found)
            _check(problems, report)
            if fmt.kind == formats.VISITS:
                loaded = loader.load_visits(conn, staged, source=report.source, progress=progress)
            else:
                loaded = loader.load_customers(conn, source=report.source, staged=customers)
            for key in ("rows_added", "rows_updated", "rows_skipped", "customers_added", "customers_updated",
                        "seats_placed"):
                setattr(report, key, getattr(loaded, key))
            report.clubs_added = loaded.added.get("clubs", 0)
            report.halls_added = loaded.added.get("halls", 0)
            report.seats_added = loaded.added.get("seats", 0)
            report.warnings = {**report.warnings, **loaded.warnings}
            report.seat_guard = loaded.guard
            if options.dry_run:
                tx.rollback()
                report.result = "checked"
                report.message = _("dry run: every row can be imported; nothing was written")
            else:
                tx.commit()
                report.result = "imported"
        except loader.Rejected as exc:
            tx.rollback()
            problems.absorb(exc.problems)
            _check(problems, report)
        except BaseException:
            tx.rollback()
            raise


def _span(report: Report, visits: pd.DataFrame) -> None:
    """Count a chunk's visits and widen the report's first and last visit."""
    report.visits += len(visits)
    if len(visits) and visits.start_time.notna().any():
        first, last = visits.start_time.min().isoformat(), visits.start_time.max().isoformat()
        report.first_visit = min(report.first_visit or first, first)
        report.last_visit = max(report.last_visit or last, last)


def _check(problems: Problems, report: Report) -> None:
    """Reject the file when it has bad rows (after noting them in the report)."""
    report.warnings = dict(problems.warnings)
    report.cleaned, report.cleaned_lines = problems.cleaned, list(problems.cleaned_lines)
    if problems.cleaned:
        report.warnings[_("rows whose names had control characters or line breaks, replaced by spaces")] = \
            problems.cleaned
    if problems.count:
        report.rows_bad = problems.count
        report.bad_rows = problems.first()
        report.bad_reasons = problems.reasons()
        raise ValueError(ngettext("{n} bad row: nothing was imported", "{n} bad rows: nothing was imported",
                                  problems.count).format(n=problems.count))


def _customer_table(read: Read, zone: str, problems: Problems) -> pd.DataFrame:
    c = read.customers
    c = c[c.customer_key.notna()]
    signed = localize(times(c, "signed"), pd.Series(zone, index=c.index))
    out = pd.DataFrame({"customer_key": c.customer_key, "full_name": c.full_name, "email": c.email,
                        "phone": c.phone, "signed_up_at": signed})
    return tidy_customers(out.reset_index(drop=True), problems)


def _log(engine: Engine, report: Report, imported_by: str | None, started: datetime) -> int | None:
    summary = {k: report.as_dict()[k] for k in ("bad_rows", "bad_reasons", "warnings", "counts", "encoding",
                                                 "delimiter", "first_visit", "last_visit", "visits",
                                                 "clubs_added", "halls_added", "seats_placed", "seat_guard",
                                                 "cleaned", "cleaned_lines")}
    with engine.begin() as conn:
        return conn.execute(sa.text(load_sql("data/import_log")), {
            "imported_by": imported_by, "started_at": started, "seconds": report.seconds,
            "file_name": report.file_name[:300], "file_format": report.format or "unknown",
            "source": report.source or None, "club": report.club, "result": report.result,
            "rows_read": report.rows_read, "rows_added": report.rows_added, "rows_updated": report.rows_updated,
            "rows_skipped": report.rows_skipped, "rows_bad": report.rows_bad,
            "customers_added": report.customers_added, "customers_updated": report.customers_updated,
            "seats_added": report.seats_added, "message": report.message[:2000] or None,
            "report": json.dumps(summary, default=str)}).scalar_one()


def _after(engine: Engine, report: Report, progress: Progress) -> None:
    """Planner statistics after a large import, and the rollups of the days it touched."""
    from core.rollups.refresh import refresh

    if report.rows_added >= ANALYZE_ROWS:
        progress(0.92, _("updating the planner's statistics"))
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("analyze users, bookings, payments"))
    if report.rows_added or report.rows_updated:
        progress(0.95, _("refreshing the analytics views"))
        refresh(engine)
