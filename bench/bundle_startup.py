"""Start-up time of the bundled app against the same app from source.

Both start the real window on the same demo database with ``--measure-startup``, which prints
``startup_ms <ms>`` when the caller card first paints data (measured from the process's start, so the
bundle's bootloader and unpacking are included). Each side gets one warm-up run, then RUNS measured runs;
the medians are compared. The disk cache is warm for both (dropping it needs root and would slow every
other process on the machine), so this is a cold *process* start, not a cold *disk* start.

    .venv/bin/python build_installer.py --no-installer   # once, if dist/agent-assist is missing
    .venv/bin/python bench/bundle_startup.py

Last line: ``ratio <bundle / source>`` (target <= 1.3).
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUNDLE = ROOT / "dist" / "agent-assist" / "agent-assist"
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
CUSTOMERS = 2000


def env_for(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AGENT_ASSIST_", "QT_", "XDG_", "PYTHON"))}
    for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        (home / var.lower()).mkdir(parents=True, exist_ok=True)
        env[var] = str(home / var.lower())
    (home / "run").mkdir(mode=0o700, exist_ok=True)
    env.update(QT_QPA_PLATFORM="offscreen", XDG_RUNTIME_DIR=str(home / "run"), HOME=str(home))
    return env


def startup_ms(cmd: list[str], env: dict[str, str]) -> float:
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    m = re.search(r"^startup_ms (\d+(?:\.\d+)?)$", r.stdout, re.M)
    if r.returncode != 0 or not m:
        raise SystemExit(f"{cmd[0]} did not report startup_ms (exit {r.returncode}):\n{r.stdout}{r.stderr}")
    return float(m.group(1))


def measure(label: str, cmd: list[str], env: dict[str, str]) -> float:
    startup_ms(cmd, env)  # warm-up: page cache, Python bytecode, fontconfig cache
    times = [startup_ms(cmd, env) for _ in range(RUNS)]
    med = statistics.median(times)
    print(f"{label:7s} median {med:7.0f} ms  runs: " + " ".join(f"{t:.0f}" for t in times), flush=True)
    return med


def main() -> int:
    if not BUNDLE.is_file():
        print(f"no bundle at {BUNDLE}: run `.venv/bin/python build_installer.py --no-installer` first",
              file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="aa-bench-startup-") as d:
        home = Path(d)
        env = env_for(home)
        db = home / "bench.db"
        subprocess.run([sys.executable, "-m", "agent_assist", "--db", str(db), "demo",
                        "--customers", str(CUSTOMERS)], check=True, env=env, capture_output=True)
        print(f"window start to first caller card, {CUSTOMERS}-customer demo database, offscreen, "
              f"{RUNS} runs each after a warm-up")
        source = measure("source", [sys.executable, "-m", "agent_assist", "--db", str(db),
                                    "--measure-startup"], env)
        bundle = measure("bundle", [str(BUNDLE), "--db", str(db), "--measure-startup"], env)
    print(f"ratio {bundle / source:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
