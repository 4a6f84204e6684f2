// Recommendation and dispatch: the units the workflow recommends, with their ETA and the reason
// for each in the operator's language, replacements for units that did not acknowledge, and
// alternates; a unit that cannot go (out of service, committed elsewhere) cannot be picked and
// says why. Accepting the recommendation (A) picks it; dispatching (D, or the button) asks for a
// confirmation (Enter) and sends the picked units in one order. Below, the assigned units with
// their times and each one's time in its status.

import { $, el } from '../../lib/common.js';
import { t, tEnum, locale, formatTime, formatDuration, formatDistance } from '../../lib/i18n.js';
import { data, replacedUnits } from '../../lib/lifecycle.js';
import { state, on, changed, may } from '../store.js';
import { client, messages, invalidate } from '../api.js';
import { inStatusChip, fillTimers } from '../timers.js';
import { flaggedReason } from '../staffing.js';

/** assignedNow is the set of units on the incident that have not cleared. */
function assignedNow(d) {
  return new Set((d.assigned_units || []).filter((a) => !a.cleared_at).map((a) => a.unit_id));
}

/**
 * offers are the units the table offers, none of them on the incident already: the
 * recommendation, replacements for units that did not acknowledge, and alternates.
 */
function offers(d) {
  const assigned = assignedNow(d);
  const rec = (d.recommendation || []).filter((r) => !assigned.has(r.unit_id));
  // The workflow may offer one unit in place of several silent ones: it is one row.
  const repl = (d.replacements || []).filter((r, i, all) => !assigned.has(r.unit_id) && !rec.some((x) => x.unit_id === r.unit_id)
    && all.findIndex((x) => x.unit_id === r.unit_id) === i);
  const alt = (d.alternates || []).filter((a) => !assigned.has(a.unit_id) && ![...rec, ...repl].some((x) => x.unit_id === a.unit_id));
  return { rec, repl, alt };
}

/** blocked says why a unit cannot be dispatched to incident d, or '' when it can. */
export function blocked(unit, d) {
  if (!unit) return '';
  if (unit.retired_at) return t('console.rec.why.retired');
  if (unit.incident_id && unit.incident_id !== d.id) return t('console.rec.why.committed', { id: unit.incident_id, status: tEnum('unitStatus', unit.status) });
  if (unit.status === 'out_of_service') return t('console.rec.why.outOfService');
  return '';
}

/**
 * picked is the units the operator means to send: their own choice or the recommendation, of
 * what the table offers now and may go (a new run card or a dispatch takes earlier picks off it).
 */
export function picked(d) {
  const { rec, repl, alt } = offers(d);
  const ok = (r) => !blocked(state.unitsById.get(r.unit_id), d);
  const offered = new Set([...rec, ...repl, ...alt].filter(ok).map((r) => r.unit_id));
  const choice = state.picks.get(d.id) ?? new Set(rec.map((r) => r.unit_id));
  return new Set([...choice].filter((u) => offered.has(u)));
}

/** rankWord is "nearest", "2nd-nearest"… (最近, 第2近…) among units of a type. */
function rankWord(n) {
  return n === 1 ? t('console.rec.rank1') : t('console.rec.rankN', { n });
}

/** reasonText says why this unit, from the recommendation's facts, in the current language. */
function reasonText(r, rank, unit) {
  const parts = [t('console.rec.reason', { rank: rankWord(rank), type: tEnum('unitType', r.type), distance: formatDistance(r.distance_m), eta: formatDuration(r.eta_s) })];
  const age = unit?.position_at ? formatDuration((Date.now() - new Date(unit.position_at).getTime()) / 1000) : '';
  if (r.position_stale) parts.push(r.position_source === 'station' ? t('console.rec.fromStationStale', { station: r.station_id, age }) : t('console.rec.fromStaleFix', { age }));
  else if (r.position_source === 'avl') parts.push(t('console.rec.fromAvl', { age: age || '—' }));
  else parts.push(r.station_id ? t('console.rec.fromStation', { station: r.station_id }) : t('console.rec.noFix'));
  if (r.model?.startsWith('learned') && r.model_samples) parts.push(t('console.rec.learned', { n: r.model_samples }));
  const flagged = flaggedReason(r, unit);
  if (flagged) parts.push(flagged);
  return parts.join(t('console.rec.joiner'));
}

