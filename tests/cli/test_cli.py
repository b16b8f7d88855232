"""The `oyna` command end to end, in a separate process sharing the session's server."""

import subprocess
import sys

from core.platform.settings import PROJECT_ROOT


def oyna(env, *args, stdin: str | None = None):
    return subprocess.run([sys.executable, "-m", "core.cli", *args], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, input=stdin, timeout=120)


def test_status_and_url(cli_env, demo, db_url, external_server):
    status = oyna(cli_env, "db", "status")
    assert status.returncode == 0
    assert ("reachable" if external_server else "running") in status.stdout
    url = oyna(cli_env, "db", "url").stdout.strip()
    assert url.startswith("postgresql+psycopg://")
    assert url == db_url if external_server else "host=" in url


def test_sql_prints_rows(cli_env, demo):
    result = oyna(cli_env, "sql", "select count(*) as n from clubs")
    assert result.returncode == 0, result.stderr
    assert "n" in result.stdout.splitlines()[0]
    assert result.stdout.splitlines()[2].strip() == str(len(demo.clubs))


def test_sql_refuses_an_empty_statement(cli_env, demo):
    for query in ("", "   ", ";", "-- only a comment", "/* nothing */ ;"):
        result = oyna(cli_env, "sql", query)
        assert result.returncode == 2, (query, result.stdout)
        assert "empty" in result.stderr and "rows affected" not in result.stdout


def test_migrate_is_safe_twice(cli_env, demo):
    result = oyna(cli_env, "db", "migrate")
    assert result.returncode == 0 and "up to date" in result.stdout


def test_demo_keeps_existing_data(cli_env, demo):
    result = oyna(cli_env, "demo", "--size", "S", "--if-empty")
    assert result.returncode == 0 and "keeping it" in result.stdout
    refused = oyna(cli_env, "demo", "--size", "S")
    assert refused.returncode == 1 and "already holds data" in refused.stderr


def test_errors_are_messages_not_tracebacks(cli_env, demo):
    bad_sql = oyna(cli_env, "sql", "select * from no_such_table")
    bad_size = oyna(cli_env, "demo", "--size", "XXL")
    bad_url = oyna({**cli_env, "DATABASE_URL": "postgresql://nobody@/x?host=/nonexistent"}, "sql", "select 1")
    bad_driver = oyna({**cli_env, "DATABASE_URL": "nosuchdb://x"}, "db", "status")
    for result, text in [(bad_sql, "no_such_table"), (bad_size, "unknown demo size"),
                         (bad_url, "cannot reach the database"), (bad_driver, "not valid")]:
        assert result.returncode != 0
        assert text in result.stderr
        assert "Traceback" not in result.stderr


def test_start_refused_with_external_url(cli_env):
    result = oyna({**cli_env, "DATABASE_URL": "postgresql://x@/y?host=/tmp"}, "db", "start")
    assert result.returncode == 2 and "DATABASE_URL is set" in result.stderr


def test_refresh_grades_and_retrain_checks_its_moment(cli_env, demo):
    refreshed = oyna(cli_env, "refresh")
    assert refreshed.returncode == 0 and "rollups: " in refreshed.stdout
    full = oyna(cli_env, "refresh", "--full")
    assert full.returncode == 0 and "rollups: 0 club days" not in full.stdout, full.stdout
    bad = oyna(cli_env, "retrain", "--as-of", "last tuesday")
    assert bad.returncode == 2 and "not an ISO date or time" in bad.stderr and "Traceback" not in bad.stderr
def test_db_maintain_makes_partitions_and_trims_the_logs(cli_env, engine, demo, forget_logs):
    import sqlalchemy as sa

    from core.accounts import add_account, remove_account, sessions
    from tests.accounts.support import PASSWORD, unique_name

    name = unique_name("maint")
    account = add_account(engine, username=name, role="analyst", password=PASSWORD)
    try:
        old = sessions.start(engine, account)
        with engine.begin() as conn:
            conn.execute(sa.text("update app_sessions set ended_at = now() - interval '40 days', end_reason = "
                                 "'sign_out' where id = :i"), {"i": old.session_id})
            conn.execute(sa.text("insert into sign_in_log (username, succeeded, reason, at) "
                                 "values (null, false, 'unknown_account', now() - interval '100 days')"))
            conn.execute(sa.text("insert into sign_in_throttle (key, failures, last_failure_at) "
                                 "values ('address:198.51.100.9', 3, now() - interval '2 days')"))
        result = oyna(cli_env, "db", "maintain")
        assert result.returncode == 0, result.stderr
        assert "months with partitions" in result.stdout and "sessions trimmed: 0" not in result.stdout
        with engine.connect() as conn:
            assert conn.execute(sa.text("select count(*) from app_sessions where id = :i"),
                                {"i": old.session_id}).scalar() == 0
            assert conn.execute(sa.text("select count(*) from sign_in_log where at < now() - interval '91 days'"
                                        )).scalar() == 0
            assert conn.execute(sa.text("select count(*) from sign_in_throttle where key = 'address:198.51.100.9'"
                                        )).scalar() == 0
    finally:
        remove_account(engine, username=name)
