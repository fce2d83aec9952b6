"""The selected call's detail in Review: its two-lane timeline and its summary."""

from __future__ import annotations

from PySide6.QtCore import (
    QRectF,
    QSize,
    Qt,
)
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QLabel,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from agent_assist.coach.summary import CallSummary
from agent_assist.ui.review.report_pdf import paint_timeline, summary_html
from agent_assist.ui.review.table_model import FAINT


class TimelineWidget(QWidget):
    """Two lanes (agent above, customer below) from stored speech segments."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._segments: list[tuple[str, float, float]] = []
        self._duration: float | None = None
        self.setMinimumHeight(72)

    def set_segments(self, segments: list[tuple[str, float, float]], duration_s: float | None) -> None:
        self._segments, self._duration = list(segments), duration_s
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(600, 84)

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        if self._segments:
            paint_timeline(p, QRectF(self.rect()).adjusted(4, 4, -4, -2), self._segments, self._duration)
        else:
            p.setPen(FAINT)
            p.drawText(self.rect(), int(Qt.AlignmentFlag.AlignCenter), "No speech recorded")
        p.end()


class SummaryPanel(QWidget):
    """A call's summary: timeline, metrics against targets, flagged utterances, wrap-up."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary: CallSummary | None = None
        self.segments: list[tuple[str, float, float]] = []
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
        self.body = QTextBrowser()
        self.body.setOpenLinks(False)
        lay.addWidget(self.title)
        lay.addWidget(self.timeline)
        lay.addWidget(self.legend)
        lay.addWidget(self.body, 1)
        self.timeline.hide()
        self.legend.hide()

    def show_summary(self, s: CallSummary, segments: list[tuple[str, float, float]]) -> None:
        self.summary, self.segments = s, segments
        kind = "Practice attempt" if s.kind == "practice" else "Call"
        self.title.setText(f"{kind} #{s.call_id}: {s.agent} with {s.customer or 'no customer on record'}")
        self.timeline.set_segments(segments, s.duration_s)
        self.timeline.show()
        self.legend.setVisible(bool(segments))
        self.body.setHtml(summary_html(s, heading=False))

    def clear(self, text: str = "Open a call to see its summary.") -> None:
        self.summary = None
        self.title.setText(text)
        self.timeline.hide()
        self.legend.hide()
        self.body.clear()
