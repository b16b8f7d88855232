"""Ordered, idempotent migrations from `sql/migrations`, recorded in `schema_migrations`.

After the migrations, `product_thresholds` is made equal to `core.platform.thresholds.THRESHOLDS`,
so SQL's `product_threshold(name)` and the Python constants agree.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.platform.db import script, sql_files
from core.platform.thresholds import THRESHOLDS

LOCK_KEY = 7_351_001  # advisory lock: one migrator at a time

_BOOKKEEPING = """
create table if not exists schema_migrations (
    version    text primary key,
    checksum   text not null,
    applied_at timestamptz not null default now()
)
"""


_THRESHOLDS_UPSERT = """
insert into product_thresholds as t (name, value)
select name, value from unnest(cast(:names as text[]), cast(:values as numeric[])) as n(name, value)
on conflict (name) do update set value = excluded.value where t.value is distinct from excluded.value
"""
_THRESHOLDS_PRUNE = "delete from product_thresholds where name <> all(cast(:names as text[]))"


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
    """Apply every pending migration, each in its own transaction, then write the thresholds (in one
    more); returns the migrations applied."""
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
            with conn.begin():
                _write_thresholds(conn)
        finally:
            if conn.in_transaction():
                conn.rollback()
            conn.execute(sa.text("select pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
            conn.commit()
    return done


def _write_thresholds(conn: sa.Connection) -> None:
    """Make `product_thresholds` hold exactly THRESHOLDS (rows change only when a value does)."""
    names = list(THRESHOLDS)
    conn.execute(sa.text(_THRESHOLDS_UPSERT), {"names": names, "values": [str(THRESHOLDS[n]) for n in names]})
    conn.execute(sa.text(_THRESHOLDS_PRUNE), {"names": names})
