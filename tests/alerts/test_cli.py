"""`oyna alerts` and `oyna health` in this process (the same `main` the `oyna` script runs), against the
session's database."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from core.accounts import add_account, remove_account
from core.cli import main
from tests.alerts.support import http_recorder


@pytest.fixture
def oyna(db_url, oyna_home, model_settings, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("OYNA_HOME", str(oyna_home))
    monkeypatch.setenv("OYNA_MODELS_DIR", str(model_settings.models_dir))

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(list(args))
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


@pytest.fixture
def manager(engine, demo):
    account = add_account(engine, username=f"cli-{uuid.uuid4().hex[:8]}", role="manager", password="plasma-otter-2741")
    yield account
    remove_account(engine, username=account.username)


def test_channels_subscriptions_and_a_pass_from_the_shell(oyna, manager, engine, monkeypatch):
    name = manager.username
    with http_recorder() as (base, http):
        monkeypatch.setenv("OYNA_TELEGRAM_TOKEN", "42:cli")
        monkeypatch.setenv("OYNA_TELEGRAM_API_URL", base)
        assert oyna("alerts", "add-channel", "night", "--account", name, "--telegram", "-1001")[0] == 0
        code, _, err = oyna("alerts", "add-channel", "bad", "--account", name, "--email", "not-an-address")
        assert code == 2 and "e-mail channel needs one address" in err
        code, out, _ = oyna("alerts", "channels", "--account", name)
        assert "night" in out and "telegram" in out and "-1001" in out
        code, out, _ = oyna("alerts", "test", "night", "--account", name)
        assert (code, out.strip()) == (0, "sent")
        assert http.to("/bot42:cli/sendMessage")[0]["json"]["chat_id"] == "-1001"

        code, out, _ = oyna("alerts", "subscribe", "night", "--account", name, "--quiet", "23:00-08:00",
                            "--level", "warning", "--critical-breaks-quiet", "--kinds", "silent_club,revenue")
        assert code == 0 and "subscription" in out
        code, _, err = oyna("alerts", "subscribe", "night", "--account", name, "--quiet", "late")
        assert code == 2 and "23:00-08:00" in err
        code, out, _ = oyna("alerts", "subscriptions", "--account", name)
        assert "23:00-08:00" in out and "revenue,silent_club" in out and "warning" in out

        code, out, _ = oyna("alerts", "run")
        assert code == 0 and "clubs evaluated" in out
        with engine.connect() as conn:
            assert conn.execute(sa.text("select last_pass_at is not null from alert_dispatcher")).scalar()

        listing = oyna("alerts", "subscriptions", "--account", name)[1]
        sub = listing.splitlines()[2].split("|")[0].strip()  # the first row's id
        assert oyna("alerts", "unsubscribe", sub, "--account", name)[0] == 0
        assert oyna("alerts", "unsubscribe", sub, "--account", name)[0] == 2  # gone already
        assert oyna("alerts", "remove-channel", "night", "--account", name)[0] == 0


def test_a_webhook_inside_the_network_is_refused(oyna, manager, monkeypatch):
    name = manager.username
    monkeypatch.delenv("OYNA_WEBHOOK_ALLOWED_HOSTS", raising=False)
    for url, reason in (("http://127.0.0.1:8080/hook", "starts with https://"),
                        ("https://169.254.169.254/latest/meta-data/", "this address is not allowed"),
                        ("https://0x7f000001/hook", "this address is not allowed")):
        code, _, err = oyna("alerts", "add-channel", "inside", "--account", name, "--webhook", url)
        assert code == 2 and reason in err, err
    monkeypatch.setenv("OYNA_WEBHOOK_ALLOWED_HOSTS", "127.0.0.1:8080")  # the operator's own host
    assert oyna("alerts", "add-channel", "inside", "--account", name, "--webhook", "http://127.0.0.1:8080/hook")[0] == 0


def test_analysts_and_unknown_accounts_are_refused(oyna, engine, demo):
    analyst = add_account(engine, username=f"cli-a-{uuid.uuid4().hex[:6]}", role="analyst",
                          password="plasma-otter-2741")
    try:
        code, _, err = oyna("alerts", "channels", "--account", analyst.username)
        assert code == 2 and "chosen by managers" in err
    finally:
        remove_account(engine, username=analyst.username)
    code, _, err = oyna("alerts", "channels", "--account", "nobody-at-all")
    assert code == 2 and "no account named" in err


def test_health_on_the_session_database(oyna, trained):
    code, out, _ = oyna("health")
    assert code == 0, out
    assert [line.split()[1] for line in out.splitlines()] == ["database", "views", "model", "data", "alerts", "disk",
                                                              "audit"]


def test_db_arguments_are_checked(oyna):
    assert oyna("db", "status", "some.tar")[0] == 2
    code, _, err = oyna("db", "restore")
    assert code == 2 and "name the backup" in err
    code, _, err = oyna("db", "restore", "/nonexistent/backup.tar")
    assert code == 1 and "no backup file" in err
