"""Saved scenarios: save, list, load, delete and compare, in the `scenarios` table (migration 008).

A scenario is saved with its levers, its result (as JSON) and the clubs it covers; names are unique per
author, and only the author may delete one. A scenario is listed, loaded and compared only for accounts
that may see every club it covers; saves and deletes go to the activity log.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.accounts import Account, audit, scope
from core.i18n import _
from core.i18n.format import number
from core.platform.db import load_sql, query_df
from core.whatif.levers import Scenario, ScenarioError
from core.whatif.result import ScenarioResult, json_safe
from core.whatif.words import describe

MAX_NAME = 120
RANGE_COLUMNS = ("revenue_change_pct_lo", "revenue_change_pct_hi", "utilization_change_pp_lo",
                 "utilization_change_pp_hi")


class ScenarioExists(ScenarioError):
    """The author already has a scenario with this name."""


class ScenarioNotFound(LookupError):
    """No saved scenario has this id."""


class NotYourScenario(PermissionError):
    """Only the author may delete a saved scenario."""


@dataclass(frozen=True)
class SavedScenario:
    id: int
    name: str
    author: str
    created_at: datetime
    scenario: Scenario
    result: dict[str, Any]


def _result_json(result: ScenarioResult | Mapping[str, Any]) -> str:
    data = result.to_dict() if isinstance(result, ScenarioResult) else json_safe(result)
    return json.dumps(data, ensure_ascii=False, allow_nan=False)


def _clean_name(name: Any, what: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ScenarioError(_("the scenario's {what} cannot be empty").format(what=what))
    name = " ".join(name.split())
    if len(name) > MAX_NAME:
        raise ScenarioError(_("the scenario's {what} is too long (at most {most} characters)").format(
            what=what, most=number(MAX_NAME)))
    return name


def _exists(name: str) -> ScenarioExists:
    return ScenarioExists(_("you already have a scenario named {name!r}; choose another name or overwrite it").format(
        name=name))


def _club_ids(result: ScenarioResult | Mapping[str, Any]) -> list[int]:
    data = result.to_dict() if isinstance(result, ScenarioResult) else result
    return sorted({int(c) for c in (data.get("baseline") or {}).get("club_ids") or ()})


def save_scenario(engine: Engine, *, name: str, author: Account, scenario: Scenario,
                  result: ScenarioResult | Mapping[str, Any], overwrite: bool = False) -> int:
    """Save in one transaction and return the id. A name the author already used raises ScenarioExists
    unless overwrite=True, which replaces it (the old row goes only if the new one is written). The
    author must be able to see every club the result covers."""
    author = scope.viewer(author)
    name, author_name = _clean_name(name, _("name")), _clean_name(author.username, _("author"))
    if not isinstance(scenario, Scenario):
        raise ScenarioError(_("save_scenario needs a Scenario"))
    clubs = _club_ids(result)
    if not scope.allows_all(author, clubs):
        raise ScenarioError(_("this scenario covers clubs you cannot see"))
    levers = json.dumps(json_safe(scenario.to_dict()), ensure_ascii=False, allow_nan=False)
    try:
        with engine.begin() as conn:
            existing = conn.execute(sa.text(load_sql("whatif/find")), {"author": author_name, "name": name}).first()
            if existing is not None:
                if not overwrite:
                    raise _exists(name)
                conn.execute(sa.text(load_sql("whatif/delete_named")), {"author": author_name, "name": name})
            row = conn.execute(sa.text(load_sql("whatif/insert")),
                               {"name": name, "author": author_name, "levers": levers, "club_ids": clubs}).one()
            conn.execute(sa.text(load_sql("whatif/set_result")), {"id": row.id, "result": _result_json(result)})
            audit.record(conn, author, "scenario_save", object_type="scenario", object_id=row.id, club_ids=clubs,
                         details={"name": name, "replaced": existing is not None})
            return int(row.id)
    except sa.exc.IntegrityError as exc:   # a concurrent save of the same name won the race
        if "unique" in str(exc.orig).lower():
            raise _exists(name) from None
        raise


def _visible(viewer: Account) -> dict[str, Any]:
    viewer = scope.viewer(viewer)
    return {"whole_chain": viewer.whole_chain, "club_ids": list(viewer.club_ids or ())}


def list_scenarios(engine: Engine, *, viewer: Account) -> pd.DataFrame:
    """Saved scenarios the viewer may see, newest first, with their headline numbers."""
    return query_df(engine, "whatif/list", **_visible(viewer))


def load_scenario(engine: Engine, *, id: int, viewer: Account) -> SavedScenario:
    """A saved scenario the viewer may see (ScenarioNotFound otherwise)."""
    rows = query_df(engine, "whatif/load", id=int(id), **_visible(viewer))
    if rows.empty:
        raise ScenarioNotFound(_("there is no saved scenario with id {id}").format(id=id))
    r = rows.iloc[0]
    levers = r["levers"] if isinstance(r["levers"], dict) else json.loads(r["levers"])
    result = r["result"] if isinstance(r["result"], dict) else json.loads(r["result"])
    return SavedScenario(id=int(r["id"]), name=r["name"], author=r["author"], created_at=r["created_at"],
                         scenario=Scenario.from_dict(levers), result=result)


def delete_scenario(engine: Engine, *, id: int, author: Account) -> None:
    """Delete a saved scenario; only its author may."""
    author = scope.viewer(author)
    with engine.begin() as conn:
        deleted = conn.execute(sa.text(load_sql("whatif/delete")), {"id": int(id), "author": author.username}).first()
        if deleted is not None:
            audit.record(conn, author, "scenario_delete", object_type="scenario", object_id=int(id),
                         club_ids=list(deleted.club_ids or ()), details={"name": deleted.name})
            return
        owner = conn.execute(sa.text(load_sql("whatif/exists")), {"id": int(id)}).first()
    if owner is None:
        raise ScenarioNotFound(_("there is no saved scenario with id {id}").format(id=id))
    raise NotYourScenario(_("only {author} can delete this scenario").format(author=owner.author))


def compare_saved(saved: list[SavedScenario]) -> pd.DataFrame:
    """One row per saved scenario with its headline numbers and their ranges, its levers in words and
    the ids of the clubs it covers, for a side-by-side table (a missing number is NaN)."""
    rows = []
    for s in saved:
        t = s.result.get("total", {})
        rows.append({
            "id": s.id, "name": s.name, "author": s.author, "created_at": s.created_at,
            "revenue_base": t.get("revenue_base"), "revenue": t.get("revenue"),
            "revenue_change_pct": t.get("revenue_change_pct"),
            "utilization_base": t.get("utilization_base"), "utilization": t.get("utilization"),
            "utilization_change_pp": t.get("utilization_change_pp"),
            "net_change_30d": t.get("net_change_30d"),
            **{col: t.get(col) for col in RANGE_COLUMNS},
            "levers": "; ".join(describe(s.scenario)) or _("no levers"),
            "clubs": ", ".join(str(c) for c in s.result.get("baseline", {}).get("club_ids", [])),
        })
    return pd.DataFrame(rows).fillna(value=math.nan).infer_objects()


def compare_scenarios(engine: Engine, ids: Iterable[int], *, viewer: Account) -> pd.DataFrame:
    """The side-by-side table (`compare_saved`) of the saved scenarios with these ids, in that order."""
    return compare_saved([load_scenario(engine, id=i, viewer=viewer) for i in ids])
