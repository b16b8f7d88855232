"""`live_age()`: "Updated 5 minutes ago" that keeps counting in the browser between reruns.

The words come from `core.i18n.format.ago` (Babel, the session's language), worked out once per language
at every age where they can change, up to two days; a few lines of JavaScript pick
the one for the current age every second. Nothing reruns on the server.
"""

from __future__ import annotations

import html
import json
from datetime import datetime, timedelta, timezone
from functools import lru_cache

import streamlit as st

from core.i18n import current_locale, use_locale
from core.i18n.format import ago

_SCRIPT = """<script>
(function () {
  var id = %(id)s;
  var timers = window.oynaAgeTimers = window.oynaAgeTimers || {};
  function tick() {
    var el = document.getElementById(id);
    if (!el) return;
    if (!el.dataset.loaded) el.dataset.loaded = String(Date.now());
    var age = parseFloat(el.dataset.age) + (Date.now() - parseFloat(el.dataset.loaded)) / 1000;
    var steps = JSON.parse(el.dataset.steps), words = steps[0][1];
    for (var i = 0; i < steps.length && steps[i][0] <= age; i++) words = steps[i][1];
    var text = el.dataset.template.replace("{ago}", words);
    if (el.textContent !== text) el.textContent = text;
  }
  tick();
  if (!timers[id]) timers[id] = setInterval(tick, 1000);
})();
</script>"""


@lru_cache(maxsize=8)
def ago_steps(language: str) -> tuple[tuple[int, str], ...]:
    """(seconds, words) at each age where `ago()`'s words change, up to two days."""
    start = datetime(2000, 1, 1, tzinfo=timezone.utc)
    # Babel rounds to the nearest unit, so the words can change only at a whole second below a minute, at
    # the half minutes below an hour and at the half hours beyond: look there, and one second after.
    ages = sorted({*range(0, 60), *(a + d for a in range(60, 3600, 30) for d in (0, 1)),
                   *(a + d for a in range(3600, 2 * 86400 + 1, 1800) for d in (0, 1))})
    steps: list[tuple[int, str]] = []
    with use_locale(language):
        for seconds in ages:
            words = ago(start, start + timedelta(seconds=seconds))
            if not steps or steps[-1][1] != words:
                steps.append((seconds, words))
    return tuple(steps)


def live_age(moment: datetime | None, template: str, *, key: str, stale: bool = False) -> None:
    """`template` with "{ago}" replaced by how long ago `moment` was, counting on in the browser; in the
    warning colour when `stale`."""
    now = datetime.now(timezone.utc)
    words = ago(moment, now)
    if moment is None:
        st.caption(template.replace("{ago}", words))
        return
    age = max((now - moment).total_seconds(), 0.0)
    element = f"oyna-age-{key}"
    style = "font-size:0.875rem;line-height:1.6;" + (
        "color:#b45309;font-weight:600;" if stale else "opacity:0.6;")
    st.html(
        f'<div id="{element}" class="oyna-age{" oyna-age-stale" if stale else ""}" style="{style}" '
        f'data-age="{age:.1f}" data-template="{html.escape(template)}" '
        f'data-steps="{html.escape(json.dumps(ago_steps(current_locale()), ensure_ascii=False))}">'
        f'{html.escape(template.replace("{ago}", words))}</div>'
        + _SCRIPT % {"id": json.dumps(element)},
        unsafe_allow_javascript=True)
