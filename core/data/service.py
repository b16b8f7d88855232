"""What the Data page shows and does: a file's preview, imports (managers only: the `import_data`
permission is checked here, not only by hiding the upload), the past imports, the data's health, and
what "now" is for the data."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta

import pandas as pd
from sqlalchemy.engine import Engine

from core.accounts import Account, audit, require, scope
from core.data import formats, health, imports, requirements, sniff
from core.data.imports import Options, Preview, Report
from core.i18n import _
from core.platform.db import job_engine, query_df
from core.platform.settings import load_settings
from core.platform.thresholds import LIVE_GAP_DAYS

FORMATS = list(formats.FORMATS)
PAST_IMPORTS = 50


def format_columns(name: str) -> tuple[list[str], list[str]]:
    """(required columns, optional columns) of a format."""
    fmt = formats.get_format(name)
    return list(fmt.required), fmt.optional


def needs_club(name: str) -> bool:
    return formats.get_format(name).needs_club


def head(source: sniff.Source) -> sniff.Head:
    """The head of an uploaded file (its layout and first rows), read once (FileProblem when it is not a table)."""
    return sniff.head(source)


def preview(source: sniff.Source | sniff.Head, *, format: str | None = None, club: str | None = None,
            mapping: Mapping[str, str | None] | None = None) -> Preview:
    """The file's head as the importer reads it, with nothing written (FileProblem when it is not a table)."""
    return imports.preview(source, Options(format=format, club=club, mapping=mapping))


def import_file(engine: Engine, *, account: Account | None, raw: sniff.Source, file_name: str, options: Options,
                progress: Callable[[float, str], None] | None = None) -> Report:
    """Check and import one file in one transaction (managers only; PermissionDenied otherwise)."""
    require(account, "import_data")
    long = job_engine(engine, load_settings())  # an import may take minutes: the job timeouts, not a page's
    report = imports.import_file(long, raw, file_name, options, imported_by=account.username,
                                 progress=progress or (lambda fraction, message: None))
    audit_import(engine, account, report)
    return report


def audit_import(engine: Engine, account: Account | None, report: Report, *, via: str = "app",
                 username: str | None = None) -> None:
    """One line in the activity log for an import that was tried (not a dry run); `data_imports` keeps
    the full report."""
    if report.dry_run:
        return
    audit.record(engine, account, "import", object_type="import", object_id=report.log_id, via=via,
                 username=username, details={"file": report.file_name, "format": report.format,
                                             "result": report.result, "rows_read": report.rows_read,
                                             "rows_added": report.rows_added, "rows_updated": report.rows_updated,
                                             "rows_skipped": report.rows_skipped})


def past_imports(engine: Engine, *, viewer: Account | None, limit: int = PAST_IMPORTS) -> pd.DataFrame:
    """The latest imports the signed-in viewer may see, newest first: who, when, which file, how many rows,
    the result. An account of some clubs sees only the files imported for one of its clubs."""
    who = scope.viewer(viewer)
    return query_df(engine, "data/imports", whole_chain=who.whole_chain, club_ids=list(who.club_ids or ()),
                    limit=int(limit))


def data_health(engine: Engine, *, club_ids: Sequence[int], viewer: Account | None) -> health.Health:
    """The data's health at the clubs of `club_ids` the signed-in viewer may see."""
    return health.check(engine, club_ids=scope.clubs(scope.viewer(viewer), club_ids), viewer=viewer)


def data_moment(engine: Engine) -> dict:
    """What "now" is for the data: `as_of` (data_as_of()), whether the history ends in the past
    (`ended`), and the last booking's start."""
    row = query_df(engine, "data/data_moment").iloc[0]
    as_of = pd.Timestamp(row.as_of).to_pydatetime()
    return {"as_of": as_of, "ended": bool(row.ended), "last_start": row.last_start,
            "live_gap": timedelta(days=LIVE_GAP_DAYS)}


def readiness(engine: Engine, *, viewer: Account | None, club_ids: Sequence[int]) -> pd.DataFrame:
    """Each model's needs against what the data has now (model, need, have, least, ready): the whole chain's
    data for an account of the whole chain (what a retrain decides on), the data of its clubs of `club_ids`
    for an account of some clubs."""
    who = scope.viewer(viewer)
    moment = data_moment(engine)["as_of"]
    found = requirements.assess(engine, data_end=moment,
                                club_ids=None if who.whole_chain else scope.clubs(who, club_ids))
    rows = [{"model": _(requirements.MODEL_NAMES[m]), "need": _(n.what), "have": n.have, "least": n.need,
             "ready": n.met} for m in requirements.MODELS for n in found.needs(m)]
    return pd.DataFrame(rows, columns=["model", "need", "have", "least", "ready"])
