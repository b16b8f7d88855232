"""The chain's clubs: names, time zones, local "today", opening hours, seats and halls."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pandas as pd
from sqlalchemy.engine import Connection, Engine, Row

from core.accounts import Account, scope
from core.platform.db import query_df, run


def list_clubs(engine: Engine, *, viewer: Account) -> pd.DataFrame:
    """The clubs the viewer may see (club_id, club_name, city, timezone, opens_at, closes_at, opened_on,
    local_today, seats, halls), by name: every club for an account of the whole chain."""
    return query_df(engine, "platform/clubs", club_ids=visible_club_ids(engine, viewer=viewer))


def all_clubs(engine: Engine) -> pd.DataFrame:
    """Every club, as `list_clubs` gives them: for the chain's own work (the retrain), never for a page."""
    return query_df(engine, "platform/clubs", club_ids=all_club_ids(engine))


def visible_club_ids(engine: Engine, *, viewer: Account) -> list[int]:
    """The ids of the clubs the viewer may see."""
    viewer = scope.viewer(viewer)
    return all_club_ids(engine) if viewer.whole_chain else list(viewer.club_ids or ())


def all_club_ids(engine: Engine) -> list[int]:
    """Every club's id: the scope of the chain's own work (the retrain) and of accounts of the whole chain."""
    return [int(c) for c in query_df(engine, "platform/club_ids").club_id]


def club_names(clubs: pd.DataFrame) -> dict[int, str]:
    return {int(r.club_id): str(r.club_name) for r in clubs.itertuples()}


def chain_today(clubs: pd.DataFrame) -> date:
    """The chain's "today": the latest local date of any club (all Kazakh clubs share it)."""
    if clubs.empty:
        return datetime.now(timezone.utc).date()
    return pd.to_datetime(clubs.local_today).max().date()


def display_timezone(clubs: pd.DataFrame) -> str:
    """The time zone a page shows these clubs' times in (the first's; UTC without clubs)."""
    return str(clubs.timezone.iloc[0]) if len(clubs) else "UTC"


def chain_calendar(db: Engine | Connection) -> Row:
    """The chain's main time zone (the one most clubs use) and its local date at data_as_of():
    (timezone, local_today); on a connection, inside its transaction."""
    if isinstance(db, Connection):
        return run(db, "platform/chain_today").one()
    with db.connect() as conn:
        return run(conn, "platform/chain_today").one()
