"""Evaluate the phrasing coach on the sourced evaluation set (tests/data/phrasing_{dev,test}[_asr].jsonl).

For each split — dev (tuned on), test (held out, only reported) — punctuated and recogniser-style, prints
precision / recall / F1 per category and for flag-vs-no-flag, the neutral false-positive rate and the share
of caught problem sentences given the right category.

    .venv/bin/python bench/phrasing_eval.py [--errors dev|dev_asr]

``--errors`` lists the misses of a *dev* split only (looking at test errors would tune on them).
Last line: ``ratio <test recogniser-style F1 / test punctuated F1>`` (target >= 0.95, i.e. within 0.05).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agent_assist.coach.flags import CATEGORIES, canonical  # noqa: E402
from agent_assist.coach.phrasing import PhrasingChecker, load_nlp  # noqa: E402

DATA = ROOT / "tests" / "data"
SPLITS = ("dev", "test", "dev_asr", "test_asr")


def load(split: str) -> list[dict[str, str]]:
    path = DATA / f"phrasing_{split}.jsonl"
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def predict(checker: PhrasingChecker, texts: list[str]) -> list[str]:
    """Predicted label per sentence: the first flag's category (one flag per sentence), else neutral."""
    return [canonical(flags[0].category) if flags else "neutral" for flags in checker.check_many(texts)]


def scores(gold: list[str], pred: list[str]) -> dict[str, object]:
    pairs = list(zip(gold, pred, strict=True))
    out: dict[str, object] = {}
    for c in CATEGORIES:
        out[c] = prf(sum(g == c and p == c for g, p in pairs), sum(g != c and p == c for g, p in pairs),
                     sum(g == c and p != c for g, p in pairs))
    tp = sum(g != "neutral" and p != "neutral" for g, p in pairs)
    fp = sum(g == "neutral" and p != "neutral" for g, p in pairs)
    fn = sum(g != "neutral" and p == "neutral" for g, p in pairs)
    out["flag"] = prf(tp, fp, fn)
    neutral = sum(g == "neutral" for g in gold)
    out["neutral_fp_rate"] = fp / neutral if neutral else 0.0
    out["category_right"] = sum(g == p for g, p in pairs if g != "neutral" and p != "neutral") / tp if tp else 0.0
    out["n"], out["neutral"] = len(gold), neutral
    return out


def report(name: str, s: dict[str, object]) -> None:
    print(f"\n== {name}: {s['n']} sentences, {s['neutral']} neutral")
    print(f"{'category':<20}{'P':>7}{'R':>7}{'F1':>7}")
    for c in (*CATEGORIES, "flag"):
        p, r, f = s[c]  # type: ignore[misc]
        print(f"{'flag-vs-no-flag' if c == 'flag' else c:<20}{p:>7.3f}{r:>7.3f}{f:>7.3f}")
    print(f"neutral false-positive rate: {s['neutral_fp_rate']:.3f}")
    print(f"right category among caught: {s['category_right']:.3f}")


def main(argv: list[str]) -> int:
    show = argv[argv.index("--errors") + 1] if "--errors" in argv else None
    if show is not None and show not in ("dev", "dev_asr"):
        print("--errors takes dev or dev_asr (test errors are not shown: the test split is held out)")
        return 2
    checker = PhrasingChecker(load_nlp())
    results: dict[str, dict[str, object]] = {}
    for split in SPLITS:
        rows = load(split)
        gold = [r["label"] for r in rows]
        pred = predict(checker, [r["text"] for r in rows])
        results[split] = scores(gold, pred)
        report(split + (" (held out)" if split.startswith("test") else " (tuned on)"), results[split])
        if split == show:
            print(f"\n-- errors on {split}")
            for r, p in zip(rows, pred, strict=True):
                if r["label"] != p:
                    print(f"  gold={r['label']:<18} pred={p:<18} {r['text']}")
    f = {k: v["flag"][2] for k, v in results.items()}  # type: ignore[index]
    print(f"\nflag F1: dev {f['dev']:.3f}  test {f['test']:.3f}  dev_asr {f['dev_asr']:.3f}  "
          f"test_asr {f['test_asr']:.3f}")
    print(f"ratio {f['test_asr'] / f['test'] if f['test'] else 0.0:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
