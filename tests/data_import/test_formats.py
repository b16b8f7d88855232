"""Reading files as they come (encodings, delimiters, headers) and the readers of each format, without
the database."""

import pandas as pd
import pytest

from core.data import formats, ggleap, smartshell
from core.data.imports import Options, preview
from core.data.sniff import FileProblem, read_table
from tests.data_import.conftest import read


def test_windows_1251_with_semicolons_and_russian_headers():
    table = read_table(read("generic_cp1251.csv"))
    assert (table.encoding, table.delimiter_name) == ("cp1251", "semicolon")
    assert table.header[:2] == ["Клиент", "Имя"]
    fmt = formats.detect(table.header)
    assert fmt is formats.GENERIC
    mapping = formats.mapping(fmt, table.header)
    assert mapping["customer_id"] == "Клиент" and mapping["started_at"] == "Начало" and mapping["amount"] == "Сумма"
    assert list(table.lines[:2]) == [2, 3]


@pytest.mark.parametrize("raw, encoding, delimiter", [
    ("customer_id,started_at\nA,2024-01-01\n".encode(), "utf-8", ","),
    ("\ufeffcustomer_id;started_at\nA;2024-01-01\n".encode(), "utf-8-sig", ";"),
    ("customer_id\tstarted_at\tamount\nA\t2024-01-01\t1,5\n".encode(), "utf-8", "\t"),
    ("customer_id;started_at\nЖ;01.01.2024\n".encode("cp1251"), "cp1251", ";"),
])
def test_encodings_and_delimiters(raw, encoding, delimiter):
    table = read_table(raw)
    assert (table.encoding, table.delimiter) == (encoding, delimiter)
    assert table.header == ["customer_id", "started_at"] + (["amount"] if delimiter == "\t" else [])


@pytest.mark.parametrize("raw, words", [
    (b"", "empty"),
    (b"PK\x03\x04\x00\x00binary", "binary"),
    (b"just one column\nvalue\n", "single column"),
    (b"a,A\n1,2\n", "twice"),
])
def test_files_that_are_not_tables(raw, words):
    with pytest.raises(FileProblem, match=words):
        read_table(raw)


def test_formats_are_detected_from_the_header():
    assert formats.detect(read_table(read("ggleap_activity.csv")).header) is formats.GGLEAP
    assert formats.detect(read_table(read("smartshell_clients.csv")).header) is formats.SMARTSHELL
    assert formats.detect(read_table(read("generic_visits.csv")).header) is formats.GENERIC
    assert formats.detect(["when", "who"]) is None


def test_a_mapping_can_be_corrected_and_says_what_is_missing():
    header = ["Guest", "Came", "Paid"]
    with pytest.raises(formats.MappingProblem, match="lacks the generic columns customer_id, started_at"):
        formats.mapping(formats.GENERIC, header)
    fixed = formats.mapping(formats.GENERIC, header, {"customer_id": "guest", "started_at": "CAME"})
    assert fixed["customer_id"] == "Guest" and fixed["started_at"] == "Came" and fixed["amount"] == "Paid"
    assert formats.mapping(formats.GENERIC, header, {"customer_id": "Guest", "started_at": "Came",
                                                     "amount": None})["amount"] is None
    with pytest.raises(formats.MappingProblem, match="no column 'Nope'"):
        formats.mapping(formats.GENERIC, header, {"customer_id": "Nope"})


def test_ggleap_pairs_logins_and_logouts():
    table = read_table(read("ggleap_activity.csv"))
    found = ggleap.read(table, formats.mapping(formats.GGLEAP, table.header), club="Arena")
    v = found.visits.sort_values("start_local")
    assert found.problems.count == 0
    assert list(v.customer_key) == ["gamer1", "gamer2", "gamer3", "gamer1"]
    assert list(v.seat) == ["PC-01", "PC-02", "PC-04", "PC-01"]
    assert list(v.start_local) == [pd.Timestamp("2024-03-01 18:00"), pd.Timestamp("2024-03-01 19:00"),
                                   pd.Timestamp("2024-03-02 09:30"), pd.Timestamp("2024-03-02 23:59")]
    assert v.end_local.iloc[3] == pd.Timestamp("2024-03-03 02:15")  # past midnight
    assert found.counts == {
        "events": 15, "other actions (ignored)": 4, "logins without a logout (left out)": 1,
        "logouts without a login or a duration (left out)": 1, "sessions from a login and a logout": 4,
        "sessions from a logout and its duration": 1, "guest sessions (left out)": 1}


def test_ggleap_needs_a_club():
    table = read_table(read("ggleap_activity.csv"))
    with pytest.raises(ValueError, match="--club"):
        ggleap.read(table, formats.mapping(formats.GGLEAP, table.header), club=None)


def test_smartshell_reads_customers():
    table = read_table(read("smartshell_clients.csv"))
    found = smartshell.read(table, formats.mapping(formats.SMARTSHELL, table.header))
    assert found.problems.count == 0
    c = found.customers
    assert list(c.customer_key) == ["nomad", "steppe_wolf", "newbie"]
    assert c.signed_local.iloc[1] == pd.Timestamp("2024-01-20")


def test_the_preview_finds_bad_rows_without_the_database():
    shown = preview(read("generic_broken.csv"))
    assert shown.format is formats.GENERIC and shown.detected
    assert len(shown.sample) == 10 and shown.message == ""
    lines = {r["line"] for r in shown.problems.first()}
    assert {3, 4, 7, 9, 10, 11} <= lines  # no customer, a bad date, a bad status, a bad amount, a repeated id, no club
    missing = preview(b"Guest,When\nA,2024-01-01\n", Options(format="generic"))
    assert "lacks the generic columns" in missing.message and missing.problems is None
