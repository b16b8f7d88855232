"""What the System page calls: the health checks, and alert delivery (core.alerts.service) — what was
sent lately, and each manager's channels and subscriptions. Permissions are checked here and there:
`view_system` to see, `manage_alerts` to change."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from core.accounts import Account, require
from core.alerts.channels import KINDS as CHANNEL_KINDS
from core.alerts.messages import KIND_NAMES, LEVEL_NAMES, kind_name, level_name
from core.alerts.service import (
    AlertSetupError,
    DeliveryError,
    add_channel,
    channels_of,
    recent_deliveries,
    recent_incidents,
    remove_channel,
    send_test,
    subscribe,
    subscriptions_of,
    unsubscribe,
)
from core.alerts.store import parse_quiet
from core.overview.alerts import KINDS as ALERT_KINDS
from core.platform.settings import Settings, load_settings
from core.system.health import Check, run_checks, worst

__all__ = [
    "ALERT_KINDS", "CHANNEL_KINDS", "KIND_NAMES", "LEVEL_NAMES", "AlertSetupError", "Check", "DeliveryError",
    "add_channel", "channels_of", "health", "kind_name", "level_name", "parse_quiet", "recent_deliveries",
    "recent_incidents", "remove_channel", "send_test", "subscribe", "subscriptions_of", "send_test_message",
    "unsubscribe", "worst",
]


def health(engine: Engine, *, account: Account, settings: Settings | None = None) -> list[Check]:
    """Every health check, as `oyna health` prints them."""
    require(account, "view_system")
    return run_checks(engine, settings or load_settings())


def send_test_message(engine: Engine, *, account: Account, channel_id: int) -> None:
    """Send a test message to one of the account's channels now (DeliveryError says why it failed)."""
    send_test(engine, load_settings(), account=account, channel_id=channel_id)
