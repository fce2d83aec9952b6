"""Phone-line realism: noise-floor/SNR tracking, bleed detection, and the bad-input notes."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import soxr

from agent_assist.audio.analysis import analyze_arrays, analyze_file_report, analyze_report
from agent_assist.audio.vad import (
    EchoCanceller,
    LeakCorrelator,
    StereoVad,
    VadSettings,
    _Channel,
    _Piece,
    _Smoother,
    estimate_leak,
    leak_bound,
)
from agent_assist.coach.talk import AGENT, CUSTOMER, Segment, analyze
from tests.audio.callgen import (
    BACKCHANNELS,
    CLEAN,
    Call,
    Line,
    band_pass,
    dialogues,
    line_noise,
    make_call,
    speak,
    ulaw_round_trip,
)
from tests.audio.speech import Spoken


@pytest.fixture(scope="module")
def turns() -> list[tuple[str, str]]:
    return dialogues()[3]


def test_line_model_parts() -> None:
    rate = 8000
    t = np.arange(rate) / rate
    hum, voice = np.sin(2 * np.pi * 100 * t), np.sin(2 * np.pi * 1000 * t)
    assert np.std(band_pass(hum.astype(np.float32), rate)) < 0.01  # below the telephone band
    assert np.std(band_pass(voice.astype(np.float32), rate)) == pytest.approx(np.std(voice), rel=0.02)
    x = (0.3 * voice).astype(np.float32)
    y = ulaw_round_trip(x)
    snr = 10 * np.log10(np.mean(x ** 2) / np.mean((x - y) ** 2))
    assert 30 < snr < 45  # 8-bit companding: audible, not destructive


def test_effective_snr_and_too_noisy_flag(turns: list[tuple[str, str]], speech_cache: Path) -> None:
    line = Line(snr_db={AGENT: 25.0, CUSTOMER: 2.0}, drift_db=2.0, bleed_db=None)
    c = make_call(turns, 11, 8000, line, speech_cache)
    r = analyze_report(c.agent, c.customer, c.rate)
    q = {x.party: x for x in r.quality}
    assert q[CUSTOMER].snr_db == pytest.approx(2.0, abs=3.5)
    assert q[AGENT].snr_db == pytest.approx(25.0, abs=4.5)
    assert q[CUSTOMER].too_noisy and not q[AGENT].too_noisy
    assert any("customer channel is too noisy to trust" in n for n in r.notes)
    m = analyze(r.segments, r.duration_s, quality=r.quality)
    assert m.untrusted == (CUSTOMER,)
    assert "quality" in m.to_dict() and "quality" not in analyze(r.segments).to_dict()


def test_bleed_is_found_and_not_counted(turns: list[tuple[str, str]], speech_cache: Path) -> None:
    line = Line(snr_db={AGENT: 25.0, CUSTOMER: 25.0}, drift_db=0.0, bleed_db=-15.0, bleed_from=AGENT,
                bleed_delay_s=0.12)
    c = make_call(turns, 12, 8000, line, speech_cache)
    r = analyze_report(c.agent, c.customer, c.rate)
    q = {x.party: x for x in r.quality}
    assert q[CUSTOMER].bleed_db == pytest.approx(-15.0, abs=4.0)
    assert q[CUSTOMER].bleed_delay_ms == pytest.approx(120, abs=60)
    assert q[AGENT].bleed_db is None and q[AGENT].bleed_delay_ms is None  # only a leak it trusts is reported
    found, true = analyze(r.segments), analyze(c.truth)
    assert found.customer_speech_s == pytest.approx(true.customer_speech_s, rel=0.12)
    assert found.talk_ratio == pytest.approx(true.talk_ratio, abs=0.03)
    # the same call judged by the old fixed rule only: webrtcvad alone counts much of the bleed
    plain = analyze(analyze_report(c.agent, c.customer, c.rate,
                                   VadSettings(detector="webrtc", bleed_margin_db=-60.0)).segments)
    assert plain.customer_speech_s > found.customer_speech_s + 3.0


def test_no_leak_is_claimed_between_independent_channels() -> None:
    rng = np.random.default_rng(5)
    src = 60 + 10 * rng.random(2000)  # a talker
    dst = 30 + rng.normal(0, 1, 2000)  # steady noise
    est = estimate_leak(src.astype(np.float32), dst.astype(np.float32), 65.0)
    assert est is not None and est[2] > VadSettings().leak_spread


def test_a_leak_is_measured_one_way_only() -> None:
    """A loud customer leaking into the agent's quiet channel: the agent's energy follows the customer's
    at -18 dB. Seen the other way round the customer's energy follows the agent's at +18 dB, which is no
    leak (a leak is quieter than its source) and must not be taken for one."""
    rng = np.random.default_rng(6)
    n = 2000
    talking = (np.arange(n) // 50) % 2 == 0
    customer = np.where(talking, 60 + 10 * rng.random(n), 30 + rng.normal(0, 1, n)).astype(np.float32)
    agent = np.maximum(customer - 18.0, 25 + rng.normal(0, 1, n)).astype(np.float32)  # the leak over a floor
    agent[~talking] = (45 + 10 * rng.random(n))[~talking]  # the agent's own speech while the customer listens
    into_agent = estimate_leak(customer, agent, 65.0)
    assert into_agent is not None and into_agent[0] == 0 and into_agent[1] == pytest.approx(-18.0, abs=1.0)
    assert into_agent[2] < 0.75
    backwards = estimate_leak(agent, customer, 50.0)
    assert backwards is None or backwards[1] <= -6.0


def test_no_leak_found_means_none_once_the_other_party_was_heard() -> None:
    """Until a leak can be measured the worst one is assumed (a frame must clear the other party's
    level -15 dB by the bleed margin). Once the other party has spoken enough to measure it, finding no
    leak means there is none: on a 0 dB line the raw energies only ever show the mirror of a leak
    (estimate_leak gives None), and before, None kept the worst leak assumed for the whole call."""
    rate = 8000
    rng = np.random.default_rng(9)
    n = 12 * rate
    talking = (np.arange(n) // (rate // 2)) % 2 == 0  # the agent talks half a second, pauses half a second
    agent = np.where(talking, 3000.0, 30.0) * rng.normal(0, 1, n)
    customer = 2000.0 * rng.normal(0, 1, n)  # a line whose hiss is as loud as the agent's speech
    vad = StereoVad(rate)
    vad.feed(agent.astype(np.int16), customer.astype(np.int16))
    raw = vad.ch[CUSTOMER].views[0]
    assert raw.leak is None and raw.measured
    src = vad.ch[AGENT].views[0]
    src_e = np.full(32, 80.0, np.float32)  # the agent loud ...
    quiet = src_e - 12.0  # ... and this channel 12 dB below: bleed only if a leak were assumed
    assert vad._not_bleed(raw, src, quiet, src_e, first=True).all()
    raw.measured = False  # the first seconds of a call: nothing measured yet, the worst leak assumed
    assert not vad._not_bleed(raw, src, quiet, src_e, first=True).any()


def test_a_few_frames_bound_the_leak() -> None:
    """Eight loud frames of the other party are too few to measure a leak but enough to bound it: at
    a leak's delay this channel holds the leak in every frame the other party speaks in."""
    rng = np.random.default_rng(11)
    n = 60
    src = np.full(n, 30.0, np.float32)
    src[5:20] = 62 + 8 * rng.random(15)  # 15 loud frames, then quiet
    floor = 35 + rng.normal(0, 1, n)
    quiet = floor.astype(np.float32)  # nothing leaks: the channel stays at its floor, ~30 dB under
    b = leak_bound(src, quiet, 65.0)
    assert b is not None and b < -20.0
    leak = np.maximum(floor, np.roll(src, 3) - 18.0).astype(np.float32)  # -18 dB at 3 frames
    b = leak_bound(src, leak, 65.0)
    assert b is not None and -18.0 <= b <= -12.0
    own = (floor + 25 + 10 * rng.random(n)).astype(np.float32)  # talking all the while: nothing ruled out
    b = leak_bound(src, own, 65.0)
    assert b is not None and b > -15.0
    assert leak_bound(src[:12], quiet[:12], 65.0) is None  # too few frames


