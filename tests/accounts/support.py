"""What the accounts tests share: passwords, unique usernames, and fixtures that clean up.

The database is shared by the whole session, so every test uses its own usernames and removes those
accounts, and the sign-in log rows it wrote, afterwards.
"""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from core.accounts import Account, add_account, remove_account
from tests.conftest import logs_forgotten

PASSWORD = "Steppe-wind-42!"
OTHER_PASSWORD = "Another long one 7"


def unique_name(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@pytest.fixture(autouse=True)
def forget_sign_ins(engine):
    """The sign-ins, sessions, throttle rows and activity a test writes are undone after it (accounts are
    removed by `names`)."""
    with logs_forgotten(engine):
        yield


@pytest.fixture
def names(engine):
    """Hands out unique usernames and removes whatever accounts they name after the test."""
    made: list[str] = []

    def make(prefix: str = "t") -> str:
        made.append(unique_name(prefix))
        return made[-1]

    yield make
    for name in made:
        remove_account(engine, username=name)


@pytest.fixture
def account(engine, names) -> Account:
    """An analyst with PASSWORD, removed after the test."""
    return add_account(engine, username=names(), role="analyst", password=PASSWORD)


def row_of(engine, username: str):
    with engine.connect() as conn:
        return conn.execute(sa.text("select * from app_accounts where username = :u"), {"u": username}).one()
