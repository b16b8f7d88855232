"""CSV downloads: the table's own column names, or (as an option) the names shown on the page."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import streamlit as st

from core.i18n import SOURCE, _, current_locale


def csv_download(frame: pd.DataFrame, *, file_name: str, labels: Mapping[str, str], key: str,
                 where=None) -> None:
    """A "Download CSV" button; outside English a checkbox puts the page's column names in the header."""
    box = where or st
    language = current_locale()
    translated = language != SOURCE and box.checkbox(
        _("Column names in the interface's language"), key=f"{key}_labels",
        help=_("Off: the column names stay the same in every language, for scripts and spreadsheets."))
    data = frame.rename(columns=dict(labels)) if translated else frame
    box.download_button(_("Download CSV"), data.to_csv(index=False).encode("utf-8"), file_name=file_name,
                        mime="text/csv", icon=":material/download:", on_click="ignore", key=key)
