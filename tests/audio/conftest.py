"""Session fixtures: a real two-party call spoken by espeak-ng, as arrays and as files."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.audio.speech import Spoken, build, write_stereo


@pytest.fixture(scope="session")
def speech_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("espeak")


@pytest.fixture(scope="session")
def call8k(speech_cache: Path) -> Spoken:
    return build(8000, speech_cache)


@pytest.fixture(scope="session")
def call16k(speech_cache: Path) -> Spoken:
    return build(16000, speech_cache)


@pytest.fixture(scope="session")
def call_wav(call8k: Spoken, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_stereo(call8k, tmp_path_factory.mktemp("calls") / "call.wav")
