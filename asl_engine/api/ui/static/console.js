// asl-engine console: draws the graph (laid out by dagre), shows a state's panel, runs the two
// actions (start, stop) and keeps a running execution's page up to date by polling it.
// Everything taken from data goes into the page as text (textContent), never as markup.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const POLL_MS = 1000;

function data(id) {
  const element = document.getElementById(id);
  return element ? JSON.parse(element.textContent) : null;
}

// A value of a plain object keyed by state names, only when the object has it as its own: a state
// may be called "constructor", "toString" or "__proto__", which every object also answers.
const own = (object, key) => (object && Object.hasOwn(object, key) ? object[key] : undefined);

function svg(name, attributes, parent) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes || {})) element.setAttribute(key, value);
  if (parent) parent.appendChild(element);
  return element;
}

function html(name, text, parent, className) {
  const element = document.createElement(name);
  if (text !== undefined && text !== null) element.textContent = text;
  if (className) element.className = className;
  if (parent) parent.appendChild(element);
  return element;
}

// -- the graph -------------------------------------------------------------------------------

const measure = document.createElement("canvas").getContext("2d");
measure.font = "13px system-ui, sans-serif";
const textWidth = (text) => measure.measureText(text || "").width;

function drawGraph(container, graph, statuses, labels) {
  const g = new dagre.graphlib.Graph({ compound: true, multigraph: true });
  g.setGraph({ rankdir: "TB", nodesep: 24, ranksep: 36, edgesep: 12, marginx: 16, marginy: 16 });
  for (const group of graph.groups) g.setNode(group.id, { group });
  for (const group of graph.groups) if (group.group) g.setParent(group.id, group.group);
  for (const node of graph.nodes) {
    const sub = node.state ? own(labels, node.state) || "" : "";
    const size = node.kind === "join" ? [14, 14]
      : node.kind === "state" ? [Math.max(textWidth(node.label), textWidth(sub)) + 28, sub ? 46 : 34]
      : [64, 28];
    g.setNode(node.id, { node, width: size[0], height: size[1] });
    if (node.group) g.setParent(node.id, node.group);
  }
  graph.edges.forEach((edge, index) => {
    const label = edge.label ? { label: edge.label, width: textWidth(edge.label) * 0.85 + 8, height: 16 } : {};
    g.setEdge(edge.source, edge.target, { edge, ...label }, "e" + index);
  });
  dagre.layout(g);

  const layout = g.graph();
  const root = svg("svg", { width: layout.width, height: layout.height,
                            viewBox: `0 0 ${layout.width} ${layout.height}`, class: "graph-svg" });
  const defs = svg("defs", {}, root);
  const marker = svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5,
                                 markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, defs);
  svg("path", { d: "M 0 0 L 10 5 L 0 10 z", class: "arrowhead" }, marker);

  const groupLayer = svg("g", { class: "groups" }, root);
  for (const id of g.nodes()) {
    const box = g.node(id);
    if (!box.group) continue;
    svg("rect", { x: box.x - box.width / 2, y: box.y - box.height / 2, width: box.width,
                  height: box.height, rx: 8, class: "group group-" + box.group.kind.toLowerCase() }, groupLayer);
  }
  const edgeLayer = svg("g", { class: "edges" }, root);
  for (const key of g.edges()) {
    const drawn = g.edge(key);
    const points = drawn.points.map((p) => `${p.x},${p.y}`).join(" L ");
    svg("path", { d: "M " + points, class: "edge edge-" + drawn.edge.kind, "marker-end": "url(#arrow)" }, edgeLayer);
    if (drawn.edge.label) {
      svg("text", { x: drawn.x, y: drawn.y + 4, class: "edge-label", "text-anchor": "middle" }, edgeLayer)
        .textContent = drawn.edge.label;
    }
  }
  const nodeLayer = svg("g", { class: "nodes" }, root);
  for (const id of g.nodes()) {
    const box = g.node(id);
    if (!box.node) continue;
    const node = box.node;
    const element = svg("g", { class: "node node-" + node.kind,
                               transform: `translate(${box.x - box.width / 2},${box.y - box.height / 2})` }, nodeLayer);
    if (node.kind === "join") {
      svg("circle", { cx: 7, cy: 7, r: 6 }, element);
      continue;
    }
    svg("rect", { width: box.width, height: box.height, rx: node.kind === "state" ? 6 : 14 }, element);
    svg("text", { x: box.width / 2, y: 21, "text-anchor": "middle", class: "label" }, element).textContent = node.label;
    if (node.kind !== "state") continue;
    element.dataset.state = node.state;
    element.dataset.type = node.type;
    element.setAttribute("tabindex", "0");
    element.setAttribute("role", "button");
    const status = own(statuses, node.state);
    if (status !== undefined) element.dataset.status = status;
    svg("text", { x: box.width / 2, y: 37, "text-anchor": "middle", class: "sublabel" }, element)
      .textContent = own(labels, node.state) || "";
    svg("title", {}, element).textContent = `${node.state} (${node.type})`;
  }
  container.replaceChildren(root);
}

