"""The call timeline: two lanes (agent above, customer below) with overtalk and silence marked (QtCharts).

``TimelineView`` is the widget (review screen, analysis); ``build_chart`` makes the chart alone and
``render_png`` writes it to a file (the ``analyze --timeline`` command).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCharts import QAreaSeries, QCategoryAxis, QChart, QChartView, QLineSeries, QValueAxis
from PySide6.QtCore import QMargins, QPointF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QImage, QPainter, QPen
from PySide6.QtWidgets import QWidget

from agent_assist.coach.talk import Segment, TalkSettings, analyze, timeline

AGENT_COLOR = QColor("#2f6fb3")
CUSTOMER_COLOR = QColor("#2e9e6b")
OVERTALK_COLOR = QColor(214, 69, 65, 200)
SILENCE_COLOR = QColor(140, 140, 140, 80)

# lanes on the y axis: customer 0.15..0.85, agent 1.15..1.85
LANES = {"agent": (1.15, 1.85), "customer": (0.15, 0.85)}


def _band(intervals: Iterable[tuple[float, float]], lo: float, hi: float, color: QColor,
          name: str) -> QAreaSeries:
    """One area series drawing every interval as a block between ``lo`` and ``hi``."""
    upper, lower = QLineSeries(), QLineSeries()
    pts_u: list[QPointF] = []
    pts_l: list[QPointF] = []
    for s, e in intervals:
        pts_u += [QPointF(s, lo), QPointF(s, hi), QPointF(e, hi), QPointF(e, lo)]
        pts_l += [QPointF(s, lo), QPointF(s, lo), QPointF(e, lo), QPointF(e, lo)]
    if not pts_u:
        pts_u = pts_l = [QPointF(0, lo), QPointF(0, lo)]
    upper.append(pts_u)
    lower.append(pts_l)
    area = QAreaSeries(upper, lower)
    upper.setParent(area)
    lower.setParent(area)
    area.setName(name)
    area.setBrush(QBrush(color))
    area.setPen(QPen(Qt.PenStyle.NoPen))
    return area


def _clock(seconds: float) -> str:
    s = round(seconds)
    return f"{s // 60}:{s % 60:02d}"


def build_chart(segments: Iterable[Segment], duration_s: float | None = None,
                settings: TalkSettings | None = None, title: str | None = None) -> QChart:
    """A two-lane chart of who spoke when, overtalk in red between/over the lanes, silences shaded."""
    segs = list(segments)
    s = settings or TalkSettings()
    tl = timeline(segs, duration_s, s)
    m = analyze(segs, duration_s, s)
    chart = QChart()
    chart.setTheme(QChart.ChartTheme.ChartThemeLight)
    chart.setBackgroundRoundness(0)
    chart.setMargins(QMargins(6, 6, 6, 6))
    ratio = "—" if m.talk_ratio is None else f"{m.talk_ratio:.0%}"
    chart.setTitle(title or f"Agent talk share {ratio} (target ≤ {s.target:.0%}) · overtalk "
                   f"{m.overtalk_s:.1f} s · silence {m.silence_s:.0f} s · longest monologue "
                   f"{m.longest_monologue_s:.0f} s")
    f = QFont()
    f.setPointSize(10)
    f.setBold(True)
    chart.setTitleFont(f)
    series = [
        _band(tl.silence, 0.0, 2.0, SILENCE_COLOR, f"silence > {s.silence_threshold_s:.0f} s"),
        _band(tl.agent, *LANES["agent"], AGENT_COLOR, "agent"),
        _band(tl.customer, *LANES["customer"], CUSTOMER_COLOR, "customer"),
        _band(tl.overtalk, 0.85, 1.15, OVERTALK_COLOR, "overtalk"),
        _band(tl.overtalk, *LANES["agent"], QColor(214, 69, 65, 90), ""),
        _band(tl.overtalk, *LANES["customer"], QColor(214, 69, 65, 90), ""),
    ]
    x = QValueAxis()
    end = max(tl.duration_s, 1.0)
    x.setRange(0, end)
    x.setLabelFormat("%d s" if end < 120 else "%d")
    x.setTitleText("seconds" if end < 120 else f"seconds (call length {_clock(end)})")
    step = next((v for v in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800) if end / v <= 12), 3600)
    x.setTickType(QValueAxis.TickType.TicksDynamic)
    x.setTickAnchor(0)
    x.setTickInterval(step)
    x.setGridLineVisible(False)
    y = QCategoryAxis()
    y.setRange(0, 2)
    y.append("Customer", 1.0)
    y.append("Agent", 2.0)
    y.setLabelsPosition(QCategoryAxis.AxisLabelsPosition.AxisLabelsPositionOnValue)
    y.setLabelsPosition(QCategoryAxis.AxisLabelsPosition.AxisLabelsPositionCenter)
    y.setGridLineVisible(False)
    chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
    chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
    for ser in series:
        chart.addSeries(ser)
        ser.attachAxis(x)
        ser.attachAxis(y)
    legend = chart.legend()
    legend.setAlignment(Qt.AlignmentFlag.AlignBottom)
    for marker, ser in zip(legend.markers(), series, strict=False):
        marker.setVisible(bool(ser.name()))
    return chart


class TimelineView(QChartView):
    """The timeline widget; ``set_call(segments, duration)`` redraws it."""

    def __init__(self, services: object | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumHeight(180)
        self.setToolTip("Who spoke when: agent (blue, top lane), customer (green, bottom lane); "
                        "red = both speaking (overtalk, backchannels excluded); grey = silence above "
                        "the threshold.")
        self.set_call([], 0.0)

    def set_call(self, segments: Iterable[Segment], duration_s: float | None = None,
                 settings: TalkSettings | None = None) -> None:
        old = self.chart()
        self.setChart(build_chart(segments, duration_s, settings))
        if old is not None:
            old.deleteLater()


def render_png(segments: Iterable[Segment], duration_s: float | None, path: str | Path,
               size: QSize | None = None, settings: TalkSettings | None = None) -> Path:
    """Render the timeline chart to a PNG (needs a QGuiApplication; works on the offscreen platform)."""
    size = size or QSize(1200, 320)
    chart = build_chart(segments, duration_s, settings)
    chart.resize(size.width(), size.height())
    image = QImage(size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.white)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    from PySide6.QtWidgets import QGraphicsScene

    scene = QGraphicsScene()
    scene.addItem(chart)
    scene.setSceneRect(0, 0, size.width(), size.height())
    scene.render(painter)
    painter.end()
    out = Path(path)
    if not image.save(str(out), "PNG"):  # type: ignore[call-overload]  # the stub says bytes; PySide wants str
        raise OSError(f"could not write {out}")
    return out
