// Shared by the three dashboard pages: the token login, the API and WebSocket helpers and
// the navigation bar. Plain ES module, no build step.

const TOKEN_KEY = "ilrs.token";

export function getToken() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function logout() {
  sessionStorage.removeItem(TOKEN_KEY);
  location.reload();
}

/** A fetch of the REST API with the bearer token; throws an Error with the server's detail. */
export async function api(path, { method = "GET", body } = {}) {
  const headers = { Authorization: `Bearer ${getToken()}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(`/api${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401) {
    sessionStorage.removeItem(TOKEN_KEY);
    throw new Error("the token is no longer valid: log in again");
  }
  const payload = await response.json().catch(() => null);
  if (!response.ok) {
    const detail = payload && payload.detail;
    const text = typeof detail === "string" ? detail : JSON.stringify(detail ?? response.status);
    throw new Error(`${response.status}: ${text}`);
  }
  return payload;
}

/** One page of a list route: `{rows, next}`, `next` the cursor of the following page. */
export async function apiPage(path) {
  const response = await fetch(`/api${path}`, {
    headers: { Authorization: `Bearer ${getToken()}` },
  });
  if (!response.ok) throw new Error(`${response.status}: ${await response.text()}`);
  return { rows: await response.json(), next: response.headers.get("X-Next-Cursor") };
}

/** Every page of a list route, following X-Next-Cursor (at most `maxPages` pages). */
export async function apiAll(path, maxPages = 50) {
  let rows = [];
  let cursor = null;
  const sep = path.includes("?") ? "&" : "?";
  for (let pages = 0; pages < maxPages; pages += 1) {
    const page = await apiPage(cursor ? `${path}${sep}cursor=${encodeURIComponent(cursor)}`
      : path);
    rows = rows.concat(page.rows);
    cursor = page.next;
    if (!cursor) break;
  }
  return rows;
}

let theUser = null;

/**
 * Who the token is and what its roles let it do (GET /api/me: user, partner, roles,
 * `may` — send_commands, approve_commands, cancel_others_commands, acknowledge_alarms,
 * upload_plans, declare_faults, request_lighting, administer, read_audit — and
 * `command_apids`, null for every APID). Pages offer only what `may` grants; the server
 * checks every request anyway. Fetched once per page.
 */
export function whoAmI() {
  theUser ??= api("/me");
  return theUser;
}

/** May the signed-in user send commands on `apid` (per whoAmI's answer `me`)? */
export function maySend(me, apid) {
  return Boolean(me.may.send_commands) &&
    (me.command_apids === null || me.command_apids.includes(apid));
}

/** The navigation bar at the top of every page; `active` is the current page's key. */
export function navBar(active, user) {
  const nav = document.createElement("nav");
  nav.className = "ilrs-nav";
  const pages = [
    ["index", "/", "Telemetry"],
    ["commanding", "/commanding", "Commanding"],
    ["alarms", "/alarms", "Alarms"],
    ["lighting", "/lighting", "Lighting"],
  ];
  nav.innerHTML = `<span class="brand"><span class="logo">◐</span> ILRS command center</span>
    <span class="links">${pages
      .map(([key, href, label]) =>
        `<a href="${href}" data-page="${key}"${key === active ? ' class="active"' : ""}>${label}</a>`)
      .join("")}</span>
    <span class="who"><a class="alarm-badge" href="/alarms" hidden></a>
      <span class="mission-time" title="mission UTC: the spacecraft's clock (the twin's)"></span>
      <span class="link-state" title="spacecraft link">link ?</span>
      <span class="user" title="signed in as"></span><button type="button" class="logout">Log out</button></span>`;
  nav.querySelector(".user").textContent = user;
  nav.querySelector(".logout").addEventListener("click", logout);
  document.body.prepend(nav);
  const refresh = async () => {
    try {
      const [status, alarms] = await Promise.all([api("/status"), api("/alarms")]);
      missionClock().update(status);
      const link = nav.querySelector(".link-state");
      link.textContent = status.link_connected ? "link up" : "link down";
      link.classList.toggle("up", status.link_connected);
      const open = alarms.filter((a) => a.state === "unacknowledged" ||
        a.state === "rtn_unacknowledged").length;
      const badge = nav.querySelector(".alarm-badge");
      badge.hidden = open === 0;
      badge.textContent = `${open} unacknowledged alarm${open === 1 ? "" : "s"}`;
    } catch (err) {
      console.warn("status refresh failed", err);
    }
  };
  const clockText = nav.querySelector(".mission-time");
  const clock = missionClock();
  const show = () => {
    clockText.textContent = clock.known() ? `mission ${shortTime(new Date(
      clock.currentValue()).toISOString()).slice(0, 19)} UTC` : "";
  };
  refresh();
  setInterval(refresh, 2000);
  setInterval(show, 250);
  nav.refresh = refresh;
  return nav;
}

/**
 * Ask for an API token until one works (GET /api/status), keep it in sessionStorage and
 * resolve with the user's name.
 */
export async function login() {
  if (getToken()) {
    try {
      return (await api("/status")).user;
    } catch (err) {
      sessionStorage.removeItem(TOKEN_KEY);
    }
  }
  return new Promise((resolve) => {
    const overlay = document.createElement("div");
    overlay.className = "ilrs-login";
    overlay.innerHTML = `<form>
      <h1><span class="logo">◐</span> ILRS command center</h1>
      <p>Sign in with your API token (<code>ilrs_…</code>, issued by an administrator).</p>
      <label>API token <input name="token" type="password" autocomplete="off"
        placeholder="ilrs_…" required autofocus></label>
      <button type="submit">Sign in</button>
      <p class="error" role="alert"></p></form>`;
    document.body.append(overlay);
    const form = overlay.querySelector("form");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      sessionStorage.setItem(TOKEN_KEY, form.token.value.trim());
      try {
        const status = await api("/status");
        overlay.remove();
        resolve(status.user);
      } catch (err) {
        sessionStorage.removeItem(TOKEN_KEY);
        form.querySelector(".error").textContent = `Sign-in failed — ${err.message}`;
      }
    });
  });
}

