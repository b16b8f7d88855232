"""Data health on imported files, on the demo chain, and with planted faults; `oyna data check` and
`oyna import` from the command line."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import pytest
import sqlalchemy as sa

from core.accounts import Role
from core.data.health import PROBLEM, WARNING, check
from core.platform.clubs import all_club_ids
from core.rollups.refresh import refresh
from core.platform.settings import PROJECT_ROOT
from tests.conftest import CHAIN_VIEWER
from tests.data_import.conftest import FOLDER, url_of


def oyna(env, *args):
    return subprocess.run([sys.executable, "-m", "core.cli", *args], cwd=PROJECT_ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


def levels(health) -> dict[str, tuple[str, int]]:
    return {f.key: (f.level, f.count) for f in health.findings}


def test_health_of_the_imported_files(import_db, loaded):
    ids = all_club_ids(import_db)
    health = check(import_db, club_ids=ids, viewer=Role.ANALYST)
    coverage = health.coverage.set_index("club_name")
    pixel = coverage.loc["Pixel Test"]
    # no visit on 4 March, and only a no-show on the 5th
    assert (pixel.first_day, pixel.last_day, pixel.days_without_visits) == (date(2024, 3, 1), date(2024, 3, 9), 2)
    assert health.first_day == date(2024, 3, 1) and health.last_day == date(2024, 3, 9)
    gap = health.gaps.iloc[0]
    assert (gap.club_name, gap.first_day, gap.last_day, gap.days) == ("Pixel Test", date(2024, 3, 4), date(2024, 3, 5), 2)
    found = levels(health)
    assert found["visits_without_payment"] == (WARNING, 4)  # the ggLeap sessions carry no money
    assert found["seat_overlaps"][1] == 0 and health.ok
    assert health.totals["customers"] == 15 and health.totals["repeat_customers"] >= 3
    assert check(import_db, club_ids=[], viewer=Role.ANALYST).totals["visits"] == 0  # an empty scope sees nothing


def test_duplicates_and_planted_faults(import_db, loaded):
    ids = all_club_ids(import_db)
    with import_db.begin() as conn:
        twin = conn.execute(sa.text(
            "insert into users (full_name, email, phone) values ('Twin', 'BOLAT@example.kz', '8 (702) 222-33-44') "
            "returning id")).scalar_one()
        booking, payment = conn.execute(sa.text(
            "select b.id, p.id from bookings b join payments p on p.booking_id = b.id "
            "where b.external_id = 'G-001'")).one()
        conn.execute(sa.text("update payments set amount = 5000000 where id = :p"), {"p": payment})
    refresh(import_db)  # the report reads the rollups
    try:
        health = check(import_db, club_ids=ids, viewer=Role.ANALYST)
        found = levels(health)
        assert found["duplicate_emails"] == (WARNING, 1) and found["duplicate_phones"] == (WARNING, 1)
        assert "email" not in health.duplicates["email"].columns  # an analyst never sees an e-mail
        shown = check(import_db, club_ids=ids, viewer=CHAIN_VIEWER).duplicates["email"]
        assert shown.email.iloc[0].lower() == "bolat@example.kz"  # a manager does
        assert twin in health.duplicates["phone"].user_ids.iloc[0]
        assert found["absurd_amounts"] == (PROBLEM, 1) and not health.ok
    finally:
        with import_db.begin() as conn:
            conn.execute(sa.text("update payments set amount = 2700 where id = :p"), {"p": payment})
            conn.execute(sa.text("delete from users where id = :u"), {"u": twin})
            conn.execute(sa.text("delete from audit_logs where table_name = 'payments' and record_id = :p"),
                         {"p": payment})
    refresh(import_db)
    assert check(import_db, club_ids=ids, viewer=Role.ANALYST).ok


def test_the_demo_chain_is_healthy(engine, demo):
    health = check(engine, club_ids=all_club_ids(engine), viewer=Role.MANAGER)
    assert health.ok, [f for f in health.findings if f.level == PROBLEM]
    assert health.totals["visits"] > 10_000 and levels(health)["gap_days"][1] == 0


def test_data_check_from_the_command_line(cli_env, demo):
    result = oyna(cli_env, "data", "check")
    assert result.returncode == 0, result.stderr
    assert "coverage" in result.stdout and "no problems found" in result.stdout


@pytest.fixture
def import_env(cli_env, import_db):
    return {**cli_env, "DATABASE_URL": url_of(import_db)}


def test_import_from_the_command_line(import_env, import_db, loaded):
    dry = oyna(import_env, "import", str(FOLDER / "generic_visits.csv"), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "checked (dry run, nothing written)" in dry.stdout and "unchanged 12" in dry.stdout
    bad = oyna(import_env, "import", str(FOLDER / "generic_broken.csv"), str(FOLDER / "ggleap_activity.csv"),
               "--format", "generic")
    assert bad.returncode == 1, bad.stdout
    assert "line 3: no customer id" in bad.stdout and "lacks the generic column customer_id" in bad.stdout, bad.stdout


def test_mapping_corrections_on_the_command_line():
    from core.cli.data import _mapping
    from core.cli.support import UsageError

    assert _mapping(["started_at=Start time", "amount="]) == {"started_at": "Start time", "amount": None}
    with pytest.raises(UsageError, match="COLUMN=HEADER"):
        _mapping(["started_at"])
