"""Speech recognition: word error rate, real-time factor, flag agreement, and the app's overhead.

Sentences: agent sentences written for this benchmark (``SENTENCES`` below, many of them loaded, leading,
negative or over-promising on purpose) and real agent turns of customer-service dialogues
(``../shared/corpus/dialogues.jsonl``: STAR, Mosig et al. 2020, MIT; ABCD sample, Chen et al. 2021, MIT).
Both are split into dev and test halves *before* anything was tuned (written: alternate lines;
corpus: by dialogue id), and the test half is reported separately.

Each sentence is spoken by festival's HTS voice (festvox-us-slt-hts) and by espeak-ng (en-us), then
decoded by the app's path (``transcribe_channels``: VAD cut, soxr resample, pocketsphinx) at 16 kHz
(the agent's headset) and 8 kHz (telephone band), clean and (festival, 16 kHz) with white noise at 20 and 10 dB SNR.

Reported per condition: WER, real-time factor (decode CPU time / audio time; CPU time of this thread, so
a busy shared machine does not inflate it), and flag agreement (the share
of sentences whose flag categories from the recognised text equal those from the source text). With
``--domain-lm`` a trigram LM built from the dev dialogues' turns is compared with the default LM on the
test split. Last line: ``ratio`` = the app's decode time / a bare pocketsphinx Decoder's on the same
16 kHz clean audio, same run (target <= 1.2).

    .venv/bin/python bench/speech.py [--limit N] [--domain-lm]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agent_assist.audio.recognition import open_recogniser  # noqa: E402
from agent_assist.audio.recognition.pipeline import transcribe_channels  # noqa: E402
from agent_assist.audio.recognition.pocketsphinx_engine import decoder_config, model_files  # noqa: E402

CACHE = Path(__file__).resolve().parent / ".cache" / "speech"
# beside the checkout (../shared), or two levels up from a helper's worktree
CORPUS = next((p / "shared" / "corpus" / "dialogues.jsonl" for p in (ROOT.parent, ROOT.parent.parent)
               if (p / "shared" / "corpus" / "dialogues.jsonl").exists()),
              ROOT.parent / "shared" / "corpus" / "dialogues.jsonl")

SENTENCES = """\
didn't you read the manual before you called
thank you for calling how can i help you today
why did you wait so long to call us
could you tell me the order number please
you should have restarted the router first
i will send you an email with the details today
surely you checked the settings before calling
let me look into that for you right now
i guarantee it will be fixed by tomorrow
is there anything else i can help you with
you didn't install the update did you
i am sorry about the trouble with your card
why didn't you tell us about this earlier
the refund will reach your account in three to five days
don't you think it would be easier to pay online
can you describe what happened when the screen went blank
isn't it obvious that the cable is loose
i can see both payments on your account
you never read our emails do you
thank you for your patience while i check
we will definitely have it delivered by friday
what would be the best time to call you back
obviously you entered the wrong password
i understand how frustrating that must be""".splitlines()

VOICES = ("festival", "espeak")


def _words(text: str) -> list[str]:
    return re.sub(r"[^a-z' ]+", " ", text.lower().replace("’", "'")).replace("'", "").split()


def wer_counts(ref: str, hyp: str) -> tuple[int, int]:
    """(edit distance in words, reference length), apostrophes ignored."""
    r, h = _words(ref), _words(hyp)
    d = list(range(len(h) + 1))
    for i, rw in enumerate(r, 1):
        prev, d[0] = d[0], i
        for j, hw in enumerate(h, 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (rw != hw))
    return d[len(h)], len(r)


def corpus_turns() -> tuple[list[str], list[str], list[str]]:
    """(dev agent turns, test agent turns, dev turns of both parties for an LM), split by dialogue id."""
    dev, test, lm = [], [], []
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        is_dev = int(hashlib.sha1(d["id"].encode()).hexdigest(), 16) % 2 == 0
        for t in d["turns"]:
            text = t["text"].strip()
            if is_dev:
                lm.append(text)
            words = text.split()
            if t["speaker"] == "agent" and 5 <= len(words) <= 16 and not re.search(r"\d|\$|@|http", text):
                (dev if is_dev else test).append(text)
    # distinct sentences (STAR agents reuse templates), in a fixed order
    dev = sorted(set(dev), key=lambda s: hashlib.sha1(s.encode()).hexdigest())
    test = sorted(set(test) - set(dev), key=lambda s: hashlib.sha1(s.encode()).hexdigest())
    return dev, test, lm


def speak(text: str, voice: str) -> tuple[np.ndarray, int]:
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / (hashlib.sha1(f"{voice}|{text}".encode()).hexdigest()[:16] + ".wav")
    if not path.exists():
        tmp = path.with_suffix(".tmp.wav")
        if voice == "festival":
            subprocess.run(["text2wave", "-eval", "(voice_cmu_us_slt_arctic_hts)", "-o", str(tmp)],
                           input=text.encode(), check=True, capture_output=True)
        else:
            subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(tmp), text], check=True, capture_output=True)
        tmp.rename(path)
    x, rate = sf.read(str(path), dtype="float32")
    loud = np.flatnonzero(np.abs(x) > 0.02)
    x = x[loud[0]:loud[-1] + 1] * (0.3 / float(np.abs(x).max()))
    return x, rate


def condition(x: np.ndarray, rate: int, target: int, snr_db: float | None, seed: int) -> np.ndarray:
    """0.4 s of silence around the speech, at ``target`` Hz, with white noise at ``snr_db`` (None: clean)."""
    y = soxr.resample(x, rate, target).astype(np.float32)
    pad = np.zeros(int(0.4 * target), np.float32)
    y = np.concatenate((pad, y, pad))
    rng = np.random.default_rng(seed)
    if snr_db is None:
        y += rng.normal(0, 10 ** (-60 / 20), len(y)).astype(np.float32)
    else:
        p = float(np.mean(y[len(pad):-len(pad)] ** 2))
        y += rng.normal(0, math.sqrt(p / 10 ** (snr_db / 10)), len(y)).astype(np.float32)
    return np.clip(np.round(y * 32767), -32768, 32767).astype(np.int16)


def build_trigram_arpa(texts: list[str], path: Path, discount: float = 0.7) -> int:
    """A small trigram ARPA LM (absolute discounting with back-off) of ``texts``; returns the vocabulary size."""
    counts: list[Counter[tuple[str, ...]]] = [Counter(), Counter(), Counter()]
    for t in texts:
        w = ["<s>", *_words(t), "</s>"]
        for n in range(3):
            for i in range(len(w) - n):
                counts[n][tuple(w[i:i + n + 1])] += 1
    total = sum(c for g, c in counts[0].items() if g != ("<s>",))
    prob: list[dict[tuple[str, ...], float]] = [{}, {}, {}]
    for g, c in counts[0].items():
        prob[0][g] = (c if g != ("<s>",) else 0.5) / total
    for n in (1, 2):
        ctx = Counter()
        for g, c in counts[n].items():
            ctx[g[:-1]] += c
        for g, c in counts[n].items():
            prob[n][g] = (c - discount) / ctx[g[:-1]]
    # back-off weight of a context: the mass left over, spread over the lower order's other words
    backoff: list[dict[tuple[str, ...], float]] = [{}, {}]
    for n in (1, 2):
        left: dict[tuple[str, ...], float] = {}
        lower_used: dict[tuple[str, ...], float] = {}
        for g in counts[n]:
            left[g[:-1]] = left.get(g[:-1], 1.0) - prob[n][g]
            lower = g[1:]
            lower_used[g[:-1]] = lower_used.get(g[:-1], 0.0) + _p(prob, lower, backoff)
        for h, mass in left.items():
            backoff[n - 1][h] = max(mass, 1e-9) / max(1.0 - lower_used[h], 1e-9)
    with path.open("w", encoding="utf-8") as f:
        f.write("\\data\\\n" + "".join(f"ngram {n + 1}={len(counts[n])}\n" for n in range(3)) + "\n")
        for n in range(3):
            f.write(f"\\{n + 1}-grams:\n")
            for g in sorted(counts[n]):
                lp = -99.0 if prob[n][g] <= 0 else math.log10(prob[n][g])
                line = f"{lp:.4f}\t{' '.join(g)}"
                if n < 2:
                    line += f"\t{math.log10(backoff[n].get(g, 1.0)):.4f}"
                f.write(line + "\n")
            f.write("\n")
        f.write("\\end\\\n")
    return len(counts[0])


def _p(prob: list[dict[tuple[str, ...], float]], g: tuple[str, ...], backoff: list[dict[tuple[str, ...], float]]) -> float:
    if g in prob[len(g) - 1]:
        return prob[len(g) - 1][g]
    if len(g) == 1:
        return 0.0
    return backoff[len(g) - 2].get(g[:-1], 1.0) * _p(prob, g[1:], backoff)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=6, help="corpus sentences per split (default 6)")
    ap.add_argument("--domain-lm", action="store_true", help="also compare a trigram LM of the dev dialogues")
    ap.add_argument("--sets", default="written dev,written test,corpus dev,corpus test",
                    help="comma-separated sets to run (to split a run over processes)")
    args = ap.parse_args()

    from agent_assist.coach.phrasing import default_checker

    checker = default_checker()
    cdev, ctest, lm_texts = corpus_turns()
    sets = {
        "written dev": SENTENCES[0::2], "written test": SENTENCES[1::2],
        "corpus dev": cdev[:args.limit], "corpus test": ctest[:args.limit],
    }
    sets = {k: v for k, v in sets.items() if k in [x.strip() for x in args.sets.split(",")]}
    truth_flags = {s: sorted(f.category for f in checker.check(s)) for ss in sets.values() for s in ss}
    conditions = [(16000, None), (16000, 20.0), (16000, 10.0), (8000, None)]
    rows = []
    bare_s = app_s = 0.0
    from pocketsphinx import Decoder

    bare = Decoder(**decoder_config(model_files()))
    print(f"{'set':<13} {'voice':<9} {'rate':>5} {'noise':>6} {'n':>3} {'WER':>6} {'RTF':>5} {'flags agree':>11}")
    for name, sents in sets.items():
        for voice in VOICES:
            # noise with festival's voice only (keeps the run short on a shared 2-core machine)
            for rate, snr in (conditions if voice == "festival" else [c for c in conditions if c[1] is None]):
                # a recogniser per condition, as per call: PocketSphinx's live cepstral mean adapts to
                # what it heard, so noisy audio decoded before would lower the next clean condition's score
                rec = open_recogniser()
                errs = words = agree = 0
                dec = audio = 0.0
                for i, s in enumerate(sents):
                    x, r = speak(s, voice)
                    y = condition(x, r, rate, snr, i)
                    t = time.thread_time()
                    utts = transcribe_channels(y, None, rate, rec)
                    el = time.thread_time() - t
                    dec += el
                    audio += len(y) / rate
                    hyp = " ".join(u.text for u in utts)
                    e, n = wer_counts(s, hyp)
                    errs, words = errs + e, words + n
                    agree += sorted(f.category for f in checker.check(hyp)) == truth_flags[s]
                    if rate == 16000 and snr is None:
                        y16 = y.tobytes()
                        t = time.thread_time()
                        bare.start_utt()
                        bare.process_raw(y16, False, True)
                        bare.end_utt()
                        bare_s += time.thread_time() - t
                        app_s += el
                row = (name, voice, rate, "clean" if snr is None else f"{snr:.0f}dB", len(sents),
                       errs / max(words, 1), dec / max(audio, 1e-9), agree / max(len(sents), 1))
                rows.append(row)
                print(f"{row[0]:<13} {row[1]:<9} {row[2]:>5} {row[3]:>6} {row[4]:>3} {row[5]:>6.3f} "
                      f"{row[6]:>5.2f} {row[7]:>11.2f}", flush=True)

    def pooled(pred) -> str:  # type: ignore[no-untyped-def]
        sel = [r for r in rows if pred(r)]
        n = sum(r[4] for r in sel)
        return (f"WER {sum(r[5] * r[4] for r in sel) / n:.3f}, flags agree {sum(r[7] * r[4] for r in sel) / n:.2f}"
                if n else "-")

    print()
    for split in ("dev", "test"):
        for rate in (16000, 8000):
            line = f"{split:<4} {rate // 1000:>2} kHz"
            for noise in ("clean", "20dB", "10dB"):
                got = pooled(lambda r, s=split, k=rate, z=noise: r[0].endswith(s) and r[2] == k and r[3] == z)
                if got != "-":
                    line += f" | {noise}: {got}"
            print(line)

    if args.domain_lm:
        lm_path = CACHE / "dev_dialogues.lm"
        vocab = build_trigram_arpa(lm_texts + SENTENCES[0::2], lm_path)
        from agent_assist.audio.recognition.pocketsphinx_engine import PocketsphinxRecogniser

        print(f"\ndomain LM: trigram of {len(lm_texts)} dev-dialogue turns + the written dev sentences, "
              f"{vocab} words")
        for name in [n for n in ("written test", "corpus test") if n in sets]:
            for r_ in (16000,):
                res = {}
                for label, rr in (("default", open_recogniser()), ("domain", PocketsphinxRecogniser(lm=lm_path))):
                    e_ = n_ = 0
                    for i, s in enumerate(sets[name]):
                        x, r = speak(s, "festival")
                        y = condition(x, r, r_, None, i)
                        hyp = " ".join(u.text for u in transcribe_channels(y, None, r_, rr))
                        e, n = wer_counts(s, hyp)
                        e_, n_ = e_ + e, n_ + n
                    res[label] = e_ / max(n_, 1)
                print(f"  {name:<13} festival {r_ // 1000:>2} kHz clean: default LM WER {res['default']:.3f}, "
                      f"domain LM WER {res['domain']:.3f}")
    print(f"\nbare pocketsphinx {bare_s:.2f} s, app path (VAD cut + resample + decode) {app_s:.2f} s "
          "on the same 16 kHz clean audio")
    print(f"ratio {app_s / bare_s:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
