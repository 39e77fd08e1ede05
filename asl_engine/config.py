"""Configuration from the environment, under the names SFN Local uses, so a switch is painless.

`AWS_ACCOUNT_ID` and `AWS_DEFAULT_REGION` give the account and region a request gets when its
credentials do not say; `WAIT_TIME_SCALE` scales waits (SFN Local's meaning); and
`ASL_ENGINE_CLOCK=virtual` runs every execution on a self-advancing virtual clock, which is what
a test suite wants: a three-day Wait finishes at once. Where Task states' calls go (mock file,
local Lambda handlers, service endpoints) is a `TaskConfig`, read from the same environment.
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
    wait_time_scale: float | None = None
    clock: str = "real"  # real | virtual
    tasks: TaskConfig = field(default_factory=TaskConfig)  # none configured: nothing is called
    activity_poll_seconds: float = 60.0  # GetActivityTask's long poll, AWS's 60 s (tests shorten it)
    # Host names the API answers to besides IP literals, localhost and this machine's name
    # (ASL_ENGINE_ALLOWED_HOSTS; "*": any): the defence against DNS rebinding (api/guard.py).
    allowed_hosts: tuple[str, ...] = ()
    # access key id -> secret (ASL_ENGINE_SIGV4_CREDENTIALS="AKID:SECRET,..."): when any is set, every
    # request must carry a valid SigV4 signature made with one of them; when none, every caller is trusted.
    credentials: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Config:
        """Read the environment; explicit `overrides` (CLI flags) win over it."""
        env = os.environ if env is None else env
        scale = env.get("WAIT_TIME_SCALE")
        config = cls(
            account_id=env.get("AWS_ACCOUNT_ID") or DEFAULT_ACCOUNT,
            region=env.get("AWS_DEFAULT_REGION") or DEFAULT_REGION,
            db_path=env.get("ASL_ENGINE_DB") or DEFAULT_DB,
            wait_time_scale=float(scale) if scale not in (None, "") else None,
            clock=(env.get("ASL_ENGINE_CLOCK") or "real").lower(),
            tasks=TaskConfig.from_env(env),
        )
        config = replace(config, allowed_hosts=names_list(env.get("ASL_ENGINE_ALLOWED_HOSTS", "")),
                         credentials=parse_credentials(env.get("ASL_ENGINE_SIGV4_CREDENTIALS", "")))
        given = {key: value for key, value in overrides.items() if value is not None}
        return replace(config, **given)

    def make_clock(self) -> Clock:
        if self.clock == "virtual":
            return VirtualClock(auto_advance=True)
        if self.clock != "real":
            raise ValueError(f"ASL_ENGINE_CLOCK must be 'real' or 'virtual', not {self.clock!r}")
        if self.wait_time_scale is not None:
            return ScaledClock(self.wait_time_scale)
        return RealClock()