def test_the_first_frames_rule_out_the_worst_leak() -> None:
    """Before a leak can be measured the worst one is assumed, which loses the quieter party of an
    overlap in a call's first seconds. When the other party's first words show this channel at its
    floor meanwhile, that leak is ruled out and a frame 12 dB under the other party is speech."""
    rate = 8000
    rng = np.random.default_rng(12)
    n = 2 * 32 * 240  # two blocks of 32 frames
    agent = 30.0 * rng.normal(0, 1, n)
    agent[3 * 240:20 * 240] = 3000.0 * rng.normal(0, 1, 17 * 240)  # 17 loud frames: too few to measure
    customer = 30.0 * rng.normal(0, 1, n)  # the customer listens on a quiet line
    vad = StereoVad(rate)
    vad.feed(agent.astype(np.int16), customer.astype(np.int16))
    raw = vad.ch[CUSTOMER].views[0]
    assert not raw.measured and raw.bound is not None and raw.bound < -30.0
    src = vad.ch[AGENT].views[0]
    src_e = np.full(32, 80.0, np.float32)
    quiet = src_e - 12.0
    assert vad._not_bleed(raw, src, quiet, src_e, first=True).all()
    raw.bound = None  # nothing heard yet: the worst leak assumed
    assert not vad._not_bleed(raw, src, quiet, src_e, first=True).any()


