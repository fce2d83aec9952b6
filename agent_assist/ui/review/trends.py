"""The Trends tab: each agent's weekly talk ratio (a median line in a band of the middle half of the calls,
against the target line), flags per call, and the calls most worth coaching. Data is read on the db lane; charts are QtCharts.

Why this file is over 400 lines: the Trends view and its two charts share one period model.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCharts import (
    QAreaSeries,
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QCategoryAxis,
    QChart,
    QChartView,
    QLineSeries,
    QValueAxis,
)
from PySide6.QtCore import QMargins, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QFileDialog,
    QGraphicsScene,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from agent_assist.coach.summary import BoxStats, box_stats
from agent_assist.store import review as rv
from agent_assist.store.outcomes import local_time
from agent_assist.ui.common import messages
from agent_assist.ui.common.services import Services
from agent_assist.ui.review.report_pdf import write_agent_report
from agent_assist.ui.review.table_model import source_call
from agent_assist.workflows.review_source import ReviewSource, SqliteReviewSource

SERIES_COLORS = ["#2258c4", "#1d7a46", "#9a5b00", "#7a3fb0", "#0f7c8c", "#b0417a", "#5f6b7a", "#8c6d1f"]
PERIODS = (("Last 4 weeks", 4), ("Last 8 weeks", 8), ("Last 12 weeks", 12), ("All time", 0))


def _week_label(monday: str) -> str:
    d = date.fromisoformat(monday)
    return d.strftime("%d %b")


def nice_step(top: float, ticks: int = 6) -> float:
    """A round tick interval (1, 2, 2.5 or 5 times a power of ten) giving about ``ticks`` intervals."""
    raw = max(top, 1e-9) / ticks
    mag = 10 ** math.floor(math.log10(raw))
    return float(next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw))


def _weeks_of(trends: list[rv.AgentTrend], weeks: list[str] | None) -> list[str]:
    # every week of the period, those without calls too: "Last 8 weeks" shows 8
    return weeks if weeks else sorted({w.week for t in trends for w in t.weeks})


def talk_chart(trends: list[rv.AgentTrend], target: float, weeks: list[str] | None = None) -> QChart:
    """Per agent a weekly line (the median talk ratio, %) in a band (the middle half of the calls),
    against the dashed target line. A week without calls breaks the line."""
    chart = QChart()
    chart.setTitle("Weekly talk ratio per agent: line = median call, band = middle half of the calls")
    chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
    chart.setMargins(QMargins(4, 4, 4, 4))
    weeks = _weeks_of(trends, weeks)
    n = max(1, len(weeks))
    axis_x = QCategoryAxis()
    axis_x.setRange(-0.5, n - 0.5)
    axis_x.setLabelsPosition(QCategoryAxis.AxisLabelsPosition.AxisLabelsPositionCenter)
    for i, w in enumerate(weeks or ["—"]):
        axis_x.append(_week_label(w) if weeks else w, i + 0.5)
    axis_x.setGridLineVisible(False)
    top = 0.0
    for t in trends:
        for wk in t.weeks:
            st = box_stats(wk.ratios)
            if st is not None:
                top = max(top, st.q3 * 100)
    top = max(top, target * 100) + 10
    axis_y = QValueAxis()
    axis_y.setRange(0, min(100.0, math.ceil(top / 10) * 10))
    axis_y.setTickType(QValueAxis.TickType.TicksDynamic)
    axis_y.setTickAnchor(0)
    axis_y.setTickInterval(10)  # 0%, 10%, 20%, ...
    axis_y.setLabelFormat("%d%%")
    axis_y.setTitleText("agent talk ratio")
    chart.addAxis(axis_x, Qt.AlignmentFlag.AlignBottom)
    chart.addAxis(axis_y, Qt.AlignmentFlag.AlignLeft)
    index = {w: i for i, w in enumerate(weeks)}
    for i, t in enumerate(trends):
        color = QColor(SERIES_COLORS[i % len(SERIES_COLORS)])
        fill = QColor(color)
        fill.setAlpha(55)
        runs: list[list[tuple[int, BoxStats]]] = []
        last = -2
        for ws in sorted(t.weeks, key=lambda x: x.week):
            st = box_stats(ws.ratios)
            if st is None or ws.week not in index:
                continue
            x = index[ws.week]
            if x != last + 1:
                runs.append([])
            runs[-1].append((x, st))
            last = x
        for k, run in enumerate(runs):
            upper, lower, median = QLineSeries(), QLineSeries(), QLineSeries()
            for x, st in run:
                # a single week gets a short band so it is visible, not a zero-width sliver
                for dx in ((-0.12, 0.12) if len(run) == 1 else (0.0,)):
                    upper.append(x + dx, st.q3 * 100)
                    lower.append(x + dx, st.q1 * 100)
                median.append(x, st.median * 100)
            band = QAreaSeries(upper, lower)
            upper.setParent(band)
            lower.setParent(band)
            band.setBrush(QBrush(fill))
            band.setPen(QPen(Qt.PenStyle.NoPen))
            band.setName(f"{t.agent} (middle half)")
            median.setName(t.agent if k == 0 else "")
            median.setPen(QPen(color, 2.2))
            median.setPointsVisible(True)
            for ser in (band, median):
                chart.addSeries(ser)
                ser.attachAxis(axis_x)
                ser.attachAxis(axis_y)
    line = QLineSeries()
    line.setName(f"target {target * 100:.0f}%")
    line.setPen(QPen(QColor("#b42318"), 2, Qt.PenStyle.DashLine))
    line.append(-0.5, target * 100)
    line.append(n - 0.5, target * 100)
    chart.addSeries(line)
    line.attachAxis(axis_x)
    line.attachAxis(axis_y)
    legend = chart.legend()
    legend.setAlignment(Qt.AlignmentFlag.AlignBottom)
    for marker in legend.markers():
        s = marker.series()
        marker.setVisible(bool(s.name()) and not isinstance(s, QAreaSeries))
    return chart


def flags_chart(trends: list[rv.AgentTrend], weeks: list[str] | None = None) -> QChart:
    """Phrasing flags per call, per agent and week."""
    chart = QChart()
    chart.setTitle("Phrasing flags per call")
    chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
    chart.setMargins(QMargins(4, 4, 4, 4))
    weeks = _weeks_of(trends, weeks)
    series = QBarSeries()
    top = 0.0
    for i, t in enumerate(trends):
        bs = QBarSet(t.agent)
        bs.setColor(QColor(SERIES_COLORS[i % len(SERIES_COLORS)]))
        bs.setBorderColor(QColor(SERIES_COLORS[i % len(SERIES_COLORS)]))
        by_week = {w.week: w for w in t.weeks}
        for w in weeks:
            v = by_week[w].flags_per_call if w in by_week else 0.0
            top = max(top, v)
            bs.append(v)
        series.append(bs)
    chart.addSeries(series)
    axis_x = QBarCategoryAxis()
    axis_x.append([_week_label(w) for w in weeks] or ["—"])
    axis_y = QValueAxis()
    step = nice_step(max(top, 1.0), 5)
    axis_y.setRange(0, math.ceil(max(top, 1.0) / step) * step)
    axis_y.setTickType(QValueAxis.TickType.TicksDynamic)
    axis_y.setTickAnchor(0)
    axis_y.setTickInterval(step)
    axis_y.setLabelFormat("%.1f" if step < 1 else "%d")
    chart.addAxis(axis_x, Qt.AlignmentFlag.AlignBottom)
    chart.addAxis(axis_y, Qt.AlignmentFlag.AlignLeft)
    series.attachAxis(axis_x)
    series.attachAxis(axis_y)
    chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
    return chart


def chart_image(chart: QChart, width: int = 1800, height: int = 800) -> QImage:
    """Render a chart into an image (for the PDF report) without showing it, at twice its layout size."""
    scene = QGraphicsScene()
    scene.addItem(chart)
    chart.resize(width / 2, height / 2)
    QApplication.sendPostedEvents()  # lets the chart lay out its axes and series
    QApplication.processEvents()
    img = QImage(width, height, QImage.Format.Format_ARGB32)
    img.fill(QColor("white"))
    p = QPainter(img)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    scene.render(p, QRectF(0, 0, width, height), QRectF(0, 0, width / 2, height / 2))
    p.end()
    scene.removeItem(chart)
    chart.deleteLater()
    return img


class TrendsView(QWidget):
    open_call = Signal(object)  # call id (a uuid string in team mode)
    loaded = Signal()
    pdf_written = Signal(str)

    COLUMNS = ("Score", "Agent", "Customer", "Start", "Talk ratio", "Flags", "Why")

    def __init__(self, services: Services, parent: QWidget | None = None,
                 source: ReviewSource | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self.source: ReviewSource = source or SqliteReviewSource()
        s = services.settings
        self._profile = s.profile
        self.trends: list[rv.AgentTrend] = []
        self.moments: list[rv.CoachingMoment] = []
        self._period: tuple[str | None, str | None] = (None, None)
        self.weeks: list[str] = []  # the Mondays of the period shown, weeks without calls included

        self.period_combo = QComboBox()
        for label, weeks in PERIODS:
            self.period_combo.addItem(label, weeks)
        self.period_combo.setCurrentIndex(1)
        self.agent_combo = QComboBox()
        self.agent_combo.addItem("All agents", None)
        self.pdf_button = QPushButton("PDF of agent's period…")
        self.pdf_button.setToolTip("Pick one agent first")
        self.pdf_button.setEnabled(False)
        self.status = QLabel("")
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Period"))
        bar.addWidget(self.period_combo)
        bar.addWidget(self.agent_combo)
        bar.addWidget(self.status, 1)
        bar.addWidget(self.pdf_button)

        self.talk_view = QChartView(QChart())
        self.talk_view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.flags_view = QChartView(QChart())
        self.flags_view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels(list(self.COLUMNS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setAlternatingRowColors(True)
        coach_box = QWidget()
        cl = QVBoxLayout(coach_box)
        cl.setContentsMargins(0, 0, 0, 0)
        title = QLabel("<b>Calls most worth coaching</b> — one point per percentage point above the "
                       "talk target, five per phrasing flag. Double-click to open.")
        cl.addWidget(title)
        cl.addWidget(self.table)

        charts = QSplitter(Qt.Orientation.Horizontal)
        charts.addWidget(self.talk_view)
        charts.addWidget(self.flags_view)
        charts.setStretchFactor(0, 3)
        charts.setStretchFactor(1, 2)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(charts)
        split.addWidget(coach_box)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 8, 8, 8)
        lay.addLayout(bar)
        lay.addWidget(split, 1)

        if self._profile == "agent":
            self.agent_combo.setEnabled(False)
        self.period_combo.currentIndexChanged.connect(lambda _i: self.reload())
        self.agent_combo.currentIndexChanged.connect(lambda _i: self.reload())
        self.table.cellDoubleClicked.connect(self._activated)
        self.pdf_button.clicked.connect(self._ask_pdf)
        for signal in (services.events.call_changed, services.events.database_replaced):
            signal.connect(lambda _e: self.reload())
        self._load_agents()

    def _load_agents(self) -> None:
        def done(agents: list[tuple[int, str]]) -> None:
            self.agent_combo.blockSignals(True)
            for aid, name in agents:
                self.agent_combo.addItem(name, aid)
            if self._profile == "agent":
                i = self.agent_combo.findData(self._services.settings.agent_id)
                self.agent_combo.setCurrentIndex(max(0, i))
            self.agent_combo.blockSignals(False)
            self.reload()

        source_call(self._services, self.source, self.source.agents, done)

    def _agent(self) -> Any:
        if self._profile == "agent" and self.source.lane == "db":
            return self._services.settings.agent_id
        data = self.agent_combo.currentData()
        return None if data is None else data if isinstance(data, str) else int(data)

    def reload(self) -> None:
        weeks = self.period_combo.currentData()
        agent = self._agent()
        kind = "practice" if self._profile == "trainer" else "call"
        target = self._services.settings.talk_target

        src = self.source

        def load(db: Any) -> tuple[tuple[str | None, str | None], list[str], list[rv.AgentTrend],
                                   list[rv.CoachingMoment]]:
            first, last = src.date_range(db)
            d_from, mondays = rv.period_weeks(last, weeks) if weeks else (None, [])
            if not weeks and first and last:
                mondays = rv.week_mondays(first, last)
            flt = rv.ReviewFilter(agent_id=agent, date_from=d_from, kind=kind, target=target)
            return ((d_from or first, last), mondays, src.weekly_trends(db, d_from, None, agent, kind),
                    src.worth_coaching(db, flt, 25))

        self.status.setText("Loading…")
        source_call(self._services, src, load, self._show)

    def _show(self, result: tuple[tuple[str | None, str | None], list[str], list[rv.AgentTrend],
                                  list[rv.CoachingMoment]]) -> None:
        self._period, self.weeks, self.trends, self.moments = result
        target = self._services.settings.talk_target
        for view, chart in ((self.talk_view, talk_chart(self.trends, target, self.weeks)),
                            (self.flags_view, flags_chart(self.trends, self.weeks))):
            old = view.chart()
            view.setChart(chart)
            old.deleteLater()
        n = sum(w.calls for t in self.trends for w in t.weeks)
        if n == 0:
            self.status.setText("No finished calls in this period yet.")
        else:
            a, b = self._period
            nw = len(self.weeks)
            self.status.setText(f"{n:,} calls in {nw} week{'s' if nw != 1 else ''}, {a} to {b}")
        self.table.setRowCount(len(self.moments))
        for r, m in enumerate(self.moments):
            vals = (f"{m.score:.0f}", m.agent, m.customer or "—", local_time(m.started_at),
                    "—" if m.talk_ratio is None else f"{m.talk_ratio * 100:.0f}%", str(m.flags), m.why)
            for c, v in enumerate(vals):
                item = QTableWidgetItem(v)
                item.setData(Qt.ItemDataRole.UserRole, m.call_id)
                if c == 4 and m.talk_ratio is not None and m.talk_ratio > target:
                    item.setForeground(QColor("#b42318"))
                self.table.setItem(r, c, item)
        self.pdf_button.setEnabled(self._agent() is not None)
        self.loaded.emit()

    def _activated(self, row: int, _col: int) -> None:
        item = self.table.item(row, 0)
        if item is not None:
            cid = item.data(Qt.ItemDataRole.UserRole)
            self.open_call.emit(cid if isinstance(cid, str) else int(cid))

    # -- the agent's period as a PDF ----------------------------------------------------------------------
    def _ask_pdf(self) -> None:
        if self._agent() is None:
            messages.warning("Pick one agent first; the report covers one agent's period.")
            return
        path, _ = QFileDialog.getSaveFileName(self, "Save the agent's report", "agent-report.pdf",
                                              "PDF (*.pdf)")
        if path:
            self.export_pdf(path)

    def export_pdf(self, path: str | Path) -> None:
        agent = self._agent()
        if agent is None:
            messages.warning("Pick one agent first; the report covers one agent's period.")
            return
        d1, d2 = self._period
        kind = "practice" if self._profile == "trainer" else "call"
        trends = [t for t in self.trends if t.agent_id == agent]
        weeks = list(self.weeks)
        moments = [m for m in self.moments]
        target = self._services.settings.talk_target

        def done(calls: list[dict[str, Any]]) -> None:
            name = str(calls[0]["agent"]) if calls else self.agent_combo.currentText()
            charts = {"talk": chart_image(talk_chart(trends, target, weeks)),
                      "flags": chart_image(flags_chart(trends, weeks))}
            try:
                write_agent_report(path, agent=name, period=f"{d1 or '…'} to {d2 or '…'}", calls=calls,
                                   charts=charts, moments=moments[:10], target=target)
            except OSError as e:
                messages.error(str(e))
                return
            messages.info(f"Saved {name}'s report to {path}.")
            self.pdf_written.emit(str(path))

        src = self.source
        source_call(self._services, src, lambda db: src.calls_for_agent(db, agent, d1, d2, kind), done)
