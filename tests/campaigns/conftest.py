"""Fixtures for the campaign tests: accounts (no database rows needed) and a record of the campaigns a
test creates, purged afterwards (campaigns cannot be deleted through the product, see support.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone

import pytest

from core.accounts import Account, Role
from tests.campaigns.support import purge_campaigns


def _account(role: Role) -> Account:
    now = datetime.now(timezone.utc)
    return Account(id=0, username=f"test-{role}", role=role, created_at=now, password_changed_at=now)


@pytest.fixture(scope="session")
def manager() -> Account:
    return _account(Role.MANAGER)


@pytest.fixture(scope="session")
def analyst() -> Account:
    return _account(Role.ANALYST)


@pytest.fixture
def made(engine) -> Iterator[list[int]]:
    """Append the id of every campaign the test creates; they are purged after it."""
    ids: list[int] = []
    yield ids
    purge_campaigns(engine, ids)
