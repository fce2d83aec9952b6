"""Recordings -> speech segments per party: ``analyze_file(path)`` for a stereo file or two mono files.

Reads WAV/FLAC (anything libsndfile reads) with soundfile, checks it is usable and runs ``StereoVad``
over it in blocks. Every problem with the input becomes one ``AudioError`` with a message for a user.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

from agent_assist.audio.errors import AudioError
from agent_assist.audio.vad import MIN_RATE, VAD_RATES, StereoVad, VadSettings, vad_rate
from agent_assist.coach.talk import AGENT, CUSTOMER, ChannelQuality, Segment

BLOCK_S = 60.0
CLIP_LIMIT = 0.05  # share of samples at full scale above which figures are unreliable
CLIP_WARN = 0.002  # ... and above which the user is told
DC_LIMIT = 64  # |mean| in int16 units above which a channel's DC offset is removed (and said)


@dataclass(frozen=True)
class Analysis:
    """What the analysis of a recording found: the segments, the duration, each channel's quality
    (effective SNR, "too noisy to trust", bleed) and notes for the user about what was done to the input
    (resampled, DC offset removed, some clipping, a silent channel, a channel too noisy to trust)."""

    segments: list[Segment]
    duration_s: float
    quality: tuple[ChannelQuality, ...] = ()
    notes: tuple[str, ...] = field(default=())

_SAMPLE_BYTES = {"PCM_U8": 1, "PCM_S8": 1, "PCM_16": 2, "PCM_24": 3, "PCM_32": 4, "FLOAT": 4, "DOUBLE": 8}

__all__ = ["Analysis", "AudioError", "analyze_arrays", "analyze_file", "analyze_file_report",
           "analyze_report", "read_audio"]


def read_audio(path: str | Path) -> tuple[np.ndarray, int]:
    """Samples (frames x channels, int16) and rate of an audio file, or ``AudioError``."""
    p = Path(path)
    if not p.exists():
        raise AudioError(f"{p}: no such file")
    if p.is_dir():
        raise AudioError(f"{p} is a folder, not an audio file")
    if p.stat().st_size == 0:
        raise AudioError(f"{p} is empty (0 bytes)")
    _check_content(p)
    try:
        info = sf.info(str(p))
        data, rate = sf.read(str(p), dtype="int16", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError) as e:
        raise AudioError(f"{p} is not a readable audio file ({_short(e)}); use WAV or FLAC") from None
    width = _SAMPLE_BYTES.get(info.subtype)
    promised = (_wav_promised_frames(p, info.channels * width) or 0) if width and info.format == "WAV" else 0
    if promised > len(data):
        raise AudioError(f"{p} is truncated: its header promises {promised / rate:.1f} s "
                         f"but only {len(data) / rate:.1f} s are there")
    if len(data) == 0:
        raise AudioError(f"{p} contains no audio (zero length)")
    if rate < MIN_RATE:
        raise AudioError(f"{p}: sample rate {rate} Hz is too low for speech analysis "
                         f"(need at least {MIN_RATE} Hz)")
    return data, int(rate)


# What a file is, by its first bytes (the name can lie: an MP3 renamed .wav).
_MAGIC: tuple[tuple[int, bytes, str], ...] = (
    (0, b"RIFF", "WAV"), (0, b"RIFX", "WAV"), (0, b"RF64", "WAV"), (0, b"fLaC", "FLAC"), (0, b"OggS", "Ogg"),
    (0, b"FORM", "AIFF"), (0, b"ID3", "MP3"), (4, b"ftyp", "MP4/M4A"), (0, b"#!AMR", "AMR"),
    (0, b"\x30\x26\xb2\x75", "WMA"), (0, b"WEBVTT", "WebVTT transcript"), (0, b"\x1a\x45\xdf\xa3", "WebM"),
    (0, b"%PDF", "PDF"), (0, b"PK\x03\x04", "ZIP"), (0, b"\x89PNG", "PNG"), (0, b"\xff\xd8\xff", "JPEG"),
)
_SUFFIX_KIND = {".wav": "WAV", ".flac": "FLAC", ".ogg": "Ogg", ".aiff": "AIFF", ".aif": "AIFF"}
_READABLE = frozenset({"WAV", "FLAC", "Ogg", "AIFF"})


def sniff(path: str | Path) -> str | None:
    """The kind of file at ``path`` judged by its content ("WAV", "MP3", …), or None if unknown."""
    with Path(path).open("rb") as f:
        head = f.read(16)
    for offset, magic, kind in _MAGIC:
        if head[offset:offset + len(magic)] == magic:
            return kind
    # an MPEG audio frame: 11 sync bits, a layer that is not the reserved 00
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0 and head[1] & 0x06:
        return "MP3"
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0:
        return "AAC"
    return None


def _check_content(p: Path) -> None:
    kind = sniff(p)
    named = _SUFFIX_KIND.get(p.suffix.lower())
    if kind is not None and kind not in _READABLE:
        as_named = f", though it is named {p.suffix}" if p.suffix else ""
        article = "an" if kind[0] in "AEIMO" else "a"
        raise AudioError(f"{p} is {article} {kind} file by its content{as_named}; convert it to WAV or FLAC "
                         "(e.g. with sox or ffmpeg) and try again")
    if kind is None and named is not None:
        raise AudioError(f"{p} is not a readable audio file (by its content it is not {named}: its first "
                         "bytes are no audio header); use a WAV or FLAC recording")


def _wav_promised_frames(p: Path, frame_bytes: int) -> int | None:
    """Frames the RIFF header's data chunk announces (libsndfile silently reads what is there)."""
    with p.open("rb") as f:
        head = f.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return None
        while True:
            chunk = f.read(8)
            if len(chunk) < 8:
                return None
            size = int.from_bytes(chunk[4:8], "little")
            if chunk[:4] == b"data":
                # 0 and 0xFFFFFFFF mark streams written without a final size: nothing promised
                return None if size in (0, 0xFFFFFFFF) else size // max(frame_bytes, 1)
            f.seek(size + (size & 1), 1)


