"""`oyna serve` on an empty database: the demo load and the first retrain run in child processes, so the
long-lived serve process never holds their memory (issue 11: it kept 1.17 GB after loading tier M)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import sqlalchemy as sa

from core.platform.db import make_engine
from core.platform.settings import PROJECT_ROOT

# The serve process's own peak: its imports (alert delivery reaches scikit-learn through the overview) take
# about 225 MB; loading tier S and training in the process took it to about 360 MB.
PEAK_LIMIT_MB = 300


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read() == b"ok"
    except OSError:
        return False


def _memory(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (the peak) of a process, in MB."""
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return {k: int(v.split()[0]) // 1024 for k, v in (line.split(":", 1) for line in lines) if k in ("VmRSS", "VmHWM")}


def test_serve_loads_and_trains_in_child_processes(make_database, tmp_path):
    with make_database("oyna_serve") as url:
        port = _free_port()
        env = dict(os.environ, DATABASE_URL=url, OYNA_HOME=str(tmp_path / "home"),
                   OYNA_MODELS_DIR=str(tmp_path / "models"), PYTHONUNBUFFERED="1")
        env.pop("OYNA_METRICS_DIR", None)
        log = tempfile.NamedTemporaryFile(prefix="oyna-serve-", suffix=".log", delete=False)
        proc = subprocess.Popen([sys.executable, "-m", "core.cli", "serve", "--size", "S", "--port", str(port),
                                 "--no-live"], cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        engine = make_engine(url)
        try:
            deadline = time.monotonic() + 240
            while True:  # up, and the first models trained (the heavier of the two jobs)
                text = Path(log.name).read_text()
                if "models ready" in text and _healthy(f"http://127.0.0.1:{port}/_stcore/health"):
                    break
                assert proc.poll() is None and time.monotonic() < deadline, text[-3000:]
                time.sleep(1)
            with engine.connect() as conn:
                assert conn.execute(sa.text("select count(*) from bookings")).scalar() > 1000
                assert conn.execute(sa.text("select active_model_version()")).scalar()
            memory = _memory(proc.pid)
            print(f"oyna serve after loading tier S and the first retrain: {memory} MB")
            assert memory["VmHWM"] < PEAK_LIMIT_MB, (memory, text[-2000:])
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
            engine.dispose()
            log.close()
            os.unlink(log.name)
