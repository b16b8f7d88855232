"""The embedded server is closed to other local users: no TCP, a socket folder only the server's user may
enter (also when the data folder's path is too long for a socket), a password for every role, kept in a
0600 file; a data folder from before (trust authentication) is locked down on its next start."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import psycopg
import pytest

from core.platform import server

pytestmark = pytest.mark.skipif(bool(os.environ.get("OYNA_TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")),
                                reason="the embedded server only")


def _connects_as_nobody(socket_dir: Path) -> bool:
    """Whether the OS user `nobody` gets a session as the superuser through the socket (a forked child
    that drops to nobody's uid and gid first)."""
    import pwd

    nobody = pwd.getpwnam("nobody")
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 3
        try:
            os.setgroups([])
            os.setgid(nobody.pw_gid)
            os.setuid(nobody.pw_uid)
            try:
                with psycopg.connect(host=str(socket_dir), user="postgres", dbname="postgres", connect_timeout=5):
                    code = 0  # it got in
            except psycopg.OperationalError:
                code = 1  # refused
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    assert code in (0, 1), f"the probe as nobody failed to run ({code})"
    return code == 0 or _psql_as_nobody(socket_dir)


def _psql_as_nobody(socket_dir: Path) -> bool:
    """The issue's check: `runuser -u nobody -- psql -h <socket folder> -U postgres` gets a session."""
    import shutil
    import subprocess

    if shutil.which("runuser") is None:
        return False
    psql = server._bin(Path("/nonexistent")) / "psql"
    done = subprocess.run(["runuser", "-u", "nobody", "--", str(psql), "-h", str(socket_dir), "-U", "postgres",
                           "-d", "postgres", "-w", "-At", "-c", "select 1"], capture_output=True, text=True,
                          timeout=30, cwd="/")
    return done.returncode == 0 and done.stdout.strip() == "1"


def _refused_without_password(socket_dir: Path) -> bool:
    try:
        with psycopg.connect(host=str(socket_dir), user="postgres", dbname="postgres", connect_timeout=5):
            return False
    except psycopg.OperationalError as exc:
        return "password" in str(exc)


def _locked_down(pgdata: Path) -> Path:
    info = server.status(pgdata)
    assert info.running
    socket_dir = Path(info.socket_dir)
    assert stat.S_IMODE(os.stat(socket_dir).st_mode) == 0o700
    assert stat.S_IMODE(server.passwords_path(pgdata).stat().st_mode) == 0o600
    assert _refused_without_password(socket_dir)
    with psycopg.connect(server.role_url(pgdata).replace("postgresql+psycopg", "postgresql")) as conn:
        assert conn.execute("show listen_addresses").fetchone()[0] == ""
        assert conn.execute("show password_encryption").fetchone()[0] == "scram-sha-256"
    return socket_dir


def test_the_session_server_is_locked_down(server_url, oyna_home):
    socket_dir = _locked_down(oyna_home / "pgdata")
    assert socket_dir == (oyna_home / "pgdata").resolve()
    if os.geteuid() == 0:
        assert not _connects_as_nobody(socket_dir)


def test_only_the_apps_roles_connect_to_the_database(server_url, oyna_home):
    """A login role someone adds to the server (a BI tool's own, say) gets no CONNECT on `oyna` by itself."""
    pgdata = oyna_home / "pgdata"
    known = server.passwords(pgdata)
    admin = server.role_url(pgdata).replace("postgresql+psycopg", "postgresql")
    for role in (server.APP_ROLE, server.READONLY_ROLE):
        with psycopg.connect(host=str(server.socket_dir_for(pgdata)), user=role, password=known[role],
                             dbname=server.DATABASE):
            pass
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("create role oyna_probe_stranger login password 'stranger'")
    try:
        with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
            psycopg.connect(host=str(server.socket_dir_for(pgdata)), user="oyna_probe_stranger",
                            password="stranger", dbname=server.DATABASE)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("drop role oyna_probe_stranger")


def test_a_long_path_and_an_old_trust_folder_are_locked_down(server_home, server_url):
    home = server_home / ("a-rather-long-folder-name-" * 4)
    pgdata = home / "pgdata"
    assert len(str(pgdata / ".s.PGSQL.5432")) > 108
    server.start(pgdata)
    try:
        socket_dir = _locked_down(pgdata)
        assert socket_dir != pgdata.resolve() and Path(socket_dir).parent == Path("/tmp")
        if os.geteuid() == 0:
            assert not _connects_as_nobody(socket_dir)
        # A folder as an earlier version left it: trust authentication and no passwords file.
        server.stop(pgdata)
        (pgdata / "pg_hba.conf").write_text("local all all trust\nhost all all 127.0.0.1/32 trust\n")
        server.passwords_path(pgdata).unlink()
        old = server.start(pgdata)
        socket_dir = _locked_down(pgdata)
        assert server.passwords(pgdata)["postgres"] in old
        if os.geteuid() == 0:
            assert not _connects_as_nobody(socket_dir)
    finally:
        server.stop(pgdata)


@pytest.mark.skipif(os.geteuid() != 0, reason="trying as the OS user nobody needs root")
def test_nobody_got_in_before(server_home):
    """The probe can fail: nobody does get in through an open socket folder with trust authentication."""
    import subprocess

    pgdata = server_home / "open"
    server_home.chmod(0o755)
    server.start(pgdata)
    try:
        (pgdata / "pg_hba.conf").write_text("local all all trust\n")
        subprocess.run(["runuser", "-u", server.SERVER_USER, "--", str(server._bin(pgdata) / "pg_ctl"), "-D",
                        str(pgdata), "reload"], check=True, capture_output=True)
        os.chmod(pgdata, 0o755)
        import time

        for _ in range(50):  # the reload is asynchronous
            if _connects_as_nobody(pgdata):
                break
            time.sleep(0.1)
        assert _connects_as_nobody(pgdata) and _psql_as_nobody(pgdata)
    finally:
        os.chmod(pgdata, 0o700)
        server.stop(pgdata)


def test_a_running_server_the_wheel_started_is_moved_and_locked(server_home, server_url):
    """What an earlier version left running: the wheel's own server, trust authentication, and (for a long
    path) its socket in a folder under /tmp that everyone may enter."""
    pg = server._pgserver()
    home = server_home / ("an-old-data-home-with-a-long-name-" * 3)
    pgdata = home / "pgdata"
    home.mkdir(parents=True)
    old = pg.get_server(pgdata, cleanup_mode=None)
    old_socket = Path(old.get_postmaster_info().socket_dir)
    try:
        assert old_socket != pgdata and "trust" in (pgdata / "pg_hba.conf").read_text()
        if os.geteuid() == 0:
            assert _psql_as_nobody(old_socket)  # the hole this closes
        server.start(pgdata)
        socket_dir = _locked_down(pgdata)
        assert socket_dir != old_socket and not (old_socket / ".s.PGSQL.5432").exists()
        if os.geteuid() == 0:
            assert not _connects_as_nobody(socket_dir)
    finally:
        server.stop(pgdata)
