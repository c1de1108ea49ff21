// The fault panel of the commanding page: a flight director declares a fault (kind,
// component, magnitude) and the planner repairs the current plan from now and delivers
// the new version as time-tagged commands (POST /api/plans/repair; the server checks the
// role, the body and that a plan exists). Shows the current plan version beside it.

import { api } from "./common.js";

const KINDS = {
  "array-degradation": "a solar array loses a share of its output for good",
  "battery-cell-loss": "a battery loses a share of its capacity for good",
  "relay-outage": "the relay satellite is out (direct-to-Earth only)",
  "isru-stuck": "an ISRU plant stops until it restarts",
  "rover-fault": "a rover is safed and stops driving",
};
const PERMANENT = new Set(["array-degradation", "battery-cell-loss"]);

function form() {
  return `<label class="field"><span class="label">Fault</span>
      <select name="kind" id="fault-kind">${Object.keys(KINDS).map((k) =>
        `<option value="${k}">${k}</option>`).join("")}</select>
      <span class="hint" id="fault-kind-hint"></span></label>
    <label class="field"><span class="label">Component</span>
      <input type="text" name="target" id="fault-target" maxlength="100" autocomplete="off"
        placeholder="its id, e.g. array-1a — empty: every one of its kind"></label>
    <label class="field" id="fault-magnitude-field"><span class="label">Share lost</span>
      <input type="number" name="magnitude" id="fault-magnitude" min="0" max="1" step="0.01"
        value="0.5" required><span class="hint">0 to 1 of its capacity</span></label>
    <label class="field"><span class="label">Reason</span>
      <input type="text" name="reason" id="fault-reason" maxlength="200" required
        value="fault declared from the dashboard"></label>
    <button type="submit" class="primary">Declare and repair the plan</button>`;
}

function showKind() {
  const kind = document.getElementById("fault-kind").value;
  document.getElementById("fault-kind-hint").textContent = KINDS[kind];
  document.getElementById("fault-magnitude-field").hidden = !PERMANENT.has(kind);
}

async function showCurrent() {
  const current = document.getElementById("plan-current");
  try {
    const latest = await api("/plans/latest?allow_none=true");
    current.textContent = latest ? `Current plan: v${latest.version} (${latest.reason}), ${
      latest.activities} activities.` : "No plan uploaded yet: there is nothing to repair.";
  } catch (err) {
    current.textContent = `Plan: ${err.message}`;
  }
}

async function declare(event) {
  event.preventDefault();
  const f = event.target.elements;
  const fault = { kind: f.kind.value };
  if (f.target.value.trim()) fault.target = f.target.value.trim();
  if (PERMANENT.has(fault.kind)) fault.magnitude = Number(f.magnitude.value);
  const result = document.getElementById("fault-result");
  result.className = "";
  result.textContent = "Repairing the plan…";
  try {
    const v = await api("/plans/repair", { method: "POST",
      body: { reason: f.reason.value.trim(), fault } });
    result.className = "ok";
    result.textContent = `Plan v${v.version} delivered in ${v.repair_s.toFixed(1)} s: ${
      v.activities} activities, ${v.commands.length} commands${
      v.skipped ? ` (${v.skipped} skipped)` : ""}.`;
  } catch (err) {
    result.className = "error";
    result.textContent = `Refused — ${err.message}`;
  }
  showCurrent();
}

export function mountFaultPanel(section) {
  section.innerHTML = `<h2>Declare a fault</h2>
    <p class="hint">Flight directors: the planner repairs the current plan from now with the
      fault in its model and re-uploads it (PUS 11).</p>
    <p class="hint" id="plan-current"></p>
    <form id="fault-form">${form()}</form>
    <p id="fault-result" role="status"></p>`;
  document.getElementById("fault-kind").addEventListener("change", showKind);
  document.getElementById("fault-form").addEventListener("submit", declare);
  showKind();
  showCurrent();
  return { refresh: showCurrent };
}