/**
 * One WebSocket to /api/ws for the page, reconnecting after a drop. `onMessage` gets every
 * message; `subscribe(names)` adds parameters, `unsubscribe(names)` drops them. Resubscribes
 * everything after a reconnect.
 */
export function liveSocket(onMessage, { onState = () => {} } = {}) {
  const wanted = new Set();
  let socket = null;
  let delay = 500;
  const send = () => {
    if (socket && socket.readyState === WebSocket.OPEN && wanted.size) {
      socket.send(JSON.stringify({ subscribe: [...wanted] }));
    }
  };
  const open = () => {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(
      `${scheme}://${location.host}/api/ws?token=${encodeURIComponent(getToken())}`);
    socket.addEventListener("open", () => {
      delay = 500;
      onState("live");
      send();
    });
    socket.addEventListener("message", (event) => onMessage(JSON.parse(event.data)));
    socket.addEventListener("close", () => {
      onState("reconnecting…");
      setTimeout(open, delay);
      delay = Math.min(delay * 2, 10000);
    });
  };
  open();
  return {
    subscribe(names) {
      const before = wanted.size;
      names.forEach((n) => wanted.add(n));
      if (wanted.size !== before) send();
    },
    unsubscribe(names) {
      const gone = names.filter((n) => wanted.delete(n));
      if (gone.length && socket && socket.readyState === WebSocket.OPEN) {
        socket.send(JSON.stringify({ unsubscribe: gone }));
      }
    },
  };
}

let theMissionClock = null;

/**
 * The mission clock (one per page), an Open MCT clock: the spacecraft's UTC now, i.e. the
 * twin's simulated time. Set from /api/status (mission_time, mission_speed) and run
 * forward between updates at the mission's speed; ticks every 250 ms while watched.
 */
export function missionClock() {
  if (theMissionClock) return theMissionClock;
  const listeners = new Map();
  let base = Date.now();
  let at = Date.now();
  let speed = 1;
  let known = false;
  let timer = null;
  const emit = (event, value) => (listeners.get(event) || new Set()).forEach((f) => f(value));
  const clock = {
    key: "mission",
    name: "Mission clock",
    cssClass: "icon-clock",
    description: "The spacecraft's UTC: the station twin's simulated time.",
    known: () => known,
    currentValue: () => base + (Date.now() - at) * speed,
    update(status) {
      if (!status || !status.mission_time) return;
      base = Date.parse(status.mission_time);
      at = Date.now();
      speed = status.mission_speed || 1;
      known = true;
    },
    on(event, callback) {
      if (!listeners.has(event)) listeners.set(event, new Set());
      listeners.get(event).add(callback);
      if (event === "tick" && timer === null) {
        timer = setInterval(() => emit("tick", clock.currentValue()), 250);
      }
      return clock;
    },
    off(event, callback) {
      listeners.get(event)?.delete(callback);
      if (event === "tick" && !listeners.get("tick")?.size && timer !== null) {
        clearInterval(timer);
        timer = null;
      }
      return clock;
    },
    once(event, callback) {
      const wrapped = (value) => { clock.off(event, wrapped); callback(value); };
      return clock.on(event, wrapped);
    },
    emit,
  };
  clock.addListener = clock.on;
  clock.removeListener = clock.off;
  theMissionClock = clock;
  return clock;
}

export function escapeHtml(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({
    "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;",
  })[c]);
}

/** "2030-01-01T00:00:00.000000Z" → "2030-01-01 00:00:00.000" (UTC). */
export function shortTime(iso) {
  return iso ? iso.replace("T", " ").replace(/(\.\d{3})\d*Z$/, "$1") : "";
}
