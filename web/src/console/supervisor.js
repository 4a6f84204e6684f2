// The supervisor view, in one tab: the escalations of lapsed timers (the supervisors' queue),
// the timers running overdue across every open incident, the engine coverage and its gaps, the
// move-ups that would close them (and the last decisions), and the CAP warnings in force.

import { $, el, fillElapsed } from '../lib/common.js';
import { t, tEnum, locale, formatTime, formatDuration, formatNumber } from '../lib/i18n.js';
import { escalationItem, escalationDetail, data } from '../lib/lifecycle.js';
import { state, on, changed, may, putUnits } from './store.js';
import { client, messages, invalidate, act } from './api.js';
import { openIncident } from './nav.js';
import { overdueTimers, timerChip, fillTimers } from './timers.js';
import { moveKey } from './units.js';
import { warningAreas } from './warningareas.js';

// ---- escalations ---------------------------------------------------------------------------------

function renderQueue() {
  const q = state.queue;
  const open = (q || []).filter((e) => !e.acknowledged_at).sort((a, b) => new Date(b.raised_at) - new Date(a.raised_at));
  const count = $('#esc-count');
  count.textContent = String(open.length);
  count.dataset.count = open.length;
  count.setAttribute('aria-label', t('console.escalations.countAria', { n: open.length }));
  count.classList.toggle('is-hot', open.length > 0);
  const tabCount = $('#tab-supervisor-count');
  tabCount.textContent = open.length ? String(open.length) : '';
  tabCount.hidden = !open.length;

  const byId = new Map(state.incidents.map((i) => [i.id, i]));
  const list = $('#queue');
  list.replaceChildren(...open.map((e) => {
    const li = escalationItem(e, {
      queue: true, canTake: may('ack_escalation'), busy: state.busy.has(`esc:${e.id}`), onTake: takeEscalation,
      incident: byId.get(e.incident_id) || null, onSelect: openIncident,
    });
    if (e.incident_id === state.selectedId) li.classList.add('is-selected');
    return li;
  }));
  fillElapsed(list);
  const note = $('#queue-note');
  note.textContent = !q ? t('console.escalations.loading') : !open.length ? t('console.escalations.none')
    : may('ack_escalation') ? '' : t('console.escalations.readOnly');
  note.hidden = !note.textContent;

  // Announce escalations that arrived since the last look, once.
  if (q) {
    const fresh = state.queueSeen ? open.filter((e) => !state.queueSeen.has(e.id)) : [];
    if (fresh.length) {
      const e = fresh[0];
      $('#queue-live').textContent = fresh.length === 1
        ? t('console.escalations.newOne', { id: e.incident_id, timer: tEnum('timer', e.timer), detail: escalationDetail(e) })
        : t('console.escalations.newMany', { n: fresh.length });
    }
    state.queueSeen = new Set([...(state.queueSeen || []), ...open.map((e) => e.id)]);
  }
}

/** takeEscalation takes an escalation for the signed-in supervisor. */
export async function takeEscalation(e) {
  const ok = await act(`esc:${e.id}`, async () => {
    const taken = await client.post(`/api/v1/escalations/${e.id}/ack`);
    state.queue = (state.queue || []).map((x) => (x.id === e.id ? { ...x, ...taken } : x));
    const mine = state.detail?.escalations?.findIndex((x) => x.id === e.id) ?? -1;
    if (mine >= 0) state.detail.escalations[mine] = { ...state.detail.escalations[mine], ...taken };
    messages.info(t('console.escalations.took', { id: e.incident_id, timer: tEnum('timer', e.timer) }));
    changed('queue', 'detail');
  }, t('console.escalations.takeFailed'));
  // Taken or not (a 409: another supervisor was quicker), the queue is refetched.
  invalidate('queue');
  if (!ok && e.incident_id === state.selectedId) invalidate('detail');
}

// ---- overdue timers --------------------------------------------------------------------------------

function renderOverdue() {
  const list = overdueTimers(state.incidents);
  $('#overdue').replaceChildren(...list.map((x) => el('li', { class: 'overdue-item', 'data-testid': 'overdue-timer', 'data-incident-id': x.incident.id, 'data-timer': x.timer },
    el('button', { type: 'button', class: 'esc-incident', onclick: () => openIncident(x.incident.id), 'aria-label': t('common.lifecycle.showIncident', { id: x.incident.id }) },
      el('span', { translate: 'no' }, `#${x.incident.id}`), ` ${tEnum('incidentType', x.incident.type)}`),
    timerChip(x))));
  $('#overdue-note').hidden = list.length > 0;
  $('#overdue-count').textContent = String(list.length);
  fillTimers($('#overdue'));
}

