"""The file formats the importer reads, their columns, and how a header is matched to them.

Column names are matched case-insensitively, with spaces, dashes and underscores treated alike;
each column also answers to a few names club systems and spreadsheets use (English and Russian).
`detect` picks the format whose required columns a header has (the most specific first), and
`mapping` says which header column feeds each of the format's columns; a person can correct it.
"""

from __future__ import annotations

import re
from core.i18n import _, ngettext
from collections.abc import Mapping
from dataclasses import dataclass

VISITS = "visits"
CUSTOMERS = "customers"


@dataclass(frozen=True)
class Format:
    name: str
    kind: str  # VISITS or CUSTOMERS
    columns: dict[str, tuple[str, ...]]  # column -> other names it answers to
    required: tuple[str, ...]
    needs_club: bool  # rows carry no club: the club is named for the whole file

    @property
    def optional(self) -> list[str]:
        return [c for c in self.columns if c not in self.required]


GENERIC = Format(
    name="generic", kind=VISITS, needs_club=False,
    required=("customer_id", "started_at"),
    columns={
        "customer_id": ("customer", "client_id", "client", "user_id", "member_id", "клиент", "id клиента",
                        "код клиента"),
        "started_at": ("start", "start_time", "started", "session_start", "visit_start", "date", "visit_date",
                       "начало", "время начала", "дата"),
        "ended_at": ("end", "end_time", "ended", "session_end", "visit_end", "конец", "окончание",
                     "время окончания"),
        "duration_minutes": ("duration", "minutes", "duration_min", "длительность", "минуты"),
        "amount": ("paid", "sum", "total", "price", "revenue", "сумма", "оплата", "стоимость"),
        "club": ("club_name", "location", "branch", "клуб", "филиал"),
        "hall": ("hall_name", "zone", "room", "зал", "зона"),
        "hall_type": ("zone_type", "тип зала"),
        "seat": ("seat_label", "pc", "machine", "machine_name", "computer", "место", "компьютер", "пк"),
        "customer_name": ("name", "full_name", "client_name", "nickname", "имя", "фио", "клиент имя"),
        "email": ("e_mail", "mail", "почта", "эл почта"),
        "phone": ("phone_number", "telephone", "mobile", "телефон"),
        "signed_up_at": ("registered_at", "registration_date", "signup_date", "created_at", "дата регистрации"),
        "booking_status": ("status", "visit_status", "статус", "статус брони"),
        "payment_status": ("payment_state", "статус оплаты"),
        "paid_at": ("payment_time", "payment_date", "время оплаты"),
        "payment_method": ("method", "payment_type", "pay_method", "способ оплаты"),
        "booking_id": ("visit_id", "session_id", "order_id", "transaction_id", "номер брони"),
    },
)

GGLEAP = Format(
    name="ggleap", kind=VISITS, needs_club=True,
    required=("date", "user_name", "action"),
    columns={
        "date": ("time", "timestamp"),
        "user_name": ("username", "user"),
        "action": ("event",),
        "details": ("detail",),
        "employee_name": ("employee",),
        "machine_name": ("machine", "computer", "pc"),
    },
)

SMARTSHELL = Format(
    name="smartshell", kind=CUSTOMERS, needs_club=False,
    required=("nickname",),
    columns={
        "nickname": ("nick", "login", "никнейм", "ник", "логин"),
        "phone": ("телефон", "phone_number"),
        "status": ("статус",),
        "deposit": ("balance", "депозит", "баланс"),
        "personal_discount": ("discount", "персональная скидка", "скидка"),
        "last_session": ("last_visit", "последняя сессия", "последний сеанс", "последний визит"),
        "registration_date": ("registered", "registered_at", "дата регистрации", "регистрация"),
    },
)

FORMATS: dict[str, Format] = {f.name: f for f in (GENERIC, GGLEAP, SMARTSHELL)}
# the most specific first: a ggLeap or SmartShell header could also satisfy a looser format
DETECT_ORDER = (GGLEAP, SMARTSHELL, GENERIC)


class MappingProblem(ValueError):
    """The header lacks a required column, or a correction names a column that is not there."""


def key(name: str) -> str:
    """A column name as compared: lower case, spaces, dashes, dots and underscores alike."""
    return re.sub(r"[\s_\-.]+", "_", str(name).strip().lower()).strip("_")


def get_format(name: str) -> Format:
    try:
        return FORMATS[str(name).strip().lower()]
    except KeyError:
        raise MappingProblem(_("unknown format {name!r}; use one of {formats}").format(
            name=name, formats=", ".join(FORMATS))) from None


def mapping(fmt: Format, header: list[str], corrections: Mapping[str, str | None] | None = None) -> dict[str, str | None]:
    """For each of the format's columns, the header column that feeds it (None: not in the file).

    Exact names win over other names. `corrections` (column -> header column, or None to leave a
    column out) override the guess; MappingProblem if one names a column the header lacks, or a
    required column stays unmapped.
    """
    by_key = {key(h): h for h in header}
    out: dict[str, str | None] = {}
    used: set[str] = set()
    for column in fmt.columns:
        if key(column) in by_key:
            out[column] = by_key[key(column)]
            used.add(out[column])
    for column, names in fmt.columns.items():
        if out.get(column):
            continue
        found = next((by_key[key(n)] for n in names if key(n) in by_key and by_key[key(n)] not in used), None)
        out[column] = found
        if found:
            used.add(found)
    for column, source in (corrections or {}).items():
        if column not in fmt.columns:
            raise MappingProblem(_("the {format} format has no column {column!r}; its columns are {columns}").format(
                format=fmt.name, column=column, columns=", ".join(fmt.columns)))
        if source in (None, ""):
            out[column] = None
            continue
        match = by_key.get(key(source))
        if match is None:
            raise MappingProblem(_("the file has no column {source!r} to use as {column}; its columns are {columns}")
                                 .format(source=source, column=column, columns=", ".join(header)))
        out[column] = match
    missing = [c for c in fmt.required if not out.get(c)]
    if missing:
        raise MappingProblem(ngettext("the file lacks the {format} column {missing} (its columns are {columns})",
                                      "the file lacks the {format} columns {missing} (its columns are {columns})",
                                      len(missing)).format(format=fmt.name, missing=", ".join(missing),
                                                           columns=", ".join(header)))
    return out


def detect(header: list[str]) -> Format | None:
    """The format whose required columns the header has (the most specific first); None if none fits."""
    for fmt in DETECT_ORDER:
        try:
            mapping(fmt, header)
        except MappingProblem:
            continue
        return fmt
    return None
