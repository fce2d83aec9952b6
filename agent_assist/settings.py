"""User settings: a small JSON file in the user config directory (platformdirs).

Pure Python so the CLI and the GUI read the same values. Unknown keys are kept; bad values fall back to
defaults with the problem reported by :func:`load` rather than raised.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import platformdirs

from agent_assist import APP_ID

DB_FILENAME = "agent-assist.db"

# the known softphones (agent_assist.ui.desk.os_focus.DEFAULT_ALLOW, repeated: settings import no Qt layer)
_FOCUS_ALLOW = ("twinkle", "baresip", "linphone", "microsip", "zoiper", "jitsi", "jami", "ekiga", "sflphone",
                "blink", "bria", "x-lite", "3cxphone", "3cx", "phoner", "sipphone", "telephone", "yate",
                "qutecom", "mizu")


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
    softphone: str = ""  # baresip://127.0.0.1:4444 follows baresip's ctrl_tcp (also --softphone)
    webhook_listen: str = ""  # 127.0.0.1:8788 accepts Generic CTI posts from a PBX (needs webhook_secret)
    webhook_secret: str = ""  # or AGENT_ASSIST_WEBHOOK_SECRET; at least 16 characters
    focus_minimise_others: bool = False  # call focus minimises other applications' windows
    focus_allow: list[str] = field(default_factory=lambda: list(_FOCUS_ALLOW))  # WM_CLASS never minimised
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
    p.parent.mkdir(parents=True, exist_ok=True)
    data = {k: v for k, v in asdict(s).items() if k != "extra"}
    data.update(s.extra)
    tmp = p.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2), encoding="utf-8")
    os.replace(tmp, p)


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
