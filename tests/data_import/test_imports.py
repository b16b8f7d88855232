"""Importing the hand-written files into a private database: each format, whole files or nothing,
re-imports that add nothing, and "now" that follows a history ending in the past."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from core.accounts import Account, PermissionDenied, Role
from core.data import service
from core.data.imports import Options, import_file
from tests.conftest import viewer_of
from tests.data_import.conftest import FILES, counts, read

def account(role: str) -> Account:
    now = datetime.now(timezone.utc)
    return Account(id=0, username=f"test-{role}", role=Role(role), created_at=now, password_changed_at=now)


def rows(engine, sql: str, **params) -> list:
    with engine.connect() as conn:
        return list(conn.execute(sa.text(sql), params))


def test_the_generic_file(import_db, loaded):
    r = loaded["generic_visits.csv"]
    assert (r.format, r.encoding, r.delimiter, r.source) == ("generic", "utf-8", "comma", "generic")
    assert (r.rows_read, r.rows_added, r.rows_bad, r.customers_added, r.clubs_added) == (12, 12, 0, 6, 1)
    assert r.warnings == {"visits with neither an end nor a duration, taken as 1 hour": 1,
                          "e-mails another customer already has, left out": 1}
    visits = {b.external_id: b for b in rows(import_db, """
        select b.external_id, b.status, b.price, b.start_time, b.end_time, b.date, s.label, h.name as hall, h.hall_type,
               p.amount, p.payment_status, p.method, u.external_id as customer, u.email
        from bookings b join seats s on s.id = b.seat_id join halls h on h.id = s.hall_id
        join users u on u.id = b.user_id left join payments p on p.booking_id = b.id
        where b.external_source = 'generic' and b.external_id like 'G-%'""")}
    g1 = visits["G-001"]
    assert (g1.label, g1.hall, g1.status, float(g1.price), g1.method, g1.email) == \
        ("PC-01", "Main hall", "завершено", 2700.0, "card", "aigerim@example.kz")
    assert g1.start_time == datetime(2024, 3, 1, 13, 0, tzinfo=timezone.utc)  # 18:00 in Almaty (UTC+5)
    assert visits["G-005"].end_time - visits["G-005"].start_time == (visits["G-001"].end_time -
                                                                     visits["G-001"].start_time) / 3  # 1 hour
    assert visits["G-006"].status == "отменено" and visits["G-006"].amount is None
    assert visits["G-007"].status == "неявка"
    assert visits["G-008"].start_time == datetime(2024, 3, 6, 5, 0, tzinfo=timezone.utc)  # had an offset
    assert visits["G-009"].payment_status == "возврат" and visits["G-009"].email is None  # e-mail taken by C001
    assert (visits["G-010"].date.isoformat(), visits["G-011"].hall_type) == ("2024-03-07", "console")
    # a customer who pays for a friend: two overlapping visits, two seats
    assert visits["G-002"].customer == visits["G-003"].customer and visits["G-002"].label != visits["G-003"].label


def test_a_windows_1251_file_with_semicolons_and_decimal_commas(import_db, loaded):
    r = loaded["generic_cp1251.csv"]
    assert (r.encoding, r.delimiter, r.rows_added, r.customers_added) == ("cp1251", "semicolon", 5, 3)
    found = rows(import_db, """
        select u.full_name, p.amount, p.method, b.start_time from payments p join bookings b on b.id = p.booking_id
        join users u on u.id = b.user_id join seats s on s.id = b.seat_id join halls h on h.id = s.hall_id
        join clubs c on c.id = h.club_id where c.name = 'Respawn Test' order by b.start_time""")
    assert [(f.full_name, float(f.amount), f.method) for f in found] == [
        ("Айдана Бекова", 1500.5, "cash"), ("Тимур Ахметов", 600.0, "card"), ("Айдана Бекова", 1200.0, "kaspi_qr"),
        ("Ерасыл Маратов", 450.0, "cash"), ("Тимур Ахметов", 2400.75, "bonus")]
    assert found[0].start_time == datetime(2024, 3, 4, 13, 30, tzinfo=timezone.utc)


def test_the_ggleap_export(import_db, loaded):
    r = loaded["ggleap_activity.csv"]
    assert (r.source, r.rows_read, r.visits, r.rows_added, r.customers_added) == ("ggleap:Arena Test", 15, 4, 4, 3)
    assert r.counts["guest sessions (left out)"] == 1 and r.counts["other actions (ignored)"] == 4
    seats = rows(import_db, """select s.label, count(*) from bookings b join seats s on s.id = b.seat_id
                               where b.external_source = 'ggleap:Arena Test' group by 1 order by 1""")
    assert [(s.label, s.count) for s in seats] == [("PC-01", 2), ("PC-02", 1), ("PC-04", 1)]


def test_smartshell_fills_and_updates_customers(import_db, loaded):
    r = loaded["smartshell_clients.csv"]
    assert (r.format, r.customers_added, r.rows_skipped) == ("smartshell", 3, 0)
    nomad = rows(import_db, "select phone, signed_up_at from users where external_source = 'smartshell' "
                            "and external_id = 'nomad'")[0]
    assert nomad.phone == "+7 701 400 00 01" and nomad.signed_up_at == datetime(2024, 1, 15, 6, tzinfo=timezone.utc)  # UTC+6 until March 2024
    changed = read("smartshell_clients.csv").decode("utf-8-sig").replace("+7 701 400 00 01", "+7 701 499 99 99")
    again = import_file(import_db, changed.encode("utf-8"), "clients.csv", Options(), imported_by="test")
    assert (again.customers_added, again.customers_updated, again.rows_skipped) == (0, 1, 2)
    assert rows(import_db, "select phone from users where external_id = 'nomad'")[0].phone == "+7 701 499 99 99"
    back = import_file(import_db, read("smartshell_clients.csv"), "clients.csv", Options(), imported_by="test")
    assert back.customers_updated == 1  # as the other tests expect it


@pytest.mark.parametrize("name, options", FILES)
def test_importing_a_file_twice_adds_nothing(import_db, loaded, name, options):
    before = counts(import_db)
    again = import_file(import_db, read(name), name, options, imported_by="test")
    assert again.result == "imported"
    assert (again.rows_added, again.rows_updated, again.customers_added, again.seats_added) == (0, 0, 0, 0)
    assert again.rows_skipped == (loaded[name].visits or loaded[name].rows_read)
    assert counts(import_db) == before


def test_a_bad_file_changes_nothing_and_says_why(import_db, loaded):
    before = counts(import_db)
    r = import_file(import_db, read("generic_broken.csv"), "broken.csv", Options(), imported_by="test")
    assert r.result == "rejected" and r.rows_bad == 9 and "nothing was imported" in r.message
    assert [(b["line"], b["reason"].split(":")[0]) for b in r.bad_rows] == [
        (3, "no customer id"), (4, "started_at is not a date and time"), (5, "the visit ends before it starts"),
        (6, "the amount is negative"), (7, "unknown booking status (use completed, active, cancelled or no-show)"),
        (8, "the visit lasts more than 24 hours"), (9, "amount is not a number"),
        (10, "the booking id appears earlier in the file"), (11, "no club (name one for the whole file with --club)")]
    assert r.bad_rows[1]["reason"].endswith("«yesterday evening»")
    assert sum(r.bad_reasons.values()) == 9
    assert counts(import_db) == before
    logged = rows(import_db, "select result, rows_bad, report from data_imports where id = :id", id=r.log_id)[0]
    assert logged.result == "rejected" and logged.rows_bad == 9 and len(logged.report["bad_rows"]) == 9


def test_a_seat_someone_holds_rejects_the_file(import_db, loaded):
    before = counts(import_db)
    r = import_file(import_db, read("ggleap_activity.csv"), "ggleap.csv", Options(club="Pixel Test"))
    assert r.result == "rejected" and [b["line"] for b in r.bad_rows] == [2, 5]
    assert "the seat is taken at that time" in r.bad_rows[0]["reason"] and "«PC-01»" in r.bad_rows[0]["reason"]
    assert counts(import_db) == before


def test_a_dry_run_writes_nothing(import_db, loaded):
    before = counts(import_db)
    logged = rows(import_db, "select count(*) from data_imports")[0][0]
    extra = read("generic_visits.csv").decode().replace("G-0", "D-0").replace("Pixel Test", "Dry Club").encode()
    r = import_file(import_db, extra, "dry.csv", Options(dry_run=True))
    assert r.result == "checked" and r.rows_added == 12 and r.clubs_added == 1
    assert counts(import_db) == before
    assert rows(import_db, "select count(*) from data_imports")[0][0] == logged


def test_the_seat_guard_never_fires_and_no_seat_is_double_booked(import_db, loaded):
    assert rows(import_db, "select count(*) from seat_overlaps")[0][0] == 0
    trigger = rows(import_db, "select tgenabled from pg_trigger where tgname = 'bookings_no_overlap'")[0][0]
    assert trigger == "O"  # back on after every import


def test_history_that_ends_in_the_past_sets_now(import_db, loaded):
    moment = service.data_moment(import_db)
    assert moment["ended"] is True
    assert moment["as_of"] == datetime(2024, 3, 9, 11, 0, tzinfo=timezone.utc)  # G-012, 16:00 in Almaty
    today = rows(import_db, "select distinct local_today from club_windows(null, null)")
    assert [t.local_today.isoformat() for t in today] == ["2024-03-09"]


def test_only_managers_import(import_db, loaded):
    before = counts(import_db)
    with pytest.raises(PermissionDenied):
        service.import_file(import_db, account=account("analyst"), raw=read("generic_visits.csv"),
                            file_name="x.csv", options=Options())
    with pytest.raises(PermissionDenied):
        service.import_file(import_db, account=None, raw=read("generic_visits.csv"), file_name="x.csv",
                            options=Options())
    with pytest.raises(PermissionDenied, match="some clubs only"):  # an import may touch or add any club
        service.import_file(import_db, account=viewer_of([1]), raw=read("generic_visits.csv"), file_name="x.csv",
                            options=Options())
    assert counts(import_db) == before
    r = service.import_file(import_db, account=account("manager"), raw=read("generic_visits.csv"),
                            file_name="again.csv", options=Options())
    assert r.result == "imported" and r.rows_added == 0
    past = service.past_imports(import_db, viewer=account("manager"))
    assert past.iloc[0].file_name == "again.csv" and past.iloc[0].imported_by == "test-manager"
    logged = rows(import_db, "select username, via, object_id, details from activity_log where action = 'import' "
                             "order by id desc limit 1")[0]
    assert (logged.username, logged.via, logged.object_id) == ("test-manager", "app", str(r.log_id))
    assert logged.details["file"] == "again.csv" and logged.details["rows_added"] == 0


def test_changed_rows_are_updated(private_database):
    engine = private_database("changes")
    first = import_file(engine, read("generic_visits.csv"), "v1.csv", Options())
    assert first.rows_added == 12
    text = read("generic_visits.csv").decode()
    text = text.replace("2024-03-09 16:00,2024-03-09 19:00,2700", "2024-03-09 17:00,2024-03-09 20:00,3000")  # G-012
    text = text.replace("G-006,C004,Erlan Abenov,,,,Pixel Test,Main hall,standard,,2024-03-03 12:30,2024-03-03 14:00,,",
                        "G-006,C004,Erlan Abenov,,,,Pixel Test,Main hall,standard,,2024-03-03 12:30,2024-03-03 14:00,500,")
    text += "G-013,C006,Farida Tulegenova,,,,Pixel Test,Main hall,standard,,2024-03-10 16:00,2024-03-10 18:00,1800,,,,\n"
    second = import_file(engine, text.encode(), "v2.csv", Options())
    assert (second.result, second.rows_added, second.rows_updated, second.rows_skipped) == ("imported", 1, 2, 10)
    g12 = rows(engine, "select b.start_time, b.price, p.amount from bookings b join payments p on p.booking_id = b.id "
                       "where b.external_id = 'G-012'")[0]
    assert (g12.start_time.hour, float(g12.price), float(g12.amount)) == (12, 3000.0, 3000.0)
    audited = rows(engine, "select count(*) from audit_logs where table_name in ('bookings', 'payments')")[0][0]
    assert audited >= 2  # updates are audited
    assert rows(engine, "select count(*) from seat_overlaps")[0][0] == 0


def test_an_account_of_some_clubs_sees_only_the_imports_for_its_clubs(import_db, loaded):
    clubs = {r.id: r.name for r in rows(import_db, "select id, name from clubs")}
    everything = service.past_imports(import_db, viewer=account("manager"))
    assert set(everything.file_name) >= {name for name, _ in FILES}  # the whole chain sees every file
    assert everything.club.isna().any()  # files with a club column (any club's rows) among them
    for club_id, name in clubs.items():
        seen = service.past_imports(import_db, viewer=viewer_of([club_id], Role.ANALYST))
        assert set(seen.club) <= {name}, (name, list(seen.file_name))  # only files imported for that club
    arena = next(i for i, n in clubs.items() if n == "Arena Test")
    assert "ggleap_activity.csv" in set(service.past_imports(import_db, viewer=viewer_of([arena])).file_name)
    with pytest.raises(PermissionDenied):
        service.past_imports(import_db, viewer=None)


def test_a_file_the_database_refuses_is_recorded(import_db, loaded):
    """A value the database cannot store (an amount beyond numeric(10, 2)) fails the file with a plain message;
    nothing is written, and the import log and the activity log both keep the failure."""
    before = counts(import_db)
    text = ("booking_id,customer_id,club,started_at,ended_at,amount\n"
            "R-1,C001,Pixel Test,2024-04-01 10:00,2024-04-01 11:00,900\n"
            "R-2,C002,Pixel Test,2024-04-01 10:00,2024-04-01 12:00,100000000000\n")
    r = service.import_file(import_db, account=account("manager"), raw=text.encode(), file_name="huge.csv",
                            options=Options())
    assert r.result == "failed" and r.log_id is not None
    assert "line 3: price" in r.message and "numeric field overflow" in r.message, r.message
    assert counts(import_db) == before
    logged = rows(import_db, "select result, message from data_imports where id = :id", id=r.log_id)[0]
    assert logged.result == "failed" and logged.message == r.message
    activity = rows(import_db, "select object_id, details from activity_log where action = 'import' "
                               "order by id desc limit 1")[0]
    assert activity.object_id == str(r.log_id) and activity.details["result"] == "failed"


def test_control_characters_in_names_become_spaces_and_are_reported(private_database):
    """A bell, an escape, a tab, a line separator and a quoted line break in names are each imported as a space;
    the report says which lines were cleaned, and the two spellings of one club are one club."""
    engine = private_database("control")
    text = ('booking_id,customer_id,customer_name,club,hall,seat,started_at,ended_at\n'
            'N-1,C1,"Ai\x07gerim\r\nSadykova",Clean\x1bClub,Main\u2028hall,PC\t1,2024-03-01 18:00,2024-03-01 19:00\n'
            'N-2,C2,Bolat,Clean Club,Main hall,PC-2,2024-03-01 18:00,2024-03-01 19:00\n')
    r = import_file(engine, text.encode(), "control.csv", Options())
    assert r.result == "imported", (r.message, r.bad_rows)
    assert (r.cleaned, r.cleaned_lines) == (1, [2])
    assert r.warnings["rows whose names had control characters or line breaks, replaced by spaces"] == 1
    assert [u.full_name for u in rows(engine, "select full_name from users order by external_id")] == [
        "Ai gerim Sadykova", "Bolat"]
    assert [c.name for c in rows(engine, "select name from clubs")] == ["Clean Club"]
    assert sorted(s.label for s in rows(engine, "select label from seats")) == ["PC 1", "PC-2"]
    logged = rows(engine, "select report from data_imports where id = :id", id=r.log_id)[0]
    assert logged.report["cleaned_lines"] == [2]
