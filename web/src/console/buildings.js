// The Buildings tab (建筑消防): the key premises whose transmission devices report their fire
// protection (GET /buildings), impaired ones first, each with what is wrong in words; one chosen
// opens its board (GET /buildings/{premise_id}): its devices, online or not, its systems' state,
// the components not in normal operation and the latest events. Administrators also see the
// addresses heard that nobody registered. A 'building' change notice (its id is the premises,
// or an unregistered device's address) reads what it touched again, once for a burst.

import { $, el } from '../lib/common.js';
import { t, has, onLocaleChange, formatDateTime } from '../lib/i18n.js';
import { data } from '../lib/lifecycle.js';
import { DEVICE_CONDITIONS } from '../lib/domain.js';
import { state, on, changed, may } from './store.js';
import { client, messages, session } from './client.js';

// A panel's reset or a floor's detectors shielded one by one arrive as a burst of notices:
// one read this long after the first.
const SETTLE_MS = 1000;

const view = {
  impairedOnly: true,
  list: null, // the answer of GET /buildings, or null before the first
  note: '', // why there is no list (a node without the boards)
  selected: '', // the premises whose board is open
  board: null, // its board
  unregistered: null, // administrators: GET /admin/unregistered-devices
  stale: new Set(), // 'list', 'board', 'unregistered': read again when the tab is next shown
};

let timer = null;
const listeners = new Set();

// ---- words shared with the incident view -------------------------------------------------------

/** plural picks the catalogue's one or other form of key for n. */
export function plural(key, n) {
  return t(`${key}.${n === 1 ? 'one' : 'other'}`, { n });
}

const COUNTS = ['fire_alarms', 'faults', 'shielded', 'in_test', 'offline', 'supervisory'];

/** impairmentWords says what is wrong with a building in words ("2 faults, 14 shielded, 1 device offline"). */
export function impairmentWords(m = {}) {
  const parts = COUNTS.filter((k) => m[k] > 0).map((k) => plural(`buildings.count.${k}`, m[k]));
  return parts.length ? parts.join(t('buildings.listSep')) : t('buildings.nothingWrong');
}

/** impaired says whether a building's fire protection is not fully working (fireline.Impairment.Impaired). */
export function impaired(m = {}) {
  return (m.fire_alarms + m.faults + m.shielded + m.in_test + m.offline) > 0;
}

/** conditionName names one condition in the page's language. */
export function conditionName(c) {
  return DEVICE_CONDITIONS.includes(c) ? t(`buildings.condition.${c}`) : String(c);
}

/** conditionTags draws conditions as tags, the dangerous ones marked; none is "normal". */
export function conditionTags(conditions = []) {
  if (!conditions.length) return [el('span', { class: 'tag bld-cond', 'data-condition': 'normal' }, t('buildings.board.normal'))];
  return conditions.map((c) => el('span', { class: 'tag bld-cond', 'data-condition': c }, conditionName(c)));
}

/** systemName names a facility system by its type (the standard's table 4) and address. */
export function systemName(system, address) {
  const key = `buildings.system.${system}`;
  const name = has(key) ? t(key) : t('buildings.system.type', { n: system });
  return t('buildings.systemAt', { system: name, address });
}

/** placeWords is where a component is: its registered place, else its own description. */
export function placeWords(place = {}, description = '') {
  const words = [place.building, place.floor, place.zone, place.description].filter(Boolean);
  return words.length ? words.join(' · ') : description;
}

/** onBuildingChange calls fn(id) for each 'building' change notice (the incident view's block). */
export function onBuildingChange(fn) {
  listeners.add(fn);
}

/** RECHECK_MS is how often the boards are read again with no notice, well inside the default offline limit (3 min). */
const RECHECK_MS = 20_000;

// ---- loading ------------------------------------------------------------------------------------

function shown() {
  return state.tab === 'buildings' && session.signedIn;
}

