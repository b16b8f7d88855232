"""The checked, typed table every visit format becomes, its customers, and the file's bad rows.

A reader (`core.data.generic`, `core.data.ggleap`) turns a file into `Read`: one row per visit with
times still as written (club-local or with an offset). `finish` puts the times in UTC in each
club's time zone, fills the defaults, checks each visit and derives the keys that make a second
import of the same file add nothing:

* a visit's key is the source's `booking_id`, or else customer | start (UTC) | n, n counting visits
  of one customer that start at the same moment (a person may pay for a friend's seat);
* a customer's key is the source's customer id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from core.data.formats import Format
from core.data.values import CONTROL, Times, localize
from core.i18n import _

MAX_VISIT = timedelta(hours=24)   # the schema's limit on one booking
DEFAULT_VISIT = timedelta(hours=1)  # a row with neither an end nor a duration
REPORT_ROWS = 20

COMPLETED, LIVE, CANCELLED, NO_SHOW = "завершено", "активно", "отменено", "неявка"
PAID, FAILED, REFUNDED, PENDING = "успешно", "ошибка", "возврат", "ожидание"

BOOKING_STATUS = {
    COMPLETED: COMPLETED, "завершен": COMPLETED, "completed": COMPLETED, "complete": COMPLETED, "done": COMPLETED,
    "finished": COMPLETED, "closed": COMPLETED, "visited": COMPLETED, "played": COMPLETED,
    LIVE: LIVE, "active": LIVE, "booked": LIVE, "upcoming": LIVE, "in progress": LIVE, "reserved": LIVE,
    CANCELLED: CANCELLED, "отменен": CANCELLED, "cancelled": CANCELLED, "canceled": CANCELLED, "cancel": CANCELLED,
    NO_SHOW: NO_SHOW, "no show": NO_SHOW, "noshow": NO_SHOW, "missed": NO_SHOW,
}
PAYMENT_STATUS = {
    PAID: PAID, "оплачено": PAID, "success": PAID, "successful": PAID, "succeeded": PAID, "paid": PAID, "ok": PAID,
    "completed": PAID, "complete": PAID,
    FAILED: FAILED, "failed": FAILED, "error": FAILED, "declined": FAILED, "fail": FAILED,
    REFUNDED: REFUNDED, "refunded": REFUNDED, "refund": REFUNDED, "returned": REFUNDED,
    PENDING: PENDING, "pending": PENDING, "waiting": PENDING, "processing": PENDING,
}
PAYMENT_METHOD = {
    "card": "card", "bank card": "card", "visa": "card", "mastercard": "card", "карта": "card",
    "банковская карта": "card", "безнал": "card",
    "kaspi_qr": "kaspi_qr", "kaspi": "kaspi_qr", "kaspi qr": "kaspi_qr", "kaspi.kz": "kaspi_qr", "каспи": "kaspi_qr",
    "qr": "kaspi_qr",
    "cash": "cash", "наличные": "cash", "нал": "cash", "наличными": "cash",
    "bonus": "bonus", "bonuses": "bonus", "points": "bonus", "бонус": "bonus", "бонусы": "bonus", "баллы": "bonus",
}
HALL_TYPE = {
    "standard": "standard", "std": "standard", "general": "standard", "common": "standard", "main": "standard",
    "pc": "standard", "стандарт": "standard", "стандартный": "standard", "общий": "standard",
    "vip": "vip", "вип": "vip",
    "bootcamp": "bootcamp", "буткемп": "bootcamp",
    "console": "console", "консоль": "console", "playstation": "console", "ps": "console", "ps5": "console",
    "xbox": "console",
    "streaming": "streaming", "stream": "streaming", "стрим": "streaming", "стриминг": "streaming",
}
HALL_NAMES = {"standard": "Main hall", "vip": "VIP", "bootcamp": "Bootcamp", "console": "Consoles",
              "streaming": "Streaming"}
DEFAULT_METHOD = "cash"

# the reader's visit columns; <time>_local / <time>_utc pairs hold a time as written (see Times)
TIMES = ("start", "end", "paid", "signed")


class Problems:
    """Bad rows (line number and reason), warnings (counted, never fatal) and the lines whose names were
    cleaned. A file read in chunks `absorb`s each chunk's problems: every count is kept, the details of the
    first REPORT_ROWS bad lines only."""

    def __init__(self) -> None:
        self._bad: list[pd.DataFrame] = []  # (line, reason) of this object's own rows
        self._kept = pd.DataFrame(columns=["line", "reason"])  # absorbed: the first lines' (line, reason)
        self._count = 0  # absorbed bad lines
        self._reasons: dict[str, int] = {}  # absorbed reasons, counted
        self.warnings: dict[str, int] = {}
        self.cleaned = 0
        self.cleaned_lines: list[int] = []  # the first REPORT_ROWS of them

    def add(self, lines: pd.Series, mask: pd.Series, reason: str, values: pd.Series | None = None) -> None:
        """Rows where `mask` holds are bad for `reason`, followed by the row's cell from `values` if given."""
        mask = mask.fillna(False).astype(bool)
        if not mask.any():
            return
        why = reason + ": " + quoted(values[mask]) if values is not None else reason
        self._bad.append(pd.DataFrame({"line": lines[mask].to_numpy(), "reason": why}))

    def warn(self, what: str, count: int) -> None:
        if count:
            self.warnings[what] = self.warnings.get(what, 0) + int(count)

    def clean(self, lines: pd.Series, mask: pd.Series) -> None:
        """Rows where `mask` holds had control characters or line breaks in a name (replaced by spaces)."""
        self._cleaned(sorted(set(lines[mask.fillna(False).astype(bool)].tolist())))

    def _cleaned(self, lines: list[int], more: int = 0) -> None:
        new = sorted(set(lines) - set(self.cleaned_lines))
        self.cleaned += len(new) + more
        self.cleaned_lines = sorted(self.cleaned_lines + new)[:REPORT_ROWS]

    def absorb(self, other: Problems) -> None:
        """Take in the problems of the file's next chunk (its lines all come after those seen so far)."""
        self._count += other.count
        for reason, n in other.reasons().items():
            self._reasons[reason] = self._reasons.get(reason, 0) + n
        rows = pd.concat([self._kept, *other._raw()], ignore_index=True)
        first = np.sort(rows.line.unique())[:REPORT_ROWS]
        self._kept = rows[rows.line.isin(first)]
        for what, n in other.warnings.items():
            self.warn(what, n)
        self._cleaned(other.cleaned_lines, other.cleaned - len(other.cleaned_lines))

    def _raw(self) -> list[pd.DataFrame]:
        return [self._kept, *self._bad] if len(self._kept) else list(self._bad)

    def _own(self) -> pd.DataFrame:
        return pd.concat(self._bad, ignore_index=True) if self._bad else pd.DataFrame(columns=["line", "reason"])

    def frame(self) -> pd.DataFrame:
        """One row per bad line (its reasons joined), by line number (only the first ones once absorbed)."""
        raw = self._raw()
        if not raw:
            return pd.DataFrame(columns=["line", "reason"])
        rows = pd.concat(raw, ignore_index=True)
        return rows.groupby("line", sort=True)["reason"].agg("; ".join).reset_index()

    @property
    def count(self) -> int:
        return self._count + int(self._own().line.nunique())

    def reasons(self) -> dict[str, int]:
        """Bad rows per reason (reasons with a quoted value are counted by their words before it)."""
        out = dict(self._reasons)
        own = self._own()
        if len(own):
            for k, v in own.reason.str.split(":").str[0].value_counts().items():
                out[str(k)] = out.get(str(k), 0) + int(v)
        return out

    def first(self, n: int = REPORT_ROWS) -> list[dict]:
        return [{"line": int(r.line), "reason": str(r.reason)} for r in self.frame().head(n).itertuples()]


