"""Helpers for tests that write campaigns to the shared session database."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from core.platform.clubs import all_club_ids


def every_club(engine: sa.Engine) -> list[int]:
    return all_club_ids(engine)


def purge_campaigns(engine: sa.Engine, ids: Iterable[int]) -> None:
    """Remove test campaigns with their groups and demo truth. The product never deletes a campaign and
    the database refuses it (migration 015); a superuser's session in replica mode skips those triggers,
    which is how a test undoes its writes."""
    ids = [int(i) for i in ids]
    if not ids:
        return
    with engine.begin() as conn:
        conn.execute(sa.text("set local session_replication_role = replica"))
        for table in ("demo_truth.campaign_responses", "demo_truth.campaign_uplift", "campaign_assignments"):
            conn.execute(sa.text(f"delete from {table} where campaign_id = any(:ids)"), {"ids": ids})
        conn.execute(sa.text("delete from campaigns where id = any(:ids)"), {"ids": ids})
        conn.execute(sa.text("delete from activity_log where object_type = 'campaign' and object_id = any(:ids)"),
                     {"ids": [str(i) for i in ids]})
