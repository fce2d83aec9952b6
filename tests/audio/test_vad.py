"""The VAD on real espeak-ng speech placed at known times."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from agent_assist.audio.analysis import analyze_arrays
from agent_assist.audio.vad import StereoVad, VadSettings, vad_rate
from agent_assist.coach.talk import AGENT, CUSTOMER, Segment, analyze
from tests.audio.speech import Spoken, say


def _match(found: list[Segment], truth: list[Segment], tol: float = 0.12) -> None:
    """Every true utterance is found as one segment with start and end within ``tol`` seconds."""
    for party in (AGENT, CUSTOMER):
        t = sorted((g.start, g.end) for g in truth if g.party == party)
        f = sorted((g.start, g.end) for g in found if g.party == party)
        assert len(f) == len(t), (party, f, t)
        for (ts, te), (fs, fe) in zip(t, f, strict=True):
            assert fs == pytest.approx(ts, abs=tol), (party, ts, fs)
            assert fe == pytest.approx(te, abs=tol), (party, te, fe)


@pytest.mark.parametrize("fixture", ["call8k", "call16k"])
def test_segments_match_the_placement(fixture: str, request: pytest.FixtureRequest) -> None:
    sp: Spoken = request.getfixturevalue(fixture)
    segs = analyze_arrays(sp.agent, sp.customer, sp.rate)
    _match(segs, sp.truth)
    m, truth = analyze(segs), analyze(sp.truth)
    assert m.talk_ratio == pytest.approx(truth.talk_ratio, abs=0.01)
    assert m.interruptions == truth.interruptions == 1


def test_other_rates_are_resampled(call16k: Spoken) -> None:
    import soxr

    a = soxr.resample(call16k.agent, 16000, 44100)
    c = soxr.resample(call16k.customer, 16000, 44100)
    assert vad_rate(44100) == 16000
    segs = analyze_arrays(a, c, 44100)
    _match(segs, call16k.truth, tol=0.15)


def test_streaming_in_small_blocks_gives_the_same_segments(call8k: Spoken) -> None:
    whole = analyze_arrays(call8k.agent, call8k.customer, 8000)
    vad = StereoVad(8000)
    segs: list[Segment] = []
    step = 8000 // 10 + 37  # odd block size: frames straddle the blocks
    for i in range(0, len(call8k.agent), step):
        segs += vad.feed(call8k.agent[i:i + step], call8k.customer[i:i + step])
    segs += vad.flush()
    analysis = analyze(whole)
    streamed = analyze(segs)
    assert streamed.talk_ratio == pytest.approx(analysis.talk_ratio, abs=0.01)
    assert len(segs) == len(whole)


def test_echo_bleed_is_not_speech(call8k: Spoken) -> None:
    # the agent leaks into the customer's channel, 20 dB down and 40 ms late
    d = int(0.04 * 8000)
    bleed = np.zeros_like(call8k.customer)
    bleed[d:] = (call8k.agent[:-d].astype(np.float32) * 0.1).astype(np.int16)
    customer = (call8k.customer.astype(np.int32) + bleed).clip(-32768, 32767).astype(np.int16)
    segs = analyze_arrays(call8k.agent, customer, 8000)
    _match(segs, call8k.truth, tol=0.15)


def test_hangover_bridges_short_pauses_and_drops_clicks(speech_cache: Path) -> None:
    rate = 8000
    rng = np.random.default_rng(1)
    one = say("Hello there, this is the first phrase", AGENT, rate, speech_cache)
    two = say("and this is the second one", AGENT, rate, speech_cache)
    x = np.zeros(rate * 12, np.float32)
    a0 = int(0.5 * rate)
    a1 = a0 + len(one)
    b0 = a1 + int(0.3 * rate)  # a 0.3 s pause: bridged by the hangover
    b1 = b0 + len(two)
    x[a0:a1] = one
    x[b0:b1] = two
    click = b1 + int(2.0 * rate)
    x[click:click + int(0.02 * rate)] = 0.5  # a 20 ms click: dropped
    agent = (x * 32767 + rng.normal(0, 30, len(x))).astype(np.int16)
    silent = rng.normal(0, 30, len(x)).astype(np.int16)
    segs = analyze_arrays(agent, silent, rate, VadSettings(min_silence_s=0.6, min_speech_s=0.15))
    assert [g.party for g in segs] == [AGENT]
    assert segs[0].start == pytest.approx(a0 / rate, abs=0.1)
    assert segs[0].end == pytest.approx(b1 / rate, abs=0.1)
    # with a hangover shorter than the pause, the two phrases stay apart
    apart = analyze_arrays(agent, silent, rate, VadSettings(min_silence_s=0.15, min_speech_s=0.15))
    assert len(apart) >= 2


def test_bad_settings() -> None:
    with pytest.raises(ValueError, match="frame_ms"):
        VadSettings(frame_ms=25)
    with pytest.raises(ValueError, match="too low"):
        vad_rate(4000)


def test_live_pieces_of_long_segments_merge_back(call8k: Spoken) -> None:
    """With max_open_s, open speech comes out in pieces of at most ~1 s that merge into the same call."""
    from agent_assist.coach.talk import TalkTracker

    whole = analyze(analyze_arrays(call8k.agent, call8k.customer, 8000))
    vad = StereoVad(8000, max_open_s=1.0)
    tracker = TalkTracker()
    pieces: list[Segment] = []
    step = 8000 // 5
    for i in range(0, len(call8k.agent), step):
        out = vad.feed(call8k.agent[i:i + step], call8k.customer[i:i + step])
        pieces += out
        for g in out:
            tracker.add(g)
        for p in (AGENT, CUSTOMER):
            # nothing spoken more than ~1 s (+ the hangover) ago is still unreported
            assert vad.position_s - vad.open_start(p) <= 1.0 + 0.6 + 0.2 + 1e-9
            tracker.mark_time(p, vad.open_start(p))
    for g in vad.flush():
        pieces.append(g)
        tracker.add(g)
    assert max(g.end - g.start for g in pieces) <= 1.0 + 0.2 + 0.6 + 1e-9  # + block + hangover
    live = tracker.metrics()
    assert live.talk_ratio == pytest.approx(whole.talk_ratio, abs=1e-9)
    assert live.interruptions == whole.interruptions
    assert live.longest_monologue_s == pytest.approx(whole.longest_monologue_s)
