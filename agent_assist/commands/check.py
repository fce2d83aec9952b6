"""``agent-assist check "text"`` / ``agent-assist check --json``: flag leading or loaded questions, blaming,
negative language and over-promises, with a neutral rewrite.

``--json`` reads one utterance per stdin line and writes one JSON object per input line, in order:
``{"text": ..., "flags": [{"category", "start", "end", "reason", "suggestion"}]}``. Bytes that are not
UTF-8 are replaced (U+FFFD) and counted in one warning on stderr. Exit 0 whether or not anything was flagged.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from typing import Any, BinaryIO, TextIO

from agent_assist.errors import CliError

BATCH = 64
_LINE_BREAKS = str.maketrans({"\u2028": "\\u2028", "\u2029": "\\u2029", "\x85": "\\u0085"})


def _checker() -> Any:
    from agent_assist.coach.phrasing import ModelMissing, PhrasingChecker, load_nlp

    try:
        return PhrasingChecker(load_nlp())
    except ModelMissing as e:
        raise CliError(str(e)) from None


def _lines(stream: BinaryIO) -> Iterator[tuple[str, bool]]:
    """Decoded lines of ``stream`` (line ending removed) and whether bytes had to be replaced."""
    for raw in stream:
        line = raw.rstrip(b"\r\n")
        try:
            yield line.decode("utf-8"), False
        except UnicodeDecodeError:
            yield line.decode("utf-8", errors="replace"), True


def run_json(stdin: BinaryIO, stdout: TextIO, stderr: TextIO) -> int:
    checker = _checker()
    bad = 0
    batch: list[str] = []

    def flush() -> None:
        for text, flags in zip(batch, checker.check_many(batch), strict=True):
            line = json.dumps({"text": text, "flags": [f.to_dict() for f in flags]}, ensure_ascii=False)
            # JSON allows these raw, but line-splitting tools treat them as line breaks
            stdout.write(line.translate(_LINE_BREAKS) + "\n")
        stdout.flush()
        batch.clear()

    for text, replaced in _lines(stdin):
        bad += replaced
        batch.append(text)
        if len(batch) >= BATCH:
            flush()
    flush()
    if bad:
        print(f"agent-assist: {bad} input line(s) were not valid UTF-8; unreadable bytes were replaced "
              "with \N{REPLACEMENT CHARACTER}", file=stderr)
    return 0


def format_flags(text: str, flags: list[Any]) -> str:
    """Human-readable report of ``flags`` for ``text``."""
    from agent_assist.coach.phrasing import CATEGORY_NAMES

    if not flags:
        return "No phrasing problems found."
    out = [f"{len(flags)} phrasing flag{'s' if len(flags) != 1 else ''}:"]
    for f in flags:
        out.append("")
        out.append(f"  [{CATEGORY_NAMES.get(f.category, f.category)}] \"{text[f.start:f.end]}\" "
                   f"(characters {f.start}-{f.end})")
        out.append(f"    why:  {f.reason}")
        out.append(f"    {'try:  ' if f.is_rewrite else 'tip:  '}{f.suggestion}")
    return "\n".join(out)


def run(args: argparse.Namespace) -> int:
    if args.json:
        if args.text is not None:
            raise CliError("give either TEXT or --json (which reads lines from stdin), not both")
        return run_json(sys.stdin.buffer, sys.stdout, sys.stderr)
    text = args.text
    if text is None:
        if sys.stdin.isatty():
            raise CliError('nothing to check: give the text, e.g. agent-assist check "Didn\'t you read it?"')
        data = sys.stdin.buffer.read()
        from agent_assist.coach.phrasing.checker import not_text_reason

        reason = not_text_reason(data)
        if reason:
            raise CliError(reason)
        text = data.decode("utf-8", errors="replace")
    if not text.strip():
        raise CliError("nothing to check: the text is empty")
    checker = _checker()
    print(format_flags(text, checker.check(text)))
    return 0
