"""Build the phrasing evaluation set from its sourced lists and split it dev/test with a fixed seed.

    python scripts/phrasing/build_eval.py

Reads ``resources/phrasing/eval_src/{flagged,neutral}.txt`` (``label|source key|sentence``) and
``sources.tsv`` (key -> URL, title), and writes, stratified by label with seed 14:

- ``tests/data/phrasing_dev.jsonl`` / ``phrasing_test.jsonl`` — punctuated;
- ``tests/data/phrasing_dev_asr.jsonl`` / ``phrasing_test_asr.jsonl`` — the same rows, recogniser-style.

The split was made and committed before any rule was changed; the test half is only read by
``bench/phrasing_eval.py`` for reporting, never for tuning.
"""

from __future__ import annotations

import csv
import json
import random
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from agent_assist.coach.phrasing.asr import to_recogniser_style  # noqa: E402

SRC = ROOT / "resources" / "phrasing" / "eval_src"
DATA = ROOT / "tests" / "data"
SEED = 14
LABELS = ("leading", "loaded", "blaming", "negative_language", "over_promise", "neutral")


def rows() -> list[dict[str, str]]:
    with (SRC / "sources.tsv").open(encoding="utf-8") as f:
        sources = {r["key"]: r for r in csv.DictReader(f, delimiter="\t")}
    out: list[dict[str, str]] = []
    seen: set[str] = set()
    for name in ("flagged.txt", "neutral.txt"):
        for n, line in enumerate((SRC / name).read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            label, key, text = line.split("|", 2)
            if label not in LABELS or key not in sources:
                raise SystemExit(f"{name}:{n}: bad label or source key: {line!r}")
            if text.lower() in seen:
                raise SystemExit(f"{name}:{n}: duplicate sentence {text!r}")
            seen.add(text.lower())
            out.append({"text": text, "label": label, "source": sources[key]["url"]})
    return out


def main() -> int:
    by_label: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in rows():
        by_label[r["label"]].append(r)
    rng = random.Random(SEED)
    dev: list[dict[str, str]] = []
    test: list[dict[str, str]] = []
    for label in LABELS:
        group = by_label[label]
        rng.shuffle(group)
        half = (len(group) + 1) // 2
        dev += group[:half]
        test += group[half:]
    rng.shuffle(dev)
    rng.shuffle(test)
    for name, part in (("dev", dev), ("test", test)):
        with (DATA / f"phrasing_{name}.jsonl").open("w", encoding="utf-8") as f:
            for r in part:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
        with (DATA / f"phrasing_{name}_asr.jsonl").open("w", encoding="utf-8") as f:
            for r in part:
                f.write(json.dumps({**r, "text": to_recogniser_style(r["text"])}, ensure_ascii=False) + "\n")
        neutral = sum(r["label"] == "neutral" for r in part)
        print(f"{name}: {len(part)} rows, {neutral} neutral ({neutral / len(part):.0%})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
