"""The one error type of the audio layer."""

from __future__ import annotations


class AudioError(ValueError):
    """Bad or unusable audio, transcript or device, with a message fit for a user (one line)."""
