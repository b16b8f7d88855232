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
from core.data.values import Times, localize
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
    """Bad rows (line number and reason) and warnings (counted, never fatal)."""

    def __init__(self) -> None:
        self._bad: list[pd.DataFrame] = []
        self.warnings: dict[str, int] = {}

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

    def frame(self) -> pd.DataFrame:
        """One row per bad line (its reasons joined), by line number."""
        if not self._bad:
            return pd.DataFrame(columns=["line", "reason"])
        rows = pd.concat(self._bad, ignore_index=True)
        return rows.groupby("line", sort=True)["reason"].agg("; ".join).reset_index()

    @property
    def count(self) -> int:
        return len(self.frame())

    def reasons(self) -> dict[str, int]:
        """Bad rows per reason (reasons with a quoted value are counted by their words before it)."""
        if not self._bad:
            return {}
        rows = pd.concat(self._bad, ignore_index=True)
        kind = rows.reason.str.split(":").str[0]
        return {str(k): int(v) for k, v in kind.value_counts().items()}

    def first(self, n: int = REPORT_ROWS) -> list[dict]:
        return [{"line": int(r.line), "reason": str(r.reason)} for r in self.frame().head(n).itertuples()]


def quoted(values: pd.Series, width: int = 40) -> pd.Series:
    """Cell values for a reason: «value», cut to `width` characters."""
    text = values.fillna("").astype(str)
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
    """Visits ready to load: UTC times, the club-local date, defaults filled, keys derived."""

    visits: pd.DataFrame     # VISIT_COLUMNS
    customers: pd.DataFrame  # CUSTOMER_COLUMNS


VISIT_COLUMNS = ["line", "booking_key", "customer_key", "club", "hall", "hall_type", "seat", "start_time",
                 "end_time", "local_date", "status", "price", "amount", "payment_status", "paid_at", "method"]
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


def finish(read: Read, timezones: dict[str, str], *, now: datetime) -> VisitTable:
    """UTC times in each club's zone, defaults, per-visit checks (into read.problems), keys and customers.

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
    nth = v.assign(_stamp=stamp).groupby(["customer_key", "_stamp"], sort=False).cumcount() + 1
    derived = v.customer_key.fillna("") + "|" + stamp + "|" + nth.astype(str)
    v["booking_key"] = v.booking_id.where(given, derived)

    signed = localize(times(v, "signed"), zone)
    customers = _customers(v, signed, p)
    return VisitTable(visits=v[VISIT_COLUMNS].reset_index(drop=True), customers=customers)


def _local_dates(start: pd.Series, zone: pd.Series) -> pd.Series:
    out = pd.Series(pd.NaT, index=start.index, dtype="datetime64[ns]")
    for tz, rows in zone.groupby(zone).groups.items():
        part = start.loc[rows]
        out.loc[rows] = part.dt.tz_convert(str(tz)).dt.tz_localize(None).dt.normalize()
    return out.dt.date


def _customers(v: pd.DataFrame, signed: pd.Series, p: Problems) -> pd.DataFrame:
    """One row per customer: the latest non-empty name, e-mail and phone, and the earliest of the
    sign-up time given and the first visit."""
    order = v.assign(_signed=signed).sort_values("start_time", kind="stable")
    grouped = order.groupby("customer_key", sort=True)
    out = pd.DataFrame({
        "full_name": grouped.customer_name.last(),
        "email": grouped.email.last(),
        "phone": grouped.phone.last(),
        "signed_up_at": pd.concat([grouped._signed.min(), grouped.start_time.min()], axis=1).min(axis=1),
    })
    out = out.reset_index()
    return tidy_customers(out, p)


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
