"""Screen-pop speed: the store API against hand-written SQL on raw sqlite3, and GUI start-up.

Builds (once; cached in bench/.cache/) a database of 100,000 customers, ~2,000,000 interactions and
~200,000 issues, then times 1,000 random screen pops by phone number in the format it is stored in:

* ring: ``workflows.calls.ring(db, CallEvent(RING, id, number))``, what the window runs for a ring: parse the
  caller once, look the customer up once, record the ringing call (one committed transaction), build the
  CallerCard. The calls it records are deleted afterwards;
* floor: the same number normalised with the same phonenumbers calls, the ringing call recorded with one
  hand-written INSERT and commit, then the same data (customer, last 50 interactions+orders, open and
  last-year issues, two years of contact/order times, first order, open tasks) fetched with hand-written
  SQL on a raw ``sqlite3`` connection (same WAL/synchronous settings), rows left as tuples.

The two are interleaved number by number so both see the same page cache. Then the GUI start-up time
(``agent-assist --measure-startup``, which prints ``startup_ms``) against a bare PySide6 window started the
same way. The last line is ``ratio <ring p50 / floor p50>`` (target <= 1.5).

    .venv/bin/python bench/screen_pop.py [--pops 1000] [--customers 100000] [--rebuild]
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import phonenumbers

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agent_assist.store import demo, queries  # noqa: E402
from agent_assist.store.db import connect  # noqa: E402
from agent_assist.telephony.events import CallEvent, CallEventKind  # noqa: E402
from agent_assist.workflows import calls as call_flow  # noqa: E402

CACHE = ROOT / "bench" / ".cache"
TODAY = date(2026, 11, 23)  # fixed, so the cached database matches every run

# Measured exactly like the app's --measure-startup: from the kernel's process start time to the first
# paint of the window (the app waits for the first painted caller card with data).
BARE_WINDOW = r"""
import os, time
def elapsed_ms():
    with open("/proc/self/stat", "rb") as f:
        fields = f.read().rsplit(b")", 1)[1].split()
    start = int(fields[19]) / os.sysconf("SC_CLK_TCK")
    return (time.clock_gettime(time.CLOCK_BOOTTIME) - start) * 1000.0
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow
class W(QMainWindow):
    def __init__(self):
        super().__init__()
        self.setCentralWidget(QLabel("caller card"))
        self.resize(1200, 800)
        self._done = False
    def paintEvent(self, e):
        super().paintEvent(e)
        if not self._done:
            self._done = True
            print(f"startup_ms {elapsed_ms():.0f}", flush=True)
            QTimer.singleShot(0, QApplication.quit)
