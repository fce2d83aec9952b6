"""Session summaries as HTML (the Review panel) and as PDF reports (Qt's own PDF writer).

One call's report: header, the two-lane timeline, metrics against targets, each flagged utterance with its
reason and rewrite, wrap-up notes, tasks and issues. One agent's period: totals, the weekly talk-ratio chart,
flags per call, the calls most worth coaching and the table of calls. Charts are rendered into images and
laid out by a ``QTextDocument`` printed on a ``QPdfWriter`` (A4, 300 dpi), which paginates.

Files are written to a temporary name beside the target and renamed, so a failed export never leaves a
half-written report behind.
"""

from __future__ import annotations

import html
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QMarginsF, QPointF, QRectF, QSizeF, Qt, QUrl
from PySide6.QtGui import (
    QColor,
    QFont,
    QImage,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QPen,
    QPolygonF,
    QTextDocument,
)

from agent_assist.coach.flags import CATEGORIES as FLAG_CATEGORIES
from agent_assist.coach.flags import LABELS as FLAG_LABELS
from agent_assist.coach.summary import (
    CallSummary,
    fmt_duration,
    fmt_pct,
)
from agent_assist.store.outcomes import local_time, outcome_label
from agent_assist.store.review import Comment, comment_text

AGENT_COLOR = QColor("#2258c4")
CUSTOMER_COLOR = QColor("#1d7a46")
OVERTALK_COLOR = QColor("#b42318")
SILENCE_COLOR = QColor("#e4e7ec")
STATUS_COLORS = {"ok": "#1d7a46", "over": "#b42318", "info": "#5f6b7a"}
FLAG_MARK_COLOR = QColor("#e04f16")  # a phrasing flag: the moment the flagged utterance started
BOOKMARK_COLOR = QColor("#7a3fb0")  # a supervisor's bookmark
MARK_COLORS = {"flag": FLAG_MARK_COLOR, "bookmark": BOOKMARK_COLOR}
# A4 portrait with 15 mm margins: the text column is 180 mm wide, laid out at 96 px per inch.
PAGE_MARGIN_MM = 15.0
CONTENT_WIDTH_PX = (210.0 - 2 * PAGE_MARGIN_MM) / 25.4 * 96
CONTENT_HEIGHT_PX = (297.0 - 2 * PAGE_MARGIN_MM) / 25.4 * 96
Mark = tuple[float, str]  # (seconds from the start of the call, "flag" | "bookmark")


def timeline_marks(summary: CallSummary, comments: Sequence[Comment] = ()) -> list[Mark]:
    """Where the timeline marks flags (each flagged utterance's start) and bookmarks."""
    marks: list[Mark] = [(u.start_s, "flag") for u in summary.flagged if u.start_s is not None]
    marks += [(c.at_s, "bookmark") for c in comments if c.at_s is not None]
    return marks


