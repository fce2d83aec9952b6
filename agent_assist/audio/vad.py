"""Voice activity per party on phone lines, streaming (fed blocks of any size) so files and live devices
share one path.

Per 30 ms frame of each channel:

0. *noise suppression* (``audio/denoise.py``) — a streaming Wiener filter (minimum-statistics noise,
   decision-directed gain, floor ``denoise_floor_db``) gives a denoised copy of the channel, time-aligned
   with it; Silero hears the denoised copy, and the stages below read the frame energies of both
   (two ``_EnergyView`` objects), because on a line at 0–8 dB speech barely rises above the hiss in the raw
   energies while a leak buried in the hiss still follows its source in the denoised ones;
1. *noise floor and speech level* (``LevelTracker``) — every ~1 s block the channel's quiet frames
   (10th percentile) and loud frames (95th percentile) update a minimum-statistics noise floor over
   the last ``floor_window_s`` and a running speech level, so a slowly drifting line noise is
   followed; their difference is the channel's *effective SNR*, shown to the user, and a channel
   below ``noisy_snr_db`` is flagged "too noisy to trust";
2. *energy gate* — the frame must be ``gate_db`` above the tracked floor (at most half the effective
   SNR); on a channel below ``gate_denoised_below_db`` the gate reads the denoised energies instead,
   ``denoised_gate_db`` above their floor;
3. *echo and bleed* — the other party leaking into this channel (acoustic crosstalk, hybrid echo) is
   found by correlating the two channels' frame energies over delays of 0–300 ms (``estimate_leak``,
   per energy view of this channel, against the view of the source that the source's own gate trusts:
   the denoised one on a noisy line, whose raw energies over-state its speech by the hiss; a "leak"
   louder than ``MAX_LEAK_DB`` is the other direction seen backwards; a leak is trusted when it follows
   its source, within ``leak_spread`` in the raw energies and ``denoised_leak_spread`` in the denoised
   ones, which the suppressor's gain makes looser, or, on a channel whose gate reads the denoised view,
   when the two waveforms' cross-correlation peaks at the leak's delay (``LeakCorrelator``: a leak under
   the hiss is still a delayed copy of its source). A leak the correlation confirms is also *cancelled*
   (``EchoCanceller``, before stage 0: its path is estimated by least squares at that delay and subtracted
   once the estimate is significant), because under a 0-3 dB line's hiss the suppressor passes a leak by
   the hiss's level and the energies under-rate it (see ``echo_cancel``); a leak stands while its source
   says too little to measure it again; until it can be measured the worst leak handled, ``ASSUMED_LEAK_DB``, is assumed,
   or less when the source's first words already rule it out, ``leak_bound``); once a leak is found
   (its delay and level), a frame
   that is no louder than the other channel's delayed level plus the leak plus ``bleed_margin_db`` in
   either view is bleed, not speech, and stays bleed until it clears that margin
   by ``bleed_hold_db`` or for ``bleed_hold_s`` (hysteresis: a "t" release under the other party's
   bleed would otherwise split a phrase);
4. *the detector* — Silero VAD (ONNX, run by onnxruntime) on 32 ms chunks of the channel finds speech
   and webrtcvad confirms the frames Silero is unsure of (``detector="combined"``: the two fail on
   different frames; below ``webrtc_unless_sure`` only, because on a noisy line webrtcvad turned down
   clear speech); webrtcvad alone or Silero alone are the other choices (``docs/vad-comparison.md`` has
   the measurements); after ``silero_reset_s`` of line noise Silero's recurrent state is reset and warmed
   up again on the last chunks (on a long stream it drifts and stops hearing short replies);
5. *hangover and edges* — speech frames separated by less than ``min_silence_s`` (0.3 s, the pause a
   speaker's talk spurt bridges in the tests' and the benchmark's truth, ``tests/audio/truth.py``) form
   one segment; the hangover grows to ``noisy_min_silence_s`` as the effective SNR falls from 15 to
   3 dB (the quiet ends of words sink under the hiss, so the pauses the detector sees are longer than
   the speaker's) and a segment's start moves up to ``noisy_onset_pad_s`` earlier (quiet onsets are
   heard late there); below ``tail_trim_below_db`` a segment ends at its last frame ``tail_trim_db`` above
   the denoised floor (Silero's probability lingers there for up to ~0.4 s after speech), and a
   stretch of only weak frames (none that far above the floor) ``split_weak_gaps`` longer than the
   hangover is a pause, not speech the hangover bridges; segments
   shorter than ``min_speech_s`` are dropped (clicks, breaths), and each is widened by ``pad_s``;
6. *10 ms edges on clean lines* — on a channel at ``edge_min_snr_db`` effective SNR or more, a closed
   segment's start and end move (by at most ``edge_window_s``) from the detector's 30 ms frame to the
   10 ms sub-frame where the channel's energy crosses ``edge_below_level_db`` under its speech level,
   and the hangover is decided between those edges (``edge_gaps``): the smoother keeps the pauses near
   ``min_silence_s`` on the segment, which splits at those whose 10 ms edges are that far apart.

The VAD runs at 8 kHz (telephony) or 16 kHz; other rates are resampled with soxr.
Defaults were calibrated on ``bench/talk_accuracy.py``'s dev split only (``--dev``, ``--tune``).

Why this file is over 400 lines: the detector chain (noise floor, energy gate, webrtcvad, Silero, bleed) per
channel; its stages share one frame clock.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

import numpy as np
import soxr
import webrtcvad

from agent_assist.audio.denoise import NoiseSuppressor
from agent_assist.audio.errors import AudioError
from agent_assist.coach.talk import AGENT, CUSTOMER, ChannelQuality, Segment

VAD_RATES = (8000, 16000)
MIN_RATE = 8000
DETECTORS = ("combined", "silero", "webrtc")
BLOCK_FRAMES = 32  # level and bleed statistics are refreshed every 32 frames (0.96 s)
MAX_LAG_FRAMES = 10  # bleed delays searched: 0..300 ms
ASSUMED_LEAK_DB = -15.0  # until a channel's leak is measured (or bounded lower, see ``leak_bound``)
LEAK_BOUND_FRAMES = 8  # loud source frames needed to bound a leak
LEAK_BOUND_MARGIN_DB = 4.0  # the 20th percentile fell at most 3.8 dB under a true leak (dev, 15-30 dB)
LEAK_EARLY_BLOCKS, LEAK_EVERY_BLOCKS = 8, 4  # leaks measured every block for 8 blocks, then every 4th
MAX_LEAK_DB = -6.0  # louder "leaks" are the other direction seen backwards
ECHO_SOURCE_MARGIN_DB = 10.0  # a leak is cancelled only from a source this much cleaner (see ``_end_block``)


@dataclass(frozen=True)
class VadSettings:
    detector: str = "combined"
    aggressiveness: int = 2  # webrtcvad mode 0..3
    frame_ms: int = 30  # 10, 20 or 30
    silero_threshold: float = 0.3
    min_speech_s: float = 0.15
    min_silence_s: float = 0.3
    # on a noisy channel the quiet edges of words sink under the noise, so the pauses the VAD sees
    # are longer than the speaker's: the hangover grows to ``noisy_min_silence_s`` as the channel's
    # effective SNR falls from ``noisy_edges_snr_db[1]`` to ``noisy_edges_snr_db[0]``
    noisy_min_silence_s: float | None = 0.4
    noisy_edges_snr_db: tuple[float, float] = (3.0, 15.0)
    # ... and a segment starts up to ``noisy_onset_pad_s`` earlier (on a 0-5 dB line the detector hears
    # a word's quiet onset ~40 ms late: median of 182 dev onsets; 20 ms at 5-15 dB, 10 ms when clean)
    noisy_onset_pad_s: float = 0.04
    pad_s: float = 0.0
    # on a clean line a segment's edges are placed to 10 ms instead of the detector's frame: each moves,
    # by at most ``edge_window_s`` either way, to where the channel's energy crosses ``edge_below_level_db``
    # under its speech level (and ``edge_over_floor_db`` over its floor). Below ``edge_min_snr_db``
    # effective SNR the frame edges stay: the quiet ends of words are under the noise there
    edge_below_level_db: float | None = 35.0
    edge_over_floor_db: float = 10.0
    edge_window_s: float = 0.06
    edge_min_snr_db: float = 20.0
    # ... and the hangover is decided on those edges: a pause the detector's frames put just over or
    # under ``min_silence_s`` is measured again between the 10 ms edges of the speech around it
    edge_gaps: bool = True
    gate_db: float = 3.0
    gate_slope: float = 0.5  # the gate is at most this share of the channel's effective SNR
    bleed_margin_db: float = 6.0
    # a word's quiet end right after speech that cleared the margin needs only this much less
    # (hysteresis: under the other party's bleed a "t" release or a trailing "s" would split a phrase)
    bleed_hold_db: float = 3.0
    bleed_hold_s: float = 0.15
    # below ``tail_trim_below_db`` effective SNR Silero's probability lingers for up to ~0.4 s after
    # speech: a segment there ends at its last speech frame ``tail_trim_db`` above the (denoised) floor.
    # (5 dB while Silero's state drifted deaf on long streams; with the resets below it lingers on lines
    # up to 15 dB too)
    tail_trim_db: float | None = 4.5
    tail_trim_below_db: float = 15.0
    # a leak is measured against the view of its source that the source's own gate trusts (the
    # denoised one on a noisy line): raw energies of a 0 dB line over-state its speech by ~3 dB
    cross_leak: bool = True
    # a leak buried in the hiss of a noisy line reaches the denoised view through the suppressor's
    # non-linear gain, so there it follows its source less tightly than in the raw energies
    denoised_leak_spread: float = 1.5
    # ... and in the raw energies a leak from a noisy line follows its source (the denoised view of that
    # line) less tightly too: a true -15 dB leak measured 0.8-1.2 in a call's first seconds
    leak_spread: float = 1.3
    floor_window_s: float = 8.0
    noisy_snr_db: float = 5.0
    snr_offset_db: float = -6.0  # calibration of the effective SNR against the benchmark's true SNR
    denoise: bool = True  # Silero hears the channel through a Wiener noise suppressor (audio/denoise.py)
    denoise_floor_db: float = -20.0
    gate_denoised_below_db: float = 15.0
    denoised_gate_db: float = 1.5
    silero_skip_db: float | None = 1.0  # Silero skips chunks this far below the gate; None: never
    # webrtcvad confirms Silero's speech frames (the two fail on different frames) except those Silero
    # is sure of: on a noisy line webrtcvad, asked only about Silero's candidates, turned down whole
    # stretches of clear speech (1.5 s of a 3 dB customer's 7.7 s on one dev call). None: it confirms all
    webrtc_unless_sure: float | None = 0.9
    # Silero's recurrent state drifts on a long stream: after some seconds of hearing only line noise it
    # may no longer hear short replies (probability 0.05-0.3 where a fresh model gives 0.9-1.0; silero-vad issue #725).
    # After ``silero_reset_s`` of heard chunks without speech its state is reset, and the last
    # ``silero_warmup_s`` of the channel are heard again so the fresh state starts on the line's noise
    silero_reset_s: float | None = 3.0
    silero_warmup_s: float = 0.25
    # below ``tail_trim_below_db`` a pause can hide under weak frames too: on a 0-3 dB line the detector
    # lingers after a word and lets the odd noise frame through, each soon enough after the last to keep
    # the hangover open, so a 0.4-0.5 s pause between phrases counted as speech. A stretch with no strong
    # frame (see ``tail_trim_db``) this much longer than the hangover splits the segment there. None: off.
    # (0-3 dB dev calls: of such stretches a hangover long, 39 of 68 were pauses and 23 were speech; of
    # those 0.09 s longer, 20 of 26 were pauses and 3 speech)
    split_weak_gaps: float | None = 0.09
    # a leak buried in the hiss of a noisy line: its energies in the denoised view follow the source too
    # loosely to trust (spread over ``denoised_leak_spread``), but its waveform is still a delayed copy of
    # the source's. When the waveforms' cross-correlation (``LeakCorrelator``) peaks this many robust
    # standard deviations over its spread, at the delay the energies give (within a frame), the leak is
    # trusted there. None: off. (Dev, 80 calls at 0-8 dB measured 3, 6, 12, 24 and 48 s in: without a leak
    # no peak was over 9.1; leaks of -15 to -20 dB into 0-4 dB lines peaked at 11-23 12 s in)
    leak_confirm_z: float | None = 10.0
    # ... and a leak so confirmed is cancelled from the channel it leaks into before anything else hears it
    # (``EchoCanceller``: the leak path estimated by least squares at the correlation's delay, subtracted).
    # Under a 0-3 dB line's hiss the suppressor passes a leak by the hiss's level, not the leak's, so the
    # energies' leak level is no bound there: on one call a -17.5 dB leak measured -23.8 and 3.1 s of the
    # agent counted as the customer when the hiss drifted down
    echo_cancel: bool = True

    def __post_init__(self) -> None:
        if self.frame_ms not in (10, 20, 30):
            raise ValueError("frame_ms must be 10, 20 or 30")
        if not 0 <= self.aggressiveness <= 3:
            raise ValueError("aggressiveness must be 0..3")
        if self.detector not in DETECTORS:
            raise ValueError(f"detector must be one of {', '.join(DETECTORS)}")


def vad_rate(rate: int) -> int:
    """The rate the VAD runs at for input at ``rate``: 8 kHz stays 8 kHz, anything higher runs at 16 kHz."""
    if rate < MIN_RATE:
        raise AudioError(f"sample rate {rate} Hz is too low for speech analysis (need at least {MIN_RATE} Hz)")
    return rate if rate in VAD_RATES else 16000


class _Piece(NamedTuple):
    """A closed speech segment in frames: ``joined`` when it continues a piece handed out by ``split``
    (its start is that piece's end), ``cut`` when ``split`` ended it while the speech goes on; ``gaps``
    are its pauses of ``min_gap`` frames or more, each as (first silent frame, next speech frame)."""

    start: int
    end: int
    joined: bool = False
    cut: bool = False
    gaps: tuple[tuple[int, int], ...] = ()  # pauses inside it the edges may still split at (``min_gap``)


class _Smoother:
    """Hangover smoothing of one channel's frame decisions into closed speech segments."""

    def __init__(self, frame_s: float, min_speech_s: float, min_silence_s: float) -> None:
        self.frame_s = frame_s
        self.min_speech = max(1, round(min_speech_s / frame_s))
        self.min_silence = max(1, round(min_silence_s / frame_s))
        self.start: int | None = None
        self.joined = False  # the open segment continues a split-off piece
        self.last = -1
        self.voiced = 0
        self.cont: int | None = None  # where a split-off open segment continues (see ``split``)
        self.last_strong = -1  # the last speech frame that was also ``strong`` (see ``push``)
        # pauses this long (frames) inside a segment are kept on it: 10 ms edges may still split there
        self.min_gap: int | None = None
        self.gaps: list[tuple[int, int]] = []
        self.split_weak: int | None = None  # see ``push``
        self.run_start = -1  # the first frame of the current unbroken run of speech frames

    def _close(self, out: list[_Piece]) -> None:
        if self.start is not None and self.voiced >= self.min_speech:
            last = self.last_strong if self.last_strong >= self.start else self.last
            out.append(_Piece(self.start, last + 1, self.joined, gaps=tuple(g for g in self.gaps if g[1] <= last)))
        self.start = None
        self.gaps = []
        self.voiced = 0

    def push(self, first: int, flags: np.ndarray, out: list[_Piece], strong: np.ndarray | None = None) -> None:
        """Frame ``first + i`` is speech when ``flags[i]``; closed segments are appended to ``out``. With
        ``strong``, a segment ends at its last speech frame that is also strong (its weak tail is cut), and
        with ``split_weak`` too, ``split_weak`` frames more than a hangover of weak frames between two
        strong ones is a pause (see ``VadSettings.split_weak_gaps``)."""
        end = first + len(flags)
        st = None if strong is None else (flags & strong).tolist()
        for i in (np.flatnonzero(flags) + first).tolist():
            if i != self.last + 1:
                self.run_start = i
            if self.start is not None and i - self.last - 1 >= self.min_silence:
                self._close(out)
            elif self.start is not None and st is not None and self.split_weak is not None and st[i - first] \
                    and self.last_strong >= self.start \
                    and i - self.last_strong - 1 >= self.min_silence + self.split_weak:
                # only weak frames since the last strong one, for longer than a hangover: a lingering
                # tail, noise frames and the next phrase's quiet onset. The segment ends at the strong frame;
                # the next starts with the unbroken run of frames that leads to this strong one
                self._close(out)
                self.start = self.run_start if self.run_start > self.last_strong else i
                self.joined, self.cont = False, None
                self.voiced = i - self.start
            if self.start is not None and self.min_gap is not None and i - self.last - 1 >= self.min_gap:
                self.gaps.append((self.last + 1, i))
            if self.start is None:
                if self.cont is not None and i - self.last - 1 < self.min_silence:
                    # the speech goes on after a split: keep it touching the piece already out
                    self.start, self.voiced, self.joined = self.cont, self.min_speech, True
                else:
                    self.start, self.joined = i, False
                self.cont = None
            self.last = i
            if st is None or st[i - first]:
                self.last_strong = i
            self.voiced += 1
        if end - self.last - 1 >= self.min_silence:
            self.cont = None
            if self.start is not None:
                self._close(out)

    def split(self, max_frames: int, out: list[_Piece]) -> None:
        """Hand out the open segment so far when it is ``max_frames`` long (live: bounded loss)."""
        if self.start is not None and self.last + 1 - self.start >= max_frames \
                and self.voiced >= self.min_speech:
            out.append(_Piece(self.start, self.last + 1, self.joined, cut=True, gaps=tuple(self.gaps)))
            self.cont = self.last + 1
            self.start = None
            self.voiced = 0
            self.gaps = []

    def flush(self, out: list[_Piece]) -> None:
        self._close(out)

    def open_start(self) -> float | None:
        s = self.start if self.start is not None else self.cont
        return None if s is None else s * self.frame_s


def _db(x: np.ndarray) -> np.ndarray:
    """Energy of each row in dB of int16 units (0 dB = an rms of 1 LSB; full scale is ~90.3 dB)."""
    f = x.astype(np.float32)
    out: np.ndarray = 10.0 * np.log10(np.einsum("ij,ij->i", f, f) / f.shape[1] + 1.0)
    return out


FULL_SCALE_DB = 20 * np.log10(32768.0)


class LevelTracker:
    """A channel's noise floor (minimum statistics of per-block 10th percentiles over a window) and
    speech level (median of recent loud-block 95th percentiles); both follow slow drift."""

    def __init__(self, window_blocks: int, snr_offset_db: float = 0.0) -> None:
        self.window_blocks = max(1, window_blocks)
        self._floors: deque[float] = deque(maxlen=self.window_blocks)
        self._levels: deque[float] = deque(maxlen=24)
        self._offset = snr_offset_db
        self.floor: float | None = None
        self.level: float | None = None

    def update(self, e: np.ndarray) -> None:
        if not len(e):
            return
        lo, hi = (float(v) for v in np.percentile(e, (10, 95)))
        self._floors.append(lo)
        self.floor = min(self._floors)
        if hi > self.floor + 6.0:
            self._levels.append(hi)
        if self._levels:
            self.level = float(np.median(self._levels))

    @property
    def snr_db(self) -> float | None:
        if self.floor is None or self.level is None:
            return None
        return self.level - self.floor + self._offset


def _loud_frames(src: np.ndarray, src_level: float | None, min_frames: int) -> np.ndarray | None:
    """The loud frames of ``src`` (a channel's frame energies, dB) that every delay can see (all but the
    last ``MAX_LAG_FRAMES``), or None when there are too few to measure a leak from."""
    if src_level is None or len(src) <= MAX_LAG_FRAMES + min_frames:
        return None
    idx = np.flatnonzero(src[: len(src) - MAX_LAG_FRAMES] > src_level - 12.0)
    return idx if len(idx) >= min_frames else None


def _at_delays(dst: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """``dst`` at every delay 0..``MAX_LAG_FRAMES`` after the frames ``idx`` (delays x frames)."""
    out: np.ndarray = dst[idx[None, :] + np.arange(MAX_LAG_FRAMES + 1)[:, None]]
    return out


def source_heard(src: np.ndarray, src_level: float | None, min_frames: int = 40) -> bool:
    """Whether ``src`` holds enough loud speech to measure its leak."""
    return _loud_frames(src, src_level, min_frames) is not None


def estimate_leak(src: np.ndarray, dst: np.ndarray, src_level: float | None, min_frames: int = 40
                  ) -> tuple[int, float, float] | None:
    """(delay in frames, leak level in dB relative to the source, spread) of ``src`` leaking into
    ``dst``, from both channels' frame energies (dB) over the same frames; None when there is too little
    source speech. A leak follows its source: while the source speaks, ``dst - src`` at the leak's delay
    stays near the leak level although ``dst`` itself moves with the syllables. The spread is the median
    absolute deviation of ``dst - src`` over that of ``dst`` (small for a leak; large when ``dst`` is
    steady noise or its own speech)."""
    idx = _loud_frames(src, src_level, min_frames)
    if idx is None:
        return None
    # every delay at once
    d = _at_delays(dst, idx)
    diff = d - src[idx]
    med = np.median(diff, axis=1)
    mad = np.median(np.abs(diff - med[:, None]), axis=1)
    own = np.median(np.abs(d - np.median(d, axis=1)[:, None]), axis=1) + 1e-3
    spread = mad / own
    # a "leak" louder than MAX_LEAK_DB is no leak: a leak is quieter than its source. It is the mirror
    # image of the other direction (while a loud party leaks into this channel, its source follows this one)
    spread[med > MAX_LEAK_DB] = np.inf
    k = int(np.argmin(spread))
    if not np.isfinite(spread[k]):
        return None
    return k, float(med[k]), float(spread[k])


def leak_bound(src: np.ndarray, dst: np.ndarray, src_level: float | None,
               min_frames: int = LEAK_BOUND_FRAMES) -> float | None:
    """The loudest leak of ``src`` into ``dst`` (dB relative to the source) that the frames so far
    allow, or None when the source said too little. At a leak's delay ``dst`` holds at least the leak
    in every frame the source speaks in, so at every delay the 20th percentile of ``dst - src`` over
    those frames, plus ``LEAK_BOUND_MARGIN_DB`` for a leak's frames falling between ours, is over it.
    A few loud frames are enough for this, long before a leak can be measured (``estimate_leak``)."""
    idx = _loud_frames(src, src_level, min_frames)
    if idx is None:
        return None
    d = _at_delays(dst, idx) - src[idx]
    return float(np.percentile(d, 20, axis=1).max()) + LEAK_BOUND_MARGIN_DB


class LeakCorrelator:
    """The two channels' waveforms cross-correlated over the call (GCC-PHAT over the telephone band,
    summed over half-second segments). A linear leak of one channel into the other (hybrid echo,
    acoustic crosstalk) is a sharp peak at its delay even 10 dB under the line's hiss, where the
    energies (``estimate_leak``) follow it too loosely to trust. Independent talkers and noise make no
    peak: the height is given in robust standard deviations of the correlation over all delays. The sum
    forgets with a time constant of ``memory_s``, as the energies' history does (~60 s): a leak changes
    when the customer moves from a handset to a speaker."""

    def __init__(self, rate: int, max_lag_s: float, memory_s: float = 60.0) -> None:
        self.seg = rate // 2
        self.decay = float(np.exp(-(self.seg / rate) / memory_s))
        self.n = 1 << (2 * self.seg - 1).bit_length()
        self.win = np.hanning(self.seg).astype(np.float32)
        f = np.fft.rfftfreq(self.n, 1.0 / rate)
        self.band = (f >= 300.0) & (f <= 3400.0)
        self.lag = int(max_lag_s * rate)
        self.cross = np.zeros(self.n // 2 + 1, np.complex128)  # customer x conj(agent), summed
        self.bufs = [np.zeros(0, np.float32), np.zeros(0, np.float32)]
        self._r: np.ndarray | None = None  # the correlation, until more audio arrives

    def push(self, agent: np.ndarray, customer: np.ndarray) -> None:
        self.bufs = [np.concatenate((b, x.astype(np.float32))) for b, x in zip(self.bufs, (agent, customer),
                                                                                 strict=True)]
        while len(self.bufs[0]) >= self.seg and len(self.bufs[1]) >= self.seg:
            a, c = (np.fft.rfft(b[: self.seg] * self.win, self.n) for b in self.bufs)
            self.cross *= self.decay
            self.cross += c * np.conj(a)
            self.bufs = [b[self.seg:] for b in self.bufs]
            self._r = None

    def peak(self, into_customer: bool) -> tuple[int, float] | None:
        """(delay in samples, height in robust standard deviations) of the strongest correlation with
        the customer's channel lagging the agent's (``into_customer``: the agent leaking into it) or
        the other way round; None before any audio."""
        if not self.cross.any():
            return None
        if self._r is None:
            x = self.cross
            self._r = np.fft.irfft(np.where(self.band, x / (np.abs(x) + 1e-12), 0.0), self.n)
        r = self._r
        side = r[: self.lag + 1] if into_customer else np.concatenate((r[:1], r[::-1][: self.lag]))
        both = np.concatenate((r[-self.lag:], r[: self.lag + 1]))
        mad = float(np.median(np.abs(both - np.median(both)))) * 1.4826 + 1e-12
        k = int(np.argmax(side))
        return k, float(side[k]) / mad


class EchoCanceller:
    """Cancels a linear leak of one channel (``src``) into the other (``dst``) once its delay is known: the
    leak path is a short filter (``taps_s``) starting just before that delay, estimated by least squares
    over the call (the autocorrelation method, forgetting with ``memory_s``), and its output is subtracted
    from ``dst``. The line's noise and the other party's own speech do not correlate with ``src``, so the
    estimate converges under hiss 15 dB louder than the leak, where the energies cannot follow it."""

    SIGNIFICANT = 10.0

    def __init__(self, rate: int, max_lag_s: float, taps_s: float = 0.004, memory_s: float = 60.0,
                 min_src_s: float = 2.0) -> None:
        self.rate = rate
        self.k = max(4, round(taps_s * rate))
        self.pre = self.k // 4  # taps before the correlation's peak (a filtered path spreads both ways)
        self.keep = int(max_lag_s * rate) + self.k
        self.hist = np.zeros(self.keep, np.float64)  # the last ``keep`` samples of src
        self.memory_s = memory_s
        self.min_src = min_src_s * rate  # samples heard at the delay before the filter is used
        self.delay: int | None = None
        self.apply = False  # whether the filter, once estimated, is subtracted (it learns either way)
        self._reset()
        self.cancelled = 0.0  # seconds of dst the filter was subtracted from (for tests)
        # the autocorrelation's Toeplitz layout and the ridge's shape, the same for every solve
        self._toeplitz = np.abs(np.subtract.outer(np.arange(self.k), np.arange(self.k)))
        self._eye = np.eye(self.k)

    def _reset(self) -> None:
        self.acf = np.zeros(self.k, np.float64)
        self.xc = np.zeros(self.k, np.float64)
        self.yy = 0.0  # dst's energy, summed as acf and xc are
        self.heard = 0.0  # samples summed, forgetting as they do
        self.w: np.ndarray | None = None

    def set_delay(self, delay: int | None) -> None:
        """The leak's delay in samples (None: no leak confirmed). A new delay starts the estimate afresh
        (and ``apply`` is to be decided again)."""
        if delay is None or self.delay is None or abs(delay - self.delay) > 1:
            self._reset()
            self.apply = False
        self.delay = delay

    def process(self, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
        """``dst`` (int16) with the leak of ``src`` (the same samples' time) subtracted, once estimated."""
        n = len(dst)
        x = np.concatenate((self.hist, src.astype(np.float64)))
        out = dst
        if self.delay is not None and n:
            start = max(0, self.delay - self.pre)
            base = len(self.hist)
            # seg[t + j] is src at t - start - (k - 1 - j): tap k - 1 - j of output t
            seg = x[base - start - self.k + 1: base - start + n]
            y = dst.astype(np.float64)
            if self.w is not None and self.apply:
                est = np.correlate(seg, self.w[::-1], "valid")
                out = np.clip(np.round(y - est), -32768, 32767).astype(np.int16)
                self.cancelled += n / self.rate
            decay = float(np.exp(-(n / self.rate) / self.memory_s))
            xs = x[base - self.k + 1:]
            self.xc = self.xc * decay + np.correlate(seg, y, "valid")[::-1]
            self.acf = self.acf * decay + np.correlate(xs, xs[self.k - 1:], "valid")[::-1]
            self.yy = self.yy * decay + float(y @ y)
            self.heard = self.heard * decay + n
            self.w = None
            if self.heard >= self.min_src and self.acf[0] > 0:
                w = np.linalg.solve(self.acf[self._toeplitz] + self._eye * (1e-3 * self.acf[0]), self.xc)
                # used only when it explains ``SIGNIFICANT`` times the energy k taps fit to noise by chance:
                # while src says little (its hiss only), the line's noise and dst's own words fit a filter
                # louder than the leak, and subtracting that would add src's voice instead of removing it
                # ... and only a path no louder than a leak can be (``MAX_LEAK_DB``, its white-noise gain):
                # fitted while src spoke little, the taps swing wide where its speech had no energy, and
                # such a filter turns src's hiss into a sound louder than the leak
                explained = float(w @ self.xc)
                noise = max(self.yy - explained, 0.0) / self.heard
                if explained >= self.SIGNIFICANT * self.k * noise and float(w @ w) <= 10 ** (MAX_LEAK_DB / 10):
                    self.w = w
        self.hist = x[-self.keep:]
        return out


class _EnergyView:
    """One channel's frame energies (raw or denoised) as bleed detection sees them: levels, the last
    frames, the last minute by block, and the leak measured from them."""

    def __init__(self, levels: LevelTracker) -> None:
        self.levels = levels
        self.block: list[np.ndarray] = []  # energies of the block being filled
        self.history: deque[np.ndarray] = deque(maxlen=64)  # the last ~60 s, by block
        self.tail = np.full(MAX_LAG_FRAMES + 2, -np.inf, dtype=np.float32)  # the last frames
        self.leak: tuple[int, float, float] | None = None  # the other party leaking in
        # whether a leak could be measured yet (enough source speech): afterwards no leak means none,
        # not "assume the worst" (a 0 dB line's raw energies only ever show the mirror of a leak)
        self.measured = False
        # until then, the loudest leak the first frames allow (None: too few yet, ``ASSUMED_LEAK_DB``)
        self.bound: float | None = None
        self.clear_at = -(1 << 30)  # the last frame that cleared the bleed margin
        self.leak_src = 0  # which of the other channel's views the leak was measured against
        self.confirmed = False  # the waveforms' correlation peaks at the leak's delay (``leak_confirm_z``)

    def push(self, e: np.ndarray) -> None:
        self.tail = np.concatenate((self.tail, e))[-len(self.tail):]
        self.block.append(e)

    def end_block(self) -> None:
        b = np.concatenate(self.block)
        self.block = []
        self.levels.update(b)
        self.history.append(b)


class _Channel:
    def __init__(self, party: str, rate: int, settings: VadSettings) -> None:
        self.party = party
        self.rate = vad_rate(rate)
        self.resampler = None if self.rate == rate else soxr.ResampleStream(
            rate, self.rate, 1, dtype="int16", quality="HQ")
        self.vad = webrtcvad.Vad(settings.aggressiveness)
        self.flen = self.rate * settings.frame_ms // 1000
        self.buf = np.zeros(0, dtype=np.int16)
        self.smoother = _Smoother(settings.frame_ms / 1000, settings.min_speech_s, settings.min_silence_s)
        if settings.split_weak_gaps is not None:  # a setting: fixed for the stream (see ``push``)
            self.smoother.split_weak = round(settings.split_weak_gaps / self.smoother.frame_s)
        self.levels = LevelTracker(round(settings.floor_window_s / (BLOCK_FRAMES * settings.frame_ms / 1000)),
                                   settings.snr_offset_db)
        self.views = [_EnergyView(self.levels)]  # raw energies; denoised ones added below
        self.silero: SileroModel | None = None
        self.missing: str | None = None  # why Silero could not run, when it could not
        if settings.detector != "webrtc":
            try:
                self.silero = SileroModel(self.rate)
            except (AudioError, ImportError, OSError) as e:  # not installed / not bundled: webrtcvad alone
                self.missing = str(e).splitlines()[0] if str(e) else type(e).__name__
        self.denoiser = NoiseSuppressor(self.rate, floor_db=settings.denoise_floor_db) \
            if settings.denoise and self.silero is not None else None
        if self.denoiser is not None:
            # a leak buried in line noise still follows its source in the denoised signal
            self.views.append(_EnergyView(LevelTracker(self.levels.window_blocks)))
        self.dbuf = np.zeros(0, dtype=np.float32)  # denoised samples, aligned with ``buf``
        self.settings = settings
        self.buf_base = 0  # the sample index of buf[0]
        self.skipped = 0  # Silero chunks not run (quiet)
        self.sbuf = np.zeros(0, dtype=np.float32)
        self.probs = np.zeros(0, dtype=np.float32)
        self.probs_base = 0  # chunk index of probs[0]
        self.chunks_done = 0
        # Silero's state reset (see ``silero_reset_s``): after ``reset_after`` chunks heard without speech,
        # warmed up again on the ``recent`` ones
        self.reset_after: int | None = None
        self.recent: deque[np.ndarray] = deque(maxlen=1)
        if self.silero is not None and settings.silero_reset_s is not None:
            per_s = self.rate / self.silero.chunk
            self.reset_after = max(1, round(settings.silero_reset_s * per_s))
            self.recent = deque(maxlen=max(1, round(settings.silero_warmup_s * per_s)))
        self.quiet_run = 0
        self.resets = 0
        self.sub = max(1, settings.frame_ms // 10)  # 10 ms sub-frames per frame, for the edges
        self.sub_e = np.zeros(0, np.float32)  # their energies, back to the open segment's start
        self.sub_base = 0  # the sub-frame index of sub_e[0]

    def resample(self, samples: np.ndarray, last: bool = False) -> np.ndarray:
        """``samples`` as int16 at the VAD's rate."""
        x = np.asarray(samples)
        if x.dtype != np.int16:
            x = np.clip(np.round(x * 32767.0), -32768, 32767).astype(np.int16) if x.dtype.kind == "f" \
                else x.astype(np.int16)
        if self.resampler is not None:
            x = self.resampler.resample_chunk(x, last=last)
        return x

    def take(self, x: np.ndarray, last: bool = False) -> None:
        """Add int16 samples at the VAD's rate (see ``resample``)."""
        self.buf = np.concatenate((self.buf, x)) if len(self.buf) else np.ascontiguousarray(x)
        if self.silero is not None:
            f = x.astype(np.float32) / 32768.0
            if self.denoiser is not None:
                f = self.denoiser.process(f, last)
                self.dbuf = np.concatenate((self.dbuf, f))
            self.sbuf = np.concatenate((self.sbuf, f))
            c = self.silero.chunk
            if last and len(self.sbuf) % c:
                self.sbuf = np.concatenate((self.sbuf, np.zeros(c - len(self.sbuf) % c, np.float32)))

    def run_silero(self, upto: int) -> None:
        """Silero's probabilities for the chunks before chunk ``upto``. Run when the frames need them,
        so a chunk's skip decision depends on the levels of the blocks before it, not on how the input
        was cut into blocks."""
        assert self.silero is not None
        c = self.silero.chunk
        k = min(upto - self.chunks_done, len(self.sbuf) // c)
        if k <= 0:
            return
        new = np.zeros(k, np.float32)
        quiet = self._quiet_chunks(self.chunks_done, self.sbuf[: k * c].reshape(k, c))
        for i in range(k):
            if quiet[i]:
                # below the gate: Silero's answer could not make it speech, so it is not asked. Its
                # state carries on from the last chunk it heard (measured: a reset after each skipped
                # stretch, or re-hearing the chunks before, loses onsets: 10% of a clean channel's speech)
                self.skipped += 1
                continue
            chunk = self.sbuf[i * c:(i + 1) * c]
            new[i] = p = self.silero.prob(chunk)
            if self.reset_after is not None:
                self._after_heard(chunk, p)
        self.probs = np.concatenate((self.probs, new))
        self.sbuf = self.sbuf[k * c:]
        self.chunks_done += k

    def _after_heard(self, chunk: np.ndarray, p: float) -> None:
        """Count the chunks Silero heard without speech; after ``reset_after`` of them (a long stretch of
        line noise) give it a fresh state, warmed up on the last chunks heard."""
        assert self.silero is not None and self.reset_after is not None
        self.recent.append(chunk.copy())
        self.quiet_run = self.quiet_run + 1 if p < self.settings.silero_threshold else 0
        if self.quiet_run >= self.reset_after:
            self.silero.reset()
            for r in self.recent:
                self.silero.prob(r)
            self.quiet_run = 0
            self.resets += 1

    def gate(self) -> tuple[int, float | None]:
        """The energy gate: which view it reads (0 raw, 1 denoised) and its level, None before the
        floor is known. On a noisy line speech barely rises above the floor: the gate opens with the SNR."""
        s = self.settings
        snr = self.levels.snr_db
        g = len(self.views) - 1 if snr is not None and snr < s.gate_denoised_below_db else 0
        floor = self.views[g].levels.floor
        if floor is None:
            return g, None
        gate = s.gate_db if snr is None else min(s.gate_db, max(-3.0, s.gate_slope * snr))
        if g:
            gate = min(gate, s.denoised_gate_db)
        return g, floor + gate

    def noisiness(self) -> float:
        """How far the channel's edges move for noise (hangover, onset lead): 0 above
        ``noisy_edges_snr_db[1]`` effective SNR, rising to 1 at ``noisy_edges_snr_db[0]``."""
        snr = self.levels.snr_db
        if snr is None:
            return 0.0
        lo, hi = self.settings.noisy_edges_snr_db
        return min(1.0, max(0.0, (hi - snr) / (hi - lo)))

    def hangover_frames(self) -> int:
        """The hangover in frames for the channel's current effective SNR (see ``noisy_min_silence_s``)."""
        s = self.settings
        sil = s.min_silence_s
        if s.noisy_min_silence_s is not None:
            sil += self.noisiness() * (s.noisy_min_silence_s - s.min_silence_s)
        return max(1, round(sil / self.smoother.frame_s))

    def set_hangover(self) -> None:
        """Set the smoother's hangover for the channel's current effective SNR. Where the 10 ms edges
        apply (see ``edge_gaps``), a pause whose edges could be a hangover apart stays open until they are
        placed: the smoother bridges the two edge windows more and keeps the pauses near the hangover on
        the segment. Also from the start: the first seconds, before the line's SNR is known, are a call's
        first words; if the line turns out noisy, the frames decide at the close, as before."""
        hang = self.hangover_frames()
        sm = self.smoother
        sm.min_silence, sm.min_gap = hang, None
        if self.settings.edge_gaps and (self.edges_apply() or self.levels.snr_db is None):
            reach = -(-2 * self.edge_window // self.sub)
            sm.min_silence, sm.min_gap = hang + reach, max(1, hang - reach)

    def _quiet_chunks(self, first: int, denoised: np.ndarray) -> np.ndarray:
        """Which of the Silero chunks ``denoised`` (rows, -1..1; the first is chunk ``first``) stay below
        the energy gate in every 8 ms quarter: Silero's answer for them could not make them speech."""
        k, c = denoised.shape
        skip_db = self.settings.silero_skip_db
        if skip_db is None:
            return np.zeros(k, bool)
        g, level = self.gate()
        if level is None:
            return np.zeros(k, bool)
        if g:
            x = denoised * 32768.0
        else:  # the raw samples of the same chunks, still in ``buf`` (frames are consumed behind them)
            at = first * c - self.buf_base
            x = self.buf[at: at + k * c].astype(np.float32)
            x = np.concatenate((x, np.zeros(k * c - len(x), np.float32))).reshape(k, c)
        q = c // 4
        e = _db(x[:, : 4 * q].reshape(-1, q)).reshape(k, 4)
        out: np.ndarray = e.max(axis=1) < level - skip_db
        return out

    def frames_ready(self, frames_done: int) -> int:
        n = len(self.buf) // self.flen
        if self.silero is not None:
            c = self.silero.chunk
            n = min(n, (self.chunks_done + len(self.sbuf) // c) * c // self.flen - frames_done)
        if self.denoiser is not None:
            n = min(n, len(self.dbuf) // self.flen)
        return max(0, n)

    def view_energies(self, n: int) -> list[np.ndarray]:
        """The next ``n`` frames' energies (every other sample) for each view: raw, and denoised (in
        int16 units too) when there is a denoiser."""
        m = n * self.flen
        out = [_db(self.buf[:m].reshape(n, self.flen)[:, ::2])]
        if self.denoiser is not None:
            out.append(_db(self.dbuf[:m].reshape(n, self.flen)[:, ::2] * 32768.0))
        return out

    def frame_probs(self, first: int, n: int) -> np.ndarray:
        """Silero's probability for frames first..first+n-1: the max over the chunks each overlaps."""
        assert self.silero is not None
        c = self.silero.chunk
        self.run_silero(((first + n) * self.flen - 1) // c + 1)
        starts = (np.arange(first, first + n) * self.flen) // c - self.probs_base
        ends = (((np.arange(first, first + n) + 1) * self.flen) - 1) // c - self.probs_base
        p = np.maximum(self.probs[starts], self.probs[ends])
        keep = int(((first + n) * self.flen) // c - self.probs_base)
        self.probs, self.probs_base = self.probs[keep:], self.probs_base + keep
        return p

    def keep_sub_energies(self, n: int) -> None:
        """Remember the 10 ms energies of the next ``n`` frames (before ``consume``)."""
        if self.settings.edge_below_level_db is None:
            return
        m = n * self.flen
        e = _db(self.buf[:m].reshape(n * self.sub, self.flen // self.sub)).astype(np.float32)
        self.sub_e = np.concatenate((self.sub_e, e)) if len(self.sub_e) else e

    def forget_sub_energies(self, frames_done: int) -> None:
        """Drop the 10 ms energies no segment edge can need any more."""
        start = self.smoother.start
        keep = (frames_done if start is None else start) * self.sub - self.edge_window - 1
        if keep > self.sub_base:
            self.sub_e = self.sub_e[keep - self.sub_base:]
            self.sub_base = keep

    @property
    def edge_window(self) -> int:
        return round(self.settings.edge_window_s * 100)

    def edges_apply(self) -> bool:
        """Whether segment edges are placed to 10 ms on this channel now (clean enough, levels known)."""
        s, snr = self.settings, self.levels.snr_db  # known once the floor and the level are
        return s.edge_below_level_db is not None and snr is not None and snr >= s.edge_min_snr_db

    def edges(self, piece: _Piece) -> list[tuple[float, float]]:
        """A closed piece's segments in seconds. On a clean line each edge moves to the 10 ms sub-frame
        where the channel's energy crosses the edge level (see ``edge_below_level_db``), within
        ``edge_window_s``, and the piece splits at each of its ``gaps`` whose edges so placed are a
        hangover apart or more; a split's edges stay where they are (the pieces touch)."""
        fs, sub, min_silence = self.smoother.frame_s, self.sub, self.hangover_frames()
        w, b = self.edge_window, self.sub_base  # sub_e reaches back past start - w (forget_sub_energies)
        loud = None
        if self.edges_apply():
            s, lv = self.settings, self.levels
            assert s.edge_below_level_db is not None and lv.floor is not None and lv.level is not None
            loud = self.sub_e > max(lv.floor + s.edge_over_floor_db, lv.level - s.edge_below_level_db)

        def onset(at: int) -> int:  # speech starts at sub-frame ``at`` by the detector
            if loud is None:
                return at
            lo = max(b, at - w)
            hit = np.flatnonzero(loud[lo - b: at + w + 1 - b])
            return lo + int(hit[0]) if len(hit) else at

        def offset(at: int) -> int:  # speech ends before sub-frame ``at`` by the detector
            if loud is None:
                return at
            lo = max(b, at - w - 1)
            hit = np.flatnonzero(loud[lo - b: at + w - b])
            return lo + int(hit[-1]) + 1 if len(hit) else at

        frames = [piece.start]  # frame bounds of the parts, and the same placed to 10 ms
        placed = [piece.start * sub if piece.joined else onset(piece.start * sub)]
        for g0, g1 in piece.gaps:
            left, right = offset(g0 * sub), onset(g1 * sub)
            if right - left >= min_silence * sub:
                frames += [g0, g1]
                placed += [left, right]
        frames.append(piece.end)
        placed.append(piece.end * sub if piece.cut else offset(piece.end * sub))
        out = []
        for k in range(0, len(frames), 2):
            start, end = placed[k], placed[k + 1]
            if end <= start:
                start, end = frames[k] * sub, frames[k + 1] * sub
            out.append((start * fs / sub, end * fs / sub))
        return out

    def consume(self, n: int) -> bytes:
        chunk, self.buf = self.buf[: n * self.flen], self.buf[n * self.flen:]
        self.buf_base += n * self.flen
        if self.denoiser is not None:
            self.dbuf = self.dbuf[n * self.flen:]
        return chunk.tobytes()

    def quality(self, too_noisy_below: float, leak: tuple[int, float, float] | None) -> ChannelQuality:
        lv = self.levels
        snr = lv.snr_db
        return ChannelQuality(
            party=self.party,
            snr_db=None if snr is None else round(snr, 1),
            noise_dbfs=None if lv.floor is None else round(lv.floor - FULL_SCALE_DB, 1),
            speech_dbfs=None if lv.level is None else round(lv.level - FULL_SCALE_DB, 1),
            too_noisy=snr is not None and snr < too_noisy_below,
            bleed_db=None if leak is None else round(leak[1], 1),
            bleed_delay_ms=None if leak is None else round(leak[0] * self.flen * 1000 / self.rate),
        )


class StereoVad:
    """Speech segments of two time-aligned channels (agent, customer), fed in blocks of any length."""

    def __init__(self, rate: int, settings: VadSettings | None = None, max_open_s: float | None = None) -> None:
        self.settings = settings or VadSettings()
        # live: a segment still open after this long is handed out in pieces (touching, so they merge)
        self.max_open_frames = None if max_open_s is None else max(1, round(max_open_s * 1000 / self.settings.frame_ms))
        self.input_rate = rate
        self.ch = {AGENT: _Channel(AGENT, rate, self.settings), CUSTOMER: _Channel(CUSTOMER, rate, self.settings)}
        self.frame_s = self.settings.frame_ms / 1000
        self.frames_done = 0
        self.vad_calls = 0  # webrtcvad calls made (for the benchmark's bookkeeping)
        a = self.ch[AGENT]
        max_lag_s = (MAX_LAG_FRAMES + 1) * a.flen / a.rate
        self.correlator = LeakCorrelator(a.rate, max_lag_s) \
            if self.settings.leak_confirm_z is not None and len(a.views) > 1 else None
        # the leak into each party's channel, cancelled once the correlation confirms it (``echo_cancel``)
        self.cancellers = {p: EchoCanceller(a.rate, max_lag_s) for p in (AGENT, CUSTOMER)} \
            if self.correlator is not None and self.settings.echo_cancel else {}
        self._ready = False

    @property
    def position_s(self) -> float:
        return self.frames_done * self.frame_s

    def open_start(self, party: str) -> float:
        """Where the segment being spoken now began, or the current position when nobody is speaking."""
        s = self.ch[party].smoother.open_start()
        return self.position_s if s is None else max(0.0, s - self.settings.pad_s)

    @property
    def detector(self) -> str:
        """The detector actually running (``combined`` falls back to ``webrtc`` without the model)."""
        if self.settings.detector == "webrtc" or any(ch.silero is None for ch in self.ch.values()):
            return "webrtc"
        return self.settings.detector

    def quality(self) -> dict[str, ChannelQuality]:
        """Each channel's effective SNR, levels and detected bleed, as measured so far."""
        return {p: ch.quality(self.settings.noisy_snr_db, self._leak(p)) for p, ch in self.ch.items()}

    def _trusted(self, view: _EnergyView, src: _EnergyView, first: bool) -> bool:
        """Whether ``view``'s measured leak is trusted: it follows its source tightly enough (or the
        waveforms confirm it) and is loud enough to matter over the channel's floor."""
        s, leak = self.settings, view.leak
        return leak is not None \
            and (leak[2] < (s.leak_spread if first else s.denoised_leak_spread) or view.confirmed) \
            and src.levels.level is not None and view.levels.floor is not None \
            and src.levels.level + leak[1] > view.levels.floor + 3.0

    def _leak(self, party: str) -> tuple[int, float, float] | None:
        """The other party leaking into ``party``'s channel: the clearest trusted measurement."""
        ch, other = self.ch[party], self.ch[CUSTOMER if party == AGENT else AGENT]
        found = [v.leak for i, v in enumerate(ch.views)
                 if v.leak is not None and self._trusted(v, other.views[v.leak_src], i == 0)]
        return min(found, key=lambda k: k[2]) if found else None

    def feed(self, agent: np.ndarray, customer: np.ndarray, last: bool = False) -> list[Segment]:
        """Add samples of both channels; returns the segments that closed, in order of start."""
        step = round(4 * BLOCK_FRAMES * self.frame_s * self.input_rate)
        if not self.cancellers or max(len(agent), len(customer)) <= step:
            return self._feed(agent, customer, last)
        # the echo cancellers learn the leak's delay at the end of each block: a long input goes through in
        # steps of 4 blocks (3.8 s), so what follows is cancelled with what they taught, as live audio is
        # (steps of 1 block cost 30% more time on a one-hour file: each step splits a block in two)
        out: list[Segment] = []
        n = max(len(agent), len(customer))
        for i in range(0, n, step):
            out += self._feed(agent[i:i + step], customer[i:i + step], last and i + step >= n)
        out.sort(key=lambda g: g.start)
        return out

    def _feed(self, agent: np.ndarray, customer: np.ndarray, last: bool) -> list[Segment]:
        a, c = self.ch[AGENT], self.ch[CUSTOMER]
        xa, xc = a.resample(agent, last), c.resample(customer, last)
        if self.correlator is not None:  # the waveforms as they came (a cancelled leak stays confirmed)
            self.correlator.push(xa, xc)
        if self.cancellers and len(xa) == len(xc):
            xa, xc = self.cancellers[AGENT].process(xc, xa), self.cancellers[CUSTOMER].process(xa, xc)
        a.take(xa, last)
        c.take(xc, last)
        n = min(a.frames_ready(self.frames_done), c.frames_ready(self.frames_done))
        out: list[Segment] = []
        while n > 0:
            m = min(n, BLOCK_FRAMES - self.frames_done % BLOCK_FRAMES)
            if not self._ready and m < BLOCK_FRAMES and not last:
                break  # the first block sets the levels: wait for all of it
            self._piece(m, out)
            n -= m
        out.sort(key=lambda g: g.start)
        return out

    def _piece(self, m: int, out: list[Segment]) -> None:
        s = self.settings
        views = {p: ch.view_energies(m) for p, ch in self.ch.items()}
        if not self._ready:
            for p, ch in self.ch.items():
                for view, ve in zip(ch.views, views[p], strict=True):
                    view.levels.update(ve)
            self._ready = True
        for p, ch in self.ch.items():
            other = self.ch[CUSTOMER if p == AGENT else AGENT]
            g, level = ch.gate()
            e = views[p][g]
            cand = e > (level if level is not None else float(e.min()) + s.gate_db)
            # bleed by the raw energies or by the denoised ones (each view judged on its own measurements)
            for i, view in enumerate(ch.views):
                j = view.leak_src
                cand &= self._not_bleed(view, other.views[j], views[p][i], views[other.party][j], first=i == 0)
            sure = None
            if ch.silero is not None:
                pr = ch.frame_probs(self.frames_done, m)
                cand &= pr > s.silero_threshold
                if s.webrtc_unless_sure is not None:
                    sure = pr >= s.webrtc_unless_sure
            ch.keep_sub_energies(m)
            data = ch.consume(m)
            if s.detector != "silero" or ch.silero is None:
                flen2, vad, rate = ch.flen * 2, ch.vad, ch.rate
                ask = cand if sure is None else cand & ~sure
                for i in np.flatnonzero(ask).tolist():
                    cand[i] = vad.is_speech(data[i * flen2:(i + 1) * flen2], rate)
                self.vad_calls += int(ask.sum())
            closed: list[_Piece] = []
            ch.set_hangover()
            strong = None
            snr = ch.levels.snr_db
            if s.tail_trim_db is not None and snr is not None and snr < s.tail_trim_below_db:
                fl = ch.views[g].levels.floor
                if fl is not None:
                    strong = e > fl + s.tail_trim_db
            ch.smoother.push(self.frames_done, cand, closed, strong)
            if self.max_open_frames is not None:
                ch.smoother.split(self.max_open_frames, closed)
            for piece in closed:
                out.extend(self._segments(p, piece))
            ch.forget_sub_energies(self.frames_done + m)
        for p, ch in self.ch.items():
            for view, ve in zip(ch.views, views[p], strict=True):
                view.push(ve)
        self.frames_done += m
        if self.frames_done % BLOCK_FRAMES == 0:
            self._end_block()

    def _not_bleed(self, view: _EnergyView, src: _EnergyView, e: np.ndarray, src_e: np.ndarray,
                   first: bool) -> np.ndarray:
        """Frames of energies ``e`` louder than the other channel's (``src_e``) leaking in could explain:
        by ``bleed_margin_db``, or by ``bleed_margin_db - bleed_hold_db`` within ``bleed_hold_s`` after
        a frame that cleared the full margin (the quiet end of a word the bleed would otherwise cut)."""
        m = len(e)
        s = self.settings
        leak = view.leak
        if leak is None:
            if not first or view.measured:
                view.clear_at = self.frames_done + m - 1
                return np.ones(m, bool)
            # nothing measured yet (the first seconds): assume the worst leak we handle, at any delay,
            # unless the first frames already rule it out (an overlap there would lose the quieter party)
            lags = range(MAX_LAG_FRAMES + 1)
            gain = ASSUMED_LEAK_DB if view.bound is None else min(ASSUMED_LEAK_DB, view.bound)
        elif self._trusted(view, src, first):
            k, gain = leak[0], leak[1]
            lags = range(max(0, k - 1), k + 2)  # delays fall between frames
        else:
            view.clear_at = self.frames_done + m - 1
            return np.ones(m, bool)
        oe = np.concatenate((src.tail, src_e))
        base = len(src.tail)
        ref = np.maximum.reduce([oe[base - j: base - j + m] for j in lags])
        over = e - (ref + gain)
        clear = over > s.bleed_margin_db
        idx = np.arange(self.frames_done, self.frames_done + m)
        last = np.maximum.accumulate(np.where(clear, idx, view.clear_at))
        if clear.any():
            view.clear_at = int(last[-1])
        hold = (idx - last) * self.frame_s <= s.bleed_hold_s
        out: np.ndarray = clear | (hold & (over > s.bleed_margin_db - s.bleed_hold_db))
        return out

    def _end_block(self) -> None:
        for ch in self.ch.values():
            for view in ch.views:
                view.end_block()
        z = self.settings.leak_confirm_z
        if self.correlator is not None and z is not None:
            for into, ec in self.cancellers.items():
                pk = self.correlator.peak(into_customer=into == CUSTOMER)
                # once cancelling, a peak half as high keeps it going (no flapping at the threshold)
                ec.set_delay(pk[0] if pk is not None and pk[1] >= (z if ec.delay is None else z / 2) else None)
                # subtracted only from a channel whose gate reads the denoised view (there the energies
                # under-rate a leak) and only the leak of a clean source, ``ECHO_SOURCE_MARGIN_DB`` cleaner:
                # the filter passes the source's own line noise too (into a channel it was not in), and that
                # noise biases the estimate low (a 7.5 dB source's -19 dB leak was estimated at -26 dB, and
                # what it left, with the energies' leak measured on the cancelled channel, was counted)
                dst, src = self.ch[into], self.ch[AGENT if into == CUSTOMER else CUSTOMER]
                snr, src_snr = dst.levels.snr_db, src.levels.snr_db
                # Once on, it stays on while the delay stands: switched off again, the whole leak would come
                # back to energies whose leak was measured on the cancelled channel (and a call's first
                # long turn can make a clean channel look noisy for a while: on the cleaned channel that
                # costs nothing)
                ec.apply = ec.apply or (dst.gate()[0] > 0 and src.gate()[0] == 0 and snr is not None
                                        and src_snr is not None and src_snr >= snr + ECHO_SOURCE_MARGIN_DB)
        blocks = self.frames_done // BLOCK_FRAMES
        if blocks > LEAK_EARLY_BLOCKS and blocks % LEAK_EVERY_BLOCKS \
                and all(v.measured for ch in self.ch.values() for v in ch.views):
            # a leak changes slowly: after the first seconds it is measured every few blocks, but
            # every block until it could be (until then the worst leak is assumed, which costs overlaps)
            return
        a, c = self.ch[AGENT], self.ch[CUSTOMER]
        hist = {ch.party: [np.concatenate(v.history) for v in ch.views] for ch in (a, c)}
        for dst, src in ((a, c), (c, a)):
            for i, view in enumerate(dst.views):
                j = src.gate()[0] if self.settings.cross_leak else i
                view.leak_src = j
                level = src.views[j].levels.level
                if source_heard(hist[src.party][j], level):
                    view.leak = estimate_leak(hist[src.party][j], hist[dst.party][i], level)
                    view.measured = True
                    # only where the gate reads the denoised view: on a cleaner line the raw
                    # energies measure a leak tightly, and one they do not trust is not there
                    view.confirmed = i > 0 and dst.gate()[0] == i and self._confirmed(dst.party, view.leak)
                elif not view.measured:
                    view.bound = leak_bound(hist[src.party][j], hist[dst.party][i], level)
                # else the source said too little to measure the leak again (its level rose above the
                # history's speech, or it fell silent for a minute): the last measurement stands

    def _confirmed(self, dst: str, leak: tuple[int, float, float] | None) -> bool:
        """Whether the waveforms' correlation peaks at ``leak``'s delay (within a frame) into ``dst``."""
        z = self.settings.leak_confirm_z
        if leak is None or z is None or self.correlator is None:
            return False
        pk = self.correlator.peak(into_customer=dst == CUSTOMER)
        flen = self.ch[dst].flen
        return pk is not None and pk[1] >= z and abs(pk[0] / flen - leak[0]) <= 1.0

    def _segments(self, party: str, piece: _Piece) -> list[Segment]:
        ch = self.ch[party]
        pad = self.settings.pad_s
        lead = pad + self.settings.noisy_onset_pad_s * ch.noisiness()
        return [Segment(party, max(0.0, start - lead), max(0.0, end + pad, start - lead))
                for start, end in ch.edges(piece)]

    def flush(self) -> list[Segment]:
        """Close the stream: the segments still open end where the audio ends."""
        out = self.feed(np.zeros(0, np.int16), np.zeros(0, np.int16), last=True)
        for p, ch in self.ch.items():
            closed: list[_Piece] = []
            ch.smoother.flush(closed)
            for piece in closed:
                out.extend(self._segments(p, piece))
        out.sort(key=lambda g: g.start)
        return out


def silero_model_path() -> str:
    """The Silero VAD ONNX model shipped inside the installed ``silero-vad`` wheel.

    Found without importing the package (its ``__init__`` imports torch, which we neither need nor ship);
    in the installer's bundle, which carries the model file alone, under the bundle's own folder.
    """
    import importlib.util
    import os
    import sys

    bundle = getattr(sys, "_MEIPASS", None)
    spec = None if bundle else importlib.util.find_spec("silero_vad")
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    if bundle:
        locations.append(os.path.join(bundle, "silero_vad"))
    for loc in locations:
        path = os.path.join(loc, "data", "silero_vad.onnx")
        if os.path.exists(path):
            return path
    raise AudioError("the Silero VAD model is missing: install the 'silero-vad' package "
                     "(pip install --no-deps silero-vad)")


class SileroModel:
    """Silero VAD v5/v6 run by onnxruntime on one stream: ``prob(chunk)`` for consecutive chunks of
    ``chunk`` samples (float32, −1…1): 256 at 8 kHz, 512 at 16 kHz (32 ms), with the model's
    recurrent state and the 32/64-sample context carried from chunk to chunk."""

    _sessions: ClassVar[dict[str, Any]] = {}

    def __init__(self, rate: int) -> None:
        if rate not in VAD_RATES:
            raise ValueError("Silero VAD runs at 8 or 16 kHz")
        import onnxruntime

        path = silero_model_path()
        sess = self._sessions.get(path)
        if sess is None:
            opts = onnxruntime.SessionOptions()
            opts.inter_op_num_threads = 1
            opts.intra_op_num_threads = 1
            sess = onnxruntime.InferenceSession(path, sess_options=opts, providers=["CPUExecutionProvider"])
            self._sessions[path] = sess
        self._sess = sess
        self.rate = rate
        self.chunk = 512 if rate == 16000 else 256
        self._ctx_len = 64 if rate == 16000 else 32
        self.reset()
        self._sr = np.array(rate, dtype=np.int64)
        self.calls = 0

    def reset(self) -> None:
        """Forget the stream heard so far (the recurrent state and the context)."""
        self._state = np.zeros((2, 1, 128), np.float32)
        self._ctx = np.zeros(self._ctx_len, np.float32)

    def prob(self, chunk: np.ndarray) -> float:
        x = np.concatenate((self._ctx, chunk.astype(np.float32, copy=False)))[None, :]
        out, self._state = self._sess.run(None, {"input": x, "state": self._state, "sr": self._sr})
        self._ctx = x[0, -self._ctx_len:]
        self.calls += 1
        return float(out[0, 0])
