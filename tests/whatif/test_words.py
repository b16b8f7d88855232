"""Scenarios in plain words, and the levers' defaults that come from the product's thresholds."""

from __future__ import annotations

from core.i18n import use_locale
from core.platform.thresholds import HIGH_RISK
from core.whatif.levers import OpeningHours, RetentionCampaign, Scenario
from core.whatif.words import describe, pp


def test_levers_in_plain_words():
    s = Scenario(price_pct={("vip", "evening"): 10, ("*", "*"): -12.5, ("console", "*"): 5, ("*", "night"): 20},
                 seat_changes={"console": 1, (2, "vip"): -3}, hours=OpeningHours(10, 2, club_ids=(2,)),
                 campaign=RetentionCampaign(risk_threshold=65, discount_pct=15, save_rate=0.3))
    assert describe(s, {2: "Respawn"}, targeted=1) == [
        "cutting all prices by 12.5%",
        "raising night prices by 20%",
        "raising prices in console halls by 5%",
        "raising evening prices in VIP halls by 10%",
        "adding 1 console seat in every club",
        "removing 3 VIP seats at Respawn",
        "opening 10:00–02:00 at Respawn",
        "a retention campaign for 1 customer with churn risk above 65 (15% discount, 30% expected to stay)",
    ]
    assert describe(Scenario(hours=OpeningHours(0, 0), campaign=RetentionCampaign())) == [
        "opening 24 hours at every club",
        f"a retention campaign for customers with churn risk above {HIGH_RISK:g} (10% discount, 20% expected to stay)",
    ]
    assert describe(Scenario()) == []


def test_percentage_points_are_signed():
    assert pp(1.26) == "+1.3 pp"
    assert pp(-0.04) == "0.0 pp"          # no sign on what rounds to zero
    assert pp(-2) == "-2.0 pp"
    assert pp(None) == "—"
    with use_locale("ru"):
        assert pp(-2.5) == "-2,5\u00a0п.\u00a0п."  # the language's decimal sign and unit


def test_campaign_threshold_defaults_to_high_risk():
    assert RetentionCampaign().risk_threshold == HIGH_RISK
