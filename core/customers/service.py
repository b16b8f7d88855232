"""What the Customers and Customer pages show: segments, the searchable list and its CSV, one customer's
profile and history, and how customers moved between segments.

Every function takes the signed-in `viewer`: its club scope limits the clubs asked for (`scope.clubs`)
before any query runs, and its role decides what it sees of a customer (`mask_customers`: analysts get
a first name and an initial, no e-mail, no phone, and search first names only). Opening a customer with
contacts visible and exporting go to the activity log.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import pandas as pd
from sqlalchemy.engine import Engine

from core.accounts import Account, audit, mask_customers, scope, sees_contacts
from core.customers.recommend import action_label, reason_text
from core.customers.segments import SEGMENTS, segment_label, segment_transitions, transition_matrix
from core.i18n.format import MISSING
from core.models.quality import churn_quality  # noqa: F401 - the Customers page shows the model's quality too
from core.platform.db import query_df

SEGMENT_MONTHS = 6  # month ends traced for the segment moves
VIEW_SECONDS = 600  # one customer_view per customer, session and 10 minutes
MONEY_COLUMNS = ("clv_12m", "clv_12m_lo", "clv_12m_hi", "monetary_total")  # tenge, in the list's exports

_WORD = re.compile(r"[\w@.+-]+", re.UNICODE)


def search_query(text: str | None, *, first_word: bool = False) -> str | None:
    """Words typed by a person -> a prefix tsquery ('айг:* & али:*'), of the first word only with
    `first_word`; None for empty input."""
    words = [w.strip(".@+-") for w in _WORD.findall(text or "")]
    words = [w.replace(":", "") for w in words if w.strip(".@+-")]
    return " & ".join(f"{w}:*" for w in words[:1 if first_word else 8]) or None


def search_customers(engine: Engine, *, viewer: Account, club_ids: Sequence[int], text: str | None = None,
                     segments: Sequence[str] = (), min_risk: float = 0, max_risk: float = 100, min_clv: float = 0,
                     max_clv: float | None = None, limit: int = 500) -> pd.DataFrame:
    """Scored customers of the active model at some of the viewer's clubs; `text` searches names (and
    e-mails, for people who may see them) by prefixes of words. Someone who may not see contacts searches
    first names only, with the first word typed: 'Айгерим Ал' finds the same customers as 'Айгерим', and
    the first letters of a surname find nobody by it. Segments and the top action are in the current
    language (`segment_code` keeps the stored code)."""
    viewer = scope.viewer(viewer)
    if not 0 <= min_risk <= max_risk <= 100:
        raise ValueError("churn risk bounds must satisfy 0 <= min <= max <= 100")
    if min_clv < 0 or (max_clv is not None and max_clv < min_clv):
        raise ValueError("lifetime value bounds must satisfy 0 <= min <= max")
    if not 1 <= limit <= 50_000:
        raise ValueError("limit must be between 1 and 50,000")
    names_only = not sees_contacts(viewer)
    rows = query_df(engine, "customers/search", tsquery=search_query(text, first_word=names_only),
                    club_ids=scope.clubs(viewer, club_ids), names_only=names_only, segments=list(segments),
                    min_risk=min_risk, max_risk=max_risk, min_clv=min_clv, max_clv=max_clv, limit=limit)
    rows["segment_code"] = rows["segment"]
    rows["segment"] = rows["segment"].map(segment_label)
    rows["top_action"] = [MISSING if code is None else action_label(code, label)
                          for code, label in zip(rows.pop("top_action_code"), rows["top_action"])]
    return mask_customers(rows, viewer)


def customers_export(engine: Engine, *, viewer: Account, club_ids: Sequence[int], text: str | None = None,
                     segments: Sequence[str] = (), min_risk: float = 0, max_risk: float = 100, min_clv: float = 0,
                     max_clv: float | None = None, limit: int = 5000, fmt: str = "csv",
                     labels: Mapping[str, str] | None = None) -> bytes:
    """The customer list as a CSV or XLSX file (what the viewer sees of it), recorded as an export with its
    filter; segments and actions in the current language, `labels` the header's names (None: the columns')."""
    frame = search_customers(engine, viewer=viewer, club_ids=club_ids, text=text, segments=segments,
                             min_risk=min_risk, max_risk=max_risk, min_clv=min_clv, max_clv=max_clv, limit=limit)
    ids = scope.clubs(viewer, club_ids)
    return audit.export(engine, viewer, frame.drop(columns=["segment_code"]), what="customers", fmt=fmt,
                        club_ids=ids, filters={"clubs": ids, "text": text or "", "segments": list(segments),
                                               "risk": [min_risk, max_risk], "clv": [min_clv, max_clv]},
                        labels=labels, money=MONEY_COLUMNS)


def segment_overview(engine: Engine, *, viewer: Account, club_ids: Sequence[int]) -> pd.DataFrame:
    """Each segment of the active model among the clubs' customers: customers, their 90-day revenue at
    those clubs, shares, average churn risk and lifetime value (empty before the first model). `segment`
    is the stored code, `label` its name in the current language."""
    frame = query_df(engine, "customers/segment_overview", club_ids=scope.clubs(scope.viewer(viewer), club_ids))
    frame.insert(1, "label", frame["segment"].map(segment_label))
    return frame


def segment_choices(overview: pd.DataFrame) -> list[str]:
    """The segments present, in the product's order (codes; show them with `segment_label`)."""
    present = set(overview.segment)
    return [s for s in SEGMENTS if s in present]


