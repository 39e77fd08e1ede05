"""What `asl-engine serve` and `asl-engine run` check before they start, and what they report.

A configuration mistake should stop the process at once with one line naming the setting, not
surface later as an engine error in some execution's history or as an HTTP 500: the clock and
WAIT_TIME_SCALE, the mock file (parsed and checked against SFN Local's format), every
`ASL_LAMBDA_HANDLERS` target (imported, and callable) and every endpoint URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from .config import Config, ConfigError
from .tasks.config import ENDPOINT_VARIABLES
from .tasks.lambda_ import load_handler
from .tasks.mock import MockConfig, MockConfigError


@dataclass(frozen=True)
class Loaded:
    """What the configuration brought in, for the start-up line."""

    clock: str
    mock_file: str | None
    test_cases: int
    handlers: tuple[str, ...]
    endpoints: tuple[str, ...]

    def describe(self) -> str:
        parts = [f"clock {self.clock}"]
        if self.mock_file is not None:
            parts.append(f"mock file {self.mock_file} ({self.test_cases} test case{'s' * (self.test_cases != 1)})")
        if self.handlers:
            parts.append("Lambda handlers " + ", ".join(self.handlers))
        if self.endpoints:
            parts.append("endpoints " + ", ".join(self.endpoints))
        return ", ".join(parts)


def check(config: Config) -> Loaded:
    """Everything `config` names, loaded and checked; ConfigError on the first mistake."""
    config.make_clock()
    mock_file, test_cases = config.tasks.mock_config_path, 0
    if mock_file is not None:
        try:
            test_cases = MockConfig.load(mock_file).test_case_count
        except MockConfigError as exc:
            raise ConfigError(str(exc)) from None
    handlers = []
    for name, target in config.tasks.lambda_handlers.items():
        if callable(target):
            handlers.append(name)
            continue
        try:
            function = load_handler(target)
        except Exception as exc:  # whatever importing the user's module raised
            raise ConfigError(f"ASL_LAMBDA_HANDLERS: cannot load {name}={target}: "
                              f"{type(exc).__name__}: {exc}") from None
        if not callable(function):
            raise ConfigError(f"ASL_LAMBDA_HANDLERS: {name}={target} is not a function")
        handlers.append(f"{name}={target}")
    named = {ENDPOINT_VARIABLES[service]: url for service, url in config.tasks.endpoints.items()}
    if config.tasks.default_endpoint:
        named["AWS_ENDPOINT_URL"] = config.tasks.default_endpoint
    for variable, url in named.items():
        _check_url(variable, url)
    return Loaded(config.describe_clock(), mock_file, test_cases, tuple(handlers), tuple(named))


def _check_url(variable: str, url: str) -> None:
    try:
        parts = urlsplit(url)
        well_formed = parts.scheme in ("http", "https") and bool(parts.hostname)
        parts.port  # noqa: B018 (reading it validates the port)
    except ValueError:
        well_formed = False
    if not well_formed:
        raise ConfigError(f"{variable} must be a URL such as http://127.0.0.1:4566, not {url!r}")
