"""The activity log: what a row holds, the Activity page's search and its club scope, exports recorded with
their row count and filter, and monthly partitions that never make a write fail."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pandas as pd
import pytest
import sqlalchemy as sa

from core.accounts import PermissionDenied, Role, add_account, audit, sessions, set_scope
from tests.accounts.support import PASSWORD
from tests.conftest import viewer_of

TODAY = datetime.now(timezone.utc).date()


def rows(engine, **where) -> pd.DataFrame:
    clause = " and ".join(f"{k} = :{k}" for k in where) or "true"
    with engine.connect() as conn:
        result = conn.execute(sa.text(f"select * from activity_log where {clause} order by id"), where)
        return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


def test_a_row_says_who_when_where_what_and_on_what(engine, demo, account):
    started = sessions.start(engine, account, address="10.20.0.1")
    me = sessions.resume(engine, session_id=started.session_id, address="10.20.0.1")
    audit.record(engine, me, "export", object_type="customers", club_ids=[2, 1, 2], details={"rows": 3})
    row = rows(engine, session_id=started.session_id, action="export").iloc[0]
    assert (row.username, row.role, row.via, row.address) == (account.username, "analyst", "app", "10.20.0.1")
    assert list(row.club_ids) == [1, 2] and row.details == {"rows": 3} and row.object_type == "customers"
    assert row["at"] > datetime.now(timezone.utc) - timedelta(minutes=1)
    signed_in = rows(engine, session_id=started.session_id, action="sign_in").iloc[0]
    assert signed_in.object_id == str(started.session_id)


def test_command_line_changes_are_recorded_with_the_os_user(engine, demo, names):
    name = names("cli")
    add_account(engine, username=name, role="manager", password=PASSWORD, via="cli")
    set_scope(engine, username=name, club_ids=[1], via="cli")
    found = rows(engine, object_id=name)
    assert found.action.tolist() == ["account_add", "account_scope"]
    assert set(found.via) == {"cli"} and found.username.isna().all()
    assert found.details.iloc[1]["clubs"] == [1] and found.details.iloc[0]["os_user"]


def test_exports_record_rows_and_filter(engine, chain_viewer):
    frame = pd.DataFrame({"a": [1, 2, 3]})
    data = audit.export(engine, chain_viewer, frame, what="things", club_ids=[1], filters={"q": "x"})
    assert data.decode("utf-8-sig").splitlines() == ["a", "1", "2", "3"]
    row = rows(engine, action="export", object_type="things").iloc[-1]
    assert row.details == {"rows": 3, "format": "csv", "filter": {"q": "x"}}


def test_search_filters_and_the_scope_of_a_clubs_manager(engine, demo, chain_viewer):
    one, two = replace(viewer_of([1]), id=-1, username="club-one"), replace(viewer_of([2]), id=-2)
    audit.record(engine, chain_viewer, "export", object_type="x", object_id="chain-wide")
    audit.record(engine, chain_viewer, "export", object_type="x", object_id="of-club-1", club_ids=[1])
    audit.record(engine, chain_viewer, "export", object_type="x", object_id="of-clubs-1-2", club_ids=[1, 2])
    audit.record(engine, one, "customer_view", object_type="customer", object_id="mine")

    def seen(viewer, **kw) -> set:
        found = audit.search(engine, viewer=viewer, start=TODAY - timedelta(days=1), end=TODAY + timedelta(days=1),
                             **kw)
        return set(found.object_id)

    assert {"chain-wide", "of-club-1", "of-clubs-1-2", "mine"} <= seen(chain_viewer)
    assert seen(one) >= {"of-club-1", "mine"} and not seen(one) & {"chain-wide", "of-clubs-1-2"}
    assert not seen(two) & {"chain-wide", "of-club-1", "of-clubs-1-2", "mine"}
    assert seen(chain_viewer, actions=["customer_view"]) & {"mine", "of-club-1"} == {"mine"}
    assert "mine" in seen(chain_viewer, who="club-o") and "mine" not in seen(chain_viewer, who="nobody-here")
    assert seen(chain_viewer, text="CLUBS-1") & {"of-clubs-1-2", "of-club-1"} == {"of-clubs-1-2"}
    with pytest.raises(PermissionDenied):
        audit.search(engine, viewer=viewer_of([1], role=Role.ANALYST), start=TODAY, end=TODAY)
    with pytest.raises(ValueError, match="after the last"):
        audit.search(engine, viewer=chain_viewer, start=TODAY, end=TODAY - timedelta(days=1))


def test_search_export_is_recorded_as_an_export(engine, chain_viewer):
    data = audit.search_export(engine, viewer=chain_viewer, start=TODAY, end=TODAY, actions=["export"])
    assert data.decode("utf-8-sig").startswith("at,who,role,via,action")
    assert rows(engine, action="export", object_type="activity").details.iloc[-1]["filter"]["actions"] == ["export"]


def test_no_write_fails_for_lack_of_a_partition(conn):
    """Rows far in the past or future land in the DEFAULT partition, and a month created later takes them."""
    far = datetime(2099, 5, 17, tzinfo=timezone.utc)
    conn.execute(sa.text("insert into activity_log (at, action) values (:at, 'export')"), {"at": far})
    conn.execute(sa.text("insert into audit_logs (table_name, action, created_at) values ('x', 'INSERT', :at)"),
                 {"at": far})
    where = "select tableoid::regclass::text from {} where {} = :at"
    assert conn.execute(sa.text(where.format("activity_log", "at")), {"at": far}).scalar_one() == "activity_log_default"
    assert conn.execute(sa.text(where.format("audit_logs", "created_at")), {"at": far}).scalar_one() == \
        "audit_logs_default"
    conn.execute(sa.text("select create_month_partition('activity_log', 'at', date '2099-05-01')"))
    conn.execute(sa.text("select create_audit_partition(date '2099-05-01')"))
    assert conn.execute(sa.text(where.format("activity_log", "at")), {"at": far}).scalar_one() == "activity_log_2099_05"
    assert conn.execute(sa.text(where.format("audit_logs", "created_at")), {"at": far}).scalar_one() == \
        "audit_logs_2099_05"
    assert conn.execute(sa.text("select count(*) from activity_log where at = :at"), {"at": far}).scalar_one() == 1


def test_expired_months_are_dropped(conn):
    conn.execute(sa.text("select create_month_partition('activity_log', 'at', date '2001-03-01')"))
    conn.execute(sa.text("insert into activity_log (at, action) values ('2001-03-05', 'export'), "
                         "('2000-01-05', 'export')"))  # the second lands in the DEFAULT partition
    dropped = conn.execute(sa.text("select drop_month_partitions('activity_log', 'at', date '2001-04-01')")).scalar()
    assert dropped >= 1
    assert conn.execute(sa.text("select to_regclass('activity_log_2001_03')")).scalar() is None
    assert conn.execute(sa.text("select count(*) from activity_log where at < '2001-04-01'")).scalar() == 0
    assert conn.execute(sa.text("select to_regclass('activity_log_default')")).scalar() is not None


def test_partitions_are_made_ahead(engine):
    from core.platform.partitions import ensure_ahead

    assert ensure_ahead(engine) >= 8
    month = (date.today().replace(day=1) + timedelta(days=62)).strftime("%Y_%m")
    with engine.connect() as conn:
        for table in ("activity_log", "audit_logs"):
            assert conn.execute(sa.text("select to_regclass(:t)"), {"t": f"{table}_{month}"}).scalar() is not None
