"""Audio settings: which inputs carry the agent and the customer, with live level meters to check."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from agent_assist import settings as settings_mod
from agent_assist.audio.errors import AudioError
from agent_assist.audio.live import LiveCapture, input_devices
from agent_assist.ui.common import messages
from agent_assist.ui.common.services import Services

HINT = ("The agent is your microphone; the customer is the softphone's output, captured through a "
        "loopback input. On PulseAudio/PipeWire create one with\n"
        "  pactl load-module module-remap-source master=<sink>.monitor source_name=softphone_out\n"
        "(Qt does not list monitor sources themselves). Or use one stereo input with the agent on "
        "the left channel and the customer on the right.")


class AudioSettingsDialog(QDialog):
    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.setWindowTitle("Audio settings")
        s = services.settings
        self.agent = QComboBox()
        self.customer = QComboBox()
        devices = [("", "System default"), *input_devices()]
        for combo, current in ((self.agent, s.agent_device), (self.customer, s.customer_device)):
            for dev_id, desc in devices:
                combo.addItem(desc, dev_id)
            i = combo.findData(current)
            combo.setCurrentIndex(max(i, 0))
        self.stereo = QCheckBox("Both parties on one stereo input (left = agent, right = customer)")
        self.stereo.setChecked(s.stereo_input)
        self.stereo.toggled.connect(self._stereo_toggled)
        self.levels = {p: QProgressBar() for p in ("agent", "customer")}
        for bar in self.levels.values():
            bar.setRange(0, 100)
            bar.setTextVisible(False)
        self.test_button = QPushButton("Test levels")
        self.test_button.setCheckable(True)
        self.test_button.toggled.connect(self._test)
        form = QFormLayout()
        form.addRow("Agent (microphone):", self.agent)
        form.addRow("Customer (softphone output):", self.customer)
        form.addRow("", self.stereo)
        form.addRow("Agent level:", self.levels["agent"])
        form.addRow("Customer level:", self.levels["customer"])
        form.addRow("", self.test_button)
        hint = QLabel(HINT)
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #5f6368")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(hint)
        lay.addWidget(buttons)
        self._capture: LiveCapture | None = None
        self._stereo_toggled(self.stereo.isChecked())
        self.finished.connect(lambda _r: self._stop_test())

    def _stereo_toggled(self, on: bool) -> None:
        self.customer.setEnabled(not on)

    def _test(self, on: bool) -> None:
        self._stop_test()
        if not on:
            return
        cap = LiveCapture(self.agent.currentData(), self.customer.currentData(), self.stereo.isChecked(),
                          parent=self)
        cap.levels.connect(self._show_levels)
        cap.failed.connect(self._failed)
        try:
            cap.start()
        except AudioError as e:
            self.test_button.setChecked(False)
            messages.warning(str(e), modal=True)
            cap.deleteLater()
            return
        self._capture = cap

    def _failed(self, message: str) -> None:
        self.test_button.setChecked(False)
        messages.warning(message)

    def _stop_test(self) -> None:
        if self._capture is not None:
            self._capture.stop()
            self._capture.take()
            self._capture.deleteLater()
            self._capture = None
        for bar in self.levels.values():
            bar.setValue(0)

    def _show_levels(self, agent: float, customer: float) -> None:
        self.levels["agent"].setValue(round(min(agent, 1.0) * 100))
        self.levels["customer"].setValue(round(min(customer, 1.0) * 100))
        if self._capture is not None:
            self._capture.take()  # only the levels matter here

    def _save(self) -> None:
        s = self.services.settings
        s.agent_device = self.agent.currentData() or ""
        s.customer_device = self.customer.currentData() or ""
        s.stereo_input = self.stereo.isChecked()
        try:
            settings_mod.save(s)
        except OSError as e:
            messages.error(f"Could not save the audio settings: {e}")
            return
        self.accept()
