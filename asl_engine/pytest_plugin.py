"""The pytest plugin asl-engine installs (entry point `pytest11`): the `asl` fixture and
`--asl-coverage`.

Inert unless used: a session that neither requests the fixture nor passes an `--asl-coverage*`
option only gets three options added; nothing of the engine is imported until a test asks.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Iterator

import pytest

if TYPE_CHECKING:
    from asl_engine.testing.coverage import Coverage
    from asl_engine.testing.environment import Environment

COVERAGE_PLUGIN = "asl-engine-coverage"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("asl-engine", "asl-engine state machine coverage")
    group.addoption("--asl-coverage", action="store_true", default=False,
                    help="report, per state machine, the states entered, Choice rules taken, and Retry and "
                         "Catch clauses that fired in tests using the `asl` fixture")
    group.addoption("--asl-coverage-fail-under", type=float, default=None, metavar="PERCENT",
                    help="fail the session when state machine coverage is below PERCENT (implies --asl-coverage)")
    group.addoption("--asl-coverage-json", default=None, metavar="FILE",
                    help="write the state machine coverage to FILE as JSON (implies --asl-coverage)")


def pytest_configure(config: pytest.Config) -> None:
    options = config.option
    if options.asl_coverage or options.asl_coverage_fail_under is not None or options.asl_coverage_json:
        config.pluginmanager.register(CoverageReport(config), COVERAGE_PLUGIN)


@pytest.fixture
def asl(request: pytest.FixtureRequest) -> Iterator[Environment]:
    """A fresh asl-engine for this test: in-memory store, virtual clock, a real endpoint on loopback."""
    from asl_engine.testing import Environment

    report = request.config.pluginmanager.get_plugin(COVERAGE_PLUGIN)
    with Environment(coverage=report.coverage if report is not None else None) as environment:
        yield environment


class CoverageReport:
    """Collects coverage from every environment of the session and reports it at the end."""

    def __init__(self, config: pytest.Config) -> None:
        from asl_engine.testing.coverage import Coverage

        self.config = config
        self.coverage: Coverage = Coverage()
        self.below: float | None = None

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        options = self.config.option
        if options.asl_coverage_json:
            with open(options.asl_coverage_json, "w", encoding="utf-8") as file:
                json.dump(self.coverage.as_json(), file, indent=2)
        threshold = options.asl_coverage_fail_under
        if threshold is not None and self.coverage.percent < threshold:
            self.below = threshold
            if session.exitstatus == pytest.ExitCode.OK:
                session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        terminalreporter.write_sep("-", "asl-engine state machine coverage")
        for line in self.coverage.report():
            terminalreporter.write_line(line)
        if self.config.option.asl_coverage_json:
            terminalreporter.write_line(f"written to {self.config.option.asl_coverage_json}")
        if self.below is not None:
            terminalreporter.write_line(
                f"FAIL Required state machine coverage of {self.below:g}% not reached. "
                f"Total coverage: {self.coverage.percent:.2f}%", red=True)
