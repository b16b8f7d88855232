"""How a message reaches a channel: Telegram's Bot API, a Slack-compatible webhook, or e-mail over SMTP.

Each `send_*` raises DeliveryError with a short reason when the message did not get through; the
dispatcher retries it later. The bot token and the mail server come from the settings (environment),
never from the database. HTTP goes through core.alerts.outbound, which keeps webhooks off the server's
own network and never reads what a webhook answers.
"""

from __future__ import annotations

import json
import re
import smtplib
import socket
import ssl
import unicodedata
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from core.alerts import outbound
from core.alerts.outbound import DeliveryError
from core.i18n import _
from core.platform.settings import Settings

TELEGRAM, WEBHOOK, EMAIL = "telegram", "webhook", "email"
KINDS = (TELEGRAM, WEBHOOK, EMAIL)
TIMEOUT = outbound.TIMEOUT  # seconds for one attempt
TELEGRAM_LIMIT = 4096  # characters in one Telegram message

_CHAT = re.compile(r"^(-?\d{1,20}|@[A-Za-z][A-Za-z0-9_]{4,31})$")
_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")


@dataclass(frozen=True)
class Message:
    subject: str  # the first line (an e-mail's subject)
    text: str  # the whole message, plain text
    data: dict[str, Any] = field(default_factory=dict)  # what a webhook gets beside the text


def check_target(kind: str, target: str, allowed_hosts: outbound.AllowedHosts = ()) -> str:
    """The destination, cleaned; ValueError with a message that says what is expected. A webhook is checked
    as core.alerts.outbound says (`allowed_hosts`: the settings' OYNA_WEBHOOK_ALLOWED_HOSTS)."""
    target = (target or "").strip()
    if kind not in KINDS:
        raise ValueError(_("A channel is one of: {kinds}.").format(kinds=", ".join(KINDS)))
    if kind == TELEGRAM and not _CHAT.match(target):
        raise ValueError(_("A Telegram chat is a number (a person's or a group's id, such as -1001234567890) "
                           "or a public channel's @name."))
    if kind == WEBHOOK:
        outbound.check_webhook(target, allowed_hosts)
    if kind == EMAIL and not _EMAIL.match(target):
        raise ValueError(_("An e-mail channel needs one address, such as manager@example.kz."))
    return target


def send(settings: Settings, kind: str, target: str, message: Message) -> None:
    """Deliver `message` to one channel, or raise DeliveryError."""
    if kind == TELEGRAM:
        send_telegram(settings, target, message)
    elif kind == WEBHOOK:
        send_webhook(settings, target, message)
    elif kind == EMAIL:
        send_email(settings, target, message)
    else:
        raise DeliveryError(f"unknown channel kind {kind!r}")


def send_telegram(settings: Settings, chat_id: str, message: Message) -> None:
    """The Bot API's sendMessage, at OYNA_TELEGRAM_API_URL (the official API unless set). That address is
    the operator's setting, so its answer is read: the reason of a refusal, and how long to wait."""
    if not settings.telegram_token:
        raise DeliveryError(_("no Telegram bot token: set OYNA_TELEGRAM_TOKEN"))
    url = f"{settings.telegram_api_url}/bot{settings.telegram_token}/sendMessage"
    body = {"chat_id": chat_id, "text": message.text[:TELEGRAM_LIMIT], "disable_web_page_preview": True}
    try:
        answer = outbound.post_json(url, body, keep_answer=True)
    except DeliveryError as exc:
        raise DeliveryError(_hide(str(exc), settings.telegram_token)) from None
    data = _json_object(answer.body)
    reason = str(data.get("description") or "?")[:300]
    if not 200 <= answer.status < 300:
        parameters = data.get("parameters") if isinstance(data.get("parameters"), dict) else {}
        wait = parameters.get("retry_after") if isinstance(parameters.get("retry_after"), int | float) else 0.0
        retry = max(answer.retry_after or 0.0, float(wait)) or None if answer.status == 429 else None
        raise DeliveryError(_hide(f"HTTP {answer.status} from {outbound.parse(url).shown}: {reason}",
                                  settings.telegram_token), retry)
    if data.get("ok") is False:
        raise DeliveryError(_("Telegram refused it: {reason}").format(reason=reason))


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw.decode("utf-8", "replace")) if raw else None
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def send_webhook(settings: Settings, url: str, message: Message) -> None:
    """POST {"text": ..., "oyna": {...}}: Slack, Mattermost and most chat webhooks show `text`. Only to
    the addresses core.alerts.outbound allows; the answer's body is never read, only its status."""
    answer = outbound.post_json(url, {"text": message.text, "oyna": message.data},
                                allowed_hosts=settings.webhook_allowed_hosts)
    if 200 <= answer.status < 300:
        return
    host = outbound.parse(url).shown
    if 300 <= answer.status < 400:
        raise DeliveryError(_("HTTP {status} from {host}: redirects are not followed").format(
            status=answer.status, host=host))
    raise DeliveryError(_("HTTP {status} from {host}").format(status=answer.status, host=host),
                        answer.retry_after if answer.status == 429 else None)


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
    allow_plaintext: bool = False  # the operator lets the password go over a connection without TLS


def smtp_server(url: str) -> SmtpServer:
    """Read OYNA_SMTP_URL: smtp://user:password@host:587?from=alerts@example.kz (smtps:// for TLS;
    `starttls=false` turns STARTTLS off on a plain smtp:// server, which has it on by default). A user's
    password only goes over TLS, unless `allow_plaintext=true` says otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise DeliveryError(_("OYNA_SMTP_URL must look like {example}").format(
            example="smtp://user:password@host:587?from=alerts@example.kz"))
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    tls = parts.scheme == "smtps"
    starttls = not tls and _yes(query.get("starttls", "true"))
    sender = query.get("from") or f"oyna@{socket.getfqdn() or 'localhost'}"
    return SmtpServer(host=parts.hostname, port=parts.port or (465 if tls else 587), tls=tls, starttls=starttls,
                      user=unquote(parts.username) if parts.username else None,
                      password=unquote(parts.password) if parts.password else None, sender=sender,
                      allow_plaintext=_yes(query.get("allow_plaintext", "false")))


def _yes(value: str) -> bool:
    return value.strip().lower() not in ("0", "false", "no", "off")


def one_line(text: str) -> str:
    """`text` fit for a header: line breaks and other control characters become spaces."""
    cleaned = "".join(" " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch for ch in text)
    return " ".join(cleaned.split())


def send_email(settings: Settings, address: str, message: Message) -> None:
    if not settings.smtp_url:
        raise DeliveryError(_("no mail server: set OYNA_SMTP_URL"))
    server = smtp_server(settings.smtp_url)
    if server.user and not (server.tls or server.starttls or server.allow_plaintext):
        raise DeliveryError(_("OYNA_SMTP_URL names a user but turns STARTTLS off: the password is not sent "
                              "without TLS unless allow_plaintext=true"))
    mail = EmailMessage()
    mail["Subject"], mail["From"], mail["To"] = one_line(message.subject), server.sender, address
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
            elif server.starttls and server.user and not server.allow_plaintext:
                raise DeliveryError(_("mail server {server} does not offer STARTTLS: the password is not sent "
                                      "without TLS unless allow_plaintext=true").format(
                    server=f"{server.host}:{server.port}"))
            if server.user:
                client.login(server.user, server.password or "")
            client.send_message(mail)
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(_hide(_("mail server {server}: {error}").format(
            server=f"{server.host}:{server.port}", error=exc), server.password)) from None