function learnedTag(r) {
  if (!r.model?.startsWith('learned')) return null;
  const n = r.model_samples || 0;
  return el('span', { class: 'tag tag-learned', 'data-testid': 'eta-learned', 'data-model': r.model, title: t('console.rec.learnedTitle', { n }) },
    n ? t('console.rec.learned', { n }) : t('console.rec.learnedShort'));
}

/**
 * signature sums up what the table shows, so hundreds of AVL updates a second that do not touch
 * the offered units leave it (and a checkbox the operator has tabbed to) alone. A unit's GPS age
 * in its reason is refreshed with the next change that does.
 */
function signature(d, offered, chosen) {
  const units = offered.map((r) => {
    const u = state.unitsById.get(r.unit_id);
    return u ? `${u.id}:${u.status}:${u.incident_id || ''}:${u.retired_at || ''}` : r.unit_id;
  });
  return JSON.stringify([locale(), d.id, d.updated_at, d.status, state.timeline.length, may('dispatch'), [...chosen], units,
    offered.map((r) => `${r.unit_id}:${r.eta_s}:${r.position_source}:${r.model}:${r.understaffed || ''}`)]);
}

function render() {
  const d = state.detail;
  if (!d) return;
  const table = $('#recommendation');
  const assigned = assignedNow(d);
  const { rec, repl, alt } = offers(d);
  const chosen = picked(d);
  const sig = signature(d, [...rec, ...repl, ...alt], chosen);
  if (table.dataset.signature === sig) {
    updateButtons();
    return;
  }
  table.dataset.signature = sig;
  const replaces = replacedUnits(d, state.timeline);
  const assignment = new Map((d.assigned_units || []).filter((a) => !a.cleared_at).map((a) => [a.unit_id, a]));
  const testids = { recommended: 'rec-unit', replacement: 'repl-unit', alternate: 'alt-unit' };
  const ranks = new Map();
  const canDispatch = may('dispatch');

  const row = (r, kind) => {
    const u = state.unitsById.get(r.unit_id);
    const rank = (ranks.get(r.type) || 0) + 1;
    ranks.set(r.type, rank);
    const why = blocked(u, d);
    const id = `pick-${r.unit_id}`;
    const silent = kind === 'replacement' ? (replaces.get(r.unit_id) || []) : [];
    // The silent units may have answered since: then the replacement is no longer needed.
    const answered = silent.length && silent.every((s) => assignment.get(s)?.status !== 'dispatched');
    return el('tr', {
      'data-testid': 'rec-row', 'data-unit-id': r.unit_id, 'data-unit-type': r.type, 'data-kind': kind, 'data-replaces': silent.join(', ') || null,
      'data-blocked': why ? 'true' : null, class: `${kind === 'replacement' ? 'is-replacement' : ''}${why ? ' is-blocked' : ''}`.trim() || null,
    },
    el('td', {}, el('input', {
      type: 'checkbox', id, 'data-testid': testids[kind], 'data-unit-id': r.unit_id, 'data-unit-type': r.type,
      checked: !why && chosen.has(r.unit_id), disabled: !canDispatch || Boolean(why), 'aria-describedby': `${id}-why`,
    })),
    el('td', { class: 'rec-unit' }, el('label', { for: id }, el('strong', { translate: 'no' }, r.unit_id),
      u?.name && u.name !== r.unit_id ? data(u.name, { class: 'sub unit-name' }) : null),
    kind === 'replacement' ? el('span', { class: 'tag tag-repl', 'data-testid': 'replaces' },
      silent.length ? t(answered ? 'console.rec.replacesAnswered' : 'console.rec.replaces', { units: silent.join(', ') }) : t('console.rec.replacement')) : null,
    // Why this unit, or why it cannot go: said in words under its name.
    el('span', { class: `rec-reason${why ? ' is-blocked' : ''}`, id: `${id}-why`, 'data-testid': why ? 'rec-blocked' : 'rec-reason' }, why || reasonText(r, rank, u))),
    el('td', { class: 'nowrap' }, el('span', { class: `type type-${r.type}` }, tEnum('unitType', r.type))),
    el('td', { class: 'num' }, formatDuration(r.eta_s), learnedTag(r), r.understaffed ? el('span', {
      class: 'tag tag-short', 'data-testid': 'rec-understaffed', title: flaggedReason(r, u),
    }, t('staffing.flaggedTag')) : null),
    el('td', { class: 'num' }, formatDistance(r.distance_m)),
    el('td', { translate: 'no', class: 'nowrap' }, r.station_id || '—'));
  };

  const body = [...rec.map((r) => row(r, 'recommended'))];
  const group = (key) => el('tr', { class: 'separator' }, el('th', { colspan: 6, scope: 'rowgroup' }, t(key)));
  if (repl.length) body.push(group('console.rec.groupReplacements'), ...repl.map((r) => row(r, 'replacement')));
  if (alt.length) body.push(group('console.rec.groupAlternates'), ...alt.map((r) => row(r, 'alternate')));
  // The box the operator is on keeps the focus across the redraw.
  const focused = table.contains(document.activeElement) ? document.activeElement.dataset.unitId : null;
  table.tBodies[0].replaceChildren(...body);
  if (focused) table.querySelector(`input[data-unit-id="${CSS.escape(focused)}"]`)?.focus();
  table.hidden = body.length === 0;
  $('#rec-empty').hidden = body.length > 0;
  $('#rec-h').textContent = t(assigned.size ? 'console.rec.titleMore' : 'console.rec.title');
  $('#rec-empty').textContent = assigned.size ? t('console.rec.allAssigned')
    : ['received', 'assessing'].includes(d.status) && !rec.length ? t('console.rec.waiting') : t('console.rec.none');
  const short = d.short || [];
  $('#short-warning').hidden = short.length === 0;
  $('#short-warning').textContent = short.length
    ? t('console.rec.short', { list: short.map((s) => t('console.rec.shortItem', { n: s.count, type: tEnum('unitType', s.type) })).join(t('console.listJoiner')) }) : '';
  updateButtons();
}

