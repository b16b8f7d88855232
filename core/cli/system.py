"""`oyna health`: one line per check; exits 1 when any check fails."""

from __future__ import annotations

import argparse
from typing import Any

from core.platform.settings import load_settings

MARKS = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL", "skip": "skip"}


def add_parsers(sub: Any) -> None:
    health = sub.add_parser("health", help="check the database, views, model, data, alert delivery, disk, audit")
    health.set_defaults(run=run_health)


def run_health(args: argparse.Namespace) -> int:
    from core.system.health import FAIL, health_engine, run_checks, worst

    settings = load_settings()
    engine, why = health_engine(settings)
    try:
        checks = run_checks(engine, settings, why_no_engine=why)
    finally:
        if engine is not None:
            engine.dispose()
    width = max(len(c.name) for c in checks)
    for check in checks:
        print(f"{MARKS.get(check.status, check.status)}  {check.name:<{width}}  {check.summary}")
    return 1 if worst(checks) == FAIL else 0
