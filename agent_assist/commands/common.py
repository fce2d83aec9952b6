"""Helpers shared by the headless commands."""

from __future__ import annotations

import argparse
from pathlib import Path

from sqlite_utils import Database

from agent_assist import settings as settings_mod
from agent_assist.store.db import connect


def db_path(args: argparse.Namespace) -> Path:
    return settings_mod.db_path_from_args(args)


def open_db(args: argparse.Namespace, create: bool = True, writer: bool = True) -> Database:
    """The database of ``--db``; a writer (import, practice) is refused while a window has it open."""
    return connect(db_path(args), create=create, writer=writer)


def load_settings(args: argparse.Namespace) -> settings_mod.Settings:
    s, _problems = settings_mod.load()
    return settings_mod.apply_args(s, args)
