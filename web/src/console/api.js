// The console's glue to the API: the live event stream, and the loaders that fetch what a change
// notice made stale into the store. Change notices arrive in bursts (a dispatch touches an
// incident, its units and its timeline; AVL moves hundreds of units): they mark what is stale and
// one fetch per kind runs shortly after.

import { LiveEvents, $, showLiveState } from '../lib/common.js';
import { t } from '../lib/i18n.js';
import { OPEN_INCIDENT_STATUSES as OPEN } from '../lib/domain.js';
import { state, changed, putUnits } from './store.js';
import { session, client, messages } from './client.js';
import { wantSources, noteSources, stopPools } from './background.js';
import { riskStale } from './risk.js';
import { buildingChanged, buildingsStale } from './buildings.js';

export { session, client, messages, whenSignedOut } from './client.js';

const FLUSH_MS = 150;
// Units are read as the changes since the last read (GET /units?updated_since=), at most this
// often under AVL load, with this much overlap (a write is stamped when its transaction starts
// and seen when it commits; units are written by short transactions), and whole now and then
// and on every reconnection, which also catches a write that took longer. The overlap sets the
// size of each read: with 100 fixes a second, 5 s of it returned every moving unit every time.
const UNITS_EVERY_MS = 500;
const UNITS_OVERLAP_MS = 1000;
const UNITS_WHOLE_MS = 30000;
// Coverage is thousands of cells timed on the server: a burst of unit changes (a dispatch, AVL
// pings) is folded into one fetch this long after the first of them.
const COVERAGE_SETTLE_MS = 1500;
// The board lists every open incident, up to the API's largest page (fireline.MaxIncidentList);
// the API's default of 200 would silently drop the oldest on a bad day.
const MAX_OPEN_INCIDENTS = 1000;

export const live = new LiveEvents(session, {
  onState: (s) => {
    showLiveState($('#sse-state'), s);
    $('#live-lost').hidden = s === 'live' || !session.signedIn;
  },
  onOpen: () => {
    unitsWhole = true; // notices sent while away are lost
    invalidate('incidents', 'units', 'detail', 'timeline', 'alarms', 'queue', 'streams', 'coverage', 'moveups', 'warnings');
    riskStale();
    buildingsStale();
  },
  onChange,
  verify: () => client.get('/api/v1/auth/me'),
});

// ---- stale marks and their fetches -------------------------------------------------------------

const dirty = new Set();
let unitsWhole = true; // the next read of units is of all of them
let lastUnitsRead = 0;
let lastWholeUnits = 0;
let latestUnitWrite = 0; // the newest updated_at read, epoch ms
let flushTimer = null;
let flushing = false;

/** invalidate marks kinds of data stale; one fetch of each runs shortly. */
export function invalidate(...what) {
  for (const w of what) dirty.add(w);
  if (!flushTimer) flushTimer = setTimeout(flush, FLUSH_MS);
}

async function flush() {
  flushTimer = null;
  if (flushing || !session.signedIn) {
    if (session.signedIn) flushTimer = setTimeout(flush, FLUSH_MS);
    return;
  }
  // Under AVL load the units wait their turn; other kinds go now.
  const wait = UNITS_EVERY_MS - (Date.now() - lastUnitsRead);
  if (dirty.has('units') && wait > 0) {
    dirty.delete('units');
    setTimeout(() => invalidate('units'), wait);
  }
  const what = [...dirty];
  dirty.clear();
  if (!what.length) return;
  flushing = true;
  try {
    await Promise.all(what.map(async (w) => {
      try {
        await loaders[w]?.();
      } catch (err) {
        // Unreachable: the live indicator and its banner say so, once, not each fetch.
        if (err.status === 0) live.lost();
        else if (err.status !== 401) messages.error(err, t('console.error.load', { what: t(`console.data.${w}`) }));
      }
    }));
  } finally {
    flushing = false;
  }
}

