"""Live speech recognition beside the talk meter: a ``LiveSource``'s audio and VAD pieces -> utterances
-> text, on a worker thread of its own.

The live source hands this object every block it captured (``audio_taps``) and every VAD step
(``segments_closed``, ``progress``); these are only queued here, so the talk meter never waits for
recognition. A worker thread cuts utterances (``LiveCutter``), decodes them one by one and emits
``utterance`` with a redacted ``SpokenUtterance`` (the UI checks its phrasing on the nlp lane). If
decoding falls behind by more than ``PAUSE_S`` of speech, ``state_changed("paused")`` — the backlog is
still decoded, in order, and ``"listening"`` comes back once it has caught up; a backlog beyond
``MAX_BACKLOG_S`` drops its oldest utterances. A recogniser that fails stops recognition with
``failed(message)``; listening and the talk figures go on.

The agent's utterances are decoded *while they are spoken* (streaming): as soon as the VAD says the agent
is speaking, the audio from the start of that speech (less the cutter's padding) goes to the recogniser
block by block, so when the utterance ends only its last fraction of a second and the engine's final
pass remain. Decoding a whole sentence after its end took about a second on a 2-core machine, more
than the latency budget of the coach (1.5 s from the last word to the flag, p95) left after the VAD's
end-of-speech hangover. A stream that missed its utterance's start (the backlog was not empty, the
capture rate is not the engine's) falls back to decoding the cut whole. The customer's utterances,
when they are transcribed, go to a second recogniser, so they never interrupt the agent's stream.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal

from agent_assist.audio.recognition import ModelError, Recogniser, SpeechSettings, open_recogniser
from agent_assist.audio.recognition.base import Hypothesis
from agent_assist.audio.recognition.cutter import PAD_S, Cut, LiveCutter
from agent_assist.audio.recognition.pipeline import SpokenUtterance, finish, recognise
from agent_assist.coach.talk import AGENT, CUSTOMER

log = logging.getLogger(__name__)

PAUSE_S = 6.0  # speech waiting to be decoded before the coach says "transcription paused"
MAX_BACKLOG_S = 60.0
STREAM_SLACK_S = 0.1  # a stream that began this much after its cut's first sample still counts
# The stream stays this far behind the newest audio: the VAD needs its hangover (0.45 s) to say speech
# ended, and the recogniser should not hear the silence after the utterance that the cut leaves out
# (a second of trailing silence changed the last words of a sentence in our tests).
STREAM_HOLD_S = 0.5

RecogniserFactory = Callable[[], Recogniser]


@dataclass
class _Stream:
    """The agent's utterance being decoded as it is spoken."""

    first: int  # the first sample fed (absolute index)
    fed: int  # the next sample to feed
    opened: float  # the VAD's open start it follows
    closed: bool = False  # its cut is queued: nothing more is fed, it is finished in turn


