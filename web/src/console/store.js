// The console's store: one state object that every view reads, and change notices by topic.
// Loaders (api.js) write the state and call changed('units'); views subscribe to the topics they
// draw from with on('units', render). Notices are folded per task: a dispatch answer that
// touches the detail, the units and the incidents redraws each view once, after the writes.

import { can } from '../lib/domain.js';

/**
 * TOPICS are what views subscribe to. 'selection' is a new incident opened (or none); 'busy'
 * an order set off or answered; 'tick' the one-second clock; 'locale' a language switch.
 */
export const TOPICS = Object.freeze([
  'session', 'incidents', 'units', 'stations', 'water', 'premises', 'selection', 'detail', 'timeline', 'alarms',
  'sources', 'nearby', 'review', 'queue', 'coverage', 'moveups', 'warnings', 'streams', 'busy', 'engine',
  'tick', 'locale', 'tab', 'filter',
]);

function initial() {
  return {
    user: null, // the signed-in user
    incidents: [], // open incidents, as GET /incidents?open=true answers
    incidentsLoaded: false,
    seen: null, // ids of incidents already shown, to flag and announce new arrivals
    units: [],
    unitsById: new Map(),
    stations: [],
    water: [],
    premises: [],
    statusSince: new Map(), // unit id → when it entered its current status (ISO): the units' status_since
    selectedId: null,
    detail: null, // the open incident, as GET /incidents/{id} answers
    timeline: [],
    alarms: null, // {incidentId, list}: the open incident's alarms
    sources: new Map(), // incident id → {count, sources: [...], hazards, trapped}: from its alarms
    nearby: null, // water sources and key premises around the open incident
    review: null, // the review, or an Error saying why there is none
    picks: new Map(), // incident id → Set of unit ids the operator chose; absent: the recommendation
    queue: null, // escalations (open and recently taken), the supervisors' queue
    queueSeen: null, // ids of escalations already announced
    coverage: null, // the coverage answer, without outlines
    coverageNote: '', // why there is no coverage, when the server does not serve it
    moveUps: null, // {suggestions, recent, note}
    warnings: null, // CAP warnings in force
    streams: null, // {incidentId, list, note}: the open incident's live video
    deciding: new Set(), // "unit>station" of move-ups being sent
    busy: new Set(), // orders on their way, by key: their buttons wait
    engineDown: false, // /readyz says the workflow engine does not answer: orders wait
    databaseDown: false, // /readyz says PostgreSQL does not answer: nothing new is stored
    tab: 'incident', // the side panel shown: 'incident', 'supervisor' or 'buildings'
    filter: '', // the queue and board search text
  };
}

/** state is the console's state; write it, then call changed() with what changed. */
export const state = initial();

const subscribers = new Map(TOPICS.map((t) => [t, new Set()]));
const pending = new Set();
let scheduled = false;

/** on calls fn(topics) after any of the topics changed; it returns a function that stops it. */
export function on(topics, fn) {
  for (const t of [].concat(topics)) {
    if (!subscribers.has(t)) throw new Error(`store: no topic ${t}`);
    subscribers.get(t).add(fn);
  }
  return () => { for (const t of [].concat(topics)) subscribers.get(t).delete(fn); };
}

/** changed announces topics; subscribers run once per task, whatever number of topics they share. */
export function changed(...topics) {
  for (const t of topics) {
    if (!subscribers.has(t)) throw new Error(`store: no topic ${t}`);
    pending.add(t);
  }
  if (scheduled) return;
  scheduled = true;
  queueMicrotask(flush);
}

function flush() {
  scheduled = false;
  const topics = [...pending];
  pending.clear();
  const calls = new Map();
  for (const t of topics) {
    for (const fn of subscribers.get(t)) {
      if (!calls.has(fn)) calls.set(fn, []);
      calls.get(fn).push(t);
    }
  }
  for (const [fn, ts] of calls) {
    try {
      fn(ts);
    } catch (err) {
      console.error('console view failed to draw', ts, err);
    }
  }
}

/** reset empties the state on sign-out, keeping the view choices. */
export function reset() {
  const { tab, filter } = state;
  Object.assign(state, initial(), { tab, filter });
  changed(...TOPICS.filter((t) => t !== 'tick' && t !== 'locale'));
}

/** may says whether the signed-in user's role may take action, as the API decides (domain.js). */
export function may(action) {
  return can(state.user?.role, action);
}

/** busy says whether an order of the open incident is on its way; with no kind, any order. */
export function busy(kind) {
  const prefix = `${state.selectedId}:`;
  if (kind) return state.busy.has(prefix + kind);
  return [...state.busy].some((k) => k.startsWith(prefix) && !k.includes(':task:') && !k.includes(':split:'));
}

/** incidentById finds an open incident, or the open one's detail. */
export function incidentById(id) {
  if (state.detail?.id === id) return state.detail;
  return state.incidents.find((i) => i.id === id) || null;
}

/** putUnits takes units the API answered with into the state, by id; it returns the changed ones. */
export function putUnits(units, { replace = false } = {}) {
  const changedUnits = [];
  const byId = state.unitsById;
  if (replace) {
    const keep = new Set(units.map((u) => u.id));
    for (const id of [...byId.keys()]) if (!keep.has(id)) byId.delete(id);
  }
  for (const u of units) {
    const old = byId.get(u.id);
    if (u.retired_at) { // an administrator retired it since the last read: it leaves the board
      if (old) { byId.delete(u.id); changedUnits.push(u); }
      continue;
    }
    // status_since is the server's; an older server's units take their status change's write.
    if (u.status_since) state.statusSince.set(u.id, u.status_since);
    else if (old && old.status !== u.status) state.statusSince.set(u.id, u.updated_at);
    if (old && old.updated_at === u.updated_at && old.status === u.status && old.post_station_id === u.post_station_id
      && old.incident_id === u.incident_id && old.location?.lat === u.location?.lat && old.location?.lng === u.location?.lng) continue;
    byId.set(u.id, u);
    changedUnits.push(u);
  }
  if (replace || changedUnits.length) state.units = [...byId.values()];
  return changedUnits;
}
