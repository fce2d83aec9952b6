"""Live listening through QtMultimedia: the agent's microphone and the customer's audio (a loopback /
monitor input of the softphone's output), or the two channels of one stereo input (left = agent).

``LiveCapture`` polls ``QAudioSource`` devices (push mode, read on a timer: cheap and free of the
``stateChanged`` enum signal, which PySide6 cannot deliver to Python slots) and keeps both parties'
samples aligned at 16 kHz. ``LiveSource`` runs ``StereoVad`` over what was captured every 200 ms through
a *runner* (the window passes the "audio" lane, so the VAD never runs on the GUI thread) and emits each
speech segment as it closes. ``ReplaySource`` plays a stereo file through the same path in real time
(demo, screenshots, tests without a sound server).

Note for PulseAudio users: Qt does not list *monitor* sources (``<sink>.monitor``) as inputs. To capture
the softphone's output, create a regular source from the monitor once, e.g.
``pactl load-module module-remap-source master=<sink>.monitor source_name=softphone_out``.

Why this file is over 400 lines: one live source: device capture, PulseAudio watch, VAD per channel and
taps, on one thread model.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import soxr
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtMultimedia import QAudioDevice, QAudioFormat, QAudioSource, QMediaDevices, QtAudio

from agent_assist.audio.analysis import read_audio
from agent_assist.audio.errors import AudioError
from agent_assist.audio.sources import SourceResult
from agent_assist.audio.vad import StereoVad, VadSettings
from agent_assist.coach.talk import AGENT, CUSTOMER, Segment

log = logging.getLogger(__name__)

RATE = 16000
# What the sound server holds for us while the GUI thread is busy (the inputs are read there, every 50 ms).
# Measured against a real PulseAudio: with 0.2 s, a 0.4 s stall of the GUI thread lost 0.25 s of audio and a
# 1 s stall 0.82 s (spoken words cut out, speech time under-counted); with 2 s, a 1 s stall lost nothing.
# No latency is added: the server's sources stay configured at 64 ms with either buffer (pactl list sources),
# and data still arrives in 64 ms fragments.
INPUT_BUFFER_S = 2.0
# A poll that comes later than that (the GUI thread was busy even longer) finds the buffer's worth (the
# oldest: measured) and what it could not hold is gone: that gap is filled with silence after it (so the call's
# timeline stays the wall clock's) and counted per channel. Under ``LOST_MIN_S`` it is the fragments' jitter, not a loss.
LOST_MIN_S = 0.1
LOST_WARN_S = 0.5  # lost audio the user is told about (the meter; practice's microphone)
# ... and at most this much silence is filled in (a machine suspended mid-call for an hour would otherwise
# fill ~115 MB per channel); what is longer is still counted, and the timeline shifts by the rest
LOST_FILL_MAX_S = 60.0


STALL_S = 5.0  # a party whose device delivers nothing for this long while the other's does is padded

Runner = Callable[[Callable[[], Any], Callable[[Any], None]], Any]


def _inline(fn: Callable[[], Any], on_done: Callable[[Any], None]) -> None:
    on_done(fn())


def sound_server_available() -> bool:
    """On Linux, whether a PulseAudio/PipeWire server is there to ask (asking Qt without one only
    yields a warning and an empty device list). Elsewhere, always True."""
    if not sys.platform.startswith("linux"):
        return True
    if os.environ.get("PULSE_SERVER"):
        return True
    runtime = os.environ.get("XDG_RUNTIME_DIR") or f"/run/user/{os.getuid()}"
    return any(os.path.exists(os.path.join(runtime, p)) for p in ("pulse/native", "pipewire-0"))


NO_SERVER = ("no sound server is running (PulseAudio or PipeWire), so live listening is off; "
             "the figures of recordings and transcripts still work")


def device_id(d: QAudioDevice) -> str:
    return bytes(d.id().data()).decode("utf-8", "replace")


def input_devices() -> list[tuple[str, str]]:
    """(id, description) of every audio input Qt sees."""
    if not sound_server_available():
        return []
    return [(device_id(d), d.description()) for d in QMediaDevices.audioInputs()]


def find_input(dev_id: str) -> QAudioDevice:
    """The input with this id ('' = the system default), or ``AudioError``."""
    if not sound_server_available():
        raise AudioError(NO_SERVER)
    if not dev_id:
        d = QMediaDevices.defaultAudioInput()
        if d.isNull():
            raise AudioError("no audio input found: connect a microphone or choose one in Audio settings")
        return d
    for d in QMediaDevices.audioInputs():
        if device_id(d) == dev_id:
            return d
    names = ", ".join(desc for _i, desc in input_devices()) or "none"
    raise AudioError(f"audio input {dev_id!r} is not available (inputs found: {names})")


def _to_int16(raw: bytes, fmt: QAudioFormat) -> np.ndarray:
    sf = fmt.sampleFormat()
    if sf == QAudioFormat.SampleFormat.Int16:
        return np.frombuffer(raw, dtype="<i2").copy()
    if sf == QAudioFormat.SampleFormat.Float:
        x = np.frombuffer(raw, dtype="<f4")
        return np.clip(np.round(x * 32767), -32768, 32767).astype(np.int16)
    if sf == QAudioFormat.SampleFormat.Int32:
        return (np.frombuffer(raw, dtype="<i4") >> 16).astype(np.int16)
    if sf == QAudioFormat.SampleFormat.UInt8:
        return ((np.frombuffer(raw, dtype=np.uint8).astype(np.int16) - 128) << 8).astype(np.int16)
    raise AudioError(f"unsupported sample format {sf!r} from the audio input")


class _Input:
    """One QAudioSource, yielding per-channel int16 at RATE."""

    def __init__(self, device: QAudioDevice, channels: int, parent: QObject) -> None:
        self.device = device
        self.name = device.description()
        fmt = QAudioFormat()
        fmt.setSampleRate(RATE)
        fmt.setChannelCount(channels)
        fmt.setSampleFormat(QAudioFormat.SampleFormat.Int16)
        if not device.isFormatSupported(fmt):
            fmt = device.preferredFormat()
            if fmt.channelCount() < channels:
                raise AudioError(f"{self.name} has {fmt.channelCount()} channel(s); a stereo input "
                                 "with both parties needs 2")
        self.fmt = fmt
        self.channels = fmt.channelCount()
        self.want = channels
        self.resamplers = [None if fmt.sampleRate() == RATE else
                           soxr.ResampleStream(fmt.sampleRate(), RATE, 1, dtype="int16")
                           for _ in range(channels)]
        self.source = QAudioSource(device, fmt, parent)
        self.source.setBufferSize(fmt.bytesForDuration(int(INPUT_BUFFER_S * 1_000_000)))
        self.io = self.source.start()
        if self.source.error() != QtAudio.Error.NoError or self.io is None:
            raise AudioError(f"could not open the audio input {self.name} ({self.source.error().name})")
        self.lost_s = 0.0  # audio lost because nobody read it in time (see LOST_MIN_S)
        self._last_read: float | None = None  # from the first data on (a stream takes a moment to start)

    def read(self) -> list[np.ndarray]:
        """The new samples of each wanted channel at RATE; a stretch lost since the last read (away longer
        than the buffer holds) is counted in ``lost_s`` and filled with silence after what the server kept."""
        raw = bytes(self.io.readAll().data())
        now = time.monotonic()
        away = 0.0 if self._last_read is None else now - self._last_read
        if raw or self._last_read is not None:
            self._last_read = now
        x = _to_int16(raw, self.fmt)
        n = len(x) // self.channels
        x = x[: n * self.channels].reshape(n, self.channels)
        out = []
        for ch in range(self.want):
            y = np.ascontiguousarray(x[:, ch])
            rs = self.resamplers[ch]
            out.append(y if rs is None else rs.resample_chunk(y))
        lost = away - n / self.fmt.sampleRate() if away > INPUT_BUFFER_S else 0.0
        if lost >= LOST_MIN_S:
            log.warning("%.2f s of %s lost: not read for %.2f s", lost, self.name, away)
            self.lost_s += lost
            gap = np.zeros(round(min(lost, LOST_FILL_MAX_S) * RATE), np.int16)  # the server kept the oldest
            out = [np.concatenate((y, gap)) for y in out]
        return out

    def problem(self) -> str | None:
        err = self.source.error()
        if err != QtAudio.Error.NoError or self.source.state() == QtAudio.State.StoppedState:
            return (f"The audio input {self.name!r} stopped ({err.name}) — was it unplugged? "
                    "The talk figures so far are kept.")
        return None

    def stop(self) -> None:
        self.source.stop()
        self.source.deleteLater()


class _PulseWatch:
    """Tells when a PulseAudio source we capture is removed.

    Qt does not notice: PulseAudio moves the stream to another source (usually the default
    microphone) and Qt keeps delivering that audio with no error and a stale device list. So on
    PulseAudio (and PipeWire's pulse server) a daemon thread listens to the server's source events
    with pulsectl. Without pulsectl or a pulse server the watch is simply off.
    """

    def __init__(self, names: list[str], on_gone: Callable[[str], None]) -> None:
        self._names = names
        self._on_gone = on_gone
        self._stopped = threading.Event()
        # guards self._pulse: libpulse aborts the process (not an exception) when event_listen_stop()
        # wakes a mainloop that the watch thread has just freed, e.g. right after it reported a removal
        self._lock = threading.Lock()
        self._pulse: Any = None
        try:
            import pulsectl

            self._pulse = pulsectl.Pulse("agent-assist-watch", connect=True)
            known = {s.name for s in self._pulse.source_list()}
        except Exception:  # no pulsectl, no server: nothing to watch
            self._close()
            return
        if not set(names) & known:
            self._close()  # our devices are not PulseAudio sources (ALSA direct, another backend)
            return
        self._thread = threading.Thread(target=self._run, name="aa-pulse-watch", daemon=True)
        self._thread.start()

    def _close(self) -> None:
        with self._lock:
            if self._pulse is not None:
                self._pulse.close()
                self._pulse = None

    def _run(self) -> None:
        import pulsectl

        pulse = self._pulse
        changed = threading.Event()

        def on_event(ev: Any) -> None:
            if ev.t == pulsectl.PulseEventTypeEnum.remove:
                changed.set()
                raise pulsectl.PulseLoopStop

        try:
            pulse.event_mask_set("source")
            pulse.event_callback_set(on_event)
            while not self._stopped.is_set():
                pulse.event_listen(timeout=0.5)
                if changed.is_set() and not self._stopped.is_set():
                    changed.clear()
                    present = {s.name for s in pulse.source_list()}
                    for name in self._names:
                        if name not in present:
                            self._on_gone(name)
                            return
        except Exception:
            return  # the server went away: the capture itself will notice
        finally:
            self._close()

    def stop(self) -> None:
        self._stopped.set()
        thread = getattr(self, "_thread", None)
        if thread is None:
            self._close()
            return
        with self._lock:
            if self._pulse is not None:
                with contextlib.suppress(Exception):
                    self._pulse.event_listen_stop()
        if thread is not threading.current_thread():  # on_gone may call stop() from the watch thread
            thread.join(timeout=2)


class LiveCapture(QObject):
    """Captures both parties from QtMultimedia inputs; ``take()`` returns the aligned new samples."""

    failed = Signal(str)
    levels = Signal(float, float)  # peak of agent, customer since the last poll (0..1)
    _device_gone = Signal(str)  # from the PulseAudio watch thread (queued to this object's thread)

    def __init__(self, agent_device: str = "", customer_device: str = "", stereo: bool = False,
                 poll_ms: int = 50, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rate = RATE
        self._ids = (agent_device, customer_device)
        self._stereo = stereo
        self._inputs: list[_Input] = []
        self._pending: dict[str, list[np.ndarray]] = {AGENT: [], CUSTOMER: []}
        self._counts = {AGENT: 0, CUSTOMER: 0}
        self._last_data = {AGENT: 0.0, CUSTOMER: 0.0}
        # seconds of each party's audio lost because nobody read it in time (see LOST_MIN_S)
        self.lost_s = {AGENT: 0.0, CUSTOMER: 0.0}
        self._timer = QTimer(self)
        self._timer.setInterval(poll_ms)
        self._timer.timeout.connect(self._poll)
        self._devices: QMediaDevices | None = None  # made in start(): it connects to the server
        self._device_gone.connect(self._gone)
        self._watch: _PulseWatch | None = None
        self.running = False

    def start(self) -> None:
        if not sound_server_available():
            raise AudioError(NO_SERVER)
        if self._devices is None:
            self._devices = QMediaDevices(self)
            self._devices.audioInputsChanged.connect(self._inputs_changed)
        if self._stereo:
            self._inputs = [_Input(find_input(self._ids[0]), 2, self)]
        else:
            a = find_input(self._ids[0])
            c = find_input(self._ids[1])
            if device_id(a) == device_id(c):
                raise AudioError("the agent and customer inputs are the same device; choose two inputs "
                                 "or one stereo input with both parties")
            self._inputs = [_Input(a, 1, self), _Input(c, 1, self)]
        now = time.monotonic()
        self._last_data = {AGENT: now, CUSTOMER: now}
        self.running = True
        self._timer.start()
        self._watch = _PulseWatch([device_id(i.device) for i in self._inputs], self._device_gone.emit)

    def _gone(self, dev_id: str) -> None:
        if not self.running:
            return
        name = next((i.name for i in self._inputs if device_id(i.device) == dev_id), dev_id)
        self._fail(f"The audio input {name!r} disappeared — was it unplugged? "
                   "The talk figures so far are kept.")

    def _stop_watch(self) -> None:
        if self._watch is not None:
            self._watch.stop()
            self._watch = None

    def stop(self) -> None:
        if not self.running:
            return
        self._poll()
        self.running = False
        self._timer.stop()
        self._stop_watch()
        for i in self._inputs:
            i.stop()
        self._inputs = []

    def _fail(self, message: str) -> None:
        self._poll_data()
        self.running = False
        self._timer.stop()
        self._stop_watch()
        for i in self._inputs:
            i.stop()
        self._inputs = []
        self.failed.emit(message)

    def _inputs_changed(self) -> None:
        if not self.running:
            return
        present = {device_id(d) for d in QMediaDevices.audioInputs()}
        for i in self._inputs:
            if device_id(i.device) not in present:
                self._fail(f"The audio input {i.name!r} disappeared — was it unplugged? "
                           "The talk figures so far are kept.")
                return

    def _poll_data(self) -> None:
        got: dict[str, list[np.ndarray]] = {AGENT: [], CUSTOMER: []}
        if self._stereo and self._inputs:
            a, c = self._inputs[0].read()
            got[AGENT].append(a)
            got[CUSTOMER].append(c)
        elif len(self._inputs) == 2:
            got[AGENT] += self._inputs[0].read()
            got[CUSTOMER] += self._inputs[1].read()
        now = time.monotonic()
        if self._inputs:
            self.lost_s = {AGENT: self._inputs[0].lost_s, CUSTOMER: self._inputs[-1].lost_s}
        peaks = []
        for p in (AGENT, CUSTOMER):
            arrs = [x for x in got[p] if len(x)]
            peaks.append(max((int(np.abs(x.astype(np.int32)).max()) for x in arrs), default=0) / 32768)
            if arrs:
                self._pending[p] += arrs
                self._counts[p] += sum(len(x) for x in arrs)
                self._last_data[p] = now
        # a device that delivers nothing while the other does (stalled) is padded with silence
        for p, q in ((AGENT, CUSTOMER), (CUSTOMER, AGENT)):
            lag = self._counts[q] - self._counts[p]
            if lag > STALL_S * RATE and now - self._last_data[p] > STALL_S:
                self._pending[p].append(np.zeros(lag, np.int16))
                self._counts[p] += lag
        self.levels.emit(peaks[0], peaks[1])

    def _poll(self) -> None:
        if not self.running:
            return
        self._poll_data()
        for i in self._inputs:
            msg = i.problem()
            if msg:
                self._fail(msg)
                return

    def take(self) -> tuple[np.ndarray, np.ndarray]:
        """The samples both parties have (aligned), removed from the buffer."""
        a = np.concatenate(self._pending[AGENT]) if self._pending[AGENT] else np.zeros(0, np.int16)
        c = np.concatenate(self._pending[CUSTOMER]) if self._pending[CUSTOMER] else np.zeros(0, np.int16)
        n = min(len(a), len(c))
        self._pending[AGENT] = [a[n:]] if len(a) > n else []
        self._pending[CUSTOMER] = [c[n:]] if len(c) > n else []
        return a[:n], c[:n]


class LiveSource(QObject):
    """Speech segments of a live call; segments are emitted as they close (``segment_closed``)."""

    segments_closed = Signal(object)  # list[Segment]
    progress = Signal(object)  # dict: position_s, the open start per party (for TalkTracker.mark_time), quality
    levels = Signal(float, float)
    failed = Signal(str)
    finished = Signal()

    def __init__(self, capture: Any, rate: int = RATE, vad_settings: VadSettings | None = None,
                 runner: Runner | None = None, chunk_ms: int = 200, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.capture = capture
        self._vad = StereoVad(getattr(capture, "rate", rate), vad_settings, max_open_s=1.0)
        self._runner = runner or _inline
        self._segments: list[Segment] = []
        self._timer = QTimer(self)
        self._timer.setInterval(chunk_ms)
        self._timer.timeout.connect(self._tick)
        capture.failed.connect(self._on_failed)
        capture.levels.connect(self.levels)
        self.description = "live devices"
        self.error: str | None = None
        self.busy = 0
        # called with (agent, customer) samples of every block taken (live speech recognition listens here)
        self.audio_taps: list[Callable[[np.ndarray, np.ndarray], None]] = []

    @classmethod
    def from_settings(cls, agent_device: str, customer_device: str, stereo: bool,
                      **kw: Any) -> LiveSource:
        return cls(LiveCapture(agent_device, customer_device, stereo), **kw)

    def start(self) -> None:
        self.capture.start()
        self._timer.start()

    def _process(self, last: bool) -> None:
        a, c = self.capture.take()
        for tap in self.audio_taps:
            tap(a, c)
        vad = self._vad
        lost = dict(getattr(self.capture, "lost_s", {}))

        def work() -> tuple[list[Segment], dict[str, Any]]:
            segs = vad.feed(a, c)
            if last:
                segs += vad.flush()
            marks: dict[str, Any] = {"position_s": vad.position_s, AGENT: vad.open_start(AGENT),
                                     CUSTOMER: vad.open_start(CUSTOMER),
                                     # each channel's effective SNR / too noisy / bleed, for the meter
                                     "quality": tuple(replace(q, lost_s=round(lost.get(q.party, 0.0), 2))
                                                      for q in vad.quality().values())}
            return segs, marks

        self.busy += 1
        self._runner(work, lambda r: self._done(r, last))

    def _done(self, result: tuple[list[Segment], dict[str, Any]], last: bool) -> None:
        self.busy -= 1
        segs, marks = result
        if segs:
            self._segments += segs
            self.segments_closed.emit(segs)
        self.progress.emit(marks)
        if last:
            self.finished.emit()

    def _tick(self) -> None:
        self._process(last=False)

    def stop(self) -> None:
        """Stop listening; the segments still open are closed and emitted, then ``finished``."""
        if not self._timer.isActive():
            return
        self._timer.stop()
        self.capture.stop()
        self._process(last=True)

    def _on_failed(self, message: str) -> None:
        self.error = message
        self.failed.emit(message)
        self.stop()

    def read(self) -> SourceResult:
        return SourceResult(list(self._segments), self._vad.position_s, self.description)


class ReplayCapture(QObject):
    """Plays a stereo file in real time (x ``speed``) as if it were live devices."""

    failed = Signal(str)
    levels = Signal(float, float)

    def __init__(self, path: str | Path, agent_channel: str = "left", speed: float = 1.0,
                 poll_ms: int = 50, parent: QObject | None = None) -> None:
        super().__init__(parent)
        data, self.rate = read_audio(path)
        if data.shape[1] != 2:
            raise AudioError(f"{path} is not stereo; replay needs agent and customer channels")
        li = 0 if agent_channel == "left" else 1
        self._a, self._c = data[:, li].copy(), data[:, 1 - li].copy()
        self._speed = speed
        self._pos = 0
        self._taken = 0
        self._timer = QTimer(self)
        self._timer.setInterval(poll_ms)
        self._timer.timeout.connect(self._poll)
        self._t0 = 0.0
        self.running = False

    def start(self) -> None:
        self._t0 = time.monotonic()
        self.running = True
        self._timer.start()

    def _poll(self) -> None:
        target = min(len(self._a), int((time.monotonic() - self._t0) * self._speed * self.rate))
        if target > self._pos:
            a = self._a[self._pos:target]
            c = self._c[self._pos:target]
            self.levels.emit(float(np.abs(a.astype(np.int32)).max()) / 32768,
                             float(np.abs(c.astype(np.int32)).max()) / 32768)
            self._pos = target

    @property
    def done(self) -> bool:
        return self._pos >= len(self._a)

    def stop(self) -> None:
        self.running = False
        self._timer.stop()

    def take(self) -> tuple[np.ndarray, np.ndarray]:
        self._poll() if self.running else None
        a, c = self._a[self._taken:self._pos], self._c[self._taken:self._pos]
        self._taken = self._pos
        return a, c