class LiveSpeech(QObject):
    """Recognises the agent's (and optionally the customer's) speech of one live source."""

    utterance = Signal(object)  # SpokenUtterance (redacted, no flags yet)
    state_changed = Signal(str)  # "starting", "listening", "paused", "stopped"
    failed = Signal(str)  # one line: the model is missing, or the recogniser crashed

    def __init__(self, source: Any, speech: SpeechSettings | None = None,
                 recogniser_factory: RecogniserFactory | None = None,
                 parent: QObject | None = None, start: bool = True) -> None:
        """``start=False`` leaves the worker for :meth:`start`, so a caller can connect ``failed`` and
        ``utterance`` first (a missing model fails within microseconds, before a later connect)."""
        super().__init__(parent)
        self.speech = speech or SpeechSettings()
        parties = (AGENT, CUSTOMER) if self.speech.customer else (AGENT,)
        self.rate = int(getattr(source.capture, "rate", 16000))
        self._cutter = LiveCutter(self.rate, parties)
        self._factory = recogniser_factory or (lambda: open_recogniser(self.speech.engine, self.speech.model))
        self._inbox: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        self._backlog: deque[tuple[Cut, float]] = deque()
        self._stop = threading.Event()
        self._done = threading.Event()
        self.recogniser: Recogniser | None = None
        self._customer_rec: Recogniser | None = None  # the customer's own, opened on their first utterance
        # the agent's utterance being decoded as it is spoken, or None
        self._stream: _Stream | None = None
        self.streamed = 0  # utterances decoded while spoken (the rest were decoded whole after their end)
        self.state = "starting"
        self.decoded = 0
        self.dropped = 0
        self.decode_s = 0.0
        self.error: str | None = None
        self._thread = threading.Thread(target=self._run, name="aa-speech", daemon=True)
        source.audio_taps.append(self._on_audio)
        source.segments_closed.connect(self._on_segments)
        source.progress.connect(self._on_progress)
        source.finished.connect(self._on_finished)
        if start:
            self._thread.start()

    def start(self) -> None:
        """Start the worker (once), after the caller connected the signals it needs."""
        if not self._thread.is_alive() and self._thread.ident is None:
            self._thread.start()

    # -- from the live source (GUI thread): queue only ---------------------------------------------------
    def _on_audio(self, agent: Any, customer: Any) -> None:
        if not self._stop.is_set():
            self._inbox.put(("audio", (agent, customer)))

    def _on_segments(self, segments: list[Any]) -> None:
        self._inbox.put(("segments", list(segments)))

    def _on_progress(self, marks: dict[str, float]) -> None:
        self._inbox.put(("mark", dict(marks)))

    def _on_finished(self) -> None:
        self._inbox.put(("flush", None))
        self._inbox.put(("end", None))

    def stop(self, wait: float = 0.0) -> None:
        """Stop recognising now (what is queued is dropped); ``wait`` > 0 joins the worker (app exit
        only: the GUI thread never waits for a decode in progress otherwise)."""
        self._stop.set()
        self._inbox.put(("end", None))
        if wait > 0 and self._thread is not threading.current_thread():
            self._thread.join(timeout=wait)

    def wait(self, timeout: float) -> bool:
        """Wait until the worker has decoded everything and ended (after the source finished)."""
        return self._done.wait(timeout)

    # -- worker ----------------------------------------------------------------------------------------
    def _emit(self, signal: Any, *args: Any) -> None:
        try:
            signal.emit(*args)
        except RuntimeError:  # the window (and this object's C++ side) is gone: nobody to tell
            self._stop.set()

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self._emit(self.state_changed, state)

    def _run(self) -> None:
        try:
            self.recogniser = self._factory()
        except ModelError as e:
            self._fail(f"Speech recognition is off: {e}")
            return
        except Exception as e:  # the engine's own error types: never a traceback for the user
            log.exception("speech recogniser failed to start")
            self._fail(f"Speech recognition is off: the recogniser did not start ({type(e).__name__}: {e})")
            return
        self._set_state("listening")
        ending = False
        try:
            while not self._stop.is_set():
                ending = self._drain(block=not self._backlog and not ending) or ending
                if self._stop.is_set():
                    break
                if self._backlog:
                    self._decode_one()
                elif ending:
                    break
        except Exception as e:  # the recogniser crashed mid-call
            log.exception("speech recognition failed")
            self._fail(f"Live phrasing flags stopped: the speech recogniser failed ({type(e).__name__}: "
                       f"{str(e)[:120]}). The call and its talk figures are kept.")
            return
        finally:
            for rec in (self.recogniser, self._customer_rec):
                if rec is not None:
                    rec.close()
        self._set_state("stopped")
        self._done.set()

    def _fail(self, message: str) -> None:
        self.error = message
        self._stop.set()
        self.state = "failed"
        self._emit(self.failed, message)
        self._done.set()

    def _drain(self, block: bool) -> bool:
        """Take everything queued (waiting for the first item when ``block``); True once the source ended."""
        ended = False
        while True:
            try:
                kind, data = self._inbox.get(block=block, timeout=0.5 if block else None)
            except queue.Empty:
                return ended
            block = False
            if kind == "audio":
                self._cutter.add_audio(*data)
                self._feed_stream()
            elif kind == "segments":
                self._queue(self._cutter.add_segments(data))
            elif kind == "mark":
                self._queue(self._cutter.mark(data))
                self._follow(data)
            elif kind == "flush":
                self._queue(self._cutter.flush())
            elif kind == "end":
                ended = True

    def _backlog_s(self) -> float:
        return sum(c.end - c.start for c, _t in self._backlog)

    def _queue(self, cuts: list[Cut]) -> None:
        now = time.monotonic()
        for c in cuts:
            if c.party == AGENT and self._stream is not None:
                self._stream.closed = True
            self._backlog.append((c, now))
        while self._backlog and self._backlog_s() > MAX_BACKLOG_S:
            self._backlog.popleft()
            self.dropped += 1
        if self._backlog_s() > PAUSE_S:
            self._set_state("paused")

    # -- streaming the agent's speech ------------------------------------------------------------------
    def _can_stream(self) -> bool:
        rec = self.recogniser
        return (rec is not None and rec.rate == self.rate and not self._stop.is_set()
                and not any(c.party == AGENT for c, _t in self._backlog))

    def _follow(self, marks: dict[str, Any]) -> None:
        """After a VAD step: start streaming when the agent began to speak; drop a stream whose speech
        vanished (too short to be a segment) before it became an utterance."""
        open_start = float(marks.get(AGENT, 0.0))
        speaking = open_start < float(marks.get("position_s", 0.0)) - 1e-6
        if not speaking:
            return
        stream = self._stream
        if stream is not None:
            if stream.closed or open_start == stream.opened or self._cutter.pending(AGENT) is not None:
                return
            self._abandon_stream()  # a click or breath opened it; real speech starts here
        if self._can_stream():
            assert self.recogniser is not None
            _x, first = self._cutter.audio_from(AGENT, max(0, int((open_start - PAD_S) * self.rate)))
            self._timed(self.recogniser.begin, first / self.rate)
            self._stream = _Stream(first, first, open_start)
            self._feed_stream()

    def _feed_stream(self) -> None:
        stream = self._stream
        if stream is None or stream.closed or self.recogniser is None:
            return
        x, at = self._cutter.audio_from(AGENT, stream.fed)
        if at > stream.fed:  # the cutter forgot audio the stream had not read (kept too long)
            self._abandon_stream()
            return
        x = x[:max(0, len(x) - int(STREAM_HOLD_S * self.rate))]
        if len(x):
            self._timed(self.recogniser.feed, x)
            stream.fed += len(x)

    def _timed(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)``, its time counted in ``decode_s``."""
        t = time.perf_counter()
        try:
            return fn(*args)
        finally:
            self.decode_s += time.perf_counter() - t

    def _abandon_stream(self) -> None:
        if self._stream is not None and self.recogniser is not None:
            self._stream = None
            self.recogniser.end()

    def _finish_stream(self, cut: Cut) -> Hypothesis | None:
        """The streamed hypothesis of ``cut``, or None when the stream does not hold its start."""
        stream, self._stream = self._stream, None
        if stream is None or self.recogniser is None:
            return None
        if stream.first > cut.first + STREAM_SLACK_S * self.rate or stream.fed < cut.first:
            self.recogniser.end()
            return None
        rest = cut.samples[max(0, stream.fed - cut.first):]
        if len(rest):
            self.recogniser.feed(rest)
        self.streamed += 1
        return self.recogniser.end()

    def _decode_one(self) -> None:
        cut, cut_at = self._backlog.popleft()
        rec = self.recogniser
        assert rec is not None
        if cut.party == AGENT:
            hyp = self._timed(lambda: self._finish_stream(cut) or recognise(cut, self.rate, rec))
        else:
            if self._customer_rec is None:
                self._customer_rec = self._factory()
            hyp = self._timed(recognise, cut, self.rate, self._customer_rec)
        self.decoded += 1
        if not self._backlog and self.state == "paused":
            self._set_state("listening")  # caught up
        for u in finish([(cut.party, cut.start, cut.end, hyp.text)]):
            if not self._stop.is_set():
                self._emit(self.utterance, SpokenUtterance(u.party, u.start, u.end, u.text, [], u.redacted,
                                                           cut_at))
