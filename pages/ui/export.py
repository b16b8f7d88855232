"""Downloads: every file the app hands out, as CSV and Excel (.xlsx) side by side.

The file comes from the domain's service (which masks it, makes it with `core.platform.exports` and
records the export in the activity log), only when a button is pressed: `data(viewer, fmt, labels)` gets
the account, "csv" or "xlsx", and the page's column names (or None for the table's own, the CSV's default).
Streamlit runs it later, outside the page's run, in the language the page was drawn in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import streamlit as st

from core.accounts import Account
from core.i18n import SOURCE, _, current_locale, use_locale
from core.platform.exports import FORMATS

Data = Callable[[Account, str, Mapping[str, str] | None], bytes]


def contact_labels() -> dict[str, str]:
    """The column names of a list of customers to contact (targeting and campaigns), in the current language."""
    return {"user_id": _("Customer id"), "full_name": _("Name"), "email": _("E-mail"), "phone": _("Phone"),
            "favourite_club": _("Club"), "segment": _("Segment"), "churn_risk": _("Churn risk"),
            "risk_rank": _("Risk rank"), "risk_band": _("Risk band"), "clv_12m": _("CLV 12 m, ₸")}


def downloads(data: Data, *, account: Account, file_name: str,
              labels: Mapping[str, str], key: str, where=None, csv_label: str | None = None,
              xlsx_label: str | None = None) -> None:
    """"Download CSV" and "Download Excel" buttons (or `csv_label`, `xlsx_label`) for `file_name` (without
    its extension), for `account`. The XLSX has the page's column names; outside English a
    checkbox puts them in the CSV's header too."""
    box = where or st
    translated = current_locale() != SOURCE and box.checkbox(
        _("Column names in the interface's language"), key=f"{key}_labels",
        help=_("Off: the CSV's column names stay the same in every language, for scripts."))
    language = current_locale()
    row = box.container(horizontal=True)
    for fmt, label, names in (("csv", csv_label or _("Download CSV"), dict(labels) if translated else None),
                              ("xlsx", xlsx_label or _("Download Excel"), dict(labels))):
        def build(fmt=fmt, names=names) -> bytes:
            with use_locale(language):
                return data(account, fmt, names)

        row.download_button(label, build, file_name=f"{file_name}.{fmt}", mime=FORMATS[fmt],
                            icon=":material/download:", on_click="ignore", key=f"{key}_{fmt}")
