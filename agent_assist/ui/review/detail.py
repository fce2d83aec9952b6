"""The selected call's detail in Review: its two-lane timeline and its summary."""

from __future__ import annotations

from PySide6.QtCore import (
    QPoint,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from agent_assist.coach.summary import CallSummary
from agent_assist.store import review as rv
from agent_assist.ui.common import messages
from agent_assist.ui.review.report_pdf import (
    Mark,
    paint_timeline,
    summary_html,
    timeline_marks,
)
from agent_assist.ui.review.table_model import FAINT


class TimelineWidget(QWidget):
    """Two lanes (agent above, customer below) from stored speech segments, flags and bookmarks marked.
    A click picks that moment of the call (``moment_picked``), for a bookmark."""

    moment_picked = Signal(float)  # seconds from the start of the call

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._segments: list[tuple[str, float, float]] = []
        self._duration: float | None = None
        self.marks: list[Mark] = []
        self.setMinimumHeight(84)
        self.setToolTip("Who spoke when. Orange ▼: a phrasing flag; purple ▼: a bookmark. "
                        "Click a moment to bookmark it.")

    def set_segments(self, segments: list[tuple[str, float, float]], duration_s: float | None,
                     marks: list[Mark] | None = None) -> None:
        self._segments, self._duration = list(segments), duration_s
        self.marks = list(marks or [])
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(600, 96)

    def _end(self) -> float:
        return max([self._duration or 0.0, *(e for _p, _s, e in self._segments),
                    *(t for t, _k in self.marks)]) or 1.0

    def time_at(self, pos: QPoint) -> float:
        """The moment of the call under a point (the lanes span the width minus the labels)."""
        r = QRectF(self.rect()).adjusted(4, 4, -4, -2)
        label_w = min(r.width() * 0.2, self.fontMetrics().horizontalAdvance("Customer") + 12.0)
        left, width = r.left() + label_w, r.width() - label_w - 20
        frac = min(1.0, max(0.0, (pos.x() - left) / width)) if width > 0 else 0.0
        return round(frac * self._end(), 1)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if self._segments and event.button() == Qt.MouseButton.LeftButton:
            self.moment_picked.emit(self.time_at(event.position().toPoint()))
        super().mousePressEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        if self._segments:
            paint_timeline(p, QRectF(self.rect()).adjusted(4, 4, -4, -2), self._segments, self._duration,
                           marks=self.marks)
        else:
            p.setPen(FAINT)
            p.drawText(self.rect(), int(Qt.AlignmentFlag.AlignCenter), "No speech recorded")
        p.end()


def parse_moment(text: str) -> float | None:
    """``"2:15"``, ``"135"`` or ``"1:02:03"`` as seconds; None for empty; ValueError with one line."""
    t = text.strip()
    if not t:
        return None
    try:
        parts = [float(x) for x in t.split(":")]
    except ValueError:
        parts = []
    if not parts or len(parts) > 3 or any(x < 0 for x in parts):
        raise ValueError(f"The moment {t!r} is not a time in the call; write it as m:ss (e.g. 2:15).")
    secs = 0.0
    for x in parts:
        secs = secs * 60 + x
    return secs


class SummaryPanel(QWidget):
    """A call's summary: timeline, metrics against targets, flagged utterances, coaching comments, wrap-up.

    Supervisors and trainers leave comments (or, with a moment, bookmarks) here: ``comment_requested``
    carries the text and the moment; the view stores it and shows the call again.
    """

    comment_requested = Signal(int, str, object)  # call id, text, seconds or None

    def __init__(self, parent: QWidget | None = None, can_comment: bool = True) -> None:
        super().__init__(parent)
        self.summary: CallSummary | None = None
        self.segments: list[tuple[str, float, float]] = []
        self.comments: list[rv.Comment] = []
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.title = QLabel("Open a call to see its summary.")
        self.title.setObjectName("reviewSummaryTitle")
        f = self.title.font()
        f.setPointSizeF(f.pointSizeF() * 1.25)
        f.setBold(True)
        self.title.setFont(f)
        self.title.setWordWrap(True)
        self.timeline = TimelineWidget()
        self.legend = QLabel("<span style='color:#2258c4'>■</span> agent &nbsp; "
                             "<span style='color:#1d7a46'>■</span> customer &nbsp; "
                             "<span style='color:#b42318'>■</span> overtalk &nbsp; "
                             "<span style='color:#b8bfc9'>■</span> silence over 3 s")
        self.legend.setText(self.legend.text() + " &nbsp; <span style='color:#e04f16'>▼</span> phrasing "
                            "flag &nbsp; <span style='color:#7a3fb0'>▼</span> bookmark")
        self.body = QTextBrowser()
        self.body.setOpenLinks(False)
        self.comment_edit = QLineEdit()
        self.comment_edit.setObjectName("coachingComment")
        self.comment_edit.setPlaceholderText("Coaching comment for the agent…")
        self.at_edit = QLineEdit()
        self.at_edit.setPlaceholderText("at m:ss")
        self.at_edit.setToolTip("A moment of the call makes the comment a bookmark; click the timeline "
                                "to pick one. Empty: a comment on the whole call.")
        self.at_edit.setMaximumWidth(90)
        self.comment_button = QPushButton("Add comment")
        self.comment_row = QWidget()
        row = QHBoxLayout(self.comment_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.comment_edit, 1)
        row.addWidget(self.at_edit)
        row.addWidget(self.comment_button)
        lay.addWidget(self.title)
        lay.addWidget(self.timeline)
        lay.addWidget(self.legend)
        lay.addWidget(self.body, 1)
        lay.addWidget(self.comment_row)
        self._can_comment = can_comment
        self.timeline.hide()
        self.legend.hide()
        self.comment_row.hide()
        self.timeline.moment_picked.connect(self._moment_picked)
        self.comment_edit.returnPressed.connect(self._submit)
        self.comment_button.clicked.connect(self._submit)
        self.at_edit.textChanged.connect(lambda t: self.comment_button.setText(
            "Add bookmark" if t.strip() else "Add comment"))

    def show_summary(self, s: CallSummary, segments: list[tuple[str, float, float]],
                     comments: list[rv.Comment] | None = None) -> None:
        self.summary, self.segments, self.comments = s, segments, list(comments or [])
        kind = "Practice attempt" if s.kind == "practice" else "Call"
        self.title.setText(f"{kind} #{s.call_id}: {s.agent} with {s.customer or 'no customer on record'}")
        self.timeline.set_segments(segments, s.duration_s, timeline_marks(s, self.comments))
        self.timeline.show()
        self.legend.setVisible(bool(segments))
        self.body.setHtml(summary_html(s, heading=False, comments=self.comments))
        self.comment_row.setVisible(self._can_comment)

    def clear(self, text: str = "Open a call to see its summary.") -> None:
        self.summary = None
        self.comments = []
        self.title.setText(text)
        self.timeline.hide()
        self.legend.hide()
        self.comment_row.hide()
        self.body.clear()

    def _moment_picked(self, t: float) -> None:
        total = round(t)
        self.at_edit.setText(f"{total // 60}:{total % 60:02d}")
        self.comment_edit.setFocus()

    def _submit(self) -> None:
        if self.summary is None:
            return
        try:
            at = parse_moment(self.at_edit.text())
        except ValueError as e:
            messages.warning(str(e))
            return
        text = self.comment_edit.text().strip()
        if not text and at is None:
            messages.warning("Write a comment first (or give a moment of the call to bookmark it).")
            return
        self.comment_requested.emit(self.summary.call_id, text, at)
