"""The Practice tab: a trainer picks a scenario and a trainee; the app plays the customer.

Layout::

    scenario ▾  trainee ▾  voice ▾  [x] speak the customer   [Start] [End]
    +-------------------------------------+-------------------------------+
    | the scenario and its goals          | talk meter (vs 30%)           |
    | conversation (customer / trainee)   | goals ✓ / ✗                   |
    | [reply............] [Mic] [Send]    | phrasing flags with rewrites  |
    |                                     | score card (at the end)       |
    +-------------------------------------+-------------------------------+
    | attempts of this trainee (or everyone): date, scenario, score, talk ratio, goals, flags     |
    +---------------------------------------------------------------------------------------------+

Threads: the practice session (intents, spaCy phrasing checks) runs on the ``nlp`` lane, text-to-speech on
the ``tts`` lane (pyttsx3's loop blocks and its engine stays on one thread), the microphone's VAD on the
``audio`` lane and saving on the ``db`` lane. The GUI thread only shows results and plays the WAV files
through QtMultimedia.

Why this file is over 400 lines: one view that drives a whole practice attempt (scenario, TTS lane,
microphone, replies, goals, countdown, score card); its table, microphone, score card and screenshots
already live beside it.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTemporaryDir,
    QUrl,
    Signal,
)
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from agent_assist.audio.live import LOST_WARN_S
from agent_assist.coach.scenario import (
    CustomerTurn,
    FlagItem,
    GoalResult,
    PracticeSession,
    Scenario,
    ScoreCard,
)
from agent_assist.coach.talk import AGENT, TalkMetrics, TalkSettings
from agent_assist.ui.common import events as ev
from agent_assist.ui.common import messages
from agent_assist.ui.common.services import Services
from agent_assist.ui.practice.attempts import AttemptsModel
from agent_assist.ui.practice.mic import MicCapture
from agent_assist.ui.practice.scorecard import MOOD_COLOURS, card_html
from agent_assist.voice import SpeechEngine, TtsUnavailable, Voice, choose_voice
from agent_assist.workflows import practice as wp

log = logging.getLogger(__name__)

Index = QModelIndex | QPersistentModelIndex
NO_OUTPUT = ("No audio output device: the customer's lines are shown, not heard (their length still comes "
             "from the synthesized audio).")


def _mmss(seconds: float) -> str:
    total = max(0, int(seconds + 0.5))
    return f"{total // 60}:{total % 60:02d}"




# -- the view ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Step:
    """What one reply produced (computed on the nlp lane)."""

    turn: CustomerTurn | None
    agent_text: str
    agent_flags: tuple[FlagItem, ...]
    talk: TalkMetrics
    goals: tuple[GoalResult, ...]
    finished: bool
    estimated: bool


def _html_flagged(text: str, flags: tuple[FlagItem, ...]) -> str:
    from agent_assist.coach.flags import COLOURS

    out, pos = [], 0
    for f in sorted(flags, key=lambda f: f.start):
        if f.start < pos:
            continue
        out.append(html.escape(text[pos:f.start]))
        c = COLOURS.get(f.category, "#d0342c")
        out.append(f"<span style='text-decoration: underline; color:{c}'>"
                   f"{html.escape(text[f.start:f.end])}</span>")
        pos = f.end
    out.append(html.escape(text[pos:]))
    return "".join(out)


class PracticeView(QWidget):
    """Practice with a spoken customer; scored like a live call."""

    # emitted on the GUI thread
    attempt_saved = Signal(int)  # practice_attempts.id
    finished = Signal(object)  # the ScoreCard
    customer_spoke = Signal(int)  # line index whose audio was synthesized (and played when possible)

    def __init__(self, services: Services, parent: QWidget | None = None, *,
                 engine: SpeechEngine | None = None, speak: bool = True) -> None:
        super().__init__(parent)
        self.services = services
        self._engine_given = engine
        self._engine: SpeechEngine | None = None
        self._voices: list[Voice] = []
        self._tts_error: str | None = None
        self._tts_ready = False
        self._session: PracticeSession | None = None
        self._scenario: Scenario | None = None
        self._trainee_id: int | None = None
        self._busy = False
        self._card: ScoreCard | None = None
        self._pending_tts = 0
        self._finishing = False
        self._wav_dir = QTemporaryDir()
        self._player: Any = None
        self._audio_out: Any = None
        self._mic_source: Any = None
        self._mic_speech_s = 0.0
        self._mic_words: Any = None  # the LiveSpeech recognising the microphone
        self._heard = ""  # recognised words now in the reply box
        self._checker: Any = None
        self._phrasing_note = "the phrasing checker is still loading"
        self._nlp_done = False
        self.saved_attempt_id: int | None = None
        self._estimated = True
        self._no_output = False

        self._build(speak)
        self._connect()
        self._load_catalog()
        self._load_trainees()
        self._start_tts()
        self._start_nlp()

    # -- building ------------------------------------------------------------------------------------
    def _build(self, speak: bool) -> None:
        self.scenario_box = QComboBox()
        self.scenario_box.setObjectName("practiceScenario")
        self.scenario_box.setMinimumWidth(260)
        self.trainee_box = QComboBox()
        self.trainee_box.setObjectName("practiceTrainee")
        self.trainee_box.setMinimumWidth(160)
        self.voice_box = QComboBox()
        self.voice_box.setObjectName("practiceVoice")
        self.voice_box.addItem("Scenario's voice", "")
        self.voice_box.setMinimumWidth(200)
        self.speak_box = QCheckBox("Speak the customer")
        self.speak_box.setChecked(speak)
        self.start_button = QPushButton("Start")
        self.start_button.setObjectName("primaryButton")
        self.start_button.setEnabled(False)
        self.start_button.setStyleSheet("QPushButton:disabled { background: #b8c2cc; border-color: #b8c2cc; }")
        self.end_button = QPushButton("End")
        self.end_button.setEnabled(False)
        self.end_button.setToolTip("End the attempt now and score it")

        bar = QHBoxLayout()
        for label, w in (("Scenario", self.scenario_box), ("Trainee", self.trainee_box),
                         ("Voice", self.voice_box)):
            lab = QLabel(label)
            lab.setObjectName("profileKey")
            bar.addWidget(lab)
            bar.addWidget(w)
        bar.addWidget(self.speak_box)
        bar.addStretch(1)
        bar.addWidget(self.start_button)
        bar.addWidget(self.end_button)

        # left: the situation, the conversation and the reply box
        self.brief = QLabel("Pick a scenario and a trainee, then Start.")
        self.brief.setObjectName("practiceBrief")
        self.brief.setWordWrap(True)
        self.brief.setTextFormat(Qt.TextFormat.RichText)
        self.mood_label = QLabel("")
        self.mood_label.setObjectName("practiceMood")
        # the scenario's limit counts call time (both parties' speech and the gaps between turns), the
        # same clock that ends the attempt
        self.time_left = QLabel("")
        self.time_left.setObjectName("practiceTimeLeft")
        self.time_left.setToolTip("Call time left before the customer ends the call: both parties' speech "
                                  "and the pauses between turns count, thinking time does not.")
        self.transcript = QTextBrowser()
        self.transcript.setObjectName("practiceTranscript")
        self.transcript.setOpenLinks(False)
        self.reply_edit = QLineEdit()
        self.reply_edit.setObjectName("practiceReply")
        self.reply_edit.setPlaceholderText("Type your reply and press Enter")
        self.reply_edit.setEnabled(False)
        self.mic_button = QPushButton("Mic")
        self.mic_button.setCheckable(True)
        self.mic_button.setEnabled(False)
        self.mic_button.setToolTip(
            "Speak your reply: the microphone measures your speech time through the same voice detection "
            "as live calls. No speech recogniser is configured, so also type the gist of what you said "
            "for the customer to react to.")
        self.send_button = QPushButton("Send")
        self.send_button.setEnabled(False)
        self.status = QLabel("")
        self.status.setObjectName("practiceStatus")
        self.status.setWordWrap(True)
        reply_row = QHBoxLayout()
        reply_row.addWidget(self.reply_edit, 1)
        reply_row.addWidget(self.mic_button)
        reply_row.addWidget(self.send_button)
        left = QFrame()
        left.setObjectName("panel")
        ll = QVBoxLayout(left)
        ll.addWidget(self.brief)
        mood_row = QHBoxLayout()
        mood_row.addWidget(self.mood_label, 1)
        mood_row.addWidget(self.time_left)
        ll.addLayout(mood_row)
        ll.addWidget(self.transcript, 1)
        ll.addLayout(reply_row)
        ll.addWidget(self.status)

        # right: meter, goals, flags, score card
        self.talk_bar = QProgressBar()
        self.talk_bar.setObjectName("practiceTalkBar")
        self.talk_bar.setRange(0, 100)
        self.talk_bar.setValue(0)
        self.talk_bar.setTextVisible(False)
        self.talk_bar.setFixedHeight(10)
        self.talk_value = QLabel("Talk ratio —")
        self.talk_value.setObjectName("practiceTalkValue")
        self.talk_value.setStyleSheet("font-size: 15pt; font-weight: 600;")
        self.talk_label = QLabel("Your share of the talking; target at most 30%.")
        self.talk_label.setObjectName("practiceTalkLabel")
        self.talk_label.setWordWrap(True)
        self.goals_list = QListWidget()
        self.goals_list.setObjectName("practiceGoals")
        self.goals_list.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        self.flags_list = QListWidget()
        self.flags_list.setObjectName("practiceFlags")
        self.flags_list.setWordWrap(True)
        self.flags_list.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        self.card_view = QTextBrowser()
        self.card_view.setObjectName("scoreCard")
        self.card_view.setPlaceholderText("The score card appears at the end of the attempt.")
        right = QFrame()
        right.setObjectName("panel")
        rl = QVBoxLayout(right)
        parts: tuple[tuple[str, QWidget | None, int], ...] = (
            ("TALK METER", self.talk_value, 0), ("", self.talk_bar, 0), ("", self.talk_label, 0),
            ("GOALS", self.goals_list, 0), ("PHRASING FLAGS", self.flags_list, 1),
            ("SCORE CARD", self.card_view, 3))
        for title, part, stretch in parts:
            if title:
                t = QLabel(title)
                t.setObjectName("panelTitle")
                rl.addWidget(t)
                if title == "PHRASING FLAGS":
                    self._flags_title = t
            if part is not None:
                rl.addWidget(part, stretch)

        # bottom: attempts
        self.attempts_model = AttemptsModel(self)
        self.attempts_view = QTableView()
        self.attempts_view.setObjectName("practiceAttempts")
        self.attempts_view.setModel(self.attempts_model)
        self.attempts_view.verticalHeader().hide()
        self.attempts_view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.attempts_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.attempts_view.horizontalHeader().setStretchLastSection(True)
        self.attempts_view.setMinimumHeight(150)
        self.all_trainees_box = QCheckBox("All trainees")
        self.all_trainees_box.setToolTip("Show every trainee's attempts side by side")
        self.attempts_title = QLabel("ATTEMPTS")
        self.attempts_title.setObjectName("panelTitle")
        bottom = QFrame()
        bottom.setObjectName("panel")
        bl = QVBoxLayout(bottom)
        head = QHBoxLayout()
        head.addWidget(self.attempts_title)
        head.addStretch(1)
        head.addWidget(self.all_trainees_box)
        bl.addLayout(head)
        bl.addWidget(self.attempts_view)

        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        vsplit = QSplitter(Qt.Orientation.Vertical)
        vsplit.addWidget(split)
        vsplit.addWidget(bottom)
        vsplit.setStretchFactor(0, 4)
        vsplit.setStretchFactor(1, 1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 8, 8, 8)
        lay.addLayout(bar)
        lay.addWidget(vsplit, 1)

    def _connect(self) -> None:
        self.start_button.clicked.connect(self.start)
        self.end_button.clicked.connect(self.end)
        self.send_button.clicked.connect(self.send)
        self.reply_edit.returnPressed.connect(self.send)
        self.mic_button.toggled.connect(self._toggle_mic)
        self.scenario_box.currentIndexChanged.connect(self._scenario_chosen)
        self.trainee_box.currentIndexChanged.connect(self._reload_attempts)
        self.all_trainees_box.toggled.connect(self._reload_attempts)
        for signal in (self.services.events.practice_changed, self.services.events.database_replaced):
            signal.connect(self._data_changed)

    # -- loading -------------------------------------------------------------------------------------
    def _load_catalog(self) -> None:
        self.services.run("io", wp.catalog, self._catalog_loaded)

    def _catalog_loaded(self, entries: list[wp.CatalogEntry]) -> None:
        self.scenario_box.blockSignals(True)
        self.scenario_box.clear()
        for e in entries:
            self.scenario_box.addItem(e.title if not e.error else f"{e.name} (broken)", e.name)
            i = self.scenario_box.count() - 1
            self.scenario_box.setItemData(i, e.error or f"{e.persona} — {e.mood}, {e.goals} goals",
                                          Qt.ItemDataRole.ToolTipRole)
            if e.error:
                item = self.scenario_box.model().item(i)  # type: ignore[attr-defined]
                item.setEnabled(False)
            self.attempts_model.titles[e.name] = e.title
        self.scenario_box.blockSignals(False)
        broken = [e for e in entries if e.error]
        if broken:
            messages.warning(f"{len(broken)} scenario file(s) could not be read: {broken[0].error}")
        first_ok = next((i for i, e in enumerate(entries) if not e.error), -1)
        self.scenario_box.setCurrentIndex(first_ok)
        self._scenario_chosen()

    def _scenario_chosen(self) -> None:
        name = self.scenario_box.currentData()
        if not name or (self._session is not None and not self._session.finished):
            return
        self.services.run("io", lambda: wp.load_scenario(name), self._scenario_loaded, self._scenario_failed)

    def _scenario_loaded(self, s: Scenario) -> None:
        if s.name != self.scenario_box.currentData():
            return
        self._scenario = s
        self.brief.setText(
            f"<b>{html.escape(s.title)}</b> — {html.escape(s.persona.name)}: {html.escape(s.persona.summary)}"
            f"<br><span style='color:#666'>{html.escape(s.description)} "
            f"Time limit {s.time_limit_s / 60:.0f} min.</span>")
        if not self.running:
            self._show_goals(tuple(GoalResult(g.id, g.label, False, g.avoid, "") for g in s.goals),
                             started=False)
            self.time_left.setText(f"Time limit {_mmss(s.time_limit_s)}")
            self.time_left.setStyleSheet("color: #666")
        self._update_start()

    def _scenario_failed(self, e: BaseException) -> None:
        self._scenario = None
        self.brief.setText(html.escape(messages.describe(e)))
        messages.error(messages.describe(e))
        self._update_start()

    def _load_trainees(self) -> None:
        self.services.db_call(wp.trainees, self._trainees_loaded)

    def _trainees_loaded(self, agents: list[dict[str, Any]]) -> None:
        current = self.trainee_box.currentData()
        self.trainee_box.blockSignals(True)
        self.trainee_box.clear()
        for a in agents:
            self.trainee_box.addItem(a["name"], a["id"])
        if not agents:
            self.trainee_box.addItem("Trainee (new)", None)
        want = current if current is not None else self.services.settings.agent_id
        i = self.trainee_box.findData(want)
        self.trainee_box.setCurrentIndex(max(i, 0))
        self.trainee_box.blockSignals(False)
        self._reload_attempts()
        self._update_start()

    def _reload_attempts(self) -> None:
        tid = None if self.all_trainees_box.isChecked() else self.trainee_box.currentData()
        name = "every trainee" if tid is None else self.trainee_box.currentText()
        self.attempts_title.setText(f"ATTEMPTS — {name.upper()}")
        self.services.db_call(lambda db: wp.attempts(db, tid), self.attempts_model.set_rows)

    def _data_changed(self, _event: ev.Event) -> None:
        self._load_trainees()
        self._reload_attempts()

    def _start_tts(self) -> None:
        if self._engine_given is not None:
            self._engine = self._engine_given
        else:
            from agent_assist.voice.pyttsx3_engine import Pyttsx3Engine

            self._engine = Pyttsx3Engine()  # created lazily on the tts lane by its first call
        engine = self._engine
        self.services.run("tts", engine.voices, self._voices_loaded, self._tts_failed)

    def _voices_loaded(self, voices: list[Voice]) -> None:
        self._voices = voices
        self._tts_ready = True
        english = [v for v in voices if any(lang.startswith("en") for lang in v.languages)]
        for v in english or voices:
            self.voice_box.addItem(v.label, v.id)
        wanted = self.services.settings.tts_voice
        if wanted:
            i = self.voice_box.findData(wanted)
            if i >= 0:
                self.voice_box.setCurrentIndex(i)

    def _tts_failed(self, e: BaseException) -> None:
        self._tts_error = str(e) if isinstance(e, TtsUnavailable) else messages.describe(e)
        self.speak_box.setChecked(False)
        self.speak_box.setEnabled(False)
        self.speak_box.setToolTip(self._tts_error)
        self._note(f"Text mode: {self._tts_error}")

    def _start_nlp(self) -> None:
        from agent_assist.ui.common.nlp import nlp_loader

        loader = nlp_loader(self.services)
        loader.ready.connect(self._nlp_ready)
        loader.failed.connect(self._nlp_failed)
        if loader.checker() is not None:
            self._nlp_ready(loader.checker())
        elif loader.error:
            self._nlp_failed(loader.error)
        else:
            self._note("Loading the phrasing checker…")

    def _nlp_ready(self, checker: Any) -> None:
        self._checker = checker
        self._phrasing_note = ""
        self._nlp_done = True
        self._update_start()
        if self.status.text().startswith("Loading the phrasing"):
            self._note("")

    def _nlp_failed(self, message: str) -> None:
        self._checker = None
        self._phrasing_note = message
        self._nlp_done = True
        self._note(f"Phrasing checks are unavailable: {message}")
        self._update_start()

    # -- state -----------------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._session is not None and not self._finishing and self._card is None

    @property
    def ready(self) -> bool:
        """Scenario, trainee list and phrasing checker are loaded (TTS may still be starting)."""
        return self._scenario is not None and self._nlp_done and self.trainee_box.count() > 0

    @property
    def card(self) -> ScoreCard | None:
        return self._card

    def _update_start(self) -> None:
        self.start_button.setEnabled(self.ready and not self.running)

    def _note(self, text: str) -> None:
        self.status.setText(text)

    def _set_replying(self, on: bool) -> None:
        self.reply_edit.setEnabled(on)
        self.send_button.setEnabled(on)
        self.mic_button.setEnabled(on or self.mic_button.isChecked())
        if on:
            self.reply_edit.setFocus()

    # -- running an attempt ----------------------------------------------------------------------------
    def start(self) -> None:
        if not self.ready or self.running or self._scenario is None:
            return
        scenario = self._scenario
        self._trainee_id = self.trainee_box.currentData()
        self._card = None
        self._finishing = False
        self.saved_attempt_id = None
        self._pending_tts = 0
        self.transcript.clear()
        self.flags_list.clear()
        self.flags_list.setVisible(True)
        self._flags_title.setText("PHRASING FLAGS")
        self.card_view.clear()
        s = self.services.settings
        talk = TalkSettings(target=s.talk_target, silence_threshold_s=s.silence_threshold_s,
                            backchannel_max_s=s.backchannel_max_s, window_s=s.window_s)
        self._session = wp.new_session(scenario, self._checker, phrasing_note=self._phrasing_note,
                                       talk_settings=talk)
        self._show_goals(self._session.goal_results())
        self._show_talk(None, True)
        self.start_button.setEnabled(False)
        self.end_button.setEnabled(True)
        self.scenario_box.setEnabled(False)
        self.trainee_box.setEnabled(False)
        notes = []
        if self._tts_error:
            notes.append(f"Text mode: {self._tts_error}")
        elif not self.speak_box.isChecked():
            notes.append("Text mode: the customer's lines are shown, not spoken.")
        if self._checker is None:
            notes.append(f"Phrasing checks are unavailable: {self._phrasing_note}")
        self._note(" ".join(notes))
        session = self._session
        self.services.run("nlp", session.opening, self._customer_said)

    def send(self) -> None:
        if not self.running or self._busy or self._session is None or self._session.finished:
            return
        text = self.reply_edit.text().strip()
        speech_s = self._mic_speech_s if self.mic_button.isChecked() and self._mic_speech_s > 0 else None
        if not text and speech_s is None:
            return
        self._mic_speech_s = 0.0
        self._heard = ""
        self._busy = True
        self._set_replying(False)
        self.reply_edit.clear()
        session = self._session

        def work() -> _Step:
            turn = session.reply(text, speech_s)
            agent = next(ln for ln in reversed(session.lines) if ln.party == AGENT)
            return _Step(turn, text, agent.flags, session.talk_metrics(), session.goal_results(),
                         session.finished, agent.estimated)

        self.services.run("nlp", work, self._replied, self._step_failed)

    def _replied(self, step: _Step) -> None:
        self._busy = False
        self._append("You", step.agent_text or "(spoken reply, no transcript)", None, step.agent_flags)
        for f in step.agent_flags:
            self._add_flag(f)
        self._show_goals(step.goals)
        self._show_talk(step.talk, step.estimated)
        self._show_time_left()
        if step.turn is not None:
            self._customer_said(step.turn)
        elif step.finished:
            self._finish()

    def _step_failed(self, e: BaseException) -> None:
        self._busy = False
        messages.error(messages.describe(e))
        self._set_replying(True)

    def _customer_said(self, turn: CustomerTurn) -> None:
        if self._session is None:
            return
        self._append(self._session.scenario.persona.name, turn.text, turn.mood, ())
        self.mood_label.setText(
            f"Customer mood: <b style='color:{MOOD_COLOURS.get(turn.mood, '#333')}'>{turn.mood}</b>")
        self._show_time_left()
        if self.speak_box.isChecked() and self._tts_ready and self._engine is not None:
            self._speak(turn)
        if turn.ends:
            self._finish()
        elif not self._busy:
            self._set_replying(True)

    def _show_time_left(self) -> None:
        """The countdown: call time left of the scenario's limit (read between turns, when no worker
        is changing the session)."""
        session = self._session
        if session is None or self._busy:
            return
        limit = session.scenario.time_limit_s
        left = max(0.0, limit - session.timeline_s())
        if session.finished:
            self.time_left.setText(f"Time used {_mmss(min(limit, session.timeline_s()))} of {_mmss(limit)}")
            colour = "#666"
        else:
            self.time_left.setText(f"Time left <b>{_mmss(left)}</b> of {_mmss(limit)}")
            colour = "#d0342c" if left < 60 else "#b26a00" if left < limit / 4 else "#333"
        self.time_left.setStyleSheet(f"color: {colour}")

    def _speak(self, turn: CustomerTurn) -> None:
        assert self._engine is not None and self._session is not None
        engine, session = self._engine, self._session
        scenario = session.scenario
        voice = choose_voice(self._voices, scenario.voice.prefer, scenario.voice.gender,
                             wanted=self.voice_box.currentData() or "")
        path = Path(self._wav_dir.path()) / f"line-{id(session)}-{turn.index:03d}.wav"
        self._pending_tts += 1

        def synth() -> float:
            return engine.synthesize(turn.text, path, voice, turn.rate, scenario.voice.pitch)

        def done(duration: float) -> None:
            # the real length of the customer's line feeds the talk figures (on the session's lane)
            def update() -> TalkMetrics:
                session.set_line_duration(turn.index, duration)
                return session.talk_metrics()

            self.services.run("nlp", update, lambda m: self._spoken(session, turn, m, path),
                              lambda e: self._spoken_failed(session, e))

        self.services.run("tts", synth, done, lambda e: self._spoken_failed(session, e))

    def _spoken(self, session: PracticeSession, turn: CustomerTurn, metrics: TalkMetrics, path: Path) -> None:
        self._pending_tts -= 1
        if session is self._session and self._card is None:
            self._show_talk(metrics, None)
        self._play(path)
        self.customer_spoke.emit(turn.index)
        self._maybe_score()

    def _spoken_failed(self, session: PracticeSession, e: BaseException) -> None:
        self._pending_tts -= 1
        self._tts_error = str(e) if isinstance(e, TtsUnavailable) else messages.describe(e)
        self._tts_ready = False
        self.speak_box.setChecked(False)
        self._note(f"Text mode: {self._tts_error}")
        self._maybe_score()

    def _play(self, path: Path) -> None:
        from PySide6.QtMultimedia import QMediaDevices

        from agent_assist.audio.live import sound_server_available

        # without a sound server, asking Qt only logs a warning and lists nothing
        if not sound_server_available() or not QMediaDevices.audioOutputs():
            self._no_output = True
            if NO_OUTPUT not in self.status.text():
                self._note((self.status.text() + " " + NO_OUTPUT).strip())
            return
        if self._player is None:
            from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer

            self._audio_out = QAudioOutput(self)
            self._player = QMediaPlayer(self)
            self._player.setAudioOutput(self._audio_out)
        self._player.stop()
        self._player.setSource(QUrl.fromLocalFile(str(path)))
        self._player.play()

    # -- microphone --
    def _toggle_mic(self, on: bool) -> None:
        if on:
            try:
                from agent_assist.audio.live import LiveSource

                src = LiveSource(MicCapture(self.services.settings.agent_device),
                                 runner=lambda fn, done: self.services.run("audio", fn, done), parent=self)
                src.segments_closed.connect(self._mic_segments)
                src.failed.connect(self._mic_failed)
                src.start()
            except Exception as e:  # AudioError: no microphone; never a traceback in the window
                self._mic_failed(messages.describe(e))
                return
            self._mic_source = src
            self._mic_speech_s = 0.0
            self._heard = ""
            self._mic_words = self._listen_for_words(src)
            self._note("Microphone on: speak your reply — the words appear in the box — then Send."
                       if self._mic_words is not None else "Microphone on: speak, type the gist, then Send.")
        elif self._mic_source is not None:
            self._mic_source.stop()
            lost = self._mic_source.capture.lost_s[AGENT]
            self._mic_source = None
            if lost >= LOST_WARN_S:
                self._note(f"{lost:.1f} s of the microphone's audio was lost (the computer was too busy): "
                           "your speaking time leaves it out.")

    def _listen_for_words(self, src: Any) -> Any:
        """Recognise what the trainee says into the microphone (own worker); the words fill the reply box."""
        from agent_assist.audio.live_speech import LiveSpeech
        from agent_assist.audio.recognition import SpeechSettings

        sp = SpeechSettings.from_settings(self.services.settings)
        if not sp.enabled:
            return None
        speech = LiveSpeech(src, sp, parent=self, start=False)
        speech.utterance.connect(self._heard_words)
        speech.failed.connect(lambda m: self._note(f"{m} Type your replies instead."))
        speech.start()  # after the connections: a missing model fails at once
        return speech

    def _heard_words(self, u: Any) -> None:
        current = self.reply_edit.text().strip()
        if current and current != self._heard:
            return  # the trainee typed something: their text wins
        self._heard = f"{self._heard} {u.text}".strip()
        self.reply_edit.setText(self._heard)

    def _mic_segments(self, segments: list[Any]) -> None:
        self._mic_speech_s += sum(s.end - s.start for s in segments if s.party == AGENT)

    def _mic_failed(self, message: str) -> None:
        self._mic_source = None
        self.mic_button.blockSignals(True)
        self.mic_button.setChecked(False)
        self.mic_button.blockSignals(False)
        self._note(f"Microphone unavailable ({message}); type your replies instead.")

    # -- the end -------------------------------------------------------------------------------------
    def end(self) -> None:
        """End the attempt now (the trainer pressed End)."""
        if not self.running or self._session is None:
            return
        session = self._session
        self.services.run("nlp", lambda: session.stop("the trainer ended the call"), lambda _r: self._finish())

    def _finish(self) -> None:
        if self._finishing:
            return
        self._finishing = True
        self._set_replying(False)
        self.end_button.setEnabled(False)
        self._show_time_left()
        if self.mic_button.isChecked():
            self.mic_button.setChecked(False)
        if self._pending_tts:
            self._note("Waiting for the customer's last line…")
        self._maybe_score()

    def _maybe_score(self) -> None:
        # the card waits for the synthesized lines, so the customer's talk time is measured, not estimated
        if not self._finishing or self._pending_tts or self._card is not None or self._session is None:
            return
        session = self._session
        self.services.run("nlp", session.score_card, self._scored)

    def _scored(self, card: ScoreCard) -> None:
        self._card = card
        self._show_talk(card.talk, card.agent_estimated or card.customer_estimated)
        self._show_goals(card.goals)
        self.card_view.setHtml(card_html(card))
        self._flags_title.setText(f"PHRASING FLAGS — {len(card.flags)}, listed in the score card"
                                  if card.phrasing_available else "PHRASING FLAGS — not checked")
        self.flags_list.setVisible(False)
        self.scenario_box.setEnabled(True)
        self.trainee_box.setEnabled(True)
        self.finished.emit(card)
        if card.replies == 0:
            self._note("No replies, so the attempt was not saved.")
            self._update_start()
            return
        session, trainee = self._session, self._trainee_id
        assert session is not None
        default = self.services.settings.agent_id

        def save(db: Any) -> wp.SavedAttempt:
            tid = wp.resolve_trainee(db, trainee, default)
            return wp.save_attempt(db, session, tid, card)

        self.services.db_call(save, self._saved, self._save_failed)

    def _saved(self, saved: wp.SavedAttempt) -> None:
        self.saved_attempt_id = saved.attempt_id
        note = f"Attempt saved (score {self._card.score:.0f}/100)." if self._card else "Attempt saved."
        self._note(note + (" " + NO_OUTPUT if self._no_output else ""))
        self._update_start()
        self._load_trainees()
        self.services.events.publish(ev.PracticeChanged())
        self.attempt_saved.emit(saved.attempt_id)

    def _save_failed(self, e: BaseException) -> None:
        messages.error(f"The attempt could not be saved: {messages.describe(e)}")
        self._update_start()

    # -- showing -------------------------------------------------------------------------------------
    def _append(self, who: str, text: str, mood: str | None, flags: tuple[FlagItem, ...]) -> None:
        is_you = who == "You"
        colour = "#1f4fb5" if is_you else MOOD_COLOURS.get(mood or "", "#333")
        body = _html_flagged(text, flags) if flags else html.escape(text)
        badge = f" <span style='color:{colour}; font-size:9pt'>({mood})</span>" if mood else ""
        bg = "#eef3fd" if is_you else "#f5f5f5"
        self.transcript.append(
            f"<table width='100%' cellpadding='6' style='margin:2px 0'><tr><td style='background:{bg}'>"
            f"<b style='color:{colour}'>{html.escape(who)}</b>{badge}<br>{body}</td></tr></table>")

    def _add_flag(self, f: FlagItem) -> None:
        from agent_assist.coach.flags import LABELS as FLAG_LABELS

        text = f"{FLAG_LABELS.get(f.category, f.category)}: “{f.span}” — {f.reason}"
        if f.suggestion:
            text += f"\nTry: {f.suggestion}"
        item = QListWidgetItem(text)
        item.setToolTip(f.utterance)
        self.flags_list.addItem(item)

    def _show_goals(self, goals: tuple[GoalResult, ...], started: bool = True) -> None:
        """✓ met, ✗ missed (at the end) or broken, · still open. Nothing is judged before the attempt
        starts, and a goal to avoid something is only ✓ once the attempt is over."""
        self.goals_list.clear()
        for g in goals:
            if not started:
                mark = "·"
            elif g.avoid:
                mark = "✗" if not g.met else ("✓" if self._finishing else "·")
            else:
                mark = "✓" if g.met else ("✗" if self._finishing else "·")
            item = QListWidgetItem(f"{mark}  {g.label}")
            item.setForeground(QColor({"✓": "#2e7d32", "·": "#777"}.get(mark, "#d0342c")))
            item.setToolTip(g.detail)
            self.goals_list.addItem(item)
        # as tall as its goals, so the score card gets the rest of the column
        row = self.goals_list.sizeHintForRow(0) if goals else 18
        self.goals_list.setFixedHeight(max(1, len(goals)) * row + 2 * self.goals_list.frameWidth() + 4)

    def _show_talk(self, m: TalkMetrics | None, estimated: bool | None) -> None:
        target = self.services.settings.talk_target
        if m is None or m.talk_ratio is None:
            self.talk_bar.setValue(0)
            self.talk_value.setText(f"Talk ratio — <span style='font-size:10pt; font-weight:400; "
                                    f"color:#777'>target at most {target:.0%}</span>")
            return
        pct = round(m.talk_ratio * 100)
        self.talk_bar.setValue(pct)
        ok = m.talk_ratio <= target
        self.talk_value.setText(
            f"Talk ratio <span style='color:{'#2e7d32' if ok else '#d0342c'}'>{pct}%</span> "
            f"<span style='font-size:10pt; font-weight:400; color:#777'>target at most {target:.0%}</span>")
        self.talk_bar.setStyleSheet(
            f"QProgressBar::chunk {{ background: {'#2e7d32' if ok else '#d0342c'}; }}")
        if estimated is not None:
            self._estimated = estimated
        est = self._estimated
        self.talk_label.setText(
            f"You {m.agent_speech_s:.0f} s · customer {m.customer_speech_s:.0f} s · longest monologue "
            f"{m.longest_monologue_s:.0f} s" + (" · estimated (typed replies at 150 words/min)" if est else ""))

    # -- teardown --
    def shutdown(self) -> None:
        if self._mic_words is not None:
            self._mic_words.stop(wait=2.0)
            self._mic_words = None
        if self._mic_source is not None:
            self._mic_source.stop()
            self._mic_source = None
        if self._player is not None:
            self._player.stop()


