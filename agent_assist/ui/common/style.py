"""The look: one stylesheet (``resources/styles/app.qss``) with palette variables, a font, the app icon.

The stylesheet names colours as ``@name`` variables so the palette lives in one place (napari's
``qt_resources`` does the same with ``{{ name }}``). Colour is kept for meaning: red for over target,
amber for nearly there, blue for focus and selection; everything else is greys.
"""

from __future__ import annotations

import re

from PySide6.QtGui import QColor, QFont, QFontDatabase, QIcon, QPalette
from PySide6.QtWidgets import QApplication

from agent_assist import resources

PALETTE: dict[str, str] = {
    "window": "#f3f4f6",
    "surface": "#ffffff",
    "surface_alt": "#f8f9fb",
    "border": "#d8dce2",
    "border_strong": "#b8bfc9",
    "text": "#1d2430",
    "muted": "#5f6b7a",
    "faint": "#8a95a3",
    "accent": "#2258c4",
    "accent_soft": "#e6eefc",
    "selection": "#d4e2fb",
    "alert": "#b42318",
    "alert_soft": "#fdecea",
    "warn": "#9a5b00",
    "warn_soft": "#fff3dc",
    "info": "#1e5a8c",
    "info_soft": "#e9f2fb",
    "ok": "#1d7a46",
}

# Preferred UI fonts, best first; the first one installed wins (DejaVu Sans ships with fonts-dejavu-core).
FONT_FAMILIES = ("Inter", "Segoe UI", "Noto Sans", "Cantarell", "Ubuntu", "Open Sans", "DejaVu Sans")
FONT_POINT_SIZE = 10

_VAR = re.compile(r"@([a-z_]+)\b")
_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)


def color(name: str) -> QColor:
    """A palette colour by name (for models that colour text by meaning)."""
    return QColor(PALETTE[name])


def stylesheet(palette: dict[str, str] | None = None) -> str:
    """The application stylesheet with every ``@variable`` replaced; unknown variables are an error."""
    pal = {**(palette or PALETTE), "icon_dir": resources.path("icons").as_posix()}
    text = _COMMENT.sub("", resources.read_text("styles/app.qss"))

    def sub(m: re.Match[str]) -> str:
        try:
            return pal[m.group(1)]
        except KeyError:
            raise resources.ResourceError(f"styles/app.qss: unknown colour @{m.group(1)}") from None

    return _VAR.sub(sub, text)


def app_icon() -> QIcon:
    icon = QIcon()
    for name in ("icons/agent-assist.svg", "icons/agent-assist-256.png"):
        p = resources.path(name)
        if p.exists():
            icon.addFile(str(p))
    return icon


def icon(name: str) -> QIcon:
    """A small SVG icon from ``resources/icons/<name>.svg`` (empty icon if missing)."""
    p = resources.path(f"icons/{name}.svg")
    return QIcon(str(p)) if p.exists() else QIcon()


def ui_font() -> QFont:
    installed = set(QFontDatabase.families())
    family = next((f for f in FONT_FAMILIES if f in installed), "")
    font = QFont(family) if family else QFont()
    font.setPointSize(FONT_POINT_SIZE)
    font.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
    return font


def apply(app: QApplication) -> None:
    """Fusion style, the palette, the font and the stylesheet, on the whole application."""
    app.setStyle("Fusion")
    pal = QPalette()
    roles = {
        QPalette.ColorRole.Window: "window",
        QPalette.ColorRole.Base: "surface",
        QPalette.ColorRole.AlternateBase: "surface_alt",
        QPalette.ColorRole.Text: "text",
        QPalette.ColorRole.WindowText: "text",
        QPalette.ColorRole.ButtonText: "text",
        QPalette.ColorRole.Button: "surface",
        QPalette.ColorRole.Highlight: "selection",
        QPalette.ColorRole.HighlightedText: "text",
        QPalette.ColorRole.PlaceholderText: "faint",
        QPalette.ColorRole.ToolTipBase: "surface",
        QPalette.ColorRole.ToolTipText: "text",
        QPalette.ColorRole.Link: "accent",
    }
    for role, name in roles.items():
        pal.setColor(role, color(name))
    app.setPalette(pal)
    app.setFont(ui_font())
    app.setStyleSheet(stylesheet())
