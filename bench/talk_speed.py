"""Speed of the recording analysis: a one-hour stereo 8 kHz call.

Compares ``audio.analysis.analyze_file`` (read the file, per-party noise tracking, gating, bleed
detection, Silero VAD confirmed by webrtcvad, hangover, segments) with the bare detectors it uses: a
loop that feeds every 32 ms chunk of both channels to the Silero ONNX model and every 30 ms frame to
webrtcvad, and does nothing else. Also measures the live pipeline's CPU time per second of audio (the StereoVad fed in
200 ms blocks at 16 kHz, the TalkTracker updated and read as the live meter does) as % of one core.

    .venv/bin/python bench/talk_speed.py
Last line: ``ratio <analyze time / bare VAD time>`` (target <= 1.3).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import webrtcvad

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from agent_assist.audio.analysis import analyze_file  # noqa: E402
from agent_assist.audio.vad import SileroModel, StereoVad, VadSettings  # noqa: E402
from agent_assist.coach.talk import AGENT, CUSTOMER, TalkTracker, analyze  # noqa: E402
from tests.audio.callgen import dialogues, make_call, random_line  # noqa: E402

CACHE = Path(__file__).resolve().parent / ".cache"
HOUR = CACHE / "hour_8k_line.wav"
RATE = 8000


def hour_call() -> Path:
    if HOUR.exists():
        return HOUR
    CACHE.mkdir(parents=True, exist_ok=True)
    parts_a, parts_c, total = [], [], 0
    ds = dialogues()
    i = 0
    while total < 3600 * RATE:
        seed = 9000 + i
        line = random_line(np.random.default_rng(seed), (8.0, 30.0))
        c = make_call(ds[i % len(ds)], seed, RATE, line, CACHE / "callgen")
        parts_a.append(c.agent)
        parts_c.append(c.customer)
        total += len(c.agent)
        i += 1
    a = np.concatenate(parts_a)[: 3600 * RATE]
    c = np.concatenate(parts_c)[: 3600 * RATE]
    tmp = HOUR.with_suffix(".tmp.wav")
    sf.write(str(tmp), np.stack([a, c], axis=1), RATE, subtype="PCM_16")
    tmp.rename(HOUR)
    return HOUR


def bare_vad(agent: np.ndarray, customer: np.ndarray, settings: VadSettings) -> int:
    flen = RATE * settings.frame_ms // 1000
    speech = 0
    for x in (agent, customer):
        vad = webrtcvad.Vad(settings.aggressiveness)
        data = x.tobytes()
        step = flen * 2
        for i in range(0, len(data) - step + 1, step):
            speech += vad.is_speech(data[i:i + step], RATE)
        if settings.detector != "webrtc":
            model = SileroModel(RATE)
            c = model.chunk
            xf = x.astype(np.float32) / 32768.0
            for i in range(0, len(xf) - c + 1, c):
                speech += model.prob(xf[i:i + c]) > 0.5
    return speech


def live_cpu(agent: np.ndarray, customer: np.ndarray, seconds: int = 600) -> float:
    """CPU seconds per audio second of the live path (16 kHz blocks of 200 ms), as % of one core."""
    import soxr

    a = soxr.resample(agent[: seconds * RATE], RATE, 16000).astype(np.int16)
    c = soxr.resample(customer[: seconds * RATE], RATE, 16000).astype(np.int16)
    vad = StereoVad(16000, max_open_s=1.0)
    tracker = TalkTracker()
    block = 16000 // 5
    began = time.process_time()
    for n, i in enumerate(range(0, len(a), block)):
        for g in vad.feed(a[i:i + block], c[i:i + block]):
            tracker.add(g)
        for p in (AGENT, CUSTOMER):
            tracker.mark_time(p, vad.open_start(p))
        if n % 3 == 0:  # the meter refreshes at most twice a second
            tracker.metrics(vad.position_s)
            tracker.window_metrics(vad.position_s)
    used = time.process_time() - began
    return 100 * used / seconds


def main() -> int:
    path = hour_call()
    settings = VadSettings()
    data, rate = sf.read(str(path), dtype="int16")
    agent, customer = np.ascontiguousarray(data[:, 0]), np.ascontiguousarray(data[:, 1])
    del data
    print(f"call: {path.name}, {len(agent) / rate / 60:.0f} min stereo at {rate} Hz")

    best_bare = best_ours = float("inf")
    for _ in range(2):
        t = time.perf_counter()
        bare_vad(agent, customer, settings)
        best_bare = min(best_bare, time.perf_counter() - t)
        t = time.perf_counter()
        segs, dur = analyze_file(path)
        best_ours = min(best_ours, time.perf_counter() - t)
    m = analyze(segs, dur)
    print(f"bare detectors ({settings.detector}: Silero chunks + webrtcvad frames), both channels: "
          f"{best_bare:6.2f} s")
    print(f"analyze_file (read + VAD + segments): {best_ours:6.2f} s  "
          f"({len(segs)} segments, talk ratio {m.talk_ratio:.1%})")
    cpu = live_cpu(agent, customer)
    print(f"live pipeline CPU: {cpu:.2f}% of one core for both channels, {cpu / 2:.2f}% per channel "
          "(target < 5% per channel)")
    print(f"ratio {best_ours / best_bare:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
