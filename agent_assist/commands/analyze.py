"""``agent-assist analyze FILE``: talk ratio and timing figures of a recording or a transcript."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from agent_assist.audio.errors import AudioError
from agent_assist.audio.sources import open_source
from agent_assist.coach.talk import Segment, TalkMetrics, TalkSettings, analyze, definitions
from agent_assist.errors import CliError


def _settings(args: argparse.Namespace) -> TalkSettings:
    from agent_assist.commands.common import load_settings

    s = load_settings(args)
    return TalkSettings(target=s.talk_target, silence_threshold_s=s.silence_threshold_s,
                        backchannel_max_s=s.backchannel_max_s, window_s=s.window_s)


def _human(description: str, m: TalkMetrics, talk: TalkSettings) -> str:
    d = definitions(talk)
    ratio = m.talk_ratio
    verdict = "nobody spoke" if ratio is None else "on target" if ratio <= talk.target else "above target"
    rows = [
        ("Talk ratio", "—" if ratio is None else f"{ratio:.1%} agent ({verdict}, "
         f"target ≤ {talk.target:.0%})", d["talk_ratio"]),
        ("Agent speech", f"{m.agent_speech_s:.1f} s", ""),
        ("Customer speech", f"{m.customer_speech_s:.1f} s", ""),
        ("Overtalk", f"{m.overtalk_s:.1f} s ({m.overtalk_pct:.1f}% of the call)", d["overtalk"]),
        ("Silence", f"{m.silence_s:.1f} s", d["silence"]),
        ("Longest monologue", f"{m.longest_monologue_s:.1f} s"
         + (f" ({m.longest_monologue_party})" if m.longest_monologue_party else ""),
         d["longest_monologue"]),
        ("Interruptions", str(m.interruptions), d["interruptions"]),
        ("Call length", f"{m.duration_s:.1f} s", ""),
    ]
    out = [description, ""]
    for name, value, definition in rows:
        out.append(f"  {name + ':':<19}{value}")
        if definition:
            out.append(f"  {'':<19}  {definition}")
    return "\n".join(out)


def _write_timeline(segments: list[Segment], duration: float, path: str, talk: TalkSettings) -> Path:
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(["agent-assist"])
    from agent_assist.ui.review.timeline import render_png

    out = render_png(segments, duration, path, settings=talk)
    del app
    return out


def check_turns(utterances: tuple[tuple[str, float, str], ...]) -> list[dict[str, Any]]:
    """The agent's turns of a transcript through the same path as live utterances: redacted, then the
    phrasing checker. One dict per flag, with the turn's start and (redacted) text."""
    from agent_assist.coach.phrasing import ModelMissing, PhrasingChecker, load_nlp
    from agent_assist.coach.redact import redact

    turns = [(start, redact(text).text) for party, start, text in utterances if party == "agent"]
    if not turns:
        return []
    try:
        checker = PhrasingChecker(load_nlp())
    except ModelMissing as e:
        raise CliError(str(e)) from None
    out = []
    for (start, text), flags in zip(turns, checker.check_many([t for _s, t in turns]), strict=True):
        for f in flags:
            out.append({"start_s": round(start, 3), "text": text, **f.to_dict()})
    return out


def _human_flags(flags: list[dict[str, Any]]) -> str:
    from agent_assist.coach.phrasing import CATEGORY_NAMES

    if not flags:
        return "Phrasing (agent turns): nothing flagged."
    out = [f"Phrasing (agent turns): {len(flags)} flag{'s' if len(flags) != 1 else ''}"]
    for f in flags:
        t = float(f["start_s"])
        span = f["text"][f["start"]:f["end"]]
        out.append(f"  [{int(t // 60)}:{int(t % 60):02d}] {CATEGORY_NAMES.get(f['category'], f['category'])}: "
                   f"\"{span}\" in \"{f['text']}\"")
        out.append(f"      why: {f['reason']}")
        if f.get("suggestion"):
            out.append(f"      try: {f['suggestion']}")
    return "\n".join(out)


def run(args: argparse.Namespace) -> int:
    talk = _settings(args)
    try:
        source = open_source(args.file, agent_channel=args.agent_channel, agent_file=args.agent_file,
                             agent_speaker=args.agent_speaker)
        result = source.read()
    except AudioError as e:
        raise CliError(str(e)) from None
    m = analyze(result.segments, result.duration_s, talk)
    data: dict[str, Any] = m.to_dict()
    flags = check_turns(result.utterances) if result.utterances else None
    to_stdout = args.timeline == "-"
    if to_stdout and args.json:
        raise CliError("--timeline - and --json both write to stdout; give the timeline a file name")
    if args.timeline:
        try:
            if to_stdout:  # the PNG goes to stdout, the report to stderr
                with tempfile.TemporaryDirectory(prefix="agent-assist-timeline-") as tmp:
                    png = _write_timeline(result.segments, m.duration_s, str(Path(tmp) / "t.png"), talk)
                    sys.stdout.buffer.write(png.read_bytes())
                    sys.stdout.buffer.flush()
                data["timeline"] = "stdout"
            else:
                data["timeline"] = str(_write_timeline(result.segments, m.duration_s, args.timeline, talk))
        except OSError as e:
            raise CliError(f"could not write the timeline: {e}") from None
    utts = None
    if getattr(args, "transcribe", False):
        if Path(args.file).suffix.lower() in (".vtt", ".srt", ".json") or args.agent_file:
            raise CliError("--transcribe needs one recording (stereo: agent left, customer right)")
        from agent_assist.commands.transcribe import utterances

        utts = utterances(args, args.file)
    if args.json:
        data["source"] = result.description
        data["notes"] = list(result.notes)
        if utts is not None:
            data["utterances"] = [u.to_json() for u in utts]
        data["segments"] = [[g.party, round(g.start, 3), round(g.end, 3)] for g in result.segments]
        if flags is not None:
            data["flags"] = flags
        print(json.dumps(data))
    else:
        stream = sys.stderr if to_stdout else sys.stdout
        print(_human(result.description, m, talk), file=stream)
        for note in result.notes:  # resampled, DC offset removed, clipping, a silent or too-noisy channel
            print(f"Note: {note}", file=stream)
        if flags is not None:
            print("\n" + _human_flags(flags), file=stream)
        if utts is not None:
            print("", file=stream)
            for u in utts:
                print(f"  [{u.start:7.1f} s] {u.party:<8} {u.text}"
                      + (f"  ({len(u.flags)} flag{'s' if len(u.flags) != 1 else ''})" if u.flags else ""),
                      file=stream)
        if args.timeline:
            print(f"\nTimeline written to {data['timeline']}", file=stream)
    return 0

