"""The one shape every call event has, whichever softphone or PBX sent it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class CallEventKind(StrEnum):
    RING = "ring"  # a call is offered to the agent (incoming)
    ANSWER = "answer"  # the agent (or the softphone) answered it
    HOLD = "hold"
    RESUME = "resume"
    HANGUP = "hangup"  # either side ended it; before ANSWER this makes the call missed


class EventSource(StrEnum):
    CLI = "cli"
    BARESIP = "baresip"
    WEBHOOK = "webhook"
    UI = "ui"


@dataclass(frozen=True, slots=True)
class CallEvent:
    """One event of one call.

    ``call_id`` is the softphone's or PBX's id when it gives one; ``None`` means "the newest ringing or
    active call" (what ``agent-assist answer`` without ``--call-id`` means). ``caller`` is the caller as
    the source gave it (digits in any format, a ``sip:``/``tel:`` URI, a whole From header, or empty for an
    anonymous caller); the workflow normalises it once.
    """

    kind: CallEventKind
    call_id: str | None = None
    caller: str = ""
    display_name: str = ""
    cause: str = ""  # why a call ended, as the source says it (e.g. "rejected", "busy", "cancel")
    source: EventSource = EventSource.CLI
