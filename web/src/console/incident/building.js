// The open incident's building fire protection (建筑消防设施): when its alarms name a key premises
// whose transmission devices report to the centre, the block says whether that building's fire
// protection is impaired now and which components are not normal, so a crew knows the 5F
// detectors are shielded before it goes in; a link opens the premises' whole board in the
// Buildings tab. It is read again on a 'building' notice for one of its premises.

import { $, el } from '../../lib/common.js';
import { t, onLocaleChange, formatDateTime } from '../../lib/i18n.js';
import { data } from '../../lib/lifecycle.js';
import { state, on, may } from '../store.js';
import { client, messages } from '../client.js';
import {
  conditionTags, impaired, impairmentWords, onBuildingChange, openBuilding, placeWords, plural,
} from '../buildings.js';

// The lines of components listed under each building; the board has them all.
const MAX_COMPONENTS = 12;
// A burst of notices for one building (a floor's detectors shielded one by one) is one read.
const SETTLE_MS = 1000;

const due = new Set(); // premises to read again when the timer fires
let timer = null;

const block = {
  incidentId: null,
  premises: [], // the premises the incident's alarms name, in the alarms' order
  boards: new Map(), // premises id → its board, or null: no registered device
};

/** premisesOf lists the key premises the open incident's alarms name. */
function premisesOf() {
  const a = state.alarms;
  if (!a || a.incidentId !== state.selectedId) return [];
  return [...new Set(a.list.map((x) => x.premise_id).filter(Boolean))];
}

async function read(incidentId, premiseId) {
  let board = null;
  try {
    board = await client.get(`/api/v1/buildings/${encodeURIComponent(premiseId)}`);
  } catch (err) {
    // 404: the premises has no registered device; 503: this node keeps no boards.
    if (err.status !== 404 && err.status !== 503 && err.status !== 401) messages.error(err, t('buildings.error.board'));
  }
  if (block.incidentId !== incidentId) return;
  block.boards.set(premiseId, board);
  render();
}

/** follow notes the incident's premises and reads the boards it has not read. */
function follow() {
  if (!may('read_buildings')) return;
  const id = state.selectedId;
  const premises = premisesOf();
  if (id !== block.incidentId) {
    Object.assign(block, { incidentId: id, premises: [], boards: new Map() });
  }
  block.premises = premises;
  for (const p of premises) if (!block.boards.has(p)) read(id, p);
  render();
}

/**
 * grouped folds the components at one place in the same conditions into one line: a floor's 14
 * shielded detectors are one fact for a crew, not 14.
 */
function grouped(components) {
  const groups = new Map();
  for (const c of components) {
    const place = placeWords(c.place, c.description) || t('buildings.componentAt', { address: c.component_address });
    const conditions = (c.conditions || []).join(' ');
    const key = `${place}\u0000${conditions}`;
    const g = groups.get(key);
    if (g) {
      g.n++;
      if (c.since && new Date(c.since) < new Date(g.since)) g.since = c.since;
    } else groups.set(key, { place, conditions: c.conditions || [], since: c.since, n: 1 });
  }
  return [...groups.values()];
}

function componentItem(g) {
  return el('li', { 'data-testid': 'incident-building-component', 'data-conditions': g.conditions.join(' '), 'data-count': String(g.n) },
    data(g.place), g.n > 1 ? el('span', { class: 'bld-count' }, ` ×${g.n}`) : null, ' ',
    ...conditionTags(g.conditions),
    g.since ? el('span', { class: 'sub' }, ` ${t('buildings.since', { time: formatDateTime(g.since) })}`) : null);
}

function boardItem(b) {
  const bad = impaired(b.impairment);
  const components = grouped((b.devices_now || []).flatMap((d) => d.components || []));
  const more = components.slice(MAX_COMPONENTS).reduce((n, g) => n + g.n, 0);
  return el('div', { class: 'bld-inc', 'data-testid': 'incident-building', 'data-id': b.premise.id, 'data-impaired': String(bad) },
    el('div', { class: 'bld-row-head' }, data(b.premise.name || b.premise.id, { class: 'bld-name' }), ' ',
      el('span', { class: `badge bld-state ${bad ? 'is-bad' : 'is-ok'}` }, t(bad ? 'buildings.impaired' : 'buildings.working'))),
    el('p', { class: 'bld-words', 'data-testid': 'incident-building-impairment' }, impairmentWords(b.impairment)),
    components.length ? el('ul', { class: 'plain-list bld-components' }, ...components.slice(0, MAX_COMPONENTS).map(componentItem)) : null,
    more > 0 ? el('p', { class: 'sub' }, plural('buildings.incident.more', more)) : null,
    el('button', {
      type: 'button', class: 'btn btn-small', 'data-testid': 'incident-building-open', onclick: () => openBuilding(b.premise.id),
    }, t('buildings.incident.open')));
}

function render() {
  const boards = block.incidentId === state.selectedId
    ? block.premises.map((p) => block.boards.get(p)).filter(Boolean) : [];
  $('#building-section').hidden = !boards.length;
  $('#incident-buildings').replaceChildren(...boards.map(boardItem));
}

/** setupBuilding draws the open incident's building fire protection. */
export function setupBuilding() {
  on(['alarms', 'selection', 'session'], follow);
  onLocaleChange(render);
  onBuildingChange((id) => {
    if (block.incidentId === null) return;
    for (const p of block.premises) if (!id || id === p) due.add(p);
    if (!due.size || timer) return;
    timer = setTimeout(() => {
      timer = null;
      for (const p of due) if (block.premises.includes(p)) read(block.incidentId, p);
      due.clear();
    }, SETTLE_MS);
  });
}
