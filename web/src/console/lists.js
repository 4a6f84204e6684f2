// The alarm queue (incidents nobody has dispatched to yet) and the incident board (the rest of
// the open incidents), each most urgent then newest first. A row shows the sources of its
// alarms as icons, its running timers against their limits, and — in the queue — a merge
// suggestion when another open incident of a compatible type lies within the distance intake
// itself treats as the same place. New alarms are announced in a live region.

import { $, el } from '../lib/common.js';
import { t, tEnum, locale, formatTime, formatDistance } from '../lib/i18n.js';
import { metresBetween } from '../lib/lifecycle.js';
import { state, on, changed } from './store.js';
import { queueIncidents, boardIncidents, matches, openIncident, waiting } from './nav.js';
import { runningTimers, timerChip, fillTimers } from './timers.js';
import { sourceIcon } from './icons.js';

/**
 * MERGE_METRES is the reach of a merge suggestion: about intake's dedupe ring (one H3 ring
 * around a resolution-9 cell, DeskConfig.DedupeRing). The API suggests no merges of its own;
 * intake merges compatible alarms inside the ring within its window by itself, so what reaches
 * the queue side by side is older, of another type, or just outside.
 */
export const MERGE_METRES = 600;

// The fire types, which intake lets share duplicates (fireline.IncidentType.Fire).
const FIRE_TYPES = ['structure_fire', 'high_rise_fire', 'industrial_fire', 'vehicle_fire', 'wildland_fire'];

/** compatible mirrors fireline.IncidentType.Compatible: may alarms of a and b be one emergency? */
function compatible(a, b) {
  return a === b || (FIRE_TYPES.includes(a) && FIRE_TYPES.includes(b)) || a === 'help_requested' || b === 'help_requested';
}

/** mergeSuggestions are the other open incidents that may be the same emergency, nearest first. */
export function mergeSuggestions(inc) {
  return state.incidents
    .filter((o) => o.id !== inc.id && o.status !== 'merged' && compatible(o.type, inc.type))
    .map((o) => ({ inc: o, m: metresBetween(inc.location, o.location) }))
    .filter((x) => x.m <= MERGE_METRES)
    .sort((a, b) => a.m - b.m);
}

/** filterFn is the search box's filter over incidents. */
export function filterFn() {
  const text = state.filter;
  return (inc) => matches(inc, text, tEnum('incidentType', inc.type));
}

/** escalationsByIncident counts the open escalations of each incident. */
export function escalationsByIncident() {
  const n = new Map();
  for (const e of state.queue || []) if (!e.acknowledged_at) n.set(e.incident_id, (n.get(e.incident_id) || 0) + 1);
  return n;
}

// The timers a row has room for: the most pressing first.
function pressing(inc, max) {
  const now = Date.now();
  return runningTimers(inc).sort((a, b) => (now - b.start) / (b.due - b.start) - (now - a.start) / (a.due - a.start)).slice(0, max);
}

function rowSignature(inc, extra) {
  const src = state.sources.get(inc.id);
  return JSON.stringify([locale(), inc.id, inc.status, inc.type, inc.level, inc.priority, inc.address, inc.alarm_count, inc.updated_at,
    inc.id === state.selectedId, src?.sources, src?.hazards?.length, src?.trapped, src?.unverified, extra]);
}

function row(inc, { isNew, escalations, queue }) {
  const src = state.sources.get(inc.id);
  const assigned = (inc.assigned_units || []).filter((a) => !a.cleared_at).length;
  const merge = queue ? mergeSuggestions(inc) : [];
  const timers = pressing(inc, queue ? 2 : 3);
  const typeName = tEnum('incidentType', inc.type);
  const li = el('li', { class: 'row-item', 'data-incident-id': inc.id },
    el('button', {
      type: 'button', class: `incident-row${isNew ? ' is-new' : ''}`, 'data-testid': 'incident-row', 'data-incident-id': inc.id,
      'data-status': inc.status, 'data-priority': inc.priority || 0, 'aria-current': inc.id === state.selectedId ? 'true' : null,
      onclick: () => openIncident(inc.id),
    },
    el('span', { class: 'row-top' },
      el('span', { class: 'row-sources' }, (src?.sources || []).map(sourceIcon)),
      el('span', { class: 'inc-id', translate: 'no' }, `#${inc.id}`),
      el('span', { class: 'inc-type' }, typeName),
      escalations ? el('span', { class: 'esc-flag', 'data-testid': 'incident-escalated', title: t('console.row.escalations', { n: escalations }) },
        String(escalations), el('span', { class: 'visually-hidden' }, t('console.row.escalations', { n: escalations }))) : null,
      inc.priority ? el('span', { class: `prio p${inc.priority}`, title: t('console.priorityTitle', { p: inc.priority, name: tEnum('priority', inc.priority) }) },
        `P${inc.priority}`) : el('span', { class: 'prio p0', title: t('console.row.unassessed') }, t('console.row.unassessedShort')),
      el('span', { class: 'level', title: t('console.levelTitle', { n: inc.level }) }, t('domain.level', { n: inc.level }))),
    el('span', { class: 'row-addr', translate: 'no', 'data-i18n-skip': '' }, inc.address || `${inc.location.lat.toFixed(4)}, ${inc.location.lng.toFixed(4)}`),
    el('span', { class: 'row-bottom' },
      el('span', { class: `badge inc-${inc.status}` }, tEnum('incidentStatus', inc.status)),
      el('span', { class: 'age', title: t('console.row.received', { time: formatTime(inc.created_at) }) }, formatTime(inc.created_at)),
      inc.alarm_count > 1 ? el('span', { class: 'alarms' }, t('console.row.alarms', { n: inc.alarm_count })) : null,
      queue ? null : el('span', { class: 'units' }, assigned ? t('console.row.units', { n: assigned }) : t('console.row.noUnits')),
      src?.trapped ? el('span', { class: 'tag tag-danger' }, t('console.row.trapped', { n: src.trapped })) : null,
      src?.hazards?.length ? el('span', { class: 'tag tag-warn', title: t('console.row.hazardsTitle') }, t('console.row.hazards', { n: src.hazards.length })) : null,
      src?.unverified ? el('span', { class: 'tag tag-warn' }, t('console.alarm.unverified')) : null),
    timers.length ? el('span', { class: 'row-timers' }, timers.map((x) => timerChip(x, { compact: true }))) : null),
    merge.length ? el('p', { class: 'merge-hint', 'data-testid': 'merge-suggestion', 'data-into': merge[0].inc.id },
      el('span', {}, t('console.merge.hint', { id: merge[0].inc.id, type: tEnum('incidentType', merge[0].inc.type), distance: formatDistance(merge[0].m) })),
      el('button', {
        type: 'button', class: 'btn btn-small btn-quiet', 'data-testid': 'merge-suggestion-open',
        'aria-label': t('console.merge.reviewAria', { id: inc.id, into: merge[0].inc.id }),
        onclick: () => { state.mergeInto = { from: inc.id, into: merge[0].inc.id }; openIncident(inc.id); },
      }, t('console.merge.review'))) : null);
  li.dataset.signature = rowSignature(inc, [escalations, merge.map((x) => x.inc.id), timers.map((x) => `${x.timer}${x.unit}${x.due}`), isNew]);
  return li;
}

