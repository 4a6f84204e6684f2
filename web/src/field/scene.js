// What the crew reads about its job: the unit card, the assigned incident (what, where, how
// big), the key premises at or near the scene with their hazards and pre-plan, and the water
// sources nearest the scene. Names and hazards of premises are the centre's data and are shown
// as they are stored; every word around them comes from the catalogue.

import { el, $ } from '../lib/common.js';
import { formatDistance, formatDuration, formatNumber, formatTime, has, locale, t, tEnum } from '../lib/i18n.js';
import { hasPoint } from './geo.js';

// AT_PREMISES_M is how close a key premises must be to the incident's point to count as the
// scene itself: alarms are placed by address or by a caller's phone, premises by their gate.
const AT_PREMISES_M = 150;

/** renderUnit fills the unit card. */
export function renderUnit(unit) {
  $('#unit-name').textContent = unit.name || unit.id;
  $('#unit-id').textContent = unit.id;
  $('#unit-type').textContent = tEnum('unitType', unit.type);
  $('#unit-station').textContent = unit.post_station_id || unit.station_id || '—';
  $('#unit-station-label').textContent = t(unit.post_station_id ? 'field.unit.covering' : 'field.unit.station');
  const status = $('#unit-status');
  status.textContent = tEnum('unitStatus', unit.status);
  status.dataset.status = unit.status;
  status.className = `f-badge status-${unit.status}`;
  renderStatusSince(unit);
}

/** renderStatusSince says since when the unit is in its status, and for how long (each second). */
export function renderStatusSince(unit) {
  const since = unit?.status_since ? new Date(unit.status_since) : null;
  // Go writes a time never set as year 1: a unit whose store predates status_since.
  const known = since && since.getFullYear() > 2000;
  $('#unit-status-since').textContent = known
    ? t('field.unit.since', { time: formatTime(since), duration: formatDuration((Date.now() - since.getTime()) / 1000) }) : '';
}

/** renderIncident fills the incident card (#unit-incident): the job, or that there is none. */
export function renderIncident(unit, incident) {
  const card = $('#unit-incident');
  card.dataset.incidentId = unit.incident_id || '';
  card.classList.toggle('is-assigned', Boolean(unit.incident_id));
  let children;
  if (!unit.incident_id) {
    children = [el('p', { class: 'f-none' }, t('field.incident.none'))];
  } else if (!incident || incident.id !== unit.incident_id) {
    children = [el('p', { class: 'f-none' }, t('field.incident.loading', { id: unit.incident_id }))];
  } else {
    children = incidentLines(unit, incident);
  }
  // The card is a live region: it is redrawn only when what it says changes, or a screen
  // reader would read it out again at every refresh.
  const said = children.map((c) => `${c.className}:${c.textContent}`).join('\n');
  if (card.dataset.said === said) return;
  card.dataset.said = said;
  card.replaceChildren(...children);
}

function incidentLines(unit, incident) {
  const where = incident.address || (hasPoint(incident.location)
    ? t('field.incident.coordinates', { lat: incident.location.lat.toFixed(5), lng: incident.location.lng.toFixed(5) }) : '—');
  const mine = (incident.assigned_units || []).find((a) => a.unit_id === unit.id);
  return [
    el('p', { class: 'f-inc-head' },
      el('span', { class: 'f-inc-type', 'data-testid': 'incident-type' }, tEnum('incidentType', incident.type)),
      el('span', { class: 'f-level' }, t('field.incident.level', { n: incident.level })),
      el('span', { class: `f-inc-status inc-${incident.status}`, 'data-testid': 'incident-status', 'data-status': incident.status },
        tEnum('incidentStatus', incident.status))),
    el('p', { class: 'f-address', id: 'incident-address', 'data-testid': 'incident-address', translate: incident.address ? 'no' : null }, where),
    el('p', { class: 'f-inc-meta' },
      t('field.incident.number', { id: incident.id }), ' · ',
      t('field.incident.received', { time: formatTime(incident.created_at) }),
      mine ? [' · ', t('field.incident.dispatched', { time: formatTime(mine.dispatched_at) })] : null),
  ];
}

/**
 * renderHazards fills #hazards from GET /incidents/{id}/nearby: the key premises at the scene
 * in full (hazards and pre-plan), the others within the search radius folded, nearest first.
 */