def segments_revenue(overview: pd.DataFrame) -> float:
    """The 90-day revenue of every segment together."""
    return float(overview.revenue_90d.sum()) if len(overview) else 0.0


def customer_profile(engine: Engine, *, viewer: Account, user_id: int, club_ids: Sequence[int]) -> dict | None:
    """One customer of the viewer's clubs with the active model's scores (None: no such customer among
    them). A profile with contacts is recorded in the activity log (once per session and customer in
    VIEW_SECONDS), so call this on every view, uncached. `segment_label` and `actions` (the stored
    recommendations as a table) are in the current language."""
    viewer = scope.viewer(viewer)
    ids = scope.clubs(viewer, club_ids)
    rows = query_df(engine, "customers/profile", user_id=int(user_id), club_ids=ids)
    if rows.empty:
        return None
    if sees_contacts(viewer):
        audit.record(engine, viewer, "customer_view", object_type="customer", object_id=int(user_id),
                     club_ids=list(rows.visited_club_ids.iloc[0] or ()) or ids, once_within=VIEW_SECONDS)
    profile = mask_customers(rows.drop(columns=["visited_club_ids"]), viewer).iloc[0].to_dict()
    profile["segment_label"] = None if pd.isna(profile.get("segment")) else segment_label(profile["segment"])
    profile["actions"] = action_rows(profile.get("recommendations") or [])
    return profile


def action_rows(recommendations: list[dict]) -> pd.DataFrame:
    """Stored recommendations as a table in the current language: action, why, expected_value."""
    return pd.DataFrame([{"action": action_label(a.get("code"), a.get("label_en")), "why": reason_text(a),
                          "expected_value": a.get("expected_value")} for a in recommendations],
                        columns=["action", "why", "expected_value"])


def customer_history(engine: Engine, *, viewer: Account, user_id: int, club_ids: Sequence[int]) -> pd.DataFrame:
    """A customer's visits, cancellations and spend per month at the viewer's chosen clubs."""
    return query_df(engine, "customers/monthly_history", user_id=int(user_id),
                    club_ids=scope.clubs(scope.viewer(viewer), club_ids))


def customer_visits(engine: Engine, *, viewer: Account, user_id: int, club_ids: Sequence[int]) -> pd.DataFrame:
    """A customer's days with a visit at the viewer's chosen clubs (day, club, visits), oldest first, for
    the timeline."""
    return query_df(engine, "customers/visit_days", user_id=int(user_id),
                    club_ids=scope.clubs(scope.viewer(viewer), club_ids))


def segment_moves(engine: Engine, *, viewer: Account, club_ids: Sequence[int],
                  months: int = SEGMENT_MONTHS) -> pd.DataFrame:
    """The chosen clubs' customers moving between segments from one month end to the next (empty with
    under two month ends of history); see `core.customers.segments.segment_transitions`."""
    ids = scope.clubs(scope.viewer(viewer), club_ids)
    try:
        return segment_transitions(engine, club_ids=ids, months=months)
    except ValueError:  # less than two month ends of history
        return pd.DataFrame(columns=["from_cutoff", "to_cutoff", "from_segment", "to_segment", "customers"])


def move_months(moves: pd.DataFrame) -> list:
    """The month ends the moves lead to, oldest first."""
    return sorted(moves.to_cutoff.unique())


def moves_in_month(moves: pd.DataFrame, month) -> pd.DataFrame:
    """Segment a month before (rows) x segment at the month end (columns), in customers, named in the
    current language."""
    matrix = transition_matrix(moves[moves.to_cutoff == month])
    return matrix.rename(index=segment_label, columns=segment_label)
