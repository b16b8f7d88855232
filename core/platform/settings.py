"""One settings object, read from the environment and `.streamlit/secrets.toml`."""

from __future__ import annotations

import os
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from core.platform.thresholds import CHURN_WINDOW_DAYS

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ROOT_FALLBACK_HOME = Path("/var/lib/oyna")
TELEGRAM_API_URL = "https://api.telegram.org"


@dataclass(frozen=True)
class Settings:
    database_url: str | None              # DATABASE_URL: what the app's pages connect as (the app role)
    home: Path
    models_dir: Path
    churn_horizon_days: int = CHURN_WINDOW_DAYS
    session_idle_hours: float = 12.0      # a session ends after this long without a run a person caused
    session_max_days: float = 7.0         # ... and this long after signing in, whatever happens
    trusted_proxies: int = 0              # reverse proxies in front of the app whose X-Forwarded-For is trusted
    activity_retention_days: int = 400    # the activity log keeps this many days (whole months are dropped)
    sign_in_log_days: int = 90            # sign-in attempts are kept this long
    # Alert delivery (core/alerts): the chain's Telegram bot and mail server; the destinations are
    # channels in the database.
    telegram_token: str | None = field(default=None, repr=False)
    telegram_api_url: str = TELEGRAM_API_URL
    smtp_url: str | None = field(default=None, repr=False)  # smtp://user:password@host:587?from=a@b.kz
    # OYNA_WEBHOOK_ALLOWED_HOSTS: host or host:port names a webhook may reach over http or at a private
    # address (core.alerts.outbound); every other webhook is https to a public address.
    webhook_allowed_hosts: frozenset[tuple[str, int | None]] = frozenset()
    # A DATABASE_URL server's other roles (docs/deploy.md): the owner, for migrations and admin commands
    # (without it they use DATABASE_URL too), and the read-only role for BI tools.
    owner_database_url: str | None = field(default=None, repr=False)     # OYNA_OWNER_DATABASE_URL
    readonly_database_url: str | None = field(default=None, repr=False)  # OYNA_READONLY_DATABASE_URL
    metrics_dir: Path | None = None  # OYNA_METRICS_DIR: where every oyna process writes its metrics
    # Serving (`oyna serve`, docs/deploy.md): the address the app listens on, and HTTPS from a certificate
    # and its key (PEM files) when both are given.
    serve_address: str = "127.0.0.1"      # OYNA_ADDRESS; 0.0.0.0 listens on every interface
    tls_cert_file: Path | None = None     # OYNA_TLS_CERT_FILE
    tls_key_file: Path | None = None      # OYNA_TLS_KEY_FILE
    # Timeouts, in seconds (core.platform.db): a page's query, and a job's (retrain, import, demo load,
    # the CLI); each waits at most its lock timeout for a lock.
    statement_timeout: float = 15.0       # OYNA_STATEMENT_TIMEOUT
    lock_timeout: float = 5.0             # OYNA_LOCK_TIMEOUT
    job_statement_timeout: float = 3600.0  # OYNA_JOB_STATEMENT_TIMEOUT
    job_lock_timeout: float = 60.0        # OYNA_JOB_LOCK_TIMEOUT
    live_seconds: int = 30                # OYNA_LIVE_SECONDS: the Overview's live figures refresh this often

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
    metrics_dir = env.get("OYNA_METRICS_DIR")
    return Settings(
        database_url=url, home=home, models_dir=models_dir, churn_horizon_days=horizon,
        telegram_token=env.get("OYNA_TELEGRAM_TOKEN") or None,
        telegram_api_url=(env.get("OYNA_TELEGRAM_API_URL") or TELEGRAM_API_URL).rstrip("/"),
        smtp_url=env.get("OYNA_SMTP_URL") or None,
        webhook_allowed_hosts=allowed_hosts(env.get("OYNA_WEBHOOK_ALLOWED_HOSTS") or ""),
        metrics_dir=Path(metrics_dir) if metrics_dir else None,
        owner_database_url=env.get("OYNA_OWNER_DATABASE_URL") or None,
        readonly_database_url=env.get("OYNA_READONLY_DATABASE_URL") or None,
        session_idle_hours=_number(env, "OYNA_SESSION_IDLE_HOURS", 12.0, low=0.01),
        session_max_days=_number(env, "OYNA_SESSION_MAX_DAYS", 7.0, low=0.01),
        trusted_proxies=int(_number(env, "OYNA_TRUSTED_PROXIES", 0, low=0, whole=True)),
        activity_retention_days=int(_number(env, "OYNA_ACTIVITY_RETENTION_DAYS", 400, low=31, whole=True)),
        sign_in_log_days=int(_number(env, "OYNA_SIGN_IN_LOG_DAYS", 90, low=1, whole=True)),
        serve_address=(env.get("OYNA_ADDRESS") or "127.0.0.1").strip(),
        statement_timeout=_number(env, "OYNA_STATEMENT_TIMEOUT", 15.0, low=0.1),
        lock_timeout=_number(env, "OYNA_LOCK_TIMEOUT", 5.0, low=0.1),
        job_statement_timeout=_number(env, "OYNA_JOB_STATEMENT_TIMEOUT", 3600.0, low=1),
        job_lock_timeout=_number(env, "OYNA_JOB_LOCK_TIMEOUT", 60.0, low=0.1),
        live_seconds=int(_number(env, "OYNA_LIVE_SECONDS", 30, low=5, whole=True)),
        **_tls_files(env),
    )


def allowed_hosts(text: str) -> frozenset[tuple[str, int | None]]:
    """OYNA_WEBHOOK_ALLOWED_HOSTS, such as `hooks.internal, 10.0.0.5:8080, [fd00::5]:8443`: (host, port), the
    port None when any port may be used; a clear message (and exit) for an item that is not host[:port]."""
    out = set()
    for item in (i.strip().lower() for i in text.split(",")):
        if not item:
            continue
        if item.count(":") > 1 and not item.startswith("["):  # a bare IPv6 address
            item = f"[{item}]"
        try:
            parts = urlsplit(f"//{item}")
            host, port = parts.hostname, parts.port
        except ValueError:
            host = None
        if not host or parts.path or parts.query or parts.fragment or "@" in parts.netloc:
            raise SystemExit(f"OYNA_WEBHOOK_ALLOWED_HOSTS: {item!r} is not a host name or host:port")
        out.add((host.rstrip("."), port))
    return frozenset(out)


def _tls_files(env: dict[str, str]) -> dict[str, Path | None]:
    """The HTTPS certificate and key: both or neither."""
    cert, key = env.get("OYNA_TLS_CERT_FILE") or None, env.get("OYNA_TLS_KEY_FILE") or None
    if bool(cert) != bool(key):
        raise SystemExit("HTTPS needs both OYNA_TLS_CERT_FILE (the certificate) and OYNA_TLS_KEY_FILE (its key)")
    return {"tls_cert_file": Path(cert) if cert else None, "tls_key_file": Path(key) if key else None}


def _number(env: dict[str, str], name: str, default: float, *, low: float, whole: bool = False) -> float:
    """A numeric setting; a clear message (and exit) for a value that is not a number or too small."""
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw) if whole else float(raw)
    except ValueError:
        raise SystemExit(f"{name} must be a {'whole ' if whole else ''}number, got {raw!r}") from None
    if value < low:
        raise SystemExit(f"{name} must be at least {low:g}, got {raw!r}")
    return value
