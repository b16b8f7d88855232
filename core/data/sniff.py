"""Reading an export as it comes: the encoding (UTF-8 with or without a BOM, or Windows-1251 from a
Russian Excel), the delimiter (`,` `;` or tab) and the header, into a table of text cells.

Every cell stays text here; `core.data.values` turns columns into times, numbers and durations.
Line numbers count the header as line 1, so the first data row is line 2 (as a spreadsheet shows it).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import pandas as pd
from core.i18n import N_, _

DELIMITERS = (",", ";", "\t")
DELIMITER_NAMES = {",": N_("comma"), ";": N_("semicolon"), "\t": N_("tab")}
SAMPLE_LINES = 50


class FileProblem(ValueError):
    """The file cannot be read as a table at all (the message says why)."""


@dataclass(frozen=True)
class RawTable:
    """A file's cells as text: `frame` has the header's columns (names as written) and one row per
    data line; `lines` is each row's line number in the file."""

    frame: pd.DataFrame
    lines: pd.Series
    encoding: str
    delimiter: str

    @property
    def header(self) -> list[str]:
        return list(self.frame.columns)

    @property
    def delimiter_name(self) -> str:
        return _(DELIMITER_NAMES[self.delimiter]) if self.delimiter in DELIMITER_NAMES else repr(self.delimiter)


def decode(raw: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 (a BOM is dropped), else Windows-1251; FileProblem for binary files."""
    if not raw.strip():
        raise FileProblem(_("the file is empty"))
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return raw.decode("utf-16"), "utf-16"
    if b"\x00" in raw[:4096]:
        raise FileProblem(_("the file looks binary (an Excel workbook?); save it as CSV first"))
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("cp1251"), "cp1251"


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the header and the first lines into the same, largest number of fields."""
    lines = [line for line in text.splitlines()[:SAMPLE_LINES] if line.strip()]
    if not lines:
        raise FileProblem(_("the file has no lines"))
    best, best_score = ",", (-1, -1)
    for delimiter in DELIMITERS:
        rows = list(csv.reader(lines, delimiter=delimiter))
        width = len(rows[0])
        if width < 2:
            continue
        agree = sum(1 for r in rows[1:] if len(r) == width)
        score = (agree, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def read_table(raw: bytes, *, delimiter: str | None = None) -> RawTable:
    """The file's cells as text (every value a str; empty cells are "")."""
    text, encoding = decode(raw)
    delimiter = delimiter or sniff_delimiter(text)
    try:
        frame = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False, na_filter=False,
                            skip_blank_lines=True, engine="c", on_bad_lines="error", quotechar='"')
    except pd.errors.ParserError as exc:
        raise FileProblem(_("the file is not a consistent table: {why}").format(why=exc)) from exc
    except pd.errors.EmptyDataError as exc:
        raise FileProblem(_("the file has no header line")) from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    if len(frame.columns) < 2:
        raise FileProblem(_("the file has a single column; is the delimiter one of comma, semicolon or tab?"))
    if len(set(c.lower() for c in frame.columns)) != len(frame.columns):
        raise FileProblem(_("the header names a column twice (names are case-insensitive)"))
    lines = _line_numbers(text, len(frame))
    return RawTable(frame=frame, lines=lines, encoding=encoding, delimiter=delimiter)


def _line_numbers(text: str, rows: int) -> pd.Series:
    """Each data row's line number: the header is line 1; blank lines are skipped as read_csv does.
    (A quoted cell that spans lines shifts the numbers after it; exports rarely have one.)"""
    numbers = [i for i, line in enumerate(text.splitlines(), start=1) if line.strip()][1:]
    if len(numbers) != rows:  # quoted line breaks: fall back to row order
        numbers = list(range(2, rows + 2))
    return pd.Series(numbers, dtype="int64")
