// The ilrs plugin for NASA Open MCT: the mission database as an object tree, historical
// telemetry from the archive, realtime telemetry from the WebSocket and the MDB's
// yellow / red limits, all on mission time: the "Mission UTC" time system is the
// spacecraft's clock (the twin's simulated UTC, the packets' generation time) and the
// "mission" clock ticks it; "Reception UTC" (the ground's clock) rides beside it.
// Plain ES module; `openmct` is the global of Open MCT's UMD bundle.

import { api, liveSocket, missionClock } from "./common.js";
import { addFormats, fillLegends, formatInteger, formatNumber, valueFormat } from "./legend.js";
import { openPlansOnTheirSpan, PLAN_KEY, PLAN_NAMESPACE, planProvider } from "./plan.js";

const NAMESPACE = "ilrs";
const TELEMETRY_TYPE = "ilrs.telemetry";
const ROOT_KEY = "root";
const FOLDER_PREFIX = "folder-";  // never in a parameter name ([A-Za-z_][\w.]*)
const MAX_SAMPLES = 10000;
//: The time systems' keys, also the datum keys: generation (spacecraft) and reception time.
export const MISSION = "mission";
export const RECEIVED = "received";
const MAX_BUCKETS = 10000;

const LIMIT_CLASSES = {
  redHigh: { cssClass: "is-limit--upr is-limit--red", name: "Red High" },
  redLow: { cssClass: "is-limit--lwr is-limit--red", name: "Red Low" },
  yellowHigh: { cssClass: "is-limit--upr is-limit--yellow", name: "Yellow High" },
  yellowLow: { cssClass: "is-limit--lwr is-limit--yellow", name: "Yellow Low" },
};

/** The folder a parameter sits in: its name up to the last dot ("" for the root). */
function parentOf(name) {
  const dot = name.lastIndexOf(".");
  return dot < 0 ? "" : name.slice(0, dot);
}

function folderKey(path) {
  return path ? FOLDER_PREFIX + path : ROOT_KEY;
}

function iso(ms) {
  return new Date(ms).toISOString();
}

/**
 * Classify a value against MDB limits ({yellow: {low, high}, red: {low, high}}, a missing
 * bound is open) the way ilrs.ops' processor does: red first, then yellow.
 */
export function classify(limits, value) {
  if (!limits || value === null || value === undefined || Number.isNaN(value)) return undefined;
  const above = (range) => range && range.high !== null && range.high !== undefined &&
    value > range.high;
  const below = (range) => range && range.low !== null && range.low !== undefined &&
    value < range.low;
  if (above(limits.red)) return LIMIT_CLASSES.redHigh;
  if (below(limits.red)) return LIMIT_CLASSES.redLow;
  if (above(limits.yellow)) return LIMIT_CLASSES.yellowHigh;
  if (below(limits.yellow)) return LIMIT_CLASSES.yellowLow;
  return undefined;
}

/** Limit lines for Open MCT plots: {WARNING: {low, high}, CRITICAL: {low, high}}. */
function limitLines(limits) {
  const out = {};
  const levels = [["WARNING", "yellow", limits?.yellow], ["CRITICAL", "red", limits?.red]];
  for (const [level, color, range] of levels) {
    if (!range) continue;
    const entry = {};
    for (const side of ["low", "high"]) {
      if (range[side] !== null && range[side] !== undefined) {
        entry[side] = { color, value: range[side] };
      }
    }
    if (Object.keys(entry).length) out[level] = entry;
  }
  return out;
}

function telemetryObject(parameter) {
  const limits = parameter.limits;
  const range = {
    key: "value",
    name: parameter.unit ? `Value (${parameter.unit})` : "Value",  // the plot's axis label
    unit: parameter.unit || undefined,
    ...valueFormat(parameter.type, parameter.unit),  // "77472.9 W", not 77472.88843358254
    hints: { range: 1 },
  };
  if (limits?.red?.low != null) range.min = limits.red.low;
  if (limits?.red?.high != null) range.max = limits.red.high;
  return {
    identifier: { namespace: NAMESPACE, key: parameter.name },
    name: parameter.name,
    type: TELEMETRY_TYPE,
    location: `${NAMESPACE}:${folderKey(folderOf(parameter))}`,
    notes: parameter.description || "",
    ilrs: { type: parameter.type, unit: parameter.unit, limits: parameter.limits },
    configuration: {
      // plots draw the yellow / red limit lines (Open MCT's series default is off)
      series: limits ? [{ identifier: { namespace: NAMESPACE, key: parameter.name },
        limitLines: true }] : [],
      // the legend's values carry their unit: no separate Unit column
      legend: { showUnitsWhenExpanded: false },
    },
    telemetry: {
      values: [
        {
          key: MISSION, name: "Mission UTC", format: "utc",
          hints: { domain: 1 },
        },
        {
          key: RECEIVED, name: "Reception UTC", format: "utc",
          hints: { domain: 2 },
        },
        range,
      ],
    },
  };
}

