"""A file read in chunks: it imports exactly as when read whole (customers' latest names, keys numbered across
chunks, new halls' prices over the whole file), its bad rows keep their lines wherever they are, and the
preview reads its head only."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from core.data import sniff
from core.data.imports import Options, import_file, preview
from tests.data_import.conftest import counts

HEADER = "booking_id,customer_id,customer_name,email,club,hall,seat,started_at,ended_at,amount"
CHUNK = 300  # data rows per chunk in these tests


def visits_file(rows: int = 2_400, *, broken_name: bool = False) -> list[str]:
    """Generic rows: 40 visits start together every 3 hours (a third on a named seat), every fifth without a
    booking id; data rows 299 and 300 (the first two chunks' edge) are one customer's two visits that start
    together, with no ids; customers' names change as the file goes on, and amounts grow. With `broken_name`,
    data row 299's name is quoted across two lines (the first two chunks' edge) and has a bell character."""
    lines = [HEADER]
    base = datetime(2024, 1, 1, 10)
    for i in range(rows):
        customer = 1000 if i in (CHUNK - 1, CHUNK) else i % 97
        start = base + timedelta(hours=3 * (i // 40))
        booking = "" if i % 5 == 0 or i in (CHUNK - 1, CHUNK) else f"K-{i}"
        seat = f"PC-{i % 40}" if i % 3 == 0 and i not in (CHUNK - 1, CHUNK) else ""
        hall = "VIP" if i % 2 else "Main hall"
        name = '"Name\n\x07split"' if broken_name and i == CHUNK - 1 else f"Name {customer} v{i // 500}"
        lines.append(f"{booking},C{customer},{name},c{customer}@example.kz,Chunk Club,{hall},"
                     f"{seat},{start:%Y-%m-%d %H:%M},{start + timedelta(hours=2):%Y-%m-%d %H:%M},{600 + i}")
    return lines


def encoded(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def snapshot(engine) -> dict[str, list]:
    queries = {
        "users": "select external_id, full_name, email, signed_up_at from users order by external_id",
        "bookings": """select b.external_id, b.start_time, b.end_time, b.status, b.price, s.label, h.name, p.amount
                       from bookings b join seats s on s.id = b.seat_id join halls h on h.id = s.hall_id
                       left join payments p on p.booking_id = b.id order by b.external_id""",
        "halls": "select name, hall_type, hourly_price from halls order by name",
        "seats": "select h.name, s.label from seats s join halls h on h.id = s.hall_id order by 1, 2",
        "clubs": "select name, opened_on from clubs order by name"}
    with engine.connect() as conn:
        return {name: [tuple(r) for r in conn.execute(sa.text(sql))] for name, sql in queries.items()}


def in_chunks(monkeypatch) -> None:
    monkeypatch.setattr(sniff, "CHUNK_CELLS", CHUNK * len(HEADER.split(",")))


def test_a_file_read_in_chunks_imports_as_if_read_whole(private_database, monkeypatch):
    raw = encoded(visits_file(broken_name=True))
    whole = private_database("whole")
    once = import_file(whole, raw, "visits.csv", Options())
    in_chunks(monkeypatch)
    chunked = private_database("chunked")
    pieces = import_file(chunked, raw, "visits.csv", Options())
    assert once.result == pieces.result == "imported", (once.message, pieces.message)
    fields = ("rows_read", "visits", "rows_added", "customers_added", "clubs_added", "halls_added", "seats_added",
              "seats_placed", "first_visit", "last_visit", "warnings")
    assert {f: getattr(pieces, f) for f in fields} == {f: getattr(once, f) for f in fields}
    assert pieces.rows_added == 2_400 and pieces.cleaned_lines == once.cleaned_lines == [301]
    assert pieces.last_visit == "2024-01-08T13:00:00+00:00"  # the rows after the two-line name are read
    assert snapshot(chunked) == snapshot(whole)
    found = snapshot(chunked)
    assert ("C1000|2024-01-02T01:00:00Z|2",) in {(b[0],) for b in found["bookings"]}  # numbered across the edge
    names = {u[0]: u[1] for u in found["users"]}
    assert names["C5"] == "Name 5 v4"  # the latest name
    assert {h[0]: float(h[2]) for h in found["halls"]} == {"Main hall": 900.0, "VIP": 900.0}  # not the first chunk's 375
    again = import_file(chunked, raw, "visits.csv", Options())
    assert (again.rows_added, again.rows_updated, again.rows_skipped) == (0, 0, 2_400)


def test_bad_rows_keep_their_lines_in_any_chunk(private_database, monkeypatch):
    engine = private_database("chunk_bad")
    lines = visits_file(1_200)
    lines[1_000] = lines[1_000].replace("2024-", "yesterday-", 1)  # line 1,001
    lines[1_100] = "K-7" + lines[1_100][lines[1_100].index(","):]  # line 1,101 repeats line 9's id (another chunk)
    in_chunks(monkeypatch)
    before = counts(engine)
    r = import_file(engine, encoded(lines), "bad.csv", Options())
    assert r.result == "rejected" and r.rows_bad == 2
    assert [(b["line"], b["reason"].split(":")[0]) for b in r.bad_rows] == [
        (1_001, "started_at is not a date and time"), (1_101, "the booking id appears earlier in the file")]
    assert counts(engine) == before


def test_the_preview_reads_the_head_only():
    lines = visits_file(4_000)
    raw = encoded(lines)
    assert len(raw) > sniff.HEAD_BYTES
    shown = preview(raw)
    assert not shown.complete and shown.size == len(raw)
    assert 0 < len(shown.table.frame) < 4_000 and shown.problems.count == 0
    assert list(shown.table.lines[:2]) == [2, 3]
    whole = preview(encoded(lines[:50]))
    assert whole.complete and len(whole.table.frame) == 49


@pytest.mark.parametrize("where", [3, 3_000])
def test_a_nul_byte_refuses_the_file_with_its_line(private_database, where):
    engine = private_database("nul")
    lines = visits_file(3_200)
    lines[where - 1] = lines[where - 1].replace("Name", "Na\x00me")
    before = counts(engine)
    r = import_file(engine, encoded(lines), "nul.csv", Options())
    assert r.result == "rejected" and r.message.startswith(f"line {where} has a NUL byte"), r.message
    assert counts(engine) == before
    with pytest.raises(sniff.FileProblem, match=f"line {where} has a NUL byte"):
        for _ in sniff.chunks(encoded(lines), sniff.head(encoded(lines[:10])).layout):
            pass


def test_the_encoding_is_decided_beyond_a_plain_ascii_head(private_database):
    """A Windows-1251 file whose first 256 KB are plain ASCII is read as Windows-1251; a UTF-8 file with a line of
    Windows-1251 after its head is refused at that line."""
    engine = private_database("encodings")
    ascii_head = visits_file(3_000)
    assert len(encoded(ascii_head)) > sniff.HEAD_BYTES
    late = ascii_head + ["K-late,C1,Жанна Ким,,Chunk Club,Main hall,,2024-02-01 10:00,2024-02-01 11:00,900"]
    r = import_file(engine, ("\n".join(late) + "\n").encode("cp1251"), "late.csv", Options())
    assert (r.result, r.encoding) == ("imported", "cp1251"), r.message
    assert rows_of(engine, "select full_name from users where external_id = 'C1'") == [("Жанна Ким",)]
    utf8_head = [line.replace("Name", "Имя") for line in visits_file(3_000)]
    mixed = encoded(utf8_head) + "K-mixed,C1,Жанна,,Chunk Club,Main hall,,2024-02-02 10:00,2024-02-02 11:00,900\n".encode(
        "cp1251")
    before = counts(engine)
    r = import_file(engine, mixed, "mixed.csv", Options())
    assert r.result == "rejected" and r.message.startswith("line 3002 is not utf-8 text"), r.message
    assert counts(engine) == before


def rows_of(engine, sql: str) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql))]
