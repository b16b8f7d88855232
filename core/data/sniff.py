"""Reading an export as it comes, without holding it: the encoding (UTF-8 with or without a BOM, UTF-16, or
Windows-1251 from a Russian Excel), the delimiter (`,` `;` or tab) and the header are sniffed from the head
of the file (`head`), and the rows are then read in chunks of text cells (`chunks`).

Every cell stays text here; `core.data.values` turns columns into times, numbers and durations.
Line numbers count the header as line 1, so the first data row is line 2 (as a spreadsheet shows it); a
quoted cell that spans lines is numbered by its first line. A NUL byte anywhere refuses the file, with its
line, and so does a line that is not in the file's encoding (a file that mixes encodings).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from itertools import chain, islice
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Union

import numpy as np
import pandas as pd
from core.i18n import N_, _

DELIMITERS = (",", ";", "\t")
DELIMITER_NAMES = {",": N_("comma"), ";": N_("semicolon"), "\t": N_("tab")}
SAMPLE_LINES = 50
HEAD_BYTES = 256 * 1024         # what the encoding, the delimiter, the header and the preview are read from
BLOCK_BYTES = 1024 * 1024       # the file is decoded this much at a time
CHUNK_CELLS = 2_000_000         # a chunk holds about this many cells (100,000 rows of 20 columns)
MAX_CELL = csv.field_size_limit()  # 131,072 characters: a longer cell refuses the file
_BINARY = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")  # a zip (xlsx) or an old Excel workbook
_NOT_ASCII = re.compile(rb"[\x80-\xff]")

Source = Union[bytes, bytearray, memoryview, str, Path, BinaryIO]


class FileProblem(ValueError):
    """The file cannot be read as a table at all (the message says why)."""


@dataclass(frozen=True)
class Layout:
    """How a file is written, as sniffed from its head."""

    encoding: str
    delimiter: str
    header: list[str]
    size: int  # bytes

    @property
    def delimiter_name(self) -> str:
        return _(DELIMITER_NAMES[self.delimiter]) if self.delimiter in DELIMITER_NAMES else repr(self.delimiter)


@dataclass(frozen=True)
class RawTable:
    """Some of a file's rows as text cells: `frame` has the header's columns (names as written) and one row
    per data line; `lines` is each row's line number in the file."""

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


@dataclass(frozen=True)
class Head:
    """The head of a file: its layout and the rows that fit in it (all of them when `complete`)."""

    layout: Layout
    table: RawTable
    complete: bool


@contextmanager
def opened(source: Source) -> Iterator[BinaryIO]:
    """The source as a binary file at its start: bytes (not copied), a path, or an open binary file (an
    upload), which is left open."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        yield io.BytesIO(source)
    elif isinstance(source, (str, Path)):
        with open(source, "rb") as f:
            yield f
    else:
        source.seek(0)
        yield source


def _size(f: BinaryIO) -> int:
    at = f.tell()
    size = f.seek(0, io.SEEK_END)
    f.seek(at)
    return size


def _encoding(head: bytes, f: BinaryIO, complete: bool) -> str:
    """The file's encoding from its head. A head of plain ASCII says nothing: the first byte beyond ASCII
    further on decides (a byte scan, nothing is parsed)."""
    if not head.strip():
        raise FileProblem(_("the file is empty"))
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return "utf-16"
    if head.startswith(_BINARY):
        raise FileProblem(_("the file looks binary (an Excel workbook?); save it as CSV first"))
    if b"\x00" in head:  # UTF-16 without a BOM has a NUL beside every ASCII character; else the lines say where
        pairs = len(head) // 2
        even, odd = head[0:pairs * 2:2].count(0), head[1:pairs * 2:2].count(0)
        if odd > pairs * 0.3 and even < pairs * 0.05:
            return "utf-16-le"
        if even > pairs * 0.3 and odd < pairs * 0.05:
            return "utf-16-be"
    if head.isascii() and not complete:
        while block := f.read(BLOCK_BYTES):
            found = _NOT_ASCII.search(block)
            if found:
                return "utf-8" if _is_utf8(block[found.start():] + f.read(8), final=False) else "cp1251"
        return "utf-8"
    return "utf-8" if _is_utf8(head, final=complete) else "cp1251"


def _is_utf8(data: bytes, *, final: bool) -> bool:
    try:
        codecs.getincrementaldecoder("utf-8")().decode(data, final=final)
        return True
    except UnicodeDecodeError:
        return False


def _split(text: str) -> list[str]:
    """Lines with their ends (only \\r, \\n and \\r\\n end a line, as in a CSV file)."""
    return io.StringIO(text, newline="").readlines()


def _text_lines(f: BinaryIO, encoding: str, *, limit: int | None = None) -> Iterator[str]:
    """The file's lines, decoded a block at a time (only `limit` bytes of it when given: the head, whose cut
    last line is left out). FileProblem at a NUL byte or at bytes that are not in the encoding."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    rest, number, left = "", 0, limit
    while True:
        block = f.read(BLOCK_BYTES if left is None else min(BLOCK_BYTES, left))
        if left is not None:
            left -= len(block)
        end = not block or left == 0
        try:
            text = rest + decoder.decode(block, final=end and limit is None)
        except UnicodeDecodeError as exc:
            good = rest + block[:exc.start].decode(encoding, errors="ignore")
            raise FileProblem(_("line {line} is not {encoding} text like the lines before it (does the file mix "
                                "encodings?); nothing was imported").format(line=number + _ended(good) + 1,
                                                                            encoding=encoding)) from None
        if "\x00" in text:
            raise FileProblem(_("line {line} has a NUL byte: the file was refused, and nothing was imported").format(
                line=number + _ended(text[:text.index("\x00")]) + 1))
        lines = _split(text)
        rest = ""
        if lines and not end and not lines[-1].endswith("\n"):
            rest = lines.pop()  # a line the next block ends (or a \r whose \n comes next)
        elif lines and end and limit is not None and not lines[-1].endswith(("\n", "\r")):
            lines.pop()  # the head's cut line
        number += len(lines)
        yield from lines
        if end:
            return


