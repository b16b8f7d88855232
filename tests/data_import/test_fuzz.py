"""The importer against hostile files (Hypothesis, a fixed number of derandomized examples): random bytes,
tables of odd cells in every encoding the importer knows and some it does not, huge cells, thousands of
columns, NUL bytes, CR-only line ends and quotes that never close. Whatever comes, the Data page's sniff and
preview and `import_file` either work or say why; nothing raises, and a refused file changes nothing."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from core.data import service
from core.data.imports import Options, import_file
from core.data.sniff import HEAD_BYTES, FileProblem
from tests.data_import.conftest import counts

COLUMNS = ["booking_id", "customer_id", "customer_name", "email", "phone", "club", "hall", "seat", "started_at",
           "ended_at", "duration_minutes", "amount", "booking_status", "payment_status", "payment_method",
           "Nickname", "Date", "User Name", "Action", "Machine Name", "Клиент", "Начало"]
VALUES = ["", "C1", "G-1", "Fuzz Club", "PC-01", "2024-03-01 18:00", "01.03.2024 21:30", "3/1/2024 6:30:15 PM",
          "2024-03-10T02:30:00", "20240301", "1 500,50", "1,234.50", "1e20", "100000000000", "-5", "90", "25:00",
          "completed", "отменено", "kaspi", "LoggedIn", "LoggedOut", '=HYPERLINK("http://x")', "a@b.c",
          "[x](http://x)@a.b", "Айгерим", "\ud800", "line\nbreak", "tab\there", 'quote"inside', "\x07bell",
          "\u2028", "9999-12-31", "0000-01-01", "NaN", "inf"]
CELLS = st.sampled_from(VALUES) | st.text(max_size=12)
ENCODINGS = ["utf-8", "utf-8-sig", "cp1251", "utf-16", "utf-16-le", "utf-16-be", "mixed"]


@st.composite
def tables(draw) -> bytes:
    """A table of odd cells, written with a drawn delimiter and line end, in a drawn encoding, sometimes
    broken on purpose (a NUL, a quote that never closes, a cut)."""
    header = draw(st.lists(st.sampled_from(COLUMNS) | st.text(min_size=1, max_size=8), min_size=1, max_size=9,
                           unique_by=lambda c: c.strip().lower()))
    rows = draw(st.lists(st.lists(CELLS, max_size=len(header) + 1), max_size=6))
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=draw(st.sampled_from([",", ";", "\t"])),
               lineterminator=draw(st.sampled_from(["\n", "\r\n", "\r"]))).writerows([header, *rows])
    text = buffer.getvalue()
    at = draw(st.integers(0, len(text)))
    text = draw(st.sampled_from([text, text[:at] + "\x00" + text[at:], text[:at] + '"' + text[at:], text[:at]]))
    encoding = draw(st.sampled_from(ENCODINGS))
    if encoding == "mixed":  # UTF-8 with a word of Windows-1251 inside
        raw = text.encode("utf-8", "surrogatepass")
        return raw[:at] + "Жанна".encode("cp1251") + raw[at:]
    return text.encode(encoding, "surrogatepass" if encoding.startswith("utf") else "replace")


def _long_cell() -> bytes:
    return b"customer_id,started_at,club,customer_name\nC1,2024-03-01 18:00,Fuzz Club," + b"x" * 1_000_000 + b"\n"


def _many_columns() -> bytes:
    header = ",".join([f"c{i}" for i in range(3_000)] + ["customer_id", "started_at"])
    return (header + "\n" + ",".join(["1"] * 3_000 + ["C1", "2024-03-01 18:00"]) + "\n").encode()


def _mixed_after_head() -> bytes:
    head = "customer_id;started_at;club;customer_name\n" + "C1;01.03.2024 18:00;Fuzz Club;Айгерим\n" * 6_000
    assert len(head.encode()) > HEAD_BYTES
    return head.encode() + "C2;01.03.2024 19:00;Fuzz Club;Жанна\n".encode("cp1251")


@pytest.fixture(scope="module")
def fuzz_db(private_database):
    return private_database("fuzz")


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example])
@given(raw=st.binary(max_size=2_000) | tables())
@example(raw=_long_cell())
@example(raw=_many_columns())
@example(raw=_mixed_after_head())
@example(raw=b"customer_id,started_at,club\rC1,2024-03-01 18:00,Fuzz Club\rC2,2024-03-01 19:00,Fuzz Club\r")
@example(raw=b'customer_id,started_at,club\nC1,"2024-03-01 18:00,Fuzz Club\n' + b"C2,x,y\n" * 50)
@example(raw=b"customer_id,started_at,club\nC1,2024-03-01 18:00,Fuzz\x00Club\n")
@example(raw="customer_id,started_at,club\nC1,2024-03-01 18:00,Fuzz Club\n".encode("utf-16-le"))
@example(raw="customer_id,started_at\nC\ud800,2024-03-01\n".encode("utf-16", "surrogatepass"))
@example(raw="customer_id,started_at,amount,club\nC1,2024-03-01 18:00,1e20,Fuzz Club\n".encode())
@example(raw=b"PK\x03\x04\x14\x00\x06\x00")
def test_any_file_imports_or_says_why(fuzz_db, raw):
    before = counts(fuzz_db)
    try:
        head = service.head(io.BytesIO(raw))  # as the Data page reads an upload
        shown = service.preview(head, club="Fuzz Club")
        assert shown.message or shown.problems is not None
    except (FileProblem, ValueError) as exc:
        assert str(exc)
    report = import_file(fuzz_db, raw, "fuzz.csv", Options(club="Fuzz Club"), refresh=False)
    assert report.result in ("imported", "rejected", "failed"), report.result
    assert "unexpected error" not in report.message, report.message  # the server's log has the traceback
    if report.result != "imported":
        assert report.message
        assert counts(fuzz_db) == before