/**
 * The folder path of a parameter: its owner partner, then the dotted prefix of its name
 * (element, subsystem): ILRS / china / station / power / station.power.generation_w.
 */
function folderOf(parameter) {
  const prefix = parentOf(parameter.name);
  if (!parameter.owner) return prefix;
  return prefix ? `${parameter.owner}.${prefix}` : parameter.owner;
}

//: Each readable parameter's description (type, unit) by name, once the tree is loaded.
const described = new Map();

/** A value as the dashboard prints it: its precision and its unit ("77472.9 W"). */
function valueText(name, value) {
  const p = described.get(name);
  const { format, formatString } = valueFormat(p?.type, p?.unit);
  const text = (format === "ilrs.integer" ? formatInteger : formatNumber)(value);
  return formatString ? `${text} ${p.unit}` : text;
}

/**
 * The mission database (what the token may read) as Open MCT domain objects: a folder per
 * partner, then per dotted prefix of the parameter names, the ILRS folder at the root. A
 * partner operator's tree holds only its own partner's folder.
 */
async function loadTree() {
  const parameters = await api("/mdb/parameters");
  const objects = new Map();
  const children = new Map([["", new Set()]]);
  const addFolder = (path) => {
    if (children.has(path)) return;
    children.set(path, new Set());
    addFolder(parentOf(path));
    children.get(parentOf(path)).add(folderKey(path));
  };
  for (const p of parameters) {
    described.set(p.name, p);
    addFolder(folderOf(p));
    children.get(folderOf(p)).add(p.name);
    objects.set(p.name, telemetryObject(p));
  }
  const byName = (a, b) => {
    const folderFirst = b.startsWith(FOLDER_PREFIX) - a.startsWith(FOLDER_PREFIX);
    return folderFirst || a.localeCompare(b);
  };
  for (const [path, keys] of children) {
    const key = folderKey(path);
    objects.set(key, {
      identifier: { namespace: NAMESPACE, key },
      name: path ? path.slice(path.lastIndexOf(".") + 1) : "ILRS",
      type: "folder",
      location: path ? `${NAMESPACE}:${folderKey(parentOf(path))}` : "ROOT",
      composition: [...keys].sort(byName).map((k) => ({ namespace: NAMESPACE, key: k })),
    });
  }
  // the station's plan (Open MCT's plan view), first in the ILRS folder
  objects.get(ROOT_KEY).composition.unshift({ namespace: PLAN_NAMESPACE, key: PLAN_KEY });
  return objects;
}

/** One datum per archived sample. */
function fromSamples(body) {
  return body.time.map((t, i) => ({ [MISSION]: Date.parse(t), value: body.value[i] }));
}

/** Open MCT's minmax strategy: each bucket's min then max at the bucket's start. */
function fromBuckets(body) {
  const out = [];
  body.time.forEach((t, i) => {
    const at = Date.parse(t);
    out.push({ [MISSION]: at, value: body.min[i] });
    if (body.max[i] !== body.min[i]) out.push({ [MISSION]: at, value: body.max[i] });
  });
  return out;
}

/**
 * The newest `size` samples in [start, end] (ms): a window growing back from `end` until
 * it holds enough, then paged forward to `end` if the archive truncated it.
 */
async function latestSamples(name, start, end, size) {
  let span = 10_000;
  for (;;) {
    const from = Math.max(start, end - span);
    let body = await api(`/parameters/${name}/samples?start=${iso(from)}&stop=${iso(end)}` +
      `&limit=${MAX_SAMPLES}`);
    let data = fromSamples(body);
    while (body.truncated && data.length) {
      const next = new Date(data[data.length - 1][MISSION] + 1).toISOString();
      body = await api(`/parameters/${name}/samples?start=${next}&stop=${iso(end)}` +
        `&limit=${MAX_SAMPLES}`);
      data = data.slice(-size).concat(fromSamples(body));
    }
    if (data.length >= size || from === start) return data.slice(-size);
    span *= 8;
  }
}

