"""The pages on imported data (AppTest): a history that ends in the past is shown as of its end and says
so; thin data says "not enough data yet" instead of showing weak scores."""

from __future__ import annotations

from tests.data_import.conftest import url_of
from tests.pages.conftest import accounts, app_client, app_db  # noqa: F401 - the page tests' fixtures

PAGES = ["pages/customers.py", "pages/forecast.py", "pages/utilization.py", "pages/models.py", "pages/data.py"]


def texts(at, kind: str) -> list[str]:
    return [e.value for e in getattr(at, kind)]


def clean(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, texts(at, "error")


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


def test_thin_data_says_not_enough_data_yet(app_client, accounts, thin):
    at = app_client(accounts["manager"], "pages/customers.py", database_url=url_of(thin[0]))
    clean(at)
    assert "Segments: not enough data yet: 5 of 100 customers with a visit." in texts(at, "info")
    at.switch_page("pages/forecast.py")
    at.run()
    clean(at)
    assert any("not enough data yet: 7 of 84 days with revenue" in i for i in texts(at, "info"))
    at.switch_page("pages/overview.py")
    at.run()
    clean(at)
    risk = next(m for m in at.metric if m.label == "Customers at risk")
    assert risk.value == "—"
    at.switch_page("pages/models.py")
    at.run()
    clean(at)
    status = at.dataframe[0].value
    assert list(status.trained) == [False] * 4 and status.why.str.startswith("not enough data yet").all()
