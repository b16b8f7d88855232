"""The generic format: one row per visit or paid session (docs/import.md has the columns and an example)."""

from __future__ import annotations

import pandas as pd

from core.data.formats import GENERIC
from core.data.sniff import RawTable
from core.data.values import as_text, normalise_choice, parse_amounts, parse_durations, parse_times, plain_text
from core.data.visits import BOOKING_STATUS, HALL_TYPE, PAYMENT_METHOD, PAYMENT_STATUS, Problems, Read, Seen
from core.i18n import N_, _

# column -> (choices, what the message lists)
CHOICES = {
    "booking_status": (BOOKING_STATUS, N_("completed, active, cancelled or no-show")),
    "payment_status": (PAYMENT_STATUS, N_("paid, failed, refunded or pending")),
    "payment_method": (PAYMENT_METHOD, N_("card, kaspi_qr, cash or bonus")),
    "hall_type": (HALL_TYPE, N_("standard, vip, bootcamp, console or streaming")),
}
TIME_COLUMNS = {"start": "started_at", "end": "ended_at", "paid": "paid_at", "signed": "signed_up_at"}


def read(table: RawTable, mapping: dict[str, str | None], *, club: str | None, seen: Seen | None = None) -> Read:
    """The visits of one chunk of a file (`seen`: the booking ids of the chunks before it)."""
    frame, lines = table.frame, table.lines
    p = Problems()

    def column(name: str) -> pd.Series:
        source = mapping.get(name)
        return frame[source] if source else pd.Series("", index=frame.index)

    v = pd.DataFrame({"line": lines.to_numpy()}, index=frame.index)
    v["customer_key"], dirty = plain_text(column("customer_id"))
    p.add(v.line, v.customer_key.isna(), _("no customer id"))
    for name in ("customer_name", "email", "phone", "hall", "seat", "booking_id"):
        v[name], cleaned = plain_text(column(name))
        dirty |= cleaned
    given = v.booking_id.notna()
    repeated = pd.Series(False, index=v.index)
    repeated[given] = (seen or Seen()).nth(v.booking_id[given]) > 1
    p.add(v.line, repeated, _("the booking id appears earlier in the file"))
    if mapping.get("club"):
        v["club"], cleaned = plain_text(column("club"))
        dirty |= cleaned
        if club:
            v["club"] = v.club.fillna(club)
        p.add(v.line, v.club.isna(), _("no club (name one for the whole file with --club)"))
    else:
        if not club:
            raise ValueError(_("the file has no club column: name its club (oyna import … --club NAME)"))
        v["club"] = club
    p.clean(v.line, dirty)

    for short, name in TIME_COLUMNS.items():
        parsed = parse_times(column(name))
        v[f"{short}_local"], v[f"{short}_utc"] = parsed.local, parsed.instant
        p.add(v.line, parsed.bad, _("{column} is not a date and time").format(column=name), column(name))
    p.add(v.line, v.start_local.isna() & v.start_utc.isna() & (as_text(column("started_at")).isna()),
          _("no start time"))

    duration, bad = parse_durations(column("duration_minutes"))
    v["duration"] = duration
    p.add(v.line, bad, _("duration_minutes is not a number of minutes"), column("duration_minutes"))
    p.add(v.line, duration < pd.Timedelta(0), _("the duration is negative"))

    amount, bad = parse_amounts(column("amount"))
    v["amount"] = amount
    p.add(v.line, bad, _("amount is not a number"), column("amount"))

    for name, (choices, words) in CHOICES.items():
        values, bad = normalise_choice(column(name), choices, None)
        v[name] = values
        p.add(v.line, bad, _("unknown {column} (use {words})").format(column=name.replace("_", " "), words=_(words)), column(name))
    v = v.rename(columns={"booking_status": "status", "payment_method": "method"})
    return Read(format=GENERIC, mapping=mapping, rows_read=len(frame), visits=v, customers=None, problems=p)
