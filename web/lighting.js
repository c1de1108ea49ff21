// The lighting page: an operator asks for polar illumination products over a square of the
// server's DEMs (POST /api/lighting/products; the server checks the role and every field),
// follows the jobs (state, tiles done) and sees the finished maps. Files are fetched with
// the bearer token and shown or saved from blob URLs.

import { api, getToken, login, navBar, whoAmI } from "./common.js";

const PRODUCTS = {
  sun: "Sun visible (any part; mean disk)",
  night: "longest night",
  earth: "Earth visible, longest blackout",
  "sun-earth": "Sun and Earth together",
  psr: "permanently shadowed regions",
  "double-shadow": "doubly shadowed (first order)",
};
let shownJob = null;
let me = null;  // GET /api/me: what the user's roles let it do

function form() {
  return `<fieldset class="products"><legend class="label">Products</legend>${
    Object.entries(PRODUCTS).map(([key, text]) => `<label><input type="checkbox"
      name="products" value="${key}"${key === "sun" || key === "psr" ? " checked" : ""}>
      ${key} <span class="hint">${text}</span></label>`).join("")}</fieldset>
    <label class="field"><span class="label">Centre latitude °</span>
      <input type="number" id="lp-lat" name="lat" step="any" min="-90" max="90" value="-89.45"
        required></label>
    <label class="field"><span class="label">Centre longitude °</span>
      <input type="number" id="lp-lon" name="lon" step="any" value="222.69" required></label>
    <label class="field"><span class="label">Side, km</span>
      <input type="number" id="lp-size" name="size" step="any" min="0" value="10" required></label>
    <label class="field"><span class="label">Resolution, m</span>
      <input type="number" id="lp-res" name="res" step="any" min="0" value="240" required></label>
    <label class="field"><span class="label">From (UTC)</span>
      <input type="text" id="lp-start" name="start" value="2030-01-01" required></label>
    <label class="field"><span class="label">To (UTC)</span>
      <input type="text" id="lp-stop" name="stop" value="2031-01-01" required></label>
    <label class="field"><span class="label">Step, h</span>
      <input type="number" id="lp-step" name="step" step="any" min="0.25" value="6"
        required></label>
    <button type="submit" class="primary">Compute</button>`;
}

function cell(text) {
  const td = document.createElement("td");
  td.textContent = text;
  return td;
}

async function blobUrl(jobId, name) {
  const response = await fetch(`/api/lighting/products/${jobId}/files/${encodeURIComponent(name)}`,
    { headers: { Authorization: `Bearer ${getToken()}` } });
  if (!response.ok) throw new Error(`${response.status} for ${name}`);
  return URL.createObjectURL(await response.blob());
}

async function showMaps(job) {
  if (shownJob === job.id) return;
  shownJob = job.id;
  document.getElementById("maps-job").textContent = `job ${job.id}`;
  const box = document.getElementById("map-images");
  box.replaceChildren();
  for (const name of job.files.filter((f) => f.endsWith(".png"))) {
    const figure = document.createElement("figure");
    const img = document.createElement("img");
    img.alt = name;
    img.className = "product-map";
    const caption = document.createElement("figcaption");
    caption.textContent = name;
    figure.append(img, caption);
    box.append(figure);
    img.src = await blobUrl(job.id, name);
  }
}

function fileLinks(job) {
  const td = document.createElement("td");
  for (const name of job.files.filter((f) => !f.endsWith(".png"))) {
    const a = document.createElement("a");
    a.href = "#";
    a.textContent = name.replace(/^polar-/, "");
    a.className = "file-link";
    a.addEventListener("click", async (event) => {
      event.preventDefault();
      const link = document.createElement("a");
      link.href = await blobUrl(job.id, name);
      link.download = name;
      link.click();
    });
    td.append(a, " ");
  }
  if (job.files.length) {
    const show = document.createElement("button");
    show.type = "button";
    show.textContent = "Show maps";
    show.addEventListener("click", () => { shownJob = null; showMaps(job); });
    td.append(show);
  }
  return td;
}

