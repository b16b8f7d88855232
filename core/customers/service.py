"""Customer lists and profiles from the active model's scores; contacts are masked for analysts."""

from __future__ import annotations

import re
from collections.abc import Sequence

import pandas as pd
from sqlalchemy.engine import Engine

from core.accounts import Account, Role, mask_contacts
from core.platform.db import query_df

_WORD = re.compile(r"[\w@.+-]+", re.UNICODE)


def search_query(text: str | None) -> str | None:
    """Words typed by a person -> a prefix tsquery ('айг:* & али:*'); None for empty input."""
    words = [w.strip(".@+-") for w in _WORD.findall(text or "")]
    words = [w.replace(":", "") for w in words if w.strip(".@+-")]
    return " & ".join(f"{w}:*" for w in words[:8]) or None


def search_customers(engine: Engine, *, viewer: Account | Role | str, text: str | None = None,
                     club_ids: Sequence[int] = (), segments: Sequence[str] = (),
                     min_risk: float = 0, max_risk: float = 100, min_clv: float = 0, max_clv: float | None = None,
                     limit: int = 500) -> pd.DataFrame:
    """Scored customers of the active model; `text` searches names and e-mails (prefixes of words)."""
    if not 0 <= min_risk <= max_risk <= 100:
        raise ValueError("churn risk bounds must satisfy 0 <= min <= max <= 100")
    if min_clv < 0 or (max_clv is not None and max_clv < min_clv):
        raise ValueError("lifetime value bounds must satisfy 0 <= min <= max")
    if not 1 <= limit <= 50_000:
        raise ValueError("limit must be between 1 and 50,000")
    rows = query_df(engine, "customers/search", tsquery=search_query(text), club_ids=list(club_ids),
                    segments=list(segments), min_risk=min_risk, max_risk=max_risk, min_clv=min_clv,
                    max_clv=max_clv, limit=limit)
    return mask_contacts(rows, viewer)


def segment_overview(engine: Engine, *, club_ids: Sequence[int] = ()) -> pd.DataFrame:
    return query_df(engine, "customers/segment_overview", club_ids=list(club_ids))


def customer_profile(engine: Engine, *, viewer: Account | Role | str, user_id: int,
                     club_ids: Sequence[int]) -> dict | None:
    """One customer, or None when there is none among the clubs (see sql/customers/profile.sql)."""
    rows = query_df(engine, "customers/profile", user_id=int(user_id), club_ids=list(club_ids))
    rows = mask_contacts(rows, viewer)
    return None if rows.empty else rows.iloc[0].to_dict()


def customer_history(engine: Engine, *, user_id: int, club_ids: Sequence[int]) -> pd.DataFrame:
    return query_df(engine, "customers/monthly_history", user_id=int(user_id), club_ids=list(club_ids))