class Seen:
    """The values met so far in a file read in chunks, kept as 64-bit hashes (16 bytes a value), to number
    each value's appearances across the whole file."""

    def __init__(self) -> None:
        self._hashes = np.empty(0, dtype=np.uint64)  # sorted
        self._counts = np.empty(0, dtype=np.int64)

    def nth(self, values: pd.Series) -> np.ndarray:
        """For each value, how many times it has appeared in the file up to and including this row."""
        if values.empty:
            return np.empty(0, dtype=np.int64)
        hashes = pd.util.hash_pandas_object(values.astype(str), index=False).to_numpy()
        within = pd.Series(hashes).groupby(hashes, sort=False).cumcount().to_numpy() + 1
        at = np.searchsorted(self._hashes, hashes).clip(max=max(len(self._hashes) - 1, 0))
        known = (self._hashes[at] == hashes) if len(self._hashes) else np.zeros(len(hashes), dtype=bool)
        before = np.where(known, self._counts[at] if len(self._counts) else 0, 0)
        distinct, counts = np.unique(hashes, return_counts=True)
        at = np.searchsorted(self._hashes, distinct).clip(max=max(len(self._hashes) - 1, 0))
        old = (self._hashes[at] == distinct) if len(self._hashes) else np.zeros(len(distinct), dtype=bool)
        self._counts[at[old]] += counts[old]
        where = np.searchsorted(self._hashes, distinct[~old])
        self._hashes = np.insert(self._hashes, where, distinct[~old])
        self._counts = np.insert(self._counts, where, counts[~old])
        return before + within


