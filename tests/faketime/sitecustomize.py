"""Loaded through PYTHONPATH by `python -m tests.clock` only, in every Python process of a run under libfaketime.

The run keeps the monotonic clock real (FAKETIME_DONT_FAKE_MONOTONIC=1): with it faked, a timed wait on a lock
or an event never returns (the kernel compares a faked deadline with the real clock). With it real,
libfaketime 0.9.10 answers the absolute clock_nanosleep that time.sleep makes with EINVAL, so time.sleep
waits with select here instead.
"""

import os
import select
import time

if os.environ.get("FAKETIME"):
    def _sleep(seconds: float) -> None:
        if seconds < 0:
            raise ValueError("sleep length must be non-negative")
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            select.select([], [], [], left)

    time.sleep = _sleep
