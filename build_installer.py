#!/usr/bin/env python3
"""Build the standalone Agent Assist bundle and the installer for this platform.

    .venv/bin/python build_installer.py            # bundle + installer(s) in dist/
    AGENT_ASSIST_BUILD_DEBUG=1 .venv/bin/python build_installer.py   # console, debug bootloader, unstripped

Steps: PyInstaller one-folder bundle at ``dist/agent-assist/`` (spec: ``packaging/agent-assist.spec``, what
goes in and what is left out: ``packaging/bundle_config.py``), a size breakdown, a check that every library
in the bundle resolves, ``dist/agent-assist/agent-assist --self-test`` (the build fails on any FAIL line or
unexpected stderr), then the installer: on Linux a ``.deb`` and a ``.tar.gz`` in ``dist/``; on Windows an
Inno Setup script (compiled when ``iscc`` is on PATH); on macOS the ``.app`` (zipped). The Windows and macOS
paths are written against their tools' documentation and only run on those systems.

The version and the app id come from the package (``agent_assist.__version__``, ``agent_assist.APP_ID``).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent
PACKAGING = ROOT / "packaging"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(PACKAGING))

import bundle_config  # noqa: E402

import agent_assist  # noqa: E402

APP_ID = agent_assist.APP_ID
APP_NAME = agent_assist.APP_NAME
VERSION = agent_assist.__version__
DEBUG = os.environ.get("AGENT_ASSIST_BUILD_DEBUG", "") not in ("", "0")
# 300 MB until this release; on-device speech recognition (pocketsphinx and its US-English model, 38 MB)
# and the Silero VAD runtime (onnxruntime, 78 MB) are new parts the app needs, so the budget grows by them.
SIZE_BUDGET_MB = 420

# Lines the frozen self-test may print on stderr. Each must be harmless; anything else fails the build.
STDERR_ALLOWED = [
    # Qt's offscreen platform (used because the build machine has no display) has no window manager to
    # pass size hints to; Qt says so once when a window is shown. It does not happen on xcb/wayland.
    (re.compile(r"^This plugin does not support propagateSizeHints\(\)$"), "offscreen platform, no WM"),
]

# Debian packages the bundle needs from the system that the library scan cannot see: pyttsx3 loads
# libespeak-ng with ctypes (practice mode's spoken customer) and Qt needs at least one font.
DEB_EXTRA_DEPENDS = ["libespeak-ng1", "espeak-ng-data", "fonts-dejavu-core | fonts-freefont-ttf"]
# Used when dpkg cannot tell which packages provide the libraries (not a Debian-family build host).
DEB_FALLBACK_DEPENDS = [
    "libc6", "libegl1", "libgl1", "libopengl0", "libfontconfig1", "libfreetype6", "libdbus-1-3",
    "libglib2.0-0", "libxkbcommon0", "libxkbcommon-x11-0", "libx11-6", "libx11-xcb1", "libxcb1",
    "libxcb-cursor0", "libxcb-icccm4", "libxcb-image0", "libxcb-keysyms1", "libxcb-randr0",
    "libxcb-render-util0", "libxcb-shape0", "libxcb-xinerama0", "libxcb-xkb1", "libxcb-xfixes0",
    "libpulse0",
]


def log(msg: str) -> None:
    print(f"[build] {msg}", flush=True)


class BuildError(SystemExit):
    def __init__(self, msg: str) -> None:
        super().__init__(f"build_installer: {msg}")


# -- icon ------------------------------------------------------------------------------------------------
def find_icon_sources() -> tuple[Path | None, Path | None]:
    """(svg, png) of the app icon: the UI's icons in resources/, else the fallback in packaging/icons."""
    svg = png = None
    for folder in (ROOT / "resources" / "icons", PACKAGING / "icons"):
        svg = svg or next((p for p in [folder / f"{APP_ID}.svg"] if p.is_file()), None)
        png = png or next((p for p in [folder / f"{APP_ID}-256.png", folder / f"{APP_ID}.png"]
                           if p.is_file()), None)
    if svg is None and png is None:
        raise BuildError(f"no icon: expected resources/icons/{APP_ID}.svg or packaging/icons/{APP_ID}.svg")
    return svg, png