# -- the two-lane timeline -------------------------------------------------------------------------------
def _overlaps(a: Sequence[tuple[float, float]], b: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    out = []
    for s1, e1 in a:
        for s2, e2 in b:
            s, e = max(s1, s2), min(e1, e2)
            if e > s:
                out.append((s, e))
    return out


def paint_timeline(p: QPainter, rect: QRectF, segments: Sequence[tuple[str, float, float]],
                   duration_s: float | None, silence_threshold_s: float = 3.0,
                   marks: Sequence[Mark] = ()) -> None:
    """Who spoke when: agent lane above, customer lane below, overtalk in red, long silences shaded;
    flags (orange) and bookmarks (purple) as triangles above the lanes, pointing at their moment."""
    p.save()
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    end = max([duration_s or 0.0, *(e for _p, _s, e in segments), *(t for t, _k in marks)]) or 1.0
    marks_h = rect.height() * 0.16 if marks else 0.0
    rect = QRectF(rect.left(), rect.top() + marks_h, rect.width(), rect.height() - marks_h)
    axis_h = rect.height() * 0.22
    lane_h = (rect.height() - axis_h) / 2
    font = QFont(p.font())
    font.setPixelSize(max(8, int(min(lane_h * 0.38, axis_h * 0.6))))
    p.setFont(font)
    label_w = min(rect.width() * 0.2, p.fontMetrics().horizontalAdvance("Customer") + 12.0)
    lanes = QRectF(rect.left() + label_w, rect.top(), rect.width() - label_w - 20, lane_h * 2)

    def x(t: float) -> float:
        return lanes.left() + lanes.width() * t / end

    p.setPen(QColor("#1d2430"))
    for i, name in enumerate(("Agent", "Customer")):
        p.drawText(QRectF(rect.left(), lanes.top() + i * lane_h, label_w - 6, lane_h),
                   int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), name)
    p.fillRect(lanes, QColor("#f8f9fb"))
    per: dict[str, list[tuple[float, float]]] = {"agent": [], "customer": []}
    for party, s, e in segments:
        per.setdefault(party, []).append((s, e))
    # silences: gaps where nobody speaks longer than the threshold
    spans = sorted(per["agent"] + per["customer"])
    cursor = 0.0
    for s, e in [*spans, (end, end)]:
        if s - cursor > silence_threshold_s:
            p.fillRect(QRectF(x(cursor), lanes.top(), x(s) - x(cursor), lanes.height()), SILENCE_COLOR)
        cursor = max(cursor, e)
    pad = lane_h * 0.18
    for i, (party, color) in enumerate((("agent", AGENT_COLOR), ("customer", CUSTOMER_COLOR))):
        for s, e in per[party]:
            p.fillRect(QRectF(x(s), lanes.top() + i * lane_h + pad, max(1.0, x(e) - x(s)),
                              lane_h - 2 * pad), color)
    for s, e in _overlaps(per["agent"], per["customer"]):
        p.fillRect(QRectF(x(s), lanes.top() + lane_h - pad, max(1.5, x(e) - x(s)), 2 * pad),
                   OVERTALK_COLOR)
    p.setPen(QPen(QColor("#b8bfc9"), 1))
    p.drawRect(lanes)
    half = max(3.0, marks_h * 0.45)
    for t, kind in sorted(marks, key=lambda m: m[1] == "flag"):  # flags drawn last, on top
        cx = x(t)
        tri = QPolygonF([QPointF(cx - half, lanes.top() - marks_h), QPointF(cx + half, lanes.top() - marks_h),
                         QPointF(cx, lanes.top())])
        color = MARK_COLORS.get(kind, FLAG_MARK_COLOR)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(color)
        p.drawPolygon(tri)
        p.setPen(QPen(color, 1, Qt.PenStyle.DotLine))
        p.drawLine(QPointF(cx, lanes.top()), QPointF(cx, lanes.bottom()))
    p.setBrush(Qt.BrushStyle.NoBrush)
    # time axis: about six ticks at round minute / second steps
    step = next((st for st in (5, 10, 15, 30, 60, 120, 300, 600, 900, 1800) if end / st <= 8), 3600)
    p.setPen(QColor("#5f6b7a"))
    t = 0.0
    while t <= end + 1e-9:
        p.drawLine(int(x(t)), int(lanes.bottom()), int(x(t)), int(lanes.bottom() + axis_h * 0.25))
        # centred on its tick, as wide as the text needs (drawText clips to the rectangle), and kept
        # inside the picture: the last label used to lose its first digit
        label = fmt_duration(t)
        tw = p.fontMetrics().horizontalAdvance(label) + 8.0
        left = max(rect.left(), min(x(t) - tw / 2, rect.right() - tw))
        p.drawText(QRectF(left, lanes.bottom() + axis_h * 0.2, tw, axis_h * 0.8),
                   int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop), label)
        t += step
    p.restore()


def timeline_image(segments: Sequence[tuple[str, float, float]], duration_s: float | None,
                   width: int = 1800, height: int = 260, marks: Sequence[Mark] = ()) -> QImage:
    img = QImage(width, height, QImage.Format.Format_ARGB32)
    img.fill(QColor("white"))
    p = QPainter(img)
    paint_timeline(p, QRectF(0, 0, width, height), segments, duration_s, marks=marks)
    p.end()
    return img


