"""Oyna Insights: the Streamlit entry point."""

import streamlit as st

from core.db import DatabaseUnavailable, check, get_engine, query_df

st.set_page_config(page_title="Oyna Insights", page_icon="🎮", layout="wide")


@st.cache_resource
def engine():
    return get_engine()


@st.cache_data(ttl=30)
def table_counts():
    return query_df(engine(), "table_counts")


st.title("Oyna Insights")
try:
    check(engine())
    counts = table_counts()
except DatabaseUnavailable as exc:
    st.error(f"The database is not reachable right now. {exc}")
    st.stop()

cols = st.columns(len(counts))
for col, row in zip(cols, counts.itertuples()):
    col.metric(row.table_name, f"{row.row_count:,}")
