"""How long validating a large definition takes (target: a 500-state definition in under 50 ms).

    .venv/bin/python -m benchmarks.validation
"""

from __future__ import annotations

import statistics
import time

from asl_engine.validate import validate_definition

from .workloads import pass_chain


def main() -> None:
    definition = pass_chain(500).definition
    assert validate_definition(definition) == [], "the benchmark definition must be valid"
    times = []
    for _ in range(7):
        started = time.perf_counter()
        validate_definition(definition)
        times.append(time.perf_counter() - started)
    print(f"validate 500-state definition: median {statistics.median(times) * 1000:.1f} ms (target < 50 ms)")


if __name__ == "__main__":
    main()
