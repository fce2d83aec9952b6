"""Voice activity per party: webrtcvad on each channel, with noise gating, echo-bleed rejection and
hangover smoothing, streaming (fed blocks of any size) so files and live devices share one path.

Per 30 ms frame of each channel:

1. *energy gate* — the frame must be ``gate_db`` above the channel's noise floor (the quietest frames of
   the last ``floor_window_s``), which keeps line noise out and spares the VAD most silent frames;
2. *echo bleed* — a frame ``bleed_db`` quieter than the other channel around the same moment is the other
   party leaking in (echo, crosstalk), not speech;
3. *webrtcvad* decides on what is left, at 8 kHz (telephony) or 16 kHz; other rates are resampled with
   soxr;
4. *hangover* — speech frames separated by less than ``min_silence_s`` form one segment, and segments
   shorter than ``min_speech_s`` are dropped (clicks, breaths).

The defaults were tuned with ``bench/talk_accuracy.py`` on its tuning set of espeak-ng dialogues.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
import soxr
import webrtcvad

from agent_assist.audio.errors import AudioError
from agent_assist.coach.talk import AGENT, CUSTOMER, Segment

VAD_RATES = (8000, 16000)
MIN_RATE = 8000


@dataclass(frozen=True)
class VadSettings:
    aggressiveness: int = 2  # webrtcvad mode 0..3
    frame_ms: int = 30  # 10, 20 or 30
    min_speech_s: float = 0.15
    min_silence_s: float = 0.6
    gate_db: float = 6.0
    bleed_db: float = 12.0
    floor_window_s: float = 20.0

    def __post_init__(self) -> None:
        if self.frame_ms not in (10, 20, 30):
            raise ValueError("frame_ms must be 10, 20 or 30")
        if not 0 <= self.aggressiveness <= 3:
            raise ValueError("aggressiveness must be 0..3")


def vad_rate(rate: int) -> int:
    """The rate the VAD runs at for input at ``rate``: 8 kHz stays 8 kHz, anything higher runs at 16 kHz."""
    if rate < MIN_RATE:
        raise AudioError(f"sample rate {rate} Hz is too low for speech analysis (need at least {MIN_RATE} Hz)")
    return rate if rate in VAD_RATES else 16000


class _Smoother:
    """Hangover smoothing of one channel's frame decisions into closed speech segments."""

    def __init__(self, frame_s: float, min_speech_s: float, min_silence_s: float) -> None:
        self.frame_s = frame_s
        self.min_speech = max(1, round(min_speech_s / frame_s))
        self.min_silence = max(1, round(min_silence_s / frame_s))
        self.start: int | None = None
        self.last = -1
        self.voiced = 0
        self.cont: int | None = None  # where a split-off open segment continues (see ``split``)

    def _close(self, out: list[tuple[float, float]]) -> None:
        if self.start is not None and self.voiced >= self.min_speech:
            out.append((self.start * self.frame_s, (self.last + 1) * self.frame_s))
        self.start = None
        self.voiced = 0

    def push(self, first: int, flags: np.ndarray, out: list[tuple[float, float]]) -> None:
        """Frame ``first + i`` is speech when ``flags[i]``; closed segments are appended to ``out``."""
        end = first + len(flags)
        for i in (np.flatnonzero(flags) + first).tolist():
            if self.start is not None and i - self.last - 1 >= self.min_silence:
                self._close(out)
            if self.start is None:
                if self.cont is not None and i - self.last - 1 < self.min_silence:
                    # the speech goes on after a split: keep it touching the piece already out
                    self.start, self.voiced = self.cont, self.min_speech
                else:
                    self.start = i
                self.cont = None
            self.last = i
            self.voiced += 1
        if end - self.last - 1 >= self.min_silence:
            self.cont = None
            if self.start is not None:
                self._close(out)

    def split(self, max_frames: int, out: list[tuple[float, float]]) -> None:
        """Hand out the open segment so far when it is ``max_frames`` long (live: bounded loss)."""
        if self.start is not None and self.last + 1 - self.start >= max_frames \
                and self.voiced >= self.min_speech:
            out.append((self.start * self.frame_s, (self.last + 1) * self.frame_s))
            self.cont = self.last + 1
            self.start = None
            self.voiced = 0

    def flush(self, out: list[tuple[float, float]]) -> None:
        self._close(out)

    def open_start(self) -> float | None:
        s = self.start if self.start is not None else self.cont
        return None if s is None else s * self.frame_s


