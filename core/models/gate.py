"""A model version's verdict in the reader's language.

The retrain keeps why a version was (not) activated as {"message", "params"} in its metrics ("gate"):
the message is English with {fields}, one of the N_-marked texts in `core.models.compare`, and the
English text also goes to model_versions.notes for SQL clients and the CLI. `gate_text` puts it into the
current language, numbers in the language's format.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.i18n import _
from core.i18n.format import datetime_text, number


def gate_text(gate: Any) -> str:
    """A stored verdict in the current language ('' when there is none)."""
    if not isinstance(gate, dict) or not gate.get("message"):
        return ""
    params = {k: _field(k, v) for k, v in (gate.get("params") or {}).items()}
    try:
        return _(gate["message"]).format(**params)
    except (KeyError, IndexError, ValueError):  # a verdict whose fields no longer match: the stored notes
        return ""


def _field(name: str, value: Any) -> Any:
    if isinstance(value, float):
        return number(value, 3)
    if name == "reason" and isinstance(value, str):  # an N_-marked reason; other texts stay as they are
        return _(value)
    if name == "as_of" and isinstance(value, str):  # an ISO moment (a backtest's)
        try:
            return datetime_text(datetime.fromisoformat(value))
        except ValueError:
            return value
    return value
