// The station's plan in Open MCT's plan view (openmct.plugins.Plan): the latest plan
// version from /api/plans/latest as an object of type "plan" in the ILRS tree, one swim
// lane per payload, rover or resource, on mission time — a plan's times are the twin's
// UTC, the time system the plots use. Plain ES module.

import { api } from "./common.js";

export const PLAN_KEY = "plan-current";

const COLORS = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1",
  "#ff9da7", "#9c755f", "#bab0ac"];

/** Milliseconds of a plan time ("2036-01-01T00:40:00", UTC with or without a zone). */
export function utcMs(iso) {
  return Date.parse(/(Z|[+-]\d\d:\d\d)$/i.test(iso) ? iso : `${iso}Z`);
}

/**
 * Open MCT's plan format: {"<swim lane>": [{name, start, end, type, ...}]} from a
 * plan.json, a lane per load (payload / rover) or, without one, per resource.
 */
export function planLanes(plan) {
  const lanes = {};
  const kinds = [...new Set(plan.activities.map((a) => a.kind))].sort();
  for (const a of plan.activities) {
    const lane = a.payload || a.rover || a.resource || a.kind;
    (lanes[lane] ??= []).push({
      name: a.name, type: a.kind, id: `${a.kind}#${a.instance ?? 0}`,
      start: utcMs(a.start_utc), end: utcMs(a.stop_utc),
      color: COLORS[kinds.indexOf(a.kind) % COLORS.length], textColor: "#ffffff",
      power_w: a.power_w, needs: (a.needs || []).join(", "),
    });
  }
  return lanes;
}

/** The current plan as an Open MCT domain object (an empty plan before any upload). */
export async function planObject(namespace, location) {
  let version = null;
  try {
    version = await api("/plans/latest");
  } catch (err) {
    version = null;  // none uploaded yet (404), or not served here
  }
  const lanes = version ? planLanes(version.plan) : {};
  return {
    identifier: { namespace, key: PLAN_KEY },
    name: version ? `Plan v${version.version} (${version.reason})` : "Plan (none uploaded)",
    type: "plan",
    location,
    selectFile: { name: "plan.json", body: JSON.stringify(lanes) },
    sourceMap: undefined,
    configuration: { clipActivityNames: true },
  };
}
