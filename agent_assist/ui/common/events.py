"""The window's typed event surface: what changed, as frozen dataclasses on typed signals.

A view that writes something publishes what changed (``services.events.publish(CallSaved(call_id))``); the
views that show it connect to the one signal they care about. There are no strings to misspell and no
"what" to forget in a handler: a view that shows calls reloads on :class:`DatabaseReplaced` because it
connects to ``database_replaced`` explicitly (the string bus this replaces let Review and Practice ignore
the first-run demo build until a restart).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal


@dataclass(frozen=True, slots=True)
class DatabaseReplaced:
    """The database file was built or replaced (first-run demo build, ``demo --force``): reload everything."""

    path: str


@dataclass(frozen=True, slots=True)
class CallChanged:
    """A call was saved, finished or wrapped up (``call_id`` 0 when unknown)."""

    call_id: int = 0


@dataclass(frozen=True, slots=True)
class TasksChanged:
    """Tasks (follow-ups, parked tasks, callbacks) were added or completed."""

    customer_id: int | None = None


@dataclass(frozen=True, slots=True)
class CustomersChanged:
    """A customer was created or edited."""

    customer_id: int | None = None


@dataclass(frozen=True, slots=True)
class FlagsChanged:
    """Utterances and their phrasing flags were stored for a call."""

    call_id: int = 0


@dataclass(frozen=True, slots=True)
class PracticeChanged:
    """A practice attempt was saved."""

    attempt_id: int | None = None


Event = DatabaseReplaced | CallChanged | TasksChanged | CustomersChanged | FlagsChanged | PracticeChanged


class EventBus(QObject):
    """One signal per event type; :meth:`publish` routes an event to its signal."""

    database_replaced = Signal(DatabaseReplaced)
    call_changed = Signal(CallChanged)
    tasks_changed = Signal(TasksChanged)
    customers_changed = Signal(CustomersChanged)
    flags_changed = Signal(FlagsChanged)
    practice_changed = Signal(PracticeChanged)

    def publish(self, event: Event) -> None:
        match event:
            case DatabaseReplaced():
                self.database_replaced.emit(event)
            case CallChanged():
                self.call_changed.emit(event)
            case TasksChanged():
                self.tasks_changed.emit(event)
            case CustomersChanged():
                self.customers_changed.emit(event)
            case FlagsChanged():
                self.flags_changed.emit(event)
            case PracticeChanged():
                self.practice_changed.emit(event)
            case _:
                raise TypeError(f"not an event: {event!r}")
