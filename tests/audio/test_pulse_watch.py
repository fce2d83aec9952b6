"""The PulseAudio source watch never wakes a mainloop it has freed (libpulse aborts the process then)."""

from __future__ import annotations

import threading

from agent_assist.audio.live import _PulseWatch


class FakePulse:
    """pulsectl.Pulse as far as the watch uses it; waking a closed one is what libpulse aborts on."""

    def __init__(self) -> None:
        self.closed = False
        self.woken_after_close = False

    def event_listen_stop(self) -> None:
        if self.closed:
            self.woken_after_close = True

    def close(self) -> None:
        self.closed = True


def _watch(pulse: FakePulse) -> _PulseWatch:
    w = _PulseWatch.__new__(_PulseWatch)
    w._names = ["customer_in"]
    w._on_gone = lambda _name: None
    w._stopped = threading.Event()
    w._lock = threading.Lock()
    w._pulse = pulse
    w._thread = threading.current_thread()  # stands in for a watch thread that already ended
    return w


def test_stop_after_the_watch_thread_closed_does_not_wake_a_freed_loop() -> None:
    pulse = FakePulse()
    w = _watch(pulse)
    w._close()  # what the watch thread does on its way out after reporting a removed source
    w.stop()
    assert pulse.closed and not pulse.woken_after_close


def test_stop_while_listening_wakes_the_loop_once() -> None:
    pulse = FakePulse()
    w = _watch(pulse)
    w.stop()
    assert not pulse.closed and not pulse.woken_after_close
    w._close()
    w.stop()  # a second stop is harmless
    assert pulse.closed and not pulse.woken_after_close