def _short(e: BaseException) -> str:
    text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return text.replace("Error opening ", "").strip()[:160]


def _check_levels(name: str, x: np.ndarray) -> str | None:
    """One-line note about the channel's level (some clipping), or ``AudioError`` when it is unusable."""
    hi, lo = (int(x.max()), int(x.min())) if len(x) else (0, 0)
    if hi == 0 and lo == 0:
        raise AudioError(f"{name} is all silence (every sample is zero): nothing to analyse")
    if hi >= 32767 or lo <= -32767:  # only then is counting worth a pass over the samples
        clipped = (np.count_nonzero(x >= 32767) + np.count_nonzero(x <= -32767)) / len(x)
        if clipped > CLIP_LIMIT:
            raise AudioError(f"{name} is heavily clipped ({clipped:.0%} of samples at full scale): "
                             "the recording level is too high for reliable figures")
        if clipped > CLIP_WARN:
            return f"{name} is clipped in places ({clipped:.1%} of samples at full scale)"
    return None


def _dc(x: np.ndarray) -> int:
    """The channel's DC offset (int16 units), from a strided sample of it (cheap on an hour of audio)."""
    step = max(1, len(x) // 200_000)
    return round(float(np.mean(x[::step], dtype=np.float64))) if len(x) else 0


def analyze_report(agent: np.ndarray, customer: np.ndarray, rate: int,
                   settings: VadSettings | None = None) -> Analysis:
    """Segments, quality and notes of two aligned int16 channels at ``rate`` (views into one interleaved
    array are fine: they are copied block by block, which is much faster than copying whole strided
    channels)."""
    n = max(len(agent), len(customer))
    notes: list[str] = []
    if rate not in VAD_RATES:
        notes.append(f"resampled from {rate} Hz to {vad_rate(rate)} Hz for speech detection")
    dc = {AGENT: _dc(agent), CUSTOMER: _dc(customer)}
    for p, v in dc.items():
        if abs(v) > DC_LIMIT:
            notes.append(f"the {p} channel has a DC offset ({v / 32768:+.1%} of full scale): removed")
    vad = StereoVad(rate, settings)
    if vad.detector != vad.settings.detector:
        notes.append(f"speech detection by webrtcvad alone, less reliable on noisy lines "
                     f"({vad.ch[AGENT].missing or 'the Silero model is not available'})")
    block = int(BLOCK_S * rate)
    segs: list[Segment] = []
    for i in range(0, n, block):
        a, c = agent[i:i + block], customer[i:i + block]
        if len(a) != len(c):
            m = max(len(a), len(c))
            a, c = np.pad(a, (0, m - len(a))), np.pad(c, (0, m - len(c)))
        if abs(dc[AGENT]) > DC_LIMIT:
            a = np.clip(a.astype(np.int32) - dc[AGENT], -32768, 32767).astype(np.int16)
        if abs(dc[CUSTOMER]) > DC_LIMIT:
            c = np.clip(c.astype(np.int32) - dc[CUSTOMER], -32768, 32767).astype(np.int16)
        segs.extend(vad.feed(a, c))
    segs.extend(vad.flush())
    quality = vad.quality()
    for p, q in quality.items():
        if q.too_noisy:
            notes.append(f"the {p} channel is too noisy to trust (effective SNR {q.snr_db:.0f} dB): "
                         f"its speech time may be under-counted")
    return Analysis(segs, n / rate, tuple(quality.values()), tuple(notes))


def analyze_arrays(agent: np.ndarray, customer: np.ndarray, rate: int,
                   settings: VadSettings | None = None) -> list[Segment]:
    """Segments of two aligned int16 channels at ``rate`` (see ``analyze_report``)."""
    return analyze_report(agent, customer, rate, settings).segments


def analyze_file(path: str | Path, agent_channel: str = "left", agent_file: str | Path | None = None,
                 settings: VadSettings | None = None) -> tuple[list[Segment], float]:
    """Speech segments and duration (s) of a call recording (see ``analyze_file_report``)."""
    r = analyze_file_report(path, agent_channel, agent_file, settings)
    return r.segments, r.duration_s


def analyze_file_report(path: str | Path, agent_channel: str = "left", agent_file: str | Path | None = None,
                        settings: VadSettings | None = None) -> Analysis:
    """Speech segments, duration, channel quality and notes of a call recording.

    ``path`` is a stereo file with the agent on ``agent_channel`` ("left" or "right"), or — with
    ``agent_file`` — the customer's mono file, the agent's being ``agent_file``.
    """
    notes: list[str] = []
    if agent_channel not in ("left", "right"):
        raise AudioError(f"agent channel must be 'left' or 'right', not {agent_channel!r}")
    data, rate = read_audio(path)
    if agent_file is not None:
        adata, arate = read_audio(agent_file)
        for name, d in ((path, data), (agent_file, adata)):
            if d.shape[1] != 1:
                raise AudioError(f"{name} has {d.shape[1]} channels; with --agent-file both files "
                                 "must be mono")
        if arate != rate:
            raise AudioError(f"the two files have different sample rates ({arate} Hz and {rate} Hz)")
        agent, customer = adata[:, 0], data[:, 0]
        notes += [m for m in (_check_levels(str(agent_file), agent), _check_levels(str(path), customer)) if m]
    else:
        if data.shape[1] == 1:
            raise AudioError(f"{path} is mono: a call recording needs two channels (agent and customer); "
                             "for two mono files pass the agent's with --agent-file")
        if data.shape[1] > 2:
            raise AudioError(f"{path} has {data.shape[1]} channels; expected a stereo (2-channel) call")
        li = 0 if agent_channel == "left" else 1
        agent, customer = data[:, li], data[:, 1 - li]
        if not (agent.max() or agent.min() or customer.max() or customer.min()):
            raise AudioError(f"{path} is all silence (every sample is zero): nothing to analyse")
        for party, name, x in ((AGENT, f"{path} ({agent_channel} channel, agent)", agent),
                               (CUSTOMER, f"{path} (customer)", customer)):
            if x.max() or x.min():  # one silent party is fine (a one-sided recording); both silent is not
                m = _check_levels(name, x)
                if m:
                    notes.append(m)
            else:
                notes.append(f"the {party} channel is silent (every sample is zero): a one-sided "
                             "recording, or the wrong channel layout")
    r = analyze_report(agent, customer, rate, settings)
    if not r.segments:
        raise AudioError(f"no speech found in {path}: is it the right recording, and not muted?")
    return Analysis(r.segments, r.duration_s, r.quality, tuple(notes) + r.notes)
