"""Oyna Insights: the Streamlit entry point. Routing only: sign-in first, then the pages the role may see.

Served by pages/ui/asgi.py (`oyna serve`), which adds the session cookie's routes to Streamlit."""

from pathlib import Path

import streamlit as st

st.set_page_config(page_title="Oyna Insights", page_icon="🎮", layout="wide")

from core.accounts import can  # noqa: E402 - set_page_config comes first
from core.i18n import N_, _  # noqa: E402
from pages.ui import cookie, sidebar  # noqa: E402
from pages.ui.guard import signed_in_account  # noqa: E402
from pages.ui.layout import apply_style  # noqa: E402
from pages.ui.session import new_run, resolve_language  # noqa: E402

ROOT = Path(__file__).resolve().parent

# (file, title, icon, url path, permission); a page is listed only once its file exists and the
# account may use it.
PAGES = [
    ("pages/overview.py", N_("Overview"), ":material/monitoring:", "overview", "view"),
    ("pages/customers.py", N_("Customers"), ":material/groups:", "customers", "view"),
    ("pages/customer.py", N_("Customer"), ":material/person_search:", "customer", "view"),
    ("pages/campaigns.py", N_("Campaigns"), ":material/campaign:", "campaigns", "view"),
    ("pages/forecast.py", N_("Forecast"), ":material/trending_up:", "forecast", "view"),
    ("pages/utilization.py", N_("Utilization"), ":material/event_seat:", "utilization", "view"),
    ("pages/whatif.py", N_("What-if"), ":material/science:", "what-if", "view"),
    ("pages/models.py", N_("Models"), ":material/model_training:", "models", "view"),
    ("pages/data.py", N_("Data"), ":material/database:", "data", "view"),
    ("pages/activity.py", N_("Activity"), ":material/history:", "activity", "view_activity"),
    ("pages/system.py", N_("System"), ":material/monitor_heart:", "system", "view_system"),
    ("pages/account.py", N_("Account"), ":material/manage_accounts:", "account", "view"),
]

new_run()  # the account is found again on every run
sidebar.new_run()  # the sidebar filters and the account box are drawn once per run
account = signed_in_account()  # (while the database is down: a message in the last run's language, and stop)
resolve_language()  # the account's, the tab's or the browser's language, before anything is drawn
apply_style()
existing = [p for p in PAGES if (ROOT / p[0]).is_file()]

if account is None:
    # The sign-in form answers every address, so a deep link (/forecast) lands there after signing in.
    signin = st.Page("pages/signin.py", title=_("Sign in"), icon=":material/login:", default=True)
    aliases = [st.Page("pages/signin.py", title=_("Sign in"), url_path=page[3]) for page in existing[1:]]
    nav = st.navigation([signin, *aliases], position="hidden")
else:
    allowed = [p for p in existing if can(account, p[4])]
    nav = st.navigation([
        st.Page(file, title=_(title), icon=icon, url_path=url, default=(i == 0))
        for i, (file, title, icon, url, _permission) in enumerate(allowed)
    ])

try:
    nav.run()
finally:
    sidebar.account_box()
    cookie.sync()