def _ended(text: str) -> int:
    """How many lines end in `text`."""
    return sum(1 for line in _split(text) if line.endswith(("\n", "\r")))


class _Records:
    """A file's records (rows of cells), a batch at a time, each with the number of the line it starts on.

    A batch of lines in which every record is one line is split by pandas' C parser; one with a quoted line
    break (or a line pandas refuses) by the csv module, record by record."""

    def __init__(self, lines: Iterable[str], delimiter: str) -> None:
        self.lines = iter(lines)
        self.delimiter = delimiter
        self.read = 0  # lines read so far
        self.finished = False

    def records(self, size: int | None, block: list[str] | None = None) -> tuple[list[list[str]], list[int]]:
        """Up to `size` records that are not blank (all that are left when None), and their first lines; with
        `block`, the records that start in those lines (the last may end in lines after them)."""
        source = chain(block, self.lines) if block is not None else self.lines
        reader = csv.reader(source, delimiter=self.delimiter)
        records: list[list[str]] = []
        starts: list[int] = []
        previous = 0
        try:
            for cells in reader:
                if cells and (len(cells) > 1 or cells[0].strip()):
                    records.append(cells)
                    starts.append(self.read + previous + 1)
                previous = reader.line_num
                if (block is not None and previous >= len(block)) or (size is not None and len(records) >= size):
                    break
            else:
                self.finished = True
        except csv.Error as exc:
            line = self.read + reader.line_num
            if "field larger than field limit" in str(exc):
                raise FileProblem(_("line {line}: a cell is longer than {limit} characters (a quote that never "
                                    "closes?)").format(line=line, limit=f"{MAX_CELL:,}")) from None
            raise FileProblem(_("line {line} cannot be read as CSV: {why}").format(line=line, why=exc)) from None
        self.read += previous
        return records, starts

    def table(self, size: int, header: list[str]) -> tuple[pd.DataFrame | list[list[str]], list[int]]:
        """The records that start in the next `size` lines: a frame of text cells (or rows, from the csv
        module) and their first lines."""
        block = list(islice(self.lines, size))
        if len(block) < size:
            self.finished = True
        try:
            frame = pd.read_csv(io.BytesIO("".join(block).encode("utf-8")), sep=self.delimiter, header=None,
                                names=range(len(header)), dtype=str, keep_default_na=False, na_filter=False,
                                skip_blank_lines=False, engine="c", encoding="utf-8")
        except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError):
            frame = None
        if frame is None or len(frame) != len(block):  # a record spans lines, or a line is refused: one by one
            finished, self.finished = self.finished, False
            found = self.records(None, block)
            self.finished = self.finished or finished
            return found
        frame.columns = header
        starts = np.arange(self.read + 1, self.read + len(block) + 1)
        self.read += len(block)
        blank = [i for i, line in enumerate(block) if not line.strip() and self.delimiter not in line]
        if blank:
            keep = np.ones(len(block), dtype=bool)
            keep[blank] = False
            frame, starts = frame[keep].reset_index(drop=True), starts[keep]
        return frame, starts.tolist()


