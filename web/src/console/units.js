// The units board: every unit grouped by status, each with its time in that status against the
// status's warn and alert thresholds (timers.js), the incident it is committed to, and its
// move-up post with a way back to quarters. Rows are kept by unit and redrawn only when the unit
// changed, so hundreds of AVL updates a second cost little.

import { $, el } from '../lib/common.js';
import { t, tEnum } from '../lib/i18n.js';
import { UNIT_STATUSES } from '../lib/domain.js';
import { state, on, may, putUnits, changed } from './store.js';
import { client, messages, invalidate } from './api.js';
import { openIncident } from './nav.js';
import { inStatusChip, fillTimers } from './timers.js';
import { staffingChip, staffingSignature, staffingTitle } from './staffing.js';

const chips = new Map(); // unit id → {li, signature}
let groups = null; // status → {section, ul, count}

export function moveKey(unitId, stationId) {
  return `${unitId}>${stationId}`;
}

/** stationName is the station's name, or its id before the stations load. */
export function stationName(id) {
  return state.stations.find((x) => x.id === id)?.name || id;
}

function signature(u) {
  return [u.status, u.incident_id, u.post_station_id, u.station_id, u.name, state.statusSince.get(u.id),
    state.deciding.has(moveKey(u.id, u.station_id)), may('move_unit'), staffingSignature(u)].join('|');
}

function chip(u) {
  const post = u.post_station_id;
  const returning = state.deciding.has(moveKey(u.id, u.station_id));
  const title = [
    `${u.name || u.id}`,
    tEnum('unitType', u.type),
    t('console.units.station', { station: u.station_id || '—' }),
    tEnum('unitStatus', u.status),
    u.incident_id ? t('console.units.onIncident', { id: u.incident_id }) : '',
    post ? t('console.units.covering', { station: stationName(post) }) : '',
    staffingTitle(u),
  ].filter(Boolean).join(t('console.listJoiner'));
  return el('li', {
    class: `unit-chip status-${u.status}${post ? ' is-posted' : ''}`, 'data-testid': 'unit-status', 'data-unit-id': u.id,
    'data-unit-type': u.type, 'data-status': u.status, 'data-post-station-id': post || null, title,
  },
  el('span', { class: 'chip-id', translate: 'no' }, u.id),
  el('span', { class: 'chip-type' }, tEnum('unitTypeCode', u.type)),
  el('span', { class: 'visually-hidden' }, tEnum('unitStatus', u.status)),
  inStatusChip(u, state.statusSince.get(u.id)),
  staffingChip(u),
  post ? el('span', { class: 'chip-post', 'data-testid': 'unit-post', 'data-station-id': post },
    t('console.units.coveringShort', { station: post })) : null,
  // Only an available unit moves; a committed one keeps its post until it is back.
  post && may('move_unit') && u.status === 'available' && !u.incident_id ? el('button', {
    type: 'button', class: 'chip-action', 'data-testid': 'return-to-quarters', 'data-unit-id': u.id, disabled: returning,
    'aria-label': t('console.units.returnAria', { unit: u.id, station: u.station_id }), onclick: () => returnToQuarters(u),
  }, returning ? t('console.units.returning') : t('console.units.return')) : null,
  u.incident_id ? el('button', {
    type: 'button', class: 'chip-inc', onclick: () => openIncident(u.incident_id), 'aria-label': t('common.lifecycle.showIncident', { id: u.incident_id }),
  }, `#${u.incident_id}`) : null);
}

function buildGroups() {
  groups = new Map();
  $('#unit-board').replaceChildren(...UNIT_STATUSES.map((status) => {
    const count = el('span', { class: 'count' });
    const title = el('span', { class: 'group-name' });
    const ul = el('ul', { 'aria-label': tEnum('unitStatus', status) });
    const section = el('section', { class: `unit-group status-${status}`, 'data-status': status },
      el('h3', {}, el('span', { class: `dot status-${status}`, 'aria-hidden': 'true' }), title, count), ul);
    groups.set(status, { section, ul, count, title });
    return section;
  }));
}

function render(topics = []) {
  if (!groups || topics.includes('locale')) {
    buildGroups();
    chips.clear();
  }
  const by = new Map(UNIT_STATUSES.map((s) => [s, []]));
  for (const u of state.units) (by.get(u.status) || by.get('out_of_service')).push(u);
  const seen = new Set();
  for (const [status, units] of by) {
    const g = groups.get(status);
    g.title.textContent = tEnum('unitStatus', status);
    g.count.textContent = String(units.length);
    g.section.hidden = !units.length && status !== 'available';
    units.sort((a, b) => a.id.localeCompare(b.id));
    const items = units.map((u) => {
      seen.add(u.id);
      const sig = signature(u);
      let c = chips.get(u.id);
      if (!c || c.signature !== sig) {
        c = { li: chip(u), signature: sig };
        chips.get(u.id)?.li.remove();
        chips.set(u.id, c);
      }
      return c.li;
    });
    items.forEach((li, i) => { if (g.ul.children[i] !== li) g.ul.insertBefore(li, g.ul.children[i] || null); });
    while (g.ul.children.length > items.length) g.ul.lastElementChild.remove();
  }
  for (const [id, c] of chips) if (!seen.has(id)) { c.li.remove(); chips.delete(id); }
  const committed = state.units.filter((u) => u.incident_id).length;
  const posted = state.units.filter((u) => u.post_station_id).length;
  $('#unit-count').textContent = t(posted ? 'console.units.countPosted' : 'console.units.count', { n: state.units.length, committed, posted });
  fillTimers($('#unit-board'));
}

async function returnToQuarters(u) {
  const key = moveKey(u.id, u.station_id);
  if (state.deciding.has(key)) return;
  state.deciding.add(key);
  changed('units');
  try {
    const answer = await client.post('/api/v1/move-ups', { unit_id: u.id, station_id: u.station_id });
    if (answer?.unit) {
      putUnits([answer.unit]);
      state.movedUnits = [answer.unit];
    }
    messages.info(t('console.units.returned', { unit: u.id, station: u.station_id }));
    invalidate('coverage', 'moveups', 'units');
  } catch (err) {
    messages.error(err, t('console.units.returnFailed', { unit: u.id }));
  } finally {
    state.deciding.delete(key);
    changed('units');
  }
}

/** setupUnits draws the units board. */
export function setupUnits() {
  on(['units', 'stations', 'locale', 'session'], render);
  on('tick', () => fillTimers($('#unit-board')));
}
