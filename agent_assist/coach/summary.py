"""A call's session summary, built from what was stored: speech segments, flagged utterances, wrap-up.

Pure Python (no Qt, no SQL): the store hands over plain rows, :func:`summarize` returns a frozen
:class:`CallSummary` that the Review screen, the PDF report and ``finish_call(summary=...)`` all use.
Talk figures come from :func:`agent_assist.coach.talk.analyze`, the same code as the live meter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Protocol

from agent_assist.coach import flags as flag_vocab
from agent_assist.coach.talk import Segment, TalkMetrics, TalkSettings, analyze, definitions

# The flag vocabulary lives in coach.flags (resources/phrasing/flags.json); these names stay for callers.
FLAG_CATEGORIES = flag_vocab.CATEGORIES
FLAG_LABELS = flag_vocab.LABELS


@dataclass(frozen=True)
class Targets:
    """What the summary measures a call against."""

    talk_ratio: float = 0.30  # agent share of the talking, at most
    overtalk_pct: float = 5.0  # % of the call both speak at once, at most
    monologue_s: float = 60.0  # the agent's longest monologue, at most


@dataclass(frozen=True)
class MetricCheck:
    """One figure against its target. ``status``: ``ok``, ``over`` (missed the target) or ``info``."""

    key: str
    label: str
    value: str
    target: str
    status: str
    definition: str = ""


@dataclass(frozen=True)
class FlagNote:
    category: str
    label: str
    span: str  # the words that were flagged
    reason: str
    suggestion: str  # the neutral rewrite


@dataclass(frozen=True)
class FlaggedUtterance:
    utterance_id: int | None
    start_s: float | None
    text: str
    flags: tuple[FlagNote, ...]


@dataclass(frozen=True)
class CallSummary:
    call_id: int
    kind: str
    agent: str
    customer: str | None
    started_at: str | None
    ended_at: str | None
    status: str
    in_progress: bool
    duration_s: float | None
    metrics: TalkMetrics | None  # None when no speech segments were recorded
    checks: tuple[MetricCheck, ...]
    flag_counts: dict[str, int]
    flagged: tuple[FlaggedUtterance, ...]
    outcome: str | None
    notes: str | None
    tasks: tuple[dict[str, Any], ...]
    open_tasks: tuple[dict[str, Any], ...]
    issues_opened: tuple[str, ...]
    issues_resolved: tuple[str, ...]
    notices: tuple[str, ...] = field(default=())

    @property
    def flags_total(self) -> int:
        return sum(self.flag_counts.values())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (for ``finish_call(summary=...)`` and exports)."""
        d = asdict(self)
        d["flags_total"] = self.flags_total
        return d


class CallData(Protocol):
    """What :func:`summarize_detail` reads (``store.review.CallDetail`` has this shape)."""

    @property
    def call(self) -> Mapping[str, Any]: ...
    @property
    def segments(self) -> Sequence[tuple[str, float, float]]: ...
    @property
    def utterances(self) -> Sequence[Mapping[str, Any]]: ...
    @property
    def tasks(self) -> Sequence[Mapping[str, Any]]: ...
    @property
    def issues_opened(self) -> Sequence[Mapping[str, Any]]: ...
    @property
    def issues_resolved(self) -> Sequence[Mapping[str, Any]]: ...


def _seconds_between(a: str | None, b: str | None) -> float | None:
    if not a or not b:
        return None
    try:
        return max(0.0, (datetime.fromisoformat(b) - datetime.fromisoformat(a)).total_seconds())
    except ValueError:
        return None


def fmt_duration(s: float | None) -> str:
    """``"7:05"`` style (``"1:02:03"`` past an hour); an em dash when unknown."""
    if s is None:
        return "—"
    total = round(s)
    h, rest = divmod(total, 3600)
    m, sec = divmod(rest, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def fmt_pct(x: float | None, digits: int = 0) -> str:
    return "—" if x is None else f"{x * 100:.{digits}f}%"


def _checks(m: TalkMetrics, t: Targets, ts: TalkSettings) -> tuple[MetricCheck, ...]:
    defs = definitions(ts)
    ratio_status = "info" if m.talk_ratio is None else ("over" if m.talk_ratio > t.talk_ratio else "ok")
    agent_mono = m.longest_monologue_party == "agent"
    mono_status = "over" if agent_mono and m.longest_monologue_s > t.monologue_s else "ok"
    who = f" ({m.longest_monologue_party})" if m.longest_monologue_party else ""
    return (
        MetricCheck("talk_ratio", "Talk ratio", fmt_pct(m.talk_ratio), f"≤ {fmt_pct(t.talk_ratio)}",
                    ratio_status, defs["talk_ratio"]),
        MetricCheck("overtalk", "Overtalk", f"{m.overtalk_s:.0f} s ({m.overtalk_pct:.1f}%)",
                    f"≤ {t.overtalk_pct:g}%", "over" if m.overtalk_pct > t.overtalk_pct else "ok",
                    defs["overtalk"]),
        MetricCheck("longest_monologue", "Longest monologue",
                    f"{fmt_duration(m.longest_monologue_s)}{who}",
                    f"agent ≤ {fmt_duration(t.monologue_s)}", mono_status, defs["longest_monologue"]),
        MetricCheck("silence", "Silence", f"{m.silence_s:.0f} s", "—", "info", defs["silence"]),
        MetricCheck("interruptions", "Interruptions", str(m.interruptions), "—", "info",
                    defs["interruptions"]),
        MetricCheck("speech", "Speech (agent / customer)",
                    f"{fmt_duration(m.agent_speech_s)} / {fmt_duration(m.customer_speech_s)}", "—",
                    "info"),
    )


def _flag_note(text: str, f: Mapping[str, Any]) -> FlagNote:
    cat = flag_vocab.canonical(str(f.get("category") or ""))
    start, end = f.get("start"), f.get("end")
    span = ""
    if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text):
        span = text[start:end]
    return FlagNote(cat, flag_vocab.label(cat), span,
                    str(f.get("reason") or ""), str(f.get("suggestion") or ""))


