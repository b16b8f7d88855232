"""System (managers): the health checks `oyna health` runs, the alerts sent lately, and where alerts go."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.accounts import can
from core.i18n import N_, _
from core.system import service
from pages.ui.alert_settings import LIST_TTL, alert_settings
from pages.ui.cache import cached
from pages.ui.guard import page_guard
from pages.ui.session import require

HEALTH_TTL = 15
STATUS = {"ok": N_("OK"), "warn": N_("Warning"), "fail": N_("Failed"), "skip": N_("Not checked")}


def show_health(account) -> None:
    checks = cached(service.health, ttl=HEALTH_TTL)(account=account)
    overall = service.worst(checks)
    if overall == "fail":
        st.error(_("Something needs attention now."), icon=":material/error:")
    elif overall == "warn":
        st.warning(_("Working, with warnings."), icon=":material/warning:")
    else:
        st.success(_("Everything is working."), icon=":material/check_circle:")
    table = pd.DataFrame({_("Status"): [_(STATUS.get(c.status, c.status)) for c in checks],
                          _("Check"): [c.label for c in checks], _("Result"): [c.summary for c in checks]})
    st.dataframe(table, hide_index=True, width="stretch")
    st.caption(_("The same checks as `oyna health`, every {seconds} seconds at most.").format(seconds=HEALTH_TTL))
    if st.button(_("Check again"), key="health_again", icon=":material/refresh:"):
        cached(service.health, ttl=HEALTH_TTL).clear()
        st.rerun()


def show_activity(account) -> None:
    st.subheader(_("Incidents"), anchor=False)
    incidents = cached(service.recent_incidents, ttl=LIST_TTL)(account=account)
    if incidents.empty:
        st.caption(_("No incidents in the last day."))
    else:
        st.dataframe(incidents[["level_name", "club", "title", "opened_at", "cleared_at"]], hide_index=True,
                     width="stretch", column_config={
                         "level_name": _("Level"), "club": _("Club"), "title": _("Alert"),
                         "opened_at": st.column_config.DatetimeColumn(_("Since"), format="DD.MM HH:mm"),
                         "cleared_at": st.column_config.DatetimeColumn(_("Cleared"), format="DD.MM HH:mm")})
    st.subheader(_("Messages"), anchor=False)
    sent = cached(service.recent_deliveries, ttl=LIST_TTL)(account=account)
    if sent.empty:
        st.caption(_("No messages yet."))
        return
    sent["status"] = sent.status.map({"sent": _("sent"), "pending": _("waiting"), "failed": _("failed"),
                                      "cancelled": _("not needed")}).fillna(sent.status)
    sent["event"] = sent.event.map({"opened": _("opened"), "cleared": _("cleared")}).fillna(sent.event)
    st.dataframe(sent[["created_at", "channel", "club", "title", "event", "status", "attempts", "last_error"]],
                 hide_index=True, width="stretch", column_config={
                     "created_at": st.column_config.DatetimeColumn(_("When"), format="DD.MM HH:mm"),
                     "channel": _("Channel"), "club": _("Club"), "title": _("Alert"), "event": _("Event"),
                     "status": _("Status"), "attempts": _("Attempts"), "last_error": _("Last error")})


st.title(_("System"), anchor=False)
with page_guard("system"):
    account = require("view_system")
    health_tab, alerts_tab = st.tabs([_("Health"), _("Alert delivery")])
    with health_tab:
        show_health(account)
    with alerts_tab:
        if can(account, "manage_alerts"):
            alert_settings(account)
        show_activity(account)
