"""System (managers): the health checks `oyna health` runs, the alerts sent lately, and where alerts go."""

from __future__ import annotations

from datetime import time

import pandas as pd
import streamlit as st

from core.accounts import can
from core.i18n import N_, _, available, language_name
from core.system import service
from pages.ui.cache import cached
from pages.ui.guard import page_guard
from pages.ui.session import engine, require
from pages.ui.sidebar import club_names

HEALTH_TTL = 15
LIST_TTL = 10
STATUS = {"ok": N_("OK"), "warn": N_("Warning"), "fail": N_("Failed"), "skip": N_("Not checked")}
CHANNEL_LABELS = {"telegram": _("Telegram chat"), "webhook": _("Webhook (Slack-compatible)"), "email": _("E-mail")}


def forget() -> None:
    """Read the lists afresh after a change."""
    for fn in (service.channels_of, service.subscriptions_of, service.recent_incidents, service.recent_deliveries):
        cached(fn, ttl=LIST_TTL).clear()


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


def show_channels(account) -> pd.DataFrame:
    st.subheader(_("Your channels"), anchor=False)
    channels = cached(service.channels_of, ttl=LIST_TTL)(account=account)
    if channels.empty:
        st.caption(_("No channels yet: add a Telegram chat, a webhook or an e-mail address below."))
    else:
        shown = channels.assign(kind=channels.kind.map(lambda k: CHANNEL_LABELS.get(k, k)),
                                language=channels.language.map(language_name))
        st.dataframe(shown[["name", "kind", "target", "language", "subscriptions"]], hide_index=True,
                     width="stretch", column_config={
                         "name": _("Name"), "kind": _("Kind"), "target": _("Destination"), "language": _("Language"),
                         "subscriptions": _("Subscriptions")})
        names = dict(zip(channels.id, channels["name"]))
        pick = st.selectbox(_("Channel"), list(names), format_func=names.get, key="channel_pick")
        test, remove = st.columns(2)
        if test.button(_("Send a test message"), key="channel_test", icon=":material/send:"):
            try:
                service.send_test_message(engine(), account=account, channel_id=pick)
                st.success(_("Sent."))
            except service.DeliveryError as exc:
                st.error(_("It did not get through: {reason}").format(reason=exc))
        if remove.button(_("Remove the channel"), key="channel_remove", icon=":material/delete:"):
            service.remove_channel(engine(), account=account, channel_id=pick)
            forget()
            st.rerun()
    with st.form("channel_add", clear_on_submit=True):
        st.markdown(_("**Add a channel**"))
        name = st.text_input(_("Name"), max_chars=60, key="channel_name")
        kind = st.selectbox(_("Kind"), list(CHANNEL_LABELS), format_func=CHANNEL_LABELS.get, key="channel_kind")
        target = st.text_input(_("Destination"), key="channel_target", help=_(
            "Telegram: the chat's id (such as -1001234567890; add the chain's bot to the chat first). Webhook: the "
            "incoming-webhook address. E-mail: one address."))
        languages = list(available())
        language = st.selectbox(_("Language of the messages"), languages, format_func=language_name,
                                index=languages.index("ru") if "ru" in languages else 0, key="channel_language")
        if st.form_submit_button(_("Add the channel")):
            try:
                service.add_channel(engine(), account=account, name=name, kind=kind, target=target, language=language)
                forget()
                st.rerun()
            except service.AlertSetupError as exc:
                st.error(str(exc))
    return channels


def show_subscriptions(account, channels: pd.DataFrame) -> None:
    st.subheader(_("What reaches them"), anchor=False)
    subs = cached(service.subscriptions_of, ttl=LIST_TTL)(account=account)
    if subs.empty:
        st.caption(_("No subscriptions yet: nothing is sent until you choose what reaches a channel."))
    else:
        table = pd.DataFrame({
            "id": subs.id, "channel": subs.channel, "clubs": subs.clubs.fillna(_("all your clubs")),
            "kinds": subs.kind_names.fillna(_("all")), "level": subs.level,
            "quiet": [f"{a:%H:%M}–{b:%H:%M}" if pd.notna(a) and a is not None else "" for a, b in
                      zip(subs.quiet_from, subs.quiet_until)]})
        st.dataframe(table, hide_index=True, width="stretch", column_config={
            "id": "#", "channel": _("Channel"), "clubs": _("Clubs"), "kinds": _("Alerts"), "level": _("From level"),
            "quiet": _("Quiet hours")})
        pick = st.selectbox(_("Subscription"), list(subs.id), format_func=lambda i: f"#{i}", key="sub_pick")
        if st.button(_("Remove the subscription"), key="sub_remove", icon=":material/delete:"):
            service.unsubscribe(engine(), account=account, subscription_id=pick)
            forget()
            st.rerun()
    if channels.empty:
        return
    names = club_names()
    channel_names = dict(zip(channels.id, channels["name"]))
    with st.form("sub_add", clear_on_submit=True):
        st.markdown(_("**Choose what reaches a channel**"))
        channel = st.selectbox(_("Channel"), list(channel_names), format_func=channel_names.get, key="sub_channel")
        clubs = st.multiselect(_("Clubs"), list(names), format_func=lambda c: names.get(c, str(c)),
                               placeholder=_("All your clubs"), key="sub_clubs")
        kinds = st.multiselect(_("Alerts"), list(service.ALERT_KINDS), format_func=service.kind_name,
                               placeholder=_("All kinds"), key="sub_kinds")
        level = st.radio(_("From level"), ["critical", "warning"], format_func=service.level_name, horizontal=True,
                         key="sub_level")
        quiet = st.checkbox(_("Quiet hours (club time)"), key="sub_quiet")
        start, end = st.columns(2)
        quiet_from = start.time_input(_("From"), value=time(23, 0), key="sub_quiet_from", step=1800)
        quiet_until = end.time_input(_("Until"), value=time(8, 0), key="sub_quiet_until", step=1800)
        breaks = st.checkbox(_("Critical alerts break quiet hours"), key="sub_breaks")
        if st.form_submit_button(_("Subscribe")):
            try:
                service.subscribe(engine(), account=account, channel_id=channel, club_ids=clubs, kinds=kinds,
                                  min_level=level, quiet_from=quiet_from if quiet else None,
                                  quiet_until=quiet_until if quiet else None, critical_breaks_quiet=breaks)
                forget()
                st.rerun()
            except service.AlertSetupError as exc:
                st.error(str(exc))


st.title(_("System"), anchor=False)
with page_guard("system"):
    account = require("view_system")
    health_tab, alerts_tab = st.tabs([_("Health"), _("Alert delivery")])
    with health_tab:
        show_health(account)
    with alerts_tab:
        st.caption(_("The Overview's alerts also go out by Telegram, a webhook or e-mail: one message when an "
                     "incident starts and one when it is over, never during quiet hours unless you let critical "
                     "ones through."))
        if can(account, "manage_alerts"):
            show_subscriptions(account, show_channels(account))
        show_activity(account)
