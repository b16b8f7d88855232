"""The app's few CSS tweaks and rows of cards that fold to two a row on a phone."""

from __future__ import annotations

from typing import Any

import streamlit as st

# A critical business alert (the Overview's): content the page means to show, not a failure of the page.
ALERT_ICON = ":material/notifications_active:"

_CSS = """
<style>
/* Less empty space above the page title. */
[data-testid="stMainBlockContainer"] { padding-top: 3.5rem; padding-bottom: 3rem; }
/* Card values a little smaller than Streamlit's, so that five cards hold "₸551.2K" at 1280 px. */
[class*="st-key-cards_"] [data-testid="stMetricValue"] { font-size: 2rem; }
/* The Overview's cards while the database is down: the last figures, dimmed under the banner. */
.st-key-overview_stale [data-testid="stMetric"] { opacity: 0.55; }
/* Plain text (st.text, no Markdown) in a caption's type: containers keyed caption_*. */
[class*="st-key-caption_"] [data-testid="stText"] { font-size: 0.875rem; opacity: 0.6; }
/* The sign-in form's hidden chart, there only to load Plotly early (charts.preload). */
.st-key-plotly_preload { display: none; }
/* Rows of cards (containers keyed cards_*): two or three to a row on a phone instead of one. */
@media (max-width: 640px) {
  [class*="st-key-cards_"] [data-testid="stHorizontalBlock"] { flex-wrap: wrap; gap: 0.5rem; }
  [class*="st-key-cards_"] [data-testid="stColumn"] {
    min-width: calc(50% - 0.5rem) !important; flex: 1 1 calc(50% - 0.5rem) !important; width: auto !important;
  }
  [class*="st-key-cards_"] [data-testid="stMetricValue"] { font-size: 1.6rem; }
  h1 { font-size: 2rem !important; }
  /* Plotly's mode bar covered column headers and legends on a phone; pinch to zoom instead. */
  .stPlotlyChart .modebar-container { display: none !important; }
}
/* Long card values (Russian '566 тыс. ₸') in a smaller type than short ones, so they keep to one line. */
[class*="st-key-card_long_"] [data-testid="stMetricValue"] { font-size: 1.5rem; }
[class*="st-key-card_longer_"] [data-testid="stMetricValue"] { font-size: 1.25rem; }
</style>
"""


def apply_style() -> None:
    """The app's CSS (app.py calls this once per run)."""
    st.html(_CSS)


def delta_style(delta: str | None, *, inverse: bool = False) -> dict[str, str]:
    """st.metric's colour and arrow for a delta text: a change that rounds to zero (no sign) is grey and has
    no arrow; otherwise up is good (green), or bad with `inverse`. Deltas must start with their sign."""
    if delta is None or delta.lstrip().startswith(("+", "-")):
        return {"delta_color": "inverse" if inverse else "normal"}
    return {"delta_color": "off", "delta_arrow": "off"}


def metric_card(value: str, key: str) -> Any:
    """A bordered card for a metric whose value is `value`; long values get a smaller type."""
    size = "short" if len(value) <= 7 else "long" if len(value) <= 10 else "longer"
    return st.container(border=True, height="stretch", key=f"card_{size}_{key}")


def card_columns(count: int, key: str) -> list[Any]:
    """Columns for a row of cards: side by side on a desktop, two to a row on a phone."""
    with st.container(key=f"cards_{key}"):
        return list(st.columns(count))
