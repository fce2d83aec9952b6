"""Talk-ratio accuracy on generated two-party calls with known ground truth.

Real dialogue text (``../shared/corpus/dialogues.jsonl``) is spoken by espeak-ng with two different voices,
agent on the left channel and customer on the right, placed with random gaps, overlaps and backchannels,
with echo bleed of one party into the other channel and line noise at 30/20/12 dB SNR, at 8 and 16 kHz.
The ground truth is the placement of each (trimmed) utterance.

Reported: the talk-ratio error in percentage points (mean and worst) per noise level, for this project's
analysis and for a plain energy-threshold detector, on a *report* set of dialogues distinct from the
*tuning* set that ``--tune`` searches VAD settings on. Last line: ``ratio <ours mean / energy mean>``.

    .venv/bin/python bench/talk_accuracy.py [--calls 12] [--tune]
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import random
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agent_assist.audio.analysis import analyze_arrays  # noqa: E402
from agent_assist.audio.vad import VadSettings  # noqa: E402
from agent_assist.coach.talk import AGENT, CUSTOMER, Segment, analyze  # noqa: E402

CACHE = Path(__file__).resolve().parent / ".cache" / "talk"
CORPUS = ROOT.parent / "shared" / "corpus" / "dialogues.jsonl"
VOICES = {AGENT: ("en-us", 165), CUSTOMER: ("en-gb+f3", 150)}
BACKCHANNELS = ["uh-huh", "mm-hmm", "okay", "right", "yes", "I see"]
SNRS = (30, 20, 12)
RATES = (8000, 16000)
SPEECH_LEVEL = 0.25  # peak level of the spoken voices (of full scale)


def speak(text: str, party: str) -> tuple[np.ndarray, int]:
    """espeak-ng speech (float32, trimmed of leading/trailing silence) and its rate, cached on disk."""
    voice, wpm = VOICES[party]
    key = hashlib.sha1(f"{voice}|{wpm}|{text}".encode()).hexdigest()[:16]
    path = CACHE / f"{key}.wav"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.wav")
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(wpm), "-w", str(tmp), text], check=True,
                       capture_output=True)
        tmp.rename(path)
    x, rate = sf.read(str(path), dtype="float32")
    loud = np.flatnonzero(np.abs(x) > 0.02)
    x = x[loud[0]:loud[-1] + 1] if len(loud) else x[:0]
    peak = float(np.abs(x).max()) if len(x) else 1.0
    return x * (SPEECH_LEVEL / peak), int(rate)


@dataclass
class Call:
    agent: np.ndarray
    customer: np.ndarray
    rate: int
    truth: list[Segment]


def dialogues() -> list[list[tuple[str, str]]]:
    out = []
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        turns = [(t["speaker"], t["text"].strip()) for t in d["turns"]
                 if t.get("speaker") in (AGENT, CUSTOMER) and t.get("text", "").strip()]
        if len(turns) >= 6:
            out.append(turns[:12])
    return out


def make_call(turns: list[tuple[str, str]], rate: int, snr_db: float, seed: int) -> Call:
    """Place the turns on two channels with gaps, overlaps, backchannels, echo bleed and noise."""
    rng = random.Random(seed)
    placed: list[tuple[str, float, np.ndarray]] = []
    t = rng.uniform(0.3, 1.5)
    prev_start, prev_end = 0.0, 0.0
    for party, text in turns:
        x, r = speak(text[:400], party)
        if not len(x):
            continue
        x = soxr.resample(x, r, rate, quality="HQ").astype(np.float32)
        dur = len(x) / rate
        roll = rng.random()
        if placed and roll < 0.2:  # talk over the end of the previous turn
            start = max(prev_start + 0.5, prev_end - rng.uniform(0.3, 1.5))
        elif roll < 0.3:  # a long pause
            start = prev_end + rng.uniform(3.5, 6.0)
        else:
            start = prev_end + rng.uniform(0.2, 1.5)
        placed.append((party, start, x))
        # the listener says "uh-huh" during a long turn
        if dur > 3.0 and rng.random() < 0.5:
            other = CUSTOMER if party == AGENT else AGENT
            b, br = speak(rng.choice(BACKCHANNELS), other)
            b = soxr.resample(b, br, rate, quality="HQ").astype(np.float32)
            placed.append((other, start + rng.uniform(1.0, dur - 1.5), b))
        prev_start, prev_end = start, max(prev_end, start + dur)
        t = prev_end
    n = int((t + rng.uniform(1.0, 2.0)) * rate)
    ch = {AGENT: np.zeros(n, np.float32), CUSTOMER: np.zeros(n, np.float32)}
    truth = []
    for party, start, x in placed:
        i = int(start * rate)
        ch[party][i:i + len(x)] += x[: n - i]
        truth.append(Segment(party, i / rate, (i + len(x)) / rate))
    # echo bleed: one party leaks into the other's channel, delayed and 18-26 dB down
    src = rng.choice((AGENT, CUSTOMER))
    dst = CUSTOMER if src == AGENT else AGENT
    delay = int(rng.uniform(0.02, 0.08) * rate)
    gain = 10 ** (-rng.uniform(18, 26) / 20)
    bleed = np.zeros(n, np.float32)
    bleed[delay:] = ch[src][: n - delay] * gain
    nrng = np.random.default_rng(seed)
    out = {}
    for p, x in ch.items():
        active = np.abs(x) > 0.01
        speech_power = float(np.mean(x[active] ** 2)) if active.any() else 1e-4
        noise = nrng.normal(0, np.sqrt(speech_power / 10 ** (snr_db / 10)), n).astype(np.float32)
        # line noise is band-limited: a little low-pass colouring
        noise = np.convolve(noise, np.ones(3, np.float32) / np.sqrt(3), mode="same")
        y = x + noise + (bleed if p == dst else 0)
        out[p] = np.clip(np.round(y * 32767), -32768, 32767).astype(np.int16)
    return Call(out[AGENT], out[CUSTOMER], rate, truth)


def energy_segments(agent: np.ndarray, customer: np.ndarray, rate: int,
                    threshold_dbfs: float = -40.0) -> list[Segment]:
    """The baseline: a frame is speech when its energy is above a fixed threshold (30 ms frames)."""
    flen = rate * 30 // 1000
    segs = []
    for party, x in ((AGENT, agent), (CUSTOMER, customer)):
        n = len(x) // flen
        f = x[: n * flen].reshape(n, flen).astype(np.float64) / 32768
        db = 10 * np.log10(np.mean(f * f, axis=1) + 1e-12)
        on = db > threshold_dbfs
        start = None
        for i, v in enumerate([*on.tolist(), False]):
            if v and start is None:
                start = i
            elif not v and start is not None:
                segs.append(Segment(party, start * 0.03, i * 0.03))
                start = None
    return segs


def ratio_error(segs: list[Segment], truth: list[Segment]) -> float:
    ours = analyze(segs).talk_ratio or 0.0
    true = analyze(truth).talk_ratio or 0.0
    return abs(ours - true) * 100


def run_set(calls: list[tuple[list[tuple[str, str]], int]], settings: VadSettings,
            with_energy: bool = True) -> dict[int, tuple[list[float], list[float]]]:
    res: dict[int, tuple[list[float], list[float]]] = {}
    for snr in SNRS:
        ours, energy = [], []
        for (turns, seed), rate in itertools.product(calls, RATES):
            c = make_call(turns, rate, snr, seed * 7 + snr)
            ours.append(ratio_error(analyze_arrays(c.agent, c.customer, c.rate, settings), c.truth))
            if with_energy:
                energy.append(ratio_error(energy_segments(c.agent, c.customer, c.rate), c.truth))
        res[snr] = (ours, energy)
    return res


def tune(calls: list[tuple[list[tuple[str, str]], int]]) -> VadSettings:
    base = VadSettings()
    best: tuple[float, VadSettings] | None = None
    grid = itertools.product((1, 2, 3), (0.3, 0.45, 0.6), (6.0, 9.0, 12.0), (9.0, 12.0, 15.0))
    for aggr, sil, gate, bleed in grid:
        s = replace(base, aggressiveness=aggr, min_silence_s=sil, gate_db=gate, bleed_db=bleed)
        res = run_set(calls, s, with_energy=False)
        worst_mean = max(statistics.mean(o) for o, _ in res.values())
        worst = max(max(o) for o, _ in res.values())
        score = worst_mean + 0.25 * worst
        print(f"  aggr={aggr} min_silence={sil} gate={gate} bleed={bleed}: "
              f"worst-level mean {worst_mean:.2f}, worst {worst:.2f}", flush=True)
        if best is None or score < best[0]:
            best = (score, s)
    assert best is not None
    print(f"best: {best[1]}")
    return best[1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=12, help="dialogues in the report set")
    ap.add_argument("--tune", action="store_true", help="search VAD settings on the tuning set first")
    args = ap.parse_args()
    ds = dialogues()
    rng = random.Random(2024)
    rng.shuffle(ds)
    tuning = [(d, 1000 + i) for i, d in enumerate(ds[:6])]
    report = [(d, 5000 + i) for i, d in enumerate(ds[6:6 + args.calls])]
    settings = tune(tuning) if args.tune else VadSettings()
    began = time.perf_counter()
    res = run_set(report, settings)
    print(f"talk-ratio error, percentage points; {len(report)} dialogues x {len(RATES)} rates "
          f"({', '.join(str(r) for r in RATES)} Hz) per noise level; echo bleed 18-26 dB in every call")
    print(f"{'SNR':>6} | {'ours mean':>9} {'ours worst':>10} | {'energy mean':>11} {'energy worst':>12}")
    all_ours, all_energy = [], []
    for snr, (ours, energy) in res.items():
        all_ours += ours
        all_energy += energy
        print(f"{snr:>4}dB | {statistics.mean(ours):9.2f} {max(ours):10.2f} | "
              f"{statistics.mean(energy):11.2f} {max(energy):12.2f}")
    ok = all(statistics.mean(o) <= 1.5 and max(o) <= 4.0 for o, _ in res.values())
    print(f"targets (mean <= 1.5, worst <= 4 on every level): {'met' if ok else 'NOT met'}; "
          f"{time.perf_counter() - began:.1f} s")
    print(f"ratio {statistics.mean(all_ours) / statistics.mean(all_energy):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
