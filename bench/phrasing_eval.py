"""Evaluate the phrasing coach on tests/data/phrasing_eval.jsonl and on real agent turns.

Prints precision / recall / F1 per category and for flag-vs-no-flag, and the false-positive rate on the
neutral rows, for the development half (even rows, used while tuning the rules), the held-out half (odd rows,
only reported) and all rows. Then runs the checker over the agent turns of ../shared/corpus/dialogues.jsonl,
prints the share flagged and writes the flagged turns to bench/out/phrasing_corpus_flags.jsonl.

    .venv/bin/python bench/phrasing_eval.py [--errors]

Last line: ``ratio <flag-vs-no-flag F1 on all rows>``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agent_assist.coach.phrasing import CATEGORIES, PhrasingChecker, load_nlp  # noqa: E402

EVAL = ROOT / "tests" / "data" / "phrasing_eval.jsonl"
# written later by someone who had not read the rules, and never used to tune them: the honest figure
FRESH = ROOT / "tests" / "data" / "phrasing_fresh.jsonl"
CORPUS = ROOT.parent / "shared" / "corpus" / "dialogues.jsonl"
OUT = ROOT / "bench" / "out"


def load_eval(path: Path = EVAL) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def predict(checker: PhrasingChecker, texts: list[str]) -> list[str]:
    """Predicted label per sentence: the first flag's category (one flag per sentence), else neutral."""
    return [flags[0].category if flags else "neutral" for flags in checker.check_many(texts)]


def scores(gold: list[str], pred: list[str]) -> dict[str, object]:
    out: dict[str, object] = {}
    for c in CATEGORIES:
        tp = sum(g == c and p == c for g, p in zip(gold, pred, strict=True))
        fp = sum(g != c and p == c for g, p in zip(gold, pred, strict=True))
        fn = sum(g == c and p != c for g, p in zip(gold, pred, strict=True))
        out[c] = prf(tp, fp, fn)
    tp = sum(g != "neutral" and p != "neutral" for g, p in zip(gold, pred, strict=True))
    fp = sum(g == "neutral" and p != "neutral" for g, p in zip(gold, pred, strict=True))
    fn = sum(g != "neutral" and p == "neutral" for g, p in zip(gold, pred, strict=True))
    out["flag"] = prf(tp, fp, fn)
    neutral = sum(g == "neutral" for g in gold)
    out["neutral_fp_rate"] = fp / neutral if neutral else 0.0
    out["n"] = len(gold)
    out["neutral"] = neutral
    return out


def report(name: str, s: dict[str, object]) -> None:
    print(f"\n== {name}: {s['n']} sentences, {s['neutral']} neutral")
    print(f"{'category':<20}{'P':>7}{'R':>7}{'F1':>7}")
    for c in (*CATEGORIES, "flag"):
        p, r, f = s[c]  # type: ignore[misc]
        label = "flag-vs-no-flag" if c == "flag" else c
        print(f"{label:<20}{p:>7.3f}{r:>7.3f}{f:>7.3f}")
    print(f"neutral false-positive rate: {s['neutral_fp_rate']:.3f}")


def main() -> int:
    show_errors = "--errors" in sys.argv
    held = "--held-out-errors" in sys.argv
    checker = PhrasingChecker(load_nlp())
    rows = load_eval()
    texts = [r["text"] for r in rows]
    gold = [r["label"] for r in rows]
    pred = predict(checker, texts)
    dev = [i for i in range(len(rows)) if i % 2 == 0]
    test = [i for i in range(len(rows)) if i % 2 == 1]
    s_dev = scores([gold[i] for i in dev], [pred[i] for i in dev])
    s_test = scores([gold[i] for i in test], [pred[i] for i in test])
    s_all = scores(gold, pred)
    report("development half (even rows)", s_dev)
    report("held-out half (odd rows)", s_test)
    report("all rows", s_all)
    if show_errors or held:
        print("\n== errors (" + ("held-out half" if held else "development half") + ")")
        for i in (test if held else dev):
            if gold[i] != pred[i]:
                print(f"  gold={gold[i]:<18} pred={pred[i]:<18} {texts[i]}")

    fresh = load_eval(FRESH)
    f_gold = [r["label"] for r in fresh]
    f_pred = predict(checker, [r["text"] for r in fresh])
    report("fresh set (tests/data/phrasing_fresh.jsonl, never tuned on)", scores(f_gold, f_pred))
    if show_errors or held:
        for g, p_, r in zip(f_gold, f_pred, fresh, strict=True):
            if g != p_:
                print(f"  gold={g:<18} pred={p_:<18} {r['text']}")

    if CORPUS.exists():
        turns: list[tuple[str, str]] = []
        for line in CORPUS.read_text(encoding="utf-8").splitlines():
            d = json.loads(line)
            turns += [(d["id"], t["text"]) for t in d["turns"] if t["speaker"] == "agent"]
        results = checker.check_many([t for _i, t in turns])
        flagged = [(i, t, f) for (i, t), f in zip(turns, results, strict=True) if f]
        OUT.mkdir(exist_ok=True)
        with (OUT / "phrasing_corpus_flags.jsonl").open("w", encoding="utf-8") as fh:
            for i, t, f in flagged:
                fh.write(json.dumps({"dialogue": i, "text": t, "flags": [x.to_dict() for x in f]},
                                    ensure_ascii=False) + "\n")
        print(f"\n== corpus: {len(flagged)} of {len(turns)} agent turns flagged "
              f"({len(flagged) / max(1, len(turns)):.1%}); examples in bench/out/phrasing_corpus_flags.jsonl")
        cats: dict[str, int] = {}
        for _i, _t, f in flagged:
            for x in f:
                cats[x.category] = cats.get(x.category, 0) + 1
        print("   by category: " + ", ".join(f"{k} {v}" for k, v in sorted(cats.items())))
    f1 = s_all["flag"][2]  # type: ignore[index]
    print(f"ratio {f1:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