def quoted(values: pd.Series, width: int = 40) -> pd.Series:
    """Cell values for a reason: «value», cut to `width` characters (control characters and line breaks
    shown as spaces)."""
    text = values.fillna("").astype(str).str.replace(CONTROL, " ", regex=True)
    return "«" + text.str.slice(0, width) + np.where(text.str.len() > width, "…", "") + "»"


@dataclass
class Read:
    """What a reader found in a file, before the clubs' time zones are known."""

    format: Format
    mapping: dict[str, str | None]
    rows_read: int
    visits: pd.DataFrame | None     # visit formats: one row per visit (see the module doc)
    customers: pd.DataFrame | None  # customer formats: customer_key, full_name, email, phone, signed_up_at
    problems: Problems
    counts: dict[str, int] = field(default_factory=dict)  # what the reader counted (sessions, guests …)


@dataclass
class VisitTable:
    """Visits ready to load: UTC times, the club-local date, defaults filled, keys derived, and what each row
    says of its customer (the loader makes one row per customer of them in SQL)."""

    visits: pd.DataFrame     # VISIT_COLUMNS


VISIT_COLUMNS = ["line", "booking_key", "customer_key", "customer_name", "email", "phone", "signed_up_at", "club",
                 "hall", "hall_type", "seat", "start_time", "end_time", "local_date", "status", "price", "amount",
                 "payment_status", "paid_at", "method"]
CUSTOMER_COLUMNS = ["customer_key", "full_name", "email", "phone", "signed_up_at"]
# A conservative address: ASCII letters, digits and ._%+- before the @ (no leading, trailing or double dot);
# after it, labels of letters and digits of any script with inner hyphens, and a top-level domain of letters
# (почта.рф passes). Quoted names, other symbols, IP literals, dotless hosts and anything with brackets or
# spaces (`[x](http://…)@a.b`) are left out. At most 254 characters.
EMAIL = r"[a-z0-9_%+-]+(?:\.[a-z0-9_%+-]+)*@(?:[^\W_](?:(?:[^\W_]|-)*[^\W_])?\.)+[^\W\d_]{2,}"
EMAIL_LENGTH = 254


def times(frame: pd.DataFrame, name: str) -> Times:
    local, utc = frame[f"{name}_local"], frame[f"{name}_utc"]
    return Times(local=local, instant=utc, bad=pd.Series(False, index=frame.index))


