"""Data health: what the data covers and what in it looks wrong, for the Data page and `oyna data check`.

Findings are `problem` (the data is wrong: overlapping seats, money on cancelled bookings, negative or
absurd amounts and visit lengths; `oyna data check` exits non-zero), `warning` (worth a look: days
without visits inside a club's history, duplicate customers, visits without payments, payments
that differ from the price) or `ok`. Every query is limited to the clubs given.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy.engine import Engine

from core.accounts import Account, Role, mask_customers
from core.i18n import _
from core.i18n.format import money
from core.platform.db import query_df

from core.platform.thresholds import HEALTH_MAX_AMOUNT as MAX_AMOUNT  # counted by the rollups (migration 023)
from core.platform.thresholds import HEALTH_MAX_VISIT_HOURS as MAX_VISIT_HOURS
from core.platform.thresholds import HEALTH_MIN_VISIT_MINUTES as MIN_VISIT_MINUTES

MIN_GAP_DAYS = 1         # days in a row without visits that count as a gap
SHOWN = 20               # gaps and duplicate groups listed

OK, WARNING, PROBLEM = "ok", "warning", "problem"


@dataclass(frozen=True)
class Finding:
    key: str
    level: str
    count: int
    title: str


@dataclass
class Health:
    coverage: pd.DataFrame    # per club: first_day, last_day, days_with_visits, days_without_visits, visits
    gaps: pd.DataFrame        # club_name, first_day, last_day, days (longest first)
    totals: dict[str, int]    # customers, customers_with_visits, visits, repeat_customers, ...
    duplicates: dict[str, pd.DataFrame]  # "email" / "phone" -> value, customers, user_ids, groups
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(f.level == PROBLEM for f in self.findings)

    @property
    def first_day(self):
        days = self.coverage.first_day.dropna()
        return days.min() if len(days) else None

    @property
    def last_day(self):
        days = self.coverage.last_day.dropna()
        return days.max() if len(days) else None


def check(engine: Engine, *, club_ids: Sequence[int], viewer: Account | Role | str | None) -> Health:
    """The health of the data at some clubs; contacts in duplicates are masked unless `viewer` may see them."""
    ids = [int(c) for c in club_ids]
    with ThreadPoolExecutor(max_workers=4) as pool:
        coverage = pool.submit(query_df, engine, "data/health_coverage", club_ids=ids)
        gaps = pool.submit(query_df, engine, "data/health_gaps", club_ids=ids, min_days=MIN_GAP_DAYS, limit=SHOWN)
        totals = pool.submit(query_df, engine, "data/health_customers", club_ids=ids)
        duplicates = pool.submit(query_df, engine, "data/health_duplicates", club_ids=ids, limit=SHOWN)
        checks = pool.submit(query_df, engine, "data/health_checks", club_ids=ids)
        coverage, gaps, totals, duplicates, checks = (f.result() for f in (coverage, gaps, totals, duplicates,
                                                                           checks))
    counts = {k: 0 for k in totals.columns}  # no row when no club is in scope
    counts.update({k: int(v) for k, v in (totals.iloc[0].to_dict() if len(totals) else {}).items() if pd.notna(v)})
    found = {k: int(v) for k, v in checks.iloc[0].to_dict().items()} if len(checks) else {}
    by_kind = {}
    # the server's operator (oyna data check) sees contacts; an account as masking says
    operator = not isinstance(viewer, Account) and str(getattr(viewer, "value", viewer)) == Role.MANAGER.value
    for kind in ("email", "phone"):
        part = duplicates[duplicates.kind == kind].drop(columns=["kind"]).rename(columns={"value": kind})
        part = part.reset_index(drop=True)
        by_kind[kind] = part if operator else mask_customers(part, viewer if isinstance(viewer, Account) else None)
    health = Health(coverage=coverage, gaps=gaps, totals=counts, duplicates=by_kind)
    health.findings = findings(health, found)
    return health


def findings(health: Health, found: dict[str, int]) -> list[Finding]:
    gap_days = int(health.coverage.days_without_visits.sum()) if len(health.coverage) else 0

    def groups(kind: str) -> int:
        part = health.duplicates[kind]
        return int(part.groups.iloc[0]) if len(part) else 0

    rows = [
        ("seat_overlaps", PROBLEM, found.get("seat_overlaps", 0), _("bookings that overlap another on the same seat")),
        ("payments_without_visit", PROBLEM, found.get("payments_without_visit", 0),
         _("cancelled bookings that kept a payment (payments without a visit)")),
        ("negative_amounts", PROBLEM, found.get("negative_amounts", 0), _("payments with a negative amount")),
        ("absurd_amounts", PROBLEM, found.get("absurd_amounts", 0),
         _("payments above {amount} for one visit").format(amount=money(MAX_AMOUNT))),
        ("short_visits", PROBLEM, found.get("short_visits", 0),
         _("visits shorter than {minutes} minute").format(minutes=MIN_VISIT_MINUTES)),
        ("long_visits", PROBLEM, found.get("long_visits", 0),
         _("visits longer than {hours} hours").format(hours=MAX_VISIT_HOURS)),
        ("visits_without_payment", WARNING, found.get("visits_without_payment", 0),
         _("visits without a payment")),
        ("payments_not_matching", WARNING, found.get("payments_not_matching", 0),
         _("bookings whose payments differ from the price")),
        ("gap_days", WARNING, gap_days, _("days without any visit inside a club's history")),
        ("duplicate_emails", WARNING, groups("email"), _("e-mails shared by several customers")),
        ("duplicate_phones", WARNING, groups("phone"), _("phone numbers shared by several customers")),
    ]
    return [Finding(key, level if count else OK, int(count), title) for key, level, count, title in rows]