function onChange(kind, change) {
  const sel = state.selectedId;
  const mine = sel !== null && String(change.incident_id) === String(sel);
  switch (kind) {
    case 'incident':
      invalidate('incidents');
      // An alarm joining or split out changes the incident (its alarm count), so alarms follow.
      if (sel !== null && String(change.id) === String(sel)) invalidate('detail', 'timeline', 'alarms');
      break;
    case 'unit': {
      invalidate('units');
      const assigned = state.detail?.assigned_units?.some((a) => a.unit_id === change.id);
      if (mine || (sel !== null && assigned)) invalidate('detail', 'streams');
      break;
    }
    case 'timeline':
      if (mine) invalidate('detail', 'timeline', 'alarms');
      break;
    case 'move_up':
      coverageStale();
      break;
    case 'media':
      // The room's streams with their statistics, every few seconds while video is live.
      if (mine) {
        state.streams = { incidentId: sel, list: change.streams || [], note: '' };
        changed('streams');
      }
      break;
    case 'escalation':
      invalidate('queue');
      if (mine) invalidate('detail', 'timeline');
      break;
    case 'agency_task':
      invalidate('incidents');
      if (mine) invalidate('detail', 'timeline');
      break;
    case 'warning':
      invalidate('warnings');
      riskStale(); // a warning raises or stops raising its cells' risk at once
      break;
    case 'risk':
      riskStale(); // a scheduled run stored a new grid
      break;
    case 'building':
      buildingChanged(change); // a building's board: the Buildings tab and the open incident's block
      riskStale(); // an impaired key premises counts in its cell's risk, read live
      break;
  }
}

let coverageTimer = null;

/** coverageStale schedules one refetch of coverage and move-ups for a burst of changes. */
export function coverageStale() {
  if (coverageTimer) return;
  coverageTimer = setTimeout(() => {
    coverageTimer = null;
    invalidate('coverage', 'moveups');
  }, COVERAGE_SETTLE_MS);
}

/**
 * coverageBasis sums up what coverage depends on: which units of the measured type are
 * available, where (to about a kilometre: coverage is reckoned on resolution-7 cells, and an
 * available engine's AVL pings within its patch move nothing) and at which station. Most unit
 * changes (an en-route unit's AVL ping, a ladder's status) leave it alone and cost no coverage
 * fetch.
 */
function coverageBasis(units) {
  const type = state.coverage?.unit_type;
  return units.filter((u) => u.status === 'available' && !u.incident_id && (!type || u.type === type))
    .map((u) => `${u.id}@${u.post_station_id || u.station_id}:${u.location?.lat?.toFixed(2)},${u.location?.lng?.toFixed(2)}`)
    .sort().join('|');
}
let lastBasis = null;

/** selected runs fn with the open incident's id and drops its answer if another opened meanwhile. */
async function forSelected(fn) {
  const id = state.selectedId;
  if (id === null) return;
  await fn(id, () => id === state.selectedId);
}

const loaders = {
  async incidents() {
    const { incidents } = await client.get(`/api/v1/incidents?open=true&limit=${MAX_OPEN_INCIDENTS}`);
    state.incidents = incidents;
    state.incidentsLoaded = true;
    changed('incidents');
    wantSources(incidents);
  },
  async units() {
    lastUnitsRead = Date.now();
    const whole = unitsWhole || !latestUnitWrite || Date.now() - lastWholeUnits > UNITS_WHOLE_MS;
    unitsWhole = false;
    const since = new Date(latestUnitWrite - UNITS_OVERLAP_MS).toISOString();
    const { units } = await client.get(whole ? '/api/v1/units' : `/api/v1/units?updated_since=${encodeURIComponent(since)}`);
    if (whole) lastWholeUnits = Date.now();
    for (const u of units) latestUnitWrite = Math.max(latestUnitWrite, new Date(u.updated_at).getTime() || 0);
    putAndAnnounce(units, whole);
  },
  async stations() {
    ({ stations: state.stations } = await client.get('/api/v1/stations'));
    changed('stations');
  },
  async water() {
    ({ water_sources: state.water } = await client.get('/api/v1/water-sources'));
    changed('water');
  },
  async premises() {
    ({ premises: state.premises } = await client.get('/api/v1/premises'));
    changed('premises');
  },
  async coverage() {
    let cov;
    try {
      // The outlines come with the first answer; the map keeps them. They change with stations.
      cov = await client.get(`/api/v1/coverage${state.coverage && !state.coverageNeedsShapes ? '' : '?shapes=true'}`);
    } catch (err) {
      if (err.status !== 503) throw err;
      state.coverage = null;
      state.coverageNote = err.message; // this node does not serve coverage: say so, quietly
      changed('coverage');
      return;
    }
    state.coverageAnswer = cov; // as it came, with outlines when it has them, for the map
    const summary = { ...cov };
    delete summary.shapes;
    state.coverage = summary;
    state.coverageNote = '';
    lastBasis = coverageBasis(state.units);
    changed('coverage');
  },
  async moveups() {
    try {
      const answer = await client.get('/api/v1/move-ups');
      state.moveUps = { suggestions: answer.suggestions || [], recent: answer.recent || [], note: '' };
    } catch (err) {
      if (err.status !== 503) throw err;
      state.moveUps = { suggestions: [], recent: [], note: err.message }; // not served by this node
    }
    changed('moveups');
  },
  async warnings() {
    const [{ cells }, { warnings }] = await Promise.all([
      client.get('/api/v1/readiness?shapes=true'), client.get('/api/v1/warnings?active=true')]);
    state.warnings = { warnings, cells };
    changed('warnings');
  },
  async queue() {
    const { escalations } = await client.get('/api/v1/escalations');
    state.queue = escalations;
    changed('queue');
  },
  async detail() {
    await forSelected(async (id, current) => {
      const detail = await client.get(`/api/v1/incidents/${id}`);
      if (!current()) return;
      state.detail = detail;
      changed('detail');
      if (!OPEN.includes(detail.status) && detail.status !== 'merged') invalidate('review');
    });
  },
  async alarms() {
    await forSelected(async (id, current) => {
      const { alarms } = await client.get(`/api/v1/incidents/${id}/alarms`);
      if (!current()) return;
      state.alarms = { incidentId: id, list: alarms };
      noteSources(id, alarms);
      changed('alarms');
    });
  },
  async nearby() {
    await forSelected(async (id, current) => {
      const near = await client.get(`/api/v1/incidents/${id}/nearby`);
      if (current()) {
        state.nearby = near;
        changed('nearby');
      }
    });
  },
  async timeline() {
    await forSelected(async (id, current) => {
      const { events } = await client.get(`/api/v1/incidents/${id}/timeline`);
      if (current()) {
        state.timeline = events;
        changed('timeline');
      }
    });
  },
  async review() {
    await forSelected(async (id, current) => {
      let review;
      try {
        review = await client.get(`/api/v1/incidents/${id}/review`);
      } catch (err) {
        if (err.status !== 404) throw err;
        review = err;
      }
      if (current()) {
        state.review = review;
        changed('review');
      }
    });
  },
  async streams() {
    await forSelected(async (id, current) => {
      let list = [], note = '';
      try {
        ({ streams: list } = await client.get(`/api/v1/media/incidents/${id}/streams`));
      } catch (err) {
        if (err.status !== 503) throw err;
        note = err.message; // this node has no media server: say so in the panel, quietly
      }
      if (current()) {
        state.streams = { incidentId: id, list, note };
        changed('streams');
      }
    });
  },
};

