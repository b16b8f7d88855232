"""Model versions: files in `models/`, rows in `model_versions`, atomic activation."""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import joblib
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.accounts import Account, audit
from core.i18n import _
from core.platform.db import load_sql, query_df

logger = logging.getLogger("oyna.models")

RETRAIN_LOCK = 7_351_002
KEEP_SCORED_VERSIONS = 6  # older versions keep their files, metrics, prediction log and grades, not their scores
ORPHAN_MARGIN_SECONDS = 3600  # a model file without a row is left alone this long (a save may be under way)
VERSION_FILE = re.compile(r"^(v\d{8}-\d{6})\.(joblib|json)$")
TEMP_FILE = re.compile(r"^\.v\d{8}-\d{6}\.(joblib|json)\..+\.tmp$")


class RetrainBusy(RuntimeError):
    """Another retrain holds the lock."""


class UnknownVersion(ValueError):
    pass


def new_version(now: datetime | None = None) -> str:
    now = now or datetime.now(timezone.utc)
    return now.strftime("v%Y%m%d-%H%M%S")


def library_versions() -> dict[str, str]:
    import numpy
    import scipy
    import sklearn

    return {"python": ".".join(map(str, sys.version_info[:3])), "numpy": numpy.__version__,
            "pandas": pd.__version__, "scipy": scipy.__version__, "scikit-learn": sklearn.__version__,
            "joblib": joblib.__version__}


def _atomic_write(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def save_bundle(models_dir: Path, version: str, bundle: dict[str, Any], metadata: dict[str, Any]) -> list[str]:
    """Write `<version>.joblib` and `<version>.json` beside it, each replaced atomically."""
    model_path = Path(models_dir) / f"{version}.joblib"
    meta_path = model_path.with_suffix(".json")
    _atomic_write(model_path, lambda tmp: joblib.dump(bundle, tmp, compress=3))
    _atomic_write(meta_path, lambda tmp: Path(tmp).write_text(json.dumps(metadata, indent=2, default=str)))
    return [model_path.name, meta_path.name]


def database_identity(engine: Engine) -> str:
    """Which database a model file belongs to (several may share one models folder): when its first
    migration ran, which a backup and restore keep."""
    with engine.connect() as conn:
        return str(conn.execute(sa.text(load_sql("models/database_identity"))).scalar())


def remove_orphans(engine: Engine, models_dir: Path, *, margin: float = ORPHAN_MARGIN_SECONDS) -> list[str]:
    """Delete model files that a killed retrain left without a `model_versions` row; call with the retrain
    lock held. Only files older than `margin` seconds go: a pair whose metadata names this database, a
    `.joblib` whose `.json` was never written, a temporary file of an unfinished write. Files of any
    registered version (the active one among them) and of other databases stay. Returns the names removed."""
    folder = Path(models_dir)
    if not folder.is_dir():
        return []
    with engine.connect() as conn:
        rows = conn.execute(sa.text("select version, files from model_versions")).all()
    keep = {version for version, _ in rows} | {Path(f).stem for _, files in rows for f in (files or [])}
    me = database_identity(engine)
    old = time.time() - margin
    removed = []
    for path in sorted(folder.iterdir()):
        try:
            if not path.is_file() or path.stat().st_mtime > old:
                continue
            if TEMP_FILE.match(path.name):
                doomed = True
            elif (found := VERSION_FILE.match(path.name)) and found.group(1) not in keep:
                meta = path.with_suffix(".json")
                if not meta.exists():
                    doomed = path.suffix == ".joblib"
                else:
                    doomed = json.loads(meta.read_text()).get("database") == me
            else:
                doomed = False
            if doomed:
                path.unlink()
                removed.append(path.name)
        except (OSError, ValueError) as exc:  # unreadable metadata or a file gone meanwhile: leave it
            logger.warning("left model file %s in place: %s", path, exc)
    if removed:
        logger.info("removed %d model files of killed retrains: %s", len(removed), ", ".join(removed))
    return removed


def load_bundle(models_dir: Path, version: str) -> dict[str, Any]:
    path = Path(models_dir) / f"{version}.joblib"
    if not path.exists():
        raise UnknownVersion(f"no model file for version {version} in {models_dir}")
    return joblib.load(path)


def list_versions(engine: Engine) -> pd.DataFrame:
    return query_df(engine, "models/versions")


def active_version(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return conn.execute(sa.text("select active_model_version()")).scalar()


def activate(engine: Engine, *, version: str, by: str | None = None, actor: Account | None = None,
             via: str | None = None) -> None:
    """Make `version` the active one, in one transaction; the old one becomes retired. `by`: who did it.
    With an `actor` or `via`, the activation (a rollback when the version is older than the active one)
    goes to the activity log."""
    with engine.begin() as conn:
        status = conn.execute(sa.text("select status from model_versions where version = :v for update"),
                              {"v": version}).scalar()
        if status is None:
            raise UnknownVersion(_("there is no model version {version}").format(version=version))
        if status == "backtest":
            raise UnknownVersion(_("version {version} is a backtest (trained as of a past moment); it cannot be "
                                   "made active").format(version=version))
        scored = conn.execute(sa.text("select exists (select 1 from customer_scores where version = :v)"),
                              {"v": version}).scalar()
        if not scored:
            raise UnknownVersion(_("version {version} has no customer scores left; retrain instead").format(
                version=version))
        previous = conn.execute(sa.text("select active_model_version()")).scalar()
        make_active(conn, version, by=by or (actor.username if actor is not None else None))
        if actor is not None or via is not None:
            audit.record(conn, actor, "model_activate", object_type="model", object_id=version, via=via or "app",
                         details={"previous": previous, "rollback": previous is not None and version < previous})


def make_active(conn: sa.Connection, version: str, *, by: str | None = None) -> None:
    """Within the caller's transaction: retire the active version, then activate `version`."""
    conn.execute(sa.text(load_sql("models/retire_active")))
    conn.execute(sa.text(load_sql("models/set_active")), {"version": version, "by": by})


def prune_scores(conn: sa.Connection) -> None:
    """Drop scores of all but the newest versions (the active one always keeps them), and prediction logs
    grading no longer needs (`prune_prediction_log()`, migration 014)."""
    conn.execute(sa.text(load_sql("models/prune_scores")), {"keep": KEEP_SCORED_VERSIONS})
    conn.execute(sa.text(load_sql("models/prune_log")))


@contextmanager
def retrain_lock(engine: Engine) -> Iterator[None]:
    """Hold a session advisory lock so that only one retrain runs across all processes."""
    with engine.connect() as conn:
        got = conn.execute(sa.text("select pg_try_advisory_lock(:k)"), {"k": RETRAIN_LOCK}).scalar()
        conn.commit()
        if not got:
            raise RetrainBusy(_("another retrain is already running; try again when it has finished"))
        try:
            yield
        finally:
            conn.execute(sa.text("select pg_advisory_unlock(:k)"), {"k": RETRAIN_LOCK})
            conn.commit()


def retrain_running(engine: Engine) -> bool:
    with engine.connect() as conn:
        return bool(conn.execute(sa.text(
            "select exists (select 1 from pg_locks where locktype = 'advisory' and objid = :k and granted "
            "and database = (select oid from pg_database where datname = current_database()))"),
            {"k": RETRAIN_LOCK}).scalar())
