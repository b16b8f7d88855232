"""Ordered, idempotent migrations from `sql/migrations`, recorded in `schema_migrations`.

After the migrations, `product_thresholds` is made equal to `core.platform.thresholds.THRESHOLDS`,
so SQL's `product_threshold(name)` and the Python constants agree, and the app's and the read-only roles
get their grants on every table there is (migration 017; docs/deploy.md).
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
                _grant_roles(conn)
        finally:
            if conn.in_transaction():
                conn.rollback()
            conn.execute(sa.text("select pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
            conn.commit()
    return done


def grant_roles(engine: Engine) -> None:
    """`_grant_roles` in its own transaction (after a restore, whose dump carries no privileges)."""
    with engine.begin() as conn:
        _grant_roles(conn)


def _grant_roles(conn: sa.Connection) -> None:
    """Grant the app's and the read-only role what they may use of every table there is now (migration
    017's `oyna_grant_roles()`, which skips a role that does not exist)."""
    if conn.execute(sa.text("select to_regprocedure('oyna_grant_roles()')")).scalar() is not None:
        conn.execute(sa.text("select oyna_grant_roles()"))


def _write_thresholds(conn: sa.Connection) -> None:
    """Make `product_thresholds` hold exactly THRESHOLDS (rows change only when a value does)."""
    names = list(THRESHOLDS)
    conn.execute(sa.text(_THRESHOLDS_UPSERT), {"names": names, "values": [str(THRESHOLDS[n]) for n in names]})
    conn.execute(sa.text(_THRESHOLDS_PRUNE), {"names": names})
