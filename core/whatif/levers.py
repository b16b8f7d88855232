"""The levers of a what-if scenario and their checks.

`Scenario` is a frozen, validated set of levers: price changes by hall type and time band, a price
elasticity set by hand, a `RetentionCampaign`, seat changes and new `OpeningHours`. Bad input raises
`ScenarioError` (a ValueError) with a message that says what to change.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from core.i18n import _
from core.i18n.format import number, signed_percent
from core.platform.thresholds import HIGH_RISK

HALL_TYPES = ("standard", "vip", "bootcamp", "console", "streaming")
BANDS = ("morning", "day", "evening", "night")
ANY = "*"
PRICE_PCT_RANGE = (-50.0, 100.0)
ELASTICITY_RANGE = (-5.0, 0.0)
MAX_SEAT_CHANGE = 1000


class ScenarioError(ValueError):
    """Bad input to a scenario; the message says what to change."""


def _number(value: Any, what: str) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ScenarioError(_("{what} must be a number, got {value!r}").format(what=what, value=value)) from None
    if not math.isfinite(x):
        raise ScenarioError(_("{what} must be a finite number, got {value!r}").format(what=what, value=value))
    return x


def _between(value: Any, lo: float, hi: float, what: str) -> float:
    x = _number(value, what)
    if not lo <= x <= hi:
        raise ScenarioError(_("{what} must be between {lo} and {hi}, got {value}").format(
            what=what, lo=number(lo, None), hi=number(hi, None), value=number(x, None)))
    return x


def _hour(value: Any, what: str) -> int:
    x = _number(value, what)
    if x != int(x) or not 0 <= x <= 23:
        raise ScenarioError(_("{what} must be a whole hour from 0 to 23, got {value!r}").format(what=what, value=value))
    return int(x)


def _signed_pct(pct: float) -> str:
    """A price change in percent points as '+10%' or '-12.5%'."""
    return signed_percent(pct / 100, 0 if float(pct).is_integer() else 1)


@dataclass(frozen=True)
class RetentionCampaign:
    """Contact every customer whose churn risk (0–100) is above `risk_threshold`."""

    risk_threshold: float = HIGH_RISK
    discount_pct: float = 10.0          # discount offered to those who stay, percent of their spend
    save_rate: float = 0.2              # expected share of contacted customers who stay (0–1)
    cost_per_contact: float = 300.0     # KZT per contacted customer
    horizon_days: int = 90

    def __post_init__(self) -> None:
        object.__setattr__(self, "risk_threshold",
                           _between(self.risk_threshold, 0, 100, _("the churn-risk threshold")))
        object.__setattr__(self, "discount_pct", _between(self.discount_pct, 0, 100, _("the discount (%)")))
        object.__setattr__(self, "save_rate", _between(self.save_rate, 0, 1, _("the save rate")))
        cost = _number(self.cost_per_contact, _("the cost per contact"))
        if cost < 0:
            raise ScenarioError(_("the cost per contact cannot be negative, got {value}").format(
                value=number(cost, None)))
        object.__setattr__(self, "cost_per_contact", cost)
        days = _between(self.horizon_days, 1, 365, _("the campaign horizon (days)"))
        if days != int(days):
            raise ScenarioError(_("the campaign horizon must be a whole number of days"))
        object.__setattr__(self, "horizon_days", int(days))


@dataclass(frozen=True)
class OpeningHours:
    """New opening hours (local, whole hours; `opens_at == closes_at` means 24 hours)."""

    opens_at: int = 0
    closes_at: int = 0
    club_ids: tuple[int, ...] = ()      # empty: every club of the baseline
    shift_share: float = 0.3            # share of the changed hours' demand that moves to / comes from other hours

    def __post_init__(self) -> None:
        object.__setattr__(self, "opens_at", _hour(self.opens_at, _("the opening hour")))
        object.__setattr__(self, "closes_at", _hour(self.closes_at, _("the closing hour")))
        object.__setattr__(self, "club_ids", check_club_ids(self.club_ids))
        object.__setattr__(self, "shift_share", _between(self.shift_share, 0, 1, _("the shifted share")))

    @property
    def all_day(self) -> bool:
        return self.opens_at == self.closes_at

    def is_open(self, hour: np.ndarray | int) -> np.ndarray | bool:
        h = np.asarray(hour)
        if self.all_day:
            return np.ones_like(h, dtype=bool) if h.ndim else True
        if self.opens_at < self.closes_at:
            out = (h >= self.opens_at) & (h < self.closes_at)
        else:
            out = (h >= self.opens_at) | (h < self.closes_at)
        return out if h.ndim else bool(out)

    def label(self) -> str:
        return _("24 hours") if self.all_day else f"{self.opens_at:02d}:00–{self.closes_at:02d}:00"


def check_club_ids(value: Any) -> tuple[int, ...]:
    """One club id or several -> sorted unique positive ints (None: none)."""
    if value is None:
        return ()
    if isinstance(value, (int, np.integer)):
        value = (value,)
    out = []
    for v in value:
        x = _number(v, _("a club id"))
        if x != int(x) or x <= 0:
            raise ScenarioError(_("a club id must be a positive whole number, got {value!r}").format(value=v))
        out.append(int(x))
    return tuple(sorted(set(out)))


def _price_entries(value: Any) -> tuple[tuple[str, str, float], ...]:
    """{(hall type, band): pct} or [(hall type, band, pct), ...] -> sorted triples; '*' means any."""
    if value is None:
        return ()
    items = [(k[0], k[1], v) for k, v in value.items()] if isinstance(value, Mapping) else list(value)
    out: dict[tuple[str, str], float] = {}
    for item in items:
        try:
            hall_type, band, pct = item
        except (TypeError, ValueError):
            raise ScenarioError(_("a price change is (hall type, band, percent), got {item!r}").format(
                item=item)) from None
        hall_type, band = str(hall_type).strip().lower(), str(band).strip().lower()
        if hall_type not in (*HALL_TYPES, ANY):
            raise ScenarioError(_("unknown hall type {hall!r}; use one of {known} or '*'").format(
                hall=hall_type, known=", ".join(HALL_TYPES)))
        if band not in (*BANDS, ANY):
            raise ScenarioError(_("unknown time band {band!r}; use one of {known} or '*'").format(
                band=band, known=", ".join(BANDS)))
        where = f"{hall_type}/{band}"
        pct = _number(pct, _("the price change for {where}").format(where=where))
        if not PRICE_PCT_RANGE[0] <= pct <= PRICE_PCT_RANGE[1]:
            raise ScenarioError(_("a price change must be between {lo} and {hi}, got {value} for {where}").format(
                lo=_signed_pct(PRICE_PCT_RANGE[0]), hi=_signed_pct(PRICE_PCT_RANGE[1]), value=_signed_pct(pct),
                where=where))
        if (hall_type, band) in out:
            raise ScenarioError(_("the price change for {where} is given twice").format(where=where))
        if pct != 0:
            out[(hall_type, band)] = pct
    return tuple(sorted((h, b, p) for (h, b), p in out.items()))


def _seat_entries(value: Any) -> tuple[tuple[int | None, str, int], ...]:
    """{hall type: n} / {(club id, hall type): n} / [(club id or None, hall type, n)] -> sorted triples."""
    if value is None:
        return ()
    if isinstance(value, Mapping):
        items = [((None, k) if isinstance(k, str) else tuple(k)) + (v,) for k, v in value.items()]
    else:
        items = [tuple(x) for x in value]
    out: dict[tuple[int | None, str], int] = {}
    for item in items:
        if len(item) == 2:
            item = (None, *item)
        try:
            club, hall_type, n = item
        except (TypeError, ValueError):
            raise ScenarioError(_("a seat change is (club id or None, hall type, seats), got {item!r}").format(
                item=item)) from None
        club = None if club in (None, 0, ANY) else check_club_ids([club])[0]
        hall_type = str(hall_type).strip().lower()
        if hall_type not in HALL_TYPES:
            raise ScenarioError(_("unknown hall type {hall!r}; use one of {known}").format(
                hall=hall_type, known=", ".join(HALL_TYPES)))
        x = _number(n, _("a change in seats"))
        if x != int(x):
            raise ScenarioError(_("seats are whole numbers, got {value!r}").format(value=n))
        if abs(x) > MAX_SEAT_CHANGE:
            raise ScenarioError(_("a change of {n} seats is not plausible (at most ±{most})").format(
                n=number(x), most=number(MAX_SEAT_CHANGE)))
        if (club, hall_type) in out:
            where = _("every club") if club is None else club
            raise ScenarioError(_("the seat change for {hall} at {where} is given twice").format(
                hall=hall_type, where=where))
        if x != 0:
            out[(club, hall_type)] = int(x)
    return tuple(sorted(((c, h, n) for (c, h), n in out.items()), key=lambda t: (t[0] or 0, t[1])))


@dataclass(frozen=True)
class Scenario:
    """Levers of a what-if scenario. Build it with plain values; it validates and normalises them.

    price_pct     {(hall type, band): percent} ('*' for any), e.g. {("vip", "evening"): 10};
                  each cell uses the most specific entry; −50 … +100
    elasticity    price elasticity of demand set by hand (−5 … 0); None: the baseline's estimate
    campaign      a RetentionCampaign, or None
    seat_changes  {hall type: seats} for every club, or {(club id, hall type): seats}; negative removes
    hours         new OpeningHours, or None to keep each club's hours
    """

    price_pct: tuple[tuple[str, str, float], ...] = ()
    elasticity: float | None = None
    campaign: RetentionCampaign | None = None
    seat_changes: tuple[tuple[int | None, str, int], ...] = ()
    hours: OpeningHours | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "price_pct", _price_entries(self.price_pct))
        object.__setattr__(self, "seat_changes", _seat_entries(self.seat_changes))
        if self.elasticity is not None:
            x = _number(self.elasticity, _("the price elasticity"))
            lo, hi = ELASTICITY_RANGE
            if not lo <= x <= hi:
                raise ScenarioError(_("the price elasticity must be between {lo} and {hi} (demand falls as price "
                                      "rises), got {value}").format(lo=number(lo, None), hi=number(hi, None),
                                                                    value=number(x, None)))
            object.__setattr__(self, "elasticity", x)
        if isinstance(self.campaign, Mapping):
            object.__setattr__(self, "campaign", RetentionCampaign(**self.campaign))
        elif self.campaign is not None and not isinstance(self.campaign, RetentionCampaign):
            raise ScenarioError(_("campaign must be a RetentionCampaign or None"))
        if isinstance(self.hours, Mapping):
            object.__setattr__(self, "hours", OpeningHours(**self.hours))
        elif self.hours is not None and not isinstance(self.hours, OpeningHours):
            raise ScenarioError(_("hours must be OpeningHours or None"))

    @property
    def is_empty(self) -> bool:
        return not (self.price_pct or self.campaign or self.seat_changes or self.hours)

    def price_change(self, hall_type: str, band: str) -> float:
        """The percent change for a hall type and band: the most specific entry wins."""
        table = {(h, b): p for h, b, p in self.price_pct}
        for key in ((hall_type, band), (hall_type, ANY), (ANY, band), (ANY, ANY)):
            if key in table:
                return table[key]
        return 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "price_pct": [list(x) for x in self.price_pct],
            "elasticity": self.elasticity,
            "campaign": None if self.campaign is None else {f.name: getattr(self.campaign, f.name)
                                                             for f in fields(self.campaign)},
            "seat_changes": [list(x) for x in self.seat_changes],
            "hours": None if self.hours is None else {"opens_at": self.hours.opens_at,
                                                      "closes_at": self.hours.closes_at,
                                                      "club_ids": list(self.hours.club_ids),
                                                      "shift_share": self.hours.shift_share},
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Scenario:
        unknown = set(d) - {f.name for f in fields(cls)}
        if unknown:
            raise ScenarioError(_("unknown scenario fields: {names}").format(names=", ".join(sorted(unknown))))
        hours = d.get("hours")
        if hours is not None:
            hours = OpeningHours(**{**hours, "club_ids": tuple(hours.get("club_ids") or ())})
        campaign = d.get("campaign")
        return cls(price_pct=[tuple(x) for x in d.get("price_pct") or ()],
                   elasticity=d.get("elasticity"),
                   campaign=RetentionCampaign(**campaign) if campaign else None,
                   seat_changes=[tuple(x) for x in d.get("seat_changes") or ()],
                   hours=hours)
