"""Live coach latency: from the end of a spoken agent sentence to its flags on the coach panel.

A two-party call (festival HTS agent, espeak-ng customer; sentences of ``bench/speech.py``) is replayed in
real time through the live path the app uses during a call — capture -> VAD on the audio lane -> talk
tracker and meter; LiveSpeech (cutter, pocketsphinx on its own thread) -> spaCy on the nlp lane -> the
panel. Latency = when the panel showed the sentence minus when its last word was played (replay clock).
Baseline in the same run: the floor of a live path that decodes each utterance after it ended (what the
app did before it streamed the agent's speech into the recogniser): the VAD's end-of-speech hangover
(``VadSettings.min_silence_s``) plus a bare pocketsphinx Decoder's time on the whole sentence. Last line:
``ratio`` = p95 latency / p95 of that floor; below 1 the streaming path beats it (the target is p95
latency <= 1.5 s).

    .venv/bin/python bench/speech_latency.py
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from speech import SENTENCES, speak  # noqa: E402

TARGET_S = 1.5


def bare_floor(rate: int = 16000) -> list[float]:
    from pocketsphinx import Decoder

    from agent_assist.audio.recognition.pocketsphinx_engine import decoder_config, model_files
    from agent_assist.audio.vad import VadSettings

    dec = Decoder(**decoder_config(model_files()))
    out = []
    for s in SENTENCES[:8]:
        x, r = speak(s, "festival")
        y = np.round(soxr.resample(x, r, rate) * 32767).astype(np.int16).tobytes()
        t = time.perf_counter()
        dec.start_utt()
        dec.process_raw(y, False, True)
        dec.end_utt()
        out.append(VadSettings().min_silence_s + time.perf_counter() - t)
    return sorted(out)


def build_call(path: Path, rate: int = 16000) -> float:
    agent_lines = SENTENCES[:8]
    a_parts, c_parts, t = [], [], 0.5
    for i, s in enumerate(agent_lines):
        x, r = speak(s, "festival")
        a_parts.append((t, soxr.resample(x, r, rate)))
        t += len(a_parts[-1][1]) / rate + 1.0
        if i % 2 == 0:
            y, r2 = speak("okay i see", "espeak")
            c_parts.append((t, soxr.resample(y, r2, rate)))
            t += len(c_parts[-1][1]) / rate + 1.0
    n = int((t + 1.5) * rate)
    ch = [np.zeros(n, np.float32), np.zeros(n, np.float32)]
    for k, parts in enumerate((a_parts, c_parts)):
        for start, x in parts:
            i = int(start * rate)
            ch[k][i:i + len(x)] += x
    sf.write(str(path), np.stack(ch, axis=1), rate)
    return n / rate


def main() -> int:
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv)
    from agent_assist.audio.live import LiveSource, ReplayCapture
    from agent_assist.settings import Settings
    from agent_assist.store import calls
    from agent_assist.store.db import connect
    from agent_assist.ui.common.services import Services
    from agent_assist.ui.desk.coach_panel import PhrasingPanel
    from agent_assist.ui.desk.focus_shots import wait_until
    from agent_assist.ui.desk.live_coach import LiveCoach
    from agent_assist.ui.desk.live_listening import LiveListening

    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "call.wav"
        length = build_call(wav)
        db = connect(Path(tmp) / "b.db")
        db["agents"].insert({"id": 1, "name": "Bench"})
        cid = calls.start_call(db, agent_id=1, customer_id=None)
        db.close()
        services = Services(Settings(), Path(tmp) / "b.db")
        caps: list[ReplayCapture] = []

        def factory(ctl: LiveListening) -> LiveSource:
            cap = ReplayCapture(wav, speed=1.0)
            caps.append(cap)
            return LiveSource(cap, runner=ctl.run_on_audio_lane)

        listening = LiveListening(services, source_factory=factory)
        panel = PhrasingPanel(services)
        coach = LiveCoach(services, listening, panel)
        wait_until(lambda: panel.ready, 180)
        shown: list[tuple[float, float]] = []  # (utterance end on the replay clock, wall time shown)
        coach.shown.connect(lambda u, _f, _l: shown.append((u.end, time.monotonic())))
        services.active_call_changed.emit(cid)
        wait_until(lambda: coach.speech is not None and coach.speech.state == "listening", 60)
        t0 = caps[0]._t0
        wait_until(lambda: caps[0].done, length + 60)
        wait_until(lambda: len(shown) >= 8 or services.tasks.pending == 0, 60)
        speech = coach.speech
        services.active_call_changed.emit(0)
        wait_until(lambda: not listening.listening and services.tasks.pending == 0, 60)
        coach.shutdown()
        services.close()
    lat = sorted(w - (t0 + end) for end, w in shown)
    if not lat:
        print("nothing was shown")
        return 1
    def p95(xs: list[float]) -> float:
        return xs[min(len(xs) - 1, round(0.95 * (len(xs) - 1)))]

    floor = bare_floor()
    decode = speech.decode_s / max(speech.decoded, 1) if speech is not None else float("nan")
    print(f"{len(lat)} agent sentences shown; latency from the last word to the panel: "
          f"p50 {statistics.median(lat):.2f} s, p95 {p95(lat):.2f} s, max {lat[-1]:.2f} s "
          f"(target p95 <= {TARGET_S} s; decode CPU {decode:.2f} s per sentence, "
          f"{speech.streamed if speech else 0} of {len(lat)} decoded while spoken)")
    print(f"floor (VAD hangover + bare pocketsphinx decode of the whole sentence): p50 {statistics.median(floor):.2f} s, "
          f"p95 {p95(floor):.2f} s")
    print(f"ratio {p95(lat) / p95(floor):.3f}")
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
