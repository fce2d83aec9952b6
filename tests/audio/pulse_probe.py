"""Run the app's live source (QtMultimedia) against whatever sound server PULSE_SERVER names, for a
given time, and print what it heard as JSON. Used by test_live_pulse.py in a separate process so the
Qt audio backend connects to the test's private PulseAudio server (Qt keeps one connection per process).

    python -m tests.audio.pulse_probe --agent agent_in --customer customer_in --seconds 20
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from PySide6.QtCore import QCoreApplication, QTimer


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--agent", required=True)
    ap.add_argument("--customer", required=True)
    ap.add_argument("--seconds", type=float, required=True)
    args = ap.parse_args()
    app = QCoreApplication(sys.argv)

    from agent_assist.audio.errors import AudioError
    from agent_assist.audio.live import LiveSource, input_devices
    from agent_assist.coach.talk import TalkTracker

    # the device list arrives asynchronously from the server: wait for both inputs to be listed
    for _ in range(100):
        app.processEvents()
        ids = {i for i, _d in input_devices()}
        if {args.agent, args.customer} <= ids:
            break
        QTimer.singleShot(50, app.quit)
        app.exec()
    tracker = TalkTracker()
    began = [0.0, 0.0]
    out: dict[str, object] = {"error": None, "inputs": [d for _i, d in input_devices()]}
    try:
        source = LiveSource.from_settings(args.agent, args.customer, False)
    except AudioError as e:
        print(json.dumps({"error": f"setup: {e}", **out}))
        return 0

    def segments(segs: list) -> None:
        for g in segs:
            tracker.add(g)

    def failed(msg: str) -> None:
        out["error"] = msg

    def finished() -> None:
        wall = time.monotonic() - began[1]
        cpu = time.process_time() - began[0]
        m = tracker.metrics(source.read().duration_s)
        # CPU of the whole process (all threads: Qt's audio threads, the VAD, the tracker) while listening
        out.update(cpu_pct=100 * cpu / wall if wall > 0 else None,
                   metrics=m.to_dict(), position_s=source.read().duration_s,
                   segments=[[g.party, g.start, g.end] for g in tracker.segments()])
        print(json.dumps(out), flush=True)
        app.quit()

    source.segments_closed.connect(segments)
    source.failed.connect(failed)
    source.finished.connect(finished)
    try:
        source.start()
    except AudioError as e:
        print(json.dumps({**out, "error": f"start: {e}"}))
        return 0
    began[:] = [time.process_time(), time.monotonic()]
    print("READY", flush=True)
    QTimer.singleShot(int(args.seconds * 1000), source.stop)
    app.exec()
    return 0


if __name__ == "__main__":
    sys.exit(main())
