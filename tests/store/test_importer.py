"""Imports: row-level reports, idempotent upserts, and whole-file failures that write nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlite_utils import Database

from agent_assist.store import queries
from agent_assist.store.db import connect
from agent_assist.store.importer import ImportFileError, import_file

CUSTOMERS = """external_id,name,phone,email,customer_since,preferred_channel,preferred_hours
c1,Ann Lee,(555) 222-3333,ann@example.com,2019-04-01,sms,18:00-21:00
c2,Bob Marsh,555/444 5555,,2021-01-01,,
c3,Cy Bad Phone,12,cy@example.com,2020-01-01,phone,
c4,Di Bad Date,555-666-7777,di@example.com,2021-02-30,email,
c5,Ed Bad Mail,555.888.9999,not-an-email,,chat,
c6,Fay Channel,+1 555 111 0000,,,pigeon,
"""


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    d = connect(tmp_path / "imp.db")
    yield d
    d.close()


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    p = tmp_path / name
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_text(text, encoding="utf-8")
    return p


def snapshot(db: Database) -> list[tuple[object, ...]]:
    out: list[tuple[object, ...]] = []
    for t in ("customers", "interactions", "orders", "issues"):
        out += db.execute(f"SELECT * FROM {t} ORDER BY id").fetchall()
    return out


def test_customers_good_rows_in_bad_rows_reported_by_line(db: Database, tmp_path: Path) -> None:
    report = import_file(db, "customers", write(tmp_path, "c.csv", CUSTOMERS))
    assert (report.rows, report.inserted, report.updated) == (6, 2, 0)
    reasons = {r.where: r.reason for r in report.rejected}
    assert set(reasons) == {"line 4", "line 5", "line 6", "line 7"}
    assert "phone" in reasons["line 4"] and "'12'" in reasons["line 4"]
    assert "customer_since '2021-02-30' is not a date" in reasons["line 5"]
    assert "not-an-email" in reasons["line 6"]
    assert "pigeon" in reasons["line 7"]
    ann = queries.find_by_phone(db, "+1 555 222 3333")
    assert ann is not None
    assert (ann.name, ann.phone, ann.external_id, ann.customer_since, ann.preferred_channel,
            ann.preferred_hours) == ("Ann Lee", "(555) 222-3333", "c1", "2019-04-01", "sms", "18:00-21:00")
    assert queries.search(db, "marsh")[0].name == "Bob Marsh"
    assert report.lines()[0] == "c.csv: 6 rows of customers: 2 imported (2 new, 0 updated), 4 rejected"
    assert report.lines()[1].startswith("  line 4: ")


def test_reimport_is_idempotent_and_updates(db: Database, tmp_path: Path) -> None:
    path = write(tmp_path, "c.csv", CUSTOMERS)
    import_file(db, "customers", path)
    first = snapshot(db)
    again = import_file(db, "customers", path)
    assert (again.inserted, again.updated, len(again.rejected)) == (0, 2, 4)
    assert snapshot(db) == first
    changed = write(tmp_path, "c2.csv", "external_id,name,phone\nc1,Ann Lee-Smith,555 222 3333\n")
    import_file(db, "customers", changed)
    rows = db.execute("SELECT name, customer_since FROM customers WHERE external_id = 'c1'").fetchall()
    assert rows == [("Ann Lee-Smith", "2019-04-01")]  # updated, and the missing date did not move
    assert db.execute("SELECT count(*) FROM customers").fetchone()[0] == 2
    assert [h.name for h in queries.search(db, "lee-smith")] == ["Ann Lee-Smith"]


def test_history_kinds_reference_customers(db: Database, tmp_path: Path) -> None:
    import_file(db, "customers", write(tmp_path, "c.csv", CUSTOMERS))
    inter = write(tmp_path, "i.csv", (
        "external_id,customer_external_id,at,channel,direction,summary\n"
        "i1,c1,2024-01-01 10:00,call,in,Asked about a bill\n"
        "i2,c9,2024-01-01,email,in,Unknown customer\n"
        "i3,c1,yesterday,call,in,Bad date\n"
        "i4,c1,2024-02-01T09:00:00+02:00,fax,in,Bad channel\n"
        "i5,c2,2024-02-01T09:00:00+02:00,chat,,Time zone converted\n"
    ))
    r = import_file(db, "interactions", inter)
    assert r.imported == 2
    assert [(x.where, x.reason.split(" ")[0]) for x in r.rejected] == [
        ("line 3", "customer_external_id"), ("line 4", "at"), ("line 5", "channel")]
    assert db.execute("SELECT at, direction FROM interactions WHERE external_id = 'i5'").fetchone() == (
        "2024-02-01T07:00:00", "in")
    orders = write(tmp_path, "o.json", json.dumps([
        {"external_id": "o1", "customer_external_id": "c1", "at": "2024-03-01", "amount": 19.99, "item": "Case"},
        {"external_id": "o2", "customer_external_id": "c1", "at": "2024-03-02", "amount": "lots"},
        {"external_id": "o3", "customer_external_id": "c1", "at": "2024-03-03", "amount": -5},
        "not an object",
    ]))
    r = import_file(db, "orders", orders)
    assert r.imported == 1
    assert [x.where for x in r.rejected] == ["item 2", "item 3", "item 4"]
    issues = write(tmp_path, "s.jsonl", "\n".join([
        json.dumps({"external_id": "s1", "customer_external_id": "c1", "opened_at": "2024-03-01 08:00",
                    "title": "Router reboots", "severity": "high"}),
        json.dumps({"external_id": "s2", "customer_external_id": "c1", "opened_at": "2024-03-05",
                    "resolved_at": "2024-03-01", "title": "Backwards"}),
        "{broken json",
        json.dumps({"external_id": "s3", "customer_external_id": "c2", "opened_at": "2024-03-01",
                    "resolved_at": "2024-03-02", "title": "Done", "reopen_count": 2}),
        json.dumps({"external_id": "s1", "customer_external_id": "c1", "opened_at": "2024-03-01",
                    "title": "Duplicate id"}),
    ]))
    r = import_file(db, "issues", issues)
    assert r.imported == 2
    reasons = {x.where: x.reason for x in r.rejected}
    assert "before opened_at" in reasons["line 2"]
    assert "not valid JSON" in reasons["line 3"]
    assert "already appears on line 1" in reasons["line 5"]
    card = queries.caller_card(db, queries.find_by_phone(db, "555 222 3333").id)  # type: ignore[union-attr]
    assert [(i.title, i.severity, i.target_hours) for i in card.open_issues] == [("Router reboots", "high", 24.0)]
    assert [h.kind for h in card.history] == ["order", "call"]
    done = db.execute("SELECT status, reopen_count FROM issues WHERE external_id = 's3'").fetchone()
    assert done == ("resolved", 2)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", "", "is empty"),
        ("blank.csv", "\n  \n", "is empty"),
        ("header.csv", "external_id,name,phone\n", "has no customers rows"),
            ("binary.csv", b"external_id,name,phone\nc1,Jos\x81\x8d,555 222 3333\n",
             "neither UTF-8 nor Windows-1252"),
        ("cols.csv", "id,full_name,phone\n1,Ann,555 222 3333\n", "missing columns external_id, name"),
        ("extra.csv", "external_id,name,phone,fax\nc1,Ann,555 222 3333,1\n", "unknown column fax"),
        ("bad.json", "[{\"external_id\": ", "not valid JSON"),
        ("obj.json", "{\"people\": []}", "should hold a JSON array"),
        ("emptylist.json", "[]", "has no customers rows"),
        ("nul.csv", b"external_id,name,phone\nc1,A\x00nn,555 222 3333\n", "NUL"),
        ("missing.csv", None, "does not exist"),
    ],
)
def test_file_level_problems_change_nothing(
    db: Database, tmp_path: Path, name: str, content: str | bytes | None, message: str
) -> None:
    import_file(db, "customers", write(tmp_path, "c.csv", CUSTOMERS))
    before = snapshot(db)
    path = tmp_path / name if content is None else write(tmp_path, name, content)
    with pytest.raises(ImportFileError, match=message) as e:
        import_file(db, "customers", path)
    assert "\n" not in str(e.value)
    assert snapshot(db) == before


def test_wrong_field_count_and_bom_and_quoted_newlines(db: Database, tmp_path: Path) -> None:
    text = ("\ufeffexternal_id,name,phone,notes\n"
            "c1,Ann,555 222 3333,\"two\nlines\"\n"
            "c2,Bob,555 444 5555\n"
            "c3,Cy,555 666 7777,x,extra\n")
    r = import_file(db, "customers", write(tmp_path, "c.csv", text))
    assert r.imported == 1
    assert [(x.where, x.reason) for x in r.rejected] == [
        ("line 4", "has 3 fields, the header has 4"), ("line 5", "has 5 fields, the header has 4")]
    assert db.execute("SELECT notes FROM customers").fetchone()[0] == "two\nlines"


def test_json_object_wrapper(db: Database, tmp_path: Path) -> None:
    path = write(tmp_path, "c.json", json.dumps(
        {"customers": [{"external_id": "j1", "name": "Jay", "phone": 5552223333}]}))
    r = import_file(db, "customers", path)
    assert r.imported == 1 and not r.rejected
    found = queries.find_by_phone(db, "(555) 222-3333")
    assert found is not None and found.name == "Jay"


def test_every_problem_of_every_row_is_reported(db: Database, tmp_path: Path) -> None:
    text = ("external_id,name,phone,email,customer_since,preferred_channel,preferred_hours\n"
            "c1,Ann Lee,(555) 222-3333,ann@example.com,2019-04-01,sms,18:00-21:00\n"
            "c2,,12,not-an-email,2021-02-30,pigeon,late\n"
            "c3,Cy,555 444 5555,cy@,2020-01-01,,\n")
    r = import_file(db, "customers", write(tmp_path, "c.csv", text))
    assert (r.imported, len(r.rejected)) == (1, 2)
    first = r.rejected[0]
    assert first.where == "line 3"
    assert [(p.column, p.value) for p in first.problems] == [
        ("name", None), ("phone", "12"), ("email", "not-an-email"), ("customer_since", "2021-02-30"),
        ("preferred_channel", "pigeon"), ("preferred_hours", "late")]
    assert all(p.why for p in first.problems)
    lines = r.lines()
    assert "  line 3: column name, value empty: is empty" in lines
    assert any(x.startswith("  line 3: column phone, value '12': ") for x in lines)
    assert any(x.startswith("  line 4: column email, value 'cy@': ") for x in lines)
    assert len([x for x in lines if x.startswith("  line 3:")]) == 6


def test_issues_report_every_field_and_the_order_of_dates(db: Database, tmp_path: Path) -> None:
    import_file(db, "customers", write(tmp_path, "c.csv", CUSTOMERS))
    text = ("external_id,customer_external_id,opened_at,resolved_at,status,severity,title,reopen_count\n"
            "i1,nobody,2026-11-02,2026-11-01,shut,dire,,1.5\n")
    r = import_file(db, "issues", write(tmp_path, "i.csv", text))
    cols = [p.column for p in r.rejected[0].problems]
    assert cols == ["customer_external_id", "title", "status", "severity", "reopen_count", "resolved_at"]


@pytest.mark.parametrize(("name", "data", "note"), [
    ("semi.csv", "external_id;name;phone;city\nc1;Zoë Ünal;(555) 222-3333;Köln\nc2;Bob;555 444 5555;Wien\n"
     .encode(), "fields separated by semicolons"),
    ("tabs.tsv", "external_id\tname\tphone\tcity\nc1\tZoë Ünal\t(555) 222-3333\tKöln\nc2\tBob\t555 444 5555\tWien\n"
     .encode(), "fields separated by tabs"),
    ("excel.csv", "external_id;name;phone;city\r\nc1;Zoë Ünal;(555) 222-3333;Köln\r\nc2;Bob;555 444 5555;Wien\r\n"
     .encode("cp1252"), "read as Windows-1252 text"),
    ("bom.csv", "\ufeffexternal_id,name,phone,city\nc1,Zoë Ünal,(555) 222-3333,Köln\nc2,Bob,555 444 5555,Wien\n"
     .encode("utf-8"), None),
    ("utf16.csv", "external_id,name,phone,city\nc1,Zoë Ünal,(555) 222-3333,Köln\nc2,Bob,555 444 5555,Wien\n"
     .encode("utf-16"), "read as UTF-16 text"),
])
def test_delimiter_and_encoding_are_sniffed(db: Database, tmp_path: Path, name: str, data: bytes,
                                            note: str | None) -> None:
    r = import_file(db, "customers", write(tmp_path, name, data))
    assert (r.imported, r.rejected) == (2, ())
    assert (note in r.notes) if note else r.notes == ()
    row = db.execute("SELECT name, city FROM customers WHERE external_id = 'c1'").fetchone()
    assert tuple(row) == ("Zoë Ünal", "Köln")


def test_a_semicolon_inside_a_comma_file_is_data(db: Database, tmp_path: Path) -> None:
    text = 'external_id,name,phone,notes\nc1,Ann,(555) 222-3333,"likes; dislikes"\n'
    r = import_file(db, "customers", write(tmp_path, "c.csv", text))
    assert r.imported == 1 and r.notes == ()
    assert db.execute("SELECT notes FROM customers").fetchone()[0] == "likes; dislikes"


def test_xlsx_workbook(db: Database, tmp_path: Path) -> None:
    from datetime import datetime

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Customers"
    ws.append(["external_id", "name", "phone", "customer_since", "preferred_channel"])
    ws.append(["c1", "Ann Lee", 5552223333, datetime(2019, 4, 1), "sms"])
    ws.append(["c2", "Bob Marsh", "555/444 5555", "2021-01-01", None])
    ws.append([None, None, None, None, None])  # a blank row is skipped
    ws.append(["c3", "", 12, "soon", "pigeon"])
    p = tmp_path / "customers.xlsx"
    wb.save(p)
    r = import_file(db, "customers", p)
    assert (r.rows, r.imported) == (3, 2) and "read the sheet 'Customers'" in r.notes
    assert [p.column for p in r.rejected[0].problems] == ["name", "phone", "customer_since", "preferred_channel"]
    assert r.rejected[0].where == "row 5"
    got = db.execute("SELECT external_id, phone_e164, customer_since FROM customers ORDER BY external_id")
    assert [tuple(x) for x in got] == [("c1", "+15552223333", "2019-04-01"), ("c2", "+15554445555", "2021-01-01")]
    bad = write(tmp_path, "bad.xlsx", b"not a zip")
    with pytest.raises(ImportFileError, match=r"not a readable \.xlsx workbook"):
        import_file(db, "customers", bad)
