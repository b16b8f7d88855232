"""Helpers for the page tests (the fixtures are in conftest.py)."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

from core.accounts import Account, add_account, remove_account
from core.rollups.refresh import refresh
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


@dataclass(frozen=True)
class Hostile:
    """A club, its hall and seats, and a customer who books there, named by `hostile_rows`."""

    club: int
    hall: int
    user: int
    account: Account  # a manager of this club only


@contextmanager
def hostile_rows(engine: sa.Engine, *, name: str, email: str, club: str, hall: str, seats: list[str],
                 action: str, reason: str) -> Iterator[Hostile]:
    """A club named `club` (open round the clock) with a hall `hall` and `seats`, the first booked round the
    clock for the week before the data's end and the others idle, so Utilization suggests something about
    both; a customer `name` <`email`> who made those bookings, scored under the active model (a copy of the
    riskiest customer's scores, favourite club `club`, one recommended `action` because `reason`); and a
    manager of that club alone. Everything is deleted afterwards, with the audit rows the deletes write."""
    with engine.begin() as conn:
        now = conn.execute(sa.text("select data_as_of()")).scalar_one()
        club_id = conn.execute(sa.text(
            "insert into clubs (name, city, timezone, opened_on) values (:n, 'Алматы', 'Asia/Almaty', :d) "
            "returning id"), {"n": club, "d": (now - timedelta(days=400)).date()}).scalar_one()
        hall_id = conn.execute(sa.text(
            "insert into halls (club_id, name, hall_type, hourly_price) values (:c, :n, 'standard', 900) "
            "returning id"), {"c": club_id, "n": hall}).scalar_one()
        seat_ids = [conn.execute(sa.text("insert into seats (hall_id, label, device) values (:h, :l, 'pc') "
                                         "returning id"), {"h": hall_id, "l": label}).scalar_one()
                    for label in seats]
        user = conn.execute(sa.text(
            "insert into users (full_name, email, phone, signed_up_at) values (:n, :e, '+7 701 000 00 00', :s) "
            "returning id"), {"n": name, "e": email, "s": now - timedelta(days=300)}).scalar_one()
        bookings = conn.execute(sa.text(
            "insert into bookings (user_id, seat_id, date, start_time, end_time, status, price) "
            "select :u, :s, (t at time zone 'Asia/Almaty')::date, t, t + interval '24 hours', 'завершено', "
            "21600 "
            "from generate_series(cast(:now as timestamptz) - interval '9 days', "
            "                     cast(:now as timestamptz) - interval '2 days', interval '1 day') t "
            "returning id"), {"u": user, "s": seat_ids[0], "now": now}).scalars().all()
        payments = conn.execute(sa.text(
            "insert into payments (booking_id, amount, paid_at, payment_status, method) "
            "select id, price, start_time, 'успешно', 'card' from bookings where id = any(:b) returning id"),
            {"b": bookings}).scalars().all()
        columns = [c for c in conn.execute(sa.text(
            "select column_name from information_schema.columns where table_name = 'customer_scores' "
            "and table_schema = current_schema() order by ordinal_position")).scalars()
            if c not in ("user_id", "club_id", "recommendations")]
        listed = ", ".join(columns)
        conn.execute(sa.text(
            f"insert into customer_scores (user_id, club_id, recommendations, {listed}) "
            f"select :u, :c, cast(:r as jsonb), {listed} from customer_scores "
            "where version = active_model_version() and churn_risk is not null "
            "order by churn_risk desc, user_id limit 1"),
            {"u": user, "c": club_id, "r": json.dumps([{"code": "hostile", "label_en": action, "reason": reason,
                                                        "expected_value": 1500}])})
    refresh(engine)  # the pages read the rollups
    account = add_account(engine, username=f"hostile-{uuid.uuid4().hex[:8]}", role="manager", password=PASSWORD,
                          club_ids=[club_id])
    try:
        yield Hostile(club_id, hall_id, user, account)
    finally:
        remove_account(engine, username=account.username)
        with engine.begin() as conn:
            conn.execute(sa.text("delete from customer_scores where user_id = :u"), {"u": user})
            conn.execute(sa.text("delete from payments where id = any(:p)"), {"p": payments})
            conn.execute(sa.text("delete from bookings where id = any(:b)"), {"b": bookings})
            conn.execute(sa.text("delete from seats where id = any(:s)"), {"s": seat_ids})
            conn.execute(sa.text("delete from halls where id = :h"), {"h": hall_id})
            conn.execute(sa.text("delete from clubs where id = :c"), {"c": club_id})
            conn.execute(sa.text("delete from users where id = :u"), {"u": user})
            conn.execute(sa.text(
                "delete from audit_logs where (table_name = 'bookings' and record_id = any(:b)) "
                "or (table_name = 'payments' and record_id = any(:p))"), {"b": bookings, "p": payments})
        refresh(engine)
