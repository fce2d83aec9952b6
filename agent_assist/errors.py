"""Errors shared across layers."""

from __future__ import annotations


class CliError(Exception):
    """Raised by commands for a clean one-line failure (exit code 2 unless given)."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code
