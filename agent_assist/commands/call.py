"""The call event commands and the call log.

* ``agent-assist call NUMBER [--call-id ID]``: a call rings (the window starts if none is running);
* ``agent-assist answer [--call-id ID]`` / ``agent-assist hangup [--call-id ID]``: the agent answered, the
  call ended; without ``--call-id`` they mean the newest ringing (answer) or ringing/active (hang-up) call;
* ``agent-assist calls [--json] [--status missed|done|active] [--limit N]``: the newest calls first.

Softphones run these commands and wait for them, so each hands its event to the window over the local
socket and returns; the window applies it through the call workflow (``workflows/calls.py``). NUMBER may be
digits in any format, a ``sip:``/``sips:``/``tel:`` URI, a whole From header or anonymous/withheld/empty
(an unknown caller). A call id the database does not know is refused here (exit 2, naming the id).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from agent_assist.commands.common import db_path, load_settings
from agent_assist.errors import CliError
from agent_assist.telephony.events import CallEvent, CallEventKind

if TYPE_CHECKING:
    from agent_assist.ui.single_instance import Reply

START_TIMEOUT_S = 30.0
RETRY_INTERVAL_S = 0.2
STATUS_FILTERS = {"missed": ("missed",), "done": ("done",), "active": ("ringing", "active", "held", "wrapup")}


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
    cmd = args.command
    if cmd == "calls":
        return list_calls(args)
    if cmd == "call":
        return ring(args)
    return answer_or_hangup(args, cmd)


# -- ring ----------------------------------------------------------------------------------------------
def ring(args: argparse.Namespace) -> int:
    from agent_assist.telephony.caller import parse_caller
    from agent_assist.workflows.calls import new_call_ref

    settings = load_settings(args)
    raw = str(args.number or "")
    caller = parse_caller(raw, settings.default_region)
    readable = caller.e164 or caller.anonymous or any(ch.isdigit() for ch in raw) or any(
        s in raw.lower() for s in ("sip:", "sips:", "tel:", "<"))
    if not readable:
        raise CliError(f"{raw!r} is not a phone number (no digits in it), nor a sip:/tel: address")
    call_id = _check_id(args.call_id) or new_call_ref()
    who = caller.e164 or caller.label
    message = CallEvent(CallEventKind.RING, call_id, raw, getattr(args, "name", "") or "")

    name = _server(args)
    reply = _send(name, message)
    if _delivered(reply):
        print(f"call {call_id} from {who} delivered")
        return 0
    _refused(reply)
    if args.no_start:
        raise CliError(f"no Agent Assist window is running for {db_path(args)}; the call was not delivered")

    proc = start_app(args)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None and proc.returncode != 0:
            raise CliError(f"Agent Assist could not start (exit code {proc.returncode}); "
                           "run `agent-assist` to see why")
        reply = _send(name, message, timeout_ms=500)
        if _delivered(reply):
            print(f"started Agent Assist; call {call_id} from {who} delivered")
            return 0
        _refused(reply)
        time.sleep(RETRY_INTERVAL_S)
    raise CliError(f"Agent Assist did not answer within {START_TIMEOUT_S:.0f} s; the call was not delivered")


# -- answer / hang-up ----------------------------------------------------------------------------------------
def answer_or_hangup(args: argparse.Namespace, kind: str) -> int:
    from agent_assist.workflows import calls as wf

    call_id = _check_id(args.call_id)
    path = db_path(args)
    target: wf.Call | None = None
    if path.exists():
        from agent_assist.store.db import connect

        db = connect(path, create=False, writer=False)  # the window holds the writer lock
        try:
            if call_id:
                target = wf.find(db, call_id)  # UnknownCall: exit 2 naming the id
            else:
                wanted = ("ringing",) if kind == "answer" else ("ringing", "active", "held")
                from agent_assist.store import calls as store

                row = store.newest_call(db, wanted)
                target = wf.Call.from_row(row) if row else None
        finally:
            db.close()
    elif call_id:
        raise CliError(f"no call with id {call_id!r}")
    if target is None:
        if kind == "hangup":
            print("no call to hang up; nothing changed")
            return 0
        raise CliError("no ringing call to answer")
    allowed = wf.TRANSITIONS.get((target.state, wf.CallAction(kind)))
    if allowed is None:
        raise wf.IllegalTransition(target.call_ref, target.state, wf.CallAction(kind))
    reply = _send(_server(args), CallEvent(CallEventKind(kind), target.call_ref))
    if _delivered(reply):
        print(f"{'answered' if kind == 'answer' else 'hung up'} call {target.call_ref}")
        return 0
    _refused(reply)
    raise CliError(f"no Agent Assist window is running for {path}; the {kind} was not delivered")


# -- the call log --------------------------------------------------------------------------------------------
def _iso(text: str | None) -> str | None:
    if not text:
        return None
    t = datetime.fromisoformat(text)
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    return t.astimezone().isoformat(timespec="seconds")


def call_log_rows(db: Any, status: str | None, limit: int) -> list[dict[str, Any]]:
    from agent_assist.store import calls as store

    rows = store.list_live_calls(db, statuses=STATUS_FILTERS[status] if status else (), limit=limit)
    out = []
    for r in rows:
        out.append({
            "call_id": r["call_ref"] or str(r["id"]),
            "number": r["phone_e164"],
            "name": r["display_name"],
            "customer_id": r["customer_id"],
            "customer": r["customer_name"],
            "status": r["status"],
            "rang_at": _iso(r["rang_at"] or r["started_at"]),
            "answered_at": _iso(r["answered_at"]),
            "ended_at": _iso(r["ended_at"]),
            "duration_s": r["duration_s"],
            "end_cause": r["end_cause"],
            "outcome": r["outcome"],
        })
    return out


def list_calls(args: argparse.Namespace) -> int:
    if args.limit < 1:
        raise CliError(f"--limit must be at least 1 (got {args.limit})")
    path = db_path(args)
    if not path.exists():
        raise CliError(f"no database at {path}")
    from agent_assist.store.db import connect

    db = connect(path, create=False, writer=False)  # read only, beside the window
    try:
        rows = call_log_rows(db, args.status, args.limit)
    finally:
        db.close()
    if args.json:
        for r in rows:
            print(json.dumps(r, ensure_ascii=False))
        return 0
    if not rows:
        print("no calls" + (f" with status {args.status}" if args.status else ""))
        return 0
    print(f"{'rang at':<17} {'status':<8} {'talk':>6}  {'number':<16} {'customer':<24} call id")
    for r in rows:
        d = r["duration_s"]
        talk = f"{int(d) // 60}:{int(d) % 60:02d}" if d is not None else "—"
        who = r["customer"] or r["name"] or ("—" if r["customer_id"] is None else f"#{r['customer_id']}")
        print(f"{(r['rang_at'] or '')[:16].replace('T', ' '):<17} {r['status']:<8} {talk:>6}  "
              f"{r['number'] or 'withheld':<16} {who[:24]:<24} {r['call_id']}")
    return 0


# -- helpers -------------------------------------------------------------------------------------------------
def _check_id(call_id: str | None) -> str | None:
    if call_id is None:
        return None
    text = call_id.strip()
    if not text or len(text) > 128 or not text.isprintable():
        raise CliError(f"--call-id {call_id!r} is not a call id (1-128 printable characters)")
    return text


def _server(args: argparse.Namespace) -> str:
    from agent_assist.ui.single_instance import server_name

    return server_name(db_path(args))


def _send(name: str, event: CallEvent, timeout_ms: int = 2000) -> Reply:
    from agent_assist.ui.single_instance import send_event

    return send_event(name, event, timeout_ms=timeout_ms)


def _delivered(reply: Reply) -> bool:
    return reply.delivered and reply.ok


def _refused(reply: Reply) -> None:
    """The window answered but refused the event: say why (nothing was changed)."""
    if reply.delivered and not reply.ok:
        raise CliError(f"the window refused the event: {reply.error or 'no reason given'}")
