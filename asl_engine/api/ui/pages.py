"""The console's pages: server-rendered HTML from the service's reads.

Every page reads through `Service` (and its read-only `console` overviews), never the store, and
acts in the scope the URL names: an ARN's own account and region, or `?account=&region=` on the
overview. Pages only read; the two actions (start, stop) are in actions.py.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.templating import Jinja2Templates

from asl_engine import arns
from asl_engine.arns import AccountRegion
from asl_engine.aws_errors import ServiceError, StateMachineTypeNotSupported
from asl_engine.service import STATUSES, Service
from asl_engine.store import ExecutionRecord
from asl_engine.service.versions import split_qualified
from asl_engine.tasks.mock import MockConfigError

from . import graph
from .history_view import NOT_RUN, Analysis, ExecutionView, details_of

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
RECENT = 50  # executions listed on the overview and a state machine's page
EVENT_PAGE = 200  # event rows per page of the table (the rest load on demand)
PRETTY_LIMIT = 8192  # characters of JSON worth indenting
SHOWN_LIMIT = 16_384  # characters of a payload shown in an event row or a state's panel
ANALYSES = 8  # executions whose history analysis a server keeps for their pages' next poll


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


def _when(timestamp: float | None) -> str:
    if timestamp is None:
        return ""
    moment = datetime.fromtimestamp(timestamp, timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d} UTC"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.2f} s"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes} min {rest} s" if minutes < 60 else f"{minutes // 60} h {minutes % 60} min"


def _pretty(text: str | None) -> str:
    """JSON text indented for reading; a large payload (indenting would multiply its size, and
    the page's weight, several times) or text that is not JSON as it is. Only whitespace changes:
    numbers, escapes and repeated keys stay as they were written (DescribeExecution's text), where
    a round trip through Python's values would round 12345678901234567.89 and drop a repeated key."""
    if text is None:
        return ""
    if len(text) > PRETTY_LIMIT:
        return text
    try:
        json.loads(text)
    except ValueError:
        return text
    return _indent([token for token in _JSON_TOKEN.findall(text) if not token.isspace()])


_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\],:]|[^\s{}\[\],:"]+|\s+')
_CLOSING = {"{": "}", "[": "]"}


def _indent(tokens: list[str]) -> str:
    """The tokens of a JSON text laid out as json.dumps(indent=2) lays out its values."""
    out: list[str] = []
    depth = 0
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token in _CLOSING:
            if index + 1 < len(tokens) and tokens[index + 1] == _CLOSING[token]:
                out.append(token + _CLOSING[token])  # an empty object or array
                index += 1
            else:
                depth += 1
                out.append(token + "\n" + "  " * depth)
        elif token in ("}", "]"):
            depth -= 1
            out.append("\n" + "  " * depth + token)
        elif token == ",":
            out.append(",\n" + "  " * depth)
        elif token == ":":
            out.append(": ")
        else:
            out.append(token)
        index += 1
    return "".join(out)


def _machine_page(state_machine_arn: str) -> str:
    """The console page of an execution's state machine. A Distributed Map's child execution names
    `…:stateMachine:<machine>/<label>`, which no action describes: its page is the machine's."""
    return "/ui/state-machines/" + state_machine_arn.partition("/")[0]


templates.env.filters.update(when=_when, duration=_duration, pretty=_pretty, machine_page=_machine_page)
templates.env.globals.update(STATUSES=STATUSES)


def _render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    return templates.TemplateResponse(request, name, context, status_code=status)


def _error_page(request: Request, error: ServiceError) -> Response:
    status = 404 if error.type_name.endswith(("DoesNotExist", "NotFound")) else 400
    return _render(request, "error.html", {"error": error}, status)


async def root(request: Request) -> Response:
    """GET / from a browser (it asks for text/html) goes to the console; the AWS protocol is
    POST only, so anything else keeps the answer it had: 405."""
    if "text/html" in request.headers.get("accept", ""):
        return RedirectResponse("/ui/", status_code=307)
    return PlainTextResponse("Method Not Allowed", status_code=405, headers={"Allow": "POST"})


async def overview(request: Request) -> Response:
    service = _service(request)
    default = service.default_scope()
    query = request.query_params
    picked = (query.get("scope") or "").partition("/")  # the picker's "<account>/<region>" without script
    scope = AccountRegion(query.get("account") or picked[0] or default.account,
                  query.get("region") or picked[2] or default.region)
    status = request.query_params.get("status") or None
    try:
        machines = await service.console.machines(scope)
        executions = await service.console.recent_executions(scope, status, RECENT)
    except ServiceError as error:
        return _error_page(request, error)
    return _render(request, "overview.html", {
        "scope": scope, "scopes": await service.console.scopes(), "machines": machines,
        "executions": executions, "status": status,
    })


async def state_machine(request: Request) -> Response:
    service = _service(request)
    arn = request.path_params["arn"]
    status = request.query_params.get("status") or None
    try:
        scope = arns.parse_arn(arn).scope
        machine = await service.describe_state_machine(scope, arn)  # a version's own definition
        base, _ = split_qualified(arn)  # a version's page lists its machine's executions and versions
        try:
            executions = (await service.list_executions(scope, base, status, None, RECENT)).items
        except StateMachineTypeNotSupported:  # Express executions are not recorded
            executions = []
        versions, _ = await service.versions.list_versions(scope, base, None, 100)
        aliases = await service.versions.list_aliases(scope, base)
    except ServiceError as error:
        return _error_page(request, error)
    try:
        test_cases, mock_error = service.console.test_cases(machine.name), None
    except MockConfigError as exc:  # the file was edited into a broken state: say so, start without
        test_cases, mock_error = [], str(exc)
    definition = json.loads(machine.definition)
    return _render(request, "state_machine.html", {
        "scope": scope, "machine": machine, "definition": json.dumps(definition, indent=2, ensure_ascii=False),
        "graph": graph.build(definition).as_json(), "statuses": {}, "executions": executions,
        "versions": versions, "aliases": aliases, "status": status,
        "test_cases": test_cases, "mock_error": mock_error,
    })


async def execution(request: Request) -> Response:
    """The execution page; `?after=<event id>` renders the event rows after that one (the
    table's next page, and what a live update appends)."""
    service = _service(request)
    arn = request.path_params["arn"]
    try:
        after = int(request.query_params.get("after") or 0)
    except ValueError:
        after = 0
    try:
        scope = arns.parse_arn(arn).scope
        record = await service.executions.describe(scope, arn)
        analysis = _analysis(request, record)  # fed only the events it has not seen
        analysis.feed(await service.console.history(scope, arn, analysis.last_id))
        total = analysis.last_id
        rows = await service.console.history(scope, arn, after, EVENT_PAGE) if after < total else []
        try:
            machine_definition: dict[str, Any] | None = json.loads(
                (await service.machine_for_execution(scope, arn)).definition)
        except ServiceError:  # its revision is gone: the history is all there is
            machine_definition = None
    except ServiceError as error:
        return _error_page(request, error)
    running = record.status == "RUNNING"
    view = analysis.view(running, service.clock.time())
    drawn = graph.build(machine_definition) if machine_definition is not None else graph.Graph()
    statuses = {node.state: view.status_of(node.state) for node in drawn.nodes if node.state}
    labels = _labels(drawn, view, await _map_run_counts(service, scope, view))
    return _render(request, "execution.html", {
        "scope": scope, "record": record, "view": view, "graph": drawn.as_json(), "statuses": statuses,
        "labels": labels, "panels": _panels(view, analysis.events), "rows": [_row(e, view) for e in rows],
        "more": bool(rows) and rows[-1]["id"] < total, "running": running,
        "total_events": total, "gantt": _gantt(view), "input": _pretty(record.input),
        "output": _pretty(record.output), "NOT_RUN": NOT_RUN,
    })


async def _map_run_counts(service: Service, scope: AccountRegion, view: ExecutionView) -> dict[str, dict[str, int]]:
    """A Distributed Map's item counts (its iterations run as child executions, whose events the
    parent's history does not hold): DescribeMapRun's `itemCounts`, by Map state name."""
    counts = {}
    for name, arn in view.map_runs.items():
        try:
            counts[name] = (await service.map_runs.describe(scope, arn)).item_counts
        except ServiceError:
            continue
    return counts


def _labels(drawn: graph.Graph, view: ExecutionView, map_runs: dict[str, dict[str, int]]) -> dict[str, str]:
    """Second lines of the nodes: a Map's iterations (a Distributed Map's items), a Parallel's
    branches, a state's retries."""
    branches: dict[str, int] = {}
    for group in drawn.groups:
        if group.kind == "branch" and group.group is not None:
            branches[group.group] = branches.get(group.group, 0) + 1
    parts: dict[str, list[str]] = {}
    for group in drawn.groups:
        if group.state is None:
            continue
        run = view.states.get(group.state)
        items = map_runs.get(group.state)
        if items is not None:
            done = ", ".join(f"{items[key]} {key}" for key in ("succeeded", "failed", "running")
                             if items.get(key))
            parts[group.state] = [f"{items.get('total', 0)} items" + (f" ({done})" if done else "")]
        elif group.kind == "Map":
            parts[group.state] = [f"{run.iterations if run else 0} iterations"]
        else:
            parts[group.state] = [f"{branches.get(group.id, 0)} branches"]
    for name, run in view.states.items():
        if run.retries:
            parts.setdefault(name, []).append(f"{run.retries} {'retry' if run.retries == 1 else 'retries'}")
    return {name: " · ".join(texts) for name, texts in parts.items()}


def _analysis(request: Request, record: ExecutionRecord) -> Analysis:
    """The analysis of the execution's history so far, kept for the last ANALYSES executions
    shown: a running execution's page asks again every second, and analysing its whole history
    each time (25,000 events: ~70 ms of the event loop, per open tab) slowed every other call.
    Keyed by the start date too: a machine deleted and created again reuses execution ARNs."""
    state = request.app.state
    cache: OrderedDict[tuple[str, float], Analysis] | None = getattr(state, "console_analyses", None)
    if cache is None:
        cache = state.console_analyses = OrderedDict()
    key = (record.arn, record.start_date)
    analysis = cache.pop(key, None) or Analysis()
    cache[key] = analysis
    while len(cache) > ANALYSES:
        cache.popitem(last=False)
    return analysis


def _clip(text: str) -> str:
    """At most SHOWN_LIMIT characters of a payload in a row or a panel: 200 rows of 200 KB
    events made a 41 MB page. The whole text is GetExecutionHistory's (and the REST API's)."""
    if len(text) <= SHOWN_LIMIT:
        return text
    return f"{text[:SHOWN_LIMIT]}\n… {len(text) - SHOWN_LIMIT:,} more characters (GetExecutionHistory has them all)"


def _panels(view: ExecutionView, events: dict[int, tuple[str, float]]) -> dict[str, Any]:
    """What a click on a state shows (a state's first events only: the table has them all)."""
    panels: dict[str, Any] = {}
    for name, run in view.states.items():
        panels[name] = {
            "status": run.status, "visits": run.visits, "retries": run.retries,
            "iterations": run.iterations, "input": _clip(_pretty(run.input)), "output": _clip(_pretty(run.output)),
            "error": run.error, "cause": run.cause,
            "duration": _duration((run.end or view.end) - run.start if run.start is not None else None),
            "events": [{"id": i, "type": events[i][0], "when": _when(events[i][1])} for i in run.event_ids],
        }
    return panels


def _row(event: dict[str, Any], view: ExecutionView) -> dict[str, Any]:
    details = details_of(event)
    return {
        "id": event["id"], "type": event["type"], "state": view.state_of_event.get(event["id"], ""),
        "elapsed": _duration(event["timestamp"] - view.start), "when": _when(event["timestamp"]),
        "duration": _duration(view.visit_duration.get(event["id"])),
        "details": _clip(_pretty(json.dumps(details, ensure_ascii=False))) if details else "",
    }


def _gantt(view: ExecutionView) -> list[dict[str, Any]]:
    total = max(view.end - view.start, 1e-9)
    rows = []
    for run in sorted(view.states.values(), key=lambda r: (r.start or 0)):
        start = (run.start or view.start) - view.start
        length = (run.end if run.end is not None else view.end) - (run.start or view.start)
        rows.append({"name": run.name, "status": run.status, "duration": _duration(length),
                     "left": round(100 * start / total, 3),
                     "width": round(max(100 * length / total, 0.4), 3)})
    return rows
