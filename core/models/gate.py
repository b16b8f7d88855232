"""Why a version was (not) activated, in words.

The retrain keeps its verdict as {"message", "params"} in the version's metrics ("gate"): the message is
English with {fields}, marked with N_, and `gate_text` puts it into the reader's language. The English
text is also stored in model_versions.notes for SQL clients and the CLI.
"""

from __future__ import annotations

from typing import Any

from core.i18n import N_, _
from core.i18n.format import number

FIRST_VERSION = N_("first version")
FORCED = N_("forced")
FILES_UNUSABLE = N_("the active version's files are unusable ({error}); replaced")
CANNOT_SCORE = N_("the active model cannot score today's features ({error}); replaced")
NOT_WORSE = N_("churn ROC AUC {new} vs active {active} {old} on the same held-out customers")
WORSE = N_("churn ROC AUC {new} vs active {active} {old} on the same held-out customers: worse, kept the active "
           "version")


def gate_text(gate: Any) -> str:
    """A stored verdict in the current language ('' when there is none)."""
    if not isinstance(gate, dict) or not gate.get("message"):
        return ""
    params = {k: number(v, 3) if isinstance(v, float) else v for k, v in (gate.get("params") or {}).items()}
    return _(gate["message"]).format(**params)
