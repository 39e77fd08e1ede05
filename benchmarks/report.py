"""The results as one Markdown table (printed, and pasted into README) and as JSON.

A cell reads `median wall · transitions/s · [extras] · peak RSS`; a peer's cell ends with its
time divided by asl-engine's (**12.0x**: asl-engine is twelve times faster). Why Markdown: the same text serves the terminal and the README, so the
numbers there are exactly the numbers measured.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ASL = "asl-engine"


@dataclass
class Result:
    """One workload on one server over all repetitions; `status` is ok or why there is no number."""

    status: str = "ok"  # ok | unsupported | wrong | timeout | error
    note: str = ""
    transitions: int = 0  # states entered per run, all executions together
    wall_s: list[float] = field(default_factory=list)
    peak_rss_mb: float = 0.0
    entered: int | None = None  # states entered per execution, from the history
    extra: dict[str, list[float]] = field(default_factory=dict)

    def median(self) -> float:
        return statistics.median(self.wall_s)

    def median_extra(self, key: str) -> float | None:
        values = self.extra.get(key)
        return statistics.median(values) if values else None


def machine_info() -> dict[str, Any]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    return {"date": datetime.date.today().isoformat(), "nproc": os.cpu_count(), "cpu": cpu,
            "python": platform.python_version(), "load_at_start": os.getloadavg()[0]}


def _cell(result: Result | None, asl: Result | None, name: str) -> str:
    if result is None:
        return "not run"
    if result.status != "ok":
        note = result.note if len(result.note) <= 110 else result.note[:107] + "..."
        return result.status + (f" ({note})" if note else "")
    median = result.median()
    parts = [f"{median:.3g} s" if median >= 0.1 else f"{median * 1000:.3g} ms",
             f"{result.transitions / median:,.0f}/s"]
    for key, label in (("p50_ms", "p50 {:.2f} ms"), ("p99_ms", "p99 {:.2f} ms"),
                       ("starts_per_s", "{:,.0f} starts/s"), ("park_s", "park {:.2f} s"),
                       ("drain_s", "drain {:.2f} s")):
        value = result.median_extra(key)
        if value is not None:
            parts.append(label.format(value))
    parts.append(f"{result.peak_rss_mb:.0f} MB")
    if name != ASL and asl is not None and asl.status == "ok":
        parts.append(f"**{_ratio(result, asl):.1f}x**")
    return " · ".join(parts)


def _ratio(peer: Result, asl: Result) -> float:
    """Peer time / asl-engine time: p50 for synchronous calls, else median wall time."""
    if "p50_ms" in asl.extra and "p50_ms" in peer.extra:
        return (peer.median_extra("p50_ms") or 0.0) / (asl.median_extra("p50_ms") or 1.0)
    return peer.median() / asl.median()


def table(results: dict[str, dict[str, Result]], titles: dict[str, str], servers: list[str],
          alone: dict[str, float]) -> str:
    """Markdown: one row per workload, one column per server, plus the engine alone (in process)."""
    header = ["workload", *servers, "engine alone (in process)"]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for workload, per_server in results.items():
        cells = [_cell(per_server.get(name), per_server.get(ASL), name) for name in servers]
        engine = f"{alone[workload]:,.0f}/s" if workload in alone else "n/a"
        lines.append(f"| {workload} {titles[workload]} | " + " | ".join(cells) + f" | {engine} |")
    return "\n".join(lines)


def write_json(path: Path, payload: dict[str, Any]) -> None:
    def plain(value: Any) -> Any:
        if isinstance(value, Result):
            data = asdict(value)
            if value.status == "ok":
                data["median_s"] = round(value.median(), 6)
                data["transitions_per_s"] = round(value.transitions / value.median(), 1)
            return data
        if isinstance(value, dict):
            return {key: plain(item) for key, item in value.items()}
        if isinstance(value, float):
            return round(value, 6)
        if isinstance(value, list):
            return [plain(item) for item in value]
        return value

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(plain(payload), indent=1) + "\n")