class _Channel:
    def __init__(self, rate: int, settings: VadSettings) -> None:
        self.rate = vad_rate(rate)
        self.resampler = None if self.rate == rate else soxr.ResampleStream(
            rate, self.rate, 1, dtype="int16", quality="HQ")
        self.vad = webrtcvad.Vad(settings.aggressiveness)
        self.flen = self.rate * settings.frame_ms // 1000
        self.buf = np.zeros(0, dtype=np.int16)
        self.floors: deque[float] = deque()
        self.smoother = _Smoother(settings.frame_ms / 1000, settings.min_speech_s, settings.min_silence_s)
        self.prev_energy = np.full(3, -np.inf, dtype=np.float32)

    def take(self, samples: np.ndarray, last: bool = False) -> None:
        x = np.asarray(samples)
        if x.dtype != np.int16:
            x = np.clip(np.round(x * 32767.0), -32768, 32767).astype(np.int16) if x.dtype.kind == "f" \
                else x.astype(np.int16)
        if self.resampler is not None:
            x = self.resampler.resample_chunk(x, last=last)
        self.buf = np.concatenate((self.buf, x)) if len(self.buf) else np.ascontiguousarray(x)

    def frames(self, n: int) -> tuple[bytes, np.ndarray]:
        """The next ``n`` frames as bytes, and their energies in dB."""
        take = n * self.flen
        chunk, self.buf = self.buf[:take], self.buf[take:]
        # every other sample is plenty for a frame's energy, at half the cost
        f = chunk.reshape(n, self.flen)[:, ::2].astype(np.float32)
        energy = 10.0 * np.log10(np.einsum("ij,ij->i", f, f) / f.shape[1] + 1.0)
        return chunk.tobytes(), energy


class StereoVad:
    """Speech segments of two time-aligned channels (agent, customer), fed in blocks of any length."""

    def __init__(self, rate: int, settings: VadSettings | None = None, max_open_s: float | None = None) -> None:
        self.settings = settings or VadSettings()
        # live: a segment still open after this long is handed out in pieces (touching, so they merge)
        self.max_open_frames = None if max_open_s is None else max(1, round(max_open_s * 1000 / self.settings.frame_ms))
        self.input_rate = rate
        self.ch = {AGENT: _Channel(rate, self.settings), CUSTOMER: _Channel(rate, self.settings)}
        self.frame_s = self.settings.frame_ms / 1000
        self.frames_done = 0
        self.vad_calls = 0  # webrtcvad calls made (for the benchmark's bookkeeping)

    @property
    def position_s(self) -> float:
        return self.frames_done * self.frame_s

    def open_start(self, party: str) -> float:
        """Where the segment being spoken now began, or the current position when nobody is speaking."""
        s = self.ch[party].smoother.open_start()
        return self.position_s if s is None else s

    def feed(self, agent: np.ndarray, customer: np.ndarray, last: bool = False) -> list[Segment]:
        """Add samples of both channels; returns the segments that closed, in order of start."""
        a, c = self.ch[AGENT], self.ch[CUSTOMER]
        a.take(agent, last)
        c.take(customer, last)
        n = min(len(a.buf) // a.flen, len(c.buf) // c.flen)
        out: list[Segment] = []
        if n == 0:
            return out
        s = self.settings
        raw = {AGENT: a.frames(n), CUSTOMER: c.frames(n)}
        energies = {p: raw[p][1] for p in raw}
        flags: dict[str, np.ndarray] = {}
        for p, ch in self.ch.items():
            e = energies[p]
            other_ch = self.ch[CUSTOMER if p == AGENT else AGENT]
            oe = np.concatenate((other_ch.prev_energy, energies[CUSTOMER if p == AGENT else AGENT]))
            # the loudest of the other channel's frames now and up to 3 frames before (echo delay)
            near = np.maximum.reduce([oe[3 - k: 3 - k + n] for k in range(4)])
            floor = self._floor(ch, e)
            cand = (e > floor + s.gate_db) & (e > near - s.bleed_db)
            f = np.zeros(n, dtype=bool)
            data, flen2, vad, rate = raw[p][0], ch.flen * 2, ch.vad, ch.rate
            for i in np.flatnonzero(cand).tolist():
                f[i] = vad.is_speech(data[i * flen2:(i + 1) * flen2], rate)
            self.vad_calls += int(cand.sum())
            flags[p] = f
        for p, ch in self.ch.items():
            ch.prev_energy = np.concatenate((ch.prev_energy, energies[p]))[-3:]
            closed: list[tuple[float, float]] = []
            ch.smoother.push(self.frames_done, flags[p], closed)
            if self.max_open_frames is not None:
                ch.smoother.split(self.max_open_frames, closed)
            out.extend(Segment(p, st, en) for st, en in closed)
        self.frames_done += n
        out.sort(key=lambda g: g.start)
        return out

    def _floor(self, ch: _Channel, e: np.ndarray) -> float:
        """Noise floor: the lowest block floor of the last ``floor_window_s`` (minimum statistics)."""
        keep = max(1, round(self.settings.floor_window_s / max(len(e) * self.frame_s, 0.1)))
        ch.floors.append(float(np.percentile(e, 5)))
        while len(ch.floors) > keep:
            ch.floors.popleft()
        return min(ch.floors)

    def flush(self) -> list[Segment]:
        """Close the stream: the segments still open end where the audio ends."""
        out = self.feed(np.zeros(0, np.int16), np.zeros(0, np.int16), last=True)
        for p, ch in self.ch.items():
            closed: list[tuple[float, float]] = []
            ch.smoother.flush(closed)
            out.extend(Segment(p, st, en) for st, en in closed)
        out.sort(key=lambda g: g.start)
        return out
