"""The campaign measurement in SQL on the tier-S database: bookings planted after the start for chosen
customers move exactly the numbers they should, and nothing else."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest
import sqlalchemy as sa

from core.campaigns import Audience, CampaignPlan, create_campaign, service
from core.campaigns.measure import compare_groups, measure
from core.platform.db import load_sql, query_df
from tests.campaigns.support import every_club, purge_campaigns
from tests.conftest import CHAIN_VIEWER, TODAY

PRICE = 2_000


@pytest.fixture(scope="module")
def campaign(engine, trained) -> Iterator[int]:
    """A campaign that started 20 days ago (30-day window) on the riskiest 60% of customers."""
    from tests.campaigns.conftest import _account
    from core.accounts import Role

    plan = CampaignPlan(name="Planted", offer="a free hour", cost_per_contact=100, window_days=30,
                        starts_on=TODAY - timedelta(days=20), audience=Audience("top", 60), seed=3)
    campaign_id, _ = create_campaign(engine, plan, account=_account(Role.MANAGER), club_ids=every_club(engine))
    yield campaign_id
    purge_campaigns(engine, [campaign_id])


class Planter:
    """Books seats for chosen customers at chosen times (with a successful payment), and removes them."""

    def __init__(self, engine):
        self.engine, self.bookings, self.since = engine, [], datetime.now(timezone.utc)

    def plant(self, user_id: int, club_id: int, at: datetime) -> None:
        with self.engine.begin() as conn:
            halls = conn.execute(sa.text("select id from halls where club_id = :c order by id"), {"c": club_id})
            for hall in halls.scalars():
                for shift in range(0, 48):
                    start = at + timedelta(minutes=7 * shift)
                    row = conn.execute(sa.text(load_sql("demo/live_insert_booking")), {
                        "user_id": user_id, "hall_id": hall, "start_time": start,
                        "end_time": start + timedelta(hours=1), "price": PRICE, "method": "card"}).first()
                    if row is not None:
                        self.bookings.append(int(row.booking_id))
                        return
        raise AssertionError(f"no free seat for customer {user_id} near {at}")

    def remove(self) -> None:
        if not self.bookings:
            return
        with self.engine.begin() as conn:
            payments = conn.execute(sa.text("delete from payments where booking_id = any(:ids) returning id"),
                                    {"ids": self.bookings}).scalars().all()
            conn.execute(sa.text("delete from bookings where id = any(:ids)"), {"ids": self.bookings})
            conn.execute(sa.text(
                "delete from audit_logs where created_at >= :since and action = 'DELETE' and ("
                "(table_name = 'bookings' and record_id = any(:bookings)) or "
                "(table_name = 'payments' and record_id = any(:payments)))"),
                {"since": self.since, "bookings": self.bookings, "payments": list(payments)})


@pytest.fixture
def planter(engine) -> Iterator[Planter]:
    p = Planter(engine)
    yield p
    p.remove()


def _outcomes(engine, campaign_id: int) -> pd.DataFrame:
    return query_df(engine, "campaigns/outcomes", campaign_id=campaign_id, club_ids=every_club(engine), as_of=None)


def test_the_outcomes_count_visits_and_revenue_after_the_start(engine, campaign):
    """The SQL against a plain pandas count of the same bookings and payments."""
    clubs = every_club(engine)
    out = _outcomes(engine, campaign).set_index("user_id")
    row = service.campaign_report(engine, campaign, viewer=CHAIN_VIEWER, club_ids=clubs)["campaign"]
    with engine.connect() as conn:
        raw = pd.DataFrame(conn.execute(sa.text(
            "select b.id, b.user_id, b.status, b.start_time, h.club_id, "
            "(select coalesce(sum(amount), 0) from payments p where p.booking_id = b.id "
            " and p.payment_status = 'успешно')::float8 as paid "
            "from bookings b join seats s on s.id = b.seat_id join halls h on h.id = s.hall_id "
            "where b.user_id = any(:users)"), {"users": out.index.tolist()}).mappings().all())
    window = raw[(raw.start_time >= row["starts_at"]) & (raw.start_time < out.measured_until.iloc[0])
                 & raw.club_id.isin(clubs)]
    visits = window[window.status.isin(["завершено", "активно"])].groupby("user_id").size()
    revenue = window.groupby("user_id").paid.sum()
    assert (out.visits == visits.reindex(out.index).fillna(0).astype(int)).all()
    assert out.revenue.to_numpy() == pytest.approx(revenue.reindex(out.index).fillna(0).to_numpy())
    assert out.visits.sum() > 0                       # the demo's own visits after the start are there


def test_planted_visits_after_the_start_move_exactly_their_share(engine, campaign, planter):
    clubs = every_club(engine)
    before = _outcomes(engine, campaign)
    r0 = service.campaign_report(engine, campaign, viewer=CHAIN_VIEWER, club_ids=clubs)["result"]
    assert r0["provisional"] and not r0["shortened"]
    starts_at = service.campaign_report(engine, campaign, viewer=CHAIN_VIEWER, club_ids=clubs)["campaign"]["starts_at"]
    groups = query_df(engine, "campaigns/assignments", campaign_id=campaign, club_ids=clubs).set_index("user_id")
    idle = before[before.visits == 0]
    treated = idle[idle.treated].user_id.tolist()[:10]
    control = idle[~idle.treated].user_id.tolist()[:1]
    assert len(treated) == 10 and len(control) == 1
    for i, user in enumerate(treated):
        planter.plant(user, int(groups.club_id[user]), starts_at + timedelta(days=2, hours=i))
    planter.plant(control[0], int(groups.club_id[control[0]]), starts_at + timedelta(days=3))
    other = idle[idle.treated].user_id.tolist()[10]
    planter.plant(other, int(groups.club_id[other]), starts_at - timedelta(days=1))        # before the start
    planter.plant(other, int(groups.club_id[other]), datetime.now(timezone.utc) + timedelta(days=1))  # not yet

    r1 = service.campaign_report(engine, campaign, viewer=CHAIN_VIEWER, club_ids=clubs)["result"]
    n_t, n_c = r0["overall"]["treated"], r0["overall"]["control"]
    v0, v1 = r0["overall"]["visits"], r1["overall"]["visits"]
    assert v1["treated"] - v0["treated"] == pytest.approx(10 / n_t)
    assert v1["control"] - v0["control"] == pytest.approx(1 / n_c)
    rev0, rev1 = r0["overall"]["revenue"], r1["overall"]["revenue"]
    assert rev1["treated"] - rev0["treated"] == pytest.approx(10 * PRICE / n_t)
    assert rev1["control"] - rev0["control"] == pytest.approx(PRICE / n_c)
    c0, c1 = r0["overall"]["churn"], r1["overall"]["churn"]
    assert c0["treated"] - c1["treated"] == pytest.approx(10 / n_t)                    # 10 fewer churners
    assert c0["control"] - c1["control"] == pytest.approx(1 / n_c)
    inc0, inc1 = r0["overall"]["incremental_revenue"]["value"], r1["overall"]["incremental_revenue"]["value"]
    assert inc1 - inc0 == pytest.approx((10 * PRICE / n_t - PRICE / n_c) * n_t)
    assert r1["overall"]["net"]["value"] == pytest.approx(inc1 - 100 * n_t)
    assert r1["overall"]["save_rate"]["value"] == pytest.approx(c1["control"] - c1["treated"])
    lo, hi = r1["overall"]["visits"]["lo"], r1["overall"]["visits"]["hi"]
    assert lo < r1["overall"]["visits"]["diff"] < hi
    # the same, band by band: every band's groups add up to the whole
    bands = {b["band"]: b for b in r1["bands"]}
    assert sum(b["treated"] for b in bands.values()) == n_t
    moved = groups.loc[treated].risk_band.value_counts()
    for band, count in moved.items():
        b0 = next(b for b in r0["bands"] if b["band"] == band)
        assert bands[band]["visits"]["treated"] - b0["visits"]["treated"] == pytest.approx(count / b0["treated"])


def test_measure_by_hand_on_a_small_table():
    t0 = datetime(2025, 1, 1, tzinfo=timezone.utc)
    outcomes = pd.DataFrame({"user_id": range(8), "treated": [True] * 5 + [False] * 3,
                             "risk_band": ["high"] * 4 + ["low"] * 4,
                             "visits": [2, 0, 1, 3, 0, 0, 1, 0], "revenue": [4e3, 0, 2e3, 6e3, 0, 0, 2e3, 0]})
    out = measure(outcomes, cost_per_contact=100, ends_at=t0 + timedelta(days=30),
                  measured_until=t0 + timedelta(days=30), starts_at=t0)
    o = out["overall"]
    assert not out["provisional"] and out["days_measured"] == 30
    assert o["visits"]["diff"] == pytest.approx(6 / 5 - 1 / 3)
    assert o["churn"]["diff"] == pytest.approx(2 / 5 - 2 / 3)
    assert o["incremental_revenue"]["value"] == pytest.approx((12e3 / 5 - 2e3 / 3) * 5)
    assert o["net"]["value"] == pytest.approx((12e3 / 5 - 2e3 / 3) * 5 - 500)
    assert o["save_rate"]["value"] == pytest.approx(2 / 3 - 2 / 5)
    high = next(b for b in out["bands"] if b["band"] == "high")
    assert high["treated"] == 4 and high["control"] == 0 and "visits" not in high   # no control: no measure
    assert compare_groups(outcomes.head(5), cost_per_contact=0) is None


def test_the_pooled_save_rate_weighs_whole_window_results_by_contacted_customers():
    from core.campaigns.measure import pooled_save_rate

    def result(rate, treated, **flags):
        return {"overall": {"save_rate": {"value": rate}, "treated": treated}, **flags}

    pooled = pooled_save_rate([result(0.10, 300), result(0.02, 100), result(0.9, 50, provisional=True),
                               result(0.9, 50, shortened=True), {}])
    assert pooled["campaigns"] == 2 and pooled["treated"] == 400
    assert pooled["rate"] == pytest.approx((0.10 * 300 + 0.02 * 100) / 400)
    assert pooled_save_rate([result(-0.05, 100)])["rate"] == 0.0          # a harmful campaign keeps nobody
    assert pooled_save_rate([result(0.9, 50, provisional=True)]) is None
