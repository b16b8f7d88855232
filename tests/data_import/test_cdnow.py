"""A real public transaction log: CDNOW's 69,659 purchases by 23,570 customers (January 1997 to June
1998), imported through the generic format; the retrain then produces segments, churn risk, lifetime
value and forecasts as of the data's end in 1998, not as of today, and every page (AppTest) shows the chain
as of that moment and says so."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from core.customers import service as customers
from core.data import service
from core.overview import service as overview
from core.platform.clubs import all_club_ids
from tests.conftest import CHAIN_VIEWER
from tests.data_import.conftest import clean, texts, url_of
from tests.pages.conftest import accounts, app_client, app_db  # noqa: F401 - the page tests' fixtures

PAGES = ["pages/customers.py", "pages/forecast.py", "pages/utilization.py", "pages/models.py", "pages/data.py"]


def one(engine, sql: str):
    with engine.connect() as conn:
        return conn.execute(sa.text(sql)).one()


def test_the_log_is_imported_whole(cdnow):
    engine, report, _, _ = cdnow
    assert (report.rows_read, report.rows_added, report.rows_bad, report.customers_added) == (69_659, 69_659, 0, 23_570)
    assert report.seats_placed == 69_659  # no seats in the log: every purchase was placed
    assert one(engine, "select count(*) from seat_overlaps")[0] == 0
    assert one(engine, "select round(sum(amount)) from payments")[0] == 2_500_316  # the log's total, in dollars


def test_now_is_the_end_of_the_log(cdnow):
    engine, _, _, _ = cdnow
    moment = service.data_moment(engine)
    assert moment["ended"] and moment["as_of"].year == 1998
    assert one(engine, "select max(report_date) from mv_daily_club_stats")[0] == date(1998, 6, 30)


def test_every_model_is_trained_as_of_1998(cdnow):
    engine, _, result, _ = cdnow
    assert {m: s["trained"] for m, s in result.metrics["models"].items()} == \
        {"segments": True, "churn": True, "clv": True, "forecast": True}
    assert result.activated
    assert result.metrics["churn"]["evaluation_cutoff"].startswith("1998-05")
    assert 0.7 < result.metrics["churn"]["roc_auc"] <= 1
    scores = one(engine, """select count(*), count(churn_risk), count(clv_12m), count(distinct segment),
                                   min(next_visit_date), max(next_visit_date) from customer_scores""")
    assert scores[:3] == (23_570, 23_570, 23_570) and scores[3] >= 5
    assert date(1998, 6, 30) <= scores[4] and scores[5] < date(2000, 1, 1)
    days = one(engine, "select min(day), max(day), count(distinct club_id) from revenue_forecasts")
    assert days == (date(1998, 6, 30), date(1998, 9, 27), 2)  # the club and the chain, 90 days ahead


def test_the_pages_read_it_as_of_1998(cdnow):
    engine, _, _, _ = cdnow
    ids = all_club_ids(engine)
    segments = customers.segment_overview(engine, viewer=CHAIN_VIEWER, club_ids=ids)
    assert segments.customers.sum() == 23_570 and segments.revenue_90d.sum() > 0  # the 90 days before the end
    risk = overview.risk_counts(engine, viewer=CHAIN_VIEWER, club_ids=ids)
    assert risk is not None and risk.at_risk_now > 0
    live = overview.live_figures(engine, viewer=CHAIN_VIEWER, club_ids=ids)
    assert live.totals.today("bookings_full_day") > 0  # the last day of data is not empty
    summary = overview.chain_summary(engine, viewer=CHAIN_VIEWER, club_ids=ids)
    assert set(summary.metric_name) >= {"revenue_today", "customers_at_risk"}


# in this file, so that one worker imports CDNOW once for both
def test_every_page_works_as_of_the_end_of_cdnow(app_client, accounts, cdnow):
    at = app_client(accounts["manager"], "pages/overview.py", database_url=url_of(cdnow[0]))
    clean(at)
    banner = "The data ends on 30 June 1998 at 00:00: every page shows the chain as of that moment"
    assert any(banner in i for i in texts(at, "info"))
    assert any("Tuesday 30 June 1998, the last day of data" in c for c in texts(at, "caption"))
    assert any(m.label == "Bookings today" and m.value not in ("0", "—") for m in at.metric)  # not an empty day
    for page in PAGES:
        at.switch_page(page)
        at.run()
        clean(at)
        assert any(banner in i for i in texts(at, "info")), page
