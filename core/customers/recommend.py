"""Recommended actions for each customer, with the reason in plain words and the expected value.

The rules read the models' outputs (churn risk, lifetime value, expected visits, upsell score)
and the customer's habits. Expected values are rough and documented in docs/models.md:
a retention action is worth (save rate x 12-month CLV - its cost); an upsell is worth
(extra spend per visit x expected visits in 90 days x take-up rate).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.customers.segments import segment_label
from core.i18n import N_, _, ngettext, use_locale
from core.i18n.format import money, number, percent, signed_percent
from core.platform.thresholds import HIGH_RISK, HIGH_VALUE_SHARE, MEDIUM_RISK

MAX_ACTIONS = 5


@dataclass(frozen=True)
class Action:
    code: str
    label: str  # English, marked for translation
    priority: int  # lower comes first when expected values tie or are unknown


ACTIONS = {a.code: a for a in [
    Action("manager_call", N_("Manager call"), 1),
    Action("personal_discount", N_("Personal 20% discount"), 2),
    Action("exclusive_offer", N_("Exclusive offer"), 3),
    Action("comeback_bonus", N_("Comeback bonus"), 4),
    Action("personal_email", N_("E-mail with personal offers"), 5),
    Action("second_visit_bonus", N_("Second-visit bonus"), 6),
    Action("offpeak_offer", N_("Off-peak offer in the favourite hall"), 7),
    Action("night_package", N_("Night package"), 8),
    Action("vip_package", N_("Offer the VIP package"), 9),
    Action("tournament_package", N_("Tournament package"), 10),
    Action("group_discounts", N_("Group discounts"), 11),
    Action("long_packages", N_("Offer long packages"), 12),
    Action("loyalty_programme", N_("Loyalty programme"), 13),
]}

# Each action's reason: a message with {fields} (or a function of the count `n` that picks the plural form).
# The fields are stored as numbers and codes with the recommendation and put into words when someone reads them.
REASONS: dict[str, str | Callable[[int], str]] = {
    "manager_call": N_("churn risk {risk}/100 and a lifetime value in the top {share} ({value})"),
    "personal_discount": N_("churn risk {risk}/100; worth {value} over 12 months if kept"),
    "exclusive_offer": N_("a {segment} customer whose churn risk rose to {risk}/100"),
    "comeback_bonus": N_("visits are slowing (trend {trend}), churn risk {risk}/100"),
    "personal_email": N_("medium churn risk ({risk}/100): a cheap reminder"),
    "second_visit_bonus": N_("came once; a second visit makes a regular far more likely"),
    "offpeak_offer": N_("the favourite {hall} hall is nearly full at peak; a daytime offer frees evening seats"),
    "night_package": N_("plays at night but pays by the hour"),
    "vip_package": N_("upsell score {score}/100 and does not play in VIP yet"),
    "tournament_package": lambda n: ngettext("plays often ({n} visit in 90 days) and likes competitive halls",
                                             "plays often ({n} visits in 90 days) and likes competitive halls", n),
    "group_discounts": N_("upsell score {score}/100: bring friends"),
    "long_packages": N_("sessions average {hours} hours"),
    "loyalty_programme": lambda n: ngettext("{n} visit in the last 90 days", "{n} visits in the last 90 days", n),
}
HALL_WORDS = {"standard": N_("standard"), "vip": N_("VIP"), "bootcamp": N_("bootcamp"), "console": N_("console"),
              "streaming": N_("streaming")}
FIELDS = {
    "risk": number, "score": number, "n": number, "value": money, "trend": signed_percent, "share": percent,
    "hours": lambda v: number(v, 1), "segment": segment_label,
    "hall": lambda h: _(HALL_WORDS[h]) if h in HALL_WORDS else str(h),
}


def action_label(code: str, fallback: str | None = None) -> str:
    """An action's name in the current language ('Manager call' / 'Звонок менеджера')."""
    action = ACTIONS.get(code)
    return _(action.label) if action is not None else (fallback or code)


def reason_text(action: dict[str, Any]) -> str:
    """A stored recommendation's reason in the current language (older rows keep their stored text)."""
    code, params = action.get("code"), action.get("reason_params")
    message = REASONS.get(code)
    if message is None or not isinstance(params, dict):
        return str(action.get("reason") or "")
    message = message(int(params.get("n", 0))) if callable(message) else _(message)
    return message.format(**{k: FIELDS[k](v) if k in FIELDS else v for k, v in params.items()})


# assumed response rates, used only for the expected value shown next to an action
SAVE_RATE = {"manager_call": 0.25, "personal_discount": 0.15, "exclusive_offer": 0.12, "comeback_bonus": 0.10,
             "personal_email": 0.04, "second_visit_bonus": 0.10}
TAKE_UP = {"vip_package": 0.10, "tournament_package": 0.08, "group_discounts": 0.08, "long_packages": 0.12,
           "night_package": 0.15, "offpeak_offer": 0.12, "loyalty_programme": 0.10}
COST = {"manager_call": 1500.0, "personal_email": 20.0}


