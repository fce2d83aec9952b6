"""Optional engine: a local faster-whisper (CTranslate2) model folder, e.g. a converted
``faster-whisper-small.en`` (``pip install 'agent-assist[whisper]'``). Whisper decodes whole utterances,
so ``feed`` only collects audio and gives no partials. Never downloads: the folder must be local."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from agent_assist.audio.recognition.base import Hypothesis, ModelError, RecogniserFailed, Word

RATE = 16000


def check_model_folder(path: str | Path) -> Path:
    root = Path(path).expanduser()
    if not str(path).strip():
        raise ModelError("the faster-whisper engine needs a model folder: set 'speech_model' to a local "
                         "CTranslate2 Whisper model folder (download it yourself; the app never does)")
    if not root.is_dir():
        raise ModelError(f"faster-whisper model folder {root} does not exist")
    if not (root / "model.bin").exists() or not (root / "config.json").exists():
        raise ModelError(f"{root} is not a faster-whisper (CTranslate2) model folder "
                         "(no model.bin and config.json)")
    return root


class WhisperRecogniser:
    name = "faster-whisper"
    rate = RATE

    def __init__(self, model: str | Path, cpu_threads: int = 2) -> None:
        root = check_model_folder(model)
        try:
            from faster_whisper import WhisperModel
        except ImportError:
            raise ModelError("the faster-whisper engine needs the 'faster-whisper' package: pip install "
                             "'agent-assist[whisper]'") from None
        try:
            self._model: Any = WhisperModel(str(root), device="cpu", compute_type="int8",
                                            cpu_threads=cpu_threads, local_files_only=True)
        except Exception as e:  # CTranslate2 raises RuntimeError/ValueError for a bad folder
            raise ModelError(f"faster-whisper could not load {root} ({e})") from None
        self._chunks: list[np.ndarray] = []
        self._start = 0.0

    def begin(self, start_s: float) -> None:
        self._chunks = []
        self._start = start_s

    def feed(self, samples: np.ndarray) -> Hypothesis | None:
        self._chunks.append(np.asarray(samples, dtype=np.int16))
        return None

    def end(self) -> Hypothesis:
        x = np.concatenate(self._chunks).astype(np.float32) / 32768 if self._chunks else np.zeros(0, np.float32)
        n = len(x)
        try:
            segments, _info = self._model.transcribe(x, language="en", beam_size=1, word_timestamps=True,
                                                     vad_filter=False, condition_on_previous_text=False)
            segs = list(segments)
        except Exception as e:
            raise RecogniserFailed(f"faster-whisper failed ({e})") from None
        words = tuple(Word(w.word.strip(), self._start + float(w.start), self._start + float(w.end))
                      for s in segs for w in (s.words or []))
        text = " ".join(s.text.strip() for s in segs).strip()
        return Hypothesis(self._start, self._start + n / RATE, text, final=True, words=words)

    def close(self) -> None:
        self._chunks = []
