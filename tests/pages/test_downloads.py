"""Downloads as a person gets them: every page's CSV and Excel buttons, pressed after the page was drawn (Streamlit
runs a download's callable then, outside the page's run). Customers with hostile names come out inert, in
English and Russian; a session that ended, idled out or expired, a removed, demoted or re-scoped account
downloads nothing and leaves no export in the activity log."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import timedelta

import openpyxl
import pytest
import sqlalchemy as sa
from streamlit.runtime.media_file_manager import MediaFileManager

from core.accounts import (
    PermissionDenied,
    add_account,
    remove_account,
    sessions,
    set_language,
    set_role,
    set_scope,
)
from core.campaigns import Audience, CampaignPlan, create_campaign
from core.customers import service as customers
from core.platform.clubs import all_club_ids
from pages.ui.export import checked
from tests.campaigns.support import purge_campaigns
from tests.conftest import TODAY
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
    assert "'=HYPERLINK(\"http://x\",\"pay\")" in names
    # an analyst sees a name that looks like a contact (an @, only a phone's characters) as "Customer #id"
    assert {"'@SUM(1)", "'-2+3"} <= names if role == "manager" else not {"'@SUM(1)", "'-2+3"} & names
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
    assert hyperlink.data_type == "s" and (role != "manager" or cells["'@SUM(1)"].data_type == "s")
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


@pytest.fixture
def campaign(app_db, trained, accounts):
    campaign_id, _ = create_campaign(app_db, CampaignPlan(
        name="Downloads", offer="A free hour", cost_per_contact=200, window_days=14,
        starts_on=TODAY - timedelta(days=3), audience=Audience("top", 20)),
        account=accounts["manager"], club_ids=all_club_ids(app_db))
    clear_caches()
    yield campaign_id
    purge_campaigns(app_db, [campaign_id])
    clear_caches()


# page -> the start of its downloads' file names (the targeting control is on the Customers page)
PAGES = {"pages/customers.py": ("customers", "targeted-customers"), "pages/forecast.py": ("revenue-forecast-",),
         "pages/activity.py": ("activity-",), "pages/campaigns.py": ("campaign-",)}


@pytest.mark.parametrize("page", list(PAGES))
def test_every_download_checks_the_session_when_pressed(app_client, app_db, trained, campaign, pressed, person,
                                                        page):
    app_client(person, page, fresh=True)
    files = sorted(f for f in pressed if f.startswith(PAGES[page]))
    kinds = {f.rsplit(".", 1)[1] for f in files}
    assert kinds == {"csv", "xlsx"} and len(files) == 2 * len(PAGES[page]), files
    for name in files:
        assert pressed[name]()[:3] in (b"\xef\xbb\xbf", b"PK\x03")
    made = exports_of(app_db, person)
    assert len(made) == len(files)
    with app_db.begin() as conn:  # signed out in another tab
        conn.execute(sa.text("update app_sessions set ended_at = now(), end_reason = 'sign_out' "
                             "where account_id = :a"), {"a": person.id})
    for name in files:
        with pytest.raises(PermissionDenied, match="session has ended"):
            pressed[name]()
    assert exports_of(app_db, person) == made


def lose_access(engine, account, session_id: int, how: str, clubs: list[int]) -> None:
    """End the session, or take from the account what a contacts export of `clubs` needs."""
    with engine.begin() as conn:
        if how == "signed out":
            conn.execute(sa.text("update app_sessions set ended_at = now(), end_reason = 'sign_out' where id = :i"),
                         {"i": session_id})
        elif how == "idle":
            conn.execute(sa.text("update app_sessions set last_seen_at = now() - interval '13 hours' where id = :i"),
                         {"i": session_id})
        elif how == "expired":
            conn.execute(sa.text("update app_sessions set expires_at = now() - interval '1 second' where id = :i"),
                         {"i": session_id})
    if how == "removed":
        remove_account(engine, username=account.username)
    elif how == "demoted":
        set_role(engine, username=account.username, role="analyst")
    elif how == "re-scoped":
        set_scope(engine, username=account.username, club_ids=[c for c in all_club_ids(engine) if c not in clubs])


@pytest.mark.parametrize("how", ["signed out", "idle", "expired", "removed", "demoted", "re-scoped"])
def test_a_download_pressed_after_losing_access_is_refused(app_db, trained, person, how):
    clubs = all_club_ids(app_db)[:1]
    set_scope(app_db, username=person.username, club_ids=clubs)
    me = sessions.resume(app_db, session_id=sessions.start(app_db, person).session_id, address="10.9.8.7")
    press = checked(lambda viewer: customers.customers_export(app_db, viewer=viewer, club_ids=clubs, fmt="xlsx"),
                    db=app_db, account=me, permissions=("view", "see_contacts"), club_ids=clubs, language="en")
    assert press()[:2] == b"PK"  # the normal case: the list, recorded
    assert len(exports_of(app_db, person)) == 1
    lose_access(app_db, person, me.session_id, how, clubs)
    with pytest.raises(PermissionDenied):
        press()
    assert len(exports_of(app_db, person)) == 1


def test_the_address_and_language_of_the_page_go_with_the_file(app_db, trained, person):
    clubs = all_club_ids(app_db)
    me = sessions.resume(app_db, session_id=sessions.start(app_db, person).session_id, address="10.9.8.7")
    press = checked(lambda viewer: customers.customers_export(app_db, viewer=viewer, club_ids=clubs),
                    db=app_db, account=me, permissions=("view",), club_ids=clubs, language="ru")
    assert b";" in press().splitlines()[0]   # drawn in Russian: a Russian CSV, whichever thread presses
    with app_db.connect() as conn:
        row = conn.execute(sa.text("select address, session_id from activity_log where action = 'export' "
                                   "and account_id = :a"), {"a": person.id}).one()
    assert (row.address, row.session_id) == ("10.9.8.7", me.session_id)
