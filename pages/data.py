"""Data: import a club system's export (managers), the past imports, and the data's health."""

from __future__ import annotations


import pandas as pd
import streamlit as st

from core.accounts import can
from core.data import MAX_UPLOAD_MB, service
from core.data.imports import DEFAULT_TIMEZONE, Options
from core.data.sniff import FileProblem
from core.i18n import N_, _
from core.i18n.format import date_text, duration, number
from pages.ui.cache import cached
from pages.ui.guard import page_guard
from pages.ui.layout import card_columns
from pages.ui.session import current_account, engine
from pages.ui.sidebar import filters
from pages.ui.text import md

DETECT = "detect"
NONE = "—"
TIMEZONES = ["Asia/Almaty", "Asia/Qostanay", "Asia/Aqtobe", "Asia/Aqtau", "Asia/Atyrau", "Asia/Oral",
             "Asia/Qyzylorda", "Asia/Tashkent", "Asia/Bishkek", "Europe/Moscow", "UTC"]
FORMAT_NAMES = {DETECT: N_("Detect from the header"), "generic": N_("Generic (one row per visit)"),
                "ggleap": N_("ggLeap Activity Tracker"), "smartshell": N_("SmartShell clients")}
REPORT_KEY = "data_last_report"
LEVELS = {"problem": N_("problem"), "warning": N_("warning"), "ok": N_("ok")}


def file_preview(upload, fmt: str | None, club: str | None, mapping: dict | None):
    """The preview of the uploaded file for these choices. Only the file's head is read, once per file: this
    session keeps it (a few hundred KB, whatever the file's size) while the file stays."""
    memo = st.session_state.get("_data_head")
    if memo is None or memo[0] != upload.file_id:
        st.session_state["_data_head"] = memo = (upload.file_id, service.head(upload))
    return service.preview(memo[1], format=fmt, club=club, mapping=mapping)


def mapping_widgets(preview) -> dict[str, str | None]:
    """A select box per column of the format (the file's column that feeds it); returns the choices."""
    header = preview.table.header
    required, optional = service.format_columns(preview.format.name)
    chosen: dict[str, str | None] = {}
    with st.expander(_("Column mapping: which column of the file feeds each field"), expanded=bool(preview.message)):
        left, right = st.columns(2)
        for i, column in enumerate(required + optional):
            guess = preview.mapping.get(column)
            options = [NONE, *header]
            key = f"map_{preview.format.name}_{column}"
            if st.session_state.get(key) not in options:
                st.session_state[key] = guess if guess in header else NONE
            label = column + (" *" if column in required else "")
            picked = (left if i % 2 == 0 else right).selectbox(label, options, key=key)
            chosen[column] = None if picked == NONE else picked
        st.caption(_("* required. Names are matched case-insensitively; pick another column when the guess is "
                     "wrong, or — to leave a field out."))
    return chosen


def show_report(report) -> None:
    if report.result == "imported":
        st.success(_("Imported {file}: {added} visits added, {updated} updated, {skipped} unchanged; it took "
                     "{time}.").format(file=md(report.file_name), added=number(report.rows_added),
                                       updated=number(report.rows_updated), skipped=number(report.rows_skipped),
                                       time=duration(report.seconds)), icon=":material/check_circle:")
        st.caption(_("The analytics views are up to date. Retrain the models on the Models page to score the new "
                     "data."))
    elif report.result == "checked":
        st.success(_("Dry run of {file}: every row can be imported ({added} would be added, {updated} updated, "
                     "{skipped} unchanged). Nothing was written.").format(
            file=md(report.file_name), added=number(report.rows_added), updated=number(report.rows_updated),
            skipped=number(report.rows_skipped)), icon=":material/fact_check:")
    else:
        st.error(_("{file} was not imported, and nothing changed: {why}").format(
            file=md(report.file_name), why=md(report.message)), icon=":material/block:")
    facts = {_("Rows read"): report.rows_read, _("Visits"): report.visits, _("Customers added"): report.customers_added,
             _("Customers updated"): report.customers_updated, _("Seats added"): report.seats_added,
             _("Visits placed on a free seat"): report.seats_placed, _("Bad rows"): report.rows_bad}
    facts.update(report.counts)
    facts.update(report.warnings)
    st.dataframe(pd.DataFrame({"what": list(facts), "count": list(facts.values())}), hide_index=True,
                 column_config={"what": _("What"), "count": st.column_config.NumberColumn(_("Count"), format="localized")})
    if report.cleaned_lines:
        st.caption(_("Names with control characters or line breaks were imported with spaces instead, on lines "
                     "{lines}{more}.").format(lines=", ".join(str(n) for n in report.cleaned_lines),
                                              more=" …" if report.cleaned > len(report.cleaned_lines) else ""))
    if report.bad_rows:
        st.markdown(_("**The first {n} bad rows** (line numbers count the header as line 1):").format(
            n=len(report.bad_rows)))
        st.dataframe(pd.DataFrame(report.bad_rows), hide_index=True,
                     column_config={"line": _("Line"), "reason": _("Why")})


