"""Database roles: the app's role reads and writes rows but has no DDL and no demo_truth; the read-only
role reads, without customers' names and contacts or accounts, and never writes; `oyna db url --role`."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from core.platform.db import make_engine
from core.rollups.refresh import refresh
from tests.cli.test_cli import oyna

DENIED = (sa.exc.ProgrammingError, sa.exc.InternalError)  # InsufficientPrivilege


@pytest.fixture(scope="module")
def readonly_engine(readonly_url):
    eng = make_engine(readonly_url)
    yield eng
    eng.dispose()


def _refused(engine: sa.Engine, statement: str) -> bool:
    with engine.connect() as conn:
        try:
            conn.execute(sa.text(statement))
        except DENIED as exc:
            return "permission denied" in str(exc) or "must be owner" in str(exc)
        finally:
            conn.rollback()
    return False


def test_the_app_role_has_no_ddl_and_no_demo_truth(app_engine, app_url, db_url, demo):
    if app_url == db_url:
        pytest.skip("the external server's role may not create the app's role")
    with app_engine.connect() as conn:
        assert conn.execute(sa.text("select current_user")).scalar() == "oyna_app"
        assert not conn.execute(sa.text("select rolsuper from pg_roles where rolname = current_user")).scalar()
        assert conn.execute(sa.text("select count(*) from users")).scalar() == len(demo.users)
        conn.execute(sa.text("update clubs set name = name where id = (select min(id) from clubs)"))
        conn.rollback()
    assert _refused(app_engine, "drop table bookings")
    assert _refused(app_engine, "create table oyna_probe (id int)")
    assert _refused(app_engine, "alter table clubs add column probe int")
    assert _refused(app_engine, "select * from demo_truth.generation")
    assert _refused(app_engine, "select oyna_grant_roles()")


def test_the_app_role_can_refresh_rollups_and_use_later_tables(app_engine, app_url, db_url, engine, demo):
    if app_url == db_url:
        pytest.skip("the external server's role may not create the app's role")
    with engine.begin() as conn:  # a day to rebuild, so that mv_daily_club_stats (the owner's) is refreshed too
        conn.execute(sa.text("update payments set amount = amount where id = (select min(id) from payments)"))
    assert refresh(app_engine).days >= 1  # an import or a retrain started from a page does this
    with app_engine.begin() as conn:  # an import does this
        conn.execute(sa.text("select ensure_audit_partitions(current_date - 1, current_date + 31)"))
    with app_engine.begin() as conn:  # and a retrain this, so that the pages' plans see its new rows
        conn.execute(sa.text("select analyze_model_tables()"))
    table = f"later_{uuid.uuid4().hex[:8]}"  # what another feature's migration adds later
    with engine.begin() as conn:
        conn.execute(sa.text(f"create table {table} (id int generated always as identity, note text)"))
    try:
        with app_engine.begin() as conn:
            conn.execute(sa.text(f"insert into {table} (note) values ('x')"))
            assert conn.execute(sa.text(f"select count(*) from {table}")).scalar() == 1
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f"drop table {table}"))


def test_the_readonly_role_reads_but_never_writes(readonly_engine, demo):
    with readonly_engine.connect() as conn:
        assert conn.execute(sa.text("select count(*) from bookings")).scalar() == len(demo.bookings)
        assert conn.execute(sa.text("select count(id) from users")).scalar() == len(demo.users)
        conn.execute(sa.text("select * from customer_scores limit 1"))
        conn.execute(sa.text("select * from mv_daily_club_stats limit 1"))
        conn.execute(sa.text("select ai_dashboard_summary()"))
    assert _refused(readonly_engine, "insert into clubs (name, timezone) values ('x', 'Asia/Almaty')")
    assert _refused(readonly_engine, "update bookings set price = 0")
    assert _refused(readonly_engine, "delete from payments")
    assert _refused(readonly_engine, "drop table bookings")
    assert _refused(readonly_engine, "select analyze_model_tables()")
    for secret in ("select email from users", "select full_name from users", "select phone from users",
                   "select * from app_accounts", "select * from app_sessions", "select * from activity_log",
                   "select * from audit_logs", "select * from alert_channels", "select * from demo_truth.generation"):
        assert _refused(readonly_engine, secret), secret


def test_db_url_prints_each_role(cli_env, external_server, demo):
    urls = {}
    for role in ("owner", "app", "readonly"):
        done = oyna(cli_env, "db", "url", "--role", role)
        if external_server and role == "readonly":
            assert done.returncode != 0 and "OYNA_READONLY_DATABASE_URL" in done.stderr
            continue
        assert done.returncode == 0, done.stderr
        urls[role] = sa.make_url(done.stdout.strip())
    if not external_server:
        assert [urls[r].username for r in ("owner", "app", "readonly")] == ["postgres", "oyna_app", "oyna_readonly"]
        with make_engine(urls["app"].render_as_string(hide_password=False)).connect() as conn:
            assert conn.execute(sa.text("select current_user")).scalar() == "oyna_app"
    assert oyna(cli_env, "db", "status", "--role", "app").returncode == 2
