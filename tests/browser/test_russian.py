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
    chromium,
    horizontal_overflow,
    open_page,
    screenshot,
    streamlit_server,
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
         "Модели": (1, "models")}
RUSSIAN_MONTH = re.compile(r"янв|февр|мар|апр|мая|июн|июл|авг|сент|окт|нояб|дек")
ENGLISH_MONTH = re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b")


@pytest.fixture(scope="module")
def manager(engine, demo):
    account = add_account(engine, username=f"ru-manager-{uuid.uuid4().hex[:8]}", role="manager", password=PASSWORD)
    yield account
    remove_account(engine, username=account.username)


@pytest.fixture(scope="module")
def server(db_url, manager, trained, model_settings):
    with streamlit_server(db_url, extra_env={"OYNA_MODELS_DIR": str(model_settings.models_dir)}) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def sign_in_russian(page, base: str, username: str) -> None:
    page.goto(base)
    page.get_by_label("Имя пользователя").fill(username, timeout=30_000)
    page.get_by_label("Пароль", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Войти").click()
    page.wait_for_selector('[data-testid="stSidebarNav"]', state="attached", timeout=30_000)


def no_exceptions(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0


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


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_every_page_in_russian(browser, server, manager, engine, size):
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
        open_page(page, "Обзор")
        wait_for_charts(page, 1)
        wait_for_app(page)
        assert [t for t in axis_ticks(page) if RUSSIAN_MONTH.search(t)], "no Russian month on the revenue axis"
        page.get_by_text("Выручка сегодня").first.wait_for(timeout=30_000)
    finally:
        context.close()


def test_a_customer_in_russian(browser, server, manager, engine):
    """One customer's scores and recommended actions, with their reasons in Russian."""
    with engine.connect() as conn:
        user_id = conn.execute(sa.text("select user_id from ai_customer_segmentation() "
                                       "where jsonb_array_length(recommendations) > 0 limit 1")).scalar_one()
    context = browser.new_context(viewport=PHONE, locale=RUSSIAN)
    page = context.new_page()
    try:
        page.goto(f"{server}/customer?id={user_id}")
        page.get_by_label("Имя пользователя").fill(manager.username, timeout=30_000)
        page.get_by_label("Пароль", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Войти").click()
        page.get_by_role("heading", name="Рекомендуемые действия").wait_for(timeout=30_000)
        wait_for_charts(page, 1)
        wait_for_app(page)
        no_exceptions(page)
        assert page.get_by_text("Риск оттока").count() >= 1
        assert horizontal_overflow(page) <= 0
        screenshot(page, "ru-phone-customer-actions")
    finally:
        context.close()


def test_the_switch_changes_the_language_and_the_account_keeps_it(browser, server, manager, engine):
    set_language(engine, manager, None)
    first = browser.new_context(viewport=DESKTOP, locale=RUSSIAN)
    page = first.new_page()
    try:
        sign_in_russian(page, server, manager.username)
        page.get_by_role("heading", name="Обзор", exact=True).wait_for(timeout=30_000)
        wait_for_app(page)
        page.locator('[data-testid="stSidebar"]').get_by_role("radio", name="English").first.click()
        page.get_by_role("heading", name="Overview", exact=True).wait_for(timeout=30_000)
        assert account_language(engine, manager) == "en"
    finally:
        first.close()
    again = browser.new_context(viewport=DESKTOP, locale=RUSSIAN)  # another browser, still Russian
    page = again.new_page()
    try:
        sign_in_russian(page, server, manager.username)
        page.get_by_role("heading", name="Overview", exact=True).wait_for(timeout=30_000)  # the account's choice
        wait_for_charts(page, 1)
        wait_for_app(page)
        assert not [t for t in axis_ticks(page) if RUSSIAN_MONTH.search(t)]
        screenshot(page, "ru-desktop-switched-to-english", whole=False)
    finally:
        again.close()
        set_language(engine, manager, None)
