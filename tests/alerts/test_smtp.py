"""E-mail alerts against a real local SMTP server without TLS (tests/alerts/support.py): a password is never
sent over a connection without TLS unless OYNA_SMTP_URL says `allow_plaintext=true`, and a subject is always
one line, whatever a club's name holds."""

from __future__ import annotations

import pytest

from core.alerts.channels import DeliveryError, Message, send_email
from core.platform.settings import load_settings
from tests.alerts.support import smtp_recorder

MESSAGE = Message(subject="Test", text="Test message")


def settings(tmp_path, smtp_url: str):
    return load_settings({"OYNA_HOME": str(tmp_path), "OYNA_SMTP_URL": smtp_url}, root=tmp_path)


@pytest.fixture
def smtp():
    commands: list[str] = []
    with smtp_recorder(commands) as (port, received):
        yield port, received, commands


def test_a_password_never_goes_without_tls(smtp, tmp_path):
    port, received, commands = smtp
    url = f"smtp://oyna:pw-secret-77@127.0.0.1:{port}?from=oyna@test.kz"
    with pytest.raises(DeliveryError, match="does not offer STARTTLS") as caught:  # STARTTLS on, not offered
        send_email(settings(tmp_path, url), "boss@club.kz", MESSAGE)
    assert "pw-secret-77" not in str(caught.value)
    assert "AUTH" not in commands and "MAIL" not in commands and received == []

    commands.clear()
    with pytest.raises(DeliveryError, match="turns STARTTLS off"):  # refused before connecting
        send_email(settings(tmp_path, url + "&starttls=false"), "boss@club.kz", MESSAGE)
    assert commands == [] and received == []

    send_email(settings(tmp_path, url + "&starttls=false&allow_plaintext=true"), "boss@club.kz", MESSAGE)
    assert "AUTH" in commands and len(received) == 1  # the operator said so

    commands.clear()  # no user: nothing secret to send, so a server without TLS still gets the message
    send_email(settings(tmp_path, f"smtp://127.0.0.1:{port}?from=oyna@test.kz"), "boss@club.kz", MESSAGE)
    assert "AUTH" not in commands and len(received) == 2


def test_a_subject_is_one_line(smtp, tmp_path):
    port, received, _ = smtp
    subject = "🔴 No bookings at Pixel\r\nBcc: x@y\u2028To: z@y\x00 for 2 hours"
    send_email(settings(tmp_path, f"smtp://127.0.0.1:{port}?from=oyna@test.kz"), "boss@club.kz",
               Message(subject=subject, text=subject))
    mail = received[0]
    assert mail["Subject"] == "🔴 No bookings at Pixel Bcc: x@y To: z@y for 2 hours"
    assert mail["Bcc"] is None and mail["To"] == "boss@club.kz"