function updateButtons() {
  const d = state.detail;
  const btn = $('#dispatch');
  const accept = $('#accept-rec');
  if (!d) return;
  const n = picked(d).size;
  const sending = state.busy.has(`${d.id}:dispatch`);
  btn.disabled = sending || n === 0 || !may('dispatch');
  btn.textContent = sending ? t('console.rec.dispatching') : n ? t('console.rec.dispatchN', { n }) : t('console.rec.dispatch');
  btn.title = may('dispatch') ? '' : t('console.rec.mayNot');
  const { rec } = offers(d);
  accept.disabled = !rec.some((r) => !blocked(state.unitsById.get(r.unit_id), d)) || !may('dispatch');
}

function onPick(e) {
  if (e.target.type !== 'checkbox' || !state.detail) return;
  const ids = [...$('#recommendation').querySelectorAll('input[type=checkbox]:checked:not(:disabled)')].map((c) => c.dataset.unitId);
  state.picks.set(state.detail.id, new Set(ids));
  updateButtons();
}

/** acceptRecommendation picks exactly the recommended units that may go, and readies dispatch. */
export function acceptRecommendation() {
  const d = state.detail;
  if (!d || !may('dispatch')) return false;
  const { rec } = offers(d);
  const ok = rec.filter((r) => !blocked(state.unitsById.get(r.unit_id), d)).map((r) => r.unit_id);
  if (!ok.length) {
    messages.info(t('console.rec.nothingToAccept'));
    return false;
  }
  state.picks.set(d.id, new Set(ok));
  render();
  $('#dispatch').focus();
  $('#rec-live').textContent = t('console.rec.accepted', { n: ok.length, units: ok.join(', ') });
  return true;
}

/** requestDispatch asks to confirm the dispatch of the picked units (Enter confirms). */
export function requestDispatch() {
  const d = state.detail;
  if (!d || !may('dispatch')) return;
  const ids = [...picked(d)];
  if (!ids.length) {
    messages.info(t('console.rec.nothingPicked'));
    return;
  }
  const dialog = $('#dispatch-confirm');
  dialog.dataset.incidentId = d.id;
  dialog.dataset.units = ids.join(',');
  $('#dispatch-confirm-text').textContent = t('console.rec.confirmText', { id: d.id, type: tEnum('incidentType', d.type), n: ids.length });
  $('#dispatch-confirm-units').replaceChildren(...ids.map((id) => {
    const u = state.unitsById.get(id);
    return el('li', {}, el('strong', { translate: 'no' }, id), ' ', u ? tEnum('unitType', u.type) : '');
  }));
  dialog.showModal();
  $('#dispatch-confirm-ok').focus();
}

