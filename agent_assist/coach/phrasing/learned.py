"""The learned half of the phrasing coach: a small spaCy ``textcat`` over recogniser-style sentences.

Trained by ``scripts/phrasing/train.py`` (``make train-phrasing``) and shipped in
``resources/phrasing/textcat/``. The coach asks it about sentences no pattern flagged; a flag it raises
still has a span (the cue words of its category, else the sentence), a category and a reason in the
agent's terms (``resources/phrasing/learned.json``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy
from spacy.language import Language
from spacy.tokens import Span, Token

from agent_assist import resources
from agent_assist.coach.phrasing.asr import to_recogniser_style

MODEL_DIR = "phrasing/textcat"
SETTINGS = "phrasing/learned.json"


@dataclass(frozen=True)
class Verdict:
    category: str
    score: float
    tokens: tuple[Token, ...]
    reason: str
    tip: str


class SentenceClassifier:
    """Loads the shipped classifier once (thread-safe) and classifies parsed sentences."""

    def __init__(self, model_dir: str = MODEL_DIR, settings: str = SETTINGS) -> None:
        self._model_dir = model_dir
        self._settings = settings
        self._nlp: Language | None = None
        self._labels: list[str] = []
        self._layers: dict[str, Any] = {}
        self._model: Any = None
        self._lock = threading.Lock()
        data = json.loads(resources.read_text(settings))
        self.threshold = float(data["threshold"])
        self.categories: dict[str, dict[str, object]] = dict(data["categories"])

    @property
    def nlp(self) -> Language:
        with self._lock:
            if self._nlp is None:
                import spacy

                nlp = spacy.load(resources.path(self._model_dir))
                textcat = nlp.get_pipe("textcat")
                self._labels = list(textcat.labels)  # type: ignore[attr-defined]
                self._layers = {layer.name: layer for layer in textcat.model.walk()}  # type: ignore[attr-defined]
                self._model = textcat.model  # type: ignore[attr-defined]
                self.threshold = float(nlp.meta.get("threshold", self.threshold))
                self._nlp = nlp
            return self._nlp

    def scores(self, texts: Sequence[str]) -> list[dict[str, float]]:
        """Class probabilities per text. Calls the bag-of-words layers directly (what ``textcat.predict``
        does, without the pipeline's per-call overhead); ``tests/coach/test_phrasing_learned.py`` checks
        the two agree."""
        if not texts:
            return []
        nlp = self.nlp
        labels, layers = self._labels, self._layers
        docs = [nlp.make_doc(t) for t in texts]
        if "extract_ngrams" in layers and "sparse_linear" in layers:
            raw = numpy.asarray(layers["sparse_linear"].predict(layers["extract_ngrams"].predict(docs)))
            e = numpy.exp(raw - raw.max(axis=1, keepdims=True))
            probs = e / e.sum(axis=1, keepdims=True)
        else:
            probs = numpy.asarray(self._model.predict(docs))
        return [dict(zip(labels, (float(x) for x in row), strict=True)) for row in probs]

    @property
    def version(self) -> str:
        return str(self.nlp.meta.get("version", ""))

    def classify(self, sents: Sequence[Span]) -> list[Verdict | None]:
        if not sents:
            return []
        texts = [to_recogniser_style(s.text) for s in sents]
        out: list[Verdict | None] = []
        keep = [i for i, t in enumerate(texts) if t.strip()]
        scored = dict(zip(keep, self.scores([texts[i] for i in keep]), strict=True))
        for i, sent in enumerate(sents):
            cats = scored.get(i)
            if cats is None:  # nothing left after normalising (emoji, symbols): nothing to classify
                out.append(None)
                continue
            cat = max(cats, key=cats.__getitem__)
            score = cats[cat]
            info = self.categories.get(cat)
            if cat == "neutral" or info is None or score < self.threshold:
                out.append(None)
                continue
            out.append(Verdict(cat, score, _cue_tokens(sent, info.get("cues", [])), str(info["reason"]),
                               str(info["tip"])))
        return out


def _cue_tokens(sent: Span, cues: object) -> tuple[Token, ...]:
    words = {str(c) for c in cues} if isinstance(cues, list) else set()
    content = [t for t in sent if not (t.is_punct or t.is_space)]
    hits = [t for t in content if t.lower_ in words or t.lower_.replace("'", "") in words]
    if not hits:
        return tuple(content)
    first, last = hits[0].i, hits[-1].i
    if last - first > 6:
        last = first
    # underline the clause word the cue belongs to as well ("should have", "can't do")
    head = hits[0].head
    lo, hi = min(first, head.i), max(last, head.i)
    if hi - lo > 8:
        lo, hi = first, last
    return tuple(t for t in sent.doc[lo:hi + 1] if not t.is_space)
