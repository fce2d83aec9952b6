"""Realistic two-party test calls with exact ground truth, for the talk-ratio benchmark and tests.

Real customer-service dialogue text (``shared/corpus/dialogues.jsonl``: STAR and ABCD) is spoken by
espeak-ng, one sentence at a time, with two voices, and placed on two channels by a turn-taking model
whose parameters come from published conversation-analysis figures:

* **gaps and overlaps between speakers** — the floor-transfer offset (next speaker's start minus the
  previous speaker's end) is drawn from a normal distribution, mean +0.2 s, s.d. 0.5 s, truncated to
  −1.2…+2.0 s. Stivers et al. 2009 (PNAS 106(26):10587, ten languages) found the modal offset at
  0–200 ms and every language's mean within 250 ms of the cross-language mean (~0.2 s); Heldner &
  Edlund 2010 (J. Phonetics 38:555) found roughly 40 % of speaker changes in overlap and the rest in
  gaps, with a spread of about half a second — this distribution gives 34 % overlaps;
* **long silences** — 6 % of agent turns are followed by a "let me check" hold of 3–9 s (looking up
  the account), the silences the meter's silence cue is for;
* **pauses inside a turn** — between a speaker's sentences: log-normal, median 0.45 s (Lundholm Fors
  2015, Göteborg: "a typical pause in speech lasts about a quarter to half a second"; Campione &
  Véronis 2002 found pause durations log-normal), truncated to 0.15–2.5 s;
* **backchannels** — in SWBD-DAMSL (Jurafsky, Shriberg & Biasca 1997; Stolcke et al. 2000) backchannels
  are 19 % of all utterances of the Switchboard telephone corpus; here the listener says "mm-hmm",
  "okay", "right" … about once every 7 s of the other's speech, mostly in the other's pauses
  (Ward & Tsukahara 2000) and sometimes overlapping their speech;
* **speaking level** — each party's active speech level varies between calls (−26 dBov nominal,
  ITU-T P.56, ±5 dB) and between sentences (±2 dB).

The line then does to each channel what a phone call does:

* the other party **bleeds in** (acoustic crosstalk or hybrid echo): delayed 5–250 ms, −15 to −35 dB
  relative to the source, in one direction per call;
* **noise** per channel at a chosen SNR (active speech level over mean noise power, measured in the
  telephone band): a mix of white and brown/pink noise, with a **slow drift** of its level (a sum of
  two sinusoids with periods of 15–90 s, up to ±`drift_db`);
* **telephone band** 300–3400 Hz, and a **G.711 µ-law** round trip (8-bit µ=255 companding);
* resampled to the call's rate (8 kHz stays the line rate; 16 kHz is an upsampled line).

The truth is each party's talk spurts (``truth.py``): the spoken clips' sound with pauses under 0.3 s
bridged, the same definition as the unit tests' fixture calls.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from agent_assist.coach.talk import AGENT, CUSTOMER, Segment
from tests.audio.truth import talk_spurts

LINE_RATE = 8000
VOICES = {AGENT: ("en-us", 170), CUSTOMER: ("en-gb+f3", 155)}
BACKCHANNELS = ("mm-hmm", "uh-huh", "okay", "right", "yeah", "I see")
ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "corpus" / "dialogues.jsonl"
if not CORPUS.exists():  # a worktree two levels down from the shared folder
    CORPUS = ROOT.parents[1] / "shared" / "corpus" / "dialogues.jsonl"

# turn-taking parameters (see the module docstring for their sources)
FTO_MEAN_S, FTO_SD_S, FTO_MIN_S, FTO_MAX_S = 0.2, 0.5, -1.2, 2.0
HOLD_P, HOLD_S = 0.06, (3.0, 9.0)
PAUSE_MEDIAN_S, PAUSE_SIGMA, PAUSE_S = 0.45, 0.5, (0.15, 2.5)
BACKCHANNEL_EVERY_S = 7.0
LEVEL_DBOV, LEVEL_CALL_SD, LEVEL_SENTENCE_SD = -26.0, 2.5, 1.0


def dialogues(corpus: Path = CORPUS, max_turns: int = 14) -> list[list[tuple[str, str]]]:
    """The corpus's dialogues as (party, text) turns, in file order."""
    out = []
    for line in corpus.read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        turns = [(t["speaker"], t["text"].strip()) for t in d["turns"]
                 if t.get("speaker") in (AGENT, CUSTOMER) and t.get("text", "").strip()]
        if len(turns) >= 6:
            out.append(turns[:max_turns])
    return out


