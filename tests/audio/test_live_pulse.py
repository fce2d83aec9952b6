"""The live path against a real sound server.

A private PulseAudio (``tests/audio/pulse_server.py``) runs with two null sinks whose monitors are
exposed as regular sources (agent_in, customer_in). The two-party recording is played
into the sinks with ``paplay`` (agent channel to one, customer to the other), the app's LiveSource
(QtMultimedia ``QAudioSource``) captures the two inputs, and its figures must match the file analysis
of the same recording within 2 points. Capture runs in a child process so Qt's one connection per
process goes to this server.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from agent_assist.audio.analysis import analyze_file
from agent_assist.coach.talk import analyze
from tests.audio.pulse_server import MIC_AND_SPEAKERS, TWO_LINES, pulse_server
from tests.audio.speech import SCRIPT, build, write_stereo

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent.parent

@pytest.fixture
def pulse(tmp_path: Path) -> Iterator[dict[str, str]]:
    with pulse_server(tmp_path / "pa", TWO_LINES) as env:
        yield env


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("pulse_call")
    sp = build(16000, d / "espeak", script=SCRIPT, tail_s=1.0)
    stereo = write_stereo(sp, d / "call.wav")
    agent, customer = d / "agent.wav", d / "customer.wav"
    sf.write(str(agent), sp.agent, sp.rate)
    sf.write(str(customer), sp.customer, sp.rate)
    return {"stereo": stereo, "agent": agent, "customer": customer}


def _probe(env: dict[str, str], seconds: float) -> subprocess.Popen[str]:
    p = subprocess.Popen([sys.executable, "-m", "tests.audio.pulse_probe", "--agent", "agent_in",
                          "--customer", "customer_in", "--seconds", str(seconds)],
                         env=dict(env, QT_QPA_PLATFORM="offscreen"), cwd=ROOT, text=True,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert p.stdout is not None
    line = p.stdout.readline().strip()
    if line != "READY":
        out, err = p.communicate(timeout=30)
        pytest.fail(f"live source did not start: {line} {out} {err[-2000:]}")
    return p


def _play(env: dict[str, str], rec: dict[str, Path]) -> list[subprocess.Popen[bytes]]:
    return [subprocess.Popen(["paplay", "-d", sink, str(rec[party])], env=env)
            for party, sink in (("agent", "agent_sink"), ("customer", "customer_sink"))]


def test_live_capture_matches_file_analysis(pulse: dict[str, str], recording: dict[str, Path]) -> None:
    length = sf.info(str(recording["stereo"])).duration
    probe = _probe(pulse, length + 4.0)
    time.sleep(0.5)
    players = _play(pulse, recording)
    for p in players:
        assert p.wait(timeout=length + 20) == 0
    out, err = probe.communicate(timeout=length + 30)
    assert out.strip(), err[-2000:]
    result = json.loads(out.strip().splitlines()[-1])
    assert result["error"] is None, result["error"]

    file_segs, dur = analyze_file(recording["stereo"])
    expected = analyze(file_segs, dur)
    live = result["metrics"]
    assert live["agent_speech_s"] > 5 and live["customer_speech_s"] > 5
    assert abs(live["talk_ratio"] - expected.talk_ratio) * 100 <= 2.0, (live, expected)
    assert np.isclose(live["agent_speech_s"], expected.agent_speech_s, atol=1.0)
    assert np.isclose(live["customer_speech_s"], expected.customer_speech_s, atol=1.0)
    # the live pipeline (capture + VAD + tracker, every thread of the process) under 5% of one core
    assert result["cpu_pct"] < 5.0, result["cpu_pct"]
    print(f"live listening CPU: {result['cpu_pct']:.2f}% of one core")


def test_input_that_disappears_mid_call_keeps_what_was_heard(pulse: dict[str, str],
                                                             recording: dict[str, Path]) -> None:
    length = sf.info(str(recording["stereo"])).duration
    probe = _probe(pulse, length + 10.0)
    time.sleep(0.5)
    players = _play(pulse, recording)
    time.sleep(length * 0.6)
    mods = subprocess.run(["pactl", "list", "short", "modules"], env=pulse, capture_output=True,
                          text=True, check=True).stdout
    remap = [line.split()[0] for line in mods.splitlines() if "customer_in" in line]
    assert remap, mods
    subprocess.run(["pactl", "unload-module", remap[0]], env=pulse, check=True)
    out, err = probe.communicate(timeout=length + 30)
    for p in players:
        p.wait(timeout=30)
    assert out.strip(), err[-2000:]
    result = json.loads(out.strip().splitlines()[-1])
    assert result["error"] and ("disappeared" in result["error"] or "stopped" in result["error"]), result
    assert "figures so far are kept" in result["error"]
    # what was heard before the unplugging is there
    assert result["metrics"]["agent_speech_s"] > 2
    assert result["position_s"] < length


STALL_CHILD = r'''
import select, sys, time
import numpy as np
from PySide6.QtCore import QCoreApplication
app = QCoreApplication(sys.argv)
from tests.ui.child import until as wait
from agent_assist.audio import live
from agent_assist.audio.live import LiveCapture, input_devices
live.LOST_FILL_MAX_S = float(sys.argv[4])

if sys.argv[3] == "mic":  # Practice's microphone
    from agent_assist.ui.practice.mic import MicCapture
    wait(lambda: "mic_in" in {i for i, _d in input_devices()}, "the microphone")
    cap = MicCapture("mic_in")
else:  # a call's two lines
    wait(lambda: {"agent_in", "customer_in"} <= {i for i, _d in input_devices()}, "the inputs")
    cap = LiveCapture("agent_in", "customer_in")
cap.start()
got = []
n = [0, -1]  # samples heard, index of the last loud one
def take():
    a, _c = cap.take()
    got.append(a)
    i = np.flatnonzero(np.abs(a.astype(np.int32)) > 1000)
    if len(i):
        n[1] = n[0] + int(i[-1])
    n[0] += len(a)
print("READY", flush=True)
wait(lambda: take() or n[1] >= 0, "the sound")
t = time.monotonic() + float(sys.argv[2])
while time.monotonic() < t:  # the GUI thread busy with something else: nobody reads the inputs
    pass
# the player has finished (a line on stdin), then its last sound and half a second of quiet came
wait(lambda: take() or select.select([sys.stdin], [], [], 0)[0], "the player", 30.0)
wait(lambda: take() or n[0] - n[1] > 8000, "the end", 10.0)
cap.stop()
np.save(sys.argv[1], np.concatenate(got))
print("DONE", cap.lost_s["agent"], cap.lost_s["customer"], flush=True)
'''


def _stalled(pulse: dict[str, str], tmp_path: Path, stall_s: float, sink: str = "agent_sink",
             kind: str = "line", fill_max_s: float = 60.0) -> tuple[np.ndarray, np.ndarray, list[float]]:
    """Noise played into ``sink`` while the capturing thread is busy for ``stall_s``: (played, heard, the
    capture's lost seconds per party). ``kind``: a call's two lines, or Practice's microphone."""
    rate = 16000
    noise = np.random.default_rng(7).normal(0, 4000, rate * 5).clip(-32768, 32767).astype(np.int16)
    wav = tmp_path / "noise.wav"
    sf.write(str(wav), noise, rate)
    got = tmp_path / "got.npy"
    child = subprocess.Popen([sys.executable, "-c", STALL_CHILD, str(got), str(stall_s), kind,
                              str(fill_max_s)], env=pulse, cwd=ROOT,
                             text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert child.stdout is not None and child.stdin is not None
    if child.stdout.readline().strip() != "READY":
        out, err = child.communicate(timeout=30)
        pytest.fail(f"capture did not start: {out} {err[-2000:]}")
    subprocess.run(["paplay", "-d", sink, str(wav)], env=pulse, check=True, timeout=60)
    out, err = child.communicate("played\n", timeout=60)
    done = [ln for ln in out.splitlines() if ln.startswith("DONE")]
    assert done, err[-2000:]
    return noise, np.load(got).astype(np.float64), [float(v) for v in done[0].split()[1:]]


def _drift(heard: np.ndarray, played: np.ndarray) -> int:
    """How many samples longer (> 0) or shorter (< 0) what was heard is than what was played, between
    0.1 s of the played noise near its start and 0.1 s near its end (each found by correlation)."""
    def at(i: int) -> int:
        seg = played[i:i + 1600].astype(np.float64)
        return int(np.argmax(np.correlate(heard, seg, "valid")))

    first, last = at(1600), at(len(played) - 3200)
    assert 0 < first < last, (first, last)
    return (last - first) - (len(played) - 4800)


def test_a_gui_thread_busy_too_long_loses_audio_said_and_kept_in_time(pulse: dict[str, str],
                                                                      tmp_path: Path) -> None:
    """Busy for 3 s, longer than the 2 s the server holds: the lost second is counted for both inputs and
    filled with silence, so what follows it is still at its own time."""
    rate = 16000
    noise, heard, lost = _stalled(pulse, tmp_path, 3.0)
    assert lost[0] == pytest.approx(1.0, abs=0.25) and lost[1] == pytest.approx(lost[0], abs=0.05), lost
    drift = _drift(heard, noise)
    assert abs(drift) <= rate // 20, f"the timeline moved by {drift / rate:.3f} s"
    # and the lost stretch is silence in what the VAD hears, not a copy of something else
    silent = np.flatnonzero(np.abs(heard) < 1)
    assert len(silent) >= 0.7 * lost[0] * rate


def test_a_long_loss_is_counted_whole_but_filled_only_so_far(pulse: dict[str, str], tmp_path: Path) -> None:
    """A loss longer than the fill limit (a machine suspended mid-call) is counted whole; only the limit is
    filled with silence (memory stays bounded), so the timeline moves by the rest."""
    rate = 16000
    noise, heard, lost = _stalled(pulse, tmp_path, 3.0, fill_max_s=0.4)
    assert lost[0] == pytest.approx(1.0, abs=0.25), lost
    drift = _drift(heard, noise)
    assert drift == pytest.approx(-(lost[0] - 0.4) * rate, abs=rate // 20), drift / rate


def test_a_busy_gui_thread_loses_no_audio(pulse: dict[str, str], tmp_path: Path) -> None:
    """The inputs are read on the GUI thread: while it is busy for a second, the sound server holds the
    audio (a 0.2 s buffer lost 0.82 s of a 1 s stall, cutting words out of what was said)."""
    rate = 16000
    noise, heard, lost = _stalled(pulse, tmp_path, 1.0)
    missing = -_drift(heard, noise)
    assert abs(missing) <= rate // 100, f"{missing / rate:.3f} s of the played audio was lost"
    assert lost == [0.0, 0.0]


def test_practice_microphone_counts_what_a_busy_gui_thread_lost(tmp_path: Path) -> None:
    """The same accounting for Practice's microphone (it reads the same inputs its own way)."""
    with pulse_server(tmp_path / "pa", MIC_AND_SPEAKERS) as env:
        noise, heard, lost = _stalled(env, tmp_path, 3.0, sink="mic_sink", kind="mic")
    assert lost[0] == pytest.approx(1.0, abs=0.25) and lost[1] == 0.0, lost
    assert abs(_drift(heard, noise)) <= 800, "the timeline moved"
