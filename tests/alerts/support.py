"""Local servers that record what alert delivery sends: an HTTP server (Telegram's Bot API and
webhooks) and an SMTP server. Both run in a thread on 127.0.0.1. Webhooks reach 127.0.0.1 only as a host
the settings allow (`allowing_local`)."""

from __future__ import annotations

import json
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from email import message_from_bytes
from email.policy import default as email_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from core.platform.settings import Settings, allowed_hosts


def allowing_local(settings: Settings) -> Settings:
    """`settings` with 127.0.0.1 (any port) in OYNA_WEBHOOK_ALLOWED_HOSTS, read as the environment's."""
    return replace(settings, webhook_allowed_hosts=allowed_hosts("127.0.0.1"))


@dataclass
class Recorder:
    """What a local server received; `fail_next` answers that many requests with `fail_status` first (and
    `fail_body`, or Telegram's JSON), `redirect_to` answers every request with a 302 there. `connections`
    counts every connection accepted, a request or not (a TLS handshake, a port scan)."""

    requests: list[dict] = field(default_factory=list)
    fail_next: int = 0
    fail_status: int = 500  # 429 answers like Telegram's flood control, with retry_after
    fail_body: bytes | None = None
    redirect_to: str | None = None
    connections: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def paths(self) -> list[str]:
        return [r["path"] for r in self.requests]

    def to(self, path_part: str) -> list[dict]:
        return [r for r in self.requests if path_part in r["path"]]

    def clear(self) -> None:
        with self.lock:
            self.requests.clear()


@contextmanager
def http_recorder() -> Iterator[tuple[str, Recorder]]:
    """A server answering every POST like Telegram's Bot API does ({"ok": true}); yields (base URL, recorder)."""
    recorder = Recorder()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with recorder.lock:
                failing = recorder.fail_next > 0
                if failing:
                    recorder.fail_next -= 1
                recorder.requests.append({"path": self.path, "json": json.loads(body or b"null"),
                                          "failed": failing, "host": self.headers.get("Host")})
            status = 302 if recorder.redirect_to else recorder.fail_status if failing else 200
            answer = (b'{"ok": false, "description": "Too Many Requests: retry after 120", '
                      b'"parameters": {"retry_after": 120}}' if status == 429 else
                      recorder.fail_body or b'{"ok": false, "description": "Internal Server Error"}' if failing
                      else b'{"ok": true}')
            self.send_response(status)
            if recorder.redirect_to:
                self.send_header("Location", recorder.redirect_to)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    class Server(ThreadingHTTPServer):
        def verify_request(self, request, client_address):
            with recorder.lock:
                recorder.connections += 1
            return True

    server = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", recorder
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def smtp_recorder(commands: list[str] | None = None) -> Iterator[tuple[int, list]]:
    """A minimal SMTP server without TLS that takes any AUTH PLAIN; yields (port, the e-mails received as
    EmailMessage). `commands` gets every command's verb (EHLO, AUTH, MAIL, ...) as it comes."""
    received: list = []
    commands = [] if commands is None else commands

    class Handler(socketserver.StreamRequestHandler):
        def handle(self):
            self._reply("220 localhost test SMTP")
            data_mode, lines = False, []
            while True:
                raw = self.rfile.readline()
                if not raw:
                    return
                if data_mode:
                    if raw in (b".\r\n", b".\n"):
                        received.append(message_from_bytes(b"".join(lines), policy=email_policy))
                        data_mode, lines = False, []
                        self._reply("250 OK")
                    else:
                        lines.append(raw[1:] if raw.startswith(b"..") else raw)
                    continue
                verb = raw.decode("ascii", "replace").strip().split(" ")[0].upper()
                commands.append(verb)
                if verb == "EHLO":
                    self._reply("250-localhost\r\n250 AUTH PLAIN")
                elif verb == "AUTH":
                    self._reply("235 Authentication successful")
                elif verb == "DATA":
                    data_mode = True
                    self._reply("354 End data with <CR><LF>.<CR><LF>")
                elif verb == "QUIT":
                    self._reply("221 Bye")
                    return
                else:  # HELO, MAIL, RCPT, RSET, NOOP
                    self._reply("250 OK")

        def _reply(self, line: str) -> None:
            self.wfile.write(line.encode() + b"\r\n")
            self.wfile.flush()

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], received
    finally:
        server.shutdown()
        server.server_close()
