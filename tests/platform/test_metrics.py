"""The instrumentation: named queries, view refreshes and retrains are measured where they happen, and
with a metrics folder every process's numbers reach one exporter."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from core.platform import metrics
from core.platform.db import query_df
from core.rollups.refresh import refresh
from core.platform.settings import PROJECT_ROOT


def sample(name: str, **labels) -> float:
    return metrics.registry().get_sample_value(name, labels) or 0.0


def test_named_queries_are_timed_by_name(engine, demo):
    before = sample("oyna_query_seconds_count", query="platform/club_ids")
    query_df(engine, "platform/club_ids")
    query_df(engine, "platform/club_ids")
    assert sample("oyna_query_seconds_count", query="platform/club_ids") == before + 2
    assert sample("oyna_query_seconds_sum", query="platform/club_ids") > 0


def test_rollup_refreshes_are_timed(engine, demo):
    before = sample("oyna_view_refresh_seconds_count", view="rollups")
    refresh(engine)
    assert sample("oyna_view_refresh_seconds_count", view="rollups") == before + 1


def test_retrains_are_counted_by_result(trained):
    result, _ = trained
    assert sample("oyna_retrains_total", result="activated" if result.activated else "kept") >= 1
    assert sample("oyna_retrain_seconds_count") >= 1


def test_a_metrics_folder_collects_every_process(tmp_path):
    """Two processes write to one folder; the multiprocess collector adds them up."""
    script = textwrap.dedent(f"""
        from core.platform import metrics
        metrics.use_folder({str(tmp_path)!r})
        metrics.count(metrics.ALERTS_SENT, "telegram")
        metrics.observe(metrics.PAGE, 0.2, "overview")
    """)
    for _ in range(2):
        subprocess.run([sys.executable, "-c", script], cwd=PROJECT_ROOT, check=True, timeout=60)
    from prometheus_client import CollectorRegistry
    from prometheus_client.multiprocess import MultiProcessCollector

    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(tmp_path))
    assert registry.get_sample_value("oyna_alerts_sent_total", {"channel": "telegram"}) == 2
    assert registry.get_sample_value("oyna_page_render_seconds_count", {"page": "overview"}) == 2
