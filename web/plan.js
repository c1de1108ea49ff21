// The station's plan in Open MCT's plan view (openmct.plugins.Plan): the latest plan
// version from /api/plans/latest as an object of type "plan" in the ILRS tree, one swim
// lane per payload, rover or resource, on mission time — a plan's times are the twin's
// UTC, the time system the plots use. Plain ES module.

import { api } from "./common.js";

//: The plan's namespace (its own provider: the view may write its configuration) and key.
export const PLAN_NAMESPACE = "ilrs-plan";
export const PLAN_KEY = "current";

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

/**
 * The current plan as an Open MCT domain object (an empty plan before any upload). Every
 * lane is listed visible, so that the plan view has nothing to write when it opens.
 */
export async function planObject(identifier, location) {
  let version = null;
  try {
    version = await api("/plans/latest?allow_none=true");  // null: none uploaded yet
  } catch (err) {
    version = null;  // not served here (no plan desk: 404)
  }
  const lanes = version ? planLanes(version.plan) : {};
  return {
    identifier,
    name: version ? `Plan v${version.version} (${version.reason})` : "Plan (none uploaded)",
    type: "plan",
    location,
    notes: version ? `Version ${version.version} (${version.reason}) from ${version.user}: ${
      version.activities} activities, ${version.plan.start_utc} to ${version.plan.stop_utc
      } mission UTC.` : "No plan uploaded yet (ilrs ops plan upload PLAN.json).",
    selectFile: { name: "plan.json", body: JSON.stringify(lanes) },
    sourceMap: undefined,
    configuration: {
      clipActivityNames: true,
      swimlaneVisibility: Object.fromEntries(Object.keys(lanes).map((lane) => [lane, true])),
    },
    createdBy: version?.user,
    modifiedBy: version?.user,
    // the station's plan changes by uploading a version, never by renaming or editing here
    locked: true,
    lockedBy: "the plan desk (a new version replaces it)",
    disallowUnlock: true,
    // already "persisted": Open MCT stamps no wall-clock creation time on it
    persisted: 0,
    ilrs: {
      version: version ? version.version : 0,
      span: version ? { start: utcMs(version.plan.start_utc), end: utcMs(version.plan.stop_utc) }
        : null,
    },
  };
}

/**
 * Open the plan on its own span. Open MCT's plan view draws whatever the time conductor
 * shows (by default the last hour of mission time and 5 minutes ahead), so a plan that
 * starts ahead showed "No activities within current timeframe" in every lane; the plan view
 * has no independent time conductor of its own. When the plan is the object opened, its
 * view gets an independent time context fixed on the plan's start → stop (again for each
 * new version); plots keep the global conductor.
 */
export function openPlansOnTheirSpan(openmct) {
  const forView = openmct.time.getContextForView.bind(openmct.time);
  const applied = new Map();  // key → the span last given to its context
  openmct.time.getContextForView = (objectPath) => {
    const context = forView(objectPath);
    const object = objectPath?.[0];
    const span = object?.identifier?.namespace === PLAN_NAMESPACE ? object.ilrs?.span : null;
    if (span && openmct.router.isNavigatedObject(objectPath)) {
      const key = openmct.objects.makeKeyString(object.identifier);
      const last = applied.get(key);
      if (!context.hasOwnContext() || last?.start !== span.start || last?.end !== span.end) {
        applied.set(key, span);
        openmct.time.addIndependentContext(key, { ...span });
      }
    }
    return context;
  };
}

/**
 * The object provider of the plan's namespace. Open MCT's plan view and time conductor
 * write the view's configuration (lanes shown, its own time bounds) back to the object;
 * the provider keeps those per plan version for the page's life, so the view can be
 * changed without errors, and a new version opens on its own span again.
 */
export function planProvider(location) {
  const kept = new Map();  // plan version → configuration as last saved
  const keep = (domainObject) => {
    kept.set(domainObject.ilrs?.version ?? 0, JSON.parse(JSON.stringify(
      domainObject.configuration ?? {})));
    return Promise.resolve(true);
  };
  return {
    async get(identifier) {
      const object = await planObject(identifier, location);  // fetched anew: the latest
      const saved = kept.get(object.ilrs.version);
      if (saved) object.configuration = saved;
      return object;
    },
    create: keep,
    update: keep,
  };
}
