"""`oyna demo` and `oyna live`: load a simulated chain of clubs, and keep bookings arriving."""

from __future__ import annotations

import argparse
import signal
import threading
import time
from typing import Any

from sqlalchemy.engine import Engine

from core.cli.support import UsageError, connect


def add_parsers(sub: Any) -> None:
    demo = sub.add_parser("demo", help="load a simulated chain of clubs")
    demo.add_argument("--size", default="M", help="S (tests), M (default demo) or L")
    demo.add_argument("--seed", type=int, default=42)
    demo.add_argument("--live", action="store_true", help="then keep adding bookings as they happen")
    demo.add_argument("--replace", action="store_true", help="delete the data that is there first")
    demo.add_argument("--if-empty", action="store_true", help="load only when the database is empty")
    demo.add_argument("--interval", type=float, default=5.0, help=argparse.SUPPRESS)
    demo.set_defaults(run=run_demo)

    live = sub.add_parser("live", help="keep adding bookings and payments as they happen")
    live.add_argument("--interval", type=float, default=5.0, help="seconds between ticks")
    live.add_argument("--speedup", type=float, default=1.0, help="multiply the usual arrival rate")
    live.add_argument("--campaign-uplift", type=float, default=None, metavar="P",
                      help="the true chance that a customer contacted by a campaign visits once more in its "
                           "window (default 0.15; kept in demo_truth.campaign_uplift)")
    live.set_defaults(run=run_live)


def run_demo(args: argparse.Namespace) -> int:
    from core.demo.load import has_data, load
    from core.demo.simulate import simulate
    from core.demo.sizes import get_size

    try:
        size = get_size(args.size)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    engine = connect(migrated=True)
    with engine.connect() as conn:
        present = has_data(conn)
    if present and args.if_empty:
        print("the database already holds data; keeping it")
    else:
        t0 = time.perf_counter()
        print(f"simulating tier {size.name}: {size.clubs} clubs, {size.days} days, {size.customers:,} customers …",
              flush=True)
        data = simulate(size, args.seed)
        print(f"simulated in {time.perf_counter() - t0:.1f} s; loading …", flush=True)
        load(engine, data, replace=args.replace, progress=lambda m: print(m, flush=True))
        print(f"demo tier {size.name} loaded in {time.perf_counter() - t0:.1f} s", flush=True)
    if args.live:
        return live_feed(engine, args.interval, 1.0)
    return 0


def run_live(args: argparse.Namespace) -> int:
    return live_feed(connect(), args.interval, args.speedup, args.campaign_uplift)


def live_feed(engine: Engine, interval: float, speedup: float, campaign_uplift: float | None = None) -> int:
    """Run the live feed until Ctrl-C or SIGTERM."""
    from core.demo.campaigns import DEFAULT_UPLIFT
    from core.demo.live import LiveFeed

    uplift = DEFAULT_UPLIFT if campaign_uplift is None else campaign_uplift
    if not 0 <= uplift <= 1:
        raise UsageError("--campaign-uplift must be between 0 and 1, e.g. 0.15")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    feed = LiveFeed(engine, interval=interval, speedup=speedup, campaign_uplift=uplift)
    print(f"live feed: a new tick every {interval:g} s (Ctrl-C stops it)", flush=True)
    try:
        feed.run(stop)
    except KeyboardInterrupt:
        pass
    print(f"live feed stopped after {feed.inserted} new bookings", flush=True)
    return 0
