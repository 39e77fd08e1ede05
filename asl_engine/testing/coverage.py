"""State machine coverage: which states, Choice rules, Retry and Catch clauses the tests exercised.

Everything is read from what the engine records, the definition and the history, so coverage
says what a user could check by hand in the console:
- a state is covered once it is entered (nested ones count, by path: "Map/Inner");
- a Choice rule once the execution went where it leads from that Choice (when two rules lead
  to the same state, the first whose condition holds on the state's input is the one taken);
- a Retry clause once a failure it is the first match for was retried (ASL: the first retrier
  whose ErrorEquals matches decides);
- a Catch clause once a failure left the state through it.
Items are merged per state machine name across every execution of every test.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

from ..choice import compile_choice_rule
from ..errors import DefinitionError, StatesError
from ..engine.decisions import error_matches
from ..paths import Scope
from .history import Event, Occurrence, all_states, details, occurrences, state_paths

Json = Any
KINDS = ("states", "choices", "retries", "catches")
ATTEMPT_STARTS = ("TaskScheduled", "LambdaFunctionScheduled", "ActivityScheduled", "MapStateStarted",
                  "ParallelStateStarted")
BRANCH_FAILURES = ("MapStateFailed", "ParallelStateFailed")
LABELS = {"states": "state", "choices": "Choice rule", "retries": "Retry", "catches": "Catch"}


@dataclass
class MachineCoverage:
    """One state machine's items (kind -> item -> exercised), in definition order."""

    items: dict[str, dict[str, bool]] = field(default_factory=lambda: {kind: {} for kind in KINDS})

    def add(self, kind: str, item: str, hit: bool = False) -> None:
        self.items[kind][item] = self.items[kind].get(item, False) or hit

    @property
    def covered(self) -> int:
        return sum(hit for items in self.items.values() for hit in items.values())

    @property
    def total(self) -> int:
        return sum(len(items) for items in self.items.values())


@dataclass
class Coverage:
    """Coverage of every state machine the session ran, by name."""

    machines: dict[str, MachineCoverage] = field(default_factory=dict)

    def record_all(self, runs: Iterable[tuple[str, str, Sequence[Event]]]) -> None:
        for name, definition, events in runs:
            self.record(name, definition, events)

    def record(self, name: str, definition_text: str, events: Sequence[Event]) -> None:
        """Add one execution: its machine's items, and those its history exercised."""
        definition = json.loads(definition_text)
        machine = self.machines.setdefault(name, MachineCoverage())
        states = all_states(definition)
        paths = state_paths(definition)
        for state_path, definition_state in states.items():
            machine.add("states", state_path)
            for kind, item in _items(state_path, definition_state):
                machine.add(kind, item)
        runs = occurrences(events)
        following = {int(run.entered.get("previousEventId") or 0): run.name for run in runs}
        for run in runs:
            path = paths.get(run.name)
            state = states.get(path or "")
            if path is None or state is None:
                continue
            machine.add("states", path, True)
            exited = run.exited
            next_name = following.get(int(exited["id"])) if exited is not None else None
            if state.get("Type") == "Choice" and next_name is not None:
                taken = _choice_taken(path, state, run, next_name)
                if taken is not None:
                    machine.add("choices", taken, True)
            for kind, item in _handled(path, state, run, next_name):
                machine.add(kind, item, True)

    @property
    def percent(self) -> float:
        return _percent(sum(m.covered for m in self.machines.values()), sum(m.total for m in self.machines.values()))

    def report(self) -> list[str]:
        """The terminal report: a line per machine, then what was never exercised."""
        covered = sum(m.covered for m in self.machines.values())
        total = sum(m.total for m in self.machines.values())
        lines = [f"state machine coverage: {self.percent:.0f}% ({covered}/{total} states, Choice rules, "
                 "Retry and Catch clauses exercised)"]
        width = max((len(name) for name in self.machines), default=0)
        for name, machine in sorted(self.machines.items()):
            counts = "  ".join(f"{kind} {sum(items.values())}/{len(items)}" for kind, items in machine.items.items())
            lines.append(f"  {name:<{width}}  {_percent(machine.covered, machine.total):3.0f}%  {counts}")
            for kind, items in machine.items.items():
                lines += [f"      never: {LABELS[kind]} {item}" for item, hit in items.items() if not hit]
        return lines

    def as_json(self) -> dict[str, Json]:
        machines = {}
        for name, machine in sorted(self.machines.items()):
            entry: dict[str, Json] = {"percent": round(_percent(machine.covered, machine.total), 2),
                                      "covered": machine.covered, "total": machine.total}
            for kind, items in machine.items.items():
                entry[kind] = {"covered": [item for item, hit in items.items() if hit],
                               "missed": [item for item, hit in items.items() if not hit]}
            machines[name] = entry
        return {"percent": round(self.percent, 2), "covered": sum(m.covered for m in self.machines.values()),
                "total": sum(m.total for m in self.machines.values()), "machines": machines}


