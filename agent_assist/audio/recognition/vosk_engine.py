"""Optional engine: a local Vosk (Kaldi) model folder, e.g. vosk-model-en-us-0.22 (``pip install
'agent-assist[vosk]'``). Used only when the settings point at such a folder; never downloaded."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from agent_assist.audio.recognition.base import Hypothesis, ModelError, RecogniserFailed, Word

RATE = 16000


def check_model_folder(path: str | Path) -> Path:
    root = Path(path).expanduser()
    if not str(path).strip():
        raise ModelError("the Vosk engine needs a model folder: set 'speech_model' to a folder such as "
                         "vosk-model-en-us-0.22 (download it yourself; the app never does)")
    if not root.is_dir():
        raise ModelError(f"Vosk model folder {root} does not exist")
    if not ((root / "am" / "final.mdl").exists() or (root / "final.mdl").exists()) or \
            not ((root / "conf" / "model.conf").exists() or (root / "graph").exists()):
        raise ModelError(f"{root} is not a Vosk model folder (no am/final.mdl and conf/model.conf)")
    return root


class VoskRecogniser:
    name = "vosk"
    rate = RATE

    def __init__(self, model: str | Path) -> None:
        root = check_model_folder(model)
        try:
            import vosk
        except ImportError:
            raise ModelError("the Vosk engine needs the 'vosk' package: pip install "
                             "'agent-assist[vosk]'") from None
        vosk.SetLogLevel(-1)
        try:
            self._model = vosk.Model(str(root))
        except Exception as e:  # vosk raises a bare Exception when Kaldi cannot read the folder
            raise ModelError(f"Vosk could not load {root} ({e})") from None
        self._vosk = vosk
        self._rec: Any = None
        self._start = 0.0
        self._n = 0

    def begin(self, start_s: float) -> None:
        self._rec = self._vosk.KaldiRecognizer(self._model, RATE)
        self._rec.SetWords(True)
        self._start = start_s
        self._n = 0

    def feed(self, samples: np.ndarray) -> Hypothesis | None:
        x = np.ascontiguousarray(samples, dtype=np.int16)
        self._n += len(x)
        try:
            self._rec.AcceptWaveform(x.tobytes())
            partial = json.loads(self._rec.PartialResult()).get("partial", "")
        except Exception as e:
            raise RecogniserFailed(f"Vosk failed ({e})") from None
        return Hypothesis(self._start, self._start + self._n / RATE, partial, final=False)

    def end(self) -> Hypothesis:
        try:
            res = json.loads(self._rec.FinalResult())
        except Exception as e:
            raise RecogniserFailed(f"Vosk failed ({e})") from None
        words = tuple(Word(w["word"], self._start + float(w["start"]), self._start + float(w["end"]))
                      for w in res.get("result", []))
        return Hypothesis(self._start, self._start + self._n / RATE, res.get("text", ""), final=True,
                          words=words)

    def close(self) -> None:
        self._rec = None
