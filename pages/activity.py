"""Activity: who did what and when (sign-ins, exports, customers opened with contacts, retrains, scenarios,
account changes), searchable and filterable, with CSV and Excel exports. Managers only."""

from __future__ import annotations

import json
from datetime import date, timedelta

import streamlit as st

from core.accounts import audit
from core.i18n import N_, _, ngettext
from core.i18n.format import number
from pages.ui.export import downloads
from pages.ui.guard import page_guard
from pages.ui.session import engine, require
from pages.ui.sidebar import ROLE_NAMES, display_timezone, local_today

DEFAULT_DAYS = 7
ROWS_SHOWN = 15  # the table scrolls past this many rows
# What an entry is about, in words (the log keeps the codes); codes not listed here are shown as they are.
OBJECT_NAMES = {"account": N_("account"), "alerts": N_("alerts"), "customer": N_("customer"),
                "customers": N_("customer list"), "database": N_("database"), "model": N_("model"),
                "scenario": N_("scenario"), "session": N_("session"), "forecast": N_("forecast"),
                "activity": N_("activity log"), "campaign": N_("campaign"),
                "targeted_customers": N_("customers chosen for a campaign"),
                "campaign_contacts": N_("campaign contact list"), "import": N_("import")}


def words(names: dict[str, str], code) -> str:
    return _(names[code]) if code in names else code


def action_label(action: str) -> str:
    return _(audit.ACTIONS[action]) if action in audit.ACTIONS else action


st.title(_("Activity"), anchor=False)
with page_guard("activity"):
    account = require("view_activity")
    today = local_today()
    left, right = st.columns([2, 3])
    picked = left.date_input(_("Dates"), (today - timedelta(days=DEFAULT_DAYS - 1), today), max_value=today,
                             format="DD.MM.YYYY", key="act_dates")
    actions = right.multiselect(_("Actions"), list(audit.ACTIONS), format_func=action_label, key="act_actions",
                                placeholder=_("Every action"))
    a, b = st.columns(2)
    who = a.text_input(_("Who"), key="act_who", placeholder=_("part of a username, or cli"))
    text = b.text_input(_("Search"), key="act_text", placeholder=_("an object, an address, a detail"))
    if isinstance(picked, date):
        picked = (picked, picked)
    if len(picked) != 2:
        st.info(_("Pick the last day too."))
        st.stop()
    query = {"start": picked[0], "end": picked[1], "timezone": display_timezone(), "actions": tuple(actions),
             "who": who.strip() or None, "text": text.strip() or None}
    frame = audit.search(engine(), viewer=account, **query)
    st.caption(ngettext("{count} entry, newest first", "{count} entries, newest first", len(frame)).format(
        count=number(len(frame))) + (" " + _("(the first {limit})").format(limit=number(audit.MAX_ROWS))
                                     if len(frame) == audit.MAX_ROWS else "") + ".")
    shown = frame.assign(action=frame.action.map(action_label), role=frame.role.map(lambda r: words(ROLE_NAMES, r)),
                         object_type=frame.object_type.map(lambda t: words(OBJECT_NAMES, t)),
                         club_ids=frame.club_ids.map(lambda ids: ", ".join(str(c) for c in ids or ())),
                         details=frame.details.map(lambda d: json.dumps(d, ensure_ascii=False)),
                         address=frame.address.fillna(_("this machine")))
    labels = {"at": _("When"), "who": _("Who"), "role": _("Role"), "via": _("Through"), "action": _("What"),
              "object_type": _("On"), "object_id": _("Which"), "address": _("From"), "club_ids": _("Club ids"),
              "details": _("Details"), "session_id": _("Session")}
    st.dataframe(
        shown[["at", "who", "role", "action", "object_type", "object_id", "address", "club_ids", "details"]],
        hide_index=True, height=min(ROWS_SHOWN + 1, len(shown) + 1) * 35 + 3, key="activity_table",
        column_config={
            **labels,
            "at": st.column_config.DatetimeColumn(labels["at"], format="DD.MM.YYYY HH:mm:ss",
                                                  timezone=query["timezone"]),
            "details": st.column_config.JsonColumn(labels["details"]),
        })
    export = engine()
    downloads(lambda viewer, fmt, names: audit.search_export(export, viewer=viewer, fmt=fmt, labels=names, **query),
              account=account, club_ids=(), permission="view_activity",
              file_name=f"activity-{picked[0]:%Y%m%d}-{picked[1]:%Y%m%d}", labels=labels, key="activity")
