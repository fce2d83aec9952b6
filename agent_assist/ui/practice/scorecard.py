"""The practice score card as HTML (talk ratio first)."""

from __future__ import annotations

import html

from agent_assist.coach.scenario import (
    ScoreCard,
)

MOOD_COLOURS = {"calm": "#2e7d32", "neutral": "#546e7a", "upset": "#e07b00", "angry": "#d0342c"}


def pct(x: float | None) -> str:
    return "—" if x is None else f"{x:.0%}"



def card_html(card: ScoreCard) -> str:
    """The score card as HTML; the talk ratio comes first."""
    from agent_assist.coach.flags import COLOURS
    from agent_assist.coach.flags import LABELS as FLAG_LABELS

    t = card.talk
    ok = card.talk_ok
    colour = "#2e7d32" if ok else "#d0342c"
    ratio = pct(t.talk_ratio)
    who = {"agent": "you", "customer": "customer"}.get(t.longest_monologue_party or "", "")
    rows = [
        f"<tr><td>Talk ratio</td><td><b style='font-size:15pt; color:{colour}'>{ratio}</b> "
        f"(target at most {card.talk_target:.0%}) {'✓' if ok else '✗'}"
        f"<br><span style='color:#777; font-size:9pt'>{html.escape(card.estimate_note())}</span></td></tr>",
        f"<tr><td>Longest monologue</td><td>{t.longest_monologue_s:.1f} s"
        f"{f' ({who})' if who else ''}</td></tr>",
        f"<tr><td>Speech</td><td>you {t.agent_speech_s:.1f} s, customer {t.customer_speech_s:.1f} s</td></tr>",
    ]
    if not card.phrasing_available:
        flags = f"<i>not checked ({html.escape(card.phrasing_note)})</i>"
    elif not card.flags:
        flags = "none ✓"
    else:
        items = []
        for f in card.flags:
            c = COLOURS.get(f.category, "#d0342c")
            items.append(f"<li><b style='color:{c}'>{html.escape(FLAG_LABELS.get(f.category, f.category))}</b> "
                         f"“{html.escape(f.span)}” (reply {f.reply}): {html.escape(f.reason)}"
                         + (f"<br><b>Try:</b> {html.escape(f.suggestion)}" if f.suggestion else "") + "</li>")
        flags = f"{len(card.flags)}<ul style='margin:0'>{''.join(items)}</ul>"
    rows.append(f"<tr><td>Phrasing flags</td><td>{flags}</td></tr>")
    goals = "".join(
        f"<li style='color:{'#2e7d32' if g.met else '#d0342c'}'>{'✓' if g.met else '✗'} "
        f"{html.escape(g.label)} <span style='color:#777'>({html.escape(g.detail)})</span></li>"
        for g in card.goals)
    rows.append(f"<tr><td>Goals</td><td>{card.goals_met}/{len(card.goals)}"
                f"<ul style='margin:0; list-style:none'>{goals}</ul></td></tr>")
    rows.append(f"<tr><td>Customer mood</td><td>{card.mood_start} → "
                f"<b style='color:{MOOD_COLOURS.get(card.mood_end, '#333')}'>{card.mood_end}</b></td></tr>")
    rows.append(f"<tr><td>Ended</td><td>{html.escape(card.ended_by)}</td></tr>")
    parts = ", ".join(f"{k} {v:.0f}" for k, v in card.parts.items())
    rows.append(f"<tr><td>Score</td><td><b style='font-size:15pt'>{card.score:.0f}</b>/100 "
                f"<span style='color:#777'>({parts})</span></td></tr>")
    return (f"<h3 style='margin:0'>{html.escape(card.title)}</h3>"
            f"<table cellpadding='4' style='margin-top:6px'>{''.join(rows)}</table>")
