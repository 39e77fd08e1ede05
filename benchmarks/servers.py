"""Starting the servers under test on loopback, measuring their memory, and stopping them.

asl-engine runs as a subprocess with its history in a SQLite file on disk, as a user runs it.
The peers start through `../shared/peers/start_peer.sh`, which knows their quirks (moto's
execute switch, LocalStack's host mode). Memory is read from /proc: the resident set of the
server and every process under it, sampled while a workload runs, because VmHWM alone is a
lifetime high-water mark and cannot say which workload reached it.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PEERS_SCRIPTS = REPO.parent / "shared" / "peers"
PEERS_DIR = Path(os.environ.get("PEERS_DIR", Path(os.environ.get("TMPDIR", "/tmp")) / "sfn-peers"))
PEERS = ("moto", "localstack", "localstack-fast")
READY_SECONDS = 60.0


@dataclass
class Server:
    """A running server: its name, endpoint and process id, plus whatever it leaves behind."""

    name: str
    endpoint: str
    pid: int
    cold_start_s: float
    version: str
    log: Path
    process: subprocess.Popen[bytes] | None = None  # only for servers we spawned directly
    scratch: list[Path] = field(default_factory=list)

    def alive(self) -> bool:
        return Path(f"/proc/{self.pid}").exists()

    def stop(self) -> None:
        """SIGTERM this server's own pid (and its children), then SIGKILL what remains."""
        victims = [self.pid, *descendants(self.pid)]
        for pid in victims:
            _signal(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() for pid in victims):
            if self.process is not None and self.process.poll() is not None:
                break
            time.sleep(0.05)
        for pid in victims:
            if Path(f"/proc/{pid}").exists():
                _signal(pid, signal.SIGKILL)
        if self.process is not None:
            self.process.wait(timeout=10)
        for path in self.scratch:
            path.unlink(missing_ok=True)


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_asl_engine(database: str | None = None) -> Server:
    """`asl-engine serve` on a free port with a fresh database file (or `database`, such as a
    PostgreSQL URL); ready once it answers."""
    port = free_port()
    scratch = Path(tempfile.mkdtemp(prefix="asl-bench-"))
    file, log = scratch / "history.db", scratch / "server.log"
    db = database or str(file)
    started = time.time()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(REPO / ".venv" / "bin" / "asl-engine"), "serve", "--port", str(port), "--db", db],
            stdout=out, stderr=subprocess.STDOUT, cwd=scratch,
        )
    endpoint = f"http://127.0.0.1:{port}"
    wait_until_listening(port, process)
    return Server("asl-engine", endpoint, process.pid, time.time() - started, "working tree", log,
                  process, [file, Path(f"{file}-wal"), Path(f"{file}-shm")])


def wait_until_listening(port: int, process: subprocess.Popen[bytes], name: str = "asl-engine") -> None:
    """Until the server `process` started accepts connections on `port`; RuntimeError naming it if not."""
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode} before listening")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{name} did not listen on {port} within {READY_SECONDS:.0f} s")


def start_peer(name: str, python: str) -> Server:
    """A peer through start_peer.sh; raises RuntimeError with the script's words if it cannot."""
    if name not in PEERS:
        raise RuntimeError(f"unknown peer {name!r} (known: {', '.join(PEERS)})")
    port = free_port()
    env = {**os.environ, "BENCH_PYTHON": python, "PEERS_DIR": str(PEERS_DIR)}
    done = subprocess.run(
        [str(PEERS_SCRIPTS / "start_peer.sh"), name, str(port)], env=env, capture_output=True, text=True,
        timeout=240,
    )
    fields = dict(re.findall(r"(\w+)=(\S+)", done.stdout))
    if done.returncode != 0 or "pid" not in fields:
        reason = (done.stderr.strip().splitlines() or ["no output"])[0]
        raise RuntimeError(f"{name} did not start: {reason}")
    return Server(name, f"http://127.0.0.1:{port}", int(fields["pid"]), float(fields["cold_start_s"]),
                  peer_version(name), Path(fields["log"]))


def peer_version(name: str) -> str:
    """The installed version, read from the peer's venv metadata (no import, no network)."""
    venv, dist = ("moto-venv", "moto") if name == "moto" else ("localstack-venv", "localstack_core")
    for meta in (PEERS_DIR / venv).glob(f"lib/python3*/site-packages/{dist}-*.dist-info"):
        return meta.name.removeprefix(f"{dist}-").removesuffix(".dist-info")
    return "unknown"


def descendants(pid: int) -> list[int]:
    """Every process below `pid`, from /proc/<pid>/task/*/children."""
    found: list[int] = []
    queue = [pid]
    while queue:
        parent = queue.pop()
        for children in Path(f"/proc/{parent}/task").glob("*/children"):
            try:
                kids = [int(kid) for kid in children.read_text().split()]
            except OSError:
                continue
            found.extend(kids)
            queue.extend(kids)
    return found


def rss_kib(pid: int) -> int:
    """Resident set of `pid` and its descendants in KiB (0 for a process that is gone)."""
    total = 0
    for one in (pid, *descendants(pid)):
        try:
            status = Path(f"/proc/{one}/status").read_text()
        except OSError:
            continue
        match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
        total += int(match.group(1)) if match else 0
    return total


class RssSampler:
    """Samples a server's RSS every `interval` seconds in a thread; `peak_mb` after `stop`."""

    def __init__(self, pid: int, interval: float = 0.02) -> None:
        self.pid, self.interval = pid, interval
        self.peak_kib = rss_kib(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_kib = max(self.peak_kib, rss_kib(self.pid))

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak_kib = max(self.peak_kib, rss_kib(self.pid))

    @property
    def peak_mb(self) -> float:
        return self.peak_kib / 1024
