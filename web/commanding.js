// The commanding page: forms generated from the mission database's command definitions,
// the approval queue (two-person rule) and the command history with its verification.
// An optional release time (the twin's own UTC) sends a command to the on-board
// time-based schedule (PUS 11) instead of executing it on arrival. Only what the user's
// roles allow is offered (GET /api/me): a viewer reads definitions without a Send button,
// Approve and the fault panel are a flight director's.

import {
  api, apiAll, escapeHtml, login, maySend, navBar, shortTime, whoAmI,
} from "./common.js";
import { mountFaultPanel } from "./faults.js";

const INTEGER_RANGES = {
  uint8: [0, 255], uint16: [0, 65535], uint32: [0, 4294967295],
  uint64: [0, Number.MAX_SAFE_INTEGER],
  int8: [-128, 127], int16: [-32768, 32767], int32: [-2147483648, 2147483647],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};
const PRIVILEGED = new Set(["critical", "severe"]);
const STAGE_ORDER = ["queued", "authorized", "approval", "constraints", "released",
  "scheduled", "accepted", "started", "completed", "cancelled"];

let user = "";
let me = null;  // GET /api/me: roles and what they grant
let commands = [];
let selected = null;

function argumentField(arg) {
  const id = `arg-${arg.name}`;
  const unit = arg.unit ? ` <span class="unit">${escapeHtml(arg.unit)}</span>` : "";
  if (arg.type === "bool") {
    return `<label class="field check"><input type="checkbox" id="${id}" name="${escapeHtml(
      arg.name)}"> ${escapeHtml(arg.name)}${unit}</label>`;
  }
  const integer = arg.type in INTEGER_RANGES || /^uint\d+$/.test(arg.type);
  const [typeMin, typeMax] = INTEGER_RANGES[arg.type] ?? [undefined, undefined];
  const min = arg.min ?? typeMin;
  const max = arg.max ?? typeMax;
  const range = [min !== undefined ? `min ${min}` : "", max !== undefined ? `max ${max}` : ""]
    .filter(Boolean).join(", ");
  return `<label class="field"><span class="label">${escapeHtml(arg.name)}${unit}</span>
    <input type="number" id="${id}" name="${escapeHtml(arg.name)}" required
      step="${integer ? 1 : "any"}"${min !== undefined ? ` min="${min}"` : ""}${
      max !== undefined ? ` max="${max}"` : ""}>
    <span class="hint">${escapeHtml(arg.type)}${range ? ` · ${escapeHtml(range)}` : ""}</span>
  </label>`;
}

function showForm(command) {
  selected = command;
  document.querySelectorAll(".command-list li").forEach((li) =>
    li.classList.toggle("selected", li.dataset.name === command.name));
  const form = document.getElementById("command-form");
  document.getElementById("composer-hint").hidden = true;
  document.getElementById("send-result").textContent = "";
  const constraints = command.constraints.map((c) =>
    `${c.parameter} ${c.operator} ${c.value}`).join(", ");
  const sendable = maySend(me, command.apid);
  document.getElementById("composer-title").textContent = sendable ? "Send a command"
    : "Command definition";
  const fields = command.arguments.map(argumentField).join("") ||
    '<p class="hint">No arguments.</p>';
  // the element's name is shown in the list: the heading wraps at its dots, never clipped
  form.innerHTML = `<h3 class="command-title"><span class="name">${
      escapeHtml(command.name).replaceAll(".", ".<wbr>")}</span>
      <span class="badge sig-${command.significance}">${escapeHtml(command.significance)}</span>
    </h3>
    ${command.description ? `<p>${escapeHtml(command.description)}</p>` : ""}
    <p class="hint">APID ${command.apid} · owner ${escapeHtml(command.owner)}${
      constraints ? ` · constraints: ${escapeHtml(constraints)}` : ""}${
      PRIVILEGED.has(command.significance) ? " · needs a second approval" : ""}</p>
    ${sendable ? `${fields}
    <label class="field"><span class="label">Release at (twin UTC, optional)</span>
      <input type="text" id="release-at" name="release_at_utc" autocomplete="off"
        placeholder="now — or e.g. 2036-01-01T06:00:00Z"
        pattern="\\d{4}-\\d{2}-\\d{2}[T ]\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?Z?">
      <span class="hint" id="twin-time">on-board time-based schedule (PUS 11), in the
        twin's simulated UTC</span>
    </label>
    <button type="submit" class="primary send">Send</button>`
    : `<fieldset disabled class="definition">${fields}</fieldset>
    <p class="hint" id="read-only">Your role (${escapeHtml(me.roles.join(", "))}) may read
      this command, not send it.</p>`}`;
  form.hidden = false;
}

