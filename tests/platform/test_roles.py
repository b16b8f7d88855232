"""Database roles: the app's role reads and writes rows but has no DDL and no demo_truth; the read-only
role reads, without customers' names and contacts or accounts, and never writes; `oyna db url --role`."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from core.platform.db import make_engine
from core.platform.migrate import grant_roles
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


# ---------------------------------------------------------------- functions, logs and names (issue 18)

APP_DEFINERS = {"refresh_analytics(boolean)", "ensure_audit_partitions(date,date)", "analyze_model_tables()",
                # the rollups' refresh, which an import or a retrain started from a page runs (023)
                "rollup_plan()", "rollup_refresh_days(integer)", "rollup_refresh_customers(integer)",
                "rollup_publish(integer,integer,double precision,boolean)"}
DEFINERS = ("select p.oid::regprocedure::text as fn, p.proacl::text[] as acl, p.proconfig from pg_proc p "
            "where p.pronamespace = 'public'::regnamespace and p.prosecdef order by 1")


def _may_run(conn: sa.Connection, role: str, function: str) -> bool:
    return conn.execute(sa.text("select has_function_privilege(:r, cast(:f as regprocedure), 'execute')"),
                        {"r": role, "f": function}).scalar()


def _roles_exist(app_url, db_url):
    if app_url == db_url:
        pytest.skip("the external server's role may not create the app's role")


def test_definer_functions_run_only_for_the_role_that_needs_them(engine, readonly_engine, app_url, db_url, demo):
    """Every SECURITY DEFINER function: not PUBLIC's, never the read-only role's, the app's only when a page's
    job calls it, and with a fixed search_path."""
    _roles_exist(app_url, db_url)
    with engine.connect() as conn:
        definers = conn.execute(sa.text(DEFINERS)).all()
        assert APP_DEFINERS <= {d.fn for d in definers}
        for d in definers:
            assert not any(a.startswith("=") for a in d.acl or ["=X/default"]), d.fn  # "=X": PUBLIC may run it
            assert any(c.startswith("search_path=") for c in d.proconfig or []), d.fn
            assert not _may_run(conn, "oyna_readonly", d.fn), d.fn
            assert _may_run(conn, "oyna_app", d.fn) == (d.fn in APP_DEFINERS), d.fn
    assert _refused(readonly_engine, "select * from refresh_analytics(false)")
    assert _refused(readonly_engine, "select ensure_audit_partitions(current_date, current_date)")


def test_a_later_definer_function_is_the_owners_alone(engine, app_url, db_url, readonly_engine, demo):
    """A function a later migration adds is nobody's but the owner's until granted by name, and an ordinary
    one is the read-only role's to run too (but not PUBLIC's)."""
    _roles_exist(app_url, db_url)
    name = f"probe_{uuid.uuid4().hex[:8]}"
    with engine.begin() as conn:
        conn.execute(sa.text(f"create function {name}_definer() returns int language sql security definer "
                             "set search_path = public as 'select 1'"))
        conn.execute(sa.text(f"create function {name}_plain() returns int language sql as 'select 1'"))
    try:
        grant_roles(engine)
        with engine.connect() as conn:
            assert not _may_run(conn, "oyna_app", f"{name}_definer()")
            assert not _may_run(conn, "oyna_readonly", f"{name}_definer()")
            assert _may_run(conn, "oyna_readonly", f"{name}_plain()")
            assert not conn.execute(sa.text("select exists (select from pg_proc p, aclexplode(p.proacl) a "
                                            "where p.proname like :n and a.grantee = 0)"), {"n": f"{name}%"}).scalar()
        with readonly_engine.connect() as conn:
            assert conn.execute(sa.text(f"select {name}_plain()")).scalar() == 1
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f"drop function {name}_definer(); drop function {name}_plain()"))


@pytest.mark.parametrize("span", [("2000-01-01", "2000-01-31"), ("2100-01-01", "2100-02-01"),
                                  ("0001-01-01", "9999-12-31"), ("2000-01-01", None)])
def test_audit_partitions_far_from_today_are_refused(engine, app_engine, span):
    """The call an import makes as the app's role, and the owner's call of the same function, make months
    only within a year of today; the month of the request is named in the error."""
    for eng in (app_engine, engine):
        with eng.connect() as conn:
            with pytest.raises(sa.exc.DataError, match="audit_logs partitions are made only for"):
                conn.execute(sa.text("select ensure_audit_partitions(cast(:a as date), cast(:b as date))"),
                             {"a": span[0], "b": span[1]})
            conn.rollback()
    with engine.connect() as conn:
        assert not conn.execute(sa.text("select exists (select from pg_class where relname ~ "
                                        "'^audit_logs_(0001|2000|2100|9999)_')")).scalar()


def test_audit_partitions_near_today_are_made(engine, app_engine):
    with app_engine.connect() as conn:  # an import's call (platform/audit_partitions_now)
        assert conn.execute(sa.text("select ensure_audit_partitions(current_date - 1, current_date + 31)")).scalar() >= 1
        conn.rollback()
    with engine.connect() as conn:  # `oyna db maintain`'s, at the ends of the year either way
        months = conn.execute(sa.text(
            "select ensure_audit_partitions((date_trunc('month', current_date) - interval '12 months')::date, "
            "(date_trunc('month', current_date) + interval '13 months')::date - 1)")).scalar()
        conn.rollback()
    assert months == 25


def test_the_readonly_role_never_reads_a_customers_external_id(readonly_engine, engine, trained):
    """external_id is often a nickname or a phone number: hidden like names; the BI contract's functions
    still run for the read-only role, without names."""
    assert _refused(readonly_engine, "select external_id from users")
    assert _refused(readonly_engine, "select * from users")
    with engine.connect() as conn:
        expected = conn.execute(sa.text("select user_id, segment from ai_customer_segmentation()")).all()
        assert conn.execute(sa.text("select count(full_name) from ai_customer_segmentation()")).scalar() == len(expected)
    with readonly_engine.connect() as conn:
        rows = conn.execute(sa.text("select * from ai_customer_segmentation()")).all()
        assert [(r.user_id, r.segment) for r in rows] == expected and len(rows) > 0
        assert all(r.full_name is None for r in rows)
        for function in ("ai_dashboard_summary()", "ai_dashboard_summary(array[1])", "ai_model_performance()",
                         "ai_model_performance(array[1])"):
            conn.execute(sa.text(f"select * from {function}")).all()


def test_no_view_or_function_the_readonly_role_reads_names_a_customer(engine):
    """What could pass customers' names or contacts on: a view's definition or a function's body that
    reads one of the hidden columns (ai_customer_segmentation reads full_name only for roles that may)."""
    with engine.connect() as conn:
        views = conn.execute(sa.text(
            "select c.relname from pg_class c where c.relnamespace = 'public'::regnamespace "
            "and c.relkind in ('v', 'm') and pg_get_viewdef(c.oid) ~* '(external_id|full_name|email|phone)' "
            "and has_table_privilege('oyna_readonly', c.oid, 'select')")).scalars().all()
        functions = conn.execute(sa.text(
            "select p.proname from pg_proc p where p.pronamespace = 'public'::regnamespace "
            "and p.prosrc ~* '\\musers\\M' and p.prosrc ~* '\\m(external_id|full_name|email|phone)\\M' "
            "and p.proname <> 'oyna_grant_roles' "
            "and has_function_privilege('oyna_readonly', p.oid, 'execute') order by 1")).scalars().all()
    assert views == [] and functions == ["ai_customer_segmentation"]


LOGS = {  # a row the app's role adds, and a column of it to change
    "activity_log": ("insert into activity_log (action, via) values ('probe.roles', 'system') returning id", "action"),
    "sign_in_log": ("insert into sign_in_log (succeeded, reason) values (false, 'unknown_account') returning id",
                    "reason"),
    "audit_logs": ("insert into audit_logs (table_name, action) values ('probe_roles', 'INSERT') returning id",
                   "action"),
}


@pytest.mark.parametrize("log", sorted(LOGS))
def test_the_app_role_adds_to_the_logs_but_never_changes_them(engine, app_engine, app_url, db_url, log, demo):
    _roles_exist(app_url, db_url)
    with app_engine.begin() as conn:
        insert, column = LOGS[log]
        made = conn.execute(sa.text(insert)).scalar()
        assert conn.execute(sa.text(f"select count(*) from {log} where id = :id"), {"id": made}).scalar() == 1
    try:
        assert _refused(app_engine, f"update {log} set {column} = {column} where id = {made}")
        assert _refused(app_engine, f"delete from {log} where id = {made}")
        assert _refused(app_engine, f"truncate {log}")
        with engine.connect() as conn:
            partitions = conn.execute(sa.text("select inhrelid::regclass::text from pg_inherits "
                                              "where inhparent = cast(:t as regclass) order by 1"), {"t": log}).scalars()
            for partition in partitions:
                assert _refused(app_engine, f"delete from {partition} where id = {made}"), partition
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f"delete from {log} where id = :id"), {"id": made})


def test_a_log_month_made_later_is_not_the_app_roles_to_change(engine, app_engine, app_url, db_url, demo):
    """A month `oyna db maintain` makes after the last migrate: the app's role adds to it, never deletes."""
    _roles_exist(app_url, db_url)
    with engine.begin() as conn:
        month = conn.execute(sa.text("select (date_trunc('month', current_date) + interval '11 months')::date")).scalar()
        existed = conn.execute(sa.text("select to_regclass(:p) is not null"),
                               {"p": f"activity_log_{month:%Y_%m}"}).scalar()
        partition = conn.execute(sa.text("select create_month_partition('activity_log', 'at', :m)"), {"m": month}).scalar()
    try:
        with app_engine.begin() as conn:  # through the log, as the app writes (a partition of PostgreSQL 15
            # has no identity of its own)
            conn.execute(sa.text("insert into activity_log (action, at) values ('probe.roles', :m)"), {"m": month})
            assert conn.execute(sa.text(f"select count(*) from {partition} where action = 'probe.roles'")).scalar() == 1
        assert _refused(app_engine, f"delete from {partition}")
        assert _refused(app_engine, f"update {partition} set action = action")
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f"delete from {partition} where action = 'probe.roles'"))
            if not existed:
                conn.execute(sa.text(f"drop table {partition}"))
