"""How a message reaches a channel: Telegram's Bot API, a Slack-compatible webhook, or e-mail over SMTP.

Each `send_*` raises DeliveryError with a short reason when the message did not get through; the
dispatcher retries it later. The bot token and the mail server come from the settings (environment),
never from the database.
"""

from __future__ import annotations

import json
import re
import smtplib
import socket
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from core.i18n import _
from core.platform.settings import Settings

TELEGRAM, WEBHOOK, EMAIL = "telegram", "webhook", "email"
KINDS = (TELEGRAM, WEBHOOK, EMAIL)
TIMEOUT = 10.0  # seconds for one attempt
TELEGRAM_LIMIT = 4096  # characters in one Telegram message

_CHAT = re.compile(r"^(-?\d{1,20}|@[A-Za-z][A-Za-z0-9_]{4,31})$")
_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")


class DeliveryError(RuntimeError):
    """A message did not get through; `retry_after` is the server's own wait (seconds), when it gave one."""

    def __init__(self, reason: str, retry_after: float | None = None):
        super().__init__(reason)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Message:
    subject: str  # the first line (an e-mail's subject)
    text: str  # the whole message, plain text
    data: dict[str, Any] = field(default_factory=dict)  # what a webhook gets beside the text


def check_target(kind: str, target: str) -> str:
    """The destination, cleaned; ValueError with a message that says what is expected."""
    target = (target or "").strip()
    if kind not in KINDS:
        raise ValueError(_("A channel is one of: {kinds}.").format(kinds=", ".join(KINDS)))
    if kind == TELEGRAM and not _CHAT.match(target):
        raise ValueError(_("A Telegram chat is a number (a person's or a group's id, such as -1001234567890) "
                           "or a public channel's @name."))
    if kind == WEBHOOK:
        parts = urlsplit(target)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(_("A webhook is an http:// or https:// address."))
    if kind == EMAIL and not _EMAIL.match(target):
        raise ValueError(_("An e-mail channel needs one address, such as manager@example.kz."))
    return target


def send(settings: Settings, kind: str, target: str, message: Message) -> None:
    """Deliver `message` to one channel, or raise DeliveryError."""
    if kind == TELEGRAM:
        send_telegram(settings, target, message)
    elif kind == WEBHOOK:
        send_webhook(target, message)
    elif kind == EMAIL:
        send_email(settings, target, message)
    else:
        raise DeliveryError(f"unknown channel kind {kind!r}")


def send_telegram(settings: Settings, chat_id: str, message: Message) -> None:
    """The Bot API's sendMessage, at OYNA_TELEGRAM_API_URL (the official API unless set)."""
    if not settings.telegram_token:
        raise DeliveryError(_("no Telegram bot token: set OYNA_TELEGRAM_TOKEN"))
    url = f"{settings.telegram_api_url}/bot{settings.telegram_token}/sendMessage"
    body = {"chat_id": chat_id, "text": message.text[:TELEGRAM_LIMIT], "disable_web_page_preview": True}
    answer = _post_json(url, body, secret=settings.telegram_token)
    if isinstance(answer, dict) and answer.get("ok") is False:
        raise DeliveryError(_("Telegram refused it: {reason}").format(reason=answer.get("description", "?")))


def send_webhook(url: str, message: Message) -> None:
    """POST {"text": ..., "oyna": {...}}: Slack, Mattermost and most chat webhooks show `text`."""
    _post_json(url, {"text": message.text, "oyna": message.data})


def _post_json(url: str, body: dict[str, Any], *, secret: str | None = None) -> Any:
    request = urllib.request.Request(url, data=json.dumps(body, ensure_ascii=False).encode(), method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8",
                                              "User-Agent": "oyna-insights"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            raw = response.read()
    except urllib.error.HTTPError as exc:
        detail, retry = _error_text(exc)
        raise DeliveryError(_hide(f"HTTP {exc.code} from {_host(url)}: {detail}", secret),
                            retry if exc.code == 429 else None) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DeliveryError(_hide(_("cannot reach {host}: {reason}").format(host=_host(url), reason=reason),
                                 secret)) from None
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def _error_text(exc: urllib.error.HTTPError) -> tuple[str, float | None]:
    """The server's reason, and how long it asks us to wait (Retry-After, or Telegram's retry_after)."""
    retry = None
    header = exc.headers.get("Retry-After") if exc.headers else None
    if header and header.strip().isdigit():
        retry = float(header)
    try:
        raw = exc.read()[:2000].decode("utf-8", "replace")
    except OSError:
        return str(exc.reason or ""), retry
    try:
        data = json.loads(raw)
    except ValueError:
        return raw.strip()[:300] or str(exc.reason or ""), retry
    if not isinstance(data, dict):
        return raw.strip()[:300], retry
    wait = (data.get("parameters") or {}).get("retry_after") if isinstance(data.get("parameters"), dict) else None
    if isinstance(wait, int | float):
        retry = max(retry or 0.0, float(wait))
    return str(data.get("description") or data.get("error") or raw)[:300], retry


def _host(url: str) -> str:
    return urlsplit(url).netloc or url


def _hide(text: str, secret: str | None) -> str:
    return text.replace(secret, "***") if secret else text


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    tls: bool  # SMTPS (implicit TLS)
    starttls: bool
    user: str | None
    password: str | None
    sender: str


def smtp_server(url: str) -> SmtpServer:
    """Read OYNA_SMTP_URL: smtp://user:password@host:587?from=alerts@example.kz (smtps:// for TLS;
    `starttls=false` turns STARTTLS off on a plain smtp:// server, which has it on by default)."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise DeliveryError(_("OYNA_SMTP_URL must look like {example}").format(
            example="smtp://user:password@host:587?from=alerts@example.kz"))
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    tls = parts.scheme == "smtps"
    starttls = not tls and query.get("starttls", "true").lower() not in ("0", "false", "no", "off")
    sender = query.get("from") or f"oyna@{socket.getfqdn() or 'localhost'}"
    return SmtpServer(host=parts.hostname, port=parts.port or (465 if tls else 587), tls=tls, starttls=starttls,
                      user=unquote(parts.username) if parts.username else None,
                      password=unquote(parts.password) if parts.password else None, sender=sender)


def send_email(settings: Settings, address: str, message: Message) -> None:
    if not settings.smtp_url:
        raise DeliveryError(_("no mail server: set OYNA_SMTP_URL"))
    server = smtp_server(settings.smtp_url)
    mail = EmailMessage()
    mail["Subject"], mail["From"], mail["To"] = message.subject, server.sender, address
    mail.set_content(message.text)
    try:
        if server.tls:
            client = smtplib.SMTP_SSL(server.host, server.port, timeout=TIMEOUT,
                                      context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(server.host, server.port, timeout=TIMEOUT)
        with client:
            client.ehlo()
            if server.starttls and client.has_extn("starttls"):
                client.starttls(context=ssl.create_default_context())
                client.ehlo()
            if server.user:
                client.login(server.user, server.password or "")
            client.send_message(mail)
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(_hide(_("mail server {server}: {error}").format(
            server=f"{server.host}:{server.port}", error=exc), server.password)) from None
