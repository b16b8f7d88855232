"""E-mail alerts against a real local SMTP server without TLS (tests/alerts/support.py): a subject is always
one line, whatever a club's name holds."""

from __future__ import annotations

import pytest

from core.alerts.channels import Message, send_email
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


def test_a_subject_is_one_line(smtp, tmp_path):
    port, received, _ = smtp
    subject = "🔴 No bookings at Pixel\r\nBcc: x@y\u2028To: z@y\x00 for 2 hours"
    send_email(settings(tmp_path, f"smtp://127.0.0.1:{port}?from=oyna@test.kz"), "boss@club.kz",
               Message(subject=subject, text=subject))
    mail = received[0]
    assert mail["Subject"] == "🔴 No bookings at Pixel Bcc: x@y To: z@y for 2 hours"
    assert mail["Bcc"] is None and mail["To"] == "boss@club.kz"
