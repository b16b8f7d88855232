"""Sessions, revocation and club scope in Debian's Chromium, against the app as `oyna serve` serves it:
a reload or a second tab stays signed in through an HttpOnly cookie; a removed or demoted account
loses access on its next step; a club's manager sees and exports only their club; a table's toolbar offers no
download of its own."""

from __future__ import annotations

import csv
import uuid

import openpyxl
import pytest
import sqlalchemy as sa

from core.accounts import add_account, remove_account, set_role
from core.platform.clubs import all_club_ids
from pages.ui.cookie import COOKIE
from tests.browser.conftest import PASSWORD
from tests.browser.support import (
    CHROMIUM,
    DESKTOP,
    PHONE,
    open_page,
    open_sidebar,
    screenshot,
    session_cookie,
    sign_in,
    wait_for_app,
    wait_for_charts,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"Debian's Chromium is not installed ({CHROMIUM} is missing)"),
]


def signed_in(page) -> bool:
    page.wait_for_selector('[data-testid="stSidebarNav"], input[aria-label="Username"]', state="attached",
                           timeout=30_000)
    return page.locator('[data-testid="stSidebarNav"]').count() > 0


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_a_reload_and_a_second_tab_stay_signed_in(browser, server, accounts, size):
    context = browser.new_context(viewport=DESKTOP if size == "desktop" else PHONE)
    try:
        page = context.new_page()
        sign_in(page, server, accounts["analyst"].username, PASSWORD)
        wait_for_charts(page, 1)
        cookie = session_cookie(context)  # sign_in waited for it
        assert cookie and cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["expires"] > 0
        assert COOKIE not in page.evaluate("document.cookie")  # no script in the page can read it

        page.reload()
        assert signed_in(page)
        page.get_by_role("heading", name="Overview", exact=True).wait_for(timeout=30_000)

        second = context.new_page()
        second.goto(f"{server}/forecast")
        assert signed_in(second)
        second.get_by_role("heading", name="Forecast", exact=True).wait_for(timeout=30_000)
        screenshot(second, f"{size}-analyst-second-tab", whole=False)
    finally:
        context.close()


def test_signing_out_ends_the_session_and_clears_the_cookie(browser, server, accounts):
    context = browser.new_context(viewport=DESKTOP)
    try:
        page = context.new_page()
        sign_in(page, server, accounts["manager"].username, PASSWORD)
        wait_for_app(page)
        for _ in range(50):
            if session_cookie(context):
                break
            page.wait_for_timeout(100)
        token = session_cookie(context)["value"]
        other = context.new_page()
        other.goto(f"{server}/forecast")
        assert signed_in(other)
        page.get_by_role("button", name="Sign out").click()
        page.get_by_label("Username").wait_for(timeout=20_000)
        for _ in range(50):
            if not session_cookie(context):
                break
            page.wait_for_timeout(100)
        assert session_cookie(context) is None
        open_page(other, "Utilization")           # the other tab's next step ...
        other.get_by_label("Username").wait_for(timeout=20_000)  # ... asks to sign in: the session ended
        context.add_cookies([{"name": COOKIE, "value": token, "url": server, "httpOnly": True,
                              "sameSite": "Strict"}])  # an old cookie is worthless
        page.reload()
        assert not signed_in(page)
    finally:
        context.close()


def test_a_removed_or_demoted_account_loses_access_in_the_open_tab(desktop, server, engine):
    name = f"web-revoke-{uuid.uuid4().hex[:8]}"
    add_account(engine, username=name, role="manager", password=PASSWORD)
    try:
        sign_in(desktop, server, name, PASSWORD)
        open_page(desktop, "Models")
        desktop.get_by_role("button", name="Retrain now").wait_for(timeout=60_000)
        set_role(engine, username=name, role="analyst")
        open_page(desktop, "Overview")
        open_page(desktop, "Models")
        desktop.get_by_text("Analysts can see the models").wait_for(timeout=30_000)
        assert desktop.get_by_role("button", name="Retrain now").count() == 0
        remove_account(engine, username=name)
        open_page(desktop, "Overview")
        desktop.get_by_label("Username").wait_for(timeout=30_000)
        desktop.get_by_text("Your session has ended").wait_for(timeout=10_000)
    finally:
        remove_account(engine, username=name)


def test_a_clubs_manager_sees_and_exports_only_their_club(browser, server, accounts, engine, tmp_path):
    mine = all_club_ids(engine)[0]
    with engine.connect() as conn:
        names = dict(conn.execute(sa.text("select id, name from clubs")).all())
    context = browser.new_context(viewport=DESKTOP, accept_downloads=True)
    try:
        page = context.new_page()
        sign_in(page, server, accounts["club"].username, PASSWORD)
        open_sidebar(page)
        page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').first.click()
        options = page.locator('[role="option"]').all_inner_texts()
        assert options == [names[mine]]
        page.keyboard.press("Escape")
        open_page(page, "Customers")
        wait_for_charts(page, 2)
        wait_for_app(page)
        with page.expect_download(timeout=60_000) as download:
            page.get_by_role("button", name="Download CSV").click()
        path = tmp_path / "customers.csv"
        download.value.save_as(path)
        with path.open(encoding="utf-8-sig") as f:
            rows = list(csv.DictReader(f))
        assert rows and {r["favourite_club"] for r in rows} == {names[mine]}
        with page.expect_download(timeout=60_000) as download:
            page.get_by_role("button", name="Download Excel").click()
        assert download.value.suggested_filename == "customers.xlsx"
        download.value.save_as(tmp_path / "customers.xlsx")
        sheet = openpyxl.load_workbook(tmp_path / "customers.xlsx").active
        club = [c.value for c in sheet[1]].index("Club")
        assert {row[club] for row in sheet.iter_rows(min_row=2, values_only=True)} == {names[mine]}
        body = page.locator('[data-testid="stMain"]').inner_text()
        assert not any(name in body for club, name in names.items() if club != mine)
    finally:
        context.close()


def test_tables_offer_no_download_of_their_own(desktop, server, accounts):
    """The served app keeps `client.disableDataExport`: a table's toolbar has no "Download as CSV", which would
    skip the activity log and the formula check; the page's own buttons do the downloads."""
    sign_in(desktop, server, accounts["manager"].username, PASSWORD)
    open_page(desktop, "Customers")
    wait_for_charts(desktop, 2)
    wait_for_app(desktop)
    desktop.locator(".st-key-cust_table").hover()
    toolbar = desktop.locator('.st-key-cust_table [data-testid="stElementToolbar"]')
    toolbar.get_by_role("button", name="Search").wait_for(timeout=10_000)   # the toolbar is there
    assert toolbar.get_by_role("button", name="Download as CSV").count() == 0
    assert desktop.get_by_role("button", name="Download Excel").count() == 1
