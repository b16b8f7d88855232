"""`oyna user`: in process against the session's database, and once end to end in a subprocess."""

from __future__ import annotations

import argparse
import io
import subprocess
import sys

import pytest

from core.accounts import Role, add_account, authenticate, list_accounts, remove_account
from core.cli import users as user_command
from core.platform.settings import PROJECT_ROOT
from tests.accounts.support import OTHER_PASSWORD, PASSWORD, forget_sign_ins, names, unique_name  # noqa: F401



def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="oyna")
    user_command.add_parsers(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(["user", *argv])


def run(engine, capsys, *argv: str, stdin: str | None = None, monkeypatch=None):
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = user_command.run(parse(*argv), engine=engine)
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_add_generates_and_prints_the_password_once(engine, names, capsys):
    name = names("cli")
    code, out, err = run(engine, capsys, "add", name.upper(), "--role", "Manager")
    assert code == 0 and err == ""
    assert f"added manager account '{name}'" in out
    shown = [line for line in out.splitlines() if line.startswith("password")]
    assert len(shown) == 1
    password = shown[0].rsplit(" ", 1)[1]
    assert authenticate(engine, username=name, password=password).role is Role.MANAGER

    code, out, err = run(engine, capsys, "list")
    assert code == 0 and name in out and password not in out and "scrypt$" not in out


def test_cli_password_stdin(engine, names, capsys, monkeypatch):
    name = names("cli")
    code, out, err = run(engine, capsys, "add", name, "--role", "analyst", "--password-stdin",
                         stdin=PASSWORD + "\n", monkeypatch=monkeypatch)
    assert code == 0 and PASSWORD not in out and "password" not in out.lower().replace(name, "")
    assert authenticate(engine, username=name, password=PASSWORD) is not None

    code, out, err = run(engine, capsys, "passwd", name, "--password-stdin",
                         stdin=OTHER_PASSWORD + "\r\n", monkeypatch=monkeypatch)
    assert code == 0 and f"new password set for '{name}'" in out and OTHER_PASSWORD not in out
    assert authenticate(engine, username=name, password=OTHER_PASSWORD) is not None

    code, out, err = run(engine, capsys, "passwd", name)
    generated = out.strip().splitlines()[-1].rsplit(" ", 1)[1]
    assert code == 0 and authenticate(engine, username=name, password=generated) is not None


def test_cli_errors_are_one_line_and_never_show_the_password(engine, names, capsys, monkeypatch):
    name = names("cli")
    run(engine, capsys, "add", name, "--role", "analyst")
    cases = [
        (("add", name, "--role", "manager"), None, 2, "already exists"),
        (("add", names("cli"), "--role", "manager", "--password-stdin"), "tooshort\n", 2, "too short"),
        (("add", names("cli"), "--role", "manager", "--password-stdin"), "", 2, "no password on standard input"),
        (("add", "x", "--role", "manager"), None, 2, "username"),
        (("passwd", unique_name("ghost"), "--password-stdin"), PASSWORD + "\n", 1, "no account named"),
        (("remove", unique_name("ghost")), None, 1, "no account named"),
    ]
    for argv, stdin, expected_code, message in cases:
        code, out, err = run(engine, capsys, *argv, stdin=stdin, monkeypatch=monkeypatch)
        assert code == expected_code, (argv, err)
        assert message in err and err.startswith("oyna: ") and err.count("\n") == 1
        assert "Traceback" not in err and "tooshort" not in err and PASSWORD not in err


def test_cli_remove(engine, names, capsys):
    name = names("cli")
    add_account(engine, username=name, role="analyst", password=PASSWORD)
    code, out, _ = run(engine, capsys, "remove", name)
    assert code == 0 and f"removed account '{name}'" in out
    assert name not in {a.username for a in list_accounts(engine)}


def test_cli_clubs_scope_and_role(engine, demo, names, capsys):
    clubs = {int(c.id): str(c.name) for c in demo.clubs.itertuples()}
    first, second = sorted(clubs)[:2]
    name = names("club")
    code, out, err = run(engine, capsys, "add", name, "--role", "manager", "--clubs", f" {clubs[first].upper()} ")
    assert code == 0 and f"for {clubs[first]}" in out, err
    account = next(a for a in list_accounts(engine) if a.username == name)
    assert account.club_ids == (first,)
    code, out, _ = run(engine, capsys, "list")
    assert clubs[first] in next(line for line in out.splitlines() if line.startswith(name))

    code, out, _ = run(engine, capsys, "scope", name, "--clubs", f"{clubs[first]},{clubs[second]}")
    assert code == 0 and next(a for a in list_accounts(engine) if a.username == name).club_ids == (first, second)
    code, out, _ = run(engine, capsys, "scope", name, "--all")
    assert code == 0 and "whole chain" in out
    assert next(a for a in list_accounts(engine) if a.username == name).whole_chain
    code, _, err = run(engine, capsys, "scope", name, "--clubs", "No Such Club")
    assert code == 2 and "no club named 'No Such Club'" in err
    code, out, _ = run(engine, capsys, "role", name, "analyst")
    assert code == 0 and "is now an analyst" in out
    assert next(a for a in list_accounts(engine) if a.username == name).role is Role.ANALYST
    code, _, err = run(engine, capsys, "role", unique_name("ghost"), "manager")
    assert code == 1 and "no account named" in err
    with pytest.raises(SystemExit):
        parse("scope", name)  # --clubs or --all


def test_cli_parser_rejects_a_bad_role(capsys):
    with pytest.raises(SystemExit) as info:
        parse("add", "someone", "--role", "admin")
    assert info.value.code == 2 and "invalid choice" in capsys.readouterr().err


def test_cli_finds_the_database_from_settings(cli_env, capsys, monkeypatch):
    for name in ("DATABASE_URL", "OYNA_HOME"):  # the embedded server in OYNA_HOME, or the external URL
        if name in cli_env:
            monkeypatch.setenv(name, cli_env[name])
        else:
            monkeypatch.delenv(name, raising=False)
    assert user_command.run(parse("list")) == 0
    assert capsys.readouterr().err == ""


def test_oyna_user_end_to_end(cli_env, engine):
    name = unique_name("proc")

    def oyna(*args, stdin=None):
        return subprocess.run([sys.executable, "-m", "core.cli", "user", *args], cwd=PROJECT_ROOT, env=cli_env,
                              capture_output=True, text=True, input=stdin, timeout=120)

    try:
        added = oyna("add", name, "--role", "analyst", "--password-stdin", stdin=PASSWORD + "\n")
        assert added.returncode == 0, added.stderr
        assert authenticate(engine, username=name, password=PASSWORD) is not None
        listed = oyna("list")
        assert listed.returncode == 0 and name in listed.stdout
        duplicate = oyna("add", name, "--role", "analyst")
        assert duplicate.returncode == 2 and "already exists" in duplicate.stderr
        assert "Traceback" not in duplicate.stderr
        removed = oyna("remove", name)
        assert removed.returncode == 0 and oyna("remove", name).returncode == 1
    finally:
        remove_account(engine, username=name)
