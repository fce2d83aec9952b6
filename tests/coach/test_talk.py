"""Talk figures against hand-computed values, and the incremental tracker against the whole-call analysis."""

from __future__ import annotations

import random
import time

import pytest

from agent_assist.coach.talk import (
    AGENT,
    CUSTOMER,
    Cues,
    Segment,
    TalkMetrics,
    TalkSettings,
    TalkTracker,
    analyze,
    definitions,
)


def A(s: float, e: float) -> Segment:
    return Segment(AGENT, s, e)


def C(s: float, e: float) -> Segment:
    return Segment(CUSTOMER, s, e)


def test_turn_taking_figures() -> None:
    m = analyze([A(0, 10), C(12, 20), A(21, 25)], duration_s=30)
    assert m.agent_speech_s == 14
    assert m.customer_speech_s == 8
    assert m.talk_ratio == pytest.approx(14 / 22)
    assert m.overtalk_s == 0 and m.overtalk_pct == 0
    # gaps 2 s and 1 s are under the 3 s threshold; the 5 s tail counts in full
    assert m.silence_s == pytest.approx(5)
    assert m.longest_monologue_s == 10 and m.longest_monologue_party == AGENT
    assert m.interruptions == 0
    assert m.duration_s == 30
    assert m.ongoing_silence_s == pytest.approx(5)


def test_overtalk_and_interruption() -> None:
    # the agent starts at 8 while the customer talks until 10; a customer "uh-huh" at 12 is ignored
    m = analyze([C(0, 10), A(8, 14), C(12, 12.5)], duration_s=14)
    assert m.agent_speech_s == 6
    assert m.customer_speech_s == 10.5
    assert m.talk_ratio == pytest.approx(6 / 16.5)
    assert m.overtalk_s == pytest.approx(2)
    assert m.overtalk_pct == pytest.approx(100 * 2 / 14)
    assert m.interruptions == 1
    assert m.silence_s == 0
    # the customer's monologue ends where the agent cuts in
    assert m.longest_monologue_s == pytest.approx(8) and m.longest_monologue_party == CUSTOMER


def test_agent_backchannels_are_not_interruptions_or_overtalk() -> None:
    m = analyze([C(0, 20), A(5, 5.5), A(10, 10.4)])
    assert m.interruptions == 0
    assert m.overtalk_s == 0
    assert m.longest_monologue_s == 20 and m.longest_monologue_party == CUSTOMER
    assert m.talk_ratio == pytest.approx(0.9 / 20.9)
    assert m.duration_s == 20


def test_simultaneous_start_is_not_an_interruption() -> None:
    m = analyze([C(0, 5), A(0, 3)])
    assert m.interruptions == 0
    assert m.overtalk_s == 3


def test_customer_talking_over_the_agent_is_not_counted_as_agent_interruption() -> None:
    m = analyze([A(0, 30), C(10, 15)])
    assert m.interruptions == 0
    assert m.overtalk_s == 5
    # the customer's 5 s cut the agent's stretch into 10 s and 15 s
    assert m.longest_monologue_s == 15 and m.longest_monologue_party == AGENT


def test_backchannel_does_not_break_a_monologue() -> None:
    m = analyze([A(0, 30), C(10, 10.5)])
    assert m.longest_monologue_s == 30
    assert m.overtalk_s == 0


def test_own_short_pauses_keep_a_monologue_long_ones_end_it() -> None:
    assert analyze([A(0, 5), A(6, 10)]).longest_monologue_s == 10
    m = analyze([A(0, 5), A(9, 10)])
    assert m.longest_monologue_s == 5
    assert m.silence_s == 4


def test_nested_overlapping_unsorted_segments_are_merged() -> None:
    m = analyze([A(9, 12), A(2, 5), C(20, 22), A(0, 10)], duration_s=22)
    assert m.agent_speech_s == 12
    assert m.customer_speech_s == 2
    assert m.silence_s == 8  # 12..20
    assert m.longest_monologue_s == 12


def test_empty_call() -> None:
    m = analyze([])
    assert m.talk_ratio is None
    assert m.duration_s == 0 and m.silence_s == 0 and m.longest_monologue_party is None
    m = analyze([], duration_s=10)
    assert m.silence_s == 10 and m.ongoing_silence_s == 10


