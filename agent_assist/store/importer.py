"""Importing customers, interactions, orders and issues from CSV, JSON or JSON Lines.

Policy (what a user can rely on):

* **File-level problems** — not UTF-8, empty, no rows, unreadable CSV/JSON, a missing required column or an
  unknown column — raise :class:`ImportFileError` with one line, and nothing is written.
* **Row-level problems** — a bad phone number, date, amount, channel, an unknown customer, a duplicate
  external id within the file — reject that row only. The report names every rejected row (its line in a
  CSV or JSON Lines file, its position in a JSON array) and why. The good rows are imported.
* **Idempotent**: every row carries an ``external_id``; importing the same file again updates the same
  records instead of adding new ones (``INSERT … ON CONFLICT(external_id) DO UPDATE``).
* All the good rows of one file are written in one transaction: a database error part-way writes nothing.

Why this file is over 400 lines: one policy (file-level vs row-level problems, idempotent upserts, one
transaction) applied to four record kinds and three file formats; the per-kind converters are small.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from agent_assist.coach.redact import redact_text
from agent_assist.store.errors import StoreError
from agent_assist.store.phones import BadPhoneNumber, to_e164
from agent_assist.store.queries import check_channel, check_email, normalise_hours

KINDS = ("customers", "interactions", "orders", "issues")
INTERACTION_CHANNELS = ("call", "email", "chat", "sms")
SEVERITIES = {"low": 168.0, "normal": 72.0, "high": 24.0, "urgent": 8.0}


class ImportFileError(StoreError):
    """The file as a whole cannot be imported (nothing was written)."""


class RowError(ValueError):
    """One row is invalid; the message says which field and why."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a row: which column, the value found, why it is refused."""

    column: str | None
    value: str | None
    why: str

    def text(self) -> str:
        if self.column is None:
            return self.why
        shown = "empty" if self.value is None else repr(self.value)
        return f"column {self.column}, value {shown}: {self.why}"


@dataclass(frozen=True)
class RejectedRow:
    where: str  # "line 7" (CSV, JSON Lines), "item 3" (JSON array) or "row 4" (spreadsheet)
    reason: str
    problems: tuple[Problem, ...] = field(default=())


@dataclass(frozen=True)
class ImportReport:
    kind: str
    path: str
    rows: int
    inserted: int
    updated: int
    rejected: tuple[RejectedRow, ...] = field(default=())
    notes: tuple[str, ...] = field(default=())  # how the file was read (encoding, delimiter, sheet)

    @property
    def imported(self) -> int:
        return self.inserted + self.updated

    def summary(self) -> str:
        text = (
            f"{Path(self.path).name}: {self.rows} row{'s' if self.rows != 1 else ''} of {self.kind}: "
            f"{self.imported} imported ({self.inserted} new, {self.updated} updated)"
        )
        return text + (f", {len(self.rejected)} rejected" if self.rejected else "")

    def lines(self) -> list[str]:
        """The summary, then one line per problem of every rejected row (row, column, value, why)."""
        out = [self.summary(), *(f"  note: {n}" for n in self.notes)]
        for r in self.rejected:
            out += [f"  {r.where}: {p.text()}" for p in r.problems] or [f"  {r.where}: {r.reason}"]
        return out


# ---------------------------------------------------------------------------------------------- fields


def _text(v: Any) -> str | None:
    if v is None:
        return None
    s = str(v).strip()
    return s or None


def _required(row: Mapping[str, Any], name: str) -> str:
    v = _text(row.get(name))
    if v is None:
        raise RowError(f"{name} is empty")
    return v


def parse_datetime(value: Any, name: str) -> str:
    """``2024-03-05``, ``2024-03-05 14:30``, ``2024-03-05T14:30:00+02:00`` -> ``2024-03-05T12:30:00`` (UTC)."""
    text = _text(value)
    if text is None:
        raise RowError(f"{name} is empty")
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise RowError(f"{name} {text!r} is not a date (use YYYY-MM-DD or YYYY-MM-DD HH:MM)") from None
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC).replace(tzinfo=None)
    if not 1900 <= dt.year <= 2200:
        raise RowError(f"{name} {text!r} is out of range")
    return dt.isoformat(timespec="seconds")


