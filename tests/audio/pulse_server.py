"""A private PulseAudio server (Debian's ``pulseaudio``) for the tests that play real audio into the app.

Qt lists no *monitor* sources as audio inputs (its PulseAudio backend skips them), so — as a user would for
a softphone — each null sink's monitor is exposed as a regular source with ``module-remap-source``. Two
layouts are used: the call's two lines (``TWO_LINES``: agent_sink -> agent_in, customer_sink ->
customer_in) and Practice's microphone and speakers (``MIC_AND_SPEAKERS``: mic_sink -> mic_in, speakers).
The environment returned points a child process (Qt keeps one sound-server connection per process) at the
server; the server is ready when ``pactl info`` answers, not after a fixed wait.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

TWO_LINES = """\
load-module module-null-sink sink_name=agent_sink sink_properties=device.description=AgentSink
load-module module-null-sink sink_name=customer_sink sink_properties=device.description=CustomerSink
load-module module-remap-source master=agent_sink.monitor source_name=agent_in source_properties=device.description=AgentLine
load-module module-remap-source master=customer_sink.monitor source_name=customer_in source_properties=device.description=CustomerLine
"""

MIC_AND_SPEAKERS = """\
load-module module-null-sink sink_name=speakers sink_properties=device.description=Speakers
load-module module-null-sink sink_name=mic_sink sink_properties=device.description=MicSink
load-module module-remap-source master=mic_sink.monitor source_name=mic_in source_properties=device.description=Mic
"""


@contextmanager
def pulse_server(home: Path, modules: str, start_timeout_s: float = 15.0) -> Iterator[dict[str, str]]:
    """Run PulseAudio with ``modules`` (plus its native socket) under ``home``; yields the child env."""
    if shutil.which("pulseaudio") is None or shutil.which("paplay") is None:
        pytest.fail("pulseaudio and pulseaudio-utils are needed (make system-test installs them)")
    rt = home / "runtime"
    rt.mkdir(parents=True, mode=0o700)
    sock = home / "native"
    conf = home / "default.pa"
    conf.write_text(modules + f"load-module module-native-protocol-unix auth-anonymous=1 socket={sock}\n")
    env = dict(os.environ, HOME=str(home), XDG_RUNTIME_DIR=str(rt), PULSE_RUNTIME_PATH=str(rt),
               PULSE_SERVER=f"unix:{sock}", XDG_CONFIG_HOME=str(home / "config"), QT_QPA_PLATFORM="offscreen")
    env.pop("DISPLAY", None)
    log_path = home / "pulse.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(["pulseaudio", "--daemonize=no", "--exit-idle-time=-1", "-n", f"--file={conf}",
                                 "--system=false", "--disallow-exit", "--use-pid-file=false",
                                 "--log-target=stderr"], env=env, stdout=log, stderr=log)
        try:
            deadline = time.monotonic() + start_timeout_s
            while subprocess.run(["pactl", "info"], env=env, capture_output=True).returncode != 0:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"pulseaudio did not come up: {log_path.read_text()[-2000:]}")
                time.sleep(0.2)
            yield env
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
