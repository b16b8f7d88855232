"""Plotly figures the app's way: compact margins, the legend above the plot, and the language's numbers,
dates and tool tips.

Plotly formats numbers with `layout.separators` and dates with a locale dictionary. Streamlit's Plotly
has only English registered, so `plot()` hands Plotly the current language's dictionary in the chart's
config (`locales`, built from Babel's CLDR data): month and weekday names on date axes, the day-month
order of tick labels, and the mode bar's tool tips.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from babel import Locale
from babel import dates as babel_dates

from core.i18n import N_, SOURCE, _, current_locale, use_locale
from core.i18n.format import money, percent, separators
from pages.ui.text import plotly_text

# No logo, a trimmed mode bar, and charts that follow their container's width. On a phone the mode bar
# is hidden by the CSS in layout.py (it covered headers and legends).
PLOTLY_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d", "toggleSpikelines"],
}

PURPLE, LILAC, GREY, INK = "#6C4CF1", "#B9AEF8", "#9AA0A6", "#3C4043"

# Plotly's own words that can show in the app (tool tips of the mode bar, the zoom hint).
PLOTLY_WORDS = (N_("Zoom"), N_("Pan"), N_("Zoom in"), N_("Zoom out"), N_("Reset axes"), N_("Autoscale"),
                N_("Download plot as a png"), N_("Double-click to zoom back out"), N_("Box Select"),
                N_("Lasso Select"), N_("Show closest data on hover"), N_("Compare data on hover"),
                N_("Reset view"))


# A trace's strings that Plotly shows (names, category labels, hover names, text, custom data for hovers).
TRACE_TEXT = ("name", "x", "y", "text", "hovertext", "customdata", "labels", "parents", "ids")
_MARKUP = ("<", ">", "&")


def style_figure(fig: Any, *, height: int = 360, legend: bool = True) -> Any:
    """Compact margins, a legend above the plot (it fits a phone), no title inside the chart; the data's
    strings shown as typed (`plain_text`)."""
    plain_text(fig)
    fig.update_layout(
        height=height,
        margin={"l": 8, "r": 8, "t": 8, "b": 8},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.01, "xanchor": "left", "x": 0},
        showlegend=legend,
        hovermode="x unified",
        font={"size": 13},
        separators=separators(),
    )
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True)
    return fig


def plain_text(fig: Any) -> Any:
    """Every trace's strings (TRACE_TEXT) and the axes' category lists through `plotly_text`, so a club or
    customer named `<a href=…>` is a label, not a link. Templates (hovertemplate, texttemplate) are the
    page's own and keep their tags. Plotly Express writes the values of `color`, `line_dash`, `facet_*`
    into its hover templates: give it columns of `plotly_text` values when those are names."""
    for trace in fig.data:
        changed = {key: _escaped(trace[key]) for key in TRACE_TEXT
                   if key in trace and _has_markup(trace[key])}
        if changed:
            trace.update(changed)

    def axis(ax: Any) -> None:
        changed = {key: _escaped(ax[key]) for key in ("categoryarray", "tickvals", "ticktext")
                   if _has_markup(ax[key])}
        if changed:
            ax.update(changed)

    fig.for_each_xaxis(axis)
    fig.for_each_yaxis(axis)
    return fig


def _has_markup(values: Any) -> bool:
    if isinstance(values, str):
        return any(c in values for c in _MARKUP)
    if isinstance(values, np.ndarray):
        return values.dtype.kind in "OU" and any(_has_markup(v) for v in values.ravel())
    if isinstance(values, list | tuple):
        return any(_has_markup(v) for v in values)
    return False


def _escaped(values: Any) -> Any:
    if isinstance(values, np.ndarray):
        return np.frompyfunc(_escaped, 1, 1)(values)
    if isinstance(values, list | tuple):
        return [_escaped(v) for v in values]
    return plotly_text(values)


def money_hover(field: str = "y") -> str:
    """A hover template's tenge amount placed as the language places it: '₸%{y:,.0f}' / '%{y:,.0f} ₸'."""
    return money(0).replace("0", "%{" + field + ":,.0f}", 1)


def percent_hover(number: str) -> str:
    """A hover template's percentage with the language's sign placement: '%{z:.0f}%' / '%{z:.0f} %'
    (`number` is a d3 template of the value in percent, e.g. '%{z:.0f}')."""
    return percent(0).replace("0", number, 1)


