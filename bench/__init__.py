"""Benchmark scripts that print tables: `python -m bench.load`, `bench.models`, `bench.pages`, `bench.forecast`."""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from core.platform import server
from core.demo.sizes import DemoSize, get_size


def peak_mb() -> float:
    """Peak resident memory of this process, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def size_and_seed(doc: str | None) -> tuple[DemoSize, int]:
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0] if doc else None)
    parser.add_argument("--size", default="M")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    return get_size(args.size), args.seed


@contextmanager
def scratch_home() -> Iterator[Path]:
    """A throwaway OYNA_HOME in /tmp (never under /root); its server is stopped and its files removed."""
    home = Path(tempfile.mkdtemp(prefix="oyna-bench-", dir="/tmp"))
    try:
        yield home
    finally:
        if (home / "pgdata").exists():
            server.stop(home / "pgdata")
        shutil.rmtree(home, ignore_errors=True)
