"""Run the suite with the clock set to other hours of the chain's day, to find tests that depend on the hour.

    python -m tests.clock                              # 23:45, 00:30, 06:00 and 12:00 Almaty time
    python -m tests.clock --at 23:45 --at 03:10 -- tests/pages -x

Each setting runs pytest under libfaketime (Debian's `faketime`) with the clock moved by a fixed offset, so
every process the tests start (the xdist workers, the embedded PostgreSQL, the app's servers, the CLI) sees
the same moved clock, running at normal speed. The settings fall on consecutive days from today, so a run
also sees four different weekdays. The demo data end at the moved "now", as in a normal run. By default the
browser tests are left out (`-m "not browser"`): Chromium's own clock is not what is being tested. Prints one
row per setting and exits 1 when any run failed. docs/testing.md explains what to do with a failure.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

ZONE = ZoneInfo("Asia/Almaty")
DEFAULT_TIMES = ("23:45", "00:30", "06:00", "12:00")
DEFAULT_ARGS = ("-n", "auto", "--dist", "loadfile", "-m", "not browser", "-q", "-p", "no:cacheprovider")


def settings(times: list[str], today: datetime) -> list[datetime]:
    """One moment per local time, on consecutive local days from `today` (so the weekdays differ too)."""
    out = []
    for offset, text in enumerate(times):
        hour, minute = (int(part) for part in text.split(":"))
        day = (today + timedelta(days=offset)).date()
        out.append(datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZONE))
    return out


def run(moment: datetime, pytest_args: list[str]) -> tuple[int, str, float]:
    """pytest under libfaketime, with the clock moved to `moment`; (exit code, summary line, seconds)."""
    shift = round((moment - datetime.now(timezone.utc)).total_seconds())
    started = time.monotonic()
    done = subprocess.run(["faketime", "-f", f"{shift:+d}", sys.executable, "-m", "pytest", *pytest_args],
                          capture_output=True, text=True)
    lines = [line for line in done.stdout.splitlines() if re.search(r"\d+ (passed|failed|error)", line)]
    if done.returncode:
        print(done.stdout[-6000:], file=sys.stderr)
    return done.returncode, (lines[-1].strip("= ") if lines else done.stdout[-300:]), time.monotonic() - started


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
    print(f"{'Almaty time':<22} {'UTC':<17} {'result':<48} seconds")
    for moment in settings(args.at or list(DEFAULT_TIMES), datetime.now(ZONE)):
        code, summary, seconds = run(moment, args.pytest_args or list(DEFAULT_ARGS))
        failed += code != 0
        print(f"{moment:%a %Y-%m-%d %H:%M}   {moment.astimezone(timezone.utc):%Y-%m-%d %H:%M} "
              f"{summary:<48} {seconds:.0f}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
