"""A throw-away local PostgreSQL cluster from Debian's ``postgresql`` package (tests, bench, the demo).

``initdb`` refuses to run as root, so when this process is root the server's files belong to the
``postgres`` system user and ``initdb``/``pg_ctl`` run through ``runuser -u postgres``. The cluster listens
on 127.0.0.1 only, on a free port, with its socket in its own folder. Not used in production: a team
store is the team's own server.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from agent_assist.store.team.errors import TeamError


def find_bindir() -> Path:
    """The newest ``/usr/lib/postgresql/N/bin`` with ``initdb`` (Debian's layout), or ``PG_BINDIR``."""
    env = os.environ.get("PG_BINDIR")
    if env and (Path(env) / "initdb").exists():
        return Path(env)
    base = Path("/usr/lib/postgresql")
    found = sorted(
        (p / "bin" for p in base.glob("*") if (p / "bin" / "initdb").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if not found:
        raise TeamError("PostgreSQL server programs not found: install Debian's 'postgresql' package.")
    return found[-1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LocalCluster:
    """One cluster in ``root`` (created on first :meth:`start`). ``superuser`` is ``postgres``."""

    root: Path
    port: int = 0

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        self.data = self.root / "data"
        self.sock = self.root / "sock"
        self.bindir = find_bindir()
        self._as_root = os.geteuid() == 0
        if not self.port:
            port_file = self.root / "port"
            self.port = int(port_file.read_text()) if port_file.exists() else free_port()

    # -- helpers ------------------------------------------------------------------------------------
    def _run(self, *argv: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bindir / argv[0]), *argv[1:]]
        if self._as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)

    def _chown(self, p: Path) -> None:
        if self._as_root:
            shutil.chown(p, "postgres", "postgres")

    def url(self, user: str = "postgres", dbname: str = "postgres", password: str | None = None) -> str:
        auth = f"{user}:{password}@" if password else f"{user}@"
        return f"postgresql://{auth}127.0.0.1:{self.port}/{dbname}"

    # -- life-cycle ---------------------------------------------------------------------------------
    def init(self) -> None:
        """initdb (once). Local socket: trust for ``postgres``; TCP: passwords (scram) for everyone but
        ``postgres`` from 127.0.0.1, so the tests see real password checks."""
        if (self.data / "PG_VERSION").exists():
            return
        self.root.mkdir(parents=True, exist_ok=True)
        for d in (self.root, self.sock):
            d.mkdir(exist_ok=True)
            self._chown(d)
        if self._as_root:
            # The postgres user must be able to pass through the parent folders (search bit only: it
            # cannot list them). A root's private tmp or home folder otherwise stops initdb.
            p = self.root.parent
            while p != p.parent:
                mode = p.stat().st_mode
                if not mode & 0o001:
                    os.chmod(p, mode | 0o001)
                p = p.parent
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--locale=C.UTF-8", "--no-sync")
        hba = self.data / "pg_hba.conf"
        hba.write_text(
            "local all postgres trust\n"
            "host all postgres 127.0.0.1/32 trust\n"
            "local all all scram-sha-256\n"
            "host all all 127.0.0.1/32 scram-sha-256\n"
        )
        (self.root / "port").write_text(str(self.port))

    def start(self, timeout: float = 60) -> None:
        self.init()
        if self.is_running():
            return
        # fsync=off survives a killed server (the OS keeps the written pages), not a power cut: fine for
        # a throw-away cluster. synchronous_commit stays on: a commit must be in the WAL when it returns,
        # or a killed server forgets rows the desk was told were stored.
        opts = f"-p {self.port} -k {self.sock} -c listen_addresses=127.0.0.1 -c fsync=off"
        r = self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-o", opts,
                      "-w", "-t", str(int(timeout)), "start", check=False, timeout=timeout + 10)
        if r.returncode != 0:
            log = (self.root / "server.log")
            tail = log.read_text(errors="replace")[-600:] if log.exists() else ""
            raise TeamError(f"PostgreSQL did not start: {r.stderr.strip() or r.stdout.strip()} {tail}")
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            r = subprocess.run([str(self.bindir / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port),
                                "-t", "2"], capture_output=True, text=True)
            if r.returncode == 0:
                return
            time.sleep(0.05)
        raise TeamError(f"PostgreSQL on port {self.port} did not become ready in {timeout:.0f} s.")

    def is_running(self) -> bool:
        if not (self.data / "PG_VERSION").exists():
            return False
        return self._run("pg_ctl", "-D", str(self.data), "status", check=False).returncode == 0

    def stop(self, mode: str = "fast") -> None:
        if self.is_running():
            self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def kill(self) -> None:
        """Crash the server the way a power cut would (``pg_ctl -m immediate stop``)."""
        self.stop("immediate")

    def psql(self, sql: str, dbname: str = "postgres") -> str:
        r = subprocess.run([str(self.bindir / "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                            "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", dbname,
                            "-c", sql], capture_output=True, text=True, check=True)
        return r.stdout