export function renderHazards(nearby, failure) {
  const root = $('#hazards-body');
  if (unchanged(root, nearby, failure)) return; // a premises the crew opened stays open
  if (failure) return root.replaceChildren(el('p', { class: 'f-warn' }, t('field.hazards.failed', { detail: failure })));
  if (!nearby) return root.replaceChildren(el('p', { class: 'f-none' }, t('field.loading')));
  const list = nearby.premises || [];
  const at = list.filter((p) => p.distance_m <= AT_PREMISES_M);
  const near = list.filter((p) => p.distance_m > AT_PREMISES_M);
  const out = [];
  if (at.length) {
    for (const p of at) out.push(premiseCard(p, true));
  } else {
    out.push(el('p', { class: 'f-none', 'data-testid': 'no-premises-at-scene' },
      t('field.hazards.noneAtScene', { distance: formatDistance(AT_PREMISES_M) })));
  }
  if (near.length) {
    out.push(el('h3', {}, t('field.hazards.nearby', { distance: formatDistance(nearby.premise_radius_m) })));
    for (const p of near) out.push(premiseCard(p, false));
  }
  root.replaceChildren(...out);
}

function premiseCard(p, atScene) {
  const body = [
    el('p', { class: 'f-premise-meta' }, premiseKind(p.kind), ' · ', el('span', { translate: 'no' }, p.address || '—'), ' · ',
      t('field.distanceFromScene', { distance: formatDistance(p.distance_m) })),
    p.hazards?.length
      ? el('ul', { class: 'f-hazard-list', 'aria-label': t('field.hazards.listLabel'), translate: 'no' }, p.hazards.map((h) => el('li', { 'data-testid': 'hazard' }, h)))
      : el('p', { class: 'f-none' }, t('field.hazards.noneRecorded')),
    p.pre_plan ? el('div', { class: 'f-preplan' }, el('h4', {}, t('field.hazards.prePlan')), el('p', { 'data-testid': 'pre-plan', translate: 'no' }, p.pre_plan)) : null,
  ];
  const attrs = { class: `f-premise${atScene ? ' is-at-scene' : ''}`, 'data-testid': 'premise', 'data-premise-id': p.id, 'data-at-scene': String(atScene) };
  const name = el('span', { translate: 'no' }, p.name);
  if (atScene) return el('article', attrs, el('h3', { class: 'f-premise-name' }, t('field.hazards.atScene'), ' ', name), ...body);
  // Premises near the scene fold, so the one at the scene and the water stay within reach.
  return el('details', attrs, el('summary', { class: 'f-premise-name' }, name, ' · ', formatDistance(p.distance_m)), ...body);
}

// Kinds are the centre's data: one the catalogue does not name is shown as it is stored.
function premiseKind(kind) {
  return has(`field.premiseKind.${kind}`) ? t(`field.premiseKind.${kind}`) : kind;
}

/** renderWater fills #water from the same answer: working sources, nearest first. */
export function renderWater(nearby, failure) {
  const root = $('#water-body');
  if (unchanged(root, nearby, failure)) return;
  if (failure) return root.replaceChildren(el('p', { class: 'f-warn' }, t('field.water.failed', { detail: failure })));
  if (!nearby) return root.replaceChildren(el('p', { class: 'f-none' }, t('field.loading')));
  const list = nearby.water_sources || [];
  if (!list.length) {
    return root.replaceChildren(el('p', { class: 'f-warn', 'data-testid': 'no-water' },
      t('field.water.none', { distance: formatDistance(nearby.water_radius_m) })));
  }
  root.replaceChildren(el('ol', { class: 'f-water-list' }, list.map((w) => el('li', {
    class: 'f-water', 'data-testid': 'water-source', 'data-water-id': w.id, 'data-status': w.status,
  },
  el('span', { class: 'f-water-kind' }, waterKind(w.kind)),
  el('span', { class: 'f-water-dist num' }, formatDistance(w.distance_m)),
  el('span', { class: 'f-water-id num', translate: 'no' }, w.id),
  el('span', { class: 'f-water-flow' }, w.flow_lpm > 0 ? t('field.water.flow', { flow: formatNumber(w.flow_lpm) }) : t('field.water.static')),
  w.status !== 'working' ? el('span', { class: 'f-warn' }, t('field.water.notWorking')) : null))));
}

function waterKind(kind) {
  return has(`field.waterKind.${kind}`) ? t(`field.waterKind.${kind}`) : kind;
}

// drawn remembers what each section was last drawn from: the same answer in the same language
// is not drawn again at every refresh of the unit.
const drawn = new WeakMap();

function unchanged(root, nearby, failure) {
  const last = drawn.get(root);
  if (last && last.nearby === nearby && last.failure === failure && last.locale === locale()) return true;
  drawn.set(root, { nearby, failure, locale: locale() });
  return false;
}