def test_one_party_only() -> None:
    m = analyze([C(1, 4), C(4.5, 8)], duration_s=8)
    assert m.talk_ratio == 0.0
    assert m.customer_speech_s == 6.5
    assert m.longest_monologue_s == 7 and m.longest_monologue_party == CUSTOMER
    assert analyze([A(0, 2)]).talk_ratio == 1.0


def test_duration_shorter_than_speech_is_extended() -> None:
    assert analyze([A(0, 12)], duration_s=5).duration_s == 12


def test_bad_segments_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown party"):
        Segment("boss", 0, 1)
    with pytest.raises(ValueError, match="bad segment times"):
        Segment(AGENT, 3, 1)


def test_to_dict_has_every_figure() -> None:
    d = analyze([A(0, 1)]).to_dict()
    for k in ("talk_ratio", "agent_speech_s", "customer_speech_s", "overtalk_s", "overtalk_pct",
              "silence_s", "longest_monologue_s", "interruptions", "duration_s"):
        assert k in d


def test_definitions_carry_the_settings() -> None:
    d = definitions(TalkSettings(target=0.25, silence_threshold_s=4))
    assert "25%" in d["talk_ratio"] and "4 s" in d["silence"]


def _random_call(rng: random.Random, n: int) -> list[Segment]:
    segs: list[Segment] = []
    t = {AGENT: 0.0, CUSTOMER: 0.0}
    for _ in range(n):
        p = rng.choice((AGENT, CUSTOMER))
        s = t[p] + rng.choice((0.0, rng.uniform(0, 1), rng.uniform(0, 6)))
        e = s + rng.choice((rng.uniform(0.1, 0.9), rng.uniform(1, 15)))
        s, e = round(s, 2), round(e, 2)
        segs.append(Segment(p, s, e))
        t[p] = e
    return segs


def _same(a: TalkMetrics, b: TalkMetrics) -> None:
    da, db = a.to_dict(), b.to_dict()
    assert da.keys() == db.keys()
    for k in da:
        if isinstance(da[k], float):
            assert da[k] == pytest.approx(db[k], abs=1e-6), k
        else:
            assert da[k] == db[k], k


@pytest.mark.parametrize("seed", range(40))
def test_tracker_matches_whole_call_analysis(seed: int) -> None:
    rng = random.Random(seed)
    segs = _random_call(rng, 60)
    # segments close in order of their end time, the two parties interleaved
    feed = sorted(segs, key=lambda g: g.end)
    if seed % 4 == 0:
        rng.shuffle(feed)  # and sometimes in any order at all
    tr = TalkTracker()
    for i, g in enumerate(feed):
        tr.add(g)
        if i % 7 == 0:
            _same(tr.metrics(), analyze(feed[: i + 1]))
    _same(tr.metrics(), analyze(segs))
    end = max(g.end for g in segs) + 4
    _same(tr.metrics(end), analyze(segs, duration_s=end))


def test_window_metrics_last_two_minutes() -> None:
    tr = TalkTracker()
    for g in (A(0, 100), C(100, 200), A(200, 230)):
        tr.add(g)
    w = tr.window_metrics(230)
    assert w.duration_s == 120
    assert w.customer_speech_s == 90 and w.agent_speech_s == 30
    assert w.talk_ratio == pytest.approx(0.25)
    whole = tr.metrics(230)
    assert whole.talk_ratio == pytest.approx(130 / 230)


def test_tracker_settles_in_order_feed_and_stays_cheap() -> None:
    rng = random.Random(7)
    tr = TalkTracker()
    t = 0.0
    n = 20000
    began = time.perf_counter()
    for i in range(n):
        p = AGENT if i % 2 else CUSTOMER
        d = rng.uniform(1.5, 6)
        tr.add(Segment(p, t, t + d))
        tr.mark_time(p, t + d + 0.01)
        t += d + rng.uniform(0.1, 2)
        if i % 10 == 0:
            tr.metrics(t)
            tr.window_metrics(t)
    elapsed = time.perf_counter() - began
    # only the last interval or two stay unsettled: a metrics() call never re-reads the call
    assert sum(len(tr._iv[p]) - tr._settled[p] for p in (AGENT, CUSTOMER)) <= 2
    assert elapsed < 10, elapsed
    _same(tr.metrics(t), analyze(tr.segments(), duration_s=t))


