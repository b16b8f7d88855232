"""The pages on thin imported data (AppTest) say "not enough data yet" instead of showing weak scores
(test_cdnow.py has the pages on a history that ends in the past)."""

from __future__ import annotations

from tests.data_import.conftest import clean, texts, url_of
from tests.pages.conftest import accounts, app_client, app_db  # noqa: F401 - the page tests' fixtures

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