/** buildingChanged takes a 'building' change notice from the live stream. */
export function buildingChanged(change) {
  const id = String(change?.id ?? '');
  view.stale.add('list');
  if (!id || id === view.selected) view.stale.add('board');
  if (may('admin')) view.stale.add('unregistered');
  for (const fn of listeners) fn(id);
  schedule();
}

/** buildingsStale reads everything again (a reconnection: notices sent while away are lost). */
export function buildingsStale() {
  view.stale.add('list').add('board');
  if (may('admin')) view.stale.add('unregistered');
  for (const fn of listeners) fn('');
  schedule();
}

function schedule() {
  if (timer || !shown()) return;
  timer = setTimeout(load, SETTLE_MS);
}

async function load() {
  timer = null;
  if (!shown()) return;
  const what = [...view.stale];
  view.stale.clear();
  await Promise.all(what.map((w) => loaders[w]?.().catch((err) => {
    if (err.status !== 401) messages.error(err, t(`buildings.error.${w}`));
  })));
  render();
}

const loaders = {
  async list() {
    try {
      const { buildings } = await client.get(`/api/v1/buildings${view.impairedOnly ? '?impaired=true' : ''}`);
      view.list = buildings;
      view.note = '';
    } catch (err) {
      if (err.status !== 503) throw err;
      view.list = [];
      view.note = err.message; // this node keeps no boards: say so, quietly
    }
  },
  async board() {
    const id = view.selected;
    if (!id) return;
    let board = null;
    try {
      board = await client.get(`/api/v1/buildings/${encodeURIComponent(id)}`);
    } catch (err) {
      if (err.status !== 404) throw err;
    }
    if (id === view.selected) view.board = board;
  },
  async unregistered() {
    if (!may('admin')) return;
    try {
      ({ devices: view.unregistered } = await client.get('/api/v1/admin/unregistered-devices'));
    } catch (err) {
      if (err.status !== 503) throw err;
      view.unregistered = null;
    }
  },
};

/** openBuilding shows the Buildings tab on one premises' board. */
export function openBuilding(premiseId) {
  view.selected = premiseId;
  view.board = null;
  view.stale.add('board').add('list');
  if (may('admin')) view.stale.add('unregistered');
  if (state.tab !== 'buildings') {
    state.tab = 'buildings';
    changed('tab'); // the tab's listener loads
  } else {
    render();
    load();
  }
}

function choose(premiseId) {
  view.selected = premiseId;
  view.board = null;
  view.stale.add('board');
  render();
  load();
}

// ---- drawing ------------------------------------------------------------------------------------

function when(iso) {
  return iso ? formatDateTime(iso) : '';
}

function table(testid, heads, rows) {
  return el('table', { class: 'table bld-table', 'data-testid': testid },
    el('thead', {}, el('tr', {}, ...heads.map((h) => el('th', { scope: 'col' }, t(h))))),
    el('tbody', {}, ...rows));
}

function renderList() {
  const list = $('#bld-list');
  $('#bld-impaired').checked = view.impairedOnly;
  if (view.list === null) {
    list.replaceChildren(el('li', { class: 'empty' }, t('console.loading')));
    return;
  }
  $('#bld-note').textContent = view.note;
  $('#bld-note').hidden = !view.note;
  if (!view.list.length) {
    list.replaceChildren(el('li', { class: 'empty' }, t(view.impairedOnly ? 'buildings.noneImpaired' : 'buildings.none')));
    return;
  }
  list.replaceChildren(...view.list.map((b) => {
    const bad = impaired(b.impairment);
    return el('li', {},
      el('button', {
        type: 'button', class: 'bld-row', 'data-testid': 'building', 'data-id': b.premise.id, 'data-impaired': String(bad),
        'aria-current': b.premise.id === view.selected ? 'true' : null, onclick: () => choose(b.premise.id),
      },
      el('span', { class: 'bld-row-head' }, data(b.premise.name || b.premise.id, { class: 'bld-name' }), ' ',
        el('span', { class: `badge bld-state ${bad ? 'is-bad' : 'is-ok'}` }, t(bad ? 'buildings.impaired' : 'buildings.working'))),
      el('span', { class: 'bld-words', 'data-testid': 'building-impairment' }, impairmentWords(b.impairment)),
      el('span', { class: 'sub' }, plural('buildings.devicesN', b.devices),
        b.since ? ` · ${t('buildings.since', { time: when(b.since) })}` : '')));
  }));
}

