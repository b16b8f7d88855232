"""CSV downloads: the table's own column names, or (as an option) the names shown on the page.

The CSV itself comes from the domain's service (which records the export in the activity log), only when
the button is pressed: `data(labels)` gets the page's names, or None for the table's own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import streamlit as st

from core.i18n import SOURCE, _, current_locale


def contact_labels() -> dict[str, str]:
    """The column names of a list of customers to contact (targeting and campaigns), in the current language."""
    return {"user_id": _("Customer id"), "full_name": _("Name"), "email": _("E-mail"), "phone": _("Phone"),
            "favourite_club": _("Club"), "segment": _("Segment"), "churn_risk": _("Churn risk"),
            "risk_rank": _("Risk rank"), "risk_band": _("Risk band"), "clv_12m": _("CLV 12 m, ₸")}


def csv_download(data: Callable[[Mapping[str, str] | None], bytes], *, file_name: str,
                 labels: Mapping[str, str], key: str, where=None, label: str | None = None) -> None:
    """A "Download CSV" button (or `label`); outside English a checkbox puts the page's column names in the
    header."""
    box = where or st
    translated = current_locale() != SOURCE and box.checkbox(
        _("Column names in the interface's language"), key=f"{key}_labels",
        help=_("Off: the column names stay the same in every language, for scripts and spreadsheets."))
    names = dict(labels) if translated else None
    box.download_button(label or _("Download CSV"), lambda: data(names), file_name=file_name, mime="text/csv",
                        icon=":material/download:", on_click="ignore", key=key)
