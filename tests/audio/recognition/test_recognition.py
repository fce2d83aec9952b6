"""The recogniser, the cutter and the pipeline on real festival speech."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from agent_assist.audio.recognition import ModelError, SpeechSettings, decode, open_recogniser
from agent_assist.audio.recognition.cutter import LiveCutter, cut_file_channels, join
from agent_assist.audio.recognition.pipeline import finish, transcribe_channels
from agent_assist.audio.vad import StereoVad
from agent_assist.coach.talk import AGENT, CUSTOMER, Segment
from tests.audio.festival import festival_say, place, wer

LINES = [
    (0.5, "could you tell me the order number please"),
    (4.5, "i will send you an email with the details today"),
]


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("festival")


@pytest.fixture(scope="module")
def rec():  # type: ignore[no-untyped-def]
    r = open_recogniser()
    yield r
    r.close()


def test_pocketsphinx_recognises_a_festival_sentence(rec, cache: Path) -> None:  # type: ignore[no-untyped-def]
    text = LINES[0][1]
    x = festival_say(text, 16000, cache)
    hyp = decode(rec, np.round(x * 32767).astype(np.int16), start_s=2.0)
    assert hyp.final
    assert wer(text, hyp.text) <= 0.25, hyp.text
    assert {"order", "number"} <= set(hyp.text.split())
    # word times are on the stream's clock (start_s added) and inside the utterance
    assert hyp.words and 2.0 <= hyp.words[0].start < hyp.words[-1].end <= hyp.end + 0.05


def test_two_channels_cut_into_utterances_with_times(rec, cache: Path) -> None:  # type: ignore[no-untyped-def]
    rate = 22050  # not a VAD rate: resampled on the way in
    agent = place([(t, festival_say(s, rate, cache)) for t, s in LINES], rate)
    customer = place([(2.8, festival_say("yes it is four five seven", rate, cache))], rate)
    n = max(len(agent), len(customer))
    agent, customer = np.pad(agent, (0, n - len(agent))), np.pad(customer, (0, n - len(customer)))
    cuts = cut_file_channels(agent, customer, rate)
    assert [c.party for c in cuts] == [AGENT, CUSTOMER, AGENT]
    assert abs(cuts[0].start - 0.5) < 0.2 and abs(cuts[2].start - 4.5) < 0.2
    utts = transcribe_channels(agent, customer, rate, rec)
    assert [u.party for u in utts] == [AGENT, CUSTOMER, AGENT]
    assert "email" in utts[2].text.split() or "details" in utts[2].text.split(), utts[2].text


def test_mono_is_one_speaker(rec, cache: Path) -> None:  # type: ignore[no-untyped-def]
    rate = 16000
    mono = place([(0.3, festival_say(LINES[1][1], rate, cache))], rate)
    utts = transcribe_channels(mono, None, rate, rec)
    assert len(utts) == 1 and utts[0].party == AGENT
    assert wer(LINES[1][1], utts[0].text) <= 0.3, utts[0].text


def test_live_cutter_joins_the_live_vads_pieces_into_one_utterance(cache: Path) -> None:
    rate = 16000
    line = "thank you for waiting i have found your order and the refund is on its way"
    agent = place([(0.4, festival_say(line, rate, cache))], rate, tail_s=1.5)
    silent = np.zeros_like(agent)
    vad = StereoVad(rate, max_open_s=1.0)  # the live source's settings: pieces every second
    cutter = LiveCutter(rate)
    cuts = []
    step = rate // 5
    pieces = 0
    for i in range(0, len(agent), step):
        a, c = agent[i:i + step], silent[i:i + step]
        cutter.add_audio(a, c)
        segs = vad.feed(a, c)
        pieces += sum(g.party == AGENT for g in segs)
        cuts += cutter.add_segments(segs)
        cuts += cutter.mark({AGENT: vad.open_start(AGENT), CUSTOMER: vad.open_start(CUSTOMER)})
    cuts += cutter.add_segments(vad.flush()) + cutter.flush()
    assert pieces >= 3  # the VAD handed the sentence out in pieces ...
    assert len(cuts) == 1  # ... and the cutter made one utterance of them
    spoken = len(festival_say(line, rate, cache)) / rate
    assert abs((cuts[0].end - cuts[0].start) - spoken) < 0.4
    assert abs(len(cuts[0].samples) / rate - (cuts[0].end - cuts[0].start + 0.4)) < 0.1


def test_join_merges_short_gaps_only() -> None:
    segs = [Segment(AGENT, 0.0, 1.0), Segment(AGENT, 1.2, 2.0), Segment(AGENT, 3.0, 4.0),
            Segment(CUSTOMER, 1.1, 1.5)]
    assert join(segs) == [Segment(AGENT, 0.0, 2.0), Segment(CUSTOMER, 1.1, 1.5), Segment(AGENT, 3.0, 4.0)]


def test_finish_redacts_before_checking_and_flags_only_the_agent() -> None:
    from agent_assist.coach.phrasing import default_checker

    utts = finish([(AGENT, 0.0, 2.0, "my card is 4111 1111 1111 1111 didn't you read the manual"),
                   (CUSTOMER, 2.0, 3.0, "didn't you read the manual"),
                   (AGENT, 3.0, 4.0, "  ")], default_checker())
    assert len(utts) == 2
    assert "4111" not in utts[0].text and utts[0].redacted
    assert [f["category"] for f in utts[0].flags] == ["blaming"]
    assert utts[1].flags == []


@pytest.mark.parametrize("engine", ["pocketsphinx", "vosk", "faster-whisper"])
def test_a_folder_that_is_not_a_model_is_one_clear_error(engine: str, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a model")
    with pytest.raises(ModelError, match=r"not a .*model folder") as e:
        open_recogniser(engine, tmp_path)
    assert "\n" not in str(e.value)
    with pytest.raises(ModelError, match="does not exist"):
        open_recogniser(engine, tmp_path / "missing")


def test_unknown_engine_and_settings_fallbacks() -> None:
    with pytest.raises(ModelError, match="unknown speech engine"):
        open_recogniser("dragon")

    from agent_assist.settings import Settings

    s = Settings(extra={"speech_engine": "Vosk", "speech_model": " /m ", "transcript_retention_days": "x",
                        "store_transcripts": False})
    sp = SpeechSettings.from_settings(s)
    assert (sp.engine, sp.model, sp.retention_days, sp.store_transcripts) == ("vosk", "/m", 90, False)
