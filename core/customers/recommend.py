"""Recommended actions for each customer, with the reason in plain words and the expected value.

The rules read the models' outputs (churn risk, lifetime value, expected visits, upsell score)
and the customer's habits. Expected values are rough and documented in docs/models.md:
a retention action is worth (save rate x 12-month CLV - its cost); an upsell is worth
(extra spend per visit x expected visits in 90 days x take-up rate).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.i18n import _, ngettext
from core.i18n.format import money, number, signed_percent
from core.platform.thresholds import HIGH_RISK, MEDIUM_RISK

MAX_ACTIONS = 5


@dataclass(frozen=True)
class Action:
    code: str
    label_en: str
    label_ru: str
    priority: int  # lower comes first when expected values tie or are unknown


ACTIONS = {a.code: a for a in [
    Action("manager_call", "Manager call", "Звонок менеджера", 1),
    Action("personal_discount", "Personal 20% discount", "Персональная скидка 20%", 2),
    Action("exclusive_offer", "Exclusive offer", "Эксклюзивное предложение", 3),
    Action("comeback_bonus", "Comeback bonus", "Бонусы за возвращение", 4),
    Action("personal_email", "E-mail with personal offers", "Email с персональными предложениями", 5),
    Action("second_visit_bonus", "Second-visit bonus", "Бонус за второй визит", 6),
    Action("offpeak_offer", "Off-peak offer in the favourite hall", "Скидка в непиковые часы в любимом зале", 7),
    Action("night_package", "Night package", "Ночной пакет", 8),
    Action("vip_package", "Offer the VIP package", "Предложить VIP пакет", 9),
    Action("tournament_package", "Tournament package", "Турнирный пакет", 10),
    Action("group_discounts", "Group discounts", "Групповые скидки", 11),
    Action("long_packages", "Offer long packages", "Предложить длительные пакеты", 12),
    Action("loyalty_programme", "Loyalty programme", "Программа лояльности", 13),
]}

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
    Reasons are in the current language (`core.i18n`); the labels come in English and Russian.
    """
    crowded = crowded_halls or set()
    c = customers
    risk = c["churn_risk"].to_numpy(float)
    clv = c["clv_12m"].fillna(0).to_numpy(float)
    upsell = c["upsell_score"].to_numpy(float)
    spend = c["monetary_avg"].fillna(0).to_numpy(float)
    visits90 = c["expected_visits_90d"].fillna(0).to_numpy(float)
    clv_top20 = clv >= np.quantile(clv, 0.8) if len(clv) else clv.astype(bool)
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
    rules: list[tuple[str, np.ndarray, np.ndarray, Callable[[int], str]]] = [
        ("manager_call", high & clv_top20, retention("manager_call"),
         lambda i: _("churn risk {risk}/100 and a top-20% lifetime value ({value})").format(
             risk=number(risk[i]), value=money(clv[i]))),
        ("personal_discount", high & clv_top40, retention("personal_discount"),
         lambda i: _("churn risk {risk}/100; worth {value} over 12 months if kept").format(
             risk=number(risk[i]), value=money(clv[i]))),
        ("exclusive_offer", high & loyal, retention("exclusive_offer"),
         lambda i: _("a {segment} customer whose churn risk rose to {risk}/100").format(
             segment=seg[i], risk=number(risk[i]))),
        ("comeback_bonus", medium, retention("comeback_bonus"),
         lambda i: _("visits are slowing (trend {trend}), churn risk {risk}/100").format(
             trend=signed_percent(trend[i]), risk=number(risk[i]))),
        ("personal_email", medium, retention("personal_email"),
         lambda i: _("medium churn risk ({risk}/100): a cheap reminder").format(risk=number(risk[i]))),
        ("second_visit_bonus", (c["frequency"].to_numpy() <= 1) & (risk >= MEDIUM_RISK),
         retention("second_visit_bonus"),
         lambda i: _("came once; a second visit makes a regular far more likely")),
        ("offpeak_offer", in_crowded & (band == "evening"), upsell_value("offpeak_offer", 0.3),
         lambda i: _("the favourite {hall} hall is nearly full at peak; a daytime offer frees evening seats").format(
             hall=hall[i])),
        ("night_package", (band == "night") & (c["night_share"].fillna(0).to_numpy(float) < 0.3),
         upsell_value("night_package", 0.4), lambda i: _("plays at night but pays by the hour")),
        ("vip_package", (upsell >= 80) & (hall != "vip"), upsell_value("vip_package", 0.8),
         lambda i: _("upsell score {score}/100 and does not play in VIP yet").format(score=number(upsell[i]))),
        ("tournament_package", (upsell >= 80) & ((hall == "bootcamp") | (v90 >= 24)),
         upsell_value("tournament_package", 0.5),
         lambda i: ngettext("plays often ({n} visit in 90 days) and likes competitive halls",
                            "plays often ({n} visits in 90 days) and likes competitive halls",
                            int(v90[i])).format(n=number(v90[i]))),
        ("group_discounts", (upsell >= 60) & (upsell < 80), upsell_value("group_discounts", 0.3),
         lambda i: _("upsell score {score}/100: bring friends").format(score=number(upsell[i]))),
        ("long_packages", hours > 3, upsell_value("long_packages", 0.15),
         lambda i: _("sessions average {hours} hours").format(hours=number(hours[i], 1))),
        ("loyalty_programme", v90 >= 20, upsell_value("loyalty_programme", 0.1),
         lambda i: ngettext("{n} visit in the last 90 days", "{n} visits in the last 90 days",
                            int(v90[i])).format(n=number(v90[i]))),
    ]
    out: list[list[dict]] = [[] for _ in range(len(c))]
    for code, mask, value, reason in rules:
        action = ACTIONS[code]
        for i in np.flatnonzero(mask):
            ev = float(value[i])
            out[i].append({"code": code, "label_en": action.label_en, "label_ru": action.label_ru,
                           "reason": reason(i), "expected_value": round(ev, -1) if np.isfinite(ev) else None,
                           "_p": action.priority})
    for actions in out:
        actions.sort(key=lambda a: (-(a["expected_value"] or 0), a["_p"]))
        del actions[MAX_ACTIONS:]
        for a in actions:
            a.pop("_p")
    return out
