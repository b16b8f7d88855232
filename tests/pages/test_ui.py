"""The shared UI pieces in pages/ui: the error guard, the permission check, the language, the cache, and
the layering rules (pages never reach SQL; core never imports Streamlit)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.pages.support import TIMEOUT

ROOT = Path(__file__).resolve().parents[2]


def _guarded(kind: str) -> None:  # an AppTest script: the body of page_guard raising `kind`
    import sqlalchemy as sa
    import streamlit as st

    from pages.ui.guard import page_guard

    with page_guard("test"):
        if kind == "db":
            raise sa.exc.OperationalError("select 1", {}, Exception("connection refused"))
        raise KeyError("a bug")
    st.write("after the guard")


@pytest.mark.parametrize(("kind", "message"), [("db", "database is not reachable"), ("bug", "Something went wrong")])
def test_page_guard_turns_exceptions_into_messages(kind, message):
    at = AppTest.from_function(_guarded, args=(kind,), default_timeout=TIMEOUT).run()
    assert not at.exception
    assert message in at.error[0].value
    assert at.markdown[-1].value == "after the guard"  # the rest of the page still renders


def _needs(permission: str, role: str) -> None:  # an AppTest script
    from datetime import datetime, timezone

    import streamlit as st

    from core.accounts import Account, Role
    from pages.ui.session import RUN_KEY, _Found, require

    now = datetime.now(timezone.utc)
    st.session_state[RUN_KEY] = _Found(Account(id=1, username="probe", role=Role(role), created_at=now,
                                               password_changed_at=now))  # as app.py found it this run
    require(permission)
    st.write("allowed")


@pytest.mark.parametrize(("role", "allowed"), [("manager", True), ("analyst", False)])
def test_require_stops_a_role_without_the_permission(role, allowed):
    at = AppTest.from_function(_needs, args=("retrain", role), default_timeout=TIMEOUT).run()
    assert not at.exception
    assert any(m.value == "allowed" for m in at.markdown) == allowed
    assert bool(at.warning) != allowed
    if not allowed:
        assert "may not retrain models" in at.warning[0].value


def _language_and_cache() -> None:  # an AppTest script: the session's language reaches core and the cache
    import streamlit as st

    from core.i18n import current_locale
    from core.i18n.format import money
    from pages.ui.cache import cached

    calls = st.session_state.setdefault("calls", [])

    def priced(amount: float) -> str:
        calls.append(amount)
        return f"{current_locale()} {money(amount)}"

    st.session_state["language"] = st.session_state.get("want", "en")
    st.write(cached(priced, ttl=60, engine=False)(1234.0))
    st.write(cached(priced, ttl=60, engine=False)(1234.0))


def test_the_cache_keeps_one_result_per_language():
    at = AppTest.from_function(_language_and_cache, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert [m.value for m in at.markdown] == ["en ₸1,234", "en ₸1,234"]
    assert at.session_state["calls"] == [1234.0]  # the second call came from the cache
    at.session_state["want"] = "ru"
    at.run()
    assert [m.value for m in at.markdown] == ["ru 1\u00a0234\u00a0₸"] * 2
    assert at.session_state["calls"] == [1234.0, 1234.0]


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def _calls(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and getattr(func.value, "id", "") == "st":
                found.add(f"st.{func.attr}")  # Streamlit's own (st.text is text on the page, not SQL)
            else:
                found.add(func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", ""))
    return found


PAGES = sorted((ROOT / "pages").glob("*.py"))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_a_page_never_reaches_the_database_itself(page):
    imports = _imports(page)
    assert not {name for name in imports if name.split(".")[0] == "sqlalchemy"}
    assert not {name for name in imports if name.startswith("core.platform.db")}
    assert not {"query_df", "query_rows", "run_query", "execute", "load_sql"} & _calls(page)


def test_pages_ui_runs_no_sql():
    for module in sorted((ROOT / "pages" / "ui").glob("*.py")):
        assert not {"query_df", "query_rows", "run_query", "execute", "load_sql", "text"} & _calls(module), module


def test_core_never_imports_streamlit():
    offenders = [str(p.relative_to(ROOT)) for p in sorted((ROOT / "core").rglob("*.py"))
                 if any(name.split(".")[0] == "streamlit" for name in _imports(p))]
    assert offenders == []


def test_a_change_that_rounds_to_zero_is_neutral():
    from pages.ui.layout import delta_style

    assert delta_style("0% vs last 7 days") == {"delta_color": "off", "delta_arrow": "off"}  # never a red "↓ -0%"
    assert delta_style("0\u00a0% к прошлым 7 дням") == {"delta_color": "off", "delta_arrow": "off"}
    assert delta_style("-3% vs usual") == {"delta_color": "normal"}
    assert delta_style("+12 vs before", inverse=True) == {"delta_color": "inverse"}
    assert delta_style(None) == {"delta_color": "normal"}
