"""End to end: the real app process follows a real baresip (rung by sipp) and takes Generic CTI posts.

baresip answers by itself (``answermode=auto``) so the call runs ring -> answer -> hang-up with no one at
the keyboard; the window reports the events it received, by kind, source and call id, in its test state.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.e2e.appproc import ROOT, TIMEOUT
from tests.e2e.appproc import wait_state as _wait_state
from tests.telephony.rig import Baresip, free_port

pytestmark = pytest.mark.e2e


PHONE = "+15551234567"  # the first demo customer
SECRET = "e2e-webhook-secret-0123456789"

have_baresip = pytest.mark.skipif(shutil.which("baresip") is None or shutil.which("sipp") is None,
                                  reason="needs Debian baresip-core and sip-tester (make deps-test)")


def _start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "agent_assist", *args], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _finish(proc: subprocess.Popen[str]) -> tuple[str, str]:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.communicate()


@pytest.fixture
def baresip(tmp_path: Path) -> Iterator[Baresip]:
    folder = tmp_path / "baresip"
    folder.mkdir()
    b = Baresip(folder, answer="auto")
    yield b
    b.stop()


@have_baresip
def test_the_app_follows_a_real_baresip(db_path: Path, state_file: Path, baresip: Baresip) -> None:
    app = _start("--db", str(db_path), "--softphone", f"baresip://127.0.0.1:{baresip.ctrl_port}")
    try:
        # baresip is not running yet: the window says so and keeps trying
        _wait_state(state_file, lambda s: s.get("db_ready") is True
                    and s.get("softphone") == "softphone not connected")
        baresip.start()
        _wait_state(state_file, lambda s: s.get("softphone") == "softphone connected")
        sipp = baresip.ring(hold_ms=1000, caller=PHONE)
        try:
            state = _wait_state(state_file, lambda s: any(e.startswith("hangup ") for e in s["call_events"])
                            and s.get("phone") == PHONE)
            assert sipp.wait(timeout=30) == 0
        finally:
            if sipp.poll() is None:
                sipp.kill()
                sipp.wait()
        kinds = [e.split()[0] for e in state["call_events"]]
        assert kinds == ["ring", "answer", "hangup"]
        ids = {e.split()[2] for e in state["call_events"]}
        sources = {e.split()[1] for e in state["call_events"]}
        assert len(ids) == 1 and sources == {"baresip"}
        # the ring popped the caller's card, the number read from baresip's peer URI
        assert state.get("phone") == PHONE
        # baresip goes away: the window notices and keeps running
        baresip.stop()
        _wait_state(state_file, lambda s: s.get("softphone") == "softphone not connected")
        assert app.poll() is None
    finally:
        _, err = _finish(app)
        baresip.stop()
    assert app.returncode == 0, err
    assert "Traceback" not in err


def test_a_bad_softphone_option_is_one_line_and_exit_2(db_path: Path, state_file: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "agent_assist", "--db", str(db_path), "--softphone",
                           "twinkle://127.0.0.1"], cwd=ROOT, text=True, capture_output=True, timeout=TIMEOUT)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "only baresip://HOST:PORT" in done.stderr
    assert not state_file.exists()


def test_the_app_takes_generic_cti_posts(db_path: Path, state_file: Path, tmp_path: Path) -> None:
    port = free_port()
    config = Path(os.environ["XDG_CONFIG_HOME"]) / "agent-assist"
    config.mkdir(parents=True, exist_ok=True)
    (config / "settings.json").write_text(json.dumps({"webhook_listen": f"127.0.0.1:{port}",
                                                      "webhook_secret": SECRET}))
    app = _start("--db", str(db_path))
    try:
        _wait_state(state_file, lambda s: s.get("db_ready") is True)

        def post(**fields: str) -> int:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            try:
                conn.request("POST", f"/cti/{SECRET}", body=urlencode(fields),
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
                return conn.getresponse().status
            finally:
                conn.close()

        assert post(event="newCall", **{"from": "5551234567"}, to="100", direction="in", callId="pbx-1") == 200
        assert post(event="answer", callId="pbx-1", direction="in") == 200
        assert post(event="hangup", callId="pbx-1", direction="in", cause="normalClearing") == 200
        assert post(event="hangup", callId="") == 400  # refused, nothing delivered
        # the card is filled on the db lane: wait for it too
        state = _wait_state(state_file, lambda s: len(s["call_events"]) == 3 and s.get("phone") == PHONE)
        assert state["call_events"] == ["ring webhook pbx-1", "answer webhook pbx-1", "hangup webhook pbx-1"]
    finally:
        _, err = _finish(app)
    assert app.returncode == 0, err
