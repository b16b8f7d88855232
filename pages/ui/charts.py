"""Plotly figures the app's way: compact margins, the legend above the plot, the language's separators."""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.i18n.format import separators

# No logo, a trimmed mode bar, and charts that follow their container's width.
PLOTLY_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d", "toggleSpikelines"],
}

PURPLE, LILAC, GREY, INK = "#6C4CF1", "#B9AEF8", "#9AA0A6", "#3C4043"


def style_figure(fig: Any, *, height: int = 360, legend: bool = True) -> Any:
    """Compact margins, a legend above the plot (it fits a phone), no title inside the chart."""
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


def plot(fig: Any, *, key: str | None = None, where: Any = None) -> None:
    """A Plotly chart that takes its container's width."""
    (where or st).plotly_chart(fig, width="stretch", config=PLOTLY_CONFIG, key=key)