# -- HTML ------------------------------------------------------------------------------------------------
CSS = """
body { font-family: 'DejaVu Sans', sans-serif; color: #1d2430; }
h1 { font-size: 16pt; margin: 0 0 4px 0; }
h2 { font-size: 12pt; margin: 14px 0 4px 0; color: #2258c4; }
p.sub { color: #5f6b7a; margin: 0; }
p.notice { background: #fff3dc; color: #9a5b00; padding: 4px; }
table.grid { border-collapse: collapse; }
table.grid td, table.grid th { border: 1px solid #d8dce2; padding: 3px 6px; }
table.grid th { background: #f3f4f6; text-align: left; }
td.num { text-align: right; }
.ok { color: #1d7a46; font-weight: bold; }
.over { color: #b42318; font-weight: bold; }
.info { color: #5f6b7a; }
span.flag { background: #fdecea; color: #b42318; }
p.rewrite { color: #1d7a46; margin: 0 0 0 12px; }
p.reason { color: #5f6b7a; margin: 0 0 0 12px; }
"""

_E = html.escape


def _highlight(text: str, spans: Sequence[tuple[int, int]]) -> str:
    out, pos = [], 0
    for s, e in sorted(spans):
        if s < pos:
            continue
        out.append(_E(text[pos:s]))
        out.append(f"<span class='flag'>{_E(text[s:e])}</span>")
        pos = e
    out.append(_E(text[pos:]))
    return "".join(out)


def summary_html(s: CallSummary, timeline_url: str | None = None, heading: bool = True,
                 comments: Sequence[Comment] = (), image_width: float = CONTENT_WIDTH_PX) -> str:
    """The summary as HTML for a ``QTextBrowser`` or a ``QTextDocument`` (the PDF)."""
    parts = [f"<html><head><style>{CSS}</style></head><body>"]
    who = _E(s.customer or "no customer on record")
    kind = "Practice attempt" if s.kind == "practice" else "Call"
    if heading:
        parts.append(f"<h1>{kind} #{s.call_id}: {_E(s.agent)} with {who}</h1>")
    parts.append(f"<p class='sub'>{_E(local_time(s.started_at, with_zone=True))} · "
                 f"{fmt_duration(s.duration_s)} · outcome: {_E(outcome_label(s.outcome))}</p>")
    for n in s.notices:
        parts.append(f"<p class='notice'>{_E(n)}</p>")
    if timeline_url:
        parts.append("<h2>Who spoke when</h2>")
        parts.append(f"<p><img src='{timeline_url}' width='{int(image_width)}'></p>")
        parts.append("<p class='sub'><span style='color:#2258c4'>■</span> agent &nbsp; "
                     "<span style='color:#1d7a46'>■</span> customer &nbsp; "
                     "<span style='color:#b42318'>■</span> overtalk &nbsp; "
                     "<span style='color:#b8bfc9'>■</span> silence &nbsp; "
                     "<span style='color:#e04f16'>▼</span> phrasing flag &nbsp; "
                     "<span style='color:#7a3fb0'>▼</span> bookmark</p>")
    if s.checks:
        parts.append("<h2>Talk figures against targets</h2><table class='grid' width='100%'>"
                     "<tr><th>Figure</th><th>Value</th><th>Target</th><th></th></tr>")
        for c in s.checks:
            mark = {"ok": "✓ on target", "over": "✗ over target", "info": ""}[c.status]
            parts.append(f"<tr><td title='{_E(c.definition)}'>{_E(c.label)}</td>"
                         f"<td class='num'>{_E(c.value)}</td><td>{_E(c.target)}</td>"
                         f"<td class='{c.status}'>{mark}</td></tr>")
        parts.append("</table>")
    counts = ", ".join(f"{FLAG_LABELS.get(k, k)} {v}" for k, v in s.flag_counts.items() if v)
    parts.append(f"<h2>Phrasing flags ({s.flags_total})</h2>")
    parts.append(f"<p class='sub'>{_E(counts) if counts else 'No phrasing was flagged.'}</p>")
    for u in s.flagged:
        spans = []
        for f in u.flags:
            i = u.text.find(f.span) if f.span else -1
            if i >= 0:
                spans.append((i, i + len(f.span)))
        at = f"[{fmt_duration(u.start_s)}] " if u.start_s is not None else ""
        parts.append(f"<p style='margin-top:6px'><b>{at}</b>“{_highlight(u.text, spans)}”</p>")
        for f in u.flags:
            parts.append(f"<p class='reason'><b>{_E(f.label)}</b>: {_E(f.reason)}</p>")
            if f.suggestion:
                parts.append(f"<p class='rewrite'>Try: “{_E(f.suggestion)}”</p>")
    if comments:
        parts.append(f"<h2>Coaching comments ({len(comments)})</h2>")
        for k in comments:
            parts.append(f"<p><b>{_E(k.author)}</b> <span class='info'>{_E(local_time(k.created_at))}"
                         f"</span>: {_E(comment_text(k))}</p>")
    parts.append("<h2>Wrap-up</h2>")
    parts.append(f"<p><b>Outcome:</b> {_E(outcome_label(s.outcome))}</p>")
    parts.append(f"<p><b>Notes:</b> {_E(s.notes or '—')}</p>")
    if s.issues_opened or s.issues_resolved:
        parts.append("<p><b>Issues opened:</b> " + (_E("; ".join(s.issues_opened)) or "none")
                     + " &nbsp; <b>resolved:</b> " + (_E("; ".join(s.issues_resolved)) or "none")
                     + "</p>")
    if s.tasks:
        parts.append("<p><b>Tasks</b></p><ul>")
        for t in s.tasks:
            state = "done" if t.get("done") else "<span class='over'>open</span>"
            due = f" (due {_E(str(t['due_at'])[:10])})" if t.get("due_at") else ""
            parts.append(f"<li>{_E(str(t.get('text') or ''))}{due} — {state}</li>")
        parts.append("</ul>")
    else:
        parts.append("<p><b>Tasks:</b> none</p>")
    parts.append("</body></html>")
    return "".join(parts)