def import_section(account) -> None:
    st.subheader(_("Import a file"), anchor=False)
    if not can(account, "import_data"):
        st.info(_("Only managers of the whole chain can import data."), icon=":material/lock:")
        return
    upload = st.file_uploader(_("A club system's export (CSV: generic, ggLeap or SmartShell; docs/import.md)"),
                              type=["csv", "txt", "tsv"], key="data_upload", max_upload_size=MAX_UPLOAD_MB)
    if upload is None:
        st.caption(_("UTF-8 or Windows-1251; comma, semicolon or tab; up to {size} MB a file; each file goes in "
                     "whole or not at all.").format(size=number(MAX_UPLOAD_MB)))
        show_last_report()
        return
    left, right = st.columns(2)
    fmt = left.selectbox(_("Format"), list(FORMAT_NAMES), format_func=lambda f: _(FORMAT_NAMES[f]), key="data_format")
    zone = right.selectbox(_("Time zone of clubs created on the way"), TIMEZONES, key="data_timezone",
                           index=TIMEZONES.index(DEFAULT_TIMEZONE))
    club = st.text_input(_("Club (for files whose rows name none; new clubs are created)"), key="data_club").strip()
    wanted = None if fmt == DETECT else fmt
    try:
        first = file_preview(upload, wanted, club or None, None)
    except (FileProblem, ValueError) as exc:
        st.error(_("This file cannot be read: {why}").format(why=md(exc)), icon=":material/block:")
        return
    mapping = mapping_widgets(first)
    preview = file_preview(upload, first.format.name, club or None, mapping)
    table = preview.table
    if preview.complete:
        st.caption(_("{format} file{detected}: {rows} rows, {encoding}, {delimiter}-separated.").format(
            format=_(FORMAT_NAMES[preview.format.name]), detected=_(" (detected)") if first.detected else "",
            rows=number(len(table.frame)), encoding=table.encoding, delimiter=table.delimiter_name))
    else:
        st.caption(_("{format} file{detected} of {size} MB, {encoding}, {delimiter}-separated: its first {rows} "
                     "rows are shown and checked here; the import reads and checks every row.").format(
            format=_(FORMAT_NAMES[preview.format.name]), detected=_(" (detected)") if first.detected else "",
            size=number(preview.size / 1e6, 1), rows=number(len(table.frame)), encoding=table.encoding,
            delimiter=table.delimiter_name))
    st.dataframe(preview.sample, hide_index=True, height=240)
    if preview.message:
        st.warning(md(preview.message), icon=":material/warning:")
    elif preview.problems is not None and preview.problems.count:
        st.warning(_("{n} rows are bad already (the import will refuse the file until they are fixed):").format(
            n=number(preview.problems.count)), icon=":material/warning:")
        st.dataframe(pd.DataFrame(preview.problems.first()), hide_index=True,
                     column_config={"line": _("Line"), "reason": _("Why")})
    a, b = st.columns(2)
    dry = a.button(_("Dry run (write nothing)"), key="data_dry_run", width="stretch")
    go = b.button(_("Import"), type="primary", key="data_import", width="stretch",
                  disabled=bool(preview.message))
    if dry or go:
        bar = st.progress(0.0, text=_("Starting…"))
        options = Options(format=preview.format.name, club=club or None, timezone=zone, mapping=mapping, dry_run=dry)
        report = service.import_file(engine(), account=account, raw=upload, file_name=upload.name, options=options,
                                     progress=lambda f, m: bar.progress(min(max(f, 0.0), 1.0), text=m))
        bar.empty()
        st.session_state[REPORT_KEY] = report
        if report.result == "imported":
            st.cache_data.clear()  # every page's figures may change
    show_last_report()


def show_last_report() -> None:
    report = st.session_state.get(REPORT_KEY)
    if report is not None:
        show_report(report)