// ---- coverage and move-ups -------------------------------------------------------------------------

function renderCoverage() {
  const c = state.coverage;
  $('#cover-note').hidden = Boolean(c);
  $('#cover-note').replaceChildren(...(state.coverageNote ? [t('console.coverage.notServed'), ' ', data(state.coverageNote)] : [t('console.coverage.loading')]));
  $('#cover-summary').hidden = !c;
  if (!c) return;
  const target = formatDuration(c.target_seconds);
  const type = tEnum('unitType', c.unit_type || 'engine');
  $('#cover-share-label').textContent = t('console.coverage.shareLabel', { target, type });
  const share = $('#cover-share');
  share.textContent = `${formatNumber(c.covered_share * 100, { minimumFractionDigits: 1, maximumFractionDigits: 1 })} %`;
  share.dataset.value = c.covered_share;
  share.title = t('console.coverage.shareTitle', { covered: formatNumber(c.weight - c.gap_weight), total: formatNumber(c.weight), target, type });
  const cells = $('#cover-gap-cells');
  cells.replaceChildren(formatNumber(c.gap_cells), el('span', { class: 'sub' }, ` / ${formatNumber(c.cells.length)}`));
  cells.dataset.value = c.gap_cells;
  cells.title = t('console.coverage.gapCellsTitle', { target, type });
  const people = $('#cover-gap-people');
  people.textContent = formatNumber(c.gap_weight);
  people.dataset.value = c.gap_weight;
  people.title = t('console.coverage.gapPeopleTitle');
}

/** signed formats a change: "−3", "+1,200", "±0". */
function signed(n) {
  const r = Math.round(n);
  return r === 0 ? '±0' : `${r < 0 ? '−' : '+'}${formatNumber(Math.abs(r))}`;
}

function moveUpItem(m) {
  const key = moveKey(m.unit_id, m.to_station_id);
  const busy = state.deciding.has(key);
  const vars = { unit: m.unit_id, station: m.to_station_id };
  return el('li', { class: 'move-up', 'data-testid': 'move-up', 'data-unit-id': m.unit_id, 'data-station-id': m.to_station_id, 'aria-busy': busy ? 'true' : null },
    el('div', { class: 'move-up-head' },
      el('span', { class: 'move-up-what' }, el('strong', { translate: 'no' }, m.unit_id), el('span', { 'aria-hidden': 'true' }, ' → '),
        el('span', { class: 'visually-hidden' }, ` ${t('console.moveUps.to')} `), el('strong', { translate: 'no' }, m.to_station_id)),
      may('move_unit') ? el('span', { class: 'move-up-actions' },
        el('button', {
          type: 'button', class: 'btn btn-primary btn-small', 'data-testid': 'move-up-accept', disabled: busy,
          'aria-label': t('console.moveUps.acceptAria', vars), onclick: () => decideMoveUp(m, true),
        }, busy ? t('console.moveUps.sending') : t('console.moveUps.accept')),
        el('button', {
          type: 'button', class: 'btn btn-small', 'data-testid': 'move-up-ignore', disabled: busy,
          'aria-label': t('console.moveUps.ignoreAria', vars), title: t('console.moveUps.ignoreTitle'), onclick: () => decideMoveUp(m, false),
        }, t('console.moveUps.ignore'))) : null),
    el('div', { class: 'move-up-effect' },
      t('console.moveUps.from', { station: m.from_station_id || t('console.moveUps.road'), time: formatDuration(m.travel_s) }), ' · ',
      el('span', { class: 'num' }, t('console.moveUps.gapCells', { n: signed(m.gap_cells_after - m.gap_cells_before) })), ' · ',
      el('span', { class: 'num' }, t('console.moveUps.people', { n: signed(m.gap_weight_after - m.gap_weight_before) }))),
    // The server's reason says the same as the line above, in English: shown to English readers.
    m.reason && locale() === 'en' ? el('p', { class: 'move-up-reason' }, data(m.reason, { lang: 'en', class: 'move-up-reason-text' })) : null);
}

