"""ggLeap's Activity Tracker export: `Date,User Name,Action,Details,Employee Name,Machine Name`.

Sessions come from pairing events of one user on one machine, in time order:

* a LoggedIn followed by a LoggedOut is a session from the first to the second; the machine is the seat;
* a LoggedOut with no LoggedIn before it still makes a session when its Details hold the duration
  (`hh:mm:ss`): it started that long before the logout;
* a LoggedIn never followed by a LoggedOut (the session was still on when the export ran) and a
  LoggedOut without a login or a duration are counted and left out;
* guest logins (an action or a user name with "guest", or no user name) are counted and left out:
  a guest is not a customer the models can follow;
* every other action (application launches, machine states, admin mode, failed logins …) is
  counted and ignored.

Dates are US style (`2/7/2022 6:46:21 PM`) in the club's local time.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.data.formats import GGLEAP
from core.data.sniff import RawTable
from core.data.values import as_text, first_clock, parse_times, plain_text
from core.data.visits import Problems, Read, Seen
from core.i18n import _

LOGIN, LOGOUT, OTHER = "in", "out", "other"
_LOGIN = {"loggedin", "login", "userloggedin", "signedin"}
_LOGOUT = {"loggedout", "logout", "userloggedout", "signedout"}


def _kind(action: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(in / out / other, is a guest action) per event."""
    key = action.fillna("").str.lower().str.replace(r"[\s_\-]+", "", regex=True)
    guest = key.str.contains("guest")
    plain = key.str.replace("guest", "", regex=False)
    kind = np.where(plain.isin(_LOGIN) | (guest & plain.str.contains(r"(?:loggedin|login|start)")), LOGIN,
                    np.where(plain.isin(_LOGOUT) | (guest & plain.str.contains(r"(?:loggedout|logout|end)")), LOGOUT,
                             OTHER))
    return pd.Series(kind, index=action.index), guest


def read(table: RawTable, mapping: dict[str, str | None], *, club: str | None, seen: Seen | None = None) -> Read:
    """The sessions of a whole file (its logins and logouts are paired across the file; `seen` is unused)."""
    if not club:
        raise ValueError(_("a ggLeap export names no club: name it (oyna import … --club NAME)"))
    frame, p = table.frame, Problems()

    def column(name: str) -> pd.Series:
        source = mapping.get(name)
        return frame[source] if source else pd.Series("", index=frame.index)

    ev = pd.DataFrame({"line": table.lines.to_numpy()}, index=frame.index)
    ev["user"], dirty = plain_text(column("user_name"))
    ev["machine"], cleaned = plain_text(column("machine_name"))
    ev["machine"] = ev.machine.fillna("")
    p.clean(ev.line, dirty | cleaned)
    ev["action"] = as_text(column("action")).fillna("")
    ev["kind"], guest_action = _kind(ev.action)
    parsed = parse_times(column("date"))
    ev["local"], ev["utc"] = parsed.local, parsed.instant
    sessions_events = ev.kind != OTHER
    p.add(ev.line, sessions_events & (parsed.bad | parsed.missing),
          _("Date is not a date and time"), column("date"))
    ev["guest"] = guest_action | ev.user.isna() | ev.user.fillna("").str.lower().str.startswith("guest")
    ev["duration"] = first_clock(column("details"))

    counts = {_("events"): len(ev), _("other actions (ignored)"): int((ev.kind == OTHER).sum())}
    ev = ev[sessions_events & ~(parsed.bad | parsed.missing)].copy()
    ev["order"] = ev.local.where(ev.local.notna(), ev.utc.dt.tz_convert(None))
    ev["who"] = np.where(ev.guest, "guest", ev.user.fillna(""))
    ev = ev.sort_values(["who", "machine", "order", "kind"], kind="stable")  # "in" before "out" at one moment
    same = (ev.who == ev.who.shift()) & (ev.machine == ev.machine.shift())
    prev_in = same & (ev.kind.shift() == LOGIN)
    next_out = (ev.who == ev.who.shift(-1)) & (ev.machine == ev.machine.shift(-1)) & (ev.kind.shift(-1) == LOGOUT)

    paired = (ev.kind == LOGOUT) & prev_in
    logins = ev.shift()[paired]  # the login of each paired logout
    outs = ev[paired]
    lone_out = (ev.kind == LOGOUT) & ~prev_in
    recovered = ev[lone_out & ev.duration.notna()]
    counts[_("logins without a logout (left out)")] = int(((ev.kind == LOGIN) & ~next_out).sum())
    counts[_("logouts without a login or a duration (left out)")] = int((lone_out & ev.duration.isna()).sum())

    sessions = pd.concat([
        pd.DataFrame({"line": logins.line.to_numpy(), "user": outs.user.to_numpy(), "guest": outs.guest.to_numpy(),
                      "seat": outs.machine.to_numpy(), "start_local": logins.local.to_numpy(),
                      "start_utc": logins.utc.to_numpy(), "end_local": outs.local.to_numpy(),
                      "end_utc": outs.utc.to_numpy()}),
        pd.DataFrame({"line": recovered.line.to_numpy(), "user": recovered.user.to_numpy(),
                      "guest": recovered.guest.to_numpy(), "seat": recovered.machine.to_numpy(),
                      "start_local": (recovered.local - recovered.duration).to_numpy(),
                      "start_utc": (recovered.utc - recovered.duration).to_numpy(),
                      "end_local": recovered.local.to_numpy(), "end_utc": recovered.utc.to_numpy()}),
    ], ignore_index=True)
    counts[_("sessions from a login and a logout")] = int(len(outs))
    counts[_("sessions from a logout and its duration")] = int(len(recovered))
    guests = sessions.guest.astype(bool)
    counts[_("guest sessions (left out)")] = int(guests.sum())
    sessions = sessions[~guests].sort_values("line").reset_index(drop=True)

    v = pd.DataFrame({"line": sessions.line.astype("int64"), "customer_key": sessions.user,
                      "customer_name": sessions.user})
    for name in ("email", "phone", "hall", "hall_type", "booking_id", "status", "payment_status", "method"):
        v[name] = None
    v["seat"] = sessions.seat.where(sessions.seat != "", None)
    v["club"] = club
    v["start_local"] = pd.to_datetime(sessions.start_local)
    v["start_utc"] = pd.to_datetime(sessions.start_utc, utc=True)
    v["end_local"] = pd.to_datetime(sessions.end_local)
    v["end_utc"] = pd.to_datetime(sessions.end_utc, utc=True)
    for name in ("paid", "signed"):
        v[f"{name}_local"] = pd.Series(pd.NaT, index=v.index, dtype="datetime64[ns]")
        v[f"{name}_utc"] = pd.Series(pd.NaT, index=v.index, dtype="datetime64[ns, UTC]")
    v["duration"] = pd.Series(pd.NaT, index=v.index, dtype="timedelta64[ns]")
    v["amount"] = np.nan
    return Read(format=GGLEAP, mapping=mapping, rows_read=len(frame), visits=v, customers=None, problems=p,
                counts=counts)
