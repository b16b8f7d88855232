"""Scenarios in plain words: the levers as phrases and a result's one-paragraph summary."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import numpy as np

from core.i18n import N_, _, ngettext, pgettext
from core.i18n.format import MISSING, money, number, percent, signed_number, signed_percent
from core.whatif.levers import ANY, Scenario

if TYPE_CHECKING:
    from core.whatif.result import ScenarioResult

HALL_WORDS = {"standard": N_("standard"), "vip": N_("VIP"), "bootcamp": N_("bootcamp"), "console": N_("console"),
              "streaming": N_("streaming")}
BAND_WORDS = {"morning": N_("morning"), "day": N_("day"), "evening": N_("evening"), "night": N_("night")}

# (raising, a hall type, a band) -> the phrase
_PRICE = {
    (True, False, False): N_("raising all prices by {pct}"),
    (True, True, False): N_("raising prices in {hall} halls by {pct}"),
    (True, False, True): N_("raising {band} prices by {pct}"),
    (True, True, True): N_("raising {band} prices in {hall} halls by {pct}"),
    (False, False, False): N_("cutting all prices by {pct}"),
    (False, True, False): N_("cutting prices in {hall} halls by {pct}"),
    (False, False, True): N_("cutting {band} prices by {pct}"),
    (False, True, True): N_("cutting {band} prices in {hall} halls by {pct}"),
}


def hall_label(hall_type: str) -> str:
    """'vip' -> 'VIP', 'console' -> 'console' (in the current language)."""
    return _(HALL_WORDS[hall_type]) if hall_type in HALL_WORDS else hall_type


def band_label(band: str) -> str:
    return _(BAND_WORDS[band]) if band in BAND_WORDS else band


def club_label(club_id: int, names: Mapping[int, str]) -> str:
    return names.get(club_id) or _("club {id}").format(id=club_id)


def _share(pct: float) -> str:
    """A percent amount (10 -> '10%', 12.5 -> '12.5%')."""
    return percent(pct / 100, 0 if float(pct).is_integer() else 1)


def pp(value: float | None) -> str:
    """A change in percentage points: '+1.2 pp' ('—' when missing)."""
    text = signed_number(value, 1)
    return text if text == MISSING else _("{value} pp").format(value=text)


def describe(scenario: Scenario, club_names: Mapping[int, str] | None = None,
             targeted: int | None = None) -> list[str]:
    """The levers in plain words, e.g. ['raising evening prices in VIP halls by 10%']."""
    names = club_names or {}
    parts = []
    for hall_type, band, pct in scenario.price_pct:
        phrase = _PRICE[(pct > 0, hall_type != ANY, band != ANY)]
        parts.append(_(phrase).format(pct=_share(abs(pct)), hall=hall_label(hall_type), band=band_label(band)))
    for club, hall_type, n in scenario.seat_changes:
        where = _("in every club") if club is None else _("at {club}").format(club=club_label(club, names))
        if n > 0:
            phrase = ngettext("adding {n} {hall} seat {where}", "adding {n} {hall} seats {where}", abs(n))
        else:
            phrase = ngettext("removing {n} {hall} seat {where}", "removing {n} {hall} seats {where}", abs(n))
        parts.append(phrase.format(n=number(abs(n)), hall=hall_label(hall_type), where=where))
    hours = scenario.hours
    if hours is not None:
        where = _("every club") if not hours.club_ids else ", ".join(club_label(c, names) for c in hours.club_ids)
        if hours.all_day:
            parts.append(_("opening 24 hours at {where}").format(where=where))
        else:
            parts.append(_("opening {hours} at {where}").format(hours=hours.label(), where=where))
    c = scenario.campaign
    if c is not None:
        who = pgettext("a campaign for", "customers") if targeted is None else \
            ngettext("{n} customer", "{n} customers", targeted).format(n=number(targeted))
        parts.append(_("a retention campaign for {who} with churn risk above {risk} ({discount} discount, "
                       "{stay} expected to stay)").format(who=who, risk=number(c.risk_threshold, None),
                                                          discount=_share(c.discount_pct), stay=percent(c.save_rate)))
    return parts


def _joined(parts: list[str]) -> str:
    if len(parts) == 1:
        return parts[0]
    return _("{first} and {last}").format(first=", ".join(parts[:-1]), last=parts[-1])


def _range(total: Mapping[str, float | None], key: str, show: Callable[[float], str]) -> str:
    """' (range -1.0% to +2.0%)', or nothing when the range is missing or negligible."""
    lo, hi = total[f"{key}_lo"], total[f"{key}_hi"]
    if lo is None or hi is None or not (np.isfinite(lo) and np.isfinite(hi)) or abs(hi - lo) < 0.05:
        return ""
    return " " + _("(range {lo} to {hi})").format(lo=show(lo), hi=show(hi))


def _pct_change(pct: float | None) -> str:
    return signed_percent(None if pct is None else pct / 100, 1)


def summary(result: ScenarioResult) -> str:
    """The result in one paragraph: what the levers do to revenue and utilization, and the campaign."""
    t = result.total
    targeted = result.campaign["targeted"] if result.campaign else None
    parts = describe(result.scenario, result.club_names, targeted)
    if not parts:
        return _("No levers are set: the scenario equals the baseline, {revenue} of revenue per 30 days at "
                 "{utilization} utilization.").format(revenue=money(t["revenue_base"], compact=True),
                                                      utilization=percent(t["utilization_base"]))
    text = _("{levers} would change revenue by {change}{change_range}, to {revenue} per 30 days, and utilization "
             "by {util}{util_range}.").format(
        levers=_joined(parts), change=_pct_change(t["revenue_change_pct"]),
        change_range=_range(t, "revenue_change_pct", _pct_change), revenue=money(t["revenue"], compact=True),
        util=pp(t["utilization_change_pp"]), util_range=_range(t, "utilization_change_pp", pp))
    c = result.campaign
    if c:
        roi = _("no cost") if c["roi"] is None else _("ROI {roi}").format(roi=percent(c["roi"]))
        text += " " + ngettext(
            "The campaign would keep about {saved} customers ({lo}–{hi}) and {retained} of revenue over {days} day "
            "for {cost} of contacts: net {net}, {roi}.",
            "The campaign would keep about {saved} customers ({lo}–{hi}) and {retained} of revenue over {days} days "
            "for {cost} of contacts: net {net}, {roi}.", c["horizon_days"]).format(
            saved=number(c["saved"]), lo=number(c["saved_lo"]), hi=number(c["saved_hi"]),
            retained=money(c["retained_revenue"], compact=True), days=number(c["horizon_days"]),
            cost=money(c["cost"], compact=True), net=money(c["net"], compact=True), roi=roi)
    return text[:1].upper() + text[1:]