def _one_per_task(tasks: Sequence[Mapping[str, Any]]) -> tuple[dict[str, Any], ...]:
    """Each task once: a parked task handed over to a follow-up at wrap-up is stored twice (the parked
    one marked done, a follow-up with the same text); only the follow-up, which is the live one, is shown."""
    followed = {str(t.get("text") or "").strip().lower() for t in tasks if t.get("kind") == "follow_up"}
    return tuple(dict(t) for t in tasks
                 if not (t.get("kind") != "follow_up" and t.get("done")
                         and str(t.get("text") or "").strip().lower() in followed))


def summarize(
    call: Mapping[str, Any],
    segments: Sequence[tuple[str, float, float]],
    utterances: Sequence[Mapping[str, Any]] = (),
    tasks: Sequence[Mapping[str, Any]] = (),
    issues_opened: Sequence[Mapping[str, Any]] = (),
    issues_resolved: Sequence[Mapping[str, Any]] = (),
    targets: Targets | None = None,
    talk_settings: TalkSettings | None = None,
) -> CallSummary:
    """Build the summary of one call.

    ``call`` is the stored call row (``id``, ``status``, ``started_at``, ``ended_at``, ``duration_s``,
    ``outcome``, ``notes``, ``kind`` and the ``agent``/``customer`` names); ``utterances`` carry their
    ``flags`` (``category``, ``start``, ``end``, ``reason``, ``suggestion``).
    """
    t = targets or Targets()
    ts = talk_settings or TalkSettings(target=t.talk_ratio)
    status = str(call.get("status") or "active")
    in_progress = status != "done"
    notices: list[str] = []
    if in_progress:
        notices.append(
            "This call is still in progress" + (" (in wrap-up)" if status == "wrapup" else "")
            + ": the figures are those so far and the wrap-up is not written yet."
        )
    stored = call.get("duration_s")
    duration = float(stored) if isinstance(stored, int | float) and stored > 0 else \
        _seconds_between(call.get("started_at"), call.get("ended_at"))
    metrics: TalkMetrics | None = None
    checks: tuple[MetricCheck, ...] = ()
    if segments:
        segs = [Segment(p, float(s), float(e)) for p, s, e in segments]
        metrics = analyze(segs, duration, ts)
        checks = _checks(metrics, t, ts)
        if duration is None:
            duration = metrics.duration_s
    else:
        notices.append("No speech was recorded for this call, so there are no talk figures.")

    counts = dict.fromkeys(FLAG_CATEGORIES, 0)
    flagged: list[FlaggedUtterance] = []
    for u in utterances:
        flags = u.get("flags") or ()
        if not flags:
            continue
        text = str(u.get("text") or "")
        notes = tuple(_flag_note(text, f) for f in flags)
        for n in notes:
            counts[n.category] = counts.get(n.category, 0) + 1
        start = u.get("start_s")
        flagged.append(FlaggedUtterance(u.get("id"), None if start is None else float(start), text,
                                        notes))
    all_tasks = _one_per_task(tasks)
    return CallSummary(
        call_id=int(call.get("id") or 0),
        kind=str(call.get("kind") or "call"),
        agent=str(call.get("agent") or f"agent {call.get('agent_id')}"),
        customer=call.get("customer"),
        started_at=call.get("started_at"),
        ended_at=call.get("ended_at"),
        status=status,
        in_progress=in_progress,
        duration_s=duration,
        metrics=metrics,
        checks=checks,
        flag_counts=counts,
        flagged=tuple(flagged),
        outcome=call.get("outcome"),
        notes=call.get("notes"),
        tasks=all_tasks,
        open_tasks=tuple(x for x in all_tasks if not x.get("done")),
        issues_opened=tuple(str(i.get("title") or "") for i in issues_opened),
        issues_resolved=tuple(str(i.get("title") or "") for i in issues_resolved),
        notices=tuple(notices),
    )


def summarize_detail(d: CallData, targets: Targets | None = None,
                     talk_settings: TalkSettings | None = None) -> CallSummary:
    return summarize(d.call, d.segments, d.utterances, d.tasks, d.issues_opened, d.issues_resolved,
                     targets, talk_settings)


@dataclass(frozen=True)
class BoxStats:
    """Five-number summary for a box plot (quartiles by linear interpolation, as numpy's default)."""

    low: float
    q1: float
    median: float
    q3: float
    high: float
    n: int


def _quantile(xs: Sequence[float], q: float) -> float:
    pos = (len(xs) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def box_stats(values: Sequence[float]) -> BoxStats | None:
    """Min, quartiles and max of ``values``; None for no values."""
    xs = sorted(values)
    if not xs:
        return None
    return BoxStats(xs[0], _quantile(xs, 0.25), _quantile(xs, 0.5), _quantile(xs, 0.75), xs[-1],
                    len(xs))
