// Background fetches the views need but no change notice brings: the sources of each incident's
// alarms (the icons of its row), fetched once per alarm count, a few at a time, so they never
// crowd out what the operator is waiting for.

import { state, changed } from './store.js';
import { client, session } from './client.js';

/** pool runs fn over a queue with at most n at a time; a full queue is drained in order. */
function pool(n, fn) {
  const queue = [];
  const queued = new Set();
  let running = 0;
  const next = () => {
    while (running < n && queue.length && session.signedIn) {
      const item = queue.shift();
      queued.delete(item);
      running++;
      fn(item).catch(() => {}).finally(() => { running--; next(); });
    }
  };
  return {
    add(item, first = false) {
      if (queued.has(item)) return;
      queued.add(item);
      if (first) queue.unshift(item); else queue.push(item);
      next();
    },
    clear() { queue.length = 0; queued.clear(); },
  };
}

// An incident's row shows the sources of its alarms: fetched once per alarm count.
const sourcesPool = pool(2, async (id) => {
  const inc = state.incidents.find((i) => i.id === id);
  if (!inc) return;
  const { alarms } = await client.get(`/api/v1/incidents/${id}/alarms`);
  noteSources(id, alarms);
  changed('sources');
});

export function wantSources(incidents) {
  // The queue's incidents (nothing dispatched yet) first: their rows are the ones read now.
  const waiting = (i) => !(i.assigned_units || []).length;
  for (const inc of [...incidents].sort((a, b) => waiting(b) - waiting(a))) {
    if (state.sources.get(inc.id)?.count !== inc.alarm_count) sourcesPool.add(inc.id);
  }
}

/** noteSources keeps what an incident's row shows of its alarms. */
export function noteSources(id, alarms) {
  const sources = [...new Set(alarms.map((a) => a.source))];
  const hazards = [...new Set(alarms.flatMap((a) => a.details?.hazards || []))];
  const trapped = Math.max(-1, ...alarms.map((a) => a.details?.people_trapped ?? -1));
  const unverified = alarms.some((a) => a.unverified);
  state.sources.set(id, { count: alarms.length, sources, hazards, trapped: trapped < 0 ? null : trapped, unverified });
}

/** stopPools drops the queued background fetches (signing out). */
export function stopPools() {
  sourcesPool.clear();
}
