"""Text-to-speech for practice mode: a small ``SpeechEngine`` interface and its pyttsx3 implementation.

Synthesis writes one WAV file per line; playing it is the UI's job (QtMultimedia), so nothing here needs
a sound device. Engines block while they synthesize: callers run them off the GUI thread.
"""

from agent_assist.voice.engine import (
    SpeechEngine,
    TtsUnavailable,
    Voice,
    choose_voice,
    wav_duration,
)

__all__ = ["SpeechEngine", "TtsUnavailable", "Voice", "choose_voice", "default_engine", "wav_duration"]


def default_engine() -> SpeechEngine:
    """The platform's engine (pyttsx3: espeak-ng on Linux). Raises ``TtsUnavailable`` saying why not."""
    from agent_assist.voice.pyttsx3_engine import Pyttsx3Engine

    return Pyttsx3Engine()
