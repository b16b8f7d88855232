"""Safe serving: `oyna serve` listens on 127.0.0.1 unless told otherwise, serves HTTPS from the settings'
certificate and key, keeps XSRF protection on and tables' own downloads off, and shows the demo passwords only
on a terminal."""

from __future__ import annotations

import http.client
import os
import select
import shutil
import socket
import ssl
import subprocess
import time
import tomllib
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from core.cli.serve import app_url, show_demo_passwords, streamlit_command
from core.cli.support import UsageError
from core.data import MAX_UPLOAD_MB
from core.platform.settings import PROJECT_ROOT, load_settings


def _option(command: list[str], name: str) -> str | None:
    return command[command.index(name) + 1] if name in command else None


def test_listens_on_localhost_unless_told(tmp_path):
    settings = load_settings({}, root=tmp_path)
    command = streamlit_command(8501, settings.serve_address, settings)
    assert _option(command, "--server.address") == "127.0.0.1"
    assert _option(command, "--server.enableXsrfProtection") == "true"
    assert _option(command, "--server.sslCertFile") is None
    assert _option(command, "--client.disableDataExport") == "true"  # no table downloads past pages/ui/export.py
    assert app_url(8501, "127.0.0.1", settings) == "http://localhost:8501"
    told = load_settings({"OYNA_ADDRESS": "0.0.0.0"}, root=tmp_path)
    assert _option(streamlit_command(8501, told.serve_address, told), "--server.address") == "0.0.0.0"
    with pytest.raises(UsageError):
        streamlit_command(8501, "", settings)


def test_https_needs_a_readable_certificate_and_key(tmp_path):
    with pytest.raises(SystemExit, match="OYNA_TLS_KEY_FILE"):
        load_settings({"OYNA_TLS_CERT_FILE": str(tmp_path / "cert.pem")}, root=tmp_path)
    settings = load_settings({"OYNA_TLS_CERT_FILE": str(tmp_path / "cert.pem"),
                              "OYNA_TLS_KEY_FILE": str(tmp_path / "key.pem")}, root=tmp_path)
    with pytest.raises(UsageError, match="certificate file"):
        streamlit_command(8501, "127.0.0.1", settings)
    (tmp_path / "cert.pem").write_text("x")
    (tmp_path / "key.pem").write_text("x")
    command = streamlit_command(8501, "127.0.0.1", settings)
    assert _option(command, "--server.sslCertFile") == str(tmp_path / "cert.pem")
    assert _option(command, "--server.sslKeyFile") == str(tmp_path / "key.pem")
    assert app_url(8443, "127.0.0.1", settings).startswith("https://")


