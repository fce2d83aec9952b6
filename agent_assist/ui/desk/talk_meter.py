"""The talk meter: the agent's share of the talking against the target, big enough to read at a glance.

Whole call and the last two minutes, overtalk, silence, longest monologue and interruptions, each with
its definition on hover, and one gentle cue line (each kind of cue at most once a minute). Colour:
green at or under the target, amber up to 10 points over, red beyond.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from agent_assist.audio.live import LOST_WARN_S
from agent_assist.coach.talk import Cue, TalkMetrics, TalkSettings, definitions
from agent_assist.ui.common.services import Services
from agent_assist.ui.desk.live_listening import LiveListening, talk_settings

GREEN = QColor("#2e9e6b")
AMBER = QColor("#d99a1e")
RED = QColor("#d64541")
GREY = QColor("#9aa0a6")
AMBER_BAND = 0.10  # points over the target that are still "amber"
CUE_SHOW_MS = 20_000


def share_colour(share: float | None, target: float) -> QColor:
    if share is None:
        return GREY
    if share <= target + 1e-9:
        return GREEN
    return AMBER if share <= target + AMBER_BAND else RED


def _clock(seconds: float) -> str:
    s = round(seconds)
    return f"{s} s" if s < 60 else f"{s // 60}:{s % 60:02d} min"


class Gauge(QWidget):
    """A horizontal bar: the share filled in its colour, the target as a marked line."""

    def __init__(self, target: float, height: int = 22, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._target = target
        self._share: float | None = None
        self._height = height
        self.setMinimumHeight(height + 16)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        return QSize(260, self._height + 16)

    def set_share(self, share: float | None, target: float | None = None) -> None:
        self._share = share
        if target is not None:
            self._target = target
        self.update()

    @property
    def share(self) -> float | None:
        return self._share

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        w = self.width() - 2
        bar = QRectF(1, 1, w, self._height)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor("#e8eaed"))
        p.drawRoundedRect(bar, 5, 5)
        if self._share is not None:
            p.setBrush(share_colour(self._share, self._target))
            p.drawRoundedRect(QRectF(1, 1, max(w * self._share, 6), self._height), 5, 5)
        x = 1 + w * self._target
        p.setPen(QPen(QColor("#202124"), 2))
        p.drawLine(int(x), 0, int(x), self._height + 2)
        f = QFont(self.font())
        f.setPointSizeF(max(7.0, f.pointSizeF() - 1))
        p.setFont(f)
        p.setPen(QColor("#5f6368"))
        p.drawText(QRectF(x - 40, self._height + 2, 80, 14), Qt.AlignmentFlag.AlignCenter,
                   f"target {self._target:.0%}")
        p.end()


class TalkMeter(QFrame):
    """The live talk meter of the desk. ``listening`` is its controller (``current_metrics()``)."""

    def __init__(self, services: Services, listening: LiveListening | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.setObjectName("talkMeter")
        self.setStyleSheet("#talkMeter { background: #ffffff; border: 1px solid #dadce0; "
                           "border-radius: 8px; }")
        self._settings: TalkSettings = talk_settings(services)
        self.listening = listening or LiveListening(services, parent=self)
        d = definitions(self._settings)

        title = QLabel("Talk meter")
        tf = title.font()
        tf.setBold(True)
        tf.setPointSizeF(tf.pointSizeF() + 1)
        title.setFont(tf)
        self._state = QLabel("Not listening")
        self._state.setObjectName("talkState")
        self._state.setStyleSheet("color: #5f6368")
        self._audio_button = QPushButton("Audio…")
        self._audio_button.setToolTip("Choose the agent's and the customer's audio inputs")
        self._audio_button.clicked.connect(self._open_audio_settings)
        head = QHBoxLayout()
        head.addWidget(title)
        head.addStretch(1)
        head.addWidget(self._state)
        head.addWidget(self._audio_button)

        self._big = QLabel("—")
        self._big.setObjectName("talkShare")
        bf = QFont(self.font())
        bf.setPointSize(40)
        bf.setBold(True)
        self._big.setFont(bf)
        self._big.setMinimumWidth(140)
        self._big.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self._verdict = QLabel("No call yet")
        self._verdict.setWordWrap(True)
        caption = QLabel("of the talking is yours (whole call)")
        caption.setStyleSheet("color: #5f6368")
        side = QVBoxLayout()
        side.addStretch(1)
        side.addWidget(caption)
        side.addWidget(self._verdict)
        side.addStretch(1)
        big_row = QHBoxLayout()
        big_row.addWidget(self._big)
        big_row.addSpacing(10)
        big_row.addLayout(side, 1)

        self.gauge = Gauge(self._settings.target, 22)
        self.window_gauge = Gauge(self._settings.target, 12)
        self._window_label = QLabel(f"Last {self._settings.window_s / 60:.0f} min: —")
        tip = d["talk_ratio"]
        for w in (self._big, self.gauge, caption):
            w.setToolTip(f"Talk ratio (whole call). {tip}")
        for w in (self.window_gauge, self._window_label):
            w.setToolTip(f"Talk ratio over the last {self._settings.window_s / 60:.0f} minutes. {tip}")
        win_row = QHBoxLayout()
        win_row.addWidget(self._window_label)
        win_row.addWidget(self.window_gauge, 1)

        # shown only when a channel's effective SNR is too low for its speech time to be trusted
        self._line_warning = QLabel("")
        self._line_warning.setObjectName("talkLineQuality")
        self._line_warning.setWordWrap(True)
        self._line_warning.setStyleSheet("color: #b06000")
        self._line_warning.setVisible(False)

        grid = QGridLayout()
        grid.setHorizontalSpacing(18)
        self._fig: dict[str, QLabel] = {}
        names = [("overtalk", "Overtalk"), ("silence", "Silence"), ("longest_monologue", "Longest monologue"),
                 ("interruptions", "Interruptions")]
        vf = QFont(self.font())
        vf.setPointSizeF(vf.pointSizeF() + 3)
        vf.setBold(True)
        for col, (key, name) in enumerate(names):
            cap = QLabel(name)
            cap.setStyleSheet("color: #5f6368")
            val = QLabel("—")
            val.setObjectName(f"talk_{key}")
            val.setFont(vf)
            for w in (cap, val):
                w.setToolTip(f"{name}: {d[key]}")
            grid.addWidget(cap, 0, col)
            grid.addWidget(val, 1, col)
            self._fig[key] = val

        self._levels = {p: QProgressBar() for p in ("agent", "customer")}
        lv = QHBoxLayout()
        for p, bar in self._levels.items():
            bar.setRange(0, 100)
            bar.setTextVisible(False)
            bar.setMaximumHeight(6)
            bar.setToolTip(f"{p.capitalize()} input level")
            lab = QLabel(p.capitalize())
            lab.setStyleSheet("color: #5f6368; font-size: 8pt")
            lv.addWidget(lab)
            lv.addWidget(bar, 1)

        self.cue_label = QLabel("")
        self.cue_label.setObjectName("talkCue")
        self.cue_label.setWordWrap(True)
        self.cue_label.setStyleSheet("color: #174ea6; font-style: italic; padding: 4px; "
                                     "background: #e8f0fe; border-radius: 4px")
        self.cue_label.setVisible(False)
        self.cue_label.setToolTip("A gentle hint; each kind appears at most once a minute.")
        self._cue_timer = QTimer(self)
        self._cue_timer.setSingleShot(True)
        self._cue_timer.timeout.connect(lambda: self.cue_label.setVisible(False))

        # the honest empty state: what is missing and the button that fixes it, in place of the figures
        self.empty_state = QWidget()
        self.empty_state.setObjectName("talkEmpty")
        self.empty_label = QLabel("No audio input configured")
        self.empty_label.setObjectName("talkEmptyText")
        self.empty_label.setWordWrap(True)
        self.setup_button = QPushButton("Audio…")
        self.setup_button.setToolTip("Choose the microphone (agent) and the softphone's output (customer)")
        self.setup_button.clicked.connect(self._open_audio_settings)
        el = QHBoxLayout(self.empty_state)
        el.setContentsMargins(0, 0, 0, 0)
        el.addWidget(self.empty_label, 1)
        el.addWidget(self.setup_button)
        self.empty_state.setVisible(False)
        self.body = QWidget()
        body = QVBoxLayout(self.body)
        body.setContentsMargins(0, 0, 0, 0)
        body.addLayout(big_row)
        body.addWidget(self.gauge)
        body.addLayout(win_row)
        body.addLayout(grid)
        body.addLayout(lv)
        self._flowed = False  # once audio has flowed the meter keeps its full place for the session

        lay = QVBoxLayout(self)
        lay.setContentsMargins(10, 8, 10, 8)
        lay.addLayout(head)
        lay.addWidget(self.empty_state)
        lay.addWidget(self.body)
        lay.addWidget(self._line_warning)  # outside the body: a noisy line is said even before speech
        lay.addWidget(self.cue_label)
        lay.addStretch(1)

        if not self._configured():
            # nothing chosen in Audio…: say so from the start and give the room to the phrasing coach
            self.empty_label.setText("No audio input configured — choose the microphone and the softphone's "
                                     "output")
            self._set_collapsed(True)

        self.listening.metrics_changed.connect(self.set_metrics)
        self.listening.cue.connect(self.show_cue)
        self.listening.state_changed.connect(self._show_state)
        self.listening.levels.connect(self._show_levels)

    # -- updates --
    @property
    def collapsed(self) -> bool:
        """True while the meter shows only its empty state (no audio, nothing heard yet)."""
        return self.body.isHidden()

    def _configured(self) -> bool:
        s = self.services.settings
        return bool(s.agent_device or s.customer_device or s.stereo_input)

    def _set_collapsed(self, collapsed: bool) -> None:
        self.body.setVisible(not collapsed)
        self.empty_state.setVisible(collapsed)
        self._audio_button.setVisible(not collapsed)  # one Audio… button on screen, not two
        # collapsed it gives its room to the phrasing coach (a splitter honours a maximum height, not a
        # size policy); expanded it may grow again
        self.setMaximumHeight(self.minimumSizeHint().height() + 8 if collapsed else 16777215)
        self.updateGeometry()

    def set_metrics(self, whole: TalkMetrics, window: TalkMetrics | None = None) -> None:
        target = self._settings.target
        share = whole.talk_ratio
        if share is not None and not self._flowed:
            self._flowed = True
            self._set_collapsed(False)
        colour = share_colour(share, target)
        self._big.setText("—" if share is None else f"{share:.0%}")
        self._big.setStyleSheet(f"color: {colour.name()}")
        if share is None:
            self._verdict.setText("Nobody has spoken yet")
        elif share <= target:
            self._verdict.setText(f"On target (≤ {target:.0%}) — good listening")
        else:
            self._verdict.setText(f"{(share - target) * 100:.0f} points over the {target:.0%} target")
        self.gauge.set_share(share, target)
        wshare = window.talk_ratio if window is not None else None
        self.window_gauge.set_share(wshare, target)
        self._window_label.setText(f"Last {self._settings.window_s / 60:.0f} min: "
                                   + ("—" if wshare is None else f"{wshare:.0%}"))
        self._fig["overtalk"].setText(f"{whole.overtalk_s:.0f} s ({whole.overtalk_pct:.0f}%)")
        self._fig["silence"].setText(_clock(whole.silence_s))
        who = f" ({whole.longest_monologue_party})" if whole.longest_monologue_party else ""
        self._fig["longest_monologue"].setText(_clock(whole.longest_monologue_s) + who)
        self._fig["interruptions"].setText(str(whole.interruptions))
        self._show_line_quality(whole)

    def _show_line_quality(self, whole: TalkMetrics) -> None:
        warnings = [f"{q.party.capitalize()} line too noisy to trust (SNR {q.snr_db:.0f} dB)"
                    for q in whole.quality if q.too_noisy]
        lost = max((q.lost_s for q in whole.quality), default=0.0)
        if lost >= LOST_WARN_S:
            warnings.append(f"{lost:.1f} s of audio lost (the computer was too busy)")
        self._line_warning.setVisible(bool(warnings))
        if warnings:
            self._line_warning.setText("⚠ " + "; ".join(warnings) + " — the ratio may be off")
        self._line_warning.setToolTip("Effective SNR per channel (speech level over the line's noise): "
                                      + ", ".join(f"{q.party} {q.snr_db:.0f} dB" for q in whole.quality
                                                  if q.snr_db is not None))

    def show_cue(self, cue: Cue) -> None:
        self.cue_label.setText(cue.text)
        self.cue_label.setVisible(True)
        self._cue_timer.start(CUE_SHOW_MS)

    def _show_state(self, state: str) -> None:
        # the line stays short (the layout must not grow); the reason is in the tooltip
        text = {"listening": "● Listening", "stopped": "Not listening"}.get(state, "⚠ Not listening")
        self._state.setText(text)
        self._state.setToolTip(state)
        colour = "#d64541" if state == "listening" else "#5f6368"
        self._state.setStyleSheet(f"color: {colour}")
        if self._big.text() == "—":  # no figures yet: say why the meter is empty, not "No call yet"
            self._verdict.setText({"listening": "Listening — nobody has spoken yet",
                                   "stopped": "No call yet"}.get(state, "No audio input — choose one in Audio…"))
        if state == "listening":
            self._flowed = True
            self._set_collapsed(False)
        elif state != "stopped" and not self._flowed:
            # nothing ever flowed: collapse to one line that says what is missing, with the fix
            configured = self._configured()
            reason = state.removeprefix("Not listening: ").strip()
            self.empty_label.setText(
                "No audio input configured — choose the microphone and the softphone's output"
                if not configured else f"Audio input not working: {reason}")
            self.empty_label.setToolTip(reason)
            self._set_collapsed(True)

    def _show_levels(self, agent: float, customer: float) -> None:
        self._levels["agent"].setValue(round(min(agent, 1.0) * 100))
        self._levels["customer"].setValue(round(min(customer, 1.0) * 100))

    def _open_audio_settings(self) -> None:
        from agent_assist.ui.desk.audio_settings import AudioSettingsDialog

        dlg = AudioSettingsDialog(self.services, self)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.open()

    def figures_text(self) -> dict[str, str]:
        """What the meter shows (for tests and accessibility)."""
        out = {k: v.text() for k, v in self._fig.items()}
        out["share"] = self._big.text()
        out["window"] = self._window_label.text()
        out["cue"] = "" if self.cue_label.isHidden() else self.cue_label.text()
        return out