# -- writing PDFs ----------------------------------------------------------------------------------------
def _writer(path: str, title: str) -> QPdfWriter:
    w = QPdfWriter(path)
    w.setResolution(300)
    w.setTitle(title)
    w.setCreator("Agent Assist")
    m = PAGE_MARGIN_MM
    w.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait,
                                QMarginsF(m, m, m, m), QPageLayout.Unit.Millimeter))
    return w


def _print(doc: QTextDocument, target: Path, title: str) -> Path:
    """Print ``doc`` to ``target`` atomically (temp file + rename). Raises OSError with a clear line."""
    target = Path(target)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise OSError(f"Cannot write {target}: the folder {folder} does not exist.")
    try:
        fd, tmp = tempfile.mkstemp(prefix=".report-", suffix=".pdf", dir=folder)
    except OSError as e:
        raise OSError(f"Cannot write {target}: {e.strerror or e}.") from None
    os.close(fd)
    try:
        writer = _writer(tmp, title)
        doc.print_(writer)
        del writer  # flushes and closes the file
        if os.path.getsize(tmp) == 0:
            raise OSError(f"Cannot write {target}: the PDF writer produced nothing.")
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return target


def _doc(html_text: str, images: dict[str, QImage]) -> QTextDocument:
    doc = QTextDocument()
    doc.setDefaultStyleSheet(CSS)
    for name, img in images.items():
        doc.addResource(QTextDocument.ResourceType.ImageResource, QUrl(name), img)
    f = QFont("DejaVu Sans")
    f.setPointSize(9)
    doc.setDefaultFont(f)
    # Paginated at the page's text column: QTextDocument.print_ then draws each page onto the printable
    # area as it is. Without a page size it added its own 2 cm margins inside the printer's and the
    # report used two thirds of the page width.
    doc.setPageSize(QSizeF(CONTENT_WIDTH_PX, CONTENT_HEIGHT_PX))
    doc.setDocumentMargin(0)
    doc.setHtml(html_text)
    return doc