function renderMoveUps() {
  const m = state.moveUps;
  const list = $('#move-ups');
  const suggestions = m?.suggestions || [];
  list.replaceChildren(...suggestions.map(moveUpItem));
  if (!m) {
    list.replaceChildren(el('li', { class: 'empty' }, t('console.moveUps.loading')));
  } else if (!suggestions.length) {
    list.replaceChildren(el('li', { class: 'empty', 'data-testid': 'move-ups-empty' }, m.note ? [t('console.moveUps.notServed'), ' ', data(m.note)] : t('console.moveUps.none')));
  } else if (!may('move_unit')) {
    list.append(el('li', { class: 'empty' }, t('console.moveUps.readOnly')));
  }
  const recent = m?.recent || [];
  $('#move-up-recent').replaceChildren(...recent.map((d) => {
    const home = state.unitsById.get(d.unit_id)?.station_id === d.to_station_id;
    const what = d.decision === 'accepted' && home ? t('console.moveUps.backToQuarters', { unit: d.unit_id }) : `${d.unit_id} → ${d.to_station_id}`;
    return el('li', { 'data-testid': 'move-up-decision', 'data-decision': d.decision, 'data-unit-id': d.unit_id, 'data-station-id': d.to_station_id },
      el('time', { datetime: d.decided_at }, formatTime(d.decided_at)),
      el('span', { class: 'decision-what' }, el('span', { class: `decision decision-${d.decision}` }, t(`console.moveUps.decision.${d.decision}`)), ' ', what),
      el('span', { class: 'sub', translate: 'no' }, d.actor || ''));
  }));
  if (!recent.length) $('#move-up-recent').replaceChildren(el('li', { class: 'empty' }, m ? t('console.moveUps.noDecisions') : ''));
}

async function decideMoveUp(m, accept) {
  const key = moveKey(m.unit_id, m.to_station_id);
  if (state.deciding.has(key)) return;
  state.deciding.add(key);
  changed('moveups');
  const vars = { unit: m.unit_id, station: m.to_station_id };
  try {
    const answer = await client.post(accept ? '/api/v1/move-ups' : '/api/v1/move-ups/ignore', { unit_id: m.unit_id, station_id: m.to_station_id });
    if (state.moveUps) {
      state.moveUps.suggestions = state.moveUps.suggestions.filter((s) => moveKey(s.unit_id, s.to_station_id) !== key);
      if (answer?.move_up) state.moveUps.recent = [answer.move_up, ...state.moveUps.recent.filter((r) => r.id !== answer.move_up.id)];
    }
    if (answer?.unit) {
      state.movedUnits = putUnits([answer.unit]);
      changed('units');
    }
    messages.info(t(accept ? 'console.moveUps.accepted' : 'console.moveUps.ignored', vars));
    invalidate('coverage', 'moveups', 'units');
  } catch (err) {
    messages.error(err, t('console.moveUps.failed', vars));
  } finally {
    state.deciding.delete(key);
    changed('moveups');
  }
}

// ---- CAP warnings ----------------------------------------------------------------------------------

function renderWarnings() {
  const ws = [...(state.warnings?.warnings || [])].sort((a, b) => b.readiness - a.readiness);
  const lang = document.documentElement.lang;
  $('#warnings').replaceChildren(...ws.map((w) => {
    // A CAP alert may carry its text in several languages: the page's first.
    const info = w.infos?.find((i) => i.language?.toLowerCase().startsWith(lang.slice(0, 2))) || w.infos?.[0] || {};
    return el('li', { class: `warning warn-r${w.readiness}`, 'data-warning-id': w.id, 'data-testid': 'warning' },
      data(info.headline || info.event || w.identifier, { class: 'warning-headline', lang: info.language || null }),
      el('span', { class: 'warning-meta' }, ' ', t(w.unlocated ? 'console.warnings.metaUnlocated' : 'console.warnings.meta', {
        readiness: t(`console.warnings.readiness.${w.readiness}`), cells: formatNumber(w.cells.length), until: formatTime(w.expires),
      })),
      warningAreas(w, info));
  }));
  if (!ws.length) $('#warnings').replaceChildren(el('li', { class: 'empty' }, state.warnings ? t('console.warnings.none') : t('console.loading')));
}

/** setupSupervisor draws the supervisor view. */
export function setupSupervisor() {
  on(['queue', 'incidents', 'busy', 'selection', 'locale', 'session'], renderQueue);
  on(['incidents', 'locale', 'session'], renderOverdue);
  on(['coverage', 'locale', 'session'], renderCoverage);
  on(['moveups', 'units', 'locale', 'session'], renderMoveUps);
  on(['warnings', 'locale', 'session'], renderWarnings);
  let ticks = 0;
  on('tick', () => {
    fillTimers($('#overdue'));
    fillElapsed($('#queue'));
    // A timer lapses between notices: the overdue list is redrawn every few seconds.
    if (++ticks % 5 === 0) renderOverdue();
  });
}
