"""The served app: Streamlit (app.py) with the session cookie's routes next to it (`pages.ui.cookie`).

    streamlit run pages/ui/asgi.py      # what `oyna serve` and the browser tests do

An HttpOnly cookie can only come from a server response, so the app is served through Streamlit's
public ASGI API (`st.App`) with two extra routes. `streamlit run app.py` still works, but then the
cookie cannot be set and a reload asks to sign in again.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `streamlit run` puts this file's folder on the path, not the project's
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from pages.ui.cookie import routes  # noqa: E402

app = st.App(str(ROOT / "app.py"), routes=routes())
