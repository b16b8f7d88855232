"""SmartShell's clients export: semicolon-separated, with Nickname, Phone, Status, Deposit, Personal
discount, Last session and Registration date (English or Russian headers). It fills and updates
customers: the nickname is the customer's id and name, the phone and the registration date are kept.
Status, deposit, discount and last session are checked but have no place in the schema.
"""

from __future__ import annotations

import pandas as pd

from core.data.formats import SMARTSHELL
from core.data.sniff import RawTable
from core.data.values import parse_amounts, parse_times, plain_text
from core.data.visits import Problems, Read, Seen
from core.i18n import _


def read(table: RawTable, mapping: dict[str, str | None], *, club: str | None = None,
         seen: Seen | None = None) -> Read:
    """The customers of one chunk of a file (`seen`: the nicknames of the chunks before it)."""
    frame, p = table.frame, Problems()

    def column(name: str) -> pd.Series:
        source = mapping.get(name)
        return frame[source] if source else pd.Series("", index=frame.index)

    c = pd.DataFrame({"line": table.lines.to_numpy()}, index=frame.index)
    c["customer_key"], dirty = plain_text(column("nickname"))
    p.add(c.line, c.customer_key.isna(), _("no nickname"))
    known = c.customer_key.notna()
    repeated = pd.Series(False, index=c.index)
    repeated[known] = (seen or Seen()).nth(c.customer_key[known]) > 1
    p.add(c.line, repeated, _("the nickname appears earlier in the file"))
    c["full_name"] = c.customer_key
    c["email"] = None
    c["phone"], cleaned = plain_text(column("phone"))
    p.clean(c.line, dirty | cleaned)
    for name in ("deposit", "personal_discount"):
        bad = parse_amounts(column(name).astype(str).str.replace("%", "", regex=False))[1]
        p.add(c.line, bad, _("{column} is not a number").format(column=name.replace("_", " ")), column(name))
    registered = parse_times(column("registration_date"))
    last = parse_times(column("last_session"))
    p.add(c.line, registered.bad, _("registration date is not a date"), column("registration_date"))
    p.add(c.line, last.bad, _("last session is not a date and time"), column("last_session"))
    c["signed_local"] = registered.local.where(registered.local.notna() | registered.instant.notna(), last.local)
    c["signed_utc"] = registered.instant.where(registered.instant.notna(), last.instant)
    return Read(format=SMARTSHELL, mapping=mapping, rows_read=len(frame), visits=None, customers=c, problems=p,
                counts={_("customers"): int(c.customer_key.notna().sum())})