function putAndAnnounce(units, replace) {
  const moved = putUnits(units, { replace });
  if (!moved.length && !replace) return;
  state.movedUnits = moved; // the map moves these alone
  changed('units');
  const basis = coverageBasis(state.units);
  if (lastBasis !== null && basis !== lastBasis) coverageStale();
}

/** stopBackground drops the queued background fetches (signing out). */
export function stopBackground() {
  stopPools();
  unitsWhole = true;
  latestUnitWrite = 0;
  dirty.clear();
  clearTimeout(flushTimer);
  flushTimer = null;
  clearTimeout(coverageTimer);
  coverageTimer = null;
  lastBasis = null;
}

// ---- the workflow engine -----------------------------------------------------------------------

/**
 * checkEngine asks /readyz whether the workflow engine and the database answer. While the
 * engine does not, the console still reads every incident from PostgreSQL, but no order is
 * taken; while the database does not, nothing new is stored. The degraded-mode banner
 * (degraded.js) and the open incident's notice say so.
 */
export async function checkEngine() {
  let down = false; // an unreachable server: the live indicator says so already
  let dbDown = false;
  try {
    const res = await fetch('/readyz', { cache: 'no-store' });
    const checks = await res.json();
    down = 'temporal' in checks && checks.temporal !== 'ok';
    dbDown = 'postgres' in checks && checks.postgres !== 'ok';
  } catch {
    live.lost(); // as above: not the engine's fault, but the stream may be dead too
  }
  if (down !== state.engineDown || dbDown !== state.databaseDown) {
    state.engineDown = down;
    state.databaseDown = dbDown;
    changed('engine');
  }
}

/**
 * act runs one order once: while it is on its way its key is busy (its buttons say so and
 * wait), and a failure is shown in the messages. It reports whether the order went through.
 */
export async function act(key, fn, context = '') {
  if (state.busy.has(key)) return false;
  state.busy.add(key);
  changed('busy');
  try {
    await fn();
    return true;
  } catch (err) {
    if (err.status !== 401) messages.error(err, context);
    return false;
  } finally {
    state.busy.delete(key);
    changed('busy');
  }
}

/** applyView shows an incident view an order answered with, ahead of its change notice. */
export function applyView(v) {
  if (v && state.selectedId === v.id) {
    state.detail = v;
    changed('detail');
  }
}