export function IlrsPlugin() {
  return function install(openmct) {
    let tree = null;
    const objects = () => (tree ??= loadTree());
    const isOurs = (domainObject) => domainObject.type === TELEMETRY_TYPE;

    // the operators' one clock: the spacecraft's UTC, and the ground's reception time
    openmct.time.addTimeSystem({
      key: MISSION, name: "Mission UTC", cssClass: "icon-clock", timeFormat: "utc",
      durationFormat: "duration", isUTCBased: true,
    });
    openmct.time.addTimeSystem({
      key: RECEIVED, name: "Reception UTC", cssClass: "icon-clock", timeFormat: "utc",
      durationFormat: "duration", isUTCBased: true,
    });
    openmct.time.addClock(missionClock());
    addFormats(openmct);

    openmct.types.addType(TELEMETRY_TYPE, {
      name: "ILRS parameter",
      description: "A parameter of the ILRS mission database, archived and live.",
      cssClass: "icon-telemetry",
    });
    openmct.objects.addRoot({ namespace: NAMESPACE, key: ROOT_KEY }, openmct.priority.HIGH);
    // the station's plan (Open MCT's plan view), on its own span
    openmct.objects.addProvider(PLAN_NAMESPACE, planProvider(`${NAMESPACE}:${ROOT_KEY}`));
    openPlansOnTheirSpan(openmct);
    openmct.objects.addProvider(NAMESPACE, {
      async get(identifier) {
        const found = (await objects()).get(identifier.key);
        if (!found) throw new Error(`no ilrs object ${identifier.key}`);
        return structuredClone(found);
      },
    });

    // historical telemetry: the archive, downsampled for plots (minmax), exact otherwise
    openmct.telemetry.addProvider({
      supportsRequest: isOurs,
      async request(domainObject, options = {}) {
        const name = encodeURIComponent(domainObject.identifier.key);
        if (options.strategy === "latest" && options.size === 1) {
          try {
            const latest = await api(`/parameters/${name}/latest`);
            return [{ [MISSION]: Date.parse(latest.time), value: latest.value,
              [RECEIVED]: latest.reception_time ? Date.parse(latest.reception_time) : undefined }];
          } catch (err) {
            return [];  // no value yet
          }
        }
        if (options.strategy === "latest") {  // tables: the newest `size` samples
          return latestSamples(name, options.start, options.end, options.size || 50);
        }
        const window = `start=${iso(options.start)}&stop=${iso(options.end)}`;
        if (options.strategy === "minmax") {
          const buckets = Math.max(1, Math.min(MAX_BUCKETS, Math.round(options.size || 1000)));
          return fromBuckets(await api(`/parameters/${name}/downsample?${window}` +
            `&buckets=${buckets}`));
        }
        return fromSamples(await api(`/parameters/${name}/samples?${window}` +
          `&limit=${MAX_SAMPLES}`));
      },
    });

    // realtime telemetry: one WebSocket for the page, samples fanned out to subscribers
    const listeners = new Map();
    const newest = new Map();  // name → its newest live datum (the legends' "latest")
    fillLegends(openmct, (name) => {
      const datum = newest.get(name);
      return datum && { time: datum[MISSION], text: valueText(name, datum.value) };
    });
    const socket = liveSocket((message) => {
      if (message.type !== "parameter") return;
      const callbacks = listeners.get(message.name);
      if (!callbacks) return;
      const received = message.reception_time ? Date.parse(message.reception_time) : undefined;
      const last = message.time.length - 1;
      if (last >= 0) {
        newest.set(message.name, { [MISSION]: Date.parse(message.time[last]),
          value: message.value[last] });
      }
      message.time.forEach((t, i) => {
        const datum = { [MISSION]: Date.parse(t), [RECEIVED]: received, value: message.value[i] };
        callbacks.forEach((callback) => callback(datum));
      });
    });
    openmct.telemetry.addProvider({
      supportsSubscribe: isOurs,
      subscribe(domainObject, callback) {
        const name = domainObject.identifier.key;
        if (!listeners.has(name)) listeners.set(name, new Set());
        listeners.get(name).add(callback);
        socket.subscribe([name]);
        return () => {
          const callbacks = listeners.get(name);
          callbacks.delete(callback);
          if (!callbacks.size) {
            listeners.delete(name);
            newest.delete(name);
            socket.unsubscribe([name]);  // the last view of it closed: stop the stream
          }
        };
      },
    });

    // limits from the mission database: colours in tables and views, lines on plots
    openmct.telemetry.addProvider({
      supportsLimits: (domainObject) => isOurs(domainObject) &&
        Boolean(domainObject.ilrs?.limits),
      getLimitEvaluator(domainObject) {
        const limits = domainObject.ilrs.limits;
        return {
          evaluate(datum, valueMetadata) {
            if (valueMetadata && valueMetadata.key !== "value") return undefined;
            return classify(limits, datum.value);
          },
        };
      },
      getLimits(domainObject) {
        const lines = limitLines(domainObject.ilrs.limits);
        return { limits: () => Promise.resolve(lines) };
      },
    });
  };
}
