"""Data shown as text. Names of customers, clubs, halls and seats, e-mails, campaign offers, scenario, account
and file names come from club systems or from people: placed into Markdown or a Plotly chart as they are,
`![p](https://…)` would load a remote image, `[pay](https://…)` or `<a href=…>` would draw a link.

- `md(value)`: a value to place into Markdown (st.markdown, caption, subheader, info/warning/error/success,
  toast, metric labels and values, widget labels, help, tabs, expanders, radio options). The page's
  translated template stays Markdown; only the values filled in are escaped:
  `_("Club **{name}**").format(name=md(club))`. Sentences that core builds around names are plain text,
  so a page passes them through `md()` whole.
- `plotly_text(value)`: a value for Plotly's text (labels, hovers, legends, axis ticks), which reads a few
  HTML tags; `pages.ui.charts.style_figure` applies it to every trace's data.

Select boxes' and multiselects' options are plain text in Streamlit (1.67): they take names as they are.
`st.text` and `st.dataframe` show plain text too.
"""

from __future__ import annotations

import html
import re
import string
from typing import Any

_ESCAPED = {ord(c): "\\" + c for c in string.punctuation}  # CommonMark: any ASCII punctuation may be escaped
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")  # line breaks would start new Markdown blocks
# GFM's bare links (http://…, www.…, a@b.c) and Streamlit's :emoji: and :material/icon: shortcodes are found
# in the text after the escapes are gone: an invisible word joiner inside each keeps them text.
JOINER = "\u2060"
_WWW = re.compile(r"(?i)(?<=www)(?=\\\.)")


def md(value: Any) -> str:
    """`value` as Markdown that renders it literally, on one line ('' for None)."""
    if value is None:
        return ""
    text = _CONTROL.sub(" ", str(value)).translate(_ESCAPED)
    text = text.replace("\\:", JOINER + "\\:").replace("\\@", "\\@" + JOINER)
    return _WWW.sub(JOINER, text)


def plotly_text(value: Any) -> Any:
    """A string for Plotly's text with its HTML-like tags and entities shown as typed; other values as
    they are."""
    return html.escape(value, quote=False) if isinstance(value, str) else value