def speak(text: str, party: str, wpm: int, cache: Path) -> np.ndarray:
    """espeak-ng speech at LINE_RATE (float32, peak 1), trimmed of leading/trailing silence; cached."""
    voice, _ = VOICES[party]
    key = hashlib.sha1(f"{voice}|{wpm}|{text}".encode()).hexdigest()[:16]
    path = cache / f"{key}.wav"
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{np.random.default_rng().integers(1 << 30)}.tmp.wav")
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(wpm), "-w", str(tmp), text], check=True,
                       capture_output=True)
        tmp.replace(path)
    x, r = sf.read(str(path), dtype="float32")
    x = soxr.resample(x, r, LINE_RATE, quality="HQ").astype(np.float32)
    loud = np.flatnonzero(np.abs(x) > 0.02 * (float(np.abs(x).max()) if len(x) else 1.0))
    x = x[loud[0]:loud[-1] + 1] if len(loud) else x[:0]
    peak = float(np.abs(x).max()) if len(x) else 1.0
    return x / peak


def sentences(text: str) -> list[str]:
    parts = [p.strip() for p in re.split(r"(?<=[.?!])\s+", text[:500]) if p.strip()]
    return [p for p in parts if re.search(r"[A-Za-z0-9]", p)]


@dataclass(frozen=True)
class Line:
    """What the phone line does to a call."""

    snr_db: dict[str, float] = field(default_factory=lambda: {AGENT: 25.0, CUSTOMER: 25.0})
    drift_db: float = 3.0  # slow noise-level drift, up to ± this
    bleed_db: float | None = -25.0  # leak level relative to the source; None = no bleed
    bleed_from: str = AGENT
    bleed_delay_s: float = 0.04
    ulaw: bool = True
    band: bool = True


@dataclass
class Call:
    agent: np.ndarray  # int16
    customer: np.ndarray
    rate: int
    truth: list[Segment]
    line: Line
    seed: int


def _lognormal(rng: np.random.Generator, median: float, sigma: float, lo: float, hi: float) -> float:
    return float(np.clip(rng.lognormal(np.log(median), sigma), lo, hi))


