"""Files people download (core.platform.exports): text a spreadsheet would run as a formula is inert, the CSV
opens right in Russian and English Excel, and the XLSX holds typed cells, read back with openpyxl as Excel
reads them."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pandas as pd
import pytest

from core.i18n import use_locale
from core.platform.exports import MAX_WIDTH, inert, neutralise, render

HOSTILE = ['=HYPERLINK("http://x","pay")', "+7 701 555 01 02", "@SUM(1)", "-2+3", "\t=1", "\r=1", "  =1+1",
           "\u00a0@x", "\uff1d1+1"]


def table() -> pd.DataFrame:
    return pd.DataFrame({
        "user_id": [1, 2, 3],
        "full_name": ['=HYPERLINK("http://x","pay")', "Айгерим Ёлкина", "-2+3"],
        "phone": ["+7 701 555 01 02", None, "@SUM(1)"],
        "churn_risk": [1.5, -2.25, float("nan")],
        "clv_12m": [1234567.0, -5.0, 0.0],
        "next_visit_date": [date(2024, 5, 1), None, date(2024, 12, 31)],
        "at": pd.to_datetime(["2024-05-01 10:30:00+05:00", "2024-05-02 11:00:00+05:00", None]),
        "details": [{"rows": 3}, [1, 2], None],
        "share": [Decimal("0.5"), Decimal("2"), None],
    })


@pytest.mark.parametrize("text", HOSTILE)
def test_text_a_spreadsheet_would_run_gets_a_quote(text):
    assert inert(text) == "'" + text


@pytest.mark.parametrize("text", ["Айгерим", "a=b", "", "'=already", "x@mail.kz", "1-2"])
def test_other_text_stays(text):
    assert inert(text) == text


def test_numbers_stay_numbers():
    frame = neutralise(pd.DataFrame({"n": [-5, 3], "x": [-1.5, 2.0], "name": ["-5", None]}))
    assert frame.n.tolist() == [-5, 3] and frame.x.tolist() == [-1.5, 2.0] and str(frame.n.dtype) == "int64"
    assert frame["name"].iloc[0] == "'-5" and pd.isna(frame["name"].iloc[1])  # text that begins with '-' is text


def cells(data: bytes, separator: str) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads the file as UTF-8
    return list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline=""), delimiter=separator))


def unquoted_formulas(rows: list[list[str]]) -> list[str]:
    return [cell for row in rows for cell in row if cell[:1] in ("=", "+", "-", "@", "\t", "\r")
            and not _number(cell)]


def _number(cell: str) -> bool:
    try:
        float(cell.replace(",", "."))
        return True
    except ValueError:
        return False


def test_csv_in_english():
    rows = cells(render(table(), "csv"), ",")
    assert rows[0] == ["user_id", "full_name", "phone", "churn_risk", "clv_12m", "next_visit_date", "at", "details",
                       "share"]
    assert rows[1] == ["1", "'=HYPERLINK(\"http://x\",\"pay\")", "'+7 701 555 01 02", "1.5", "1234567.0",
                       "2024-05-01", "2024-05-01 10:30", '{"rows": 3}', "0.5"]
    assert rows[2][1] == "Айгерим Ёлкина" and rows[2][3] == "-2.25" and rows[2][4] == "-5.0"
    assert rows[3][1:3] == ["'-2+3", "'@SUM(1)"] and rows[3][6] == ""
    assert not unquoted_formulas(rows)


def test_csv_in_russian_has_semicolons_and_decimal_commas():
    with use_locale("ru"):
        data = render(table(), "csv", labels={"full_name": "Имя", "churn_risk": "Риск оттока"})
    assert b";" in data.splitlines()[0] and b"," not in data.splitlines()[0]
    rows = cells(data, ";")
    assert rows[0][:4] == ["user_id", "Имя", "phone", "Риск оттока"]
    assert rows[1][3:7] == ["1,5", "1234567,0", "2024-05-01", "2024-05-01 10:30"]  # 1,5 is a number, not a date
    assert rows[2][1] == "Айгерим Ёлкина" and rows[2][3] == "-2,25"
    assert not any("." in row[3] for row in rows[1:])
    assert not unquoted_formulas(rows)


def test_times_keep_their_seconds_when_they_have_them():
    frame = pd.DataFrame({"at": [datetime(2024, 5, 1, 10, 30, 15), datetime(2024, 5, 1, 10, 31)]})
    assert cells(render(frame, "csv"), ",")[1:] == [["2024-05-01 10:30:15"], ["2024-05-01 10:31:00"]]


def workbook(data: bytes):
    assert data[:2] == b"PK"  # a zip, as every .xlsx
    return openpyxl.load_workbook(io.BytesIO(data)).active


@pytest.mark.parametrize("language", ["en", "ru"])
def test_xlsx_as_excel_reads_it(language):
    long_name = "Айгерим " + "Ё" * 200
    frame = table()
    frame.loc[1, "full_name"] = long_name
    with use_locale(language):
        sheet = workbook(render(frame, "xlsx", labels={"full_name": "Имя", "clv_12m": "CLV 12 m, ₸"},
                                money=["clv_12m"], sheet="customers"))
    assert sheet.title == "customers" and sheet.freeze_panes == "A2"
    header = [c.value for c in sheet[1]]
    assert header[:5] == ["user_id", "Имя", "phone", "churn_risk", "CLV 12 m, ₸"]
    first, second, third = sheet[2], sheet[3], sheet[4]
    assert (first[1].value, first[1].data_type) == ("'=HYPERLINK(\"http://x\",\"pay\")", "s")
    assert (first[2].value, first[2].data_type) == ("'+7 701 555 01 02", "s")
    assert (third[1].value, third[2].value) == ("'-2+3", "'@SUM(1)")
    assert second[1].value == long_name  # Cyrillic intact
    assert [(c.value, c.data_type) for c in (first[0], first[3], second[3], first[4], second[4])] == [
        (1, "n"), (1.5, "n"), (-2.25, "n"), (1234567, "n"), (-5, "n")]
    assert first[4].number_format == "#,##0" and first[3].number_format == "#,##0.00"
    assert first[5].is_date and first[5].value == datetime(2024, 5, 1) and first[5].number_format == "yyyy-mm-dd"
    assert first[6].is_date and first[6].value == datetime(2024, 5, 1, 10, 30)
    assert second[5].value is None and third[3].value is None  # missing values are empty cells
    assert (first[8].value, first[8].data_type) == (0.5, "n")
    assert not [c for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    widths = {k: v.width for k, v in sheet.column_dimensions.items()}
    assert widths["B"] <= MAX_WIDTH + 1 and widths["C"] >= len("+7 701 555 01 02") and widths["A"] < 12


def test_only_csv_and_xlsx():
    with pytest.raises(ValueError, match="csv, xlsx"):
        render(table(), "xls")
