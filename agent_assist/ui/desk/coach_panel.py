"""The phrasing coach panel: the agent types or pastes a reply; leading or loaded questions, blaming,
negative language and over-promises get a wavy underline (one colour per category), the reason and a neutral
rewrite on hover, and a list with one-click "Copy" and "Apply" of each rewrite.

Checks are debounced (250 ms) and run on the ``nlp`` lane; a result for text that has changed since is
dropped. During a call, Enter (or Send) stores the utterance — redacted — with its flags on the db lane.

Why this file is over 400 lines: the coach panel's typed and spoken paths share one list, legend and apply
logic.
"""

from __future__ import annotations

import html
import logging
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QGuiApplication, QKeyEvent, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QTextEdit,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from agent_assist.coach import flags as flag_vocab
from agent_assist.ui.common import events as ev
from agent_assist.ui.common.nlp import nlp_loader
from agent_assist.ui.common.services import Services

log = logging.getLogger(__name__)

DEBOUNCE_MS = 250
# one colour per flag category, from the shared vocabulary (coach.flags / resources/phrasing/flags.json)
COLOURS = flag_vocab.COLOURS

class _Editor(QPlainTextEdit):
    """Plain-text editor whose Enter sends (when the panel says so) and Shift+Enter breaks the line."""

    send_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.enter_sends = False

    def keyPressEvent(self, e: QKeyEvent) -> None:
        enter = e.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        mods = e.modifiers()
        if enter and (mods & Qt.KeyboardModifier.ControlModifier or
                      (self.enter_sends and not mods & Qt.KeyboardModifier.ShiftModifier)):
            self.send_requested.emit()
            return
        super().keyPressEvent(e)


class _FlagRow(QFrame):
    """One flag in the list: category, flagged words, reason, suggestion, Copy / Apply buttons."""

    def __init__(self, flag: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("phrasingFlag")
        colour = flag_vocab.colour(flag.category, "#666")
        self.setStyleSheet(f"QFrame#phrasingFlag {{ border: none; border-left: 4px solid {colour}; }}")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 4, 4, 4)
        lay.setSpacing(2)
        head = QLabel(f"<b style='color:{colour}'>{html.escape(flag_vocab.label(flag.category))}</b>"
                      f" &nbsp;“{html.escape(flag.text)}”")
        reason = QLabel(flag.reason)
        reason.setTextFormat(Qt.TextFormat.PlainText)
        reason.setWordWrap(True)
        self.suggestion = QLabel(("<b>Try:</b> " if flag.is_rewrite else "<b>Tip:</b> ")
                                 + html.escape(flag.suggestion))
        self.suggestion.setTextFormat(Qt.TextFormat.RichText)
        self.suggestion.setWordWrap(True)
        self.suggestion.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.copy_button = QPushButton("Copy rewrite" if flag.is_rewrite else "Copy tip")
        self.apply_button = QPushButton("Apply rewrite")
        self.apply_button.setVisible(bool(flag.is_rewrite))
        self.apply_button.setToolTip("Replace only this sentence with the rewrite")
        for b in (self.copy_button, self.apply_button):
            b.setCursor(Qt.CursorShape.PointingHandCursor)
            buttons.addWidget(b)
        for w in (head, reason, self.suggestion):
            lay.addWidget(w)
        lay.addLayout(buttons)