async function confirmDispatch() {
  const dialog = $('#dispatch-confirm');
  const id = Number(dialog.dataset.incidentId);
  const ids = dialog.dataset.units.split(',').filter(Boolean);
  dialog.close();
  if (!ids.length) return;
  const key = `${id}:dispatch`;
  if (state.busy.has(key)) return;
  state.busy.add(key);
  changed('busy');
  try {
    const updated = await client.post(`/api/v1/incidents/${id}/dispatch`, { unit_ids: ids });
    state.picks.delete(id);
    if (state.selectedId === id) {
      state.detail = updated;
      changed('detail');
    }
    messages.info(t('console.rec.dispatched', { id, units: ids.join(', ') }));
    invalidate('units', 'timeline', 'incidents');
  } catch (err) {
    if (err.status !== 401) messages.error(err, t('console.rec.dispatchFailed', { id }));
  } finally {
    state.busy.delete(key);
    changed('busy');
    if (state.selectedId === id) $('#assign-h').focus();
  }
}

function renderAssignments() {
  const d = state.detail;
  if (!d) return;
  const list = d.assigned_units || [];
  const table = $('#assignments');
  table.tBodies[0].replaceChildren(...list.map((a) => {
    const u = state.unitsById.get(a.unit_id);
    return el('tr', { 'data-testid': 'assignment', 'data-unit-id': a.unit_id, 'data-unit-type': a.type, 'data-status': a.status, class: a.cleared_at ? 'is-cleared' : null },
      el('td', {}, el('strong', { translate: 'no' }, a.unit_id), u?.name && u.name !== a.unit_id ? data(u.name, { class: 'sub unit-name', title: u.name }) : null),
      el('td', {}, el('span', { class: `type type-${a.type}` }, tEnum('unitType', a.type))),
      el('td', {}, el('span', { class: `badge status-${a.status}`, 'data-testid': 'assignment-status', 'data-unit-id': a.unit_id, 'data-status': a.status },
        tEnum('unitStatus', a.status)), ' ',
      !a.cleared_at && u && u.status === a.status ? inStatusChip(u, state.statusSince.get(u.id) || stepTime(a)) : null),
      ...[a.dispatched_at, a.acknowledged_at, a.en_route_at, a.on_scene_at, a.cleared_at].map((x) => el('td', { class: 'num' }, formatTime(x))));
  }));
  table.hidden = list.length === 0;
  $('#assign-empty').hidden = list.length > 0;
  // Once units are out, they come first; more units to send follow.
  const section = $('#assign-section'), dispatch = $('#dispatch-section');
  if (list.length && section.nextElementSibling !== dispatch) dispatch.before(section);
  if (!list.length && dispatch.nextElementSibling !== section) dispatch.after(section);
  fillTimers(table);
}

/** stepTime is when an assignment reached its current status, from its own times. */
function stepTime(a) {
  return { dispatched: a.dispatched_at, acknowledged: a.acknowledged_at, en_route: a.en_route_at, on_scene: a.on_scene_at }[a.status] || '';
}

/** setupDispatch wires the recommendation, the dispatch confirmation and the assignments. */
export function setupDispatch() {
  $('#recommendation').addEventListener('change', onPick);
  $('#accept-rec').addEventListener('click', acceptRecommendation);
  $('#dispatch').addEventListener('click', requestDispatch);
  $('#dispatch-confirm-ok').addEventListener('click', confirmDispatch);
  $('#dispatch-confirm-cancel').addEventListener('click', () => $('#dispatch-confirm').close());
  on(['detail', 'units', 'timeline', 'locale', 'session'], render);
  on('busy', updateButtons);
  on(['detail', 'units', 'locale'], renderAssignments);
  on('tick', () => { if (state.detail) fillTimers($('#assignments')); });
  on('detail', () => {
    const open = state.detail && ['received', 'assessing', 'dispatching', 'active', 'controlled'].includes(state.detail.status);
    $('#dispatch-section').hidden = !open;
  });
}