def parse_date(value: Any, name: str) -> str:
    return parse_datetime(value, name)[:10]


def _number(value: Any, name: str, *, minimum: float = 0.0, integer: bool = False) -> float:
    text = _text(value)
    if text is None:
        raise RowError(f"{name} is empty")
    try:
        n = float(text.replace(",", "")) if not isinstance(value, int | float) else float(value)
    except ValueError:
        raise RowError(f"{name} {text!r} is not a number") from None
    if n != n or n in (float("inf"), float("-inf")):
        raise RowError(f"{name} {text!r} is not a number")
    if integer and n != int(n):
        raise RowError(f"{name} {text!r} is not a whole number")
    if n < minimum:
        raise RowError(f"{name} {text!r} is below {minimum:g}")
    return n


def _choice(value: Any, name: str, options: tuple[str, ...] | dict[str, float], default: str | None) -> str | None:
    text = _text(value)
    if text is None:
        return default
    v = text.lower()
    if v not in options:
        raise RowError(f"{name} {text!r} should be one of {', '.join(options)}")
    return v


def _check(fn: Callable[[Any], Any], value: Any) -> Any:
    try:
        return fn(value)
    except RowError:
        raise
    except ValueError as e:
        raise RowError(str(e)) from None


# ---------------------------------------------------------------------------------------------- kinds


@dataclass(frozen=True)
class _Kind:
    table: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    columns: tuple[str, ...]  # table columns written, in the order convert() returns them


_KINDS = {
    "customers": _Kind(
        "customers",
        ("external_id", "name", "phone"),
        ("email", "customer_since", "preferred_channel", "preferred_hours", "city", "segment", "notes"),
        ("external_id", "name", "phone", "phone_e164", "email", "customer_since", "preferred_channel",
         "preferred_hours", "city", "segment", "notes", "created_at"),
    ),
    "interactions": _Kind(
        "interactions",
        ("external_id", "customer_external_id", "at", "channel"),
        ("direction", "summary", "agent_external_id"),
        ("external_id", "customer_id", "agent_id", "at", "channel", "direction", "summary"),
    ),
    "orders": _Kind(
        "orders",
        ("external_id", "customer_external_id", "at", "amount"),
        ("status", "item"),
        ("external_id", "customer_id", "at", "amount", "status", "item"),
    ),
    "issues": _Kind(
        "issues",
        ("external_id", "customer_external_id", "opened_at", "title"),
        ("status", "severity", "resolved_at", "reopen_count", "target_hours"),
        ("external_id", "customer_id", "opened_at", "resolved_at", "status", "severity", "title",
         "reopen_count", "target_hours"),
    ),
}


