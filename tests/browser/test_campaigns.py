"""The targeting control and the campaign ledger in Debian's Chromium, on a desktop and a phone: a manager
takes a selection to a new campaign and finds it in the ledger; an analyst reads the ledger and has no
create button (the core refusal is tested in tests/campaigns)."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from tests.browser.conftest import PASSWORD
from tests.browser.support import (
    CHROMIUM,
    DESKTOP,
    PHONE,
    horizontal_overflow,
    no_exceptions,
    open_page,
    screenshot,
    sign_in,
    wait_for_app,
    wait_for_charts,
)
from tests.campaigns.support import purge_campaigns

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"Debian's Chromium is not installed ({CHROMIUM} is missing)"),
]


@pytest.fixture
def campaigns_made(engine):
    with engine.connect() as conn:
        before = conn.execute(sa.text("select coalesce(max(id), 0) from campaigns")).scalar()
    yield
    with engine.connect() as conn:
        ids = conn.execute(sa.text("select id from campaigns where id > :b"), {"b": before}).scalars().all()
    purge_campaigns(engine, ids)


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_a_manager_targets_and_creates_a_campaign(browser, server, accounts, campaigns_made, engine, size):
    context = browser.new_context(viewport=DESKTOP if size == "desktop" else PHONE)
    page = context.new_page()
    name = f"Comeback {size} {uuid.uuid4().hex[:4]}"
    try:
        sign_in(page, server, accounts["manager"].username, PASSWORD)
        open_page(page, "Customers")
        page.get_by_role("heading", name="Customers", exact=True).wait_for(timeout=30_000)
        wait_for_charts(page, 3)
        wait_for_app(page)
        page.get_by_text("Whom to target with a retention offer").scroll_into_view_if_needed()
        page.locator('[data-testid="stMetric"]', has_text="Customers targeted").wait_for(timeout=30_000)
        page.get_by_text("The top 10% is a rank").wait_for(timeout=30_000)
        page.get_by_text("Everyone from a churn risk (a probability)").click()
        page.get_by_text("Churn risk 70 or more is a probability").wait_for(timeout=30_000)
        wait_for_app(page)
        if size == "phone":
            assert horizontal_overflow(page) <= 0, "the targeting control scrolls sideways on a phone"
        screenshot(page, f"{size}-manager-targeting")
        page.get_by_role("button", name="Start a campaign with these customers").click()
        page.get_by_role("heading", name="Campaigns", exact=True).wait_for(timeout=30_000)
        wait_for_app(page)
        page.get_by_label("Name").fill(name)
        page.get_by_label("Offer").fill("A free hour on the next visit")
        page.get_by_label("Offer").press("Enter")
        wait_for_app(page)
        page.get_by_role("button", name="Create campaign").click()
        page.get_by_text("Created #").wait_for(timeout=30_000)
        page.get_by_text(f"Created by {accounts['manager'].username}").wait_for(timeout=30_000)
        with engine.connect() as conn:
            made = conn.execute(sa.text("select created_by from campaigns where name = :n"),
                                {"n": name}).scalars().all()
        assert made == [accounts["manager"].username]
        wait_for_app(page)
        no_exceptions(page)
        if size == "phone":
            assert horizontal_overflow(page) <= 0, "the Campaigns page scrolls sideways on a phone"
        screenshot(page, f"{size}-manager-campaigns")
    finally:
        context.close()


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_an_analyst_reads_the_ledger_without_a_create_button(browser, server, accounts, size):
    context = browser.new_context(viewport=DESKTOP if size == "desktop" else PHONE)
    page = context.new_page()
    try:
        sign_in(page, server, accounts["analyst"].username, PASSWORD)
        open_page(page, "Campaigns")
        page.get_by_role("heading", name="Campaigns", exact=True).wait_for(timeout=30_000)
        page.get_by_text("creating and closing campaigns is for managers").wait_for(timeout=30_000)
        wait_for_app(page)
        assert page.get_by_role("button", name="Create campaign").count() == 0
        no_exceptions(page)
        if size == "phone":
            assert horizontal_overflow(page) <= 0, "the Campaigns page scrolls sideways on a phone"
        screenshot(page, f"{size}-analyst-campaigns")
    finally:
        context.close()