def recommend(customers: pd.DataFrame, crowded_halls: set[tuple[int, str]] | None = None) -> list[list[dict]]:
    """Up to five actions per row of `customers`.

    Expected columns: churn_risk (0-100), clv_12m, upsell_score (0-100), segment, trend, avg_session_hours,
    visits_90d, frequency, monetary_avg, expected_visits_90d, fav_club_id, fav_hall_type, fav_band, night_share.
    Each action keeps its reason as `reason_params` (numbers and codes) for `reason_text` to put into the
    reader's language, plus English `label_en`, `reason` and a Russian `label_ru` for SQL clients.
    """
    crowded = crowded_halls or set()
    c = customers
    risk = c["churn_risk"].to_numpy(float)
    clv = c["clv_12m"].fillna(0).to_numpy(float)
    upsell = c["upsell_score"].to_numpy(float)
    spend = c["monetary_avg"].fillna(0).to_numpy(float)
    visits90 = c["expected_visits_90d"].fillna(0).to_numpy(float)
    clv_top20 = clv >= np.quantile(clv, 1 - HIGH_VALUE_SHARE) if len(clv) else clv.astype(bool)
    clv_top40 = clv >= np.quantile(clv, 0.6) if len(clv) else clv.astype(bool)
    hall = c["fav_hall_type"].astype(str).to_numpy()
    band = c["fav_band"].astype(str).to_numpy()
    loyal = c["segment"].isin(["Champions", "Loyal", "Can't lose"]).to_numpy()
    in_crowded = np.array([(int(k), h) in crowded for k, h in zip(c["fav_club_id"].fillna(0), hall)], dtype=bool)

    def retention(code: str) -> np.ndarray:
        return SAVE_RATE[code] * clv * (0.8 if code == "personal_discount" else 1.0) - COST.get(code, 0.0)

    def upsell_value(code: str, extra_share: float) -> np.ndarray:
        return TAKE_UP[code] * extra_share * spend * visits90

    seg = c["segment"].astype(str).to_numpy()
    trend = c["trend"].fillna(0).to_numpy(float)
    v90 = c["visits_90d"].to_numpy()
    hours = c["avg_session_hours"].fillna(0).to_numpy(float)
    high, medium = risk >= HIGH_RISK, (risk >= MEDIUM_RISK) & (risk < HIGH_RISK)
    rules: list[tuple[str, np.ndarray, np.ndarray, Callable[[int], dict[str, Any]]]] = [
        ("manager_call", high & clv_top20, retention("manager_call"),
         lambda i: {"risk": round(risk[i]), "share": HIGH_VALUE_SHARE, "value": round(clv[i])}),
        ("personal_discount", high & clv_top40, retention("personal_discount"),
         lambda i: {"risk": round(risk[i]), "value": round(clv[i])}),
        ("exclusive_offer", high & loyal, retention("exclusive_offer"),
         lambda i: {"segment": str(seg[i]), "risk": round(risk[i])}),
        # every customer at risk gets a retention action: the value-gated ones above, or this cheap one
        ("comeback_bonus", medium | (high & ~clv_top40 & ~loyal), retention("comeback_bonus"),
         lambda i: {"trend": round(float(trend[i]), 3), "risk": round(risk[i])}),
        ("personal_email", medium, retention("personal_email"), lambda i: {"risk": round(risk[i])}),
        ("second_visit_bonus", (c["frequency"].to_numpy() <= 1) & (risk >= MEDIUM_RISK),
         retention("second_visit_bonus"), lambda i: {}),
        ("offpeak_offer", in_crowded & (band == "evening"), upsell_value("offpeak_offer", 0.3),
         lambda i: {"hall": str(hall[i])}),
        ("night_package", (band == "night") & (c["night_share"].fillna(0).to_numpy(float) < 0.3),
         upsell_value("night_package", 0.4), lambda i: {}),
        ("vip_package", (upsell >= 80) & (hall != "vip"), upsell_value("vip_package", 0.8),
         lambda i: {"score": round(upsell[i])}),
        ("tournament_package", (upsell >= 80) & ((hall == "bootcamp") | (v90 >= 24)),
         upsell_value("tournament_package", 0.5), lambda i: {"n": int(v90[i])}),
        ("group_discounts", (upsell >= 60) & (upsell < 80), upsell_value("group_discounts", 0.3),
         lambda i: {"score": round(upsell[i])}),
        ("long_packages", hours > 3, upsell_value("long_packages", 0.15),
         lambda i: {"hours": round(float(hours[i]), 1)}),
        ("loyalty_programme", v90 >= 20, upsell_value("loyalty_programme", 0.1), lambda i: {"n": int(v90[i])}),
    ]
    with use_locale("ru"):
        russian = {code: action_label(code) for code in ACTIONS}
    out: list[list[dict]] = [[] for _ in range(len(c))]
    for code, mask, value, params in rules:
        action = ACTIONS[code]
        for i in np.flatnonzero(mask):
            ev = float(value[i])
            out[i].append({"code": code, "label_en": action.label, "label_ru": russian[code],
                           "reason_params": params(i), "expected_value": round(ev, -1) if np.isfinite(ev) else None,
                           "_p": action.priority})
    with use_locale("en"):  # an English reason too, for SQL clients of ai_customer_segmentation()
        for actions in out:
            actions.sort(key=lambda a: (-(a["expected_value"] or 0), a["_p"]))
            del actions[MAX_ACTIONS:]
            for a in actions:
                a.pop("_p")
                a["reason"] = reason_text(a)
    return out