function deviceRows(board) {
  return (board.devices_now || []).map((d) => el('tr', {
    'data-testid': 'board-device', 'data-id': d.device.id, 'data-online': String(!!d.online),
  },
  el('td', {}, data(d.device.id)),
  el('td', {}, data(d.device.address || '', { class: 'mono' })),
  el('td', {}, el('span', { class: `badge bld-online ${d.online ? 'is-ok' : 'is-bad'}` }, t(d.online ? 'buildings.board.online' : 'buildings.board.offline'))),
  el('td', {}, d.link ? when(d.link.last_seen_at) : t('buildings.board.never'))));
}

function systemRows(board) {
  return (board.devices_now || []).flatMap((d) => (d.systems || []).map((s) => el('tr', {
    'data-testid': 'board-system', 'data-conditions': (s.conditions || []).join(' '),
  },
  el('td', {}, systemName(s.system, s.system_address)),
  el('td', {}, ...conditionTags(s.conditions)),
  el('td', {}, when(s.since)))));
}

function componentRows(board) {
  return (board.devices_now || []).flatMap((d) => (d.components || []).map((c) => el('tr', {
    'data-testid': 'board-component', 'data-conditions': (c.conditions || []).join(' '),
  },
  el('td', {}, data(placeWords(c.place, '') || t('buildings.componentAt', { address: c.component_address }))),
  el('td', {}, data(c.description || '')),
  el('td', {}, ...conditionTags(c.conditions)),
  el('td', {}, when(c.since)))));
}

/** eventWhat says what an event is about: the device, a system, or a component. */
function eventWhat(e) {
  if (!e.system && !e.component_address) return t('buildings.thisDevice');
  const parts = [systemName(e.system, e.system_address)];
  if (e.component_address) parts.push(t('buildings.componentAt', { address: e.component_address }));
  return parts.join(' · ');
}

/** eventWords are an event's conditions, operations or value in words. */
function eventWords(e) {
  if (e.operations?.length) {
    const ops = e.operations.map((o) => t(`buildings.operation.${o}`)).join(t('buildings.listSep'));
    return e.operator ? `${ops} · ${t('buildings.board.operator', { n: e.operator })}` : ops;
  }
  if (e.kind === 'component_analog') return t('buildings.board.analog', { value: e.analog_value ?? 0, kind: e.analog_kind ?? 0 });
  if (e.kind.endsWith('_status')) {
    return e.conditions?.length ? e.conditions.map(conditionName).join(t('buildings.listSep')) : t('buildings.board.normal');
  }
  return '';
}

function historyRows(board) {
  return (board.history || []).map((r) => el('tr', { 'data-testid': 'board-event', 'data-kind': r.event.kind },
    el('td', {}, when(r.event.at || r.received_at)),
    el('td', {}, t(`buildings.kind.${r.event.kind}`)),
    el('td', {}, eventWhat(r.event), r.event.description ? [' · ', data(r.event.description)] : null),
    el('td', {}, eventWords(r.event))));
}

function section(title, testid, rows, heads, none) {
  return el('section', { class: 'bld-part', 'data-testid': testid },
    el('h4', {}, t(title)),
    rows.length ? table(`${testid}-table`, heads, rows) : el('p', { class: 'empty' }, t(none)));
}

