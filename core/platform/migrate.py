"""Ordered, idempotent migrations from `sql/migrations`, recorded in `schema_migrations`."""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.platform.db import script, sql_files

LOCK_KEY = 7_351_001  # advisory lock: one migrator at a time

_BOOKKEEPING = """
create table if not exists schema_migrations (
    version    text primary key,
    checksum   text not null,
    applied_at timestamptz not null default now()
)
"""


def pending(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        applied = _applied(conn)
    return [p.stem for p in sql_files("migrations") if p.stem not in applied]


def _applied(conn: sa.Connection) -> dict[str, str]:
    exists = conn.execute(sa.text("select to_regclass('schema_migrations')")).scalar()
    if not exists:
        return {}
    return dict(conn.execute(sa.text("select version, checksum from schema_migrations")).all())


def migrate(engine: Engine) -> list[str]:
    """Apply every pending migration, each in its own transaction; returns what was applied."""
    done: list[str] = []
    with engine.connect() as conn:
        conn.execute(sa.text("select pg_advisory_lock(:k)"), {"k": LOCK_KEY})
        try:
            conn.execute(sa.text(_BOOKKEEPING))
            conn.commit()
            applied = _applied(conn)
            conn.commit()
            for path in sql_files("migrations"):
                text = path.read_text(encoding="utf-8")
                checksum = hashlib.sha256(text.encode()).hexdigest()[:16]
                if path.stem in applied:
                    continue
                with conn.begin():
                    script(conn, text)
                    conn.execute(
                        sa.text("insert into schema_migrations(version, checksum) values (:v, :c)"),
                        {"v": path.stem, "c": checksum},
                    )
                done.append(path.stem)
        finally:
            if conn.in_transaction():
                conn.rollback()
            conn.execute(sa.text("select pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
            conn.commit()
    return done
