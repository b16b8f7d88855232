"""Where a manager's alerts go: their channels (Telegram, webhook, e-mail) and what reaches each. On the
System page for managers of the whole chain, on the Account page for managers of some clubs; the services
(`core.system.service`) keep every subscription to the clubs its owner may see."""

from __future__ import annotations

from datetime import time

import pandas as pd
import streamlit as st

from core.i18n import N_, _, available, language_name
from core.system import service
from pages.ui.cache import cached
from pages.ui.session import engine
from pages.ui.sidebar import club_names
from pages.ui.text import md

LIST_TTL = 10
CHANNEL_LABELS = {"telegram": N_("Telegram chat"), "webhook": N_("Webhook (Slack-compatible)"), "email": N_("E-mail")}


def alert_settings(account) -> None:
    """The account's channels and subscriptions, with forms to add and remove them."""
    st.caption(_("The Overview's alerts also go out by Telegram, a webhook or e-mail: one message when an "
                 "incident starts and one when it is over, never during quiet hours unless you let critical "
                 "ones through."))
    show_subscriptions(account, show_channels(account))


def forget() -> None:
    """Read the lists afresh after a change."""
    for fn in (service.channels_of, service.subscriptions_of, service.recent_incidents, service.recent_deliveries):
        cached(fn, ttl=LIST_TTL).clear()


def channel_label(kind: str) -> str:
    return _(CHANNEL_LABELS[kind]) if kind in CHANNEL_LABELS else kind


def show_channels(account) -> pd.DataFrame:
    st.subheader(_("Your channels"), anchor=False)
    channels = cached(service.channels_of, ttl=LIST_TTL)(account=account)
    if channels.empty:
        st.caption(_("No channels yet: add a Telegram chat, a webhook or an e-mail address below."))
    else:
        shown = channels.assign(kind=channels.kind.map(channel_label),
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
            except service.DeliveryError as exc:  # the reason may name a server's words: plain text, never Markdown
                st.error(_("It did not get through."), icon=":material/error:")
                st.text(str(exc))
        if remove.button(_("Remove the channel"), key="channel_remove", icon=":material/delete:"):
            service.remove_channel(engine(), account=account, channel_id=pick)
            forget()
            st.rerun()
    with st.form("channel_add", clear_on_submit=True):
        st.markdown(_("**Add a channel**"))
        name = st.text_input(_("Name"), max_chars=60, key="channel_name")
        kind = st.selectbox(_("Kind"), list(CHANNEL_LABELS), format_func=channel_label, key="channel_kind")
        target = st.text_input(_("Destination"), key="channel_target", help=_(
            "Telegram: the chat's id (such as -1001234567890; add the chain's bot to the chat first). Webhook: the "
            "incoming-webhook address (https://, on the public internet). E-mail: one address."))
        languages = list(available())
        language = st.selectbox(_("Language of the messages"), languages, format_func=language_name,
                                index=languages.index("ru") if "ru" in languages else 0, key="channel_language")
        if st.form_submit_button(_("Add the channel")):
            try:
                service.add_channel(engine(), account=account, name=name, kind=kind, target=target, language=language)
                forget()
                st.rerun()
            except service.AlertSetupError as exc:
                st.error(md(exc))
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
                st.error(md(exc))