function renderBoard() {
  const box = $('#bld-board');
  box.hidden = !view.selected;
  if (!view.selected) {
    box.replaceChildren();
    return;
  }
  const back = el('button', { type: 'button', class: 'btn btn-small btn-quiet', 'data-testid': 'building-back', onclick: () => choose('') }, t('buildings.back'));
  const b = view.board;
  if (!b || b.premise?.id !== view.selected) {
    box.replaceChildren(back, el('p', { class: 'empty' }, t('console.loading')));
    box.dataset.id = view.selected;
    return;
  }
  const bad = impaired(b.impairment);
  box.dataset.id = b.premise.id;
  box.dataset.impaired = String(bad);
  box.replaceChildren(
    el('header', { class: 'panel-head bld-board-head' },
      el('h3', {}, data(b.premise.name || b.premise.id)),
      el('span', { class: `badge bld-state ${bad ? 'is-bad' : 'is-ok'}` }, t(bad ? 'buildings.impaired' : 'buildings.working')),
      back),
    el('p', { class: 'bld-words', 'data-testid': 'board-impairment' }, impairmentWords(b.impairment),
      b.since ? el('span', { class: 'sub' }, ` · ${t('buildings.since', { time: when(b.since) })}`) : null),
    section('buildings.board.devices', 'board-devices', deviceRows(b),
      ['buildings.board.colDevice', 'buildings.board.colAddress', 'buildings.board.colState', 'buildings.board.colHeard'], 'buildings.none'),
    section('buildings.board.components', 'board-components', componentRows(b),
      ['buildings.board.colPlace', 'buildings.board.colDescription', 'buildings.board.colConditions', 'buildings.board.colSince'], 'buildings.board.noComponents'),
    section('buildings.board.systems', 'board-systems', systemRows(b),
      ['buildings.board.colSystem', 'buildings.board.colConditions', 'buildings.board.colSince'], 'buildings.board.noSystems'),
    section('buildings.board.history', 'board-history', historyRows(b),
      ['buildings.board.colTime', 'buildings.board.colKind', 'buildings.board.colWhat', 'buildings.board.colConditions'], 'buildings.board.noHistory'));
}

function renderUnregistered() {
  const box = $('#bld-unregistered');
  box.hidden = !may('admin') || view.unregistered === null;
  if (box.hidden) return;
  const rows = view.unregistered.map((d) => el('tr', { 'data-testid': 'unregistered-device', 'data-address': d.address },
    el('td', {}, data(d.address, { class: 'mono' })),
    el('td', {}, when(d.first_seen_at)),
    el('td', {}, when(d.last_seen_at)),
    el('td', {}, data(d.remote || '')),
    el('td', {}, String(d.reports ?? 0))));
  box.replaceChildren(
    el('h3', {}, t('buildings.unregistered.title')),
    rows.length
      ? table('unregistered-table', ['buildings.unregistered.colAddress', 'buildings.unregistered.colFirst', 'buildings.unregistered.colLast',
        'buildings.unregistered.colRemote', 'buildings.unregistered.colReports'], rows)
      : el('p', { class: 'empty' }, t('buildings.unregistered.none')),
    el('p', { class: 'hint' }, t('buildings.unregistered.hint')));
}

function render() {
  if (!session.signedIn) return;
  renderList();
  renderBoard();
  renderUnregistered();
}

function renderTabButton() {
  $('#tab-buildings').hidden = !may('read_buildings');
}

/** setupBuildings wires the Buildings tab. */
export function setupBuildings() {
  $('#bld-impaired').addEventListener('change', (e) => {
    view.impairedOnly = e.target.checked;
    view.stale.add('list');
    load();
  });
  on(['session'], () => {
    Object.assign(view, { list: null, note: '', selected: '', board: null, unregistered: null });
    view.stale = new Set(['list', 'unregistered']);
    renderTabButton();
  });
  on(['tab'], () => {
    if (!shown()) return;
    if (view.list === null) view.stale.add('list');
    if (may('admin') && view.unregistered === null) view.stale.add('unregistered');
    render();
    load();
  });
  onLocaleChange(render);
  // A device that falls silent announces nothing: it is offline only because time passed. So
  // the boards are read again every RECHECK_MS while someone is signed in, as well as on every
  // notice.
  setInterval(() => {
    if (session.signedIn) buildingsStale();
  }, RECHECK_MS);
}
