"""``SpeechEngine`` on pyttsx3 (espeak-ng on Linux, SAPI5 on Windows, NSSpeechSynthesizer on macOS).

pyttsx3 2.99 has two traps this class steps around:

* its run loop blocks and its engine is not thread-safe, so the engine is created on the first call and
  every later call must come from that same thread (the UI uses its single-worker ``tts`` lane);
* on Linux, queuing several ``save_to_file()`` before one ``runAndWait()`` writes only the last file, so
  each line is synthesized with its own ``save_to_file()`` + ``runAndWait()``.

``say()`` is never used: on Linux it needs ``aplay``; the UI plays the WAV through QtMultimedia instead.

The espeak driver prints "Audio saved to ..." for every file. That line is dropped by a filter on
``sys.stdout`` that passes every other write through; ``contextlib.redirect_stdout`` was used here before,
but it swaps ``sys.stdout`` for the whole process, so whatever another thread printed meanwhile (the app's
own output, a test child's result line) vanished with it.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from agent_assist.voice.engine import TtsUnavailable, Voice, wav_duration

SYNTH_TIMEOUT_S = 30.0
FEMALE_VARIANT = "f3"  # espeak-ng voice variant used for the "female" version of each English voice


def _languages(raw: Any) -> tuple[str, ...]:
    out = []
    for lang in raw or ():
        if isinstance(lang, bytes):
            lang = lang.decode("utf-8", "replace").lstrip("\x05")
        out.append(str(lang).lower())
    return tuple(out)


def _gender(raw: Any) -> str:
    g = str(raw or "").lower()
    return "female" if g.startswith("f") else "male" if g.startswith("m") else "any"


_CHATTER = ("Audio saved to ",)


class _ChatterFilter:
    """A stand-in for ``sys.stdout`` that drops pyttsx3's "Audio saved to ..." lines and passes the rest."""

    def __init__(self, target: Any) -> None:
        self.target = target
        self._dropping: set[int] = set()  # threads whose last write was a dropped line (its "\n" follows)

    def write(self, text: str) -> int:
        me = threading.get_ident()
        if me in self._dropping:
            self._dropping.discard(me)
            if text == "\n":
                return len(text)
        if text.startswith(_CHATTER):
            if not text.endswith("\n"):
                self._dropping.add(me)
            return len(text)
        return int(self.target.write(text))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.target, name)


_filter_lock = threading.Lock()
_filter_users = 0
# Every filter ever installed stays referenced here, one per stream it wraps: CPython's print() holds
# sys.stdout as a borrowed reference, so a filter freed while another thread is inside print() crashes
# the process (seen here as a segfault). The streams it wraps stay alive with it.
_filters: dict[int, _ChatterFilter] = {}


@contextlib.contextmanager
def _quiet_driver() -> Iterator[None]:
    """Drop the driver's chatter while the block runs, on any thread, without hiding anyone else's output."""
    global _filter_users
    with _filter_lock:
        out = sys.stdout
        if not isinstance(out, _ChatterFilter) and out is not None:
            if id(out) not in _filters:  # (a kept filter keeps its stream alive: its id is never reused)
                _filters[id(out)] = _ChatterFilter(out)
            sys.stdout = _filters[id(out)]
        _filter_users += 1
    try:
        yield
    finally:
        with _filter_lock:
            _filter_users -= 1
            if _filter_users == 0 and isinstance(sys.stdout, _ChatterFilter):
                sys.stdout = sys.stdout.target


class Pyttsx3Engine:
    """pyttsx3 speech engine writing one WAV per line. Use it from one thread only."""

    name = "pyttsx3"

    def __init__(self, driver: str | None = None) -> None:
        self._driver = driver
        self._engine: Any = None
        self._thread: int | None = None
        self._voices: list[Voice] | None = None
        self._done = threading.Event()

    def _on_finished(self, name: Any = None, completed: bool = True) -> None:
        self._done.set()

    # -- the engine, created lazily on the calling thread --
    def _get(self) -> Any:
        me = threading.get_ident()
        if self._engine is None:
            try:
                import pyttsx3
            except ImportError as e:  # pragma: no cover - a dependency of the package
                raise TtsUnavailable(f"Speech is off: pyttsx3 is not installed ({e}).") from None
            try:
                with _quiet_driver():
                    self._engine = pyttsx3.init(self._driver)
            except Exception as e:  # OSError / RuntimeError when espeak-ng is missing
                raise TtsUnavailable(
                    "Speech is off: no text-to-speech engine could start "
                    f"({type(e).__name__}: {str(e)[:120] or 'no details'}). "
                    "On Linux install espeak-ng (apt install espeak-ng)."
                ) from None
            self._thread = me
            # espeak-ng's driver synthesizes on espeak's own thread and runAndWait() may return before
            # the file is written; 'finished-utterance' arrives after it is.
            self._engine.connect("finished-utterance", self._on_finished)
        elif self._thread != me:
            raise RuntimeError("Pyttsx3Engine used from two threads; run it on one (the 'tts' lane)")
        return self._engine

    def voices(self) -> list[Voice]:
        if self._voices is None:
            engine = self._get()
            out: list[Voice] = []
            for v in engine.getProperty("voices") or []:
                langs = _languages(getattr(v, "languages", ()))
                voice = Voice(str(v.id), str(v.name or v.id), langs, _gender(getattr(v, "gender", "")))
                out.append(voice)
                is_espeak = "/" in voice.id and self._driver in (None, "espeak")
                if is_espeak and any(lang.startswith("en") for lang in langs):
                    out.append(Voice(f"{voice.id}+{FEMALE_VARIANT}", f"{voice.name} — female", langs,
                                     "female"))
            if not out:
                raise TtsUnavailable("Speech is off: the text-to-speech engine offers no voices.")
            self._voices = out
        return list(self._voices)

    def synthesize(self, text: str, path: Path, voice: Voice | str | None = None, rate: int | None = None,
                   pitch: int | None = None) -> float:
        if not text.strip():
            raise ValueError("nothing to say")
        engine = self._get()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
        vid = voice.id if isinstance(voice, Voice) else voice
        if vid:
            engine.setProperty("voice", vid)
        if rate is not None:
            engine.setProperty("rate", int(rate))
        if pitch is not None:
            with contextlib.suppress(KeyError, ValueError):  # not every driver has a pitch
                engine.setProperty("pitch", int(pitch))
        self._settle()
        # One file per runAndWait (see the module docstring). espeak's driver prints "Audio saved to ...".
        self._done.clear()
        with _quiet_driver():
            engine.save_to_file(text, str(path))
            engine.runAndWait()
            finished = self._done.wait(timeout=SYNTH_TIMEOUT_S)
            self._settle()
        if not finished:
            raise TtsUnavailable(f"Speech is off: the engine did not finish {text[:40]!r} in time.")
        if not path.exists() or path.stat().st_size <= 44:
            raise TtsUnavailable(f"Speech is off: the engine wrote no audio for {text[:40]!r}.")
        return wav_duration(path)

    def _settle(self) -> None:
        # espeak-ng runs asynchronously: a rate or pitch change is queued on its own thread and, set right
        # before the next line, may not apply to it. espeak_Synchronize() waits until that queue is empty.
        if self._driver not in (None, "espeak"):
            return
        try:
            from pyttsx3.drivers import _espeak
        except Exception:  # another platform's driver
            return
        with contextlib.suppress(Exception):
            _espeak.Synchronize()

    def close(self) -> None:
        if self._engine is not None:
            with contextlib.suppress(Exception):
                self._engine.stop()
        self._engine = None
        self._thread = None
