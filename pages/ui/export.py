"""Downloads: every file the app hands out, as CSV and Excel (.xlsx) side by side.

The file comes from the domain's service (which masks it, makes it with `core.platform.exports` and
records the export in the activity log), only when a button is pressed: `data(viewer, fmt, labels)` gets
the account as it is at that moment, "csv" or "xlsx", and the page's column names (or None for the table's
own, the CSV's default). Streamlit runs it later, outside the page's run, so `checked` re-reads the session
first (`core.accounts.sessions.recheck`): an ended, demoted, re-scoped or removed session downloads nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import streamlit as st
from sqlalchemy.engine import Engine

from core.accounts import Account, sees_contacts, sessions
from core.i18n import SOURCE, _, current_locale, use_locale
from core.platform.exports import FORMATS
from core.platform.settings import Settings
from pages.ui.session import engine, settings

Data = Callable[[Account, str, Mapping[str, str] | None], bytes]


def contact_labels() -> dict[str, str]:
    """The column names of a list of customers to contact (targeting and campaigns), in the current language."""
    return {"user_id": _("Customer id"), "full_name": _("Name"), "email": _("E-mail"), "phone": _("Phone"),
            "favourite_club": _("Club"), "segment": _("Segment"), "churn_risk": _("Churn risk"),
            "risk_rank": _("Risk rank"), "risk_band": _("Risk band"), "clv_12m": _("CLV 12 m, ₸")}


def checked(build: Callable[[Account], bytes], *, db: Engine, account: Account, permissions: Iterable[str],
            club_ids: Iterable[int], language: str, config: Settings | None = None) -> Callable[[], bytes]:
    """What a download button runs when pressed: `account`'s session re-read (PermissionDenied when it ended,
    lost one of `permissions` or some of `club_ids`), then `build` for the account as it is now, in the
    language the page was drawn in."""
    session_id, address = account.session_id, account.address
    permissions, club_ids = tuple(permissions), tuple(int(c) for c in club_ids)

    def run() -> bytes:
        with use_locale(language):
            fresh = sessions.recheck(db, session_id=session_id, permissions=permissions, club_ids=club_ids,
                                     address=address, settings=config)
            return build(fresh)

    return run


def downloads(data: Data, *, account: Account, club_ids: Iterable[int], file_name: str,
              labels: Mapping[str, str], key: str, permission: str = "view", contacts: bool = False, where=None,
              csv_label: str | None = None, xlsx_label: str | None = None) -> None:
    """"Download CSV" and "Download Excel" buttons (or `csv_label`, `xlsx_label`) for `file_name` (without
    its extension). Pressed, each needs `permission` still, and the same `club_ids`; a file with `contacts`
    made for one who sees them needs that permission still too (refused, never quietly masked). The XLSX has
    the page's column names; outside English a checkbox puts them in the CSV's header too."""
    box = where or st
    translated = current_locale() != SOURCE and box.checkbox(
        _("Column names in the interface's language"), key=f"{key}_labels",
        help=_("Off: the CSV's column names stay the same in every language, for scripts."))
    needs = (permission, "see_contacts") if contacts and sees_contacts(account) else (permission,)
    row = box.container(horizontal=True)
    for fmt, label, names in (("csv", csv_label or _("Download CSV"), dict(labels) if translated else None),
                              ("xlsx", xlsx_label or _("Download Excel"), dict(labels))):
        build = checked(lambda viewer, fmt=fmt, names=names: data(viewer, fmt, names), db=engine(), account=account,
                        permissions=needs, club_ids=club_ids, language=current_locale(), config=settings())
        row.download_button(label, build, file_name=f"{file_name}.{fmt}", mime=FORMATS[fmt],
                            icon=":material/download:", on_click="ignore", key=f"{key}_{fmt}")
