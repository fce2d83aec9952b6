"""``agent-assist call NUMBER``: deliver an incoming call to the window (starting it if needed).

The number is normalised to E.164 here, so a malformed one fails in the terminal (one line, exit 2) and
never reaches the window. The window for the same ``--db`` gets it over its local socket; with no window
running, the app is started detached with the same options and the call is delivered once it listens.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

from agent_assist.commands.common import db_path, load_settings
from agent_assist.errors import CliError
from agent_assist.store.phones import BadPhoneNumber, to_e164

START_TIMEOUT_S = 30.0
RETRY_INTERVAL_S = 0.2


def app_command(args: argparse.Namespace) -> list[str]:
    """The command line that starts the window with the same database, region, agent and profile."""
    if getattr(sys, "frozen", False):
        cmd = [sys.executable]
    else:
        cmd = [sys.executable, "-m", "agent_assist"]
    cmd += ["--db", str(db_path(args))]
    for flag, value in (("--region", args.region), ("--agent", args.agent), ("--profile", args.profile)):
        if value:
            cmd += [flag, str(value)]
    return cmd


def start_app(args: argparse.Namespace) -> subprocess.Popen[bytes]:
    """Start the window detached from this process (its own session; no inherited terminal)."""
    kwargs: dict[str, object] = {"stdin": subprocess.DEVNULL, "stdout": subprocess.DEVNULL,
                                 "stderr": subprocess.DEVNULL, "close_fds": True}
    if sys.platform == "win32":
        kwargs["creationflags"] = subprocess.DETACHED_PROCESS | subprocess.CREATE_NEW_PROCESS_GROUP
    else:
        kwargs["start_new_session"] = True
    proc: subprocess.Popen[bytes] = subprocess.Popen(app_command(args), **kwargs)  # type: ignore[call-overload]
    return proc


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    try:
        e164 = to_e164(args.number, settings.default_region)
    except BadPhoneNumber as e:
        raise CliError(str(e)) from None

    # Qt is needed only from here on (the local socket), so a bad number fails fast.
    from PySide6.QtCore import QCoreApplication

    from agent_assist.ui.single_instance import send, server_name

    _app = QCoreApplication.instance() or QCoreApplication([sys.argv[0] if sys.argv else "agent-assist"])
    name = server_name(db_path(args))
    message = {"cmd": "call", "number": e164}
    if _delivered(send(name, message)):
        print(f"call from {e164} delivered")
        return 0
    if args.no_start:
        raise CliError(f"no Agent Assist window is running for {db_path(args)}; the call was not delivered")

    proc = start_app(args)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None and proc.returncode != 0:
            raise CliError(f"Agent Assist could not start (exit code {proc.returncode}); "
                           "run `agent-assist` to see why")
        if _delivered(send(name, message, timeout_ms=500)):
            print(f"started Agent Assist; call from {e164} delivered")
            return 0
        time.sleep(RETRY_INTERVAL_S)
    raise CliError(f"Agent Assist did not answer within {START_TIMEOUT_S:.0f} s; the call was not delivered")


def _delivered(reply: dict[str, object] | None) -> bool:
    return bool(reply and reply.get("ok"))
