"""Downloads as a person gets them: the CSV and Excel buttons, pressed after the page was drawn (Streamlit runs a
download's callable then, outside the page's run). Customers with hostile names come out inert, in English and
Russian."""

from __future__ import annotations

import csv
import io
import re
import uuid

import openpyxl
import pytest
import sqlalchemy as sa
from streamlit.runtime.media_file_manager import MediaFileManager

from core.accounts import add_account, remove_account, set_language, set_role
from tests.pages.support import PASSWORD, clear_caches

HOSTILE = ['=HYPERLINK("http://x","pay")', "@SUM(1)", "-2+3", "Айгерим Ёлкина-Сарсенова"]
HOSTILE_PHONE = "+7 701 555 01 02"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture(scope="module")
def hostile(app_db, trained):
    """Four scored customers renamed as a club's counter might have typed them (the first with a phone that
    starts with '+'), put back afterwards."""
    with app_db.begin() as conn:
        rows = conn.execute(sa.text(
            "select u.id, u.full_name, u.phone from customer_scores s join users u on u.id = s.user_id "
            "where s.version = active_model_version() order by s.churn_risk desc nulls last, u.id limit 4")).all()
        for row, name in zip(rows, HOSTILE):
            conn.execute(sa.text("update users set full_name = :n, phone = :p where id = :i"),
                         {"n": name, "p": HOSTILE_PHONE if name == HOSTILE[0] else row.phone, "i": row.id})
    clear_caches()
    yield [r.id for r in rows]
    with app_db.begin() as conn:
        for row in rows:
            conn.execute(sa.text("update users set full_name = :n, phone = :p where id = :i"),
                         {"n": row.full_name, "p": row.phone, "i": row.id})
    clear_caches()


@pytest.fixture
def pressed(monkeypatch) -> dict:
    """What each download button of the runs would do when pressed, by file name (Streamlit keeps a callable
    with the media file manager until then)."""
    found = {}
    register = MediaFileManager.add_deferred

    def add(self, data_callable, mimetype, coordinates, file_name=None, **kw):
        found[file_name] = data_callable
        return register(self, data_callable, mimetype, coordinates, file_name=file_name, **kw)

    monkeypatch.setattr(MediaFileManager, "add_deferred", add)
    return found


@pytest.fixture
def person(app_db):
    """A manager of the whole chain of their own, for a test that demotes, re-scopes or removes them."""
    account = add_account(app_db, username=f"dl-{uuid.uuid4().hex[:10]}", role="manager", password=PASSWORD)
    yield account
    remove_account(app_db, username=account.username)


def exports_of(engine, account) -> list:
    with engine.connect() as conn:
        return conn.execute(sa.text("select object_type, details ->> 'format' as format from activity_log "
                                    "where action = 'export' and account_id = :a order by id"),
                            {"a": account.id}).all()


def csv_rows(data: bytes, separator: str) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "no BOM: Excel would read the Cyrillic as another encoding"
    return list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline=""), delimiter=separator))


def formula_cells(rows: list[list[str]]) -> list[str]:
    """Cells a spreadsheet would run: text starting with = + - @ (a negative number is a number)."""
    return [c for row in rows for c in row if c.startswith(FORMULA_START)
            and not re.fullmatch(r"-\d+([.,]\d+)?", c)]


@pytest.mark.parametrize("role,language", [("manager", "en"), ("manager", "ru"), ("analyst", "ru")])
def test_hostile_names_download_inert_as_csv_and_excel(app_client, app_db, hostile, pressed, person, role,
                                                       language):
    if role == "analyst":
        set_role(app_db, username=person.username, role="analyst")
    set_language(app_db, person, language)
    app_client(person, "pages/customers.py", fresh=True)
    russian = language == "ru"

    rows = csv_rows(pressed["customers.csv"](), ";" if russian else ",")
    header = rows[0]
    assert header[:2] == ["user_id", "full_name"] and len(header) > 5  # the table's own names unless asked
    names = {row[1] for row in rows[1:]}
    assert "'=HYPERLINK(\"http://x\",\"pay\")" in names and {"'@SUM(1)", "'-2+3"} <= names
    assert not formula_cells(rows)
    risk = [row[header.index("churn_risk")] for row in rows[1:] if row[header.index("churn_risk")]]
    assert all(re.fullmatch(r"\d+(,\d+)?" if russian else r"\d+(\.\d+)?", r) for r in risk), risk[:5]
    assert any(("," if russian else ".") in r for r in risk)
    if role == "manager":
        assert "Айгерим Ёлкина-Сарсенова" in names
        phones = {row[header.index("phone")] for row in rows[1:]}
        assert "'" + HOSTILE_PHONE in phones and not [p for p in phones if p.startswith("+")]
    else:
        assert "Айгерим Ё." in names and "phone" not in header  # masked first, then neutralised

    sheet = openpyxl.load_workbook(io.BytesIO(pressed["customers.xlsx"]())).active
    assert sheet.freeze_panes == "A2"
    titles = [c.value for c in sheet[1]]
    assert titles[:2] == (["Id клиента", "Имя"] if russian else ["Customer id", "Name"])
    cells = {c.value: c for row in sheet.iter_rows(min_row=2) for c in row if isinstance(c.value, str)}
    hyperlink = cells["'=HYPERLINK(\"http://x\",\"pay\")"]
    assert hyperlink.data_type == "s" and cells["'@SUM(1)"].data_type == "s"
    assert not [c for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    first = sheet[2]
    assert first[0].data_type == "n" and isinstance(first[0].value, int)   # the customer's id, a number
    clv = titles.index("CLV 12 m, ₸" if not russian else "CLV 12 мес., ₸")
    assert first[clv].data_type == "n" and first[clv].number_format == "#,##0"
    when = titles.index("Next visit" if not russian else "Следующий визит")
    assert any(row[when].is_date for row in sheet.iter_rows(min_row=2))
    if role == "manager":
        assert "Айгерим Ёлкина-Сарсенова" in cells
    assert [e.format for e in exports_of(app_db, person)] == ["csv", "xlsx"]


def test_the_russian_csv_header_takes_the_pages_names_when_asked(app_client, app_db, hostile, pressed, person):
    set_language(app_db, person, "ru")
    at = app_client(person, "pages/customers.py", fresh=True, run=False)
    at.session_state["customers_labels"] = True   # ticked (AppTest cannot rerun a Russian page's radios)
    at.run()
    assert at.checkbox(key="customers_labels").value
    assert csv_rows(pressed["customers.csv"](), ";")[0][:2] == ["Id клиента", "Имя"]