def place(turns: list[tuple[str, str]], seed: int, cache: Path
          ) -> tuple[list[tuple[str, float, np.ndarray]], float]:
    """Sentences placed in time by the turn-taking model: (party, start_s, samples at LINE_RATE)."""
    rng = np.random.default_rng(seed)
    wpm = {p: int(VOICES[p][1] + rng.integers(-15, 16)) for p in (AGENT, CUSTOMER)}
    level = {p: LEVEL_DBOV + rng.normal(0, LEVEL_CALL_SD) for p in (AGENT, CUSTOMER)}
    placed: list[tuple[str, float, np.ndarray]] = []
    t = float(rng.uniform(0.3, 1.5))
    prev_start = prev_end = 0.0
    prev_party: str | None = None
    for party, text in turns:
        sents = [speak(s, party, wpm[party], cache) for s in sentences(text)]
        sents = [x for x in sents if len(x) > LINE_RATE // 10]
        if not sents:
            continue
        if prev_party is None:
            start = t
        elif party == prev_party:
            start = prev_end + _lognormal(rng, PAUSE_MEDIAN_S * 2, PAUSE_SIGMA, *PAUSE_S)
        else:
            fto = float(np.clip(rng.normal(FTO_MEAN_S, FTO_SD_S), FTO_MIN_S, FTO_MAX_S))
            start = max(prev_end + fto, prev_start + 0.6)
            if prev_party == AGENT and rng.random() < HOLD_P:
                start = prev_end + float(rng.uniform(*HOLD_S))
        turn_start, cur = start, start
        pauses: list[float] = []
        for k, x in enumerate(sents):
            if k:
                gap = _lognormal(rng, PAUSE_MEDIAN_S, PAUSE_SIGMA, *PAUSE_S)
                pauses.append(cur + gap / 2)
                cur += gap
            # espeak at peak 1 has an active level near -15 dB: x4 then lands it near level[party]
            gain = 10 ** ((level[party] + 3.0 + rng.normal(0, LEVEL_SENTENCE_SD)) / 20)
            placed.append((party, cur, (x * gain * 4.0).astype(np.float32)))
            cur += len(x) / LINE_RATE
        turn_end = cur
        # the listener's backchannels: mostly in the speaker's pauses, sometimes over their speech
        listener = CUSTOMER if party == AGENT else AGENT
        n_bc = int(rng.poisson(max(0.0, turn_end - turn_start - 2.0) / BACKCHANNEL_EVERY_S))
        spots = list(pauses)
        for _ in range(n_bc):
            if spots and rng.random() < 0.7:
                at = spots.pop(int(rng.integers(len(spots)))) - 0.15
            else:
                at = float(rng.uniform(turn_start + 1.0, max(turn_start + 1.0, turn_end - 1.0)))
            b = speak(str(rng.choice(BACKCHANNELS)), listener, wpm[listener], cache)
            gain = 10 ** ((level[listener] + 3.0 - 2.0) / 20)
            placed.append((listener, at, (b * gain * 4.0).astype(np.float32)))
        prev_start, prev_end, prev_party = turn_start, max(prev_end, turn_end), party
    return placed, prev_end + float(rng.uniform(1.0, 2.0))


def band_pass(x: np.ndarray, rate: int, lo: float = 300.0, hi: float = 3400.0) -> np.ndarray:
    """Telephone band (FFT mask with 100 Hz raised-cosine edges)."""
    n = len(x)
    spec = np.fft.rfft(x)
    f = np.fft.rfftfreq(n, 1 / rate)
    m = np.ones_like(f)
    edge = 100.0
    m[f < lo - edge] = 0.0
    sel = (f >= lo - edge) & (f < lo)
    m[sel] = 0.5 - 0.5 * np.cos(np.pi * (f[sel] - (lo - edge)) / edge)
    m[f > hi + edge] = 0.0
    sel = (f > hi) & (f <= hi + edge)
    m[sel] = 0.5 + 0.5 * np.cos(np.pi * (f[sel] - hi) / edge)
    return np.fft.irfft(spec * m, n).astype(np.float32)


def ulaw_round_trip(x: np.ndarray) -> np.ndarray:
    """G.711 µ-law: compand (µ=255) to 8 bits and back; ``x`` in −1…1."""
    mu = 255.0
    y = np.sign(x) * np.log1p(mu * np.minimum(np.abs(x), 1.0)) / np.log1p(mu)
    q = np.round(y * 127.0) / 127.0
    return (np.sign(q) * np.expm1(np.abs(q) * np.log1p(mu)) / mu).astype(np.float32)


def line_noise(rng: np.random.Generator, n: int, rate: int) -> np.ndarray:
    """Unit-power line noise: white plus brown (hum/rumble) plus pink (babble-like) components."""
    white = rng.normal(0, 1, n)
    spec = np.fft.rfft(rng.normal(0, 1, n))
    f = np.maximum(np.fft.rfftfreq(n, 1 / rate), 20.0)
    pink = np.fft.irfft(spec / np.sqrt(f), n)
    brown = np.fft.irfft(np.fft.rfft(rng.normal(0, 1, n)) / f, n)
    mix = rng.dirichlet((2, 1, 1))
    out = sum(w * c / (np.std(c) + 1e-12) for w, c in zip(mix, (white, pink, brown), strict=True))
    return (out / (np.std(out) + 1e-12)).astype(np.float32)


def render(placed: list[tuple[str, float, np.ndarray]], duration_s: float, line: Line, rate: int,
           seed: int) -> Call:
    rng = np.random.default_rng(seed + 7919)
    n = int(duration_s * LINE_RATE)
    clean = {AGENT: np.zeros(n, np.float32), CUSTOMER: np.zeros(n, np.float32)}
    spoken = []
    for party, start, x in placed:
        i = round(start * LINE_RATE)
        x = x[: max(0, n - i)]
        clean[party][i:i + len(x)] += x
        spoken.append((party, i / LINE_RATE, x))
    truth = talk_spurts(spoken, LINE_RATE)
    if line.band:
        clean = {p: band_pass(x, LINE_RATE) for p, x in clean.items()}
    mixed = {p: x.copy() for p, x in clean.items()}
    if line.bleed_db is not None:
        src = line.bleed_from
        dst = CUSTOMER if src == AGENT else AGENT
        d = int(line.bleed_delay_s * LINE_RATE)
        leak = np.zeros(n, np.float32)
        leak[d:] = clean[src][: n - d] * 10 ** (line.bleed_db / 20)
        # echo paths are not flat: a gentle low-pass
        leak = np.convolve(leak, np.array([0.25, 0.5, 0.25], np.float32), mode="same")
        mixed[dst] += leak
    t = np.arange(n) / LINE_RATE
    out = {}
    for p in (AGENT, CUSTOMER):
        own = clean[p]
        active = np.zeros(n, bool)
        for g in truth:
            if g.party == p:
                active[int(g.start * LINE_RATE):int(g.end * LINE_RATE)] = True
        speech_power = float(np.mean(own[active] ** 2)) if active.any() else 10 ** (LEVEL_DBOV / 10)
        noise = line_noise(rng, n, LINE_RATE)
        if line.band:
            noise = band_pass(noise, LINE_RATE)
            noise /= np.std(noise) + 1e-12
        drift = np.zeros(n)
        if line.drift_db > 0:
            for period in rng.uniform(15, 90, 2):
                drift += np.sin(2 * np.pi * t / period + rng.uniform(0, 2 * np.pi))
            drift *= line.drift_db / 2
        noise_rms = np.sqrt(speech_power / 10 ** (line.snr_db[p] / 10))
        y = mixed[p] + noise * noise_rms * 10 ** (drift / 20)
        y = np.clip(y, -1.0, 1.0)
        if line.ulaw:
            y = ulaw_round_trip(y)
        if rate != LINE_RATE:
            y = soxr.resample(y, LINE_RATE, rate, quality="HQ")
        out[p] = np.clip(np.round(y * 32767), -32768, 32767).astype(np.int16)
    return Call(out[AGENT], out[CUSTOMER], rate, truth, line, seed)


def random_line(rng: np.random.Generator, snr_band: tuple[float, float]) -> Line:
    """A line whose noisier channel's SNR is in ``snr_band``: usually the customer's (a mobile in the
    street), a quarter of the time the agent's (an open-plan floor); the other channel 15–30 dB."""
    noisy = CUSTOMER if rng.random() < 0.75 else AGENT
    other = AGENT if noisy == CUSTOMER else CUSTOMER
    lo, hi = snr_band
    snr = {noisy: float(rng.uniform(lo, hi)), other: float(rng.uniform(max(lo, 15.0), max(hi, 30.0)))}
    return Line(snr_db=snr, drift_db=float(rng.uniform(0.0, 4.0)),
                bleed_db=float(rng.uniform(-35.0, -15.0)), bleed_from=str(rng.choice((AGENT, CUSTOMER))),
                bleed_delay_s=float(rng.uniform(0.005, 0.25)))


CLEAN = Line(snr_db={AGENT: 45.0, CUSTOMER: 45.0}, drift_db=0.0, bleed_db=None)


def make_call(turns: list[tuple[str, str]], seed: int, rate: int, line: Line, cache: Path) -> Call:
    placed, dur = place(turns, seed, cache)
    return render(placed, dur, line, rate, seed)
