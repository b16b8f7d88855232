"""Oyna Insights: the Streamlit entry point. Routing only: sign-in first, then the pages the role may see."""

from pathlib import Path

import streamlit as st

st.set_page_config(page_title="Oyna Insights", page_icon="🎮", layout="wide")

from core.accounts import can  # noqa: E402 - set_page_config comes first
from pages import common  # noqa: E402

ROOT = Path(__file__).resolve().parent

# (file, title, icon, url path); a page is listed only once its file exists.
PAGES = [
    ("pages/overview.py", "Overview", ":material/monitoring:", "overview"),
    ("pages/customers.py", "Customers", ":material/groups:", "customers"),
    ("pages/customer.py", "Customer", ":material/person_search:", "customer"),
    ("pages/forecast.py", "Forecast", ":material/trending_up:", "forecast"),
    ("pages/utilization.py", "Utilization", ":material/event_seat:", "utilization"),
    ("pages/whatif.py", "What-if", ":material/science:", "what-if"),
    ("pages/models.py", "Models", ":material/model_training:", "models"),
]
PERMISSION = "view"  # managers and analysts see every page; actions are checked inside them

# Per-run markers: the sidebar filters and the account box are drawn once per run.
st.session_state["_oyna_filters"] = None
st.session_state["_oyna_account_drawn"] = False

common.apply_style()
existing = [p for p in PAGES if (ROOT / p[0]).is_file()]
account = common.current_account()

if account is None:
    # The sign-in form answers every address, so a deep link (/forecast) lands there after signing in.
    signin = st.Page("pages/signin.py", title="Sign in", icon=":material/login:", default=True)
    aliases = [st.Page("pages/signin.py", title="Sign in", url_path=url) for _, _, _, url in existing[1:]]
    nav = st.navigation([signin, *aliases], position="hidden")
else:
    allowed = [p for p in existing if can(account, PERMISSION)]
    nav = st.navigation([
        st.Page(file, title=title, icon=icon, url_path=url, default=(i == 0))
        for i, (file, title, icon, url) in enumerate(allowed)
    ])

try:
    nav.run()
finally:
    common.account_box()
