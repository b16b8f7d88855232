"""Run the suite with the clock set to other hours of the chain's day, to find tests that depend on the hour.

    python -m tests.clock                              # 23:45, 00:30, 06:00 and 12:00 Almaty time
    python -m tests.clock --at 23:45 --at 03:10 -- tests/pages -x

Each setting runs pytest under libfaketime (Debian's `faketime`) with the clock moved by a fixed offset, so
every process the tests start (the xdist workers, the embedded PostgreSQL, the app's servers, the CLI) sees
the same moved clock, running at normal speed. The settings fall on the days before today, one further back
each, so a run also sees four different weekdays. The demo data end at the moved "now", as in a normal run. By default the
browser tests are left out (`-m "not browser"`): Chromium's own clock is not what is being tested. Prints one
row per setting and exits 1 when any run failed. docs/testing.md explains what to do with a failure.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

ZONE = ZoneInfo("Asia/Almaty")
SITE = Path(__file__).parent / "faketime"  # its sitecustomize.py keeps time.sleep working under libfaketime
DEFAULT_TIMES = ("23:45", "00:30", "06:00", "12:00")
DEFAULT_ARGS = ("-n", "auto", "--dist", "loadfile", "-m", "not browser", "-q", "-p", "no:cacheprovider")


def settings(times: list[str], today: datetime) -> list[datetime]:
    """One moment per local time, on the local days before `today`, one day further back each (so the
    weekdays differ too). Always in the past: with the clock moved forward, libfaketime 0.9.10 stops
    PostgreSQL's statement and lock timeouts from firing, and a test that waits for one waits for ever."""
    out = []
    for offset, text in enumerate(times):
        hour, minute = (int(part) for part in text.split(":"))
        day = (today - timedelta(days=offset + 1)).date()
        out.append(datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZONE))
    return out


def run(moment: datetime, pytest_args: list[str], log: Path) -> tuple[int, str, float]:
    """pytest under libfaketime, with the clock moved to `moment`, its output in `log`; (exit code, summary
    line, seconds). The monotonic clock stays real (tests/faketime/sitecustomize.py says why)."""
    shift = round((moment - datetime.now(timezone.utc)).total_seconds())
    env = dict(os.environ, FAKETIME_DONT_FAKE_MONOTONIC="1",
               PYTHONPATH=os.pathsep.join(filter(None, [str(SITE), os.environ.get("PYTHONPATH")])))
    started = time.monotonic()
    with log.open("w") as out:
        code = subprocess.run(["faketime", "-f", f"{shift:+d}", sys.executable, "-m", "pytest", *pytest_args],
                              stdout=out, stderr=subprocess.STDOUT, env=env).returncode
    lines = [line for line in log.read_text().splitlines() if re.search(r"\d+ (passed|failed|error)", line)]
    return code, (lines[-1].strip("= ") if lines else f"no summary: see {log}"), time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--at", action="append", metavar="HH:MM", help="an Almaty time (repeat; default: "
                        + ", ".join(DEFAULT_TIMES) + ")")
    parser.add_argument("pytest_args", nargs="*", help="after --: pytest's arguments (default: "
                        + " ".join(DEFAULT_ARGS) + ")")
    args = parser.parse_args(argv)
    if not shutil.which("faketime"):
        print("libfaketime is missing: apt-get install faketime", file=sys.stderr)
        return 2
    failed = 0
    logs = Path(tempfile.mkdtemp(prefix="oyna-clock-"))
    print(f"pytest's output: {logs}/<time>.log")
    print(f"{'Almaty time':<22} {'UTC':<17} {'result':<48} seconds")
    for moment in settings(args.at or list(DEFAULT_TIMES), datetime.now(ZONE)):
        code, summary, seconds = run(moment, args.pytest_args or list(DEFAULT_ARGS),
                                     logs / f"{moment:%Y-%m-%d-%H%M}.log")
        failed += code != 0
        print(f"{moment:%a %Y-%m-%d %H:%M}   {moment.astimezone(timezone.utc):%Y-%m-%d %H:%M} "
              f"{summary:<48} {seconds:.0f}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