def test_dc_offset_is_removed_and_said(call8k: Spoken) -> None:
    clean = analyze(analyze_report(call8k.agent, call8k.customer, 8000).segments)
    shifted = np.clip(call8k.agent.astype(np.int32) + 4000, -32768, 32767).astype(np.int16)
    r = analyze_report(shifted, call8k.customer, 8000)
    assert any("agent channel has a DC offset" in n for n in r.notes)
    assert analyze(r.segments).talk_ratio == pytest.approx(clean.talk_ratio, abs=0.01)


def test_48k_is_resampled_and_said(call16k: Spoken) -> None:
    a = soxr.resample(call16k.agent, 16000, 48000)
    c = soxr.resample(call16k.customer, 16000, 48000)
    r = analyze_report(a, c, 48000)
    assert any("resampled from 48000 Hz to 16000 Hz" in n for n in r.notes)
    truth = analyze(call16k.truth).talk_ratio
    assert analyze(r.segments).talk_ratio == pytest.approx(truth, abs=0.02)


def test_silent_channel_and_some_clipping_are_said(call8k: Spoken, tmp_path: Path) -> None:
    p = tmp_path / "one-sided.wav"
    sf.write(str(p), np.stack([call8k.agent, np.zeros_like(call8k.customer)], axis=1), 8000)
    r = analyze_file_report(p)
    assert any("customer channel is silent" in n for n in r.notes)
    assert {g.party for g in r.segments} == {AGENT}
    hot = call8k.agent.copy()
    peaks = np.flatnonzero(np.abs(hot) > 2000)
    hot[peaks[:: max(1, len(peaks) // (len(hot) // 100))]] = 32767  # ~1 % of the samples at full scale
    q = tmp_path / "hot.wav"
    sf.write(str(q), np.stack([hot, call8k.customer], axis=1), 8000)
    r = analyze_file_report(q)
    assert any("clipped in places" in n for n in r.notes)


def test_detector_choice(call8k: Spoken) -> None:
    with pytest.raises(ValueError, match="detector must be"):
        VadSettings(detector="magic")
    truth = analyze(call8k.truth).talk_ratio
    for d in ("webrtc", "silero", "combined"):
        v = StereoVad(8000, VadSettings(detector=d))
        assert v.detector == d
        segs = v.feed(call8k.agent, call8k.customer) + v.flush()
        assert analyze(segs).talk_ratio == pytest.approx(truth, abs=0.02), d


@pytest.fixture(scope="module")
def noisy_customer(turns: list[tuple[str, str]], speech_cache: Path) -> Call:
    """A 28 dB agent line and a 1 dB customer line, no drift, no bleed."""
    line = Line(snr_db={AGENT: 28.0, CUSTOMER: 1.0}, drift_db=0.0, bleed_db=None)
    return make_call(turns, 21, 8000, line, speech_cache)


def test_a_noisy_channel_gets_a_longer_hangover(noisy_customer: Call) -> None:
    c = noisy_customer
    v = StereoVad(8000)
    v.feed(c.agent, c.customer)
    v.flush()
    s = v.settings
    assert s.noisy_min_silence_s is not None and s.noisy_min_silence_s > s.min_silence_s
    assert v.ch[AGENT].hangover_frames() == round(s.min_silence_s / 0.03)
    assert v.ch[CUSTOMER].hangover_frames() == round(s.noisy_min_silence_s / 0.03)
    fixed = StereoVad(8000, VadSettings(noisy_min_silence_s=None))
    fixed.feed(c.agent, c.customer)
    assert fixed.ch[CUSTOMER].hangover_frames() == round(s.min_silence_s / 0.03)


def test_a_noisy_channel_starts_its_segments_earlier(noisy_customer: Call) -> None:
    c = noisy_customer
    padded = analyze_arrays(c.agent, c.customer, c.rate)
    plain = analyze_arrays(c.agent, c.customer, c.rate, VadSettings(noisy_onset_pad_s=0.0))
    assert [(g.party, g.end) for g in padded] == [(g.party, g.end) for g in plain]
    lead = {p: [b.start - a.start for a, b in zip(padded, plain, strict=True) if a.party == p]
            for p in (AGENT, CUSTOMER)}
    pad = VadSettings().noisy_onset_pad_s
    assert pad > 0 and all(d == 0 for d in lead[AGENT])  # a 28 dB channel keeps its onsets
    assert lead[CUSTOMER] and all(0.75 * pad <= d <= pad + 1e-9 for d in lead[CUSTOMER][1:])


def _on_grid(t: float, frame_s: float = 0.03) -> bool:
    return abs(t / frame_s - round(t / frame_s)) < 1e-6


def _mismatch_s(found: list[Segment], truth: list[Segment], duration_s: float) -> float:
    """Seconds, over both parties, where the found talk and the true talk disagree (10 ms frames)."""
    n = int(duration_s * 100) + 2
    total = 0
    for p in (AGENT, CUSTOMER):
        a, b = np.zeros(n, bool), np.zeros(n, bool)
        for m, segs in ((a, found), (b, truth)):
            for g in segs:
                if g.party == p:
                    m[round(g.start * 100):round(g.end * 100)] = True
        total += int((a ^ b).sum())
    return total / 100


def test_clean_line_edges_are_placed_to_10_ms(turns: list[tuple[str, str]], speech_cache: Path) -> None:
    c = make_call(turns, 31, 8000, CLEAN, speech_cache)
    fine = analyze_arrays(c.agent, c.customer, c.rate)
    frame = analyze_arrays(c.agent, c.customer, c.rate, VadSettings(edge_below_level_db=None))
    assert len(fine) == len(frame) > 4
    assert all(_on_grid(t) for g in frame for t in (g.start, g.end))
    assert sum(not _on_grid(t) for g in fine for t in (g.start, g.end)) > len(fine) // 2
    w = VadSettings().edge_window_s
    for a, b in zip(fine, frame, strict=True):  # an edge moves by at most the window
        assert a.party == b.party and abs(a.start - b.start) <= w + 1e-9 and abs(a.end - b.end) <= w + 1e-9
    duration = len(c.agent) / c.rate
    assert _mismatch_s(fine, c.truth, duration) < 0.8 * _mismatch_s(frame, c.truth, duration)


def test_a_noisy_channel_keeps_its_frame_edges(noisy_customer: Call) -> None:
    c = noisy_customer
    segs = analyze_arrays(c.agent, c.customer, c.rate)
    ends = {p: [g.end for g in segs if g.party == p] for p in (AGENT, CUSTOMER)}
    assert ends[CUSTOMER] and all(_on_grid(t) for t in ends[CUSTOMER])  # 1 dB: the noise hides the edges
    assert any(not _on_grid(t) for t in ends[AGENT])  # 28 dB: placed to 10 ms


def _flat(spans: list[tuple[float, float]]) -> list[float]:
    return [t for span in spans for t in span]


def test_a_pause_is_measured_between_the_10_ms_edges() -> None:
    # the hangover (0.3 s = 10 frames) is decided on the 10 ms edges, not on the detector's frames
    ch = _Channel(AGENT, 8000, VadSettings(detector="webrtc"))
    ch.levels.floor, ch.levels.level = 20.0, 70.0  # 44 dB effective SNR: edges apply
    assert ch.edges_apply()
    hang = ch.hangover_frames()
    assert hang == 10

    def pieces(speech: list[tuple[int, int]]) -> list[_Piece]:
        sm = ch.smoother = _Smoother(0.03, 0.15, 0.3)
        ch.set_hangover()  # as StereoVad sets it on a clean line: 14 frames, pauses of 6 kept
        flags = np.zeros(100, dtype=bool)
        for a, b in speech:
            flags[a:b] = True
        out: list[_Piece] = []
        sm.push(0, flags, out)
        return out

    def loud(*spans: tuple[int, int]) -> None:
        ch.sub_e = np.full(300, 20.0, np.float32)
        for a, b in spans:
            ch.sub_e[a:b] = 70.0
        ch.sub_base = 0

    # the detector lingers after the first word: its frames leave 0.24 s between the words (bridged),
    # the energy 0.34 s (a pause)
    got = pieces([(10, 30), (38, 57)])
    assert got == [_Piece(10, 57, gaps=((30, 38),))]
    loud((30, 84), (118, 171))
    assert _flat(ch.edges(got[0])) == pytest.approx([0.30, 0.84, 1.18, 1.71])
    # the detector misses a quiet word end: its frames leave 0.39 s (a pause), the energy 0.27 s
    got = pieces([(10, 28), (41, 57)])
    assert got == [_Piece(10, 57, gaps=((28, 41),))]
    loud((30, 90), (117, 171))
    assert _flat(ch.edges(got[0])) == pytest.approx([0.30, 1.71])
    # off a clean line the frames decide: the same pause splits at the detector's edges
    ch.levels.floor = 46.0  # 18 dB: under the edges' 20 dB, the hangover still 0.3 s
    assert not ch.edges_apply()
    assert _flat(ch.edges(got[0])) == pytest.approx([0.30, 0.84, 1.23, 1.71])


def test_the_hangover_waits_for_the_edges_before_the_line_is_known() -> None:
    # a call's first words come before the line's SNR is known: their pauses are still measured
    # between 10 ms edges when it turns out clean (if noisy, the frames decide at the close)
    v = StereoVad(8000)
    hiss = np.random.default_rng(1).normal(0, 30, 8000 * 2).astype(np.int16)
    v.feed(hiss, hiss)
    ch = v.ch[AGENT]
    assert ch.levels.snr_db is None  # nothing but hiss yet: no speech level
    assert ch.smoother.min_gap is not None and ch.smoother.min_silence > ch.hangover_frames()


def test_webrtcvad_confirms_only_what_silero_is_unsure_of(noisy_customer: Call) -> None:
    c = noisy_customer
    sure, always = StereoVad(c.rate), StereoVad(c.rate, VadSettings(webrtc_unless_sure=None))
    found = {}
    for name, v in (("sure", sure), ("always", always)):
        segs = v.feed(c.agent, c.customer, last=True) + v.flush()
        found[name] = analyze(segs)
    assert 0 < sure.vad_calls < always.vad_calls  # webrtcvad is asked about fewer frames ...
    # ... and can no longer turn down speech Silero is sure of: no party loses talk time by it
    for p in ("agent_speech_s", "customer_speech_s"):
        assert getattr(found["sure"], p) >= getattr(found["always"], p) - 0.1


def test_a_weak_tail_is_cut_at_the_last_strong_frame() -> None:
    sm = _Smoother(0.03, 0.15, 0.3)
    flags = np.zeros(60, dtype=bool)
    flags[10:40] = True  # one spurt: frames 10..39
    strong = np.zeros(60, dtype=bool)
    strong[10:31] = True  # the detector lingers for 9 frames after the energy fell
    out: list[_Piece] = []
    sm.push(0, flags, out, strong)
    assert out == [_Piece(10, 31)]  # frames 10..30: 0.30-0.93 s
    plain = _Smoother(0.03, 0.15, 0.3)
    untrimmed: list[_Piece] = []
    plain.push(0, flags, untrimmed)
    assert untrimmed == [_Piece(10, 40)]
    # a spurt with no strong frame at all keeps its detector edges (nothing to trim against)
    weak: list[_Piece] = []
    _Smoother(0.03, 0.15, 0.3).push(0, flags, weak, np.zeros(60, dtype=bool))
    assert weak == untrimmed


def test_a_pause_bridged_only_by_weak_frames_splits_the_segment() -> None:
    # A 0-3 dB line: the detector lingers after a word and lets a few noise frames through in the
    # pause, each one soon enough after the last to keep a 0.4 s hangover open; none is strong (loud
    # over the denoised floor). A pause of weak frames a hangover and ``split_weak`` frames long splits.
    def pieces(weak_run: int, split_weak: int | None, onset: int = 0) -> list[_Piece]:
        flags = np.zeros(120, dtype=bool)
        strong = np.zeros(120, dtype=bool)
        flags[10:30] = strong[10:30] = True  # a phrase: frames 10..29
        nxt = 30 + weak_run  # the next phrase's first strong frame
        flags[31:nxt - 1:3] = True  # lingering and noise frames every 3rd frame: weak
        flags[nxt - onset:nxt + 20] = True  # the next phrase (its quiet onset is weak)
        strong[nxt:nxt + 20] = True
        sm = _Smoother(0.03, 0.15, 0.3)
        sm.min_silence, sm.split_weak = 13, split_weak
        out: list[_Piece] = []
        sm.push(0, flags, out, strong)
        sm.flush(out)
        return out

    assert pieces(18, None) == [_Piece(10, 68)]  # one segment across the pause
    assert pieces(18, 3) == [_Piece(10, 30), _Piece(48, 68)]  # the pause: 17 weak frames >= 13 + 3
    # the next phrase keeps its quiet onset (weak frames right before its first strong one)
    assert pieces(18, 3, onset=3) == [_Piece(10, 30), _Piece(45, 68)]
    # a shorter pause of weak frames stays inside the segment: quiet speech looks the same
    assert pieces(15, 3) == [_Piece(10, 65)]


def test_a_leak_into_a_noisy_channel_is_seen_through_the_suppressor(
        turns: list[tuple[str, str]], speech_cache: Path) -> None:
    # the agent leaks at -16 dB into a 3.4 dB customer line with 4 dB of drift: in the raw energies the
    # leak is under the hiss, in the denoised ones it is heard but follows its source loosely
    line = Line(snr_db={AGENT: 17.6, CUSTOMER: 3.4}, drift_db=4.0, bleed_db=-15.7, bleed_from=AGENT,
                bleed_delay_s=0.067)
    c = make_call(turns, 32, 8000, line, speech_cache)
    true = analyze(c.truth)
    found = analyze(analyze_arrays(c.agent, c.customer, c.rate))
    strict = VadSettings(denoised_leak_spread=0.75, leak_confirm_z=None)
    loose = analyze(analyze_arrays(c.agent, c.customer, c.rate, strict))
    assert loose.customer_speech_s - true.customer_speech_s > 0.8  # the agent's bleed counted as the customer
    assert found.customer_speech_s == pytest.approx(true.customer_speech_s, rel=0.03)
    assert found.talk_ratio == pytest.approx(true.talk_ratio, abs=0.01)
    # judged by its energies alone that leak is too loose to trust at spread 0.75, but the waveforms'
    # correlation peaks at its delay, and that is trusted
    confirmed = analyze(analyze_arrays(c.agent, c.customer, c.rate, replace(strict, leak_confirm_z=10.0)))
    assert confirmed.customer_speech_s == pytest.approx(true.customer_speech_s, rel=0.03)


def _leak_under_hiss(rate: int, seconds: int, seed: int, low_pass: bool = False
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The agent's signal (band-passed noise), its leak at -18 dB 40 ms late (gently low-passed, as an echo
    path is, with ``low_pass``), hiss 10 dB over the leak, and the customer's own speech every other
    second: each float32, ``seconds`` long."""
    rng = np.random.default_rng(seed)
    n = seconds * rate
    agent = band_pass(rng.normal(0, 3000, n).astype(np.float32), rate)
    d = int(0.04 * rate)
    leak = np.zeros(n, np.float32)
    leak[d:] = agent[:-d] * 10 ** (-18 / 20)
    if low_pass:
        leak = np.convolve(leak, np.array([0.25, 0.5, 0.25], np.float32), mode="same")
    hiss = rng.normal(0, 1, n).astype(np.float32) * float(np.std(leak)) * 10 ** (10 / 20)
    own = np.where((np.arange(n) // rate) % 2 == 1, rng.normal(0, 3000, n), 0).astype(np.float32)  # talks too
    return agent, leak, hiss, own


def test_the_waveforms_show_a_leak_buried_in_hiss() -> None:
    """The agent leaks at -18 dB, 40 ms late, into a customer line whose hiss is 10 dB over the leak:
    the cross-correlation peaks at 40 ms, agent into customer, far over its spread. The other way round,
    and between independent channels, there is no peak."""
    rate = 8000
    agent, leak, hiss, own = _leak_under_hiss(rate, 10, seed=21)
    d = int(0.04 * rate)
    corr = LeakCorrelator(rate, 0.3)
    corr.push(agent, leak + hiss + own)
    into = corr.peak(into_customer=True)
    assert into is not None and into[0] == pytest.approx(d, abs=2) and into[1] > 20
    back = corr.peak(into_customer=False)
    assert back is not None and back[1] < VadSettings().leak_confirm_z
    alone = LeakCorrelator(rate, 0.3)
    alone.push(agent, hiss + own)
    none = alone.peak(into_customer=True)
    assert none is not None and none[1] < VadSettings().leak_confirm_z
    assert LeakCorrelator(rate, 0.3).peak(into_customer=True) is None  # nothing heard yet


def test_the_waveforms_follow_a_leak_that_moves() -> None:
    """Two minutes of a leak 40 ms late, then one minute of it 120 ms late (the customer took the call
    off the speaker): the correlation forgets the old delay as the energies do, and peaks at the new one."""
    rate = 8000
    rng = np.random.default_rng(22)
    corr = LeakCorrelator(rate, 0.3)
    for minutes, late in ((2, 0.04), (1, 0.12)):
        n = minutes * 60 * rate
        agent = band_pass(rng.normal(0, 3000, n).astype(np.float32), rate)
        d = int(late * rate)
        customer = rng.normal(0, 300, n).astype(np.float32)
        customer[d:] += agent[:-d] * 10 ** (-20 / 20)
        corr.push(agent, customer)
    pk = corr.peak(into_customer=True)
    assert pk is not None and pk[0] == pytest.approx(int(0.12 * rate), abs=2)


def test_a_leak_under_the_hiss_is_cancelled() -> None:
    """The agent leaks at -18 dB, 40 ms late and low-passed (an echo path is not flat), into a customer
    line whose hiss is 10 dB over the leak, while the customer talks half of the time. Given the delay, the
    canceller learns the path and takes the leak out of the customer's channel to 15 dB under what it was
    (-17.9 dB measured: the customer's own words, 23 dB over the leak, are what limits the estimate); the
    hiss and the customer's own speech pass untouched. Without a delay, or until it is told to apply what it
    learnt, it changes nothing."""
    rate = 8000
    n = 30 * rate
    agent, leak, hiss, own = _leak_under_hiss(rate, 30, seed=23, low_pass=True)
    d = int(0.04 * rate)
    rest = hiss + own
    customer = np.round(leak + rest).astype(np.int16)
    src = np.round(agent).astype(np.int16)

    def run(ec: EchoCanceller) -> np.ndarray:
        block = rate // 2
        return np.concatenate([ec.process(src[i:i + block], customer[i:i + block]) for i in range(0, n, block)])

    ec = EchoCanceller(rate, 0.33)
    ec.set_delay(d)
    ec.apply = True
    out = run(ec).astype(np.float64)
    late = slice(20 * rate, n)  # after 20 s of learning
    residual = out[late] - rest[late]
    assert 10 * np.log10(np.mean(residual ** 2) / np.mean(leak[late].astype(np.float64) ** 2)) < -15
    assert ec.cancelled > 25
    idle = EchoCanceller(rate, 0.33)
    idle.apply = True
    assert np.array_equal(run(idle), customer) and idle.cancelled == 0  # no delay: nothing to cancel
    learning = EchoCanceller(rate, 0.33)
    learning.set_delay(d)
    assert np.array_equal(run(learning), customer) and learning.w is not None  # learns, subtracts nothing


def test_a_leak_the_energies_underrate_is_cancelled(turns: list[tuple[str, str]], speech_cache: Path) -> None:
    # the agent leaks at -17.5 dB, 82 ms late, into a 0.6 dB customer line whose hiss drifts by 2.9 dB. The
    # suppressor passes the leak by the hiss's level, so the energies measure it at about -22 dB; when the
    # hiss drifts down, the agent's words come through over that and 1.5 s of them count as the customer.
    # The waveforms' correlation finds the delay within 5 s, and the leak is cancelled from there on
    line = Line(snr_db={AGENT: 26.0, CUSTOMER: 0.6}, drift_db=2.9, bleed_db=-17.5, bleed_from=AGENT,
                bleed_delay_s=0.082)
    c = make_call(turns, 48, 8000, line, speech_cache)
    true = analyze(c.truth)
    kept = analyze(analyze_arrays(c.agent, c.customer, c.rate, VadSettings(echo_cancel=False)))
    assert kept.customer_speech_s - true.customer_speech_s > 1.0
    v = StereoVad(c.rate)
    found = analyze(v.feed(c.agent, c.customer) + v.flush())
    assert found.customer_speech_s == pytest.approx(true.customer_speech_s, abs=0.4)
    assert found.talk_ratio == pytest.approx(true.talk_ratio, abs=0.005)
    into = v.cancellers[CUSTOMER]
    assert into.delay == pytest.approx(0.082 * c.rate, abs=2) and into.cancelled > 40
    assert v.cancellers[AGENT].delay is None  # nothing leaks the other way


def _replies_after_silences(speech_cache: Path, snr_db: float, seed: int) -> tuple[np.ndarray, list[Segment]]:
    """A customer channel at ``snr_db``: an opening sentence, then six short replies ("mm-hmm", "okay" ...),
    each after 12 s of line noise (the customer listening to a long explanation), at 8 kHz; and its truth."""
    rate = 8000
    words = [band_pass(speak(w, CUSTOMER, 155, speech_cache).astype(np.float32) * 0.2, rate)
             for w in ("Hi, I am calling about my bill.", *BACKCHANNELS)]
    parts, truth, t = [words[0]], [Segment(CUSTOMER, 0.0, len(words[0]) / rate)], len(words[0])
    for w in words[1:]:
        parts += [np.zeros(12 * rate, np.float32), w]
        t += 12 * rate
        truth.append(Segment(CUSTOMER, t / rate, (t + len(w)) / rate))
        t += len(w)
    x = np.concatenate(parts)
    rng = np.random.default_rng(seed)
    noise = band_pass(line_noise(rng, len(x), rate).astype(np.float32), rate)
    x = x + noise / noise.std() * np.sqrt(np.mean(np.concatenate(words) ** 2) / 10 ** (snr_db / 10))
    return np.clip(np.round(x * 32767), -32768, 32767).astype(np.int16), truth


@pytest.mark.parametrize("seed", [0, 1])
def test_silero_still_hears_short_replies_after_long_silences(speech_cache: Path, seed: int) -> None:
    """Silero's recurrent state drifts on a long stream of line noise: without a reset, on a 3 dB line it
    no longer hears the sixth short reply at all after 12 s silences. Reset after 3 s without speech and
    warmed up on the last 0.25 s of noise, it hears most of every reply."""
    customer, truth = _replies_after_silences(speech_cache, 3.0, seed)
    agent = np.zeros(len(customer), np.int16)

    def covered(settings: VadSettings) -> list[float]:
        segs = [g for g in analyze_arrays(agent, customer, 8000, settings) if g.party == CUSTOMER]
        return [sum(max(0.0, min(g.end, t.end) - max(g.start, t.start)) for g in segs) / (t.end - t.start)
                for t in truth]

    assert min(covered(VadSettings())) >= 0.5
    assert min(covered(VadSettings(silero_reset_s=None))) < 0.2


def test_a_long_silence_resets_silero_once_per_stretch() -> None:
    """The reset costs a warm-up (8 chunks heard again) per 3 s of line noise, nothing while there is speech."""
    rate = 8000
    rng = np.random.default_rng(3)
    noise = (300 * rng.normal(0, 1, 30 * rate)).astype(np.int16)
    vad = StereoVad(rate)
    vad.feed(noise, noise)
    vad.flush()
    ch = vad.ch[CUSTOMER]
    assert ch.silero is not None
    heard = ch.chunks_done - ch.skipped
    assert ch.resets == heard // ch.reset_after
    assert ch.silero.calls == heard + ch.resets * ch.recent.maxlen


def test_a_leak_stands_while_its_source_is_too_quiet_to_measure_it_again() -> None:
    """A leak is measured again every few blocks from the source's loud frames. When the source said too
    little for that (its level rose above the earlier speech, or it fell silent), the last measurement
    stands: before, the leak was dropped and the other party's bleed counted as speech until it came back
    (1.7 s on one 3 dB dev call)."""
    rate = 8000
    rng = np.random.default_rng(4)
    quiet = (30 * rng.normal(0, 1, 4 * rate)).astype(np.int16)
    vad = StereoVad(rate)
    vad.feed(quiet, quiet)
    view = vad.ch[CUSTOMER].views[0]
    view.leak, view.measured = (3, -15.0, 0.3), True
    vad.feed(quiet[: 2 * rate], quiet[: 2 * rate])  # two more blocks, nothing loud from the agent
    assert view.leak == (3, -15.0, 0.3)