// dagre lays out a few thousand states at most (a 3,000-state chain overflows its recursion): a
// graph it cannot lay out is a short note, and the rest of the page works without it.
function showGraph(container, graph, statuses, labels) {
  try {
    drawGraph(container, graph, statuses, labels);
  } catch (error) {
    const states = graph.nodes.filter((node) => node.kind === "state").length;
    const hint = document.getElementById("gantt") ? " Click a state in the timeline for its details." : "";
    container.replaceChildren(html("p", `This state machine (${states} states) is too large to draw ` +
                                   `(${error.message}).${hint}`, null, "empty graph-note"));
  }
}

function updateGraph(statuses, labels) {
  for (const element of document.querySelectorAll("#graph [data-state]")) {
    const name = element.dataset.state;
    const status = own(statuses, name);
    if (status !== undefined) element.dataset.status = status;
    const sub = element.querySelector(".sublabel");
    if (sub) sub.textContent = own(labels, name) || "";
  }
}

// -- a state's panel -------------------------------------------------------------------------

let panels = {};
let selected = null;

function showPanel(name) {
  selected = name;
  const panel = document.getElementById("state-panel");
  if (!panel) return;
  for (const element of document.querySelectorAll("#graph .selected")) element.classList.remove("selected");
  const node = document.querySelector(`#graph [data-state="${CSS.escape(name)}"]`);
  if (node) node.classList.add("selected");
  const run = own(panels, name);
  panel.replaceChildren();
  panel.dataset.state = name;
  const title = html("h2", name, panel);
  html("span", run ? run.status : "not-run", title, "badge state-" + (run ? run.status : "not-run"));
  if (!run) {
    html("p", "This state did not run in this execution.", panel, "empty");
    return;
  }
  const facts = html("dl", null, panel, "facts");
  const fact = (label, value) => { html("dt", label, facts); html("dd", String(value), facts); };
  if (run.visits > 1) fact("Entered", `${run.visits} times`);
  if (run.iterations) fact("Iterations", run.iterations);
  fact("Retries", run.retries);
  fact("Duration", run.duration);
  if (run.error) fact("Error", run.error);
  if (run.cause) { html("h3", "Cause", panel); html("pre", run.cause, panel, "cause panel-cause"); }
  html("h3", run.visits > 1 ? "Input (last entry)" : "Input", panel);
  html("pre", run.input, panel, "panel-input");
  html("h3", run.visits > 1 ? "Output (last entry)" : "Output", panel);
  html("pre", run.output || "(no output)", panel, "panel-output");
  html("h3", "Events", panel);
  const list = html("ol", null, panel, "panel-events");
  for (const event of run.events) {
    const item = html("li", null, list);
    const link = html("a", `#${event.id} ${event.type}`, item);
    link.href = "#";
    link.addEventListener("click", (click) => { click.preventDefault(); revealEvent(event.id); });
    html("span", " " + event.when, item, "when");
  }
}

function revealEvent(id) {
  const row = document.querySelector(`#events tr[data-event-id="${id}"]`);
  if (!row) return;
  row.scrollIntoView({ block: "center" });
  row.classList.add("flash");
  setTimeout(() => row.classList.remove("flash"), 1500);
}

// -- actions ---------------------------------------------------------------------------------

async function post(action, body) {
  // JSON (a non-simple content type) from this origin only: see api/ui/actions.py.
  const response = await fetch(`/ui/actions/${action}`, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    credentials: "same-origin",
  });
  const answer = await response.json();
  if (!response.ok) throw new Error(`${answer.__type}: ${answer.message}`);
  return answer;
}

async function startExecution(body, errorElement) {
  errorElement.textContent = "";
  try {
    const answer = await post("start-execution", body);
    location.assign("/ui/executions/" + answer.executionArn);
  } catch (error) {
    errorElement.textContent = error.message;
  }
}

