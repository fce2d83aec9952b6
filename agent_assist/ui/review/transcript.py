"""Review's transcript pane: the recognised (redacted) lines of the open call beside its timeline, flags
at their times, a cursor shared with the timeline, and full-text search across the calls in view.

``TranscriptPane`` follows ``ReviewView.summary_shown``; a click on a line moves the timeline's cursor
to the line's start, and a click on the timeline selects the line spoken at that moment. The cursor and
the flag marks are drawn by ``TimelineCursor``, a transparent overlay on the summary's timeline widget,
so the timeline itself is unchanged. Every query runs on the db lane.
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import (
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from agent_assist.coach.summary import FLAG_LABELS
from agent_assist.ui.common import events as ev
from agent_assist.ui.common.services import Services

CURSOR_COLOR = QColor("#d93025")
FLAG_COLOR = QColor("#e07b00")
SEARCH_DEBOUNCE_MS = 250


def _clock(t: float) -> str:
    m, s = divmod(max(0.0, t), 60)
    return f"{int(m):02d}:{int(s):02d}"


class TimelineCursor(QWidget):
    """A transparent overlay on the Review timeline: the cursor line, flag marks, and clicks -> times.

    The x mapping mirrors ``report_pdf.paint_timeline`` (label column, 20 px right margin); the tests
    check it against the painted segments pixel by pixel.
    """

    clicked = Signal(float)  # seconds

    def __init__(self, timeline: QWidget) -> None:
        super().__init__(timeline)
        self._timeline = timeline
        self._end = 1.0
        self.cursor_s: float | None = None
        self._flags: list[float] = []
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        timeline.installEventFilter(self)
        self.setGeometry(timeline.rect())

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self._timeline and event.type() in (QEvent.Type.Resize, QEvent.Type.Show):
            self.setGeometry(self._timeline.rect())
            self.raise_()
        return False

    def set_call(self, end_s: float, flag_times: list[float]) -> None:
        self._end = max(end_s, 1e-6)
        self._flags = list(flag_times)
        self.cursor_s = None
        self.update()

    def set_cursor(self, t: float | None) -> None:
        self.cursor_s = t
        self.update()

    def _lanes(self) -> QRectF:
        rect = QRectF(self.rect()).adjusted(4, 4, -4, -2)  # as TimelineWidget.paintEvent
        axis_h = rect.height() * 0.22
        lane_h = (rect.height() - axis_h) / 2
        font = QFont(self.font())
        font.setPixelSize(max(8, int(min(lane_h * 0.38, axis_h * 0.6))))
        label_w = min(rect.width() * 0.2, QFontMetricsF(font).horizontalAdvance("Customer") + 12.0)
        return QRectF(rect.left() + label_w, rect.top(), rect.width() - label_w - 20, lane_h * 2)

    def x_of(self, t: float) -> float:
        lanes = self._lanes()
        return lanes.left() + lanes.width() * t / self._end

    def time_at(self, x: float) -> float:
        lanes = self._lanes()
        return min(self._end, max(0.0, (x - lanes.left()) / max(lanes.width(), 1.0) * self._end))

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        lanes = self._lanes()
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(FLAG_COLOR)
        for t in self._flags:  # a small triangle above the agent lane at each flag
            x = self.x_of(t)
            p.drawPolygon(QPolygonF([QPointF(x - 4, lanes.top()), QPointF(x + 4, lanes.top()),
                                     QPointF(x, lanes.top() + 7)]))
        if self.cursor_s is not None:
            p.setPen(QPen(CURSOR_COLOR, 2))
            x = self.x_of(self.cursor_s)
            p.drawLine(QPointF(x, lanes.top()), QPointF(x, lanes.bottom()))
        p.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            t = self.time_at(event.position().x())
            self.set_cursor(t)
            self.clicked.emit(t)


class TranscriptPane(QWidget):
    """The open call's transcript with flags, and search across the calls in view."""

    lines_shown = Signal(int)  # call id, once its lines are listed
    search_done = Signal(int)  # number of hits

    def __init__(self, services: Services, review: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self._review = review
        self.call_id = 0
        self.lines: list[Any] = []
        self.hits: list[Any] = []
        self._gen = 0
        self._select_after: float | None = None

        title = QLabel("<b>Transcript</b>")
        self.search = QLineEdit()
        self.search.setObjectName("transcriptSearch")
        self.search.setPlaceholderText("Search what was said in the calls in view…")
        self.search.setClearButtonEnabled(True)
        self.results = QListWidget()
        self.results.setObjectName("transcriptHits")
        self.results.setVisible(False)
        self.note = QLabel("Open a call to see what was said.")
        self.note.setObjectName("transcriptNote")
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #5f6368")
        self.list = QListWidget()
        self.list.setObjectName("transcriptLines")
        self.list.setWordWrap(True)
        self.list.setAlternatingRowColors(True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(title)
        lay.addWidget(self.search)
        lay.addWidget(self.results, 1)
        lay.addWidget(self.note)
        lay.addWidget(self.list, 3)

        self.timeline_cursor = TimelineCursor(review.summary.timeline)
        self.timeline_cursor.clicked.connect(self.select_at)
        self.list.currentRowChanged.connect(self._line_chosen)
        self.results.itemActivated.connect(self._hit_chosen)
        self.results.itemClicked.connect(self._hit_chosen)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DEBOUNCE_MS)
        self._debounce.timeout.connect(self.run_search)
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        review.summary_shown.connect(self.show_call)
        services.events.flags_changed.connect(self._flags_changed)

    # -- the open call ---------------------------------------------------------------------------------
    def _flags_changed(self, event: ev.FlagsChanged) -> None:
        if self.call_id and event.call_id == self.call_id:  # a live call's new lines
            self.show_call(self.call_id)

    def show_call(self, call_id: int) -> None:
        self.call_id = call_id
        self._gen += 1
        gen = self._gen

        def load(db: Any) -> list[Any]:
            from agent_assist.store import transcripts

            return transcripts.lines(db, call_id)

        self._services.db_call(load, lambda rows: self._show(gen, call_id, rows))

    def _show(self, gen: int, call_id: int, rows: list[Any]) -> None:
        if gen != self._gen:
            return
        self.lines = rows
        self.list.blockSignals(True)
        self.list.clear()
        for ln in rows:
            who = "Agent" if ln.party == "agent" else "Customer"
            item = QListWidgetItem(f"{_clock(ln.start_s)}  {who}: {ln.text}")
            if ln.flags:
                names = ", ".join(FLAG_LABELS.get(f["category"], f["category"]) for f in ln.flags)
                item.setText(item.text() + f"\n      ⚑ {names}")
                item.setForeground(QColor("#9a4d00"))
                item.setToolTip("<br>".join(
                    f"<b>{html.escape(FLAG_LABELS.get(f['category'], f['category']))}</b>: "
                    f"{html.escape(f.get('reason') or '')}<br><i>Try:</i> {html.escape(f.get('suggestion') or '')}"
                    for f in ln.flags))
            self.list.addItem(item)
        self.list.blockSignals(False)
        s = getattr(self._review.summary, "summary", None)
        segs = getattr(self._review.summary, "segments", [])
        # the timeline's own scale (paint_timeline): the call's length or its last segment
        end = max([getattr(s, "duration_s", 0.0) or 0.0, *(e for _p, _s, e in segs)]) or 1.0
        self.timeline_cursor.set_call(end, [ln.start_s for ln in rows if ln.flags])
        self.note.setText("" if rows else "No transcript for this call (speech recognition was off, "
                          "the call was typed, or its transcript passed the retention period).")
        self.note.setVisible(not rows)
        if self._select_after is not None:
            self.select_at(self._select_after)
            self._select_after = None
        self.lines_shown.emit(call_id)

    # -- cursor <-> line -------------------------------------------------------------------------------
    def _line_chosen(self, row: int) -> None:
        if 0 <= row < len(self.lines):
            self.timeline_cursor.set_cursor(self.lines[row].start_s)

    def select_at(self, t: float) -> None:
        """Select the line being spoken at ``t`` (or the nearest one before it); moves the cursor."""
        if not self.lines:
            return
        row = 0
        for i, ln in enumerate(self.lines):
            if ln.start_s <= t + 1e-6:
                row = i
            if ln.start_s <= t <= ln.end_s:
                break
        self.list.blockSignals(True)
        self.list.setCurrentRow(row)
        self.list.blockSignals(False)
        self.list.scrollToItem(self.list.item(row))
        self.timeline_cursor.set_cursor(t)

    # -- search ----------------------------------------------------------------------------------------
    def calls_in_view(self) -> list[int]:
        model = self._review.model
        return [model.call_id(r) for r in range(model.rowCount())]

    def run_search(self) -> None:
        text = self.search.text().strip()
        if not text:
            self.hits = []
            self.results.clear()
            self.results.setVisible(False)
            return
        ids = self.calls_in_view()

        def find(db: Any) -> list[Any]:
            from agent_assist.store import transcripts

            return transcripts.search(db, text, ids)

        self._services.db_call(find, self._found)

    def _found(self, hits: list[Any]) -> None:
        self.hits = hits
        self.results.clear()
        for h in hits:
            who = "Agent" if h.party == "agent" else "Customer"
            item = QListWidgetItem(f"Call #{h.call_id} · {_clock(h.start_s)} · {who}: {h.snippet}")
            self.results.addItem(item)
        if not hits:
            self.results.addItem(QListWidgetItem("Nothing found in the calls in view."))
        self.results.setVisible(True)
        self.search_done.emit(len(hits))

    def _hit_chosen(self, item: QListWidgetItem) -> None:
        row = self.results.row(item)
        if not 0 <= row < len(self.hits):
            return
        h = self.hits[row]
        if h.call_id == self.call_id:
            self.select_at(h.start_s)
        else:
            self._select_after = h.start_s
            self._review.show_call(h.call_id)


# -- documentation screenshot ----------------------------------------------------------------------------
