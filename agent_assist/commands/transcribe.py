"""``agent-assist transcribe FILE [--json]``: what was said in a recording, redacted, with phrasing flags.

WAV/FLAC at any sample rate (resampled with soxr); stereo is agent left, customer right; mono is one
speaker (reported as the agent). ``--json`` writes one object per utterance per line:
``{"channel": "agent"|"customer", "start": s, "end": s, "text": "...", "flags": [...]}``, flags as
``check --json`` gives them (agent utterances only: the coach judges the agent's phrasing).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from agent_assist.audio.errors import AudioError
from agent_assist.errors import CliError


def recogniser_from(args: argparse.Namespace) -> Any:
    """The recogniser the settings (or ``--engine`` / ``--model``) ask for, or ``CliError``."""
    from agent_assist.audio.recognition import ModelError, SpeechSettings, open_recogniser
    from agent_assist.commands.common import load_settings

    sp = SpeechSettings.from_settings(load_settings(args))
    engine = getattr(args, "engine", None) or sp.engine
    model = getattr(args, "model", None) or sp.model
    if engine == "off":
        raise CliError("speech recognition is switched off in the settings (speech_engine = 'off'); "
                       "pass --engine pocketsphinx to use it anyway")
    try:
        return open_recogniser(engine, model)
    except ModelError as e:
        raise CliError(str(e)) from None


def utterances(args: argparse.Namespace, path: str) -> list[Any]:
    from agent_assist.audio.recognition.pipeline import read_channels, transcribe_channels
    from agent_assist.commands.check import _checker

    try:  # the audio first: a bad file is reported before seconds of model loading
        agent, customer, rate = read_channels(path, getattr(args, "agent_channel", "left"))
    except AudioError as e:
        raise CliError(str(e)) from None
    rec = recogniser_from(args)
    try:
        return transcribe_channels(agent, customer, rate, rec, _checker())
    except AudioError as e:
        raise CliError(str(e)) from None
    finally:
        rec.close()


def run(args: argparse.Namespace) -> int:
    utts = utterances(args, args.file)
    out = sys.stdout
    if args.json:
        for u in utts:
            out.write(json.dumps(u.to_json(), ensure_ascii=False) + "\n")
        return 0
    if not utts:
        print("No speech recognised.")
        return 0
    from agent_assist.coach.summary import FLAG_LABELS

    for u in utts:
        print(f"[{_clock(u.start)}-{_clock(u.end)}] {u.party:<8} {u.text}")
        for f in u.flags:
            print(f"{'':22}! {FLAG_LABELS.get(f['category'], f['category'])}: {f['reason']}")
            print(f"{'':24}try: {f['suggestion']}")
    return 0


def _clock(s: float) -> str:
    m, sec = divmod(max(0.0, s), 60)
    return f"{int(m):02d}:{sec:04.1f}"