function setUpStartForm(form) {
  const input = document.getElementById("start-input");
  const message = document.getElementById("start-validation");
  const button = document.getElementById("start-button");
  const validate = () => {
    try {
      JSON.parse(input.value);
      message.textContent = "Valid JSON";
      message.className = "validation ok";
      button.disabled = false;
    } catch (error) {
      message.textContent = "Invalid JSON: " + error.message;
      message.className = "validation bad";
      button.disabled = true;
    }
  };
  input.addEventListener("input", validate);
  validate();
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const testCase = document.getElementById("start-test-case");
    startExecution({ stateMachineArn: form.dataset.stateMachineArn, input: input.value,
                     name: document.getElementById("start-name").value || null,
                     testCase: testCase ? testCase.value || null : null },
                   document.getElementById("start-error"));
  });
}

function setUpExecutionButtons(page) {
  const errorElement = document.getElementById("action-error");
  const stop = document.getElementById("stop-button");
  if (stop) stop.addEventListener("click", async () => {
    if (!confirm("Stop this execution?")) return;
    stop.disabled = true;
    try {
      await post("stop-execution", { executionArn: page.dataset.executionArn });
      await refresh(page);
    } catch (error) {
      errorElement.textContent = error.message;
      stop.disabled = false;
    }
  });
  const restart = document.getElementById("restart-button");
  if (restart) restart.addEventListener("click", () => startExecution(
    { stateMachineArn: page.dataset.stateMachineArn, input: data("input-data") },  // the text as stored
    errorElement));
}

// -- live updates and more events ------------------------------------------------------------

async function fetchPage(after) {
  const response = await fetch(`${location.pathname}?after=${after}`, { headers: { Accept: "text/html" } });
  return new DOMParser().parseFromString(await response.text(), "text/html");
}

function lastEventId() {
  const rows = document.querySelectorAll("#events tbody tr");
  return rows.length ? Number(rows[rows.length - 1].dataset.eventId) : 0;
}

function appendRows(fresh) {
  const body = document.querySelector("#events tbody");
  for (const row of fresh.querySelectorAll("#events tbody tr")) body.appendChild(document.adoptNode(row));
  const more = document.getElementById("more-events");
  const freshMore = fresh.getElementById("more-events");
  if (more && !freshMore) more.remove();
  if (more && freshMore) more.dataset.after = freshMore.dataset.after;
  if (!more && freshMore) {
    const button = document.adoptNode(freshMore);
    document.querySelector("section.events").appendChild(button);
    setUpMore(button);
  }
}

async function refresh(page) {
  const fresh = await fetchPage(document.getElementById("more-events") ? 1e15 : lastEventId());
  const freshPage = fresh.getElementById("execution");
  if (!freshPage) return;
  for (const section of document.querySelectorAll("section.live")) {
    const replacement = fresh.getElementById(section.id);
    if (replacement) section.replaceWith(document.adoptNode(replacement));
  }
  if (!document.getElementById("more-events")) appendRows(fresh);
  panels = data("panels-data") || {};
  updateGraph(data("live-statuses") || {}, data("live-labels") || {});
  if (selected) showPanel(selected);
  page.dataset.running = freshPage.dataset.running;
  setUpExecutionButtons(page);
}

function setUpMore(button) {
  button.addEventListener("click", async () => {
    button.disabled = true;
    appendRows(await fetchPage(button.dataset.after));
    button.disabled = false;
  });
}

function poll(page) {
  setTimeout(async () => {
    if (page.dataset.running !== "true") return;
    try {
      await refresh(page);
    } finally {
      poll(page);
    }
  }, POLL_MS);
}

// -- start -----------------------------------------------------------------------------------

function main() {
  const container = document.getElementById("graph");
  if (container) showGraph(container, data("graph-data"), data("statuses-data"), data("labels-data") || {});
  // A state's panel opens from the graph, or from the timeline (the only way when the graph is
  // too large to draw); listened for on the document, as the timeline is replaced while it runs.
  const stateOf = (event) => event.target.closest("#graph [data-state], #gantt tr[data-state]");
  document.addEventListener("click", (event) => {
    const node = stateOf(event);
    if (node) showPanel(node.dataset.state);
  });
  document.addEventListener("keydown", (event) => {
    const node = stateOf(event);
    if (node && (event.key === "Enter" || event.key === " ")) { event.preventDefault(); showPanel(node.dataset.state); }
  });
  const scope = document.getElementById("scope-select");
  if (scope) scope.addEventListener("change", () => {
    const [account, region] = scope.value.split("/");
    location.assign(`/ui/?account=${encodeURIComponent(account)}&region=${encodeURIComponent(region)}`);
  });
  const form = document.getElementById("start-form");
  if (form) setUpStartForm(form);
  const page = document.getElementById("execution");
  if (page) {
    panels = data("panels-data") || {};
    setUpExecutionButtons(page);
    const more = document.getElementById("more-events");
    if (more) setUpMore(more);
    poll(page);
  }
}

main();
