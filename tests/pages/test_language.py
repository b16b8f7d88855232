"""The interface language through app.py: the account's choice, the switch, and every page in Russian."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from core.accounts import account_language, set_language
from pages.ui.session import SESSION_KEY
from tests.pages.support import PASSWORD, charts, ok, sign_in_form

# page -> its Russian title
RUSSIAN_TITLES = {"pages/overview.py": "Обзор", "pages/customers.py": "Клиенты",
                  "pages/customer.py": "Клиент", "pages/forecast.py": "Прогноз",
                  "pages/utilization.py": "Загрузка", "pages/whatif.py": "Что если", "pages/models.py": "Модели"}


@pytest.fixture
def russian(accounts, app_db):
    """The manager, who chose Russian (reset afterwards)."""
    account = accounts["manager"]
    set_language(app_db, account, "ru")
    yield account
    set_language(app_db, account, None)


@pytest.fixture(scope="module")
def scored(app_db, trained):
    return trained[0]


@pytest.mark.parametrize("page", list(RUSSIAN_TITLES))
def test_every_page_speaks_the_accounts_language(app_client, russian, scored, page):
    at = app_client(russian)  # the first run registers app.py's pages (What-if lives at /what-if)
    at.switch_page(page)
    ok(at.run())
    assert [t.value for t in at.title] == [RUSSIAN_TITLES[page]]
    assert at.sidebar.button_group[0].value == "ru"
    assert "Язык" == at.sidebar.button_group[0].label
    assert not [m for m in at.metric if m.label.isascii()], "an English card label"


def test_russian_numbers_dates_and_reasons(app_client, russian, scored, app_db):
    from tests.pages.test_customers_page import top_customer

    at = app_client(russian, "pages/forecast.py")
    assert all(m.value.endswith("\u00a0₸") for m in at.metric)  # '22,3 млн ₸', '744 тыс. ₸'
    assert any(re.search(r"\d,\d (млн|тыс\.)", m.value.replace("\u00a0", " ")) for m in at.metric)
    user_id, name, _ = top_customer(app_db)
    at = app_client(russian, run=False)
    at.session_state["customer_id"] = user_id
    at.switch_page("pages/customer.py")
    ok(at.run())
    actions = next(m.value for m in at.markdown if m.value.startswith("1. **"))
    assert "риск" in actions or "визит" in actions or "готовность" in actions
    assert {"Риск оттока", "Ещё активен", "Сегмент"} <= {m.label for m in at.metric}


def test_the_switch_changes_the_language_and_the_account_keeps_it(app_client, accounts, app_db):
    account = accounts["analyst"]
    set_language(app_db, account, None)
    try:
        at = app_client(account, "pages/overview.py")
        assert at.title[0].value == "Overview"  # no choice, no browser language: English
        at.sidebar.button_group[0].set_value("ru").run()
        ok(at)
        assert at.title[0].value == "Обзор"
        assert account_language(app_db, account) == "ru"
        with app_db.connect() as conn:  # the change is in the activity log
            logged = conn.execute(sa.text("select details ->> 'language' from activity_log where action = "
                                          "'language_change' and username = :u order by id"),
                                  {"u": account.username}).scalars().all()
        assert logged[-1] == "ru"
        again = app_client(account, "pages/utilization.py")  # another session of the same account
        assert again.title[0].value == "Загрузка"
        assert charts(again)
    finally:
        set_language(app_db, account, None)


def test_a_language_picked_before_signing_in_becomes_the_accounts(app_client, accounts, app_db):
    account = accounts["analyst"]
    set_language(app_db, account, None)
    try:
        at = app_client()
        at.button_group[0].set_value("ru").run()
        assert [t.label for t in at.text_input] == ["Имя пользователя", "Пароль"]
        ok(sign_in_form(at, account.username, PASSWORD))
        assert at.title[0].value == "Обзор"
        assert account_language(app_db, account) == "ru"
    finally:
        set_language(app_db, account, None)


def _report_the_language_shown() -> None:
    """The switch's callback with the language the tab already shows, as Streamlit can report a redrawn switch."""
    from pages.ui.session import choose_language, resolve_language

    choose_language(resolve_language())


def test_the_language_already_shown_is_never_stored_as_a_choice(app_client, accounts, app_db):
    account = accounts["analyst"]
    set_language(app_db, account, None)
    try:
        at = app_client(account, "pages/overview.py")  # English: nothing chosen, no browser language
        probe = AppTest.from_function(_report_the_language_shown)
        probe.session_state[SESSION_KEY] = at.session_state[SESSION_KEY]  # the same signed-in tab
        probe.run()
        assert not probe.exception, [e.value for e in probe.exception]
        assert account_language(app_db, account) is None  # a browser in Russian next time still gets Russian
    finally:
        set_language(app_db, account, None)
