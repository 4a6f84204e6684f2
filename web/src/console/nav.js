// Which incident is open, and the order an operator walks them in: the alarm queue (nothing
// dispatched yet) first, then the incident board, each most urgent then newest first. The
// queue, the board and the keyboard all use these, so j/k walks the rows as they are drawn.

import { state, changed } from './store.js';
import { invalidate } from './api.js';

/** urgency ranks an incident for the queue: unassessed first (nobody has weighed it), then P1…P4. */
function urgency(inc) {
  return inc.priority || 0;
}

const newestFirst = (a, b) => new Date(b.created_at) - new Date(a.created_at);
const byUrgency = (a, b) => urgency(a) - urgency(b) || newestFirst(a, b);

/** waiting says whether an incident is in the alarm queue: open and no unit ever sent. */
export function waiting(inc) {
  return !(inc.assigned_units || []).length && ['received', 'assessing', 'dispatching'].includes(inc.status);
}

/** matches says whether an incident fits the search text (id, address, type word). */
export function matches(inc, text, typeName) {
  if (!text) return true;
  const q = text.trim().toLowerCase();
  return String(inc.id) === q.replace(/^#/, '') || (inc.address || '').toLowerCase().includes(q)
    || (typeName || '').toLowerCase().includes(q) || inc.type.includes(q);
}

/** queueIncidents are the alarm queue's incidents in the order drawn. */
export function queueIncidents(filter = () => true) {
  return state.incidents.filter((i) => waiting(i) && filter(i)).sort(byUrgency);
}

/** boardIncidents are the incident board's incidents in the order drawn. */
export function boardIncidents(filter = () => true) {
  return state.incidents.filter((i) => !waiting(i) && filter(i)).sort(byUrgency);
}

/** openIncident opens an incident in the side panel; the loaders fetch what it shows. */
export function openIncident(id) {
  if (id === null || id === undefined) return;
  if (state.tab !== 'incident') {
    state.tab = 'incident';
    changed('tab');
  }
  if (state.selectedId === id) {
    changed('selection'); // again: the views scroll it into sight and the map fits it
    return;
  }
  Object.assign(state, {
    selectedId: id, detail: null, timeline: [], nearby: null, review: null, alarms: null, streams: null, assessDirty: null, orderForm: null,
  });
  history.replaceState(null, '', `#incident-${id}`);
  changed('selection', 'detail', 'timeline', 'nearby', 'review', 'alarms', 'streams');
  invalidate('detail', 'timeline', 'alarms', 'streams', 'nearby');
}

/**
 * stepIncident opens the next (delta 1) or previous (-1) incident in the walking order from the
 * open one; with none open, the first or the last.
 */
export function stepIncident(delta, list = [...queueIncidents(), ...boardIncidents()]) {
  if (!list.length) return null;
  const at = list.findIndex((i) => i.id === state.selectedId);
  const next = at < 0 ? (delta > 0 ? 0 : list.length - 1) : Math.min(list.length - 1, Math.max(0, at + delta));
  openIncident(list[next].id);
  return list[next].id;
}
