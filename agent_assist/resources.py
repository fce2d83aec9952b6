"""The one door to the ``resources/`` folder (phrasing patterns, scenarios, styles, icons).

It is found, in this order: in a PyInstaller bundle (``sys._MEIPASS/resources``); inside the installed
package (``agent_assist/_resources``, where the wheel build puts ``resources/``, located with
``importlib.resources`` so it works wherever the package is installed); and in a source checkout or an
editable install (``<repo>/resources`` beside the package). The package copy comes before the checkout so
an installed app never picks up some unrelated ``resources`` folder that happens to sit beside
site-packages. Callers name files relative to that folder; absolute paths and ``..`` are refused so a
resource name can never escape it.
"""

from __future__ import annotations

import importlib.resources
import json
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any


class ResourceError(LookupError):
    """A resource name is invalid or the file is missing."""


@cache
def root() -> Path:
    candidates: list[Path] = []
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        candidates.append(Path(frozen) / "resources")
    packaged = importlib.resources.files("agent_assist") / "_resources"
    if isinstance(packaged, Path):  # an installed wheel (a zip import would not be a Path; we never zip)
        candidates.append(packaged)
    candidates.append(Path(__file__).resolve().parent.parent / "resources")  # source checkout / editable
    for c in candidates:
        if c.is_dir():
            return c
    raise ResourceError("resources folder not found (looked in: " + ", ".join(map(str, candidates)) + ")")


def path(name: str) -> Path:
    """Absolute path of resource ``name`` (e.g. ``"phrasing/patterns.jsonl"``)."""
    pure = PurePosixPath(name)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts:
        raise ResourceError(f"invalid resource name: {name!r}")
    return root().joinpath(*pure.parts)


def read_text(name: str) -> str:
    p = path(name)
    try:
        return p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ResourceError(f"missing resource: {name}") from None


def read_jsonl(name: str) -> Iterator[dict[str, Any]]:
    """Yield the JSON objects of a JSONL resource; blank lines and ``//`` comments are skipped."""
    for lineno, line in enumerate(read_text(name).splitlines(), 1):
        s = line.strip()
        if not s or s.startswith("//"):
            continue
        try:
            obj = json.loads(s)
        except json.JSONDecodeError as e:
            raise ResourceError(f"{name}:{lineno}: not valid JSON ({e.msg})") from None
        if not isinstance(obj, dict):
            raise ResourceError(f"{name}:{lineno}: expected a JSON object")
        yield obj


def listdir(name: str) -> list[str]:
    """Names of the files in resource folder ``name``, sorted."""
    p = path(name)
    if not p.is_dir():
        return []
    return sorted(c.name for c in p.iterdir() if c.is_file())
