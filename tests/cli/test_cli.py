"""The `oyna` command end to end, in a separate process sharing the session's server."""

import subprocess
import sys

from core.platform.settings import PROJECT_ROOT


def oyna(env, *args, stdin: str | None = None):
    return subprocess.run([sys.executable, "-m", "core.cli", *args], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, input=stdin, timeout=120)


def test_status_and_url(cli_env, demo):
    status = oyna(cli_env, "db", "status")
    assert status.returncode == 0 and "running" in status.stdout
    url = oyna(cli_env, "db", "url").stdout.strip()
    assert url.startswith("postgresql+psycopg://") and "host=" in url


def test_sql_prints_rows(cli_env, demo):
    result = oyna(cli_env, "sql", "select count(*) as n from clubs")
    assert result.returncode == 0, result.stderr
    assert "n" in result.stdout.splitlines()[0]
    assert result.stdout.splitlines()[2].strip() == str(len(demo.clubs))


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
    assert refreshed.returncode == 0 and "mv_daily_club_stats: refreshed" in refreshed.stdout
    bad = oyna(cli_env, "retrain", "--as-of", "last tuesday")
    assert bad.returncode == 2 and "not an ISO date or time" in bad.stderr and "Traceback" not in bad.stderr