def past_imports(account) -> None:
    st.subheader(_("Past imports"), anchor=False)
    table = cached(service.past_imports, ttl=10)(viewer=account)
    if table.empty:
        st.caption(_("No file has been imported yet."))
        return
    st.dataframe(table[["started_at", "imported_by", "file_name", "file_format", "result", "rows_read", "rows_added",
                        "rows_updated", "rows_skipped", "rows_bad", "seconds", "message"]], hide_index=True,
                 column_config={
                     "started_at": st.column_config.DatetimeColumn(_("When"), format="DD.MM.YYYY HH:mm"),
                     "imported_by": _("Who"), "file_name": _("File"), "file_format": _("Format"),
                     "result": _("Result"), "rows_read": _("Rows"), "rows_added": _("Added"),
                     "rows_updated": _("Updated"), "rows_skipped": _("Unchanged"), "rows_bad": _("Bad"),
                     "seconds": st.column_config.NumberColumn(_("Seconds"), format="%.1f"), "message": _("Note")})


def health_section(club_ids, account) -> None:
    st.subheader(_("Data health"), anchor=False)
    health = cached(service.data_health, ttl=120, spinner=_("Checking the data…"))(club_ids=club_ids, viewer=account)
    t = health.totals
    cards = [(_("First day"), date_text(health.first_day) if health.first_day else "—"),
             (_("Last day"), date_text(health.last_day) if health.last_day else "—"),
             (_("Customers"), number(t.get("customers", 0))), (_("Visits"), number(t.get("visits", 0))),
             (_("Repeat customers"), number(t.get("repeat_customers", 0)))]
    for column, (label, value) in zip(card_columns(len(cards), "data_health"), cards):
        column.metric(label, value)
    if health.ok:
        st.success(_("No problems found."), icon=":material/check_circle:")
    else:
        st.error(_("Something in the data is wrong; see the problems below."), icon=":material/error:")
    findings = pd.DataFrame([{"what": f.title, "count": f.count, "level": _(LEVELS[f.level])}
                             for f in health.findings])  # what was checked first: it fits a phone's width
    st.dataframe(findings, hide_index=True, column_config={
        "level": _("Level"), "count": st.column_config.NumberColumn(_("Count"), format="localized"), "what": _("What")})
    with st.expander(_("Days covered per club, and gaps")):
        st.dataframe(health.coverage.drop(columns=["club_id"]), hide_index=True, column_config={
            "club_name": _("Club"), "first_day": st.column_config.DateColumn(_("First day"), format="DD.MM.YYYY"),
            "last_day": st.column_config.DateColumn(_("Last day"), format="DD.MM.YYYY"),
            "days_with_visits": _("Days with visits"), "days_without_visits": _("Days without"),
            "visits": st.column_config.NumberColumn(_("Visits"), format="localized")})
        if len(health.gaps):
            st.caption(_("The longest runs of days without any visit:"))
            st.dataframe(health.gaps.drop(columns=["club_id"]), hide_index=True, column_config={
                "club_name": _("Club"), "first_day": st.column_config.DateColumn(_("From"), format="DD.MM.YYYY"),
                "last_day": st.column_config.DateColumn(_("To"), format="DD.MM.YYYY"), "days": _("Days")})
    for kind, title in (("email", _("Customers sharing an e-mail")), ("phone", _("Customers sharing a phone"))):
        frame = health.duplicates[kind]
        if len(frame):
            with st.expander(title):
                st.dataframe(frame.drop(columns=["groups"]), hide_index=True, column_config={
                    "email": _("E-mail"), "phone": _("Phone"), "customers": _("Customers"),
                    "user_ids": _("Customer ids")})
    readiness = cached(service.readiness, ttl=300)(viewer=account, club_ids=club_ids)
    st.markdown(_("**What the models can learn from this data**"))
    if not account.whole_chain:
        st.caption(_("Counted over your clubs' data only; the models learn from every club's data together."))
    st.dataframe(readiness, hide_index=True, column_config={
        "model": _("Model"), "need": _("Needs"), "have": st.column_config.NumberColumn(_("Has"), format="localized"),
        "least": st.column_config.NumberColumn(_("At least"), format="localized"), "ready": _("Enough")})


st.title(_("Data"), anchor=False)
with page_guard("data"):
    f = filters()
    account = current_account()
    import_section(account)
    past_imports(account)
    health_section(f.club_ids, account)
