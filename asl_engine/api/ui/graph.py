"""A definition as a graph to draw: nodes, edges and the nested groups of Map and Parallel.

Only the structure is decided here; the layout is dagre's, in the browser (static/console.js).
A Map or Parallel is a group holding its own node (where edges come in) and a join node (where
they leave), with its processor or each branch inside; that keeps every edge between two plain
nodes, which is what a layered layout handles well. Node ids are generated: a state's name is
only a label and a `data-state` attribute, never markup.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

START, END = "start", "end"


@dataclass
class Node:
    id: str
    label: str
    kind: str  # state | start | end | join
    state: str | None = None  # the state's name (`data-state`)
    type: str | None = None  # its ASL type
    group: str | None = None


@dataclass
class Edge:
    source: str
    target: str
    kind: str = "next"  # next | choice | default | catch
    label: str = ""


@dataclass
class Group:
    id: str
    kind: str  # Map | Parallel | branch
    state: str | None
    group: str | None = None


@dataclass
class Graph:
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"nodes": [asdict(n) for n in self.nodes], "edges": [asdict(e) for e in self.edges],
                "groups": [asdict(g) for g in self.groups]}


def build(definition: dict[str, Any]) -> Graph:
    """The graph of a parsed definition (one that was accepted, so its shape is valid)."""
    graph = Graph()
    graph.nodes.append(Node(START, "Start", START))
    graph.nodes.append(Node(END, "End", END))
    _Builder(graph).program(definition, None, START, END)
    return graph


class _Builder:
    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.count = 0

    def _id(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def program(self, program: dict[str, Any], group: str | None, entry: str, exit_: str) -> None:
        """Draw `States`, an edge from `entry` to `StartAt`, and from every terminal state to `exit_`."""
        states: dict[str, Any] = program.get("States") or {}
        inlet: dict[str, str] = {}  # state name -> node id edges come in at
        outlet: dict[str, str] = {}  # state name -> node id edges leave from
        for name, state in states.items():
            inlet[name], outlet[name] = self.state(name, state, group)
        if program.get("StartAt") in inlet:
            self.graph.edges.append(Edge(entry, inlet[program["StartAt"]]))
        for name, state in states.items():
            self.transitions(state, outlet[name], inlet, exit_)

    def state(self, name: str, state: dict[str, Any], group: str | None) -> tuple[str, str]:
        kind = state.get("Type", "")
        if kind not in ("Map", "Parallel"):
            node = self._id("n")
            self.graph.nodes.append(Node(node, name, "state", name, kind, group))
            return node, node
        box = self._id("g")
        self.graph.groups.append(Group(box, kind, name, group))
        head, join = self._id("n"), self._id("j")
        self.graph.nodes.append(Node(head, name, "state", name, kind, box))
        self.graph.nodes.append(Node(join, "", "join", None, None, box))
        if kind == "Map":
            processor = state.get("ItemProcessor") or state.get("Iterator") or {}
            self.program(processor, box, head, join)
        else:
            for branch in state.get("Branches") or []:
                lane = self._id("g")
                self.graph.groups.append(Group(lane, "branch", None, box))
                self.program(branch, lane, head, join)
        return head, join

    def transitions(self, state: dict[str, Any], source: str, inlet: dict[str, str], exit_: str) -> None:
        edges = self.graph.edges
        for index, rule in enumerate(state.get("Choices") or [], start=1):
            if rule.get("Next") in inlet:
                edges.append(Edge(source, inlet[rule["Next"]], "choice", f"Rule #{index}"))
        if state.get("Default") in inlet:
            edges.append(Edge(source, inlet[state["Default"]], "default", "Default"))
        if state.get("Next") in inlet:
            edges.append(Edge(source, inlet[state["Next"]]))
        if state.get("End") or state.get("Type") == "Succeed" or (state.get("Type") == "Fail" and exit_ == END):
            edges.append(Edge(source, exit_))
        for catcher in state.get("Catch") or []:
            if catcher.get("Next") in inlet:
                errors = ", ".join(str(error) for error in catcher.get("ErrorEquals") or [])
                edges.append(Edge(source, inlet[catcher["Next"]], "catch", errors))
