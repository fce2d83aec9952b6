"""How long a softphone's ``agent-assist call/answer/hangup`` waits on the window's local channel.

A child process plays the window: a Qt event loop whose GUI thread is kept busy (pure-Python work in
slices of ``--busy-ms``, back to the loop for a moment between slices, as a window painting a heavy card
would be) with the real :class:`InstanceServer` listening. Beside it, in the same child, a bare Unix-socket
echo server on a plain thread: connect, one line in, one line out, close. That is the floor: the least any
local-socket round trip can cost on this machine at this moment.

The parent interleaves ``--n`` calls of ``send_event`` (validate, queue, acknowledge) with ``--n`` bare round
trips, so both see the same load. Printed: p50/p95/max of each, the share of events under 50 ms, and that
every event reached the busy window. The last line is ``ratio <send_event p50 / bare p50>``.

    .venv/bin/python bench/event_latency.py [--n 300] [--busy-ms 200]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agent_assist.telephony.events import CallEvent, CallEventKind  # noqa: E402
from agent_assist.ui.single_instance import send_event, server_name  # noqa: E402

WINDOW = textwrap.dedent("""
    import os, socket, sys, threading, time
    from PySide6.QtCore import QCoreApplication, QTimer
    from agent_assist.ui.single_instance import InstanceServer
    name, bare, busy_ms, n = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
    app = QCoreApplication([])
    server = InstanceServer(name)
    assert server.listen().value == "listening"
    got = []
    server.event_received.connect(lambda ev: got.append(ev.call_id))

    def echo():
        s = socket.socket(socket.AF_UNIX)
        s.bind(bare)
        s.listen(64)
        while True:
            c, _ = s.accept()
            f = c.makefile("rb")
            line = f.readline()
            if line.strip() == b"quit":
                c.close()
                return
            c.sendall(b'{"ok": true}\\n')
            c.close()

    threading.Thread(target=echo, daemon=True).start()

    def busy():
        end = time.perf_counter() + busy_ms / 1000
        x = 0
        while time.perf_counter() < end:
            x += 1

    timer = QTimer()
    timer.setInterval(1)
    timer.timeout.connect(busy)
    timer.start()
    done = QTimer()
    start = time.monotonic()
    print("ready", flush=True)

    def check():
        # every event acknowledged must reach the window; give the busy loop 30 s to hand them over
        if os.path.exists(name + ".done") and (len(got) >= n or time.monotonic() - start > 30):
            timer.stop()
            print(len(got), flush=True)
            server.close()
            app.quit()

    done.timeout.connect(check)
    done.start(50)
    app.exec()
""")


def bare_round_trip(path: str) -> float:
    t = time.perf_counter()
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    s.sendall(b'{"cmd": "ring", "call_id": "x", "caller": "+15551234567"}\n')
    buf = b""
    while b"\n" not in buf:
        buf += s.recv(4096)
    s.close()
    return (time.perf_counter() - t) * 1000


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--busy-ms", type=float, default=200.0)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("XDG_RUNTIME_DIR", tmp)
        name = server_name(Path(tmp) / "bench.db")
        bare = str(Path(name).parent / "bare.sock")
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
        child = subprocess.Popen([sys.executable, "-c", WINDOW, name, bare, str(args.busy_ms), str(args.n)],
                                 stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
        try:
            assert child.stdout is not None
            if child.stdout.readline().strip() != "ready":
                print("the window process did not start", file=sys.stderr)
                return 1
            events: list[float] = []
            floor: list[float] = []
            failed = 0
            for i in range(args.n):
                t = time.perf_counter()
                r = send_event(name, CallEvent(CallEventKind.RING, call_id=f"b{i}", caller="+15551234567"))
                events.append((time.perf_counter() - t) * 1000)
                failed += not r.ok
                floor.append(bare_round_trip(bare))
            Path(name + ".done").write_text("")
            delivered = int(child.stdout.readline().strip() or 0)
            with socket.socket(socket.AF_UNIX) as q:
                q.connect(bare)
                q.sendall(b"quit\n")
            child.wait(timeout=30)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()

    under = sum(1 for x in events if x <= 50.0) / len(events)
    print(json.dumps({"n": args.n, "busy_ms": args.busy_ms, "refused": failed, "delivered": delivered}))
    print(f"send_event ms  p50 {statistics.median(events):6.2f}  p95 {pct(events, 95):6.2f}  "
          f"max {max(events):6.2f}  (window busy in {args.busy_ms:.0f} ms slices)")
    print(f"bare socket ms p50 {statistics.median(floor):6.2f}  p95 {pct(floor, 95):6.2f}  "
          f"max {max(floor):6.2f}")
    print(f"events answered within 50 ms: {under:.1%}; delivered to the window: {delivered}/{args.n}")
    print(f"ratio {statistics.median(events) / statistics.median(floor):.2f}")
    return 0 if failed == 0 and delivered == args.n else 1


if __name__ == "__main__":
    sys.exit(main())
