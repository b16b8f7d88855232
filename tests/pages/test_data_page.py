"""The Data page through AppTest: a manager previews and dry-runs an upload (nothing is written to the shared
database), analysts cannot import, past imports and the data's health are shown."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from tests.pages.support import ok, shown

PAGE = "pages/data.py"
FILES = Path(__file__).resolve().parents[1] / "data" / "imports"


def bookings(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text("select count(*) from bookings")).scalar_one()


def test_a_manager_previews_and_dry_runs_a_file(app_client, accounts, app_db):
    at = app_client(accounts["manager"], PAGE)
    assert any("No problems found" in s.value for s in at.success)  # the demo chain is healthy
    assert at.dataframe  # the checks, the coverage and what the models can learn
    assert any("up to 400 MB a file" in c.value for c in at.caption)  # the limit server.maxUploadSize sets
    before = bookings(app_db)
    at.file_uploader(key="data_upload").set_value(
        ("visits.csv", (FILES / "generic_visits.csv").read_bytes(), "text/csv"))
    ok(at.run())
    assert any("Generic (one row per visit) file (detected): 12 rows, utf-8, comma-separated" in c.value
               for c in at.caption)
    assert at.selectbox(key="map_generic_started_at").value == "started_at"
    at.button(key="data_dry_run").click()
    ok(at.run())
    assert any("Dry run of visits.csv: every row can be imported (12 would be added" in shown(s.value)
               for s in at.success)
    assert bookings(app_db) == before  # a dry run writes nothing


def test_a_bad_file_shows_its_bad_rows_before_importing(app_client, accounts):
    at = app_client(accounts["manager"], PAGE)
    at.file_uploader(key="data_upload").set_value(
        ("broken.csv", (FILES / "generic_broken.csv").read_bytes(), "text/csv"))
    at.run()
    assert not at.exception
    # what the file shows before the database is asked (the import finds three more)
    assert any("6 rows are bad already" in w.value for w in at.warning)


def test_a_big_file_is_previewed_from_its_head(app_client, accounts):
    """Only the head is read before importing: the caption says how big the file is and how many rows it shows."""
    rows = "".join(f"C{i},2024-03-01 18:00,2024-03-01 19:00,Head Club\n" for i in range(8_000))
    raw = ("customer_id,started_at,ended_at,club\n" + rows).encode()
    at = app_client(accounts["manager"], PAGE)
    at.file_uploader(key="data_upload").set_value(("big.csv", raw, "text/csv"))
    ok(at.run())
    shown = [c.value for c in at.caption if "rows are shown and checked here" in c.value]
    assert shown and "of 0.4 MB" in shown[0], [c.value for c in at.caption]
    first = int(shown[0].split("its first ")[1].split(" rows")[0].replace(",", ""))
    assert 1_000 < first < 8_000


def test_a_mapping_can_be_corrected_on_the_page(app_client, accounts):
    at = app_client(accounts["manager"], PAGE)
    at.file_uploader(key="data_upload").set_value(("odd.csv", b"Guest,Came\nA,2024-01-01 10:00\n", "text/csv"))
    at.run()
    assert not at.exception
    at.selectbox(key="data_format").set_value("generic")
    at.run()
    assert any("lacks the generic column" in w.value for w in at.warning)
    at.selectbox(key="map_generic_customer_id").set_value("Guest")
    at.selectbox(key="map_generic_started_at").set_value("Came")
    at.text_input(key="data_club").input("Test Club")  # the file names no club
    ok(at.run())
    assert not any("lacks" in w.value for w in at.warning)
    assert not at.button(key="data_import").disabled


def test_analysts_see_the_health_but_cannot_import(app_client, accounts):
    at = app_client(accounts["analyst"], PAGE)
    assert any("Only managers of the whole chain can import data." in i.value for i in at.info)
    assert not at.get("file_uploader")
    assert any(h.value == "Data health" for h in at.subheader)
