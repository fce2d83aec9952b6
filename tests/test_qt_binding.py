"""The Qt binding keeps Python's reference counts: the app calls Qt millions of times in a working day.

PySide6 6.12.0 on Python 3.11 takes a reference away from ``None`` on every void method call and from
``True`` on every ``emit()``; after some thousand calls CPython frees the singleton and aborts
("none_dealloc"), which would end an agent's session minutes into a call. pyproject.toml keeps PySide6
below 6.12 for that reason; this test fails if a binding with such a leak is ever installed again.
"""

from __future__ import annotations

import os
import subprocess
import sys

CHECK = """
import sys
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication([])
label = QLabel()
class O(QObject):
    s = Signal(bool)
o = O()
o.s.connect(lambda b: None)
n = 20000
none0, true0 = sys.getrefcount(None), sys.getrefcount(True)
for _ in range(n):
    label.setText("x")
    app.processEvents()
    o.s.emit(True)
print((sys.getrefcount(None) - none0) / n, (sys.getrefcount(True) - true0) / n)
"""


def test_void_calls_and_emits_keep_reference_counts() -> None:
    r = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=120,
                       env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert r.returncode == 0, f"the interpreter aborted: {r.stderr[-500:]}"
    none_per_call, true_per_call = (float(x) for x in r.stdout.split())
    assert abs(none_per_call) < 0.01 and abs(true_per_call) < 0.01, r.stdout
