"""The "New caller" form: an unknown number rings, the agent creates the customer in a few keystrokes.

Every field is checked as the agent leaves it and again on save; each problem is shown under its field
(no dialog). The insert runs on the db lane; nothing is written unless every field is valid.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from agent_assist.store import queries
from agent_assist.store.phones import BadPhoneNumber, pretty, to_e164
from agent_assist.ui.common import events as ev
from agent_assist.ui.common import messages
from agent_assist.ui.common.services import Services

CHANNEL_CHOICES = (("No preference", ""), ("Phone", "phone"), ("E-mail", "email"), ("SMS", "sms"),
                   ("Chat", "chat"))


class NewCallerForm(QFrame):
    """Create a customer for an unknown number; emits ``created(customer_id)``."""

    created = Signal(int)
    cancelled = Signal()

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("panel")
        self._services = services
        self._saving = False

        self.title = QLabel("New caller")
        self.title.setObjectName("customerName")
        self.hint = QLabel("This number is not in the customer list. Add them now so the next call "
                           "pops their card.")
        self.hint.setObjectName("formHint")
        self.hint.setWordWrap(True)

        self.name = QLineEdit()
        self.name.setPlaceholderText("First and last name")
        self.phone = QLineEdit()
        self.phone.setPlaceholderText("+1 555 123 4567")
        self.email = QLineEdit()
        self.email.setPlaceholderText("name@example.com (optional)")
        self.channel = QComboBox()
        for label, value in CHANNEL_CHOICES:
            self.channel.addItem(label, value)
        self.hours = QLineEdit()
        self.hours.setPlaceholderText("e.g. 18:00-21:00 (optional)")
        self.errors: dict[str, QLabel] = {}

        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        form.setHorizontalSpacing(14)
        form.setVerticalSpacing(4)
        for key, label, field in (("name", "&Name", self.name), ("phone", "&Phone", self.phone),
                                  ("email", "&E-mail", self.email),
                                  ("channel", "Preferred &channel", self.channel),
                                  ("hours", "Preferred &hours", self.hours)):
            lab = QLabel(label)
            lab.setBuddy(field)
            err = QLabel("")
            err.setObjectName("fieldError")
            err.setVisible(False)
            self.errors[key] = err
            box = QVBoxLayout()
            box.setSpacing(2)
            box.addWidget(field)
            box.addWidget(err)
            form.addRow(lab, box)
            if isinstance(field, QLineEdit):
                field.editingFinished.connect(lambda k=key: self._validate_field(k))
                field.returnPressed.connect(self.save)

        self.form_error = QLabel("")
        self.form_error.setObjectName("formError")
        self.form_error.setWordWrap(True)
        self.form_error.setVisible(False)

        self.save_button = QPushButton("Create customer")
        self.save_button.setObjectName("primaryButton")
        self.save_button.clicked.connect(self.save)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.save_button)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(24, 20, 24, 20)
        lay.setSpacing(12)
        lay.addWidget(self.title)
        lay.addWidget(self.hint)
        lay.addLayout(form)
        lay.addWidget(self.form_error)
        lay.addLayout(buttons)
        lay.addStretch(1)

    # -- public -----------------------------------------------------------------------------------
    def start(self, phone: str = "") -> None:
        """Empty the form, prefill the phone and put the cursor in the name field."""
        for w in (self.name, self.email, self.hours):
            w.clear()
        self.channel.setCurrentIndex(0)
        self.phone.setText(pretty(phone) if phone.startswith("+") else phone)
        for k in self.errors:
            self._set_error(k, "")
        self.form_error.setVisible(False)
        self._saving = False
        self.save_button.setEnabled(True)
        self.name.setFocus(Qt.FocusReason.OtherFocusReason)

    def cancel(self) -> None:
        self.cancelled.emit()

    def validate(self) -> dict[str, str]:
        """Check every field; show and return the problems by field (empty when all is well)."""
        problems = {k: p for k in self.errors if (p := self._problem(k))}
        for k in self.errors:
            self._set_error(k, problems.get(k, ""))
        return problems

    def save(self) -> None:
        if self._saving:
            return
        problems = self.validate()
        if problems:
            first = next(iter(problems))
            widget = {"name": self.name, "phone": self.phone, "email": self.email,
                      "channel": self.channel, "hours": self.hours}[first]
            widget.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        name, phone = self.name.text(), self.phone.text()
        email, hours = self.email.text() or None, self.hours.text() or None
        channel = str(self.channel.currentData() or "") or None
        region = self._services.settings.default_region
        self._saving = True
        self.save_button.setEnabled(False)
        self.form_error.setVisible(False)
        self._services.db_call(
            lambda db: queries.create_customer(db, name=name, phone=phone, email=email,
                                               preferred_channel=channel, preferred_hours=hours,
                                               region=region),
            self._saved, self._failed)

    # -- private ----------------------------------------------------------------------------------
    def _saved(self, customer_id: int) -> None:
        self._saving = False
        self.save_button.setEnabled(True)
        self._services.events.publish(ev.CustomersChanged(customer_id))
        self.created.emit(int(customer_id))

    def _failed(self, e: BaseException) -> None:
        self._saving = False
        self.save_button.setEnabled(True)
        self.form_error.setText(f"The customer was not created: {messages.describe(e)}")
        self.form_error.setVisible(True)

    def _validate_field(self, key: str) -> None:
        self._set_error(key, self._problem(key))

    def _problem(self, key: str) -> str:
        try:
            if key == "name":
                if not self.name.text().strip():
                    return "Enter the caller's name."
            elif key == "phone":
                to_e164(self.phone.text(), self._services.settings.default_region)
            elif key == "email":
                queries.check_email(self.email.text())
            elif key == "hours":
                queries.normalise_hours(self.hours.text())
        except BadPhoneNumber as e:
            return _sentence(str(e))
        except ValueError as e:
            return _sentence(str(e))
        return ""

    def _set_error(self, key: str, text: str) -> None:
        label = self.errors[key]
        label.setText(text)
        label.setVisible(bool(text))
        field = {"name": self.name, "phone": self.phone, "email": self.email, "hours": self.hours}.get(key)
        if field is not None:
            field.setProperty("invalid", bool(text))
            field.style().unpolish(field)
            field.style().polish(field)


def _sentence(text: str) -> str:
    text = text.strip()
    return (text[:1].upper() + text[1:]).rstrip(".") + "." if text else text
