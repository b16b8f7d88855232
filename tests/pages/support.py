"""Helpers for the page tests (the fixtures are in conftest.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

from pages.ui.cache import clear_all
from pages.ui.layout import ALERT_ICON
from pages.ui.text import JOINER

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PASSWORD = "plasma-otter-2741"
TIMEOUT = 120


class AfterFirstRun(PagesManager):
    """A PagesManager that has left Streamlit's legacy pages/ mode, as a served app after its first run."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        PagesManager.uses_pages_directory = False


def clear_caches() -> None:
    clear_all()
    st.cache_resource.clear()


def ok(at: AppTest) -> AppTest:
    """The run showed no exception and no error message. A critical business alert on the Overview is
    content, not an error: whether the demo's last quiet night hours raise one depends on the clock."""
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error if e.icon != ALERT_ICON]
    assert not errors, errors
    return at


def shown(markdown: str) -> str:
    """The text a Markdown body of plain characters and escapes shows (what `pages.ui.text.md` made of a
    value): the escapes read, the invisible joiners gone."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown.replace(JOINER, ""))


def metric(at: AppTest, label: str):
    return next(m for m in at.metric if m.label == label)


def charts(at: AppTest) -> list:
    """The Plotly charts that draw data (not the sign-in form's empty one that loads Plotly early)."""
    return [c for c in at.get("plotly_chart") if json.loads(c.proto.spec).get("data")]


def sign_in_form(at: AppTest, username: str, password: str) -> AppTest:
    at.text_input(key="signin_username").input(username)
    at.text_input(key="signin_password").input(password)
    at.button[0].click()  # the form's only button: "Sign in"
    return at.run()
