"""Make resources/selftest/call.wav, the short stereo call the self-test analyses.

Left channel: the agent asks one short question; right channel: the customer answers at length, after a
short pause. Real speech from espeak-ng, so the voice-activity detector sees what it sees on a real call.
Run once (`.venv/bin/python packaging/make_selftest_audio.py`); the WAV is committed.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

RATE = 16000
AGENT = "How can I help?"
CUSTOMER = "My internet keeps dropping every evening since last week."
OUT = Path(__file__).resolve().parent.parent / "resources" / "selftest" / "call.wav"


def speak(text: str, voice: str) -> np.ndarray:
    with tempfile.TemporaryDirectory() as d:
        wav = Path(d) / "t.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", "165", "-w", str(wav), text], check=True)
        data, rate = sf.read(wav, dtype="float32")
    voiced = np.flatnonzero(np.abs(data) > 0.01)  # espeak pads with silence; keep the speech only
    return soxr.resample(data[voiced[0]:voiced[-1] + 1], rate, RATE)


def main() -> None:
    agent = speak(AGENT, "en-us")
    customer = speak(CUSTOMER, "en-us+f3")
    pause = int(0.6 * RATE)
    lead = int(0.3 * RATE)
    n = lead + len(agent) + pause + len(customer) + lead
    stereo = np.zeros((n, 2), dtype="float32")
    stereo[lead:lead + len(agent), 0] = agent
    start = lead + len(agent) + pause
    stereo[start:start + len(customer), 1] = customer
    OUT.parent.mkdir(parents=True, exist_ok=True)
    sf.write(OUT, stereo, RATE, subtype="PCM_16")
    print(f"{OUT}: {n / RATE:.2f} s, agent {len(agent) / RATE:.2f} s, customer {len(customer) / RATE:.2f} s")


if __name__ == "__main__":
    main()