def write_call_report(path: Path | str, summary: CallSummary,
                      segments: Sequence[tuple[str, float, float]],
                      comments: Sequence[Comment] = ()) -> Path:
    """One call's summary as a PDF."""
    images = {}
    url = None
    if segments:
        url = "timeline.png"
        images[url] = timeline_image(segments, summary.duration_s, height=300,
                                     marks=timeline_marks(summary, comments))
    doc = _doc(summary_html(summary, url, comments=comments), images)
    return _print(doc, Path(path), f"Call {summary.call_id} summary")


def write_agent_report(
    path: Path | str,
    *,
    agent: str,
    period: str,
    calls: Sequence[dict[str, Any]],
    charts: dict[str, QImage],
    moments: Sequence[Any] = (),
    target: float = 0.30,
) -> Path:
    """One agent's period: totals, charts (``{"talk": img, "flags": img}``), coaching moments, calls."""
    ratios = sorted(c["talk_ratio"] for c in calls if c.get("talk_ratio") is not None)
    n = len(calls)
    above = sum(1 for r in ratios if r > target)
    flags = sum(int(c.get("flags_count") or 0) for c in calls)
    median = ratios[len(ratios) // 2] if ratios else None
    parts = [f"<html><head><style>{CSS}</style></head><body>",
             f"<h1>{_E(agent)}: review of {_E(period)}</h1>",
             f"<p class='sub'>{n} finished call{'s' if n != 1 else ''} · median talk ratio "
             f"{fmt_pct(median)} (target ≤ {fmt_pct(target)}) · {above} above target · "
             f"{flags / n if n else 0:.1f} phrasing flags per call</p>"]
    if not calls:
        parts.append("<p class='notice'>No finished calls in this period.</p>")
    for key, title in (("talk", "Weekly talk ratio (distribution, target line)"),
                       ("flags", "Phrasing flags per call, by week")):
        if key in charts:
            parts.append(f"<h2>{title}</h2><p><img src='{key}.png' width='{int(CONTENT_WIDTH_PX)}'></p>")
    if moments:
        parts.append("<h2>Calls most worth coaching</h2><table class='grid' width='100%'>"
                     "<tr><th>Call</th><th>Start</th><th>Customer</th><th>Why</th></tr>")
        for m in moments:
            parts.append(f"<tr><td>#{m.call_id}</td><td>{_E(local_time(m.started_at))}</td>"
                         f"<td>{_E(m.customer or '—')}</td><td>{_E(m.why)}</td></tr>")
        parts.append("</table>")
    if calls:
        parts.append("<h2>Calls</h2><table class='grid' width='100%'><tr><th>Start</th>"
                     "<th>Customer</th><th>Duration</th><th>Talk ratio</th><th>Flags</th>"
                     "<th>Outcome</th></tr>")
        for c in calls:
            r = c.get("talk_ratio")
            cls = "over" if r is not None and r > target else "ok"
            parts.append(
                f"<tr><td>{_E(local_time(c['started_at']))}</td>"
                f"<td>{_E(c.get('customer') or '—')}</td><td class='num'>{fmt_duration(c.get('duration_s'))}</td>"
                f"<td class='num {cls}'>{fmt_pct(r)}</td><td class='num'>{c.get('flags_count') or 0}</td>"
                f"<td>{_E(outcome_label(c.get('outcome')))}</td></tr>")
        parts.append("</table>")
        cats = {cat: sum(int(c.get(f"flags_{cat}") or 0) for c in calls) for cat in FLAG_CATEGORIES}
        if any(cats.values()):
            parts.append("<p class='sub'>Flags by category: " + _E(", ".join(
                f"{FLAG_LABELS[k]} {v}" for k, v in cats.items() if v)) + "</p>")
    parts.append("</body></html>")
    doc = _doc("".join(parts), {f"{k}.png": v for k, v in charts.items()})
    return _print(doc, Path(path), f"{agent}: {period}")
