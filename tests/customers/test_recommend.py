import pandas as pd

from core.customers.recommend import MAX_ACTIONS, action_label, reason_text, recommend
from core.i18n import use_locale
from core.i18n.format import money, number
from core.platform.thresholds import HIGH_RISK, HIGH_VALUE_SHARE, MEDIUM_RISK


def _customers(**overrides):
    base = dict(churn_risk=10.0, clv_12m=10_000.0, upsell_score=30.0, segment="Loyal", trend=0.0,
                avg_session_hours=2.0, visits_90d=5, frequency=6, monetary_avg=2000.0,
                expected_visits_90d=4.0, fav_club_id=1, fav_hall_type="standard", fav_band="evening",
                night_share=0.0)
    rows = [base] * 9 + [{**base, **overrides}]
    return pd.DataFrame(rows)


def codes(actions):
    return [a["code"] for a in actions]


def test_high_risk_valuable_customer_gets_retention_actions():
    out = recommend(_customers(churn_risk=85.0, clv_12m=90_000.0))[-1]
    assert {"manager_call", "personal_discount", "exclusive_offer"} <= set(codes(out))
    call = next(a for a in out if a["code"] == "manager_call")
    assert "85/100" in call["reason"] and call["expected_value"] > 0
    assert call["label_en"] == "Manager call" and call["label_ru"] == "Звонок менеджера"
    assert call["reason_params"] == {"risk": 85, "share": HIGH_VALUE_SHARE, "value": 90_000}
    assert call["reason"] == f"churn risk 85/100 and a lifetime value in the top {HIGH_VALUE_SHARE:.0%} (₸90,000)"


def test_low_risk_customer_gets_no_retention_actions():
    out = recommend(_customers())[-1]
    assert not {"manager_call", "personal_discount", "comeback_bonus"} & set(codes(out))


def test_every_customer_at_risk_gets_a_retention_action():
    retention = {"manager_call", "personal_discount", "exclusive_offer", "comeback_bonus", "personal_email",
                 "second_visit_bonus"}
    for risk in (MEDIUM_RISK, HIGH_RISK, 100.0):
        for clv in (0.0, 500.0, 90_000.0):
            for segment in ("New", "At risk", "Loyal"):
                for frequency in (1, 15):
                    out = recommend(_customers(churn_risk=risk, clv_12m=clv, segment=segment, frequency=frequency))[-1]
                    assert retention & set(codes(out)), (risk, clv, segment, frequency)
    # a new customer who came fifteen times and stopped, worth little: the cheap comeback bonus
    out = recommend(_customers(churn_risk=100.0, clv_12m=500.0, segment="New", frequency=15))[-1]
    assert "comeback_bonus" in codes(out) and "manager_call" not in codes(out)


def test_upsell_and_habits():
    out = recommend(_customers(upsell_score=90.0, avg_session_hours=4.5, visits_90d=30))[-1]
    assert {"vip_package", "tournament_package", "long_packages", "loyalty_programme"} <= set(codes(out))
    night = recommend(_customers(fav_band="night", night_share=0.0))[-1]
    assert "night_package" in codes(night)


def test_offpeak_offer_only_for_crowded_favourite_halls():
    crowd = {(1, "standard")}
    assert "offpeak_offer" in codes(recommend(_customers(), crowd)[-1])
    assert "offpeak_offer" not in codes(recommend(_customers(fav_hall_type="vip"), crowd)[-1])


def test_at_most_five_sorted_by_value():
    out = recommend(_customers(churn_risk=85.0, clv_12m=90_000.0, upsell_score=90.0, avg_session_hours=5.0,
                               visits_90d=40, fav_band="night"))[-1]
    assert len(out) == MAX_ACTIONS
    values = [a["expected_value"] for a in out]
    assert values == sorted(values, reverse=True)


def test_risk_bands_are_the_product_thresholds():
    valuable = dict(clv_12m=90_000.0)
    assert "manager_call" in codes(recommend(_customers(churn_risk=HIGH_RISK, **valuable))[-1])
    below = codes(recommend(_customers(churn_risk=HIGH_RISK - 0.1, **valuable))[-1])
    assert "manager_call" not in below and "comeback_bonus" in below
    assert "comeback_bonus" in codes(recommend(_customers(churn_risk=MEDIUM_RISK))[-1])
    assert "comeback_bonus" not in codes(recommend(_customers(churn_risk=MEDIUM_RISK - 0.1))[-1])


def test_reasons_are_put_into_the_readers_language():
    customers = _customers(churn_risk=85.0, clv_12m=90_000.0, avg_session_hours=4.5)
    with use_locale("ru"):
        stored = recommend(customers)[-1]  # stored the same whoever retrains
    assert stored == recommend(customers)[-1]
    reasons = {}
    for language in ("en", "ru"):
        with use_locale(language):
            reasons[language] = {a["code"]: reason_text(a) for a in stored}
            assert money(90_000) in reasons[language]["manager_call"]
            assert number(4.5, 1) in reasons[language]["long_packages"]
    assert "₸90,000" in reasons["en"]["manager_call"] and "4.5 hours" in reasons["en"]["long_packages"]
    assert "90\u00a0000\u00a0₸" in reasons["ru"]["manager_call"] and "4,5" in reasons["ru"]["long_packages"]


def test_labels_in_the_readers_language_and_older_rows_keep_their_text():
    with use_locale("ru"):
        assert action_label("vip_package") == "Предложить VIP-пакет"
        assert reason_text({"code": "manager_call", "reason": "old text"}) == "old text"
    assert action_label("unknown", "Stored") == "Stored"