def _percent(covered: int, total: int) -> float:
    return 100.0 if total == 0 else 100.0 * covered / total


def _choice_item(path: str, index: int | None, target: str) -> str:
    return f"{path} {'Default' if index is None else '#' + str(index + 1)} -> {target}"


def _clause_item(path: str, index: int, clause: Mapping[str, Json]) -> str:
    names = list(clause.get("ErrorEquals") or [])
    errors = ",".join(names[:2]) + (f",+{len(names) - 2}" if len(names) > 2 else "")
    target = f" -> {clause['Next']}" if "Next" in clause else ""
    return f"{path} #{index + 1} [{errors}]{target}"


def _items(path: str, state: Mapping[str, Json]) -> Iterable[tuple[str, str]]:
    for index, rule in enumerate(state.get("Choices") or ()):
        yield "choices", _choice_item(path, index, str(rule.get("Next")))
    if state.get("Type") == "Choice" and "Default" in state:
        yield "choices", _choice_item(path, None, str(state["Default"]))
    for index, retrier in enumerate(state.get("Retry") or ()):
        yield "retries", _clause_item(path, index, retrier)
    for index, catcher in enumerate(state.get("Catch") or ()):
        yield "catches", _clause_item(path, index, catcher)


def _choice_taken(path: str, state: Mapping[str, Json], run: Occurrence, next_name: str) -> str | None:
    rules = list(state.get("Choices") or ())
    candidates = [index for index, rule in enumerate(rules) if rule.get("Next") == next_name]
    if state.get("Default") == next_name:
        candidates.append(-1)
    if len(candidates) > 1 and "InputPath" not in state:
        value = json.loads(details(run.entered).get("input") or "null")
        for index, rule in enumerate(rules):
            try:
                holds = compile_choice_rule(rule, path).predicate(Scope(value, {}, None))
            except (DefinitionError, StatesError, KeyError, TypeError, ValueError):
                break  # a JSONata rule, or one that needs variables: fall back on the first candidate
            if holds:
                candidates = [index] if index in candidates else candidates
                break
    if not candidates:
        return None
    index = candidates[0]
    return _choice_item(path, None if index < 0 else index, next_name)


def _handled(path: str, state: Mapping[str, Json], run: Occurrence,
             next_name: str | None) -> Iterable[tuple[str, str]]:
    """The Retry and Catch clauses this run of the state went through."""
    retriers = list(state.get("Retry") or ())
    catchers = list(state.get("Catch") or ())
    if not retriers and not catchers:
        return
    attempts = sum(str(e["type"]) in ATTEMPT_STARTS for e in run.events)
    failures = [_failure(e) for e in run.events if _is_failure(e)]
    if state.get("Type") in ("Map", "Parallel"):
        # A branch failure is recorded once, when the state stops retrying: each earlier attempt
        # was retried for an error the history does not name.
        retried = [StatesError(None)] * max(0, attempts - 1)
        failed_last = bool(failures) or attempts == 0
    else:
        retried = failures[:max(0, attempts - 1)]
        failed_last = len(failures) >= attempts
    for failure in retried:
        index = _first_match(retriers, failure)
        if index is not None:
            yield "retries", _clause_item(path, index, retriers[index])
    if catchers and run.exited is not None and failed_last and next_name is not None:
        last = failures[-1] if failures else None
        leading = [i for i, catcher in enumerate(catchers) if catcher.get("Next") == next_name]
        matching = [i for i in leading if last is None or last.error is None
                    or error_matches(tuple(catchers[i].get("ErrorEquals") or ()), last)]
        chosen = (matching or leading)[:1]
        for index in chosen:
            yield "catches", _clause_item(path, index, catchers[index])


def _is_failure(event: Event) -> bool:
    kind = str(event["type"])
    if kind in BRANCH_FAILURES:
        return True
    return kind.endswith(("Failed", "TimedOut")) and "error" in details(event) \
        and not kind.startswith(("MapIteration", "Execution", "Evaluation"))


def _failure(event: Event) -> StatesError:
    return StatesError(details(event).get("error"), details(event).get("cause"),
                       from_task=str(event["type"]) not in BRANCH_FAILURES)


def _first_match(retriers: list[Mapping[str, Json]], failure: StatesError) -> int | None:
    for index, retrier in enumerate(retriers):
        if failure.error is None or error_matches(tuple(retrier.get("ErrorEquals") or ()), failure):
            return index
    return None
