"""Speed of the phrasing check against a bare parse with the same loaded pipeline.

Per-utterance latency (median, p95) of ``PhrasingChecker.check(text)`` and of ``nlp(text)`` with the
coach component disabled, on the dev split of the evaluation set (trained component included), plus batch throughput with ``nlp.pipe``.

    .venv/bin/python bench/phrasing_speed.py

Last line: ``ratio <check p50 / bare parse p50>`` (target <= 1.15).
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agent_assist.coach.phrasing import PIPE_NAME, PhrasingChecker, load_nlp  # noqa: E402

EVAL = ROOT / "tests" / "data" / "phrasing_dev.jsonl"
ROUNDS = 3


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def main() -> int:
    nlp = load_nlp()
    checker = PhrasingChecker(nlp)
    texts = [json.loads(x)["text"] for x in EVAL.read_text(encoding="utf-8").splitlines() if x.strip()]
    print(f"pipeline: {nlp.meta.get('name')} {nlp.meta.get('version')} — {', '.join(nlp.pipe_names)}")
    print(f"{len(texts)} sentences x {ROUNDS} rounds, interleaved")
    for t in texts[:20]:  # warm up
        checker.check(t)
        nlp(t)
    bare: list[float] = []
    full: list[float] = []
    for _ in range(ROUNDS):
        for t in texts:
            # interleave so CPU frequency and cache state affect both the same way
            with nlp.select_pipes(disable=[PIPE_NAME]):
                t0 = time.perf_counter()
                nlp(t)
                bare.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            checker.check(t)
            full.append(time.perf_counter() - t0)
    ms = 1000.0
    print(f"bare nlp(text):  p50 {statistics.median(bare) * ms:.2f} ms   p95 {pct(bare, 0.95) * ms:.2f} ms")
    print(f"full check:      p50 {statistics.median(full) * ms:.2f} ms   p95 {pct(full, 0.95) * ms:.2f} ms")

    batch = texts * 4
    with nlp.select_pipes(disable=[PIPE_NAME]):
        t0 = time.perf_counter()
        list(nlp.pipe(batch, batch_size=64))
        bare_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    checker.check_many(batch)
    full_s = time.perf_counter() - t0
    print(f"throughput nlp.pipe (bare):   {len(batch) / bare_s:.0f} utterances/s")
    print(f"throughput check_many (full): {len(batch) / full_s:.0f} utterances/s")

    long_text = " ".join(texts) * 12
    long_text = long_text[:100_000]
    t0 = time.perf_counter()
    n = len(checker.check(long_text))
    print(f"100,000-character paste: {time.perf_counter() - t0:.2f} s, {n} flags")
    print(f"ratio {statistics.median(full) / statistics.median(bare):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
