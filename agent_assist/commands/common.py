"""Helpers shared by the headless commands."""

from __future__ import annotations

import argparse
from pathlib import Path

from sqlite_utils import Database

from agent_assist import settings as settings_mod
from agent_assist.store.db import connect, default_db_path


def db_path(args: argparse.Namespace) -> Path:
    return Path(args.db).expanduser() if getattr(args, "db", None) else default_db_path()


def open_db(args: argparse.Namespace, create: bool = True) -> Database:
    return connect(db_path(args), create=create)


def load_settings(args: argparse.Namespace) -> settings_mod.Settings:
    s, _problems = settings_mod.load()
    if getattr(args, "region", None):
        s.default_region = args.region.upper()
    if getattr(args, "agent", None):
        s.agent_id = args.agent
    if getattr(args, "profile", None):
        s.profile = args.profile
    return s
