"""The app in Russian, in Debian's Chromium: a Russian browser (Accept-Language ru-RU) signs in and sees
every page in Russian at desktop and phone sizes, with Russian dates on Plotly's axes, Russian numbers,
no horizontal scrolling on a phone, no mode bar covering a chart there, and cards and buttons that keep
to one line. The language switch changes the language and the account keeps it. Screenshots go to
test-artifacts/ru-*.png."""

from __future__ import annotations

import re
import uuid

import pytest
import sqlalchemy as sa

from core.accounts import account_language, add_account, remove_account, set_language
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

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"Debian's Chromium is not installed ({CHROMIUM} is missing)"),
]

PASSWORD = "amber-falcon-6043"
RUSSIAN = "ru-RU"
# Russian page title -> (Plotly charts it draws, the screenshot's name)
PAGES = {"Обзор": (1, "overview"), "Клиенты": (2, "customers"), "Клиент": (0, "customer"),
         "Прогноз": (1, "forecast"), "Загрузка": (2, "utilization"), "Что если": (2, "what-if"),
         "Модели": (1, "models"), "Кампании": (0, "campaigns"), "Данные": (0, "data"),
         "Журнал действий": (0, "activity"), "Система": (0, "system"), "Учётная запись": (0, "account")}
RUSSIAN_MONTH = re.compile(r"янв|февр|мар|апр|мая|июн|июл|авг|сент|окт|нояб|дек")
ENGLISH_MONTH = re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b")


@pytest.fixture(scope="module")
def manager(engine, demo):
    account = add_account(engine, username=f"ru-manager-{uuid.uuid4().hex[:8]}", role="manager", password=PASSWORD)
    yield account
    remove_account(engine, username=account.username)


def sign_in_russian(page, base: str, username: str) -> None:
    sign_in(page, base, username, PASSWORD, labels=("Имя пользователя", "Пароль", "Войти"))


def axis_ticks(page) -> list[str]:
    ticks = page.locator(".js-plotly-plot .xtick text, .js-plotly-plot .ytick text")
    return [t or "" for t in ticks.all_text_contents()]


def cramped(page, selector: str) -> list[str]:
    """Texts of visible elements of the page (not the sidebar) that take more than one line or are cut short."""
    return page.evaluate("""(selector) => [...document.querySelectorAll('[data-testid="stMain"] ' + selector)]
        .filter(e => e instanceof HTMLElement && e.offsetParent !== null && (e.innerText || "").trim())
        .filter(e => e.getBoundingClientRect().height > 1.6 * parseFloat(getComputedStyle(e).lineHeight)
                     || e.scrollWidth > e.clientWidth + 1)
        .map(e => e.innerText.trim())""", selector)


def wait_for_russian_months(page) -> None:
    """Plotly has drawn a date axis with Russian month names (its locale came with the chart's config)."""
    page.wait_for_function(
        """(pattern) => [...document.querySelectorAll('.js-plotly-plot .xtick text')]
                          .some(t => new RegExp(pattern).test(t.textContent))""",
        arg=RUSSIAN_MONTH.pattern, timeout=30_000)


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_every_page_in_russian(browser, server, manager, engine, size):
    """Then, on the desktop: the switch to English sticks to the account; on the phone: a customer's
    recommended actions with their reasons in Russian."""
    set_language(engine, manager, None)  # the browser decides
    context = browser.new_context(viewport=DESKTOP if size == "desktop" else PHONE, locale=RUSSIAN)
    page = context.new_page()
    try:
        page.goto(server)
        page.get_by_role("button", name="Войти").wait_for(timeout=30_000)  # the sign-in form speaks Russian
        screenshot(page, f"ru-{size}-sign-in", whole=False)
        sign_in_russian(page, server, manager.username)
        for title, (count, name) in PAGES.items():
            if title != "Обзор":
                open_page(page, title)
            page.get_by_role("heading", name=title, exact=True).wait_for(timeout=30_000)
            wait_for_charts(page, count)
            wait_for_app(page)
            if title == "Обзор":
                wait_for_russian_months(page)
                page.get_by_text("Выручка сегодня").first.wait_for(timeout=30_000)
            no_exceptions(page)
            ticks = axis_ticks(page)
            assert not [t for t in ticks if ENGLISH_MONTH.search(t)], f"{title}: English months on an axis"
            assert not [t for t in ticks if re.search(r"\d\.\d", t)], f"{title}: a decimal point instead of a comma"
            assert cramped(page, '[data-testid="stMetricValue"]') == [], f"{title}: a card value wraps or is cut"
            assert cramped(page, '[data-testid="stMetricLabel"] *') == [], f"{title}: a card label is cut"
            assert cramped(page, 'button p') == [], f"{title}: a button label wraps or is cut"
            if size == "phone":
                assert horizontal_overflow(page) <= 0, f"{title} scrolls sideways on a phone"
                assert page.locator(".modebar-container:visible").count() == 0, f"{title}: mode bar on a phone"
            screenshot(page, f"ru-{size}-{name}")
        if size == "desktop":
            switch_to_english(browser, page, server, manager, engine)
        else:
            customer_actions(page, server, manager, engine)
    finally:
        context.close()
        set_language(engine, manager, None)


def switch_to_english(browser, page, server, manager, engine) -> None:
    page.locator('[data-testid="stSidebar"]').get_by_role("radio", name="English").first.click()
    page.get_by_role("heading", name="Account", exact=True).wait_for(timeout=30_000)  # the last page walked
    assert account_language(engine, manager) == "en"
    again = browser.new_context(viewport=DESKTOP, locale=RUSSIAN)  # another browser, still Russian
    other = again.new_page()
    try:
        sign_in_russian(other, server, manager.username)
        other.get_by_role("heading", name="Overview", exact=True).wait_for(timeout=30_000)  # the account's choice
        wait_for_charts(other, 1)
        wait_for_app(other)
        screenshot(other, "ru-desktop-switched-to-english", whole=False)
    finally:
        again.close()


def customer_actions(page, server, manager, engine) -> None:
    with engine.connect() as conn:
        user_id = conn.execute(sa.text("select user_id from ai_customer_segmentation() "
                                       "where jsonb_array_length(recommendations) > 0 order by user_id limit 1")).scalar_one()
    page.goto(f"{server}/customer?id={user_id}")  # a reload: still signed in (the session's cookie)
    page.get_by_role("heading", name="Рекомендуемые действия").wait_for(timeout=30_000)
    wait_for_charts(page, 1)
    wait_for_app(page)
    no_exceptions(page)
    assert page.get_by_text("Риск оттока").count() >= 1
    assert horizontal_overflow(page) <= 0
    screenshot(page, "ru-phone-customer-actions")