async function refreshJobs() {
  const rows = document.getElementById("job-rows");
  let jobs;
  try {
    jobs = await api("/lighting/products");
  } catch (err) {
    if (err.message.startsWith("404")) {
      document.getElementById("ask-hint").textContent =
        "This server has no elevation models: start it with ilrs serve --dem FILE.";
      document.getElementById("product-form").hidden = true;
      return false;
    }
    throw err;
  }
  rows.replaceChildren(...jobs.slice().reverse().map((job) => {
    const tr = document.createElement("tr");
    tr.dataset.job = job.id;
    const r = job.request;
    const state = job.state === "running"
      ? `running, ${job.tiles_done} of ${job.tiles} tiles`
      : job.state === "failed" ? `failed: ${job.error}` : job.state;
    tr.append(cell(job.id), cell(r.products.join(", ")),
      cell(`${r.size_km} km at ${r.resolution_m} m, ${r.center_lat_deg}°, ${r.center_lon_deg}°`),
      cell(`${r.start_utc} → ${r.stop_utc}, ${r.step_h} h`), cell(job.user));
    const st = cell(state);
    st.className = `job-state ${job.state}`;
    const mayCancel = job.user === me?.user ? me.may.request_lighting
      : Boolean(me?.may.cancel_others_jobs);
    if (mayCancel && (job.state === "queued" || job.state === "running")) {
      const stop = document.createElement("button");
      stop.type = "button";
      stop.className = "cancel-job";
      stop.textContent = "Cancel";
      stop.addEventListener("click", () => cancel(job.id));
      st.append(" ", stop);
    }
    tr.append(st, fileLinks(job));
    return tr;
  }));
  const newest = jobs.filter((j) => j.state === "done").at(-1);
  if (newest && shownJob === null) showMaps(newest);
  return true;
}

async function cancel(jobId) {
  const result = document.getElementById("ask-result");
  try {
    await api(`/lighting/products/${jobId}`, { method: "DELETE" });
    result.className = "ok";
    result.textContent = `Job ${jobId}: cancel asked (a running job stops after its tile).`;
  } catch (err) {
    result.className = "error";
    result.textContent = `Refused — ${err.message}`;
  }
  await refreshJobs();
}

async function ask(event) {
  event.preventDefault();
  const f = event.target.elements;
  const products = [...f.products].filter((c) => c.checked).map((c) => c.value);
  const body = {
    products, center_lat_deg: Number(f.lat.value), center_lon_deg: Number(f.lon.value),
    size_km: Number(f.size.value), resolution_m: Number(f.res.value),
    start_utc: f.start.value.trim(), stop_utc: f.stop.value.trim(), step_h: Number(f.step.value),
  };
  const result = document.getElementById("ask-result");
  result.className = "";
  try {
    const job = await api("/lighting/products", { method: "POST", body });
    result.className = "ok";
    result.textContent = `Job ${job.id} queued: ${job.points.toLocaleString()} points × ${
      job.epochs.toLocaleString()} epochs in ${job.tiles} tiles.`;
    shownJob = null;
    await refreshJobs();
  } catch (err) {
    result.className = "error";
    result.textContent = `Refused — ${err.message}`;
  }
}

async function main() {
  const user = await login();
  navBar("lighting", user);
  me = await whoAmI();
  const formEl = document.getElementById("product-form");
  if (me.may.request_lighting) {  // operators and up; a viewer sees the jobs and maps
    formEl.innerHTML = form();
    formEl.hidden = false;
    formEl.addEventListener("submit", ask);
  } else {
    document.getElementById("ask-result").textContent = `Your role (${me.roles.join(", ")}) ` +
      "may view the products, not request them.";
  }
  if (await refreshJobs()) setInterval(() => refreshJobs().catch(console.warn), 2000);
}

main();
