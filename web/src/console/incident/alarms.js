// The open incident's alarms (each with its source, split out or confirmed), and what lies around
// it: key premises with their hazards and pre-plan, and the nearest working water sources.

import { $, el } from '../../lib/common.js';
import { t, has, formatDistance, formatNumber } from '../../lib/i18n.js';
import { alarmItem, data } from '../../lib/lifecycle.js';
import { OPEN_INCIDENT_STATUSES as OPEN } from '../../lib/domain.js';
import { state, on, may, busy } from '../store.js';
import { client, messages, invalidate, act } from '../api.js';
import { sourceIcon } from '../icons.js';

function renderAlarms() {
  const d = state.detail;
  const list = $('#alarms');
  const a = state.alarms;
  if (!d || !a || a.incidentId !== d.id) {
    list.replaceChildren(el('li', { class: 'empty' }, t('console.loading')));
    $('#alarms-h').textContent = t('console.alarms.title');
    return;
  }
  const canSplit = may('dispatch') && OPEN.includes(d.status);
  const only = a.list.length < 2;
  list.replaceChildren(...a.list.map((x) => alarmItem(x, {
    canSplit, only, busy: busy(`split:${x.id}`), onSplit, canConfirm: may('post_alarm'), onConfirm: confirmAlarm, icon: sourceIcon,
  })));
  if (!a.list.length) list.replaceChildren(el('li', { class: 'empty' }, t('console.alarms.none')));
  $('#alarms-h').textContent = t('console.alarms.titleN', { n: a.list.length });
}

async function confirmAlarm(a) {
  try {
    await client.post(`/api/v1/alarms/${a.id}/confirm`);
    messages.info(t('console.alarms.confirmed', { id: a.source_id }));
  } catch (err) {
    messages.error(err, t('console.alarms.confirmFailed'));
  }
  invalidate('alarms', 'timeline');
}

async function onSplit(a) {
  const d = state.detail;
  if (!d) return;
  await act(`${d.id}:split:${a.id}`, async () => {
    const created = await client.post(`/api/v1/incidents/${d.id}/split`, { alarm_id: a.id });
    messages.info(t('console.alarms.split', { alarm: a.id, id: d.id, created: created.id }));
    invalidate('incidents', 'detail', 'alarms', 'timeline');
  });
}

function renderNearby() {
  const n = state.nearby;
  const water = n?.water_sources || [];
  const premises = n?.premises || [];
  $('#nearby-premises').replaceChildren(...premises.map((p) => el('li', { 'data-testid': 'premise', 'data-id': p.id },
    el('div', { class: 'premise-head' }, data(p.name, { class: 'premise-name' }), ' ',
      el('span', { class: 'sub' }, formatDistance(p.distance_m))),
    p.hazards?.length ? el('div', { class: 'hazards', 'data-testid': 'premise-hazards' },
      el('span', { class: 'hazards-label' }, t('console.nearby.hazards')),
      ...p.hazards.map((h) => el('span', { class: 'tag tag-warn', translate: 'no', 'data-i18n-skip': '' }, h))) : null,
    p.pre_plan ? el('details', { class: 'pre-plan', 'data-testid': 'pre-plan', open: premises.length === 1 || p.distance_m < 150 },
      el('summary', {}, t('console.nearby.prePlan')), data(p.pre_plan, { class: 'pre-plan-text' })) : null)));
  if (!premises.length) {
    $('#nearby-premises').replaceChildren(el('li', { class: 'empty' },
      n ? t('console.nearby.noPremises', { radius: formatDistance(n.premise_radius_m) }) : t('console.loading')));
  }
  $('#nearby-water').replaceChildren(...water.map((w) => el('li', { 'data-testid': 'water-source', 'data-id': w.id },
    el('strong', { translate: 'no' }, w.id), ' ', has(`console.nearby.kind.${w.kind}`) ? t(`console.nearby.kind.${w.kind}`) : data(w.kind), ' · ', formatDistance(w.distance_m),
    w.flow_lpm ? el('span', { class: 'sub' }, ` · ${t('console.nearby.flow', { n: formatNumber(w.flow_lpm) })}`) : null)));
  if (!water.length) {
    $('#nearby-water').replaceChildren(el('li', { class: 'empty' },
      n ? t('console.nearby.noWater', { radius: formatDistance(n.water_radius_m) }) : t('console.loading')));
  }
}

/** setupAlarms draws the open incident's alarms and its surroundings. */
export function setupAlarms() {
  on(['detail', 'alarms', 'busy', 'locale', 'selection', 'session'], renderAlarms);
  on(['nearby', 'selection', 'locale'], renderNearby);
}