class _SpokenRow(QFrame):
    """A sentence heard on the agent's microphone, its flagged words marked, with each flag below."""

    def __init__(self, utterance: Any, flags: list[Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("spokenUtterance")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 2, 4, 2)
        lay.setSpacing(2)
        text, marked, last = utterance.text, [], 0
        for f in sorted(flags, key=lambda f: f.start):
            colour = COLOURS.get(f.category, "#d0342c")
            marked += [html.escape(text[last:f.start]),
                       f"<span style='text-decoration: underline; color:{colour}'>"
                       f"{html.escape(text[f.start:f.end])}</span>"]
            last = max(last, f.end)
        marked.append(html.escape(text[last:]))
        m, sec = divmod(max(0.0, utterance.start), 60)
        self.sentence = QLabel(f"<span style='color:#5f6368'>{int(m):02d}:{int(sec):02d} heard</span> "
                               f"“{''.join(marked)}”")
        self.sentence.setTextFormat(Qt.TextFormat.RichText)
        self.sentence.setWordWrap(True)
        lay.addWidget(self.sentence)
        self.flag_rows = [_FlagRow(f) for f in flags]
        for f, row in zip(flags, self.flag_rows, strict=True):
            row.apply_button.setVisible(False)  # nothing to apply to: it was said, not typed
            row.copy_button.clicked.connect(lambda _=False, s=f.suggestion: QGuiApplication.clipboard().setText(s))
            lay.addWidget(row)


class PhrasingPanel(QWidget):
    """Type or paste; flagged phrasing is underlined and listed with a rewrite."""

    # the flags now shown (list of phrasing.Flag), after each completed check
    flags_changed = Signal(list)
    # an utterance was stored with the active call: utterance id
    utterance_sent = Signal(int)

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self._flags: list[Any] = []
        self._gen = 0
        self._checked_text: str | None = None
        self._sending = False
        self.spoken: list[tuple[Any, list[Any]]] = []  # (SpokenUtterance, flags) shown, newest last

        self.title = QLabel("<b>Phrasing coach</b>")
        self.status = QLabel("Loading the language model…")
        self.status.setObjectName("phrasingStatus")
        self.status.setWordWrap(True)
        self.editor = _Editor()
        self.editor.setPlaceholderText("Type or paste your reply — questions that sound loaded, leading or "
                                       "blaming are underlined, with a neutral rewrite.")
        self.editor.setMouseTracking(True)
        self.editor.viewport().installEventFilter(self)
        self.list = QListWidget()
        self.list.setObjectName("phrasingFlags")
        self.list.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        self.list.setVerticalScrollMode(QListWidget.ScrollMode.ScrollPerPixel)
        self.list.setSpacing(3)
        self.send_button = QPushButton("Send")
        self.send_button.setToolTip("Store this reply with the call (Enter); Shift+Enter for a new line")
        self.send_button.setEnabled(False)
        # what the speech recogniser heard on the agent's microphone (see show_spoken)
        self.speech_banner = QLabel()
        self.speech_banner.setObjectName("speechBanner")
        self.speech_banner.setWordWrap(True)
        self.speech_banner.setVisible(False)
        self.heard = QListWidget()
        self.heard.setObjectName("spokenUtterances")
        self.heard.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        self.heard.setVerticalScrollMode(QListWidget.ScrollMode.ScrollPerPixel)
        self.heard.setVisible(False)
        self.legend = QLabel("  ".join(
            f"<span style='color:{c.colour}'>■</span>&nbsp;{html.escape(c.label)}" for c in flag_vocab.categories()))
        self.legend.setObjectName("phrasingLegend")
        self.legend.setWordWrap(True)

        top = QHBoxLayout()
        top.addWidget(self.title)
        top.addStretch(1)
        top.addWidget(self.send_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addLayout(top)
        lay.addWidget(self.editor, 2)
        lay.addWidget(self.status)
        lay.addWidget(self.list, 5)
        lay.addWidget(self.speech_banner)
        lay.addWidget(self.heard, 4)
        lay.addWidget(self.legend)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self._check_now)
        self.editor.textChanged.connect(self._timer.start)
        self.editor.send_requested.connect(self.send)
        self.send_button.clicked.connect(self.send)
        services.active_call_changed.connect(self._update_call)

        self._loader = nlp_loader(services)
        self._loader.ready.connect(self._on_ready)
        self._loader.failed.connect(self._on_failed)
        if self._loader.checker() is not None:
            self._on_ready(self._loader.checker())
        elif self._loader.error:
            self._on_failed(self._loader.error)
        self._update_call(services.active_call_id)

    # -- spoken utterances (live speech recognition) ------------------------------------------------------
    def show_spoken(self, utterance: Any, flags: list[Any]) -> None:
        """Show a sentence the recogniser heard, with its flags, reasons and rewrites (newest at the top)."""
        self.spoken.append((utterance, list(flags)))
        row = _SpokenRow(utterance, list(flags))
        item = QListWidgetItem()
        item.setSizeHint(row.sizeHint())
        self.heard.insertItem(0, item)
        self.heard.setItemWidget(item, row)
        while self.heard.count() > 50:
            self.heard.takeItem(self.heard.count() - 1)
        self.heard.setVisible(True)

    def set_speech_state(self, text: str, problem: bool = False) -> None:
        """The recogniser's state in one line ('' hides it); a problem is shown as a red banner."""
        self.speech_banner.setText(text)
        self.speech_banner.setStyleSheet("color: #b00020; font-weight: bold;" if problem else "color: #5f6368;")
        self.speech_banner.setVisible(bool(text))

    # -- state -----------------------------------------------------------------------------------------
    @property
    def flags(self) -> list[Any]:
        return list(self._flags)

    @property
    def ready(self) -> bool:
        return self._loader.checker() is not None

    def _on_ready(self, _checker: Any) -> None:
        self.status.setText("Ready — flags appear as you type.")
        if self.editor.toPlainText().strip():
            self._check_now()

    def _on_failed(self, message: str) -> None:
        self.status.setText("Phrasing checks are off: " + message)
        self.status.setStyleSheet("color: #b00020;")

    def _update_call(self, call_id: int) -> None:
        in_call = bool(call_id)
        self.send_button.setEnabled(in_call)
        self.editor.enter_sends = in_call

    # -- checking --------------------------------------------------------------------------------------
    def _check_now(self) -> None:
        checker = self._loader.checker()
        if checker is None or self.services.tasks.closed:  # a debounce timer outliving the window
            return
        text = self.editor.toPlainText()
        self._gen += 1
        gen = self._gen
        if not text.strip():
            self._show(gen, text, [])
            return

        def job() -> Any:
            # a newer keystroke already queued another check: skip the work, the result would be dropped
            return None if gen != self._gen else checker.check(text)

        try:
            self.services.run("nlp", job, lambda flags: self._show(gen, text, flags), self._check_failed)
        except RuntimeError:  # the debounce timer fired after the app's workers shut down: nothing to do
            log.debug("phrasing check skipped: workers are shut down")

    def _check_failed(self, e: BaseException) -> None:
        log.error("phrasing check failed: %r", e)
        self.status.setText("The phrasing check failed on this text; your text is unchanged.")

    def _show(self, gen: int, text: str, flags: list[Any] | None) -> None:
        if flags is None or gen != self._gen or text != self.editor.toPlainText():
            return  # stale: the text changed while this check ran
        self._flags = list(flags)
        self._checked_text = text
        self._highlight()
        self._fill_list()
        n = len(self._flags)
        self.status.setText("No phrasing problems found." if not n and text.strip() else
                            f"{n} phrase{'s' if n != 1 else ''} to reconsider — hover for why." if n else
                            "Ready — flags appear as you type.")
        self.flags_changed.emit(self.flags)

    def _highlight(self) -> None:
        sels: list[QTextEdit.ExtraSelection] = []
        doc = self.editor.document()
        for f in self._flags:
            sel = QTextEdit.ExtraSelection()
            fmt = QTextCharFormat()
            fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
            colour = QColor(flag_vocab.colour(f.category))
            fmt.setUnderlineColor(colour)
            bg = QColor(colour)
            bg.setAlpha(28)
            fmt.setBackground(bg)
            fmt.setToolTip(self._tooltip(f))
            cur = QTextCursor(doc)
            cur.setPosition(_qt_pos(self._checked_text or "", f.start))
            cur.setPosition(_qt_pos(self._checked_text or "", f.end), QTextCursor.MoveMode.KeepAnchor)
            sel.cursor = cur
            sel.format = fmt
            sels.append(sel)
        self.editor.setExtraSelections(sels)

    def highlighted_ranges(self) -> list[tuple[int, int, str]]:
        """(start, end, underline colour) of each underline shown, in editor positions."""
        out = []
        for s in self.editor.extraSelections():
            c = s.cursor
            fmt = s.format
            if fmt.underlineStyle() == QTextCharFormat.UnderlineStyle.WaveUnderline:
                out.append((c.selectionStart(), c.selectionEnd(), fmt.underlineColor().name()))
        return out

    def _tooltip(self, f: Any) -> str:
        label = "Try" if f.is_rewrite else "Tip"
        return (f"<b style='color:{flag_vocab.colour(f.category, '#000')}'>{html.escape(flag_vocab.label(f.category))}"
                f"</b><br>{html.escape(f.reason)}<br><b>{label}:</b> {html.escape(f.suggestion)}")

    def _fill_list(self) -> None:
        self.list.clear()
        for i, f in enumerate(self._flags):
            row = _FlagRow(f)
            row.copy_button.clicked.connect(lambda _=False, i=i: self.copy_rewrite(i))
            row.apply_button.clicked.connect(lambda _=False, i=i: self.apply_rewrite(i))
            item = QListWidgetItem()
            item.setSizeHint(row.sizeHint())
            self.list.addItem(item)
            self.list.setItemWidget(item, row)

    def flag_at(self, pos: int) -> Any:
        """The flag whose span contains editor position ``pos`` (or None)."""
        text = self._checked_text or ""
        for f in self._flags:
            if _qt_pos(text, f.start) <= pos < _qt_pos(text, f.end):
                return f
        return None

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self.editor.viewport() and event.type() == QEvent.Type.ToolTip:
            pos = event.pos()  # type: ignore[attr-defined]
            f = self.flag_at(self.editor.cursorForPosition(pos).position())
            if f is not None:
                QToolTip.showText(event.globalPos(), self._tooltip(f), self.editor.viewport())  # type: ignore[attr-defined]
            else:
                QToolTip.hideText()
            return True
        return super().eventFilter(obj, event)

    # -- actions ---------------------------------------------------------------------------------------
    def copy_rewrite(self, index: int) -> None:
        if 0 <= index < len(self._flags):
            QGuiApplication.clipboard().setText(self._flags[index].suggestion)
            self.status.setText("Copied to the clipboard.")

    def apply_rewrite(self, index: int) -> None:
        """Replace the flagged sentence with its rewrite (one undo step)."""
        if not (0 <= index < len(self._flags)):
            return
        f = self._flags[index]
        text = self._checked_text
        if not f.is_rewrite or text is None or text != self.editor.toPlainText():
            return
        cur = QTextCursor(self.editor.document())
        cur.setPosition(_qt_pos(text, f.sent_start))
        cur.setPosition(_qt_pos(text, f.sent_end), QTextCursor.MoveMode.KeepAnchor)
        cur.insertText(f.suggestion)
        self.editor.setTextCursor(cur)
        self.status.setText("Rewrite applied — Ctrl+Z undoes it.")

    def send(self) -> None:
        """Store the text with its flags on the active call (redacted first), then clear the editor."""
        call_id = self.services.active_call_id
        text = self.editor.toPlainText()
        if not call_id or not text.strip() or self._sending:
            return
        checker = self._loader.checker()
        self._sending = True
        self.send_button.setEnabled(False)

        def prepare() -> tuple[str, bool, list[dict[str, Any]]]:
            from agent_assist.coach.redact import redact

            red = redact(text)
            flags = [f.to_dict() for f in checker.check(red.text)] if checker is not None else []
            return red.text, red.count > 0, flags

        def store(prepared: tuple[str, bool, list[dict[str, Any]]]) -> None:
            from agent_assist.store import calls

            stored, redacted, flags = prepared
            self.services.db_call(
                lambda db: calls.add_utterance(db, call_id, party="agent", text=stored, redacted=redacted,
                                               flags=flags),
                self._sent, self._send_failed)

        self.services.run("nlp", prepare, store, self._send_failed)

    def _sent(self, utterance_id: int) -> None:
        self._sending = False
        self._update_call(self.services.active_call_id)
        self.editor.clear()
        self.status.setText("Sent and saved with the call.")
        self.utterance_sent.emit(int(utterance_id))
        self.services.events.publish(ev.FlagsChanged(self.services.active_call_id))

    def _send_failed(self, e: BaseException) -> None:
        from agent_assist.ui.common import messages

        self._sending = False
        self._update_call(self.services.active_call_id)
        messages.error("The reply could not be saved with the call: " + messages.describe(e)
                       + " Your text is still in the editor.")


def _qt_pos(text: str, index: int) -> int:
    """Editor position of Python string index ``index`` (Qt counts UTF-16 code units)."""
    head = text[:index]
    return index + sum(1 for c in head if ord(c) > 0xFFFF)