async function send(event) {
  event.preventDefault();
  const form = event.target;
  const result = document.getElementById("send-result");
  const args = {};
  for (const arg of selected.arguments) {
    const input = form.elements[arg.name];
    args[arg.name] = arg.type === "bool" ? input.checked : Number(input.value);
  }
  const body = { name: selected.name, arguments: args };
  const releaseAt = form.elements.release_at_utc.value.trim();
  if (releaseAt) body.release_at_utc = releaseAt;
  result.className = "";
  result.textContent = "Sending…";
  try {
    const entry = await api("/commands", { method: "POST", body });
    result.className = "ok";
    result.textContent = `${entry.name} issued (${entry.id.slice(0, 8)}): ${entry.state}${
      entry.release_at_utc ? ` · release on board at ${entry.release_at_utc} (twin UTC)` : ""}`;
  } catch (err) {
    result.className = "error";
    result.textContent = `Refused — ${err.message}`;
  }
  refresh();
}

/**
 * Each verification stage once, in pipeline order, with its latest status (an approval
 * or a constraint check goes from pending to ok); "final" is the State column.
 */
function latestStages(stages) {
  const latest = new Map();
  for (const s of stages) {
    if (s.stage === "final") continue;
    const seen = latest.get(s.stage);
    if (!seen || s.time >= seen.time) latest.set(s.stage, s);
  }
  const rank = (s) => (STAGE_ORDER.includes(s.stage) ? STAGE_ORDER.indexOf(s.stage)
    : STAGE_ORDER.length);
  return [...latest.values()].sort((a, b) => rank(a) - rank(b) ||
    (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
}

function stageChips(entry) {
  return latestStages(entry.stages).map((s) => `<span class="stage st-${
    escapeHtml(s.status)}" title="${escapeHtml(`${s.stage} ${s.status} at ${
    shortTime(s.time)} ${s.detail ?? ""}`)}">${escapeHtml(s.stage)}</span>`).join("");
}

function argumentsText(entry) {
  return escapeHtml(Object.entries(entry.arguments).map(([k, v]) => `${k}=${v}`).join(", "));
}

async function act(id, action) {
  try {
    await api(`/commands/${id}/${action}`, { method: "POST" });
  } catch (err) {
    alert(`${action} refused — ${err.message}`);
  }
  refresh();
}

async function showTwinTime() {
  const hint = document.getElementById("twin-time");
  if (!hint) return;
  try {
    const status = await api("/status");
    if (status.twin_time) {
      hint.textContent = `on-board time-based schedule (PUS 11) · twin now ${
        shortTime(status.twin_time)} UTC`;
    }
  } catch (err) {
    console.warn(err);
  }
}

async function refresh() {
  showTwinTime();
  let history;
  try {
    history = await apiAll("/commands");
  } catch (err) {
    console.warn(err);
    return;
  }
  history.sort((a, b) => (a.created < b.created ? 1 : -1));
  const waiting = history.filter((e) => e.state === "awaiting_approval");
  document.getElementById("approval-count").textContent = waiting.length || "";
  document.getElementById("approval-rows").innerHTML = waiting.map((e) => `<tr>
      <td>${escapeHtml(e.name)} <span class="badge sig-${e.significance}">${
        escapeHtml(e.significance)}</span><span class="args">${argumentsText(e)}</span></td>
      <td>${escapeHtml(e.user)}</td>
      <td>${shortTime(e.created).slice(11, 19)}</td>
      <td class="actions">${approvalButtons(e)}</td></tr>`).join("") ||
    '<tr><td colspan="4" class="hint">Nothing awaiting approval.</td></tr>';
  document.getElementById("history-rows").innerHTML = history.slice(0, 200).map((e) => {
    const args = argumentsText(e);
    return `<tr data-id="${e.id}">
      <td title="${shortTime(e.created)}">${shortTime(e.created).slice(0, 19)}</td>
      <td class="command">${escapeHtml(e.name)}${
        args ? ` <span class="args-inline">${args}</span>` : ""}</td>
      <td title="${escapeHtml(e.user)}">${escapeHtml(e.user)}</td>
      <td><span class="state state-${e.state}">${escapeHtml(e.state.replace("_", " "))}</span></td>
      <td><div class="stages">${stageChips(e)}</div></td></tr>`;
  }).join("") || '<tr><td colspan="5" class="hint">No commands yet.</td></tr>';
}

/** Approve (an approver's, never on one's own command) and Cancel (one's own, or an
 * approver's): only the buttons the user's roles allow. */
function approvalButtons(e) {
  const own = e.user === user;
  const buttons = [];
  if (me.may.approve_commands) {
    buttons.push(`<button data-approve="${e.id}" ${own
      ? 'disabled title="a second user must approve"' : ""}>Approve</button>`);
  }
  if (own || me.may.cancel_others_commands) {
    buttons.push(`<button data-cancel="${e.id}">Cancel</button>`);
  }
  return buttons.join(" ");
}

user = await login();
navBar("commanding", user);
[me, commands] = await Promise.all([whoAmI(), api("/mdb/commands")]);
const list = document.getElementById("command-list");
const render = (filter = "") => {
  // grouped by element (the name up to its last dot), in the database's order
  const groups = new Map();
  for (const c of commands.filter((c) => c.name.includes(filter))) {
    const element = c.name.slice(0, c.name.lastIndexOf("."));
    if (!groups.has(element)) groups.set(element, []);
    groups.get(element).push(c);
  }
  list.innerHTML = [...groups].map(([element, members]) =>
    `<li class="group">${escapeHtml(element)}</li>` + members.map((c) =>
      `<li data-name="${escapeHtml(c.name)}" tabindex="0" title="${escapeHtml(c.name)}">
        <span>${escapeHtml(c.name.slice(element.length + 1))}</span>
        ${c.significance !== "none" ? `<span class="badge sig-${c.significance}">${
          escapeHtml(c.significance)}</span>` : ""}</li>`).join("")).join("") ||
    '<li class="hint">No command you may see.</li>';
  if (selected) showForm(selected);
};
render();
list.addEventListener("click", (event) => {
  const li = event.target.closest("li[data-name]");
  if (li) showForm(commands.find((c) => c.name === li.dataset.name));
});
document.getElementById("filter").addEventListener("input", (e) => render(e.target.value));
document.getElementById("command-form").addEventListener("submit", send);
document.getElementById("approval-rows").addEventListener("click", (event) => {
  const approve = event.target.dataset.approve;
  const cancel = event.target.dataset.cancel;
  if (approve) act(approve, "approve");
  if (cancel) act(cancel, "cancel");
});
if (me.may.declare_faults) {  // a flight director's (POST /api/plans/repair)
  const section = document.getElementById("faults");
  const faults = mountFaultPanel(section);
  section.hidden = false;
  setInterval(faults.refresh, 5000);
}
refresh();
setInterval(refresh, 1000);