def test_the_config_files_keep_xsrf_protection_on_and_table_downloads_off():
    config = tomllib.loads((PROJECT_ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"].get("enableXsrfProtection", True) is True
    assert config["server"].get("enableCORS", True) is True
    assert config["client"].get("disableDataExport") is True


def test_the_upload_limit_agrees_everywhere(tmp_path):
    """400 MB in the config, on `oyna serve`'s command line and in the deployment guide's proxy example."""
    config = tomllib.loads((PROJECT_ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == MAX_UPLOAD_MB == 400
    settings = load_settings({}, root=tmp_path)
    assert _option(streamlit_command(8501, "127.0.0.1", settings), "--server.maxUploadSize") == "400"
    deploy = (PROJECT_ROOT / "docs" / "deploy.md").read_text()
    assert "client_max_body_size 400m;" in deploy and "200 MB" not in deploy


def test_demo_passwords_go_to_the_terminal_only(tmp_path, capsys):
    created = {"manager": "secret-apple-1234", "analyst": "secret-pear-5678"}
    terminal = tmp_path / "tty"
    assert show_demo_passwords(created, terminal=str(terminal)) is True
    assert "secret-apple-1234" in terminal.read_text() and "secret-pear-5678" in terminal.read_text()
    assert "secret" not in capsys.readouterr().out
    assert show_demo_passwords(created, terminal=str(tmp_path / "no" / "tty")) is False
    out = capsys.readouterr().out
    assert "secret" not in out and "oyna user passwd" in out


def _certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"], check=True, capture_output=True)
    return cert, key


def _listening_addresses(port: int) -> set[str]:
    """The local addresses with a TCP socket listening on `port` (Linux's /proc/net/tcp)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


@pytest.mark.skipif(shutil.which("openssl") is None or not os.path.exists("/proc/net/tcp"),
                    reason="needs the openssl command and Linux's /proc/net/tcp")
def test_serves_https_on_localhost_and_refuses_a_cross_site_upload(tmp_path):
    cert, key = _certificate(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("OYNA_")}
    settings = load_settings({"OYNA_TLS_CERT_FILE": str(cert), "OYNA_TLS_KEY_FILE": str(key)}, root=tmp_path)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = streamlit_command(port, settings.serve_address, settings) + ["--server.fileWatcherType", "none"]
    log = (tmp_path / "app.log").open("w")
    app = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    context = ssl.create_default_context(cafile=str(cert))
    base = f"https://localhost:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", context=context, timeout=5) as response:
                    assert response.status == 200
                    break
            except (urllib.error.URLError, ConnectionError):
                assert app.poll() is None, (tmp_path / "app.log").read_text()[-2000:]
                assert time.monotonic() < deadline, "the app did not answer over HTTPS in 60 s"
                time.sleep(0.5)
        assert _listening_addresses(port) == {"0100007F"}  # 127.0.0.1 only
        with pytest.raises((urllib.error.URLError, http.client.HTTPException, ConnectionError)):  # no plain HTTP
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=5)
        upload = urllib.request.Request(f"{base}/_stcore/upload_file/some-session/some-file", method="PUT",
                                        data=b"--x--", headers={"Origin": "https://evil.example",
                                                                "Content-Type": "multipart/form-data; boundary=x"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(upload, context=context, timeout=5)
        assert refused.value.code == 403  # no XSRF token: refused before the session is even looked up
    finally:
        app.terminate()
        try:
            app.wait(10)
        except subprocess.TimeoutExpired:
            app.kill()
            app.wait()
        log.close()


def _peak_mb(pid: int, reset: bool = False) -> float:
    """The process's peak resident memory (VmHWM) in MB; `reset` starts the peak again from now."""
    if reset:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1]) / 1024


def _post_cookie_route(port: int, size: int, *, chunked: bool) -> tuple[int | None, float]:
    """POST a JSON body of `size` bytes to the cookie route as a same-origin request would (with or without a
    Content-Length); stops sending once the server answers. (status or None, seconds to the answer)."""
    frame = ("Transfer-Encoding: chunked" if chunked else f"Content-Length: {size}")
    head = (f"POST /oyna/session HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: http://127.0.0.1:{port}\r\n"
            f"Content-Type: application/json\r\n{frame}\r\n\r\n").encode()
    piece = b" " * 65536
    started, sent, answer = time.monotonic(), 0, b""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head)
        try:
            while sent < size and time.monotonic() - started < 30:
                readable, writable, _ = select.select([sock], [sock], [], 1)
                if readable:
                    break
                if writable:
                    sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
                    sent += len(piece)
            if sent >= size and chunked:
                sock.sendall(b"0\r\n\r\n")
            answer = sock.recv(4096)
        except (BrokenPipeError, ConnectionResetError):
            pass
    seconds = time.monotonic() - started
    status = int(answer.split()[1]) if answer.startswith(b"HTTP/1.1 ") else None
    return status, seconds


@pytest.mark.skipif(not os.path.exists("/proc/self/clear_refs"), reason="needs Linux's /proc/<pid>/clear_refs")
def test_the_cookie_route_refuses_a_big_body_without_holding_it(tmp_path):
    """A 10 MB body, with and without a Content-Length, is refused at once, and the server's peak memory does
    not grow by it (the route read whole bodies before its 1 KB check, even without signing in)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OYNA_")}
    settings = load_settings({}, root=tmp_path)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = streamlit_command(port, settings.serve_address, settings) + ["--server.fileWatcherType", "none"]
    log = (tmp_path / "app.log").open("w")
    app = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=5):
                    break
            except (urllib.error.URLError, ConnectionError):
                assert app.poll() is None, (tmp_path / "app.log").read_text()[-2000:]
                assert time.monotonic() < deadline, "the app did not answer in 60 s"
                time.sleep(0.5)
        assert _post_cookie_route(port, 2, chunked=False)[0] == 400  # a small body is read (and is no grant)
        for chunked in (False, True):
            before = _peak_mb(app.pid, reset=True)
            status, seconds = _post_cookie_route(port, 10 * 1024 * 1024, chunked=chunked)
            grew = _peak_mb(app.pid) - before
            assert status == 413 and seconds < 5, (chunked, status, seconds)
            assert grew < 4, f"the server's peak memory grew by {grew:.1f} MB (chunked: {chunked})"
    finally:
        app.terminate()
        try:
            app.wait(10)
        except subprocess.TimeoutExpired:
            app.kill()
            app.wait()
        log.close()
