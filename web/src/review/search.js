// The review's incident search: by the days the first alarm came in, type, alarm level, open
// or finished, and area (within a distance of a fire station), answered by GET /incidents
// newest first. Days are the user's own: the page sends the user's local midnights as RFC 3339
// times, so "1 December" in Liaocheng means Liaocheng's day, not UTC's.

import { el } from '../lib/common.js';
import { INCIDENT_TYPES, MAX_LEVEL, MIN_LEVEL } from '../lib/domain.js';
import { formatDateTime, formatDistance, formatNumber, t, tEnum } from '../lib/i18n.js';

/** LIMIT is how many incidents one search shows, the newest. */
export const LIMIT = 200;

/** RADII are the area sizes offered, in metres. */
const RADII = [1000, 2000, 5000, 10000, 20000];

/** dayStart is the local midnight that starts the day of an <input type=date> value, or null. */
export function dayStart(value, plusDays = 0) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value || '');
  if (!m) return null;
  return new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + plusDays);
}

/**
 * query turns the form's values into GET /incidents' query. stations maps a station id to
 * its location. It throws an Error with a translated message for a range that ends before it
 * starts.
 */
export function query(values, stations) {
  const q = new URLSearchParams({ limit: String(LIMIT) });
  const from = dayStart(values.from), to = dayStart(values.to, 1);
  if (from && to && from >= to) throw new Error(t('review.search.badRange'));
  if (from) q.set('from', from.toISOString());
  if (to) q.set('to', to.toISOString());
  if (values.type) q.set('type', values.type);
  if (values.level) q.set('level', values.level);
  if (values.status && values.status !== 'any') q.set('status', values.status);
  const station = stations.get(values.area);
  if (station) {
    q.set('near', `${station.location.lat},${station.location.lng}`);
    q.set('radius_m', values.radius || String(RADII[1]));
  }
  return q;
}

export class Search {
  constructor({ form, list, count, empty, error, client, messages, onSelect }) {
    Object.assign(this, { form, list, count, empty, error, client, messages, onSelect });
    this.stations = new Map(); // id → station
    this.incidents = null; // null until the first answer
    this.selectedId = null;
    this.seq = 0;
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.run();
    });
    form.addEventListener('reset', () => setTimeout(() => {
      this.options();
      this.run();
    }));
    form.elements.area.addEventListener('change', () => this.areaChanged());
    this.options();
  }

  setStations(stations) {
    this.stations = new Map(stations.filter((s) => !s.retired_at).map((s) => [s.id, s]));
    this.options();
  }

  values() {
    const f = this.form.elements;
    return { from: f.from.value, to: f.to.value, type: f.type.value, level: f.level.value, status: f.status.value,
      area: f.area.value, radius: f.radius.value };
  }

  /** options fills the choices in the current language, keeping what was chosen. */
  options() {
    const f = this.form.elements;
    const keep = this.values();
    const fill = (select, items) => {
      select.replaceChildren(...items.map(([value, text]) => el('option', { value }, text)));
    };
    fill(f.type, [['', t('review.search.anyType')], ...INCIDENT_TYPES.map((v) => [v, tEnum('incidentType', v)])]);
    const levels = [];
    for (let n = MIN_LEVEL; n <= MAX_LEVEL; n++) levels.push([String(n), t('review.level', { n })]);
    fill(f.level, [['', t('review.search.anyLevel')], ...levels]);
    fill(f.status, ['any', 'open', 'finished'].map((v) => [v, t(`review.search.statuses.${v}`)]));
    fill(f.area, [['', t('review.search.anywhere')], ...[...this.stations.values()].map((s) => [s.id, t('review.search.nearStation', { name: s.name })])]);
    fill(f.radius, RADII.map((m) => [String(m), t('review.search.within', { distance: formatDistance(m) })]));
    for (const [k, v] of Object.entries(keep)) {
      if (v && [...(f[k].options || [])].some((o) => o.value === v)) f[k].value = v;
    }
    if (!keep.radius) f.radius.value = String(RADII[1]);
    this.areaChanged();
  }

  areaChanged() {
    this.form.elements.radius.disabled = !this.form.elements.area.value;
  }

  /** run searches with the form's values and shows the answer. */
  async run() {
    this.error.textContent = '';
    let q;
    try {
      q = query(this.values(), this.stations);
    } catch (err) {
      this.error.textContent = err.message;
      return;
    }
    const seq = ++this.seq;
    this.list.setAttribute('aria-busy', 'true');
    try {
      const { incidents } = await this.client.get(`/api/v1/incidents?${q}`);
      if (seq !== this.seq) return;
      this.incidents = incidents;
      this.render();
    } catch (err) {
      if (seq === this.seq && err.status !== 401) this.error.textContent = t('review.search.failed', { detail: err.message });
    } finally {
      if (seq === this.seq) this.list.removeAttribute('aria-busy');
    }
  }

  select(id) {
    this.selectedId = id;
    for (const b of this.list.querySelectorAll('[data-incident-id]')) b.setAttribute('aria-pressed', String(Number(b.dataset.incidentId) === id));
  }

  render() {
    const list = this.incidents || [];
    this.list.replaceChildren(...list.map((inc) => el('li', {},
      el('button', {
        type: 'button', class: 'incident-row', 'data-testid': 'review-incident', 'data-incident-id': inc.id, 'data-status': inc.status,
        'aria-pressed': String(inc.id === this.selectedId), onclick: () => this.onSelect?.(inc.id),
      },
      el('span', { class: 'row-top' },
        el('span', { class: 'inc-id num' }, `#${inc.id}`),
        el('span', { class: 'inc-type' }, tEnum('incidentType', inc.type)),
        el('span', { class: 'level' }, t('review.level', { n: inc.level }))),
      el('span', { class: 'row-addr', translate: 'no' }, inc.address || `${inc.location.lat.toFixed(4)}, ${inc.location.lng.toFixed(4)}`),
      el('span', { class: 'row-bottom' },
        el('span', { class: `badge inc-${inc.status}` }, tEnum('incidentStatus', inc.status)),
        el('time', { datetime: inc.created_at }, formatDateTime(inc.created_at)))))));
    const n = list.length;
    this.count.textContent = this.incidents ? t(n >= LIMIT ? 'review.search.countCapped' : 'review.search.count', { n: formatNumber(n) }) : '';
    this.empty.hidden = n > 0;
    this.empty.textContent = this.incidents ? t('review.search.noneFound') : t('review.search.loading');
  }
}
