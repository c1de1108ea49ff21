// The alarms page: the active alarms (ISA-18.2 states) with acknowledge / shelve /
// unshelve, refreshed live from the WebSocket's alarm transitions. The buttons are
// offered only to users whose roles may act on alarms (GET /api/me).

import {
  api, apiPage, escapeHtml, liveSocket, login, missionClock, navBar, shortTime, whoAmI,
} from "./common.js";

const SHELVE_CHOICES = [["5 min", 300], ["30 min", 1800], ["1 h", 3600], ["8 h", 28800]];
const LOG_LENGTH = 50;

let mayAct = false;

function actions(alarm) {
  if (!mayAct) return "";
  const name = escapeHtml(alarm.parameter);
  const buttons = [];
  if (alarm.state === "unacknowledged" || alarm.state === "rtn_unacknowledged") {
    buttons.push(`<button class="primary" data-action="acknowledge" data-name="${name}">
      Acknowledge</button>`);
  }
  if (alarm.state === "shelved") {
    buttons.push(`<button data-action="unshelve" data-name="${name}">Unshelve</button>`);
  } else {
    buttons.push(`<select data-shelve-for="${name}" aria-label="shelve for">${SHELVE_CHOICES
      .map(([label, s]) => `<option value="${s}">${label}</option>`).join("")}</select>
      <button data-action="shelve" data-name="${name}">Shelve</button>`);
  }
  return buttons.join(" ");
}

function value(v) {
  return typeof v === "number" ? Number(v.toPrecision(6)).toString() : escapeHtml(v);
}

async function refresh() {
  let alarms;
  try {
    alarms = await api("/alarms");
  } catch (err) {
    console.warn(err);
    return;
  }
  const rank = { critical: 0, warning: 1 };
  alarms.sort((a, b) => (rank[a.severity] ?? 2) - (rank[b.severity] ?? 2) ||
    (a.trigger_time < b.trigger_time ? 1 : -1));
  document.getElementById("alarm-count").textContent = alarms.length || "";
  document.getElementById("no-alarms").hidden = alarms.length > 0;
  document.getElementById("alarm-rows").innerHTML = alarms.map((a) => `<tr
      class="alarm sev-${escapeHtml(a.severity)} state-${escapeHtml(a.state)}"
      data-parameter="${escapeHtml(a.parameter)}">
      <td><span class="badge sev-${escapeHtml(a.severity)}">${escapeHtml(a.severity)}</span></td>
      <td>${escapeHtml(a.parameter)}</td>
      <td class="alarm-state">${escapeHtml(a.state.replace("_", " "))}</td>
      <td>${shortTime(a.trigger_time)}</td><td>${value(a.trigger_value)}</td>
      <td>${value(a.last_value)}</td><td>${escapeHtml(a.ack_user ?? "")}</td>
      <td>${shortTime(a.shelved_until)}</td><td class="actions">${actions(a)}</td></tr>`)
    .join("");
}

async function act(name, action) {
  const body = action === "shelve"
    ? { duration_s: Number(document.querySelector(
      `select[data-shelve-for="${CSS.escape(name)}"]`).value) }
    : undefined;
  try {
    await api(`/alarms/${encodeURIComponent(name)}/${action}`, { method: "POST", body });
  } catch (err) {
    alert(`${action} refused — ${err.message}`);
  }
  refresh();
  nav.refresh();
}

function logTransition(m) {
  const log = document.getElementById("transition-log");
  const li = document.createElement("li");
  li.className = `sev-${m.severity}`;
  li.innerHTML = `<time>${shortTime(m.time)}</time> <b>${escapeHtml(m.parameter)}</b>
    ${escapeHtml(m.previous.replace("_", " "))} → ${escapeHtml(m.state.replace("_", " "))}
    <span class="hint">(${escapeHtml(m.severity)}, value ${value(m.value)})</span>`;
  log.prepend(li);
  while (log.children.length > LOG_LENGTH) log.lastChild.remove();
}

/**
 * The last mission hour's alarm transitions from the archive's event log, oldest first
 * (events are stamped in mission time, the spacecraft's clock; the newest page is kept).
 */
async function history() {
  const clock = missionClock();
  clock.update(await api("/status"));
  const start = new Date(clock.currentValue() - 3600 * 1000).toISOString();
  let events = [];
  let cursor = null;
  for (let pages = 0; pages < 20; pages += 1) {
    const page = await apiPage(`/events?start=${start}&limit=1000` +
      (cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""));
    events = events.concat(page.rows).slice(-5000);
    cursor = page.next;
    if (!cursor) break;
  }
  const log = document.getElementById("transition-log");
  for (const e of events.filter((e) => e.source === "alarm").slice(-LOG_LENGTH)) {
    const li = document.createElement("li");
    li.className = `sev-${e.severity}`;
    li.innerHTML = `<time>${shortTime(e.time)}</time> ${escapeHtml(e.message)}`;
    log.prepend(li);
  }
}

const user = await login();
const nav = navBar("alarms", user);
mayAct = (await whoAmI()).may.acknowledge_alarms;
document.getElementById("active").classList.toggle("read-only", !mayAct);
history().catch((err) => console.warn("no event history", err));
liveSocket((message) => {
  if (message.type === "alarm") {
    logTransition(message);
    refresh();
  }
}, { onState: (state) => { document.getElementById("live-state").textContent = state; } });
document.getElementById("alarm-rows").addEventListener("click", (event) => {
  const button = event.target.closest("button[data-action]");
  if (button) act(button.dataset.name, button.dataset.action);
});
refresh();
setInterval(refresh, 5000);
