"""The default engine: CMU PocketSphinx with the US-English model its wheel ships (nothing downloaded)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from agent_assist.audio.recognition.base import Hypothesis, ModelError, RecogniserFailed, Word

RATE = 16000
FRAME_S = 0.01  # PocketSphinx reports times in 10 ms frames
FILLERS = frozenset({"<s>", "</s>", "<sil>", "[NOISE]", "[SPEECH]", "[COUGH]", "[BREATH]", "[SMACK]",
                     "[UH]", "[UM]", "[LAUGH]", "[MUSIC]"})


def model_files(model: str | Path | None = None) -> dict[str, str]:
    """hmm / lm / dict of the packaged model, or of ``model`` (a folder with an acoustic model folder,
    a ``*.lm.bin`` or ``*.lm`` language model and a ``*.dict`` dictionary). ``ModelError`` if incomplete."""
    if model:
        root = Path(model).expanduser()
        if not root.is_dir():
            raise ModelError(f"speech model folder {root} does not exist")
        hmm = next((p.parent for p in sorted(root.rglob("mdef"))), None)
        lm = next(iter(sorted(root.glob("*.lm.bin")) + sorted(root.glob("*.lm"))), None)
        dic = next(iter(sorted(root.glob("*.dict")) + sorted(root.glob("*.dic"))), None)
        if hmm is None or lm is None or dic is None:
            raise ModelError(f"{root} is not a PocketSphinx model folder (it needs an acoustic model "
                             "folder with 'mdef', a '.lm.bin' language model and a '.dict' dictionary)")
        return {"hmm": str(hmm), "lm": str(lm), "dict": str(dic)}
    try:
        import pocketsphinx
    except ImportError:
        raise ModelError("speech recognition needs the 'pocketsphinx' package "
                         "(pip install pocketsphinx)") from None
    base = Path(pocketsphinx.get_model_path()) / "en-us"
    files = {"hmm": base / "en-us", "lm": base / "en-us.lm.bin", "dict": base / "cmudict-en-us.dict"}
    missing = [str(p) for p in files.values() if not p.exists()]
    if missing:
        raise ModelError("the US-English model of pocketsphinx is incomplete (missing "
                         + ", ".join(missing) + "); reinstall pocketsphinx")
    return {k: str(v) for k, v in files.items()}


def decoder_config(files: dict[str, str]) -> dict[str, Any]:
    """Keyword arguments of ``pocketsphinx.Decoder`` for ``files``: shared with the benchmark's bare
    decoder so both decode with exactly the same model."""
    return {"hmm": files["hmm"], "lm": files["lm"], "dict": files["dict"], "samprate": RATE,
            "loglevel": "FATAL"}


class PocketsphinxRecogniser:
    """PocketSphinx decoding of one utterance at a time, 16 kHz int16."""

    name = "pocketsphinx"
    rate = RATE

    def __init__(self, model: str | Path | None = None, lm: str | Path | None = None,
                 dictionary: str | Path | None = None) -> None:
        files = model_files(model)
        if lm:
            files["lm"] = str(lm)
        if dictionary:
            files["dict"] = str(dictionary)
        from pocketsphinx import Decoder

        try:
            self._dec = Decoder(**decoder_config(files))
        except (RuntimeError, ValueError) as e:
            raise ModelError(f"PocketSphinx could not load its model ({e})") from None
        self._start = 0.0
        self._n = 0
        self._partial_every = RATE // 2
        self._since = 0
        self.files = files

    def begin(self, start_s: float) -> None:
        self._start = start_s
        self._n = 0
        self._since = 0
        try:
            self._dec.start_utt()
        except RuntimeError as e:
            raise RecogniserFailed(f"PocketSphinx failed ({e})") from None

    def feed(self, samples: np.ndarray) -> Hypothesis | None:
        x = np.ascontiguousarray(samples, dtype=np.int16)
        try:
            self._dec.process_raw(x.tobytes(), False, False)
        except RuntimeError as e:
            raise RecogniserFailed(f"PocketSphinx failed ({e})") from None
        self._n += len(x)
        self._since += len(x)
        if self._since < self._partial_every:
            return None
        self._since = 0
        hyp = self._dec.hyp()
        text = "" if hyp is None else _clean(hyp.hypstr)
        return Hypothesis(self._start, self._start + self._n / RATE, text, final=False)

    def end(self) -> Hypothesis:
        try:
            self._dec.end_utt()
        except RuntimeError as e:
            raise RecogniserFailed(f"PocketSphinx failed ({e})") from None
        hyp = self._dec.hyp()
        words = tuple(Word(_word(s.word), self._start + s.start_frame * FRAME_S,
                           self._start + (s.end_frame + 1) * FRAME_S)
                      for s in self._dec.seg() if s.word not in FILLERS and not s.word.startswith("["))
        text = " ".join(w.text for w in words) if words else ("" if hyp is None else _clean(hyp.hypstr))
        return Hypothesis(self._start, self._start + self._n / RATE, text, final=True, words=words)

    def close(self) -> None:
        self._dec = None


def _word(w: str) -> str:
    """'the(2)' -> 'the' (alternative pronunciations are numbered in the dictionary)."""
    i = w.find("(")
    return w[:i] if i > 0 else w


def _clean(hypstr: str) -> str:
    return " ".join(_word(w) for w in hypstr.split() if w not in FILLERS and not w.startswith("["))


def packaged_model_bytes() -> int:
    """Size on disk of the packaged model (for the README's cost figures)."""
    return sum(os.path.getsize(p) for f in model_files().values()
               for p in ([f] if os.path.isfile(f) else [os.path.join(f, n) for n in os.listdir(f)]))