def render_png(svg: Path, out: Path, size: int = 256) -> Path:
    """Render the SVG icon to a PNG with Qt (offscreen, in a child process so no QApplication lingers)."""
    code = (
        "import sys; from PySide6.QtGui import QGuiApplication, QImage, QPainter, QColor;"
        "from PySide6.QtSvg import QSvgRenderer; app = QGuiApplication([]);"
        f"img = QImage({size}, {size}, QImage.Format.Format_ARGB32); img.fill(QColor(0, 0, 0, 0));"
        "p = QPainter(img); QSvgRenderer(sys.argv[1]).render(p); p.end();"
        "sys.exit(0 if img.save(sys.argv[2]) else 1)"
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    subprocess.run([sys.executable, "-c", code, str(svg), str(out)], check=True, env=env)
    return out


def png_size(data: bytes) -> tuple[int, int]:
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise BuildError("icon is not a PNG file")
    return struct.unpack(">II", data[16:24])


def png_to_ico(data: bytes) -> bytes:
    """A Windows .ico holding one PNG image (supported since Windows Vista)."""
    w, h = png_size(data)
    header = struct.pack("<HHH", 0, 1, 1)
    entry = struct.pack("<BBBBHHII", w % 256, h % 256, 0, 0, 1, 32, len(data), 6 + 16)
    return header + entry + data


def png_to_icns(data: bytes) -> bytes:
    """A macOS .icns holding one PNG image (type ic08 = 256x256, ic09 = 512x512)."""
    w, _h = png_size(data)
    kind = {512: b"ic09", 1024: b"ic10"}.get(w, b"ic08")
    chunk = kind + struct.pack(">I", 8 + len(data)) + data
    return b"icns" + struct.pack(">I", 8 + len(chunk)) + chunk


def prepare_icons(work: Path) -> dict[str, Path]:
    """The icon files for this build: 'png' and 'svg' (Linux desktop) and 'bundle' (the OS's format)."""
    work.mkdir(parents=True, exist_ok=True)
    svg, png = find_icon_sources()
    if png is None:
        assert svg is not None
        png = render_png(svg, work / f"{APP_ID}.png")
    icons = {"png": png}
    if svg is not None:
        icons["svg"] = svg
    if sys.platform == "win32":
        ico = work / f"{APP_ID}.ico"
        ico.write_bytes(png_to_ico(png.read_bytes()))
        icons["bundle"] = ico
    elif sys.platform == "darwin":
        icns = work / f"{APP_ID}.icns"
        icns.write_bytes(png_to_icns(png.read_bytes()))
        icons["bundle"] = icns
    else:
        icons["bundle"] = png
    return icons


# -- bundle ----------------------------------------------------------------------------------------------
def build_bundle(dist: Path, work: Path, icon: Path) -> Path:
    unlisted = bundle_config.unlisted_resources(ROOT)
    if unlisted:
        raise BuildError("files under resources/ missing from packaging/bundle_config.py RESOURCE_FILES: "
                         + ", ".join(unlisted))
    cmd = [sys.executable, "-m", "PyInstaller", str(PACKAGING / "agent-assist.spec"), "--noconfirm",
           "--distpath", str(dist), "--workpath", str(work),
           "--log-level", "DEBUG" if DEBUG else "WARN"]
    if os.name == "posix" and shutil.which("nice"):
        cmd = ["nice", "-n", "10", *cmd]  # the build is CPU-heavy; keep the machine responsive
    env = dict(os.environ, AGENT_ASSIST_BUILD_ICON=str(icon))
    log("PyInstaller: " + " ".join(cmd))
    subprocess.run(cmd, check=True, env=env, cwd=ROOT)
    bundle = dist / APP_ID
    if not program(bundle).is_file():
        raise BuildError(f"PyInstaller finished but {program(bundle)} is missing")
    return bundle


def program(bundle: Path) -> Path:
    return bundle / (f"{APP_ID}.exe" if sys.platform == "win32" else APP_ID)


def size_breakdown(bundle: Path) -> tuple[int, list[tuple[str, int]], list[tuple[str, int]]]:
    """(total bytes, [(component, bytes)] largest first, [(file, bytes)] largest first)."""
    groups: dict[str, int] = defaultdict(int)
    files: list[tuple[str, int]] = []
    total = 0
    for f in bundle.rglob("*"):
        if f.is_symlink() or not f.is_file():
            continue
        size = f.stat().st_size
        total += size
        rel = f.relative_to(bundle)
        files.append((rel.as_posix(), size))
        groups[_component(rel.parts)] += size
    return (total, sorted(groups.items(), key=lambda kv: -kv[1]), sorted(files, key=lambda kv: -kv[1]))


def _component(parts: Sequence[str]) -> str:
    parts = list(parts[1:]) if parts and parts[0] == "_internal" else list(parts)
    if len(parts) == 1:
        name = parts[0]
        if ".so" in name or name.endswith((".dll", ".dylib")):
            return "libraries beside the program (Python, system libs)"
        return name
    if parts[:2] == ["PySide6", "Qt"] and len(parts) > 3:
        return "/".join(parts[:4]) if parts[2] == "plugins" else "/".join(parts[:3])
    return parts[0] + "/"


def print_size_report(bundle: Path, top: int = 15) -> int:
    total, groups, files = size_breakdown(bundle)
    mb = 1024 * 1024
    log(f"bundle size: {total / mb:.1f} MB unpacked (budget {SIZE_BUDGET_MB} MB) in {bundle}")
    print("  largest components:")
    for name, size in groups[:top]:
        print(f"    {size / mb:7.1f} MB  {name}")
    print("  largest files:")
    for name, size in files[:top]:
        print(f"    {size / mb:7.1f} MB  {name}")
    return total


# -- checks on the built bundle --------------------------------------------------------------------------
def _elf_files(bundle: Path) -> list[Path]:
    out = []
    for f in bundle.rglob("*"):
        if f.is_file() and not f.is_symlink():
            with f.open("rb") as fh:
                if fh.read(4) == b"\x7fELF":
                    out.append(f)
    return out


def linked_libraries(bundle: Path) -> tuple[set[str], dict[str, set[str]]]:
    """(system library paths the bundle links against, {missing library: {files needing it}}), via ldd.

    LD_LIBRARY_PATH is the bundle's library folder, as the PyInstaller bootloader sets it at run time.
    """
    libdir = bundle / "_internal"
    env = dict(os.environ, LD_LIBRARY_PATH=str(libdir))
    system: set[str] = set()
    missing: dict[str, set[str]] = defaultdict(set)
    files = _elf_files(bundle)
    for i in range(0, len(files), 64):
        batch = files[i:i + 64]
        out = subprocess.run(["ldd", *map(str, batch)], capture_output=True, text=True, env=env).stdout
        current = str(batch[0]) if len(batch) == 1 else ""
        for line in out.splitlines():
            if not line.startswith(("\t", " ")) and line.endswith(":"):
                current = line[:-1]
                continue
            m = re.match(r"\s*(\S+) => (not found|\S+)", line)
            if not m:
                continue
            name, where = m.groups()
            if where == "not found":
                missing[name].add(os.path.relpath(current, bundle) if current else "?")
            elif not Path(where).resolve().is_relative_to(bundle.resolve()):
                system.add(where)
    return system, dict(missing)


def check_libraries(bundle: Path) -> set[str]:
    """Fail when a library in the bundle links against one that is neither bundled nor on this system."""
    if not sys.platform.startswith("linux") or not shutil.which("ldd"):
        return set()
    system, missing = linked_libraries(bundle)
    if missing:
        lines = [f"{lib} (needed by {', '.join(sorted(who)[:3])})" for lib, who in sorted(missing.items())]
        raise BuildError("libraries that do not resolve in the bundle: " + "; ".join(lines))
    log(f"all {len(_elf_files(bundle))} binaries resolve; {len(system)} system libraries used")
    return system


def check_self_test_output(returncode: int, stdout: str, stderr: str) -> list[str]:
    """Problems with a self-test run: a non-zero exit, FAIL lines, unknown stdout or stderr lines."""
    problems = []
    if returncode != 0:
        problems.append(f"exit code {returncode}")
    lines = [line for line in stdout.splitlines() if line.strip()]
    for line in lines:
        if line.startswith("FAIL"):
            problems.append(f"failed check: {line}")
        elif not (line.startswith("ok   ") or line.startswith("self-test passed")):
            problems.append(f"unexpected output: {line}")
    if not lines or not lines[-1].startswith("self-test passed"):
        problems.append("no 'self-test passed' line")
    for line in stderr.splitlines():
        if line.strip() and not any(rx.match(line.strip()) for rx, _why in STDERR_ALLOWED):
            problems.append(f"unexpected stderr: {line}")
    return problems


def self_test_env(home: Path) -> dict[str, str]:
    """The environment a self-test runs in: offscreen Qt and private user folders."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AGENT_ASSIST_", "QT_", "PYTHON", "XDG_")) and k not in ("VIRTUAL_ENV",)}
    env.update(QT_QPA_PLATFORM="offscreen", HOME=str(home), XDG_RUNTIME_DIR=str(home / "run"))
    if DEBUG:
        env["AGENT_ASSIST_DEBUG"] = "1"  # tracebacks for failed checks
    (home / "run").mkdir(mode=0o700, parents=True, exist_ok=True)
    return env


def run_self_test(exe: Path, timeout: float = 300) -> str:
    with tempfile.TemporaryDirectory(prefix="aa-selftest-home-") as home:
        t0 = time.perf_counter()
        r = subprocess.run([str(exe), "--self-test"], capture_output=True, text=True, timeout=timeout,
                           env=self_test_env(Path(home)), cwd=home)
        elapsed = time.perf_counter() - t0
    print(r.stdout, end="")
    if r.stderr.strip():
        print("  stderr:\n" + "\n".join("    " + line for line in r.stderr.splitlines()))
    problems = check_self_test_output(r.returncode, r.stdout, r.stderr)
    if DEBUG:  # the debug bootloader logs every start-up step on stderr: only the checks count
        problems = [p for p in problems if not p.startswith("unexpected stderr")]
    if problems:
        raise BuildError(f"self-test of {exe} failed:\n  " + "\n  ".join(problems))
    log(f"self-test of {exe} passed in {elapsed:.1f} s")
    return r.stdout


# -- Linux: .deb and .tar.gz -------------------------------------------------------------------------------
def deb_arch() -> str:
    if shutil.which("dpkg"):
        return subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True,
                              check=True).stdout.strip()
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())


def _dpkg_owner(paths: Iterable[str]) -> dict[str, str]:
    """{library path: Debian package} for the paths dpkg knows (merged-/usr aware)."""
    owners: dict[str, str] = {}
    for p in sorted(set(paths)):
        candidates = {p, os.path.realpath(p)}
        for c in list(candidates):
            if c.startswith("/usr/lib/"):
                candidates.add(c[4:])
            elif c.startswith("/lib/"):
                candidates.add("/usr" + c)
        for c in sorted(candidates):
            r = subprocess.run(["dpkg", "-S", c], capture_output=True, text=True)
            if r.returncode == 0 and r.stdout:
                owners[p] = r.stdout.split(":", 1)[0].split(",")[0].strip()
                break
    return owners


def deb_depends(system_libs: set[str]) -> list[str]:
    """Depends: the packages owning the system libraries the bundle links against, plus the extras."""
    if not shutil.which("dpkg") or not system_libs:
        pkgs = set(DEB_FALLBACK_DEPENDS)
    else:
        owners = _dpkg_owner(system_libs)
        unknown = sorted(set(system_libs) - set(owners))
        if unknown:
            log("no Debian package owns (left out of Depends): " + ", ".join(unknown))
        pkgs = set(owners.values())
    glibc = platform.libc_ver()[1]
    deps = sorted(pkgs - {"libc6"})
    return [f"libc6 (>= {glibc})" if glibc else "libc6", *deps, *DEB_EXTRA_DEPENDS]


def _fill(template: Path, **values: str) -> str:
    text = template.read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace(f"@{key}@", value)
    left = re.findall(r"@[A-Z_]+@", text)
    if left:
        raise BuildError(f"{template.name}: unfilled placeholders {sorted(set(left))}")
    return text


def _dir_kb(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink()) // 1024 + 1


def build_deb(bundle: Path, dist: Path, work: Path, icons: dict[str, Path], system_libs: set[str],
              fast: bool = False) -> Path:
    """A .deb from a staging tree: /opt/<app>/, /usr/bin/<app> -> /opt/<app>/<app>, desktop entry, icons."""
    arch = deb_arch()
    stage = work / "deb" / f"{APP_ID}_{VERSION}_{arch}"
    if stage.exists():
        shutil.rmtree(stage)
    opt = stage / "opt" / APP_ID
    shutil.copytree(bundle, opt, symlinks=True)
    (stage / "usr" / "bin").mkdir(parents=True)
    (stage / "usr" / "bin" / APP_ID).symlink_to(f"/opt/{APP_ID}/{APP_ID}")
    apps = stage / "usr" / "share" / "applications"
    apps.mkdir(parents=True)
    (apps / f"{APP_ID}.desktop").write_text(
        _fill(PACKAGING / "agent-assist.desktop.in", APP_ID=APP_ID, APP_NAME=APP_NAME, VERSION=VERSION),
        encoding="utf-8")
    hicolor = stage / "usr" / "share" / "icons" / "hicolor"
    w, h = png_size(icons["png"].read_bytes())
    (hicolor / f"{w}x{h}" / "apps").mkdir(parents=True)
    shutil.copy2(icons["png"], hicolor / f"{w}x{h}" / "apps" / f"{APP_ID}.png")
    if "svg" in icons:
        (hicolor / "scalable" / "apps").mkdir(parents=True)
        shutil.copy2(icons["svg"], hicolor / "scalable" / "apps" / f"{APP_ID}.svg")
    doc = stage / "usr" / "share" / "doc" / APP_ID
    doc.mkdir(parents=True)
    (doc / "copyright").write_text(
        f"Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"
        f"Upstream-Name: {APP_ID}\n\nFiles: *\nLicense: MIT\n"
        f" The bundle in /opt/{APP_ID} contains third-party libraries under their own licenses\n"
        f" (Qt/PySide6: LGPL-3.0; spaCy and its model: MIT; Python: PSF-2.0).\n", encoding="utf-8")
    debian = stage / "DEBIAN"
    debian.mkdir()
    control = _fill(
        PACKAGING / "debian-control.in", APP_ID=APP_ID, VERSION=VERSION, ARCH=arch,
        DEPENDS=", ".join(deb_depends(system_libs)), INSTALLED_SIZE=str(_dir_kb(stage)),
        DESCRIPTION=_description(),
    )
    (debian / "control").write_text(control, encoding="utf-8")
    for f in stage.rglob("*"):  # dpkg-deb wants sane modes: dirs 755, files 644 or 755
        if f.is_symlink():
            continue
        mode = f.stat().st_mode
        f.chmod(0o755 if f.is_dir() or mode & 0o111 else 0o644)
    out = dist / f"{APP_ID}_{VERSION}_{arch}.deb"
    t0 = time.perf_counter()
    # xz -6: the smallest package any dpkg reads (91 MB, ~2.5 min on 2 cores); zstd for quick test builds
    # (114 MB in seconds; needs dpkg >= 1.21.18 / Debian 12, Ubuntu 18.04)
    compress = ["-Zzstd", "-z9"] if fast else ["-Zxz", "-z6"]
    subprocess.run(["dpkg-deb", "--root-owner-group", *compress, "--build", str(stage), str(out)],
                   check=True, stdout=subprocess.DEVNULL)
    log(f"{out.name}: {out.stat().st_size / 2**20:.1f} MB ({time.perf_counter() - t0:.0f} s)")
    return out


def _description() -> str:
    from importlib.metadata import PackageNotFoundError, metadata

    try:
        summary = metadata(APP_ID)["Summary"]
    except PackageNotFoundError:
        summary = f"{APP_NAME}: offline assistant for call-center agents"
    return summary.rstrip(".")


def build_tarball(bundle: Path, dist: Path, fast: bool = False) -> Path:
    out = dist / f"{APP_ID}-{VERSION}-linux-{platform.machine()}.tar.gz"
    t0 = time.perf_counter()
    with tarfile.open(out, "w:gz", compresslevel=1 if fast else 6) as tar:
        tar.add(bundle, arcname=APP_ID)
    log(f"{out.name}: {out.stat().st_size / 2**20:.1f} MB ({time.perf_counter() - t0:.0f} s)")
    return out


# -- Windows and macOS (run only there) --------------------------------------------------------------------
def build_inno_setup(bundle: Path, dist: Path, work: Path, icons: dict[str, Path]) -> Path:
    """Write the Inno Setup script; compile it when iscc is on PATH (Windows only)."""
    app_guid = str(uuid.uuid5(uuid.NAMESPACE_DNS, f"{APP_ID}.{agent_assist.ORG_NAME.lower()}")).upper()
    iss = work / f"{APP_ID}.iss"
    iss.write_text(_fill(
        PACKAGING / "agent-assist.iss.in", APP_ID=APP_ID, APP_NAME=APP_NAME, VERSION=VERSION,
        APP_GUID=app_guid, BUNDLE=str(bundle), DIST=str(dist), ICON=str(icons["bundle"]),
        PUBLISHER=agent_assist.ORG_NAME,
    ), encoding="utf-8")
    iscc = shutil.which("iscc") or shutil.which("ISCC")
    if iscc:
        subprocess.run([iscc, str(iss)], check=True)
        log(f"installer: {dist / f'{APP_ID}-{VERSION}-setup.exe'}")
    else:
        log(f"Inno Setup not found; compile {iss} with iscc to get the installer")
    return iss


def build_macos_zip(dist: Path) -> Path:
    """Zip the .app that the spec's BUNDLE step made (ditto keeps the bundle's metadata)."""
    app = dist / f"{APP_NAME}.app"
    if not app.is_dir():
        raise BuildError(f"{app} is missing (the spec makes it on macOS)")
    out = dist / f"{APP_ID}-{VERSION}-macos.zip"
    subprocess.run(["ditto", "-c", "-k", "--keepParent", str(app), str(out)], check=True)
    return out


# -- main ----------------------------------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dist", type=Path, default=ROOT / "dist", help="output folder (default: dist/)")
    p.add_argument("--work", type=Path, default=ROOT / "build", help="build folder (default: build/)")
    p.add_argument("--reuse-bundle", action="store_true",
                   help="skip PyInstaller and package the bundle already in the output folder")
    p.add_argument("--no-installer", action="store_true", help="stop after the bundle's self-test")
    p.add_argument("--fast", action="store_true",
                   help="quick compression for test builds (zstd .deb, gzip -1 .tar.gz)")
    args = p.parse_args(argv)
    dist, work = args.dist.resolve(), args.work.resolve()
    t_start = time.perf_counter()
    log(f"{APP_NAME} {VERSION} ({APP_ID}) for {sys.platform}/{platform.machine()}"
        + (" [debug build]" if DEBUG else ""))
    icons = prepare_icons(work / "icons")

    t0 = time.perf_counter()
    if args.reuse_bundle:
        bundle = dist / APP_ID
        if not program(bundle).is_file():
            raise BuildError(f"--reuse-bundle: no bundle at {bundle}")
    else:
        bundle = build_bundle(dist, work / "pyinstaller", icons["bundle"])
    t_bundle = time.perf_counter() - t0

    total = print_size_report(bundle)
    system_libs = check_libraries(bundle)
    run_self_test(program(bundle))

    outputs: list[Path] = []
    if not args.no_installer:
        if sys.platform.startswith("linux"):
            if shutil.which("dpkg-deb"):
                outputs.append(build_deb(bundle, dist, work, icons, system_libs, args.fast))
            else:
                log("dpkg-deb not found: no .deb (install dpkg-dev on a Debian-family system)")
            outputs.append(build_tarball(bundle, dist, args.fast))
        elif sys.platform == "win32":
            outputs.append(build_inno_setup(bundle, dist, work, icons))
        elif sys.platform == "darwin":
            outputs.append(build_macos_zip(dist))

    log(f"done in {time.perf_counter() - t_start:.0f} s (PyInstaller {t_bundle:.0f} s); "
        f"bundle {total / 2**20:.1f} MB")
    for o in [bundle, *outputs]:
        print(f"  {o}")
    if total > SIZE_BUDGET_MB * 2**20:
        log(f"warning: the bundle is over the {SIZE_BUDGET_MB} MB budget")
    return 0


if __name__ == "__main__":
    sys.exit(main())