def sniff_delimiter(lines: list[str]) -> str:
    """The delimiter that splits the header and the first lines into the same, largest number of fields."""
    lines = [line for line in lines[:SAMPLE_LINES] if line.strip()]
    if not lines:
        raise FileProblem(_("the file has no lines"))
    best, best_score = ",", (-1, -1)
    for delimiter in DELIMITERS:
        try:
            rows = list(csv.reader(lines, delimiter=delimiter))
        except csv.Error:
            continue
        width = len(rows[0]) if rows else 0
        if width < 2:
            continue
        agree = sum(1 for r in rows[1:] if len(r) == width)
        score = (agree, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _header(cells: list[str]) -> list[str]:
    header = [c.strip() for c in cells]
    if len(header) < 2:
        raise FileProblem(_("the file has a single column; is the delimiter one of comma, semicolon or tab?"))
    if len(set(c.lower() for c in header)) != len(header):
        raise FileProblem(_("the header names a column twice (names are case-insensitive)"))
    return header


def _table(rows: pd.DataFrame | list[list[str]], lines: list[int], header: list[str], encoding: str,
           delimiter: str) -> RawTable:
    if isinstance(rows, pd.DataFrame):
        frame = rows
    else:
        width = len(header)
        if rows and max(map(len, rows)) > width:
            line, cells = next((n, len(r)) for n, r in zip(lines, rows) if len(r) > width)
            raise FileProblem(_("line {line} has {cells} cells, but the header has {columns}: the file is not a "
                                "consistent table").format(line=line, cells=cells, columns=width))
        if rows and min(map(len, rows)) < width:  # short rows end in empty cells
            rows = [r + [""] * (width - len(r)) for r in rows]
        frame = pd.DataFrame(rows, columns=header, dtype=object) if rows else \
            pd.DataFrame({c: pd.Series(dtype=object) for c in header})
    return RawTable(frame=frame, lines=pd.Series(lines, dtype="int64"), encoding=encoding, delimiter=delimiter)


def head(source: Source, *, delimiter: str | None = None) -> Head:
    """The layout and the first rows, from the head of the file only (FileProblem when it is not a table)."""
    with opened(source) as f:
        size = _size(f)
        first = f.read(HEAD_BYTES)
        complete = len(first) >= size
        encoding = _encoding(first, f, complete)
    lines = list(_text_lines(io.BytesIO(first), encoding, limit=None if complete else len(first)))
    delimiter = delimiter or sniff_delimiter(lines)
    records, starts = _Records(lines, delimiter).records(None)
    if not records:
        raise FileProblem(_("the file has no header line"))
    header = _header(records[0])
    end = None if complete else -1  # the head's last record may be cut inside a quoted cell
    table = _table(records[1:end], starts[1:end], header, encoding, delimiter)
    return Head(layout=Layout(encoding=encoding, delimiter=delimiter, header=header, size=size), table=table,
                complete=complete)


def chunks(source: Source, layout: Layout, *, whole: bool = False,
           progress: Callable[[float], None] | None = None) -> Iterator[RawTable]:
    """The file's rows in tables of about CHUNK_CELLS cells (one table when `whole`), after its header;
    `progress` hears the share of the file read."""
    rows = None if whole else max(100, CHUNK_CELLS // len(layout.header))
    with opened(source) as f:
        records = _Records(_text_lines(f, layout.encoding), layout.delimiter)
        records.records(1)  # the header
        while not records.finished:
            batch, starts = records.records(None) if whole else records.table(rows, layout.header)
            if progress and layout.size:
                progress(min(f.tell() / layout.size, 1.0))
            if len(batch) or whole:
                yield _table(batch, starts, layout.header, layout.encoding, layout.delimiter)


def read_table(source: Source, *, delimiter: str | None = None) -> RawTable:
    """The whole file as one table (every value a str; empty cells are "")."""
    layout = head(source, delimiter=delimiter).layout
    return next(chunks(source, layout, whole=True))
