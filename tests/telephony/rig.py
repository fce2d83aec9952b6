"""A real softphone on loopback for the tests: baresip with ctrl_tcp, rung by sipp, on free ports."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path


def free_port() -> int:
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t, \
                socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            t.bind(("127.0.0.1", 0))
            port = t.getsockname()[1]
            try:
                u.bind(("127.0.0.1", port))  # SIP listens on UDP and TCP: free on both
            except OSError:
                continue
            return port


class Baresip:
    def __init__(self, folder: Path, answer: str = "manual") -> None:
        self.folder = folder
        self.sip_port = free_port()
        self.ctrl_port = free_port()
        wav = folder / "tone.wav"
        _write_tone(wav)
        (folder / "config").write_text(
            f"sip_listen 127.0.0.1:{self.sip_port}\n"
            "audio_player aufile,/dev/null\naudio_alert aufile,/dev/null\n"
            f"audio_source aufile,{wav}\n"
            "module_path /usr/lib/baresip/modules\nmodule g711.so\nmodule aufile.so\n"
            "module_app account.so\nmodule_app menu.so\nmodule_app ctrl_tcp.so\n"
            f"ctrl_tcp_listen 127.0.0.1:{self.ctrl_port}\n")
        (folder / "accounts").write_text(f"<sip:agent@127.0.0.1>;regint=0;answermode={answer}\n")
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.folder / "baresip.log", "ab") as log:
            self.proc = subprocess.Popen(["baresip", "-f", str(self.folder)], stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def ring(self, hold_ms: int = 1000, caller: str = "") -> subprocess.Popen[bytes]:
        """sipp calls agent@baresip (From ``caller`` when given), talks ``hold_ms`` once answered, hangs up."""
        scenario = ["-sn", "uac"]
        if caller:
            # sipp -sd prints the built-in scenario and exits 99
            xml = subprocess.run(["sipp", "-sd", "uac"], capture_output=True, text=True).stdout
            assert "From: sipp <sip:sipp@" in xml, "sipp did not print its uac scenario"
            xml = xml.replace("From: sipp <sip:sipp@", f'From: "Caller" <sip:{caller}@')
            path = self.folder / "uac_from.xml"
            path.write_text(xml)
            scenario = ["-sf", str(path)]
        return subprocess.Popen(
            ["sipp", *scenario, f"127.0.0.1:{self.sip_port}", "-i", "127.0.0.1", "-s", "agent",
             "-m", "1", "-d", str(hold_ms), "-p", str(free_port()), "-timeout", "20s", "-nostdin",
             "-trace_err", "-error_file", str(self.folder / "sipp_err.log")],
            cwd=self.folder, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _write_tone(path: Path) -> None:
    import math
    import struct
    import wave

    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"".join(struct.pack("<h", int(6000 * math.sin(i * 0.345))) for i in range(16000)))
