"""Configuration from the environment, under the names SFN Local uses, so a switch is painless.

`AWS_ACCOUNT_ID` and `AWS_DEFAULT_REGION` give the account and region a request gets when its
credentials do not say; `WAIT_TIME_SCALE` scales Wait states and nothing else (SFN Local's
meaning). Every other timer follows the clock, `ASL_ENGINE_CLOCK`: `real`, `virtual` (a
self-advancing virtual clock, what a test suite wants: a three-day Wait or a 300-second timeout
finishes at once, in order) or `scaled:F` (every timer F times as long). Where Task states' calls
go (mock file, local Lambda handlers, service endpoints) is a `TaskConfig`, read from the same
environment. A mistake in any of them is a `ConfigError` whose message is one line naming the
variable.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import Any, Mapping

from .clock import Clock, RealClock, ScaledClock, VirtualClock
from .tasks.config import TaskConfig, names_list

DEFAULT_ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"
DEFAULT_DB = "./asl-engine.db"
CLOCKS = "'real', 'virtual' or 'scaled:F' (F > 0)"


class ConfigError(ValueError):
    """A configuration mistake, said in one line that names the setting."""


def parse_credentials(text: str) -> dict[str, str]:
    """`AKID:SECRET,AKID2:SECRET2` -> {"AKID": "SECRET", ...}."""
    credentials = {}
    for item in names_list(text):
        key, sep, secret = item.partition(":")
        if not sep or not key or not secret:
            raise ValueError("ASL_ENGINE_SIGV4_CREDENTIALS entries are ACCESS_KEY_ID:SECRET_ACCESS_KEY")
        credentials[key] = secret
    return credentials


@dataclass(frozen=True)
class Config:
    account_id: str = DEFAULT_ACCOUNT
    region: str = DEFAULT_REGION
    db_path: str = DEFAULT_DB
    wait_time_scale: float = 1.0  # SFN Local's WAIT_TIME_SCALE: Wait states only
    clock: str = "real"  # real | virtual | scaled:F
    tasks: TaskConfig = field(default_factory=TaskConfig)  # none configured: nothing is called
    activity_poll_seconds: float = 60.0  # GetActivityTask's long poll, AWS's 60 s (tests shorten it)
    # Host names the API answers to besides IP literals, localhost and this machine's name
    # (ASL_ENGINE_ALLOWED_HOSTS, --allowed-hosts; "*": any): the defence against DNS rebinding (asl_engine/api/guard.py).
    allowed_hosts: tuple[str, ...] = ()
    # access key id -> secret (ASL_ENGINE_SIGV4_CREDENTIALS="AKID:SECRET,..."): when any is set, every
    # request must carry a valid SigV4 signature made with one of them; when none, every caller is trusted.
    credentials: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Config:
        """Read the environment; explicit `overrides` (CLI flags) win over it."""
        env = os.environ if env is None else env
        try:
            tasks = TaskConfig.from_env(env)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        config = cls(
            account_id=env.get("AWS_ACCOUNT_ID") or DEFAULT_ACCOUNT,
            region=env.get("AWS_DEFAULT_REGION") or DEFAULT_REGION,
            db_path=env.get("ASL_ENGINE_DB") or DEFAULT_DB,
            wait_time_scale=_number(env.get("WAIT_TIME_SCALE") or "1", "WAIT_TIME_SCALE"),
            clock=(env.get("ASL_ENGINE_CLOCK") or "real").strip().lower(),
            tasks=tasks,
        )
        config = replace(config, allowed_hosts=names_list(env.get("ASL_ENGINE_ALLOWED_HOSTS", "")),
                         credentials=parse_credentials(env.get("ASL_ENGINE_SIGV4_CREDENTIALS", "")))
        given = {key: value for key, value in overrides.items() if value is not None}
        return replace(config, **given)

    def make_clock(self) -> Clock:
        """The clock `clock` names, carrying `wait_time_scale`; ConfigError if either is wrong."""
        try:
            if self.clock == "real":
                return RealClock(wait_time_scale=self.wait_time_scale)
            if self.clock == "virtual":
                return VirtualClock(auto_advance=True, wait_time_scale=self.wait_time_scale)
        except ValueError as exc:  # a wait_time_scale set in code, not read by from_env
            raise ConfigError(str(exc)) from None
        kind, _, factor = self.clock.partition(":")
        try:
            if kind == "scaled" and float(factor) > 0:
                return ScaledClock(float(factor), wait_time_scale=self.wait_time_scale)
        except ValueError:
            pass  # not a number: the message below says what is expected
        raise ConfigError(f"ASL_ENGINE_CLOCK must be {CLOCKS}, not {self.clock!r}")

    def describe_clock(self) -> str:
        """For the start-up line: which clock, and the Wait-state scale when it is not 1."""
        clock = self.clock.replace(":", " x", 1) if self.clock.startswith("scaled:") else self.clock
        return clock if self.wait_time_scale == 1 else f"{clock}, Wait states x{self.wait_time_scale:g}"


def _number(text: str, name: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"{name} must be a number >= 0, not {text!r}") from None
    if not value >= 0:
        raise ConfigError(f"{name} must be a number >= 0, not {text!r}")
    return value
