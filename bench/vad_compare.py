"""Which voice-activity detector for phone lines: webrtcvad, Silero VAD (ONNX, onnxruntime) and TEN VAD,
alone and combined, on the talk benchmark's generated calls (``bench/talk_accuracy.py``), by SNR band.

Every detector gives a decision per 30 ms frame of each channel; the same hangover smoothing
(``audio.vad._Smoother``, min speech 0.15 s, min silence 0.45 s) turns them into segments, and the
talk-ratio error against the truth is reported (mean / worst, percentage points), with the frame
miss and false-alarm rates and each detector's CPU cost per channel (% of one core, real time).
No bleed rejection or noise tracking is applied here: this compares the bare detectors.

    .venv/bin/python bench/vad_compare.py [--calls 6] [--held-out]
Last line: ``ratio <chosen mean error / webrtcvad mean error>``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import soxr
import webrtcvad

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from talk_accuracy import calls  # noqa: E402

from agent_assist.audio.vad import SileroModel, _Smoother  # noqa: E402
from agent_assist.coach.talk import AGENT, CUSTOMER, Segment, analyze  # noqa: E402
from tests.audio.callgen import Call  # noqa: E402

FRAME_S = 0.03
cost: dict[str, list[float]] = {}  # detector -> CPU seconds per audio second


def _timed(name: str, audio_s: float, fn: Callable[[], np.ndarray]) -> np.ndarray:
    t = time.process_time()
    out = fn()
    cost.setdefault(name, []).append((time.process_time() - t) / audio_s)
    return out


def webrtc_flags(x: np.ndarray, rate: int, mode: int) -> np.ndarray:
    vad = webrtcvad.Vad(mode)
    flen = rate * 30 // 1000
    n = len(x) // flen
    data = x[: n * flen].tobytes()
    return np.array([vad.is_speech(data[i * flen * 2:(i + 1) * flen * 2], rate) for i in range(n)])


def to_frames(prob: np.ndarray, hop_s: float, n: int) -> np.ndarray:
    """Chunk probabilities on a ``hop_s`` grid -> the max over the chunks overlapping each 30 ms frame."""
    out = np.zeros(n, np.float32)
    for i in range(n):
        a, b = int(i * FRAME_S / hop_s), int(((i + 1) * FRAME_S - 1e-9) / hop_s)
        seg = prob[a:b + 1]
        out[i] = seg.max() if len(seg) else 0.0
    return out


def silero_probs(x: np.ndarray, rate: int) -> tuple[np.ndarray, float]:
    m = SileroModel(rate)
    c = m.chunk
    n = len(x) // c
    xf = x[: n * c].astype(np.float32) / 32768.0
    return np.array([m.prob(xf[i * c:(i + 1) * c]) for i in range(n)], np.float32), c / rate


def ten_available() -> bool:
    """TEN VAD (``pip install ten-vad``) loads a shared library that needs libc++1 (Debian)."""
    try:
        from ten_vad import TenVad

        TenVad(256, 0.5)
    except (ImportError, OSError, AttributeError):
        return False
    return True


def ten_probs(x: np.ndarray, rate: int) -> tuple[np.ndarray, float]:
    from ten_vad import TenVad

    y = x if rate == 16000 else soxr.resample(x, rate, 16000).astype(np.int16)
    v = TenVad(256, 0.5)
    n = len(y) // 256
    return np.array([v.process(np.ascontiguousarray(y[i * 256:(i + 1) * 256]))[0] for i in range(n)],
                    np.float32), 256 / 16000


def features(c: Call) -> dict[str, dict[str, np.ndarray]]:
    out: dict[str, dict[str, np.ndarray]] = {}
    for p, x in ((AGENT, c.agent), (CUSTOMER, c.customer)):
        dur = len(x) / c.rate
        w2 = _timed("webrtcvad", dur, lambda x=x: webrtc_flags(x, c.rate, 2))
        n = len(w2)
        w3 = webrtc_flags(x, c.rate, 3)
        sp, sh = _timed("silero", dur, lambda x=x: np.asarray(silero_probs(x, c.rate), dtype=object))
        out[p] = {"w2": w2, "w3": w3, "silero": to_frames(sp, float(sh), n)}
        if HAVE_TEN:
            tp, th = _timed("ten-vad", dur, lambda x=x: np.asarray(ten_probs(x, c.rate), dtype=object))
            out[p]["ten"] = to_frames(tp, float(th), n)
    return out


DETECTORS: dict[str, Callable[[dict[str, np.ndarray]], np.ndarray]] = {
    "webrtcvad mode 2": lambda f: f["w2"],
    "webrtcvad mode 3": lambda f: f["w3"],
    "silero p>0.5": lambda f: f["silero"] > 0.5,
    "silero p>0.3": lambda f: f["silero"] > 0.3,
    "ten-vad p>0.5": lambda f: f["ten"] > 0.5,
    "ten-vad p>0.3": lambda f: f["ten"] > 0.3,
    "webrtc2 AND silero>0.3": lambda f: f["w2"] & (f["silero"] > 0.3),
    "webrtc2 OR silero>0.5": lambda f: f["w2"] | (f["silero"] > 0.5),
    "silero>0.3 AND ten>0.3": lambda f: (f["silero"] > 0.3) & (f["ten"] > 0.3),
    "mean(silero, ten)>0.4": lambda f: (f["silero"] + f["ten"]) / 2 > 0.4,
}


HAVE_TEN = ten_available()
if not HAVE_TEN:
    print("TEN VAD is not available (pip install ten-vad; apt-get install libc++1): its rows are left out")
    DETECTORS = {k: v for k, v in DETECTORS.items() if "ten" not in k}


def segments(flags: dict[str, np.ndarray]) -> list[Segment]:
    out: list[Segment] = []
    for p, f in flags.items():
        sm = _Smoother(FRAME_S, 0.15, 0.45)
        closed: list[tuple[float, float]] = []
        sm.push(0, f.astype(bool), closed)
        sm.flush(closed)
        out += [Segment(p, s, e) for s, e in closed]
    return out


def truth_frames(c: Call, p: str, n: int) -> np.ndarray:
    t = np.zeros(n, bool)
    for g in c.truth:
        if g.party == p:
            t[int(g.start / FRAME_S):int(np.ceil(g.end / FRAME_S))] = True
    return t


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--calls", type=int, default=6, help="calls per SNR band")
    ap.add_argument("--held-out", action="store_true", help="use the held-out set (default: dev)")
    args = ap.parse_args()
    sets = calls("held-out" if args.held_out else "dev", args.calls)
    res: dict[str, dict[str, list[float]]] = {d: {} for d in DETECTORS}
    miss: dict[str, list[float]] = {d: [] for d in DETECTORS}
    fa: dict[str, list[float]] = {d: [] for d in DETECTORS}
    for band, cs in sets.items():
        for d in DETECTORS:
            res[d][band] = []
        for c in cs:
            feats = features(c)
            true = analyze(c.truth).talk_ratio or 0.0
            for d, fn in DETECTORS.items():
                flags = {p: fn(feats[p]) for p in feats}
                r = analyze(segments(flags)).talk_ratio or 0.0
                res[d][band].append(abs(r - true) * 100)
                for p, f in flags.items():
                    t = truth_frames(c, p, len(f))
                    miss[d].append(float((~f & t).sum() / max(1, t.sum())))
                    fa[d].append(float((f & ~t).sum() / max(1, (~t).sum())))
    bands = list(sets)
    print(f"talk-ratio error (points), mean/worst, {'held-out' if args.held_out else 'dev'} set, "
          f"{args.calls} calls per band; frame miss / false-alarm rates over all calls")
    print(f"| detector | {' | '.join(bands)} | all | miss | false alarm |")
    print("|---|" + "---|" * (len(bands) + 3))
    for d in DETECTORS:
        cells = [f"{statistics.mean(res[d][b]):.2f} / {max(res[d][b]):.2f}" for b in bands]
        allv = [v for b in bands for v in res[d][b]]
        print(f"| {d} | {' | '.join(cells)} | {statistics.mean(allv):.2f} / {max(allv):.2f} | "
              f"{statistics.mean(miss[d]):.1%} | {statistics.mean(fa[d]):.1%} |")
    print("CPU per channel, % of one core: " + ", ".join(
        f"{k} {100 * statistics.mean(v):.2f}%" for k, v in cost.items()))
    base = statistics.mean(v for b in bands for v in res["webrtcvad mode 2"][b])
    chosen = statistics.mean(v for b in bands for v in res["silero p>0.5"][b])
    print(f"ratio {chosen / base:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
