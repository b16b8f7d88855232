"""Helpers for tests that write campaigns to the shared session database."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from core.platform.clubs import all_club_ids


def every_club(engine: sa.Engine) -> list[int]:
    return all_club_ids(engine)


def purge_campaigns(engine: sa.Engine, ids: Iterable[int]) -> None:
    """Remove test campaigns with their groups and demo truth. The product never deletes a campaign and
    the database refuses it (migration 015); a superuser's session in replica mode skips those triggers, and
    the tables' owner switches them off inside the transaction, which is how a test undoes its writes."""
    ids = [int(i) for i in ids]
    if not ids:
        return
    guards = (("campaign_assignments", "campaign_assignments_guard"), ("campaigns", "campaigns_guard"))
    with engine.begin() as conn:
        superuser = conn.execute(sa.text("select current_setting('is_superuser') = 'on'")).scalar()
        if superuser:
            conn.execute(sa.text("set local session_replication_role = replica"))
        else:  # the tables' owner (a DATABASE_URL server's role): the guards are off only inside this transaction
            for table, trigger in guards:
                conn.execute(sa.text(f"alter table {table} disable trigger {trigger}"))
        for table in ("demo_truth.campaign_responses", "demo_truth.campaign_uplift", "campaign_assignments"):
            conn.execute(sa.text(f"delete from {table} where campaign_id = any(:ids)"), {"ids": ids})
        conn.execute(sa.text("delete from campaigns where id = any(:ids)"), {"ids": ids})
        if not superuser:
            for table, trigger in guards:
                conn.execute(sa.text(f"alter table {table} enable trigger {trigger}"))
        conn.execute(sa.text("delete from activity_log where object_type = 'campaign' and object_id = any(:ids)"),
                     {"ids": [str(i) for i in ids]})
