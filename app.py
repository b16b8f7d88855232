"""Oyna Insights: the Streamlit entry point. Routing only: sign-in first, then the pages the role may see."""

from pathlib import Path

import streamlit as st

st.set_page_config(page_title="Oyna Insights", page_icon="🎮", layout="wide")

from core.accounts import can  # noqa: E402 - set_page_config comes first
from core.i18n import N_, _  # noqa: E402
from pages.ui import sidebar  # noqa: E402
from pages.ui.layout import apply_style  # noqa: E402
from pages.ui.session import current_account, resolve_language  # noqa: E402

ROOT = Path(__file__).resolve().parent

# (file, title, icon, url path); a page is listed only once its file exists.
PAGES = [
    ("pages/overview.py", N_("Overview"), ":material/monitoring:", "overview"),
    ("pages/customers.py", N_("Customers"), ":material/groups:", "customers"),
    ("pages/customer.py", N_("Customer"), ":material/person_search:", "customer"),
    ("pages/forecast.py", N_("Forecast"), ":material/trending_up:", "forecast"),
    ("pages/utilization.py", N_("Utilization"), ":material/event_seat:", "utilization"),
    ("pages/whatif.py", N_("What-if"), ":material/science:", "what-if"),
    ("pages/models.py", N_("Models"), ":material/model_training:", "models"),
]
PERMISSION = "view"  # managers and analysts see every page; actions are checked inside them

sidebar.new_run()  # the sidebar filters and the account box are drawn once per run
resolve_language()  # the account's, the session's or the browser's language, before anything is drawn
apply_style()
existing = [p for p in PAGES if (ROOT / p[0]).is_file()]
account = current_account()

if account is None:
    # The sign-in form answers every address, so a deep link (/forecast) lands there after signing in.
    signin = st.Page("pages/signin.py", title=_("Sign in"), icon=":material/login:", default=True)
    aliases = [st.Page("pages/signin.py", title=_("Sign in"), url_path=page[3]) for page in existing[1:]]
    nav = st.navigation([signin, *aliases], position="hidden")
else:
    allowed = [p for p in existing if can(account, PERMISSION)]
    nav = st.navigation([
        st.Page(file, title=_(title), icon=icon, url_path=url, default=(i == 0))
        for i, (file, title, icon, url) in enumerate(allowed)
    ])

try:
    nav.run()
finally:
    sidebar.account_box()
