"""One settings object, read from the environment and `.streamlit/secrets.toml`."""

from __future__ import annotations

import os
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from core.platform.thresholds import CHURN_WINDOW_DAYS

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ROOT_FALLBACK_HOME = Path("/var/lib/oyna")


@dataclass(frozen=True)
class Settings:
    database_url: str | None
    home: Path
    models_dir: Path
    churn_horizon_days: int = CHURN_WINDOW_DAYS

    @property
    def pgdata(self) -> Path:
        return self.home / "pgdata"

    @property
    def embedded(self) -> bool:
        return self.database_url is None


def _secrets_url(root: Path) -> str | None:
    path = root / ".streamlit" / "secrets.toml"
    if not path.exists():
        return None
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise SystemExit(f"{path} is not valid TOML: {exc}") from exc
    url = data.get("DATABASE_URL")
    return str(url) if url else None


def _under_root_home(path: Path) -> bool:
    try:
        path.resolve().relative_to("/root")
        return True
    except ValueError:
        return False


def resolve_home(requested: Path) -> Path:
    """The embedded server's folder; as root it must not live under /root."""
    if hasattr(os, "geteuid") and os.geteuid() == 0 and _under_root_home(requested):
        print(
            f"oyna: running as root, so the database folder moves from {requested} to "
            f"{ROOT_FALLBACK_HOME} (the embedded server makes its parents world-readable).",
            file=sys.stderr,
        )
        return ROOT_FALLBACK_HOME
    return requested


def load_settings(env: dict[str, str] | None = None, root: Path = PROJECT_ROOT) -> Settings:
    env = dict(os.environ if env is None else env)
    url = env.get("DATABASE_URL") or _secrets_url(root)
    home = resolve_home(Path(env.get("OYNA_HOME") or root / ".oyna"))
    models_dir = Path(env.get("OYNA_MODELS_DIR") or root / "models")
    horizon = int(env.get("OYNA_CHURN_DAYS", CHURN_WINDOW_DAYS))
    return Settings(database_url=url, home=home, models_dir=models_dir, churn_horizon_days=horizon)
