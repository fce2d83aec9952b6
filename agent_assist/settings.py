"""User settings: a small JSON file in the user config directory (platformdirs).

Pure Python so the CLI and the GUI read the same values. Unknown keys are kept; bad values fall back to
defaults with the problem reported by :func:`load` rather than raised.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import platformdirs

from agent_assist import APP_ID

DB_FILENAME = "agent-assist.db"


@dataclass
class Settings:
    default_region: str = "US"  # phone numbers without a country code are read in this region
    agent_id: int = 1  # the agent using this machine
    profile: str = "agent"  # agent | supervisor | trainer
    talk_target: float = 0.30  # agent share of the talking, at most
    silence_threshold_s: float = 3.0
    backchannel_max_s: float = 1.0
    monologue_cue_s: float = 60.0
    window_s: float = 120.0
    agent_device: str = ""  # QtMultimedia device id ('' = system default)
    customer_device: str = ""
    stereo_input: bool = False  # both parties on one stereo input (left = agent)
    tts_voice: str = ""
    extra: dict[str, object] = field(default_factory=dict)


def config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP_ID, appauthor=False))


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_ID, appauthor=False))


def default_db_path() -> Path:
    """The database in the user data directory (``--db`` overrides it; the store only ever takes a path)."""
    return data_dir() / DB_FILENAME


def settings_path() -> Path:
    return config_dir() / "settings.json"


def log_dir() -> Path:
    return Path(platformdirs.user_log_dir(APP_ID, appauthor=False))


def _own_dirs() -> tuple[Path, ...]:
    return (data_dir(), config_dir(), log_dir())


def ensure_private_dir(folder: Path) -> None:
    """Create ``folder`` (and missing parents) with mode 0700; the app's own folders are made 0700.

    A folder the user chose (``--db /shared/x.db``) keeps its mode if it already exists: only what this
    app creates, and its own data, config and log folders, are narrowed. Raises OSError.
    """
    folder = Path(folder)
    missing: list[Path] = []
    d = folder
    while not d.exists():
        missing.append(d)
        if d.parent == d:
            break
        d = d.parent
    for m in reversed(missing):
        with contextlib.suppress(FileExistsError):
            os.mkdir(m, 0o700)
        os.chmod(m, 0o700)  # mkdir's mode passes through the umask; this one must not
    if not folder.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(folder))
    own = {p.resolve() for p in _own_dirs() if p.exists()}
    if folder.resolve() in own and os.stat(folder).st_mode & 0o077:
        os.chmod(folder, 0o700)


def write_private(path: Path, data: str) -> None:
    """Write ``data`` to ``path`` atomically with mode 0600 (temp file beside it, then rename)."""
    ensure_private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(data)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)


def load(path: Path | None = None) -> tuple[Settings, list[str]]:
    """Read settings; returns (settings, problems). A missing file is not a problem."""
    p = path or settings_path()
    problems: list[str] = []
    s = Settings()
    try:
        raw = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return s, problems
    except (OSError, ValueError) as e:
        return s, [f"settings file {p} could not be read ({e}); using defaults"]
    if not isinstance(raw, dict):
        return s, [f"settings file {p} is not a JSON object; using defaults"]
    known = {f.name: f for f in fields(Settings)}
    for k, v in raw.items():
        if k not in known or k == "extra":
            s.extra[k] = v
            continue
        default = getattr(s, k)
        if isinstance(default, bool) != isinstance(v, bool) or not isinstance(v, type(default) | (int if isinstance(default, float) else type(default))):
            problems.append(f"setting {k!r} has a wrong type; using {default!r}")
            continue
        setattr(s, k, type(default)(v))
    return s, problems


def save(s: Settings, path: Path | None = None) -> None:
    p = path or settings_path()
    data = {k: v for k, v in asdict(s).items() if k != "extra"}
    data.update(s.extra)
    write_private(p, json.dumps(data, indent=2))


def apply_args(s: Settings, args: object) -> Settings:
    """Override settings with command-line options (``--region``, ``--agent``, ``--profile``)."""
    region = getattr(args, "region", None)
    if region:
        s.default_region = str(region).upper()
    agent = getattr(args, "agent", None)
    if agent:
        s.agent_id = int(agent)
    profile = getattr(args, "profile", None)
    if profile:
        s.profile = str(profile)
    return s


def db_path_from_args(args: object) -> Path:
    """``--db PATH`` if given, else the database in the user data directory."""
    db = getattr(args, "db", None)
    return Path(str(db)).expanduser() if db else default_db_path()
