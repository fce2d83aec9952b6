"""The command line as a product (issue 18): help everywhere, '-' is stdout, unknown ids exit 2, agents,
the headless agent report. Every command runs as a real process on a real database."""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agent_assist import cli
from agent_assist.store import calls, review
from agent_assist.store.db import connect

ROOT = Path(__file__).resolve().parent.parent.parent


def _cli(*args: str, stdin: bytes | None = None, display: bool = False) -> subprocess.CompletedProcess[bytes]:
    env = dict(os.environ)
    env.pop("QT_QPA_PLATFORM", None)  # headless commands must choose the offscreen platform themselves
    if not display:
        env.pop("DISPLAY", None)
        env.pop("WAYLAND_DISPLAY", None)
    return subprocess.run([sys.executable, "-m", "agent_assist", *args], capture_output=True, timeout=120,
                          env=env, cwd=ROOT, input=stdin)


@pytest.fixture(scope="module")
def dbfile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    p = tmp_path_factory.mktemp("cli") / "calls.db"
    db = connect(p)
    db["agents"].insert_all([{"id": 1, "name": "Ann Agent", "team": "Blue"}, {"id": 2, "name": "Bob Baker"}])
    db["customers"].insert({"id": 10, "name": "Zoë Ünal"})
    for agent, day, ratio in ((1, "2026-11-02", 0.25), (2, "2026-11-03", 0.45), (1, "2026-11-20", 0.35)):
        cid = calls.start_call(db, agent_id=agent, customer_id=10, started_at=f"{day}T12:00:00")
        calls.add_segments(db, cid, [("agent", 0.0, 30.0 * ratio / (1 - ratio)), ("customer", 40.0, 70.0)])
        calls.add_utterance(db, cid, party="agent", text="I guarantee it.", start_s=5.0, flags=[
            {"category": "over_promise", "start": 2, "end": 11, "reason": "r", "suggestion": "s"}])
        calls.finish_call(db, cid, metrics={"talk_ratio": ratio, "duration_s": 300.0}, outcome="resolved",
                          ended_at=f"{day}T12:05:00")
    review.add_comment(db, 1, "Lovely opening.", author="Sue")
    db.close()
    return p


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = cli.build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_every_command_has_a_description_and_examples() -> None:
    subs = _subcommands()
    assert {"call", "demo", "import", "check", "analyze", "export", "agents", "practice"} <= set(subs)
    for name, p in subs.items():
        text = p.format_help()
        assert p.description and len(p.description.splitlines()) == 1, name
        assert "examples:" in text and f"agent-assist {name}" in text.split("examples:")[1], name
    top = cli.build_parser().format_help()
    choices = next(a for a in cli.build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert all(h.help for h in choices._choices_actions)
    assert "list the agents" in top


def test_help_through_the_real_process() -> None:
    r = _cli("export", "--help")
    assert r.returncode == 0 and b"examples:" in r.stdout and b"--pdf FILE" in r.stdout


def test_agents_listed_as_text_and_json(dbfile: Path) -> None:
    r = _cli("--db", str(dbfile), "agents", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert [(a["id"], a["name"], a["calls"]) for a in data] == [(1, "Ann Agent", 2), (2, "Bob Baker", 1)]
    assert data[0]["team"] == "Blue" and data[0]["last_call_at"] == "2026-11-20T12:00:00"
    r = _cli("--db", str(dbfile), "agents")
    lines = r.stdout.decode().splitlines()
    assert r.returncode == 0 and lines[0].split()[:2] == ["ID", "Name"] and "Ann Agent" in lines[1]


def test_csv_dash_is_stdout(dbfile: Path, tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "agent_assist", "--db", str(dbfile), "export", "calls",
                        "--from", "2026-11-01", "--to", "2026-11-30", "--csv", "-"],
                       capture_output=True, timeout=60, cwd=tmp_path, env=os.environ.copy())
    assert r.returncode == 0, r.stderr
    assert not (tmp_path / "-").exists()
    rows = list(csv.DictReader(io.StringIO(r.stdout.decode("utf-8-sig"))))
    assert [x["agent"] for x in rows] == ["Ann Agent", "Bob Baker", "Ann Agent"]
    assert rows[0]["coaching_comments"] == "Lovely opening."
    assert b"Exported 3 calls to stdout" in r.stderr


@pytest.mark.parametrize("args", [
    ("export", "calls", "--from", "2026-11-01", "--to", "2026-11-30", "--agent", "99", "--csv", "OUT"),
    ("export", "report", "--from", "2026-11-01", "--to", "2026-11-30", "--agent", "99", "--pdf", "OUT"),
    ("practice", "double_billing", "--text", "--trainee", "99"),
])
def test_unknown_agent_exits_2_with_one_line(dbfile: Path, tmp_path: Path, args: tuple[str, ...]) -> None:
    out = tmp_path / "out.file"
    r = _cli("--db", str(dbfile), *[str(out) if a == "OUT" else a for a in args], stdin=b"")
    assert r.returncode == 2, (r.stdout, r.stderr)
    err = r.stderr.decode().strip()
    assert len(err.splitlines()) == 1 and "99" in err and "agent" in err
    assert not out.exists()


def _pdf_width_fraction(pdf: Path, prefix: Path) -> tuple[int, float]:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", str(pdf), str(prefix)], check=True)
    png = sorted(prefix.parent.glob(prefix.name + "-*.png"))[0]
    from PySide6.QtGui import QImage

    img = QImage(str(png))
    cols = [x for x in range(img.width())
            if any(img.pixelColor(x, y).lightness() < 230 for y in range(0, img.height(), 2))]
    return pages, (max(cols) - min(cols) + 1) / img.width()


def test_headless_agent_report_pdf(dbfile: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "ann.pdf"
    r = _cli("--db", str(dbfile), "export", "report", "--agent", "1", "--from", "2026-11-01", "--to",
             "2026-11-30", "--pdf", str(pdf))
    assert r.returncode == 0, r.stderr
    assert b"Wrote Ann Agent's report (2 calls, 2026-11-01 to 2026-11-30)" in r.stdout
    pages, width = _pdf_width_fraction(pdf, tmp_path / "page")
    assert pages >= 1 and width > 0.8
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Ann Agent: review of 2026-11-01 to 2026-11-30" in text and "Resolved" in text
    # - writes the PDF itself to stdout
    r = _cli("--db", str(dbfile), "export", "report", "--agent", "1", "--from", "2026-11-01", "--to",
             "2026-11-30", "--pdf", "-")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(b"%PDF-") and b"to stdout" in r.stderr
    r = _cli("--db", str(dbfile), "export", "report", "--from", "2026-11-01", "--to", "2026-11-30",
             "--pdf", str(pdf))
    assert r.returncode == 2 and b"needs --agent ID" in r.stderr


def test_import_dash_reads_stdin(tmp_path: Path) -> None:
    dbp = tmp_path / "i.db"
    data = "external_id;name;phone\nc1;Zoë;(555) 222-3333\nc2;;12\n".encode("cp1252")
    r = _cli("--db", str(dbp), "import", "customers", "-", stdin=data)
    assert r.returncode == 1, r.stderr
    out = r.stdout.decode().splitlines()
    assert out[0].startswith("stdin.csv: 2 rows of customers: 1 imported")
    assert "  note: read as Windows-1252 text" in out and "  note: fields separated by semicolons" in out
    assert "  line 3: column name, value empty: is empty" in out
    assert any(x.startswith("  line 3: column phone, value '12': ") for x in out)


def test_timeline_dash_is_a_png_on_stdout(tmp_path: Path) -> None:
    vtt = ROOT / "tests" / "data" / "transcripts" / "call.vtt"
    r = _cli("analyze", str(vtt), "--timeline", "-")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(b"\x89PNG\r\n\x1a\n") and b"Talk ratio" in r.stderr
    assert not (ROOT / "-").exists()
