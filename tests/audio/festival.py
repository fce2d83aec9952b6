"""Real synthetic speech from festival's HTS voice (Debian festvox-us-slt-hts) for the speech tests."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

VOICE = "(voice_cmu_us_slt_arctic_hts)"


def available() -> bool:
    return shutil.which("text2wave") is not None


def festival_say(text: str, rate: int, cache: Path, voice: str = VOICE) -> np.ndarray:
    """``text`` spoken by festival at ``rate`` (float32, peak 0.3), trimmed of silence at both ends."""
    if not available():
        raise RuntimeError("festival is needed (make system-test installs festival festvox-us-slt-hts)")
    cache.mkdir(parents=True, exist_ok=True)
    raw = cache / (hashlib.sha1(f"{voice}|{text}".encode()).hexdigest()[:16] + ".wav")
    if not raw.exists():
        tmp = raw.with_suffix(".tmp.wav")
        subprocess.run(["text2wave", "-eval", voice, "-o", str(tmp)], input=text.encode(), check=True,
                       capture_output=True, timeout=120)
        tmp.rename(raw)
    x, r = sf.read(str(raw), dtype="float32")
    loud = np.flatnonzero(np.abs(x) > 0.02)
    x = x[loud[0]:loud[-1] + 1] * (0.3 / float(np.abs(x).max()))
    return soxr.resample(x, r, rate).astype(np.float32)


def place(parts: list[tuple[float, np.ndarray]], rate: int, tail_s: float = 1.0,
          noise_db: float = -60.0) -> np.ndarray:
    """Utterances placed at their start times on one int16 channel, with a faint noise floor."""
    n = int((max(t + len(x) / rate for t, x in parts) + tail_s) * rate) if parts else int(tail_s * rate)
    y = np.zeros(n, np.float32)
    for t, x in parts:
        i = int(t * rate)
        y[i:i + len(x)] += x
    y += np.random.default_rng(1).normal(0, 10 ** (noise_db / 20), n).astype(np.float32)
    return np.clip(np.round(y * 32767), -32768, 32767).astype(np.int16)


def wer(ref: str, hyp: str) -> float:
    """Word error rate (Levenshtein over words) of ``hyp`` against ``ref``."""
    r, h = ref.lower().split(), hyp.lower().split()
    d = list(range(len(h) + 1))
    for i, rw in enumerate(r, 1):
        prev, d[0] = d[0], i
        for j, hw in enumerate(h, 1):
            cur = min(d[j] + 1, d[j - 1] + 1, prev + (rw != hw))
            prev, d[j] = d[j], cur
    return d[len(h)] / max(1, len(r))