/** reconcile redraws a list keyed by incident id, keeping the rows whose signature stands. */
function reconcile(list, incidents, opts) {
  const old = new Map([...list.children].map((li) => [li.dataset.incidentId, li]));
  const rows = incidents.map((inc) => {
    const fresh = row(inc, opts(inc));
    const kept = old.get(String(inc.id));
    return kept && kept.dataset.signature === fresh.dataset.signature ? kept : fresh;
  });
  // Move only what moved, so focus and the row under the pointer stay.
  rows.forEach((r, i) => { if (list.children[i] !== r) list.insertBefore(r, list.children[i] || null); });
  while (list.children.length > rows.length) list.lastElementChild.remove();
}

function render() {
  const filter = filterFn();
  const escalated = escalationsByIncident();
  const firstLoad = state.seen === null;
  const seen = state.seen ?? new Set();
  const fresh = [];
  const opts = (queue) => (inc) => {
    const isNew = !firstLoad && !seen.has(inc.id);
    if (isNew && !state.newIds?.has(inc.id)) fresh.push(inc);
    return { isNew: isNew || Boolean(state.newIds?.has(inc.id)), escalations: escalated.get(inc.id) || 0, queue };
  };
  const queue = queueIncidents(filter);
  const board = boardIncidents(filter);
  reconcile($('#alarm-queue'), queue, opts(true));
  reconcile($('#incident-board'), board, opts(false));
  if (state.incidentsLoaded) {
    state.newIds = new Set([...(state.newIds || []), ...fresh.map((i) => i.id)]);
    for (const inc of state.incidents) seen.add(inc.id);
    state.seen = seen;
  }
  const waitingAll = state.incidents.filter(waiting).length;
  $('#alarm-count').textContent = String(waitingAll);
  $('#alarm-count').setAttribute('aria-label', t('console.queue.countAria', { n: waitingAll }));
  $('#alarm-count').classList.toggle('is-hot', waitingAll > 0);
  $('#board-count').textContent = String(state.incidents.length - waitingAll);
  $('#board-count').setAttribute('aria-label', t('console.board.countAria', { n: state.incidents.length - waitingAll }));
  $('#queue-empty').hidden = queue.length > 0;
  $('#queue-empty').textContent = !state.incidentsLoaded ? t('console.loading') : state.filter ? t('console.queue.noMatch') : t('console.queue.empty');
  $('#board-empty').hidden = board.length > 0;
  $('#board-empty').textContent = !state.incidentsLoaded ? t('console.loading') : state.filter ? t('console.queue.noMatch') : t('console.board.empty');
  fillTimers($('#lists'));
  if (fresh.length) announce(fresh);
}

/** announce says in the live region what just arrived, once. */
function announce(incs) {
  const inc = incs[0];
  $('#alarm-live').textContent = incs.length === 1
    ? t('console.queue.newOne', { id: inc.id, type: tEnum('incidentType', inc.type), address: inc.address || '' })
    : t('console.queue.newMany', { n: incs.length });
}

/** setupLists draws the queue and the board, and wires the search box. */
export function setupLists() {
  const search = $('#incident-search');
  search.addEventListener('input', () => {
    state.filter = search.value;
    changed('filter');
  });
  search.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      const first = [...queueIncidents(filterFn()), ...boardIncidents(filterFn())][0];
      if (first) openIncident(first.id);
    }
  });
  on(['incidents', 'sources', 'queue', 'selection', 'filter', 'locale', 'session'], render);
  on('tick', () => fillTimers($('#lists')));
  // An arrival stays marked until the operator opens it.
  on('selection', () => state.newIds?.delete(state.selectedId));
}