def finish(read: Read, timezones: dict[str, str], *, now: datetime, seen: Seen | None = None) -> VisitTable:
    """UTC times in each club's zone, defaults, per-visit checks (into read.problems) and keys (`seen`: the
    customers' start times in the file's chunks before this one).

    Bad rows stay in the table (the caller rejects the file when there are any)."""
    v = read.visits.copy()
    p = read.problems
    zone = v.club.map(timezones).fillna("UTC")
    start = localize(times(v, "start"), zone)
    p.add(v.line, v.start_local.notna() & start.isna(),
          _("the start time does not exist in the club's time zone (a clock change)"))
    end = localize(times(v, "end"), zone)
    p.add(v.line, v.end_local.notna() & end.isna(), _("the end time does not exist in the club's time zone"))
    by_duration = start + v.duration
    end = end.where(end.notna(), by_duration)
    no_end = end.isna() & start.notna()
    p.warn(_("visits with neither an end nor a duration, taken as 1 hour"), int(no_end.sum()))
    end = end.where(~no_end, start + DEFAULT_VISIT)
    p.add(v.line, start.notna() & (end <= start), _("the visit ends before it starts"))
    p.add(v.line, start.notna() & (end - start > MAX_VISIT), _("the visit lasts more than 24 hours"))
    p.add(v.line, v.amount < 0, _("the amount is negative"))

    v["start_time"], v["end_time"] = start, end
    v["local_date"] = _local_dates(start, zone)
    live = end > pd.Timestamp(now)
    v["status"] = v.status.where(v.status.notna(), np.where(live, LIVE, COMPLETED))
    v["price"] = v.amount.fillna(0.0).clip(lower=0)
    paid = localize(times(v, "paid"), zone)
    v["paid_at"] = paid.where(paid.notna(), start)
    v["payment_status"] = v.payment_status.where(v.payment_status.notna() | v.amount.isna(), PAID)
    v["method"] = v.method.fillna(DEFAULT_METHOD)
    v["hall_type"] = v.hall_type.fillna("standard")
    v["hall"] = v.hall.where(v.hall.notna(), v.hall_type.map(HALL_NAMES))

    given = v.booking_id.notna()
    stamp = start.dt.strftime("%Y-%m-%dT%H:%M:%SZ").fillna("")
    who = v.customer_key.fillna("") + "|" + stamp
    derived = who + "|" + pd.Series((seen or Seen()).nth(who), index=v.index).astype(str)
    v["booking_key"] = v.booking_id.where(given, derived)
    v["signed_up_at"] = localize(times(v, "signed"), zone)
    return VisitTable(visits=v[VISIT_COLUMNS].reset_index(drop=True))


def _local_dates(start: pd.Series, zone: pd.Series) -> pd.Series:
    """Each start's date in its club's zone (as midnight: a date column takes it as that day)."""
    out = pd.Series(pd.NaT, index=start.index, dtype="datetime64[ns]")
    for tz, rows in zone.groupby(zone).groups.items():
        part = start.loc[rows]
        out.loc[rows] = part.dt.tz_convert(str(tz)).dt.tz_localize(None).dt.normalize()
    return out


def tidy_customers(out: pd.DataFrame, p: Problems) -> pd.DataFrame:
    """Names default to the customer's key; e-mails are lower-cased, and left out when they are not a
    plain address (EMAIL)."""
    out = out.copy()
    out["full_name"] = out.full_name.where(out.full_name.notna() & (out.full_name.astype(str).str.strip() != ""),
                                           out.customer_key)
    email = out.email.astype("string").str.strip().str.lower()
    valid = (email.str.fullmatch(EMAIL) & (email.str.len() <= EMAIL_LENGTH)).fillna(False).astype(bool)
    p.warn(_("e-mails that are not an address, left out"), int((email.notna() & ~valid).sum()))
    out["email"] = email.where(valid, None).astype(object).where(valid, None)
    out["phone"] = out.phone.where(out.phone.notna(), None)
    return out[CUSTOMER_COLUMNS]
