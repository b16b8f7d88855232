"""Every page on a chain's own database with the seed's schema, after `oyna db migrate` and a retrain
(tests/platform/seed_database.py): the app's queries run on their tables, their local times and the
columns migrate added empty."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.pages.support import charts, ok

PAGES = {"pages/overview.py": 1, "pages/customers.py": 2, "pages/forecast.py": 1, "pages/utilization.py": 2,
         "pages/whatif.py": 2, "pages/models.py": 1}


@pytest.mark.parametrize("page", list(PAGES))
def test_page_works_on_their_database(app_client, accounts, seed_database, seed_trained, page):
    at = ok(app_client(accounts["manager"], database_url=seed_database.url))  # the Overview, pages registered
    at.switch_page(page)
    ok(at.run())
    assert len(charts(at)) >= PAGES[page]


def test_customer_profile_of_their_own_customer(app_client, accounts, seed_database, seed_trained):
    """A customer their application wrote by hand: no e-mail, no sign-up time, one visit."""
    with seed_database.engine.connect() as conn:
        user_id = conn.execute(sa.text("select id from users where full_name = 'Айгерим Сапарова'")).scalar_one()
    at = app_client(accounts["manager"], run=False, database_url=seed_database.url)
    at.session_state["customer_id"] = user_id
    at.switch_page("pages/customer.py")
    ok(at.run())
    assert any("Айгерим Сапарова" in s.value for s in at.subheader)
