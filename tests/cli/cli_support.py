"""The `asl-engine` command as a user runs it: the installed console script, in a real process."""

from __future__ import annotations

import os
import re
import selectors
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping

ASL_ENGINE = str(Path(sys.executable).with_name("asl-engine"))
READY = re.compile(r"^asl-engine \S+ ready on (http://127\.0\.0\.1:\d+): (.*)$")
START_TIMEOUT = 60  # a guard against a hang on a loaded machine, not a latency bound


def environment(extra: Mapping[str, str]) -> dict[str, str]:
    """This process's environment without asl-engine's and SFN Local's settings, plus `extra`."""
    ours = re.compile(r"^(ASL_|SFN_|WAIT_TIME_SCALE$|AWS_ENDPOINT_URL$|AWS_ACCOUNT_ID$|[A-Z_]+_ENDPOINT$)")
    env = {key: value for key, value in os.environ.items() if not ours.match(key)}
    return {**env, **extra}


def asl_engine(*args: str, env: Mapping[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run `asl-engine ARGS...` to its end."""
    return subprocess.run([ASL_ENGINE, *args], env=environment(env or {}), cwd=cwd, capture_output=True,
                          text=True, timeout=START_TIMEOUT)


@dataclass
class Served:
    process: subprocess.Popen[str]
    url: str
    ready_line: str


def serve(*args: str, env: Mapping[str, str] | None = None, cwd: Path | None = None) -> Iterator[Served]:
    """`asl-engine serve --port 0 ARGS...` until its ready line; stopped (SIGTERM) afterwards."""
    process = subprocess.Popen([ASL_ENGINE, "serve", "--port", "0", "--log-level", "warning", *args],
                               env=environment(env or {}), cwd=cwd, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            readable = selector.select(timeout=START_TIMEOUT)
        line = process.stdout.readline().rstrip("\n") if readable else ""
        match = READY.match(line)
        assert match, f"no ready line; got {line!r}, stderr: {process.stderr.read() if process.poll() is not None else ''}"
        yield Served(process, match.group(1), line)
    finally:
        process.terminate()
        process.communicate(timeout=START_TIMEOUT)