def expected_columns(kind: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(required, optional) column names for ``kind``."""
    k = _KINDS[kind]
    return k.required, k.optional


class _Refs:
    """External id -> row id for customers and agents, read once per import."""

    def __init__(self, db: Database) -> None:
        self.customers = dict(
            db.execute("SELECT external_id, id FROM customers WHERE external_id IS NOT NULL").fetchall()
        )
        self.agents = dict(db.execute("SELECT external_id, id FROM agents WHERE external_id IS NOT NULL").fetchall())

    def customer(self, row: Mapping[str, Any]) -> int:
        ext = _required(row, "customer_external_id")
        cid = self.customers.get(ext)
        if cid is None:
            raise RowError(f"customer_external_id {ext!r} is not a known customer (import customers first)")
        return int(cid)

    def agent(self, row: Mapping[str, Any]) -> int | None:
        ext = _text(row.get("agent_external_id"))
        if ext is None:
            return None
        aid = self.agents.get(ext)
        if aid is None:
            raise RowError(f"agent_external_id {ext!r} is not a known agent")
        return int(aid)


def _free(text: str | None) -> str | None:
    # Free text from another system is redacted like anything typed: a CRM's notes hold card numbers too.
    return None if text is None else redact_text(text)


def _convert(kind: str, row: Mapping[str, Any], refs: _Refs, region: str, now: str) -> tuple[Any, ...]:
    ext = _required(row, "external_id")
    if kind == "customers":
        phone = _required(row, "phone")
        try:
            e164 = to_e164(phone, region)
        except BadPhoneNumber as e:
            raise RowError(f"phone: {e}") from None
        since = parse_date(row.get("customer_since"), "customer_since") if _text(row.get("customer_since")) else None
        return (
            ext, _free(" ".join(_required(row, "name").split())), phone, e164,
            _check(check_email, _text(row.get("email"))), since,
            _check(check_channel, _text(row.get("preferred_channel"))),
            _check(normalise_hours, _text(row.get("preferred_hours"))),
            _free(_text(row.get("city"))), _free(_text(row.get("segment"))), _free(_text(row.get("notes"))), now,
            since,  # again, for the ON CONFLICT clause (see import_file)
        )
    if kind == "interactions":
        return (
            ext, refs.customer(row), refs.agent(row), parse_datetime(row.get("at"), "at"),
            _choice(row.get("channel"), "channel", INTERACTION_CHANNELS, None),
            _choice(row.get("direction"), "direction", ("in", "out"), "in"),
            _free(_text(row.get("summary"))) or "",
        )
    if kind == "orders":
        return (
            ext, refs.customer(row), parse_datetime(row.get("at"), "at"),
            round(_number(row.get("amount"), "amount"), 2), _text(row.get("status")), _free(_text(row.get("item"))),
        )
    # issues
    opened = parse_datetime(row.get("opened_at"), "opened_at")
    resolved = parse_datetime(row.get("resolved_at"), "resolved_at") if _text(row.get("resolved_at")) else None
    status = _choice(row.get("status"), "status", ("open", "resolved"), "resolved" if resolved else "open")
    if resolved and resolved < opened:
        raise RowError(f"resolved_at {resolved} is before opened_at {opened}")
    if status == "open":
        resolved = None
    severity = _choice(row.get("severity"), "severity", SEVERITIES, "normal") or "normal"
    reopen = int(_number(row.get("reopen_count"), "reopen_count", integer=True)) if _text(row.get("reopen_count")) else 0
    target = (_number(row.get("target_hours"), "target_hours", minimum=0.1)
              if _text(row.get("target_hours")) else SEVERITIES[severity])
    return (ext, refs.customer(row), opened, resolved, status, severity, _free(_required(row, "title")), reopen, target)


# ---------------------------------------------------------------------------------------------- files


def _decode_bytes(path: Path, data: bytes) -> tuple[str, str]:
    """Text and the encoding it was read in: a byte-order mark decides (UTF-8, UTF-16); else UTF-8; else
    Windows-1252, what spreadsheets on Windows save as "CSV" (every byte but five decodes in it)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            raise ImportFileError(f"{path.name} starts with a UTF-16 mark but is not UTF-16 text.") from None
    try:
        return data.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError as e:
        first_bad = e.start
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        raise ImportFileError(
            f"{path.name} is neither UTF-8 nor Windows-1252 text (byte 0x{data[first_bad]:02x} at offset "
            f"{first_bad}); save it as UTF-8 and import again."
        ) from None


def _decode(path: Path) -> tuple[str, str]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ImportFileError(f"{path} does not exist.") from None
    except IsADirectoryError:
        raise ImportFileError(f"{path} is a folder, not a file.") from None
    except OSError as e:
        raise ImportFileError(f"Cannot read {path}: {e.strerror or e}.") from None
    text, encoding = _decode_bytes(path, data)
    if "\x00" in text:
        raise ImportFileError(f"{path.name} contains NUL bytes; it is not a text file.")
    if not text.strip():
        raise ImportFileError(f"{path.name} is empty.")
    return text, encoding


def _records(path: Path, text: str, kind: str) -> tuple[list[str], Iterator[tuple[str, Mapping[str, Any]]]]:
    """(column names, iterator of (where, row)) for a CSV, JSON or JSON Lines file."""
    suffix = path.suffix.lower()
    head = text.lstrip()[:1]
    if suffix in (".jsonl", ".ndjson"):
        return _jsonl(path, text)
    if suffix == ".json" or (suffix != ".csv" and head in "[{"):
        return _json(path, text, kind)
    return _csv(path, text)


DELIMITERS = ",;\t|"


def sniff_delimiter(text: str) -> str:
    """The field separator of a CSV text: comma, semicolon (European spreadsheets), tab or bar. The header
    line decides (it holds no quoted separators in practice); the sniffer confirms on the first lines."""
    header = text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    if counts[best] == 0:
        return ","
    try:
        sniffed = csv.Sniffer().sniff("\n".join(text.splitlines()[:20]), delimiters=DELIMITERS).delimiter
    except csv.Error:
        return best
    return sniffed if counts.get(sniffed, 0) >= counts[best] else best


def _csv(path: Path, text: str) -> tuple[list[str], Iterator[tuple[str, Mapping[str, Any]]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text))
    try:
        header = next(reader)
    except csv.Error as e:
        raise ImportFileError(f"{path.name} line 1 is not readable CSV ({e}).") from None
    columns = [h.strip() for h in header]

    def rows() -> Iterator[tuple[str, Mapping[str, Any]]]:
        line = reader.line_num
        while True:
            start = line + 1
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as e:
                raise ImportFileError(f"{path.name} line {start} is not readable CSV ({e}).") from None
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue  # blank line
            if len(values) != len(columns):
                yield f"line {start}", {"__error__": f"has {len(values)} fields, the header has {len(columns)}"}
                continue
            yield f"line {start}", dict(zip(columns, values, strict=True))

    return columns, rows()


def _object_rows(path: Path, items: list[Any], label: str, base: int) -> tuple[list[str], list[tuple[str, Mapping[str, Any]]]]:
    columns: list[str] = []
    out: list[tuple[str, Mapping[str, Any]]] = []
    for n, item in enumerate(items, start=base):
        if not isinstance(item, dict):
            out.append((f"{label} {n}", {"__error__": "is not an object with named fields"}))
            continue
        for k in item:
            if k not in columns:
                columns.append(str(k))
        out.append((f"{label} {n}", item))
    return columns, out


def _json(path: Path, text: str, kind: str) -> tuple[list[str], Iterator[tuple[str, Mapping[str, Any]]]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise ImportFileError(f"{path.name} is not valid JSON (line {e.lineno}: {e.msg}).") from None
    if isinstance(data, dict) and isinstance(data.get(kind), list):
        data = data[kind]
    if not isinstance(data, list):
        raise ImportFileError(f"{path.name} should hold a JSON array of {kind} (or {{\"{kind}\": [...]}}).")
    columns, rows = _object_rows(path, data, "item", 1)
    return columns, iter(rows)


def _jsonl(path: Path, text: str) -> tuple[list[str], Iterator[tuple[str, Mapping[str, Any]]]]:
    items: list[tuple[str, Mapping[str, Any]]] = []
    columns: list[str] = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as e:
            items.append((f"line {n}", {"__error__": f"is not valid JSON ({e.msg})"}))
            continue
        cols, rows = _object_rows(path, [item], "line", n)
        columns.extend(c for c in cols if c not in columns)
        items.extend(rows)
    return columns, iter(items)


def _cell(v: Any) -> Any:
    """A spreadsheet cell as the importer's fields expect it: text, or a number for amounts and counts."""
    if v is None:
        return None
    if isinstance(v, datetime):
        return v.isoformat(sep=" ", timespec="minutes") if (v.hour, v.minute, v.second) != (0, 0, 0) \
            else v.date().isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return int(v)  # 5551234567.0 is a phone number typed into a number cell
    return v


def _xlsx(path: Path) -> tuple[list[str], Iterator[tuple[str, Mapping[str, Any]]], str]:
    """(columns, rows, sheet name) of the first worksheet: the first row names the columns."""
    import zipfile

    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise ImportFileError(f"{path} does not exist.") from None
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as e:
        raise ImportFileError(f"{path.name} is not a readable .xlsx workbook ({e}).") from None
    try:
        ws = wb.worksheets[0]
        rows = list(ws.iter_rows(values_only=True))
        sheet = ws.title
    finally:
        wb.close()
    if not rows:
        raise ImportFileError(f"{path.name} is empty (its first sheet has no rows).")
    columns = [str(h).strip() if h is not None else "" for h in rows[0]]
    while columns and not columns[-1]:
        columns.pop()

    def records() -> Iterator[tuple[str, Mapping[str, Any]]]:
        for n, values in enumerate(rows[1:], start=2):
            cells = [_cell(v) for v in values[:len(columns)]]
            if not any(c is not None and str(c).strip() for c in cells):
                continue
            extra = [v for v in values[len(columns):] if v is not None and str(v).strip()]
            if extra:
                yield f"row {n}", {"__error__": f"has values beyond the {len(columns)} named columns"}
                continue
            yield f"row {n}", dict(zip(columns, cells + [None] * (len(columns) - len(cells)), strict=True))

    return columns, records(), sheet


# ---------------------------------------------------------------------------------------------- every problem


def _why(msg: str, column: str, value: str | None) -> str:
    """A helper's message without the column and value it starts with (the report names them)."""
    for prefix in (f"{column}: ", f"{column} {value!r} ", f"{column} "):
        if msg.startswith(prefix):
            msg = msg[len(prefix):]
            break
    if value is not None and msg.startswith(f"{value!r} "):
        msg = msg[len(repr(value)) + 1:]
    return msg


def _row_problems(kind: str, row: Mapping[str, Any], refs: _Refs, region: str) -> list[Problem]:
    """Every problem of a row, field by field (``_convert`` stops at the first), for the report."""
    out: list[Problem] = []

    def check(column: str, fn: Callable[[], Any]) -> Any:
        raw = row.get(column)
        value = None if _text(raw) is None else str(raw).strip()
        try:
            return fn()
        except (RowError, ValueError) as e:
            out.append(Problem(column, value, _why(str(e), column, value)))
            return None

    def required(column: str) -> Callable[[], Any]:
        return lambda: _required(row, column)

    check("external_id", required("external_id"))
    if kind == "customers":
        check("name", required("name"))
        check("phone", lambda: to_e164(_required(row, "phone"), region))
        check("email", lambda: check_email(_text(row.get("email"))))
        if _text(row.get("customer_since")):
            check("customer_since", lambda: parse_date(row.get("customer_since"), "customer_since"))
        check("preferred_channel", lambda: check_channel(_text(row.get("preferred_channel"))))
        check("preferred_hours", lambda: normalise_hours(_text(row.get("preferred_hours"))))
        return out
    check("customer_external_id", lambda: refs.customer(row))
    if kind == "interactions":
        check("agent_external_id", lambda: refs.agent(row))
        check("at", lambda: parse_datetime(row.get("at"), "at"))
        check("channel", lambda: _choice(_required(row, "channel"), "channel", INTERACTION_CHANNELS, None))
        check("direction", lambda: _choice(row.get("direction"), "direction", ("in", "out"), "in"))
        return out
    if kind == "orders":
        check("at", lambda: parse_datetime(row.get("at"), "at"))
        check("amount", lambda: _number(row.get("amount"), "amount"))
        return out
    opened = check("opened_at", lambda: parse_datetime(row.get("opened_at"), "opened_at"))
    check("title", required("title"))
    resolved = None
    if _text(row.get("resolved_at")):
        resolved = check("resolved_at", lambda: parse_datetime(row.get("resolved_at"), "resolved_at"))
    check("status", lambda: _choice(row.get("status"), "status", ("open", "resolved"), "open"))
    check("severity", lambda: _choice(row.get("severity"), "severity", SEVERITIES, "normal"))
    if _text(row.get("reopen_count")):
        check("reopen_count", lambda: _number(row.get("reopen_count"), "reopen_count", integer=True))
    if _text(row.get("target_hours")):
        check("target_hours", lambda: _number(row.get("target_hours"), "target_hours", minimum=0.1))
    if opened and resolved and resolved < opened:
        out.append(Problem("resolved_at", str(row.get("resolved_at")).strip(),
                           f"is before opened_at {opened}"))
    return out


def _check_columns(path: Path, kind: str, columns: list[str]) -> None:
    spec = _KINDS[kind]
    known = set(spec.required) | set(spec.optional)
    missing = [c for c in spec.required if c not in columns]
    unknown = [c for c in columns if c not in known]
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown column{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}")
        raise ImportFileError(
            f"{path.name} does not look like {kind}: {'; '.join(parts)} "
            f"(expected {', '.join(spec.required)}; optional {', '.join(spec.optional)})."
        )


# ---------------------------------------------------------------------------------------------- import


def import_file(db: Database, kind: str, path: Path | str, region: str = "US") -> ImportReport:
    """Validate every row of ``path`` and upsert the good ones; see the module docstring for the policy."""
    if kind not in _KINDS:
        raise ImportFileError(f"Unknown import kind {kind!r}; use one of {', '.join(KINDS)}.")
    p = Path(path).expanduser()
    notes: list[str] = []
    if p.suffix.lower() in (".xlsx", ".xlsm"):
        columns, records, sheet = _xlsx(p)
        notes.append(f"read the sheet {sheet!r}")
    else:
        text, encoding = _decode(p)
        if encoding != "UTF-8":
            notes.append(f"read as {encoding} text")
        columns, records = _records(p, text, kind)
        if p.suffix.lower() not in (".json", ".jsonl", ".ndjson") and text.lstrip()[:1] not in "[{":
            sep = sniff_delimiter(text)
            if sep != ",":
                notes.append(f"fields separated by {dict(zip(DELIMITERS, ('commas', 'semicolons', 'tabs', 'bars'), strict=True))[sep]}")
    if columns:
        _check_columns(p, kind, columns)
    spec = _KINDS[kind]
    refs = _Refs(db)
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds")
    good: list[tuple[Any, ...]] = []
    rejected: list[RejectedRow] = []
    seen: dict[str, str] = {}
    total = 0
    for where, row in records:
        total += 1
        if "__error__" in row:
            rejected.append(RejectedRow(where, str(row["__error__"])))
            continue
        try:
            values = _convert(kind, row, refs, region, now)
        except RowError as e:
            problems = tuple(_row_problems(kind, row, refs, region)) or (Problem(None, None, str(e)),)
            rejected.append(RejectedRow(where, str(e), problems))
            continue
        ext = values[0]
        if ext in seen:
            rejected.append(RejectedRow(where, f"external_id {ext!r} already appears on {seen[ext]}"))
            continue
        seen[ext] = where
        good.append(values)
    if total == 0:
        raise ImportFileError(f"{p.name} has no {kind} rows.")
    if not columns:
        raise ImportFileError(f"{p.name} has no named fields.")

    cols = spec.columns
    updatable = [c for c in cols if c not in ("external_id", "created_at", "customer_since")]
    placeholders = ["COALESCE(?, date('now'))" if c == "customer_since" else "?" for c in cols]
    sql = (
        f"INSERT INTO {spec.table} ({', '.join(cols)}) VALUES ({', '.join(placeholders)})"
        f" ON CONFLICT(external_id) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in updatable)}"
    )
    if kind == "customers":
        # A new customer without customer_since starts today; on update a missing one keeps the old date.
        sql += ", customer_since = COALESCE(?, customer_since)"
    existing = {
        r[0]
        for r in db.execute(f"SELECT external_id FROM {spec.table} WHERE external_id IS NOT NULL").fetchall()
    }
    updated = sum(1 for v in good if v[0] in existing)
    if good:
        with db.atomic():
            db.conn.executemany(sql, good)
    return ImportReport(kind, str(p), total, len(good) - updated, updated, tuple(rejected), tuple(notes))