def money_axis(axis: Any) -> None:
    """Tenge on a value axis (`fig.update_yaxes` or `update_xaxes`): '₸1.2M' or '1.2M ₸', compact."""
    sample = money(0)
    prefix, suffix = sample.split("0", 1)
    axis(tickformat=".3~s", tickprefix=prefix.replace("\u00a0", " "), ticksuffix=suffix.replace("\u00a0", " "))


def plot(fig: Any, *, key: str | None = None, where: Any = None) -> None:
    """A Plotly chart that takes its container's width, in the current language."""
    (where or st).plotly_chart(fig, width="stretch", config=plotly_config(), key=key)


def preload() -> None:
    """An empty, hidden chart: the browser fetches and compiles its Plotly bundle (4.7 MB, about 1.3 s on
    a modest machine) while the sign-in form waits for a name and password, not after "Sign in"."""
    with st.container(key="plotly_preload"):  # hidden by layout.py's CSS
        st.plotly_chart(go.Figure(), config={"staticPlot": True}, key="plotly_preload_chart")


def plotly_config(code: str | None = None) -> dict[str, Any]:
    """PLOTLY_CONFIG with the language's locale for Plotly (English needs none)."""
    code = code or current_locale()
    if code == SOURCE:
        return dict(PLOTLY_CONFIG)
    return {**PLOTLY_CONFIG, "locale": code, "locales": {code: plotly_locale(code)}}


def plotly_locale(code: str) -> dict[str, Any]:
    """A Plotly locale: the dictionary from our catalogue, the formats from Babel's CLDR data."""
    return {"dictionary": {word: _(word) for word in PLOTLY_WORDS}, "format": _plotly_format(code)}


@cache
def _plotly_format(code: str) -> dict[str, Any]:
    locale = Locale.parse(code)

    def names(kind: str, width: str, context: str) -> list[str]:
        found = getattr(babel_dates, f"get_{kind}_names")(width, context=context, locale=locale)
        if kind == "day":  # Babel counts from Monday (0), Plotly from Sunday
            return [str(found[(i + 6) % 7]) for i in range(7)]
        return [str(found[i]) for i in range(1, 13)]

    skeleton = locale.datetime_skeletons
    with use_locale(code):
        sep = separators()
    return {
        "days": names("day", "wide", "stand-alone"),
        "shortDays": names("day", "abbreviated", "stand-alone"),
        "months": names("month", "wide", "stand-alone"),
        "shortMonths": names("month", "abbreviated", "format"),  # as in '5 нояб.'
        "date": strftime(locale.date_formats["short"].pattern),
        "decimal": sep[0],
        "thousands": sep[1],
        "year": "%Y",
        "month": strftime(skeleton["yMMM"].pattern, literals=False),  # 'нояб. 2026', not 'нояб. 2026 г.'
        "dayMonth": strftime(skeleton["MMMd"].pattern, literals=False),
        "dayMonthYear": strftime(skeleton["yMMMd"].pattern, literals=False),
    }


_CLDR = [("yyyy", "%Y"), ("yy", "%y"), ("y", "%Y"), ("MMMM", "%B"), ("LLLL", "%B"), ("MMM", "%b"), ("LLL", "%b"),
         ("MM", "%m"), ("LL", "%m"), ("M", "%-m"), ("L", "%-m"), ("dd", "%d"), ("d", "%-d"), ("EEEE", "%A"),
         ("cccc", "%A"), ("EEE", "%a"), ("ccc", "%a"), ("E", "%a"), ("HH", "%H"), ("mm", "%M")]


def strftime(pattern: str, *, literals: bool = True) -> str:
    """A CLDR date pattern as a d3/strftime one: 'd MMM y 'г'.' -> '%-d %b %Y г.' ('%-d %b %Y' without
    `literals`: the quoted words and their full stop, too long for an axis)."""
    out, i = [], 0
    while i < len(pattern):
        if pattern[i] == "'":  # quoted literal text; '' is a quote
            end = pattern.find("'", i + 1)
            end = len(pattern) if end < 0 else end
            if literals:
                out.append(pattern[i + 1:end] or "'")
            elif pattern.startswith(".", end + 1):
                end += 1
            i = end + 1
            continue
        for cldr, d3 in _CLDR:
            if pattern.startswith(cldr, i):
                out.append(d3)
                i += len(cldr)
                break
        else:
            out.append(pattern[i].replace("%", "%%"))
            i += 1
    return re.sub(r"\s+", " ", "".join(out)).strip()