app = QApplication(sys.argv[:1])
w = W()
w.show()
app.exec()
"""


def pct(xs: list[float], p: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


def ensure_db(path: Path, customers: int, rebuild: bool) -> None:
    if path.exists() and not rebuild:
        print(f"database: reusing {path.relative_to(ROOT)}")
        return
    CACHE.mkdir(parents=True, exist_ok=True)
    print(f"database: building {customers:,} customers (once; cached) ...", flush=True)
    t = time.perf_counter()
    last = [0.0]

    def progress(what: str, frac: float) -> None:
        if frac - last[0] >= 0.1 or frac >= 1.0:
            last[0] = frac
            print(f"  {what} {frac:.0%}", flush=True)

    counts = demo.build_demo_file(
        path, customers=customers, seed=1234, today=TODAY, progress=progress,
        interactions_per_customer=20.0, issues_per_customer=2.0, orders_per_customer=5.0,
    )
    print(f"  built in {time.perf_counter() - t:.1f} s: {counts}")


FLOOR_CUSTOMER = (
    "SELECT id, name, email, phone, phone_e164, customer_since, preferred_channel, preferred_hours,"
    " city, segment, notes, external_id FROM customers WHERE phone_e164 = ? LIMIT 1"
)
FLOOR_HISTORY = (
    "SELECT at, kind, direction, summary, amount FROM ("
    " SELECT at, channel AS kind, direction, summary, NULL AS amount FROM interactions"
    " WHERE customer_id = ?1 ORDER BY at DESC LIMIT 50)"
    " UNION ALL SELECT * FROM (SELECT at, 'order', NULL, item, amount FROM orders"
    " WHERE customer_id = ?1 ORDER BY at DESC LIMIT 50) ORDER BY at DESC LIMIT 50"
)
FLOOR_ISSUES = (
    "SELECT id, customer_id, title, status, severity, opened_at, resolved_at, reopen_count, target_hours"
    " FROM issues WHERE customer_id = ? AND (status = 'open' OR opened_at >= ?) ORDER BY opened_at"
)
FLOOR_TIMES = (
    "SELECT 'o', at FROM orders WHERE customer_id = ?1 AND at >= ?2"
    " UNION ALL SELECT 'i', at FROM interactions WHERE customer_id = ?1 AND at >= ?2"
    " UNION ALL SELECT 'f', min(at) FROM orders WHERE customer_id = ?1 ORDER BY 2 DESC"
)
FLOOR_TASKS = (
    "SELECT id, kind, text, due_at, channel, created_at, call_id, done FROM tasks"
    " WHERE customer_id = ? AND done = 0 ORDER BY COALESCE(due_at, created_at)"
)


FLOOR_RING = (
    "INSERT INTO calls (agent_id, customer_id, phone_e164, kind, source, status, started_at, rang_at, call_ref,"
    " flags_count) VALUES (1, ?, ?, 'call', 'live', 'ringing', ?, ?, ?, 0)"
)


def floor_pop(conn: sqlite3.Connection, raw: str, year_ago: str, two_years_ago: str,
              ref: str = "") -> tuple[object, ...]:
    num = phonenumbers.parse(raw, "US")
    e164 = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)
    cust = conn.execute(FLOOR_CUSTOMER, (e164,)).fetchone()
    cid = cust[0]
    if ref:
        now = time.strftime("%Y-%m-%dT%H:%M:%S")
        conn.execute(FLOOR_RING, (cid, e164, now, now, ref))
        conn.commit()
    return (
        cust,
        conn.execute(FLOOR_HISTORY, (cid,)).fetchall(),
        conn.execute(FLOOR_ISSUES, (cid, year_ago)).fetchall(),
        conn.execute(FLOOR_TIMES, (cid, two_years_ago)).fetchall(),
        conn.execute(FLOOR_TASKS, (cid,)).fetchall(),
    )


def bench_pops(path: Path, pops: int) -> tuple[list[float], list[float]]:
    raw = sqlite3.connect(str(path))
    raw.execute("PRAGMA synchronous = NORMAL")  # what the store's connection uses (WAL mode)
    n = raw.execute("SELECT max(id) FROM customers").fetchone()[0]
    rng = random.Random(42)
    ids = [rng.randint(1, n) for _ in range(pops)]
    numbers = [raw.execute("SELECT phone FROM customers WHERE id = ?", (i,)).fetchone()[0] for i in ids]
    db = connect(path)
    now = queries.reference_time(TODAY)
    year_ago = (now - timedelta(days=365)).isoformat(timespec="seconds")
    two_years_ago = (now - timedelta(days=730)).isoformat(timespec="seconds")
    def ring(k: int, number: str) -> object:
        event = CallEvent(CallEventKind.RING, f"bench-{k}", number)
        return call_flow.ring(db, event, agent_id=1, today=TODAY).card

    for k, number in enumerate(numbers[:100]):  # warm up both paths and the page cache
        ring(-k - 1, number)
        floor_pop(raw, number, year_ago, two_years_ago, f"bench-floor-{k}")
    store_t: list[float] = []
    floor_t: list[float] = []
    clock = time.perf_counter
    for k, number in enumerate(numbers):
        for which in ((0, 1) if k % 2 else (1, 0)):  # alternate who goes first
            t = clock()
            if which == 0:
                card = ring(k, number)
                store_t.append(clock() - t)
                assert card is not None
            else:
                floor_pop(raw, number, year_ago, two_years_ago, f"bench-floor-{k}")
                floor_t.append(clock() - t)
    with db.atomic():
        db.execute("DELETE FROM calls WHERE call_ref LIKE 'bench-%'")
    db.close()
    raw.close()
    return store_t, floor_t


def startup(cmd: list[str], env: dict[str, str], runs: int = 3) -> float | None:
    values = []
    for _ in range(runs):
        try:
            out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            return None
        line = next((ln for ln in out.stdout.splitlines() if ln.startswith("startup_ms ")), None)
        if out.returncode != 0 or line is None:
            return None
        values.append(float(line.split()[1]))
    return statistics.median(values)


def bench_startup() -> None:
    small = CACHE / "startup_2000.db"
    if not small.exists():
        # What the app builds on first run (customers and history plus demo calls).
        from agent_assist.workflows.demo import build_demo_file

        build_demo_file(small, customers=2000, seed=1234, today=TODAY)
    env = dict(os.environ)
    if not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
    app: list[float] = []
    bare: list[float] = []
    for _ in range(3):  # interleaved, so both see the same machine load and file cache
        a = startup([sys.executable, "-m", "agent_assist", "--measure-startup", "--db", str(small)], env, 1)
        b = startup([sys.executable, "-c", BARE_WINDOW], env, 1)
        if a is not None:
            app.append(a)
        if b is not None:
            bare.append(b)
    if app:
        print(f"startup: app first painted caller card {statistics.median(app):.0f} ms (median of {len(app)})")
    else:
        print("startup: app --measure-startup not available (no startup_ms line)")
    if bare:
        print(f"startup: bare PySide6 window           {statistics.median(bare):.0f} ms (median of {len(bare)})")
    if app and bare:
        print(f"startup: app / bare = {statistics.median(app) / statistics.median(bare):.2f}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pops", type=int, default=1000)
    ap.add_argument("--customers", type=int, default=100_000)
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--no-startup", action="store_true")
    args = ap.parse_args()
    path = CACHE / f"screen_pop_{args.customers}.db"
    ensure_db(path, args.customers, args.rebuild)
    conn = sqlite3.connect(str(path))
    sizes = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
             for t in ("customers", "interactions", "orders", "issues")}
    conn.close()
    print("rows: " + ", ".join(f"{k} {v:,}" for k, v in sizes.items()))
    store_t, floor_t = bench_pops(path, args.pops)
    ms = 1000.0
    print(f"ring (workflows.calls.ring):     p50 {statistics.median(store_t) * ms:.3f} ms"
          f"  p95 {pct(store_t, 95) * ms:.3f} ms  ({len(store_t)} pops)")
    print(f"floor (raw sqlite3, same data):  p50 {statistics.median(floor_t) * ms:.3f} ms"
          f"  p95 {pct(floor_t, 95) * ms:.3f} ms  ({len(floor_t)} pops)")
    if not args.no_startup:
        bench_startup()
    print(f"ratio {statistics.median(store_t) / statistics.median(floor_t):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