def test_cues_are_rate_limited_per_kind() -> None:
    cues = Cues(TalkSettings(), monologue_cue_s=60, silence_cue_s=8)
    tr = TalkTracker()
    tr.add(A(0, 70))
    got = cues.update(tr.metrics(70), tr.window_metrics(70), 70)
    kinds = {c.kind for c in got}
    assert "monologue" in kinds and "ratio" in kinds
    assert "70 s" in next(c.text for c in got if c.kind == "monologue")
    # 20 s later the agent is still going: no repeat within a minute
    tr.add(A(70, 90))
    assert cues.update(tr.metrics(90), tr.window_metrics(90), 90) == []
    tr.add(A(90, 131))
    again = cues.update(tr.metrics(131), tr.window_metrics(131), 131)
    assert {c.kind for c in again} == {"monologue", "ratio"}


def test_cues_overtalk_and_silence() -> None:
    cues = Cues(TalkSettings(), silence_cue_s=8)
    tr = TalkTracker()
    tr.add(C(0, 10))
    tr.add(A(5, 10))  # 5 s over the customer
    got = cues.update(tr.metrics(10), tr.window_metrics(10), 10)
    assert [c.kind for c in got] == ["overtalk"]
    got = cues.update(tr.metrics(20), tr.window_metrics(20), 20)
    assert [c.kind for c in got] == ["silence"]
    assert "10 s" in got[0].text
    # a balanced call with no pauses gets no cue at all
    quiet = Cues(TalkSettings())
    tr2 = TalkTracker()
    for i in range(10):
        tr2.add(C(i * 10, i * 10 + 8))
        tr2.add(A(i * 10 + 8, i * 10 + 10))
    assert quiet.update(tr2.metrics(100), tr2.window_metrics(100), 100) == []


@pytest.mark.parametrize("seed", range(10))
def test_sweep_matches_a_brute_force_grid(seed: int) -> None:
    """Speech, overtalk and silence checked against a 10 ms grid of who speaks when."""
    rng = random.Random(100 + seed)
    segs = _random_call(rng, 30)
    s = TalkSettings()
    m = analyze(segs, settings=s)
    merged = {p: sorted((g.start, g.end) for g in segs if g.party == p) for p in (AGENT, CUSTOMER)}

    def unions(p: str) -> list[tuple[float, float]]:
        out: list[tuple[float, float]] = []
        for a, b in merged[p]:
            if out and a <= out[-1][1]:
                out[-1] = (out[-1][0], max(b, out[-1][1]))
            else:
                out.append((a, b))
        return out

    u = {p: unions(p) for p in merged}
    steps = round(m.duration_s * 100)
    grid = {p: [False] * steps for p in u}
    long_grid = {p: [False] * steps for p in u}
    for p, ivs in u.items():
        for a, b in ivs:
            for i in range(round(a * 100), round(b * 100)):
                grid[p][i] = True
                if b - a >= s.backchannel_max_s:
                    long_grid[p][i] = True
    assert m.agent_speech_s == pytest.approx(sum(grid[AGENT]) / 100, abs=0.02)
    assert m.customer_speech_s == pytest.approx(sum(grid[CUSTOMER]) / 100, abs=0.02)
    both = sum(1 for i in range(steps) if long_grid[AGENT][i] and long_grid[CUSTOMER][i])
    assert m.overtalk_s == pytest.approx(both / 100, abs=0.02)
    silence, run = 0, 0
    for i in range(steps + 1):
        if i < steps and not grid[AGENT][i] and not grid[CUSTOMER][i]:
            run += 1
        else:
            if run / 100 > s.silence_threshold_s:
                silence += run
            run = 0
    assert m.silence_s == pytest.approx(silence / 100, abs=0.05)


def test_timeline_intervals_match_the_figures() -> None:
    from agent_assist.coach.talk import timeline

    segs = [C(0, 10), A(8, 14), C(12, 12.5), A(20, 22), C(21, 21.5)]
    tl = timeline(segs, duration_s=30)
    assert tl.agent == [(8, 14), (20, 22)]
    assert tl.overtalk == [(8, 10)]
    assert tl.silence == [(14, 20), (22, 30)]
    m = analyze(segs, duration_s=30)
    assert sum(e - s for s, e in tl.overtalk) == pytest.approx(m.overtalk_s)
    assert sum(e - s for s, e in tl.silence) == pytest.approx(m.silence_s)
