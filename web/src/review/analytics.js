// The review workspace's analytics: the response intervals of many incidents, live and
// imported, from GET /analytics/intervals — the four intervals with their counts and
// percentiles, a histogram of each drawn as SVG elements with the target as a dashed line, the
// compliance with the standards in words, the CSV report as the server writes it, and a
// printable page (analytics.css's print rules). The figures and the targets are the server's:
// the page computes nothing of its own but the drawing.

import './analytics.css';
import { el } from '../lib/common.js';
import { INCIDENT_TYPES, UNIT_TYPES } from '../lib/domain.js';
import { formatDateTime, formatDuration, formatNumber, t, tEnum } from '../lib/i18n.js';
import { datum, tNodes } from './text.js';

/** INTERVALS are the report's intervals, in the order a reader meets them. */
export const INTERVALS = ['call_processing_s', 'turnout_s', 'travel_s', 'alarm_to_first_on_scene_s'];

const ORIGINS = ['', 'live', 'imported'];

/** localDay is a date as YYYY-MM-DD in the browser's own zone. */
export function localDay(d) {
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

/** analyticsQuery is GET /analytics/intervals' query for the form's values. */
export function analyticsQuery(v) {
  const q = new URLSearchParams({ from: v.from, to: v.to });
  for (const [k, name] of [['type', 'type'], ['station', 'station'], ['cell', 'cell'], ['unit_type', 'unitType'], ['origin', 'origin']]) {
    if (v[name]) q.set(k, v[name].trim());
  }
  return q;
}

/**
 * targetsOf names the target lines each interval's histogram draws, in seconds, from the
 * report's targets: turnout has the EMS and the fire limit; alarm to first on scene is held, as
 * the single-incident review holds it, to call processing + fire turnout + first-engine travel.
 */
export function targetsOf(targets) {
  const s = (k) => targets?.[k]?.target_s;
  return {
    call_processing_s: [s('call_processing')],
    turnout_s: [s('turnout_ems'), s('turnout_fire')],
    travel_s: [s('travel_first_engine')],
    alarm_to_first_on_scene_s: [s('call_processing') + s('turnout_fire') + s('travel_first_engine')],
  };
}

// The histogram's drawing box, in SVG user units; CSS scales it to the column.
const W = 360, H = 150, PAD_L = 30, PAD_R = 10, PAD_T = 14, PAD_B = 24;

/**
 * histogram draws stats' buckets as an SVG bar chart with each target as a dashed vertical line:
 * every shape an SVG element with attributes, no style attribute (the pages' CSP).
 */
export function histogram(name, stats, targets) {
  const buckets = stats?.histogram || [];
  const lines = targets.filter((x) => Number.isFinite(x));
  const label = t('analytics.histogram.label', { name, n: formatNumber(stats?.n ?? 0), target: lines.map(seconds).join(' / ') });
  const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, class: 'histogram', role: 'img', 'aria-label': label, 'data-testid': 'histogram' });
  if (!buckets.length) {
    svg.append(el('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'hist-none' }, t('analytics.histogram.none')));
    return svg;
  }
  const width = (buckets[0].to_s ?? buckets[0].from_s + 1) - buckets[0].from_s;
  const last = buckets[buckets.length - 1];
  const span = Math.max(last.from_s + width, ...lines.map((x) => x * 1.1));
  const top = Math.max(...buckets.map((b) => b.count), 1);
  const x = (s) => PAD_L + (s / span) * (W - PAD_L - PAD_R);
  const y = (n) => H - PAD_B - (n / top) * (H - PAD_T - PAD_B);
  const g = el('g', { class: 'hist-bars' });
  for (const b of buckets) {
    const x0 = x(b.from_s), x1 = x(b.to_s ?? b.from_s + width);
    const words = b.to_s == null
      ? t('analytics.histogram.barOpen', { from: formatDuration(b.from_s), count: formatNumber(b.count) })
      : t('analytics.histogram.bar', { from: formatDuration(b.from_s), to: formatDuration(b.to_s), count: formatNumber(b.count) });
    g.append(el('rect', {
      x: x0.toFixed(1), y: y(b.count).toFixed(1), width: Math.max(0.5, x1 - x0 - 1).toFixed(1), height: (H - PAD_B - y(b.count)).toFixed(1),
      class: b.to_s == null ? 'hist-bar hist-open' : 'hist-bar', 'data-count': b.count,
    }, el('title', {}, words)));
  }
  svg.append(
    el('line', { x1: PAD_L, y1: H - PAD_B, x2: W - PAD_R, y2: H - PAD_B, class: 'hist-axis' }),
    el('text', { x: PAD_L, y: H - 8, class: 'hist-tick', 'text-anchor': 'start' }, '0'),
    el('text', { x: W - PAD_R, y: H - 8, class: 'hist-tick', 'text-anchor': 'end' }, formatDuration(span)),
    el('text', { x: PAD_L - 4, y: PAD_T + 4, class: 'hist-tick', 'text-anchor': 'end' }, formatNumber(top)),
    g,
  );
  lines.forEach((s, i) => {
    // A label right of its line, or left of it in the chart's right half; a second one lower.
    const right = x(s) < W / 2;
    svg.append(
      el('line', { x1: x(s).toFixed(1), y1: PAD_T - 4, x2: x(s).toFixed(1), y2: H - PAD_B, class: 'hist-target', 'data-target-s': s }),
      el('text', {
        x: (x(s) + (right ? 3 : -3)).toFixed(1), y: PAD_T + 2 + i * 12, class: 'hist-target-label', 'text-anchor': right ? 'start' : 'end',
      }, t('analytics.histogram.target', { target: seconds(s) })),
    );
  });
  return svg;
}

/** seconds is an interval for reading: tenths of a second under ten minutes, else minutes. */
export function seconds(v) {
  if (v == null || !Number.isFinite(v)) return '—';
  return Math.abs(v) < 600 ? t('common.seconds', { n: formatNumber(v, { maximumFractionDigits: 1 }) }) : formatDuration(v);
}

/** resultOf is a compliance row's result: met, missed, or none without intervals. */
export function resultOf(c) {
  if (!c.n) return 'none';
  return c.met ? 'met' : 'missed';
}

const MARK = { met: '✓', missed: '✗', none: '–' };
const RESULT_KEY = { met: 'met', missed: 'missed', none: 'noData' };

export class Analytics {
  constructor({ view, form, out, client, messages, session, onShow }) {
    Object.assign(this, { view, form, out, client, messages, session, onShow });
    this.report = null;
    this.stations = [];
    this.seq = 0;
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.run();
    });
    form.querySelector('[data-action="csv"]').addEventListener('click', () => this.csv());
    form.querySelector('[data-action="print"]').addEventListener('click', () => window.print());
    addEventListener('beforeprint', () => { if (!this.view.hidden) this.renderPrintHead(); });
    const today = new Date();
    const monthAgo = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 29);
    form.elements.from.value = localDay(monthAgo);
    form.elements.to.value = localDay(today);
    this.options();
    this.render();
  }

  setStations(stations) {
    this.stations = stations.filter((s) => !s.retired_at);
    this.options();
  }

  values() {
    const f = this.form.elements;
    return { from: f.from.value, to: f.to.value, type: f.type.value, station: f.station.value, cell: f.cell.value,
      unitType: f.unit_type.value, origin: f.origin.value };
  }

  /** options fills the choices in the current language, keeping what was chosen. */
  options() {
    const f = this.form.elements;
    const keep = this.values();
    const fill = (select, items) => select.replaceChildren(...items.map(([value, text]) => el('option', { value }, text)));
    fill(f.type, [['', t('analytics.form.anyType')], ...INCIDENT_TYPES.map((v) => [v, tEnum('incidentType', v)])]);
    fill(f.station, [['', t('analytics.form.anyStation')], ...this.stations.map((s) => [s.id, s.name || s.id])]);
    fill(f.unit_type, [['', t('analytics.form.anyUnitType')], ...UNIT_TYPES.map((v) => [v, tEnum('unitType', v)])]);
    fill(f.origin, ORIGINS.map((v) => [v, t(`analytics.form.origins.${v || 'all'}`)]));
    for (const k of ['type', 'station', 'unit_type', 'origin']) {
      const v = keep[k === 'unit_type' ? 'unitType' : k];
      if (v && [...f[k].options].some((o) => o.value === v)) f[k].value = v;
    }
  }

  /** run asks for the report of the form's values and shows it. */
  async run() {
    const seq = ++this.seq;
    this.out.setAttribute('aria-busy', 'true');
    this.form.querySelector('[data-testid="analytics-error"]').textContent = '';
    try {
      const report = await this.client.get(`/api/v1/analytics/intervals?${analyticsQuery(this.values())}`);
      if (seq !== this.seq) return;
      this.report = report;
      this.render();
    } catch (err) {
      if (seq === this.seq && err.status !== 401) {
        this.form.querySelector('[data-testid="analytics-error"]').textContent = t('analytics.error', { detail: err.message });
      }
    } finally {
      if (seq === this.seq) this.out.removeAttribute('aria-busy');
    }
  }

  /** csv downloads the server's CSV report of the form's values, with a BOM for Excel. */
  async csv() {
    const v = this.values();
    try {
      const q = analyticsQuery(v);
      q.set('format', 'csv');
      const res = await this.client.send('GET', `/api/v1/analytics/intervals?${q}`, { accept: 'text/csv' });
      const text = await res.text();
      const url = URL.createObjectURL(new Blob(['\uFEFF', text], { type: 'text/csv;charset=utf-8' }));
      const a = el('a', { href: url, download: t('analytics.file', { from: v.from, to: v.to }), hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (err) {
      if (err.status !== 401) this.form.querySelector('[data-testid="analytics-error"]').textContent = t('analytics.error', { detail: err.message });
    }
  }

  clear() {
    this.report = null;
    this.render();
  }

  /** render draws the report, or says what to do, in the current language. */
  render() {
    this.options();
    const r = this.report;
    const summary = this.out.querySelector('[data-testid="analytics-summary"]');
    const body = this.out.querySelector('.analytics-body');
    body.hidden = !r;
    if (!r) {
      summary.textContent = t('analytics.empty');
      return;
    }
    summary.replaceChildren(...tNodes('analytics.summary', {
      incidents: formatNumber(r.incidents), live: formatNumber(r.live), imported: formatNumber(r.imported),
      from: r.query.from, to: r.query.to, zone: datum(r.time_zone),
    }));
    const q = r.query;
    const filters = [
      q.type && `${t('analytics.form.type')}: ${tEnum('incidentType', q.type)}`,
      q.station && `${t('analytics.form.station')}: ${this.stations.find((st) => st.id === q.station)?.name || q.station}`,
      q.cell && `${t('analytics.form.cell')}: ${q.cell}`,
      q.unit_type && `${t('analytics.form.unitType')}: ${tEnum('unitType', q.unit_type)}`,
      q.origin && `${t('analytics.form.origin')}: ${t(`analytics.form.origins.${q.origin}`)}`,
    ].filter(Boolean);
    this.out.querySelector('[data-testid="analytics-filters"]').textContent = filters.length
      ? t('analytics.filters', { list: filters.join(t('review.listSeparator')) }) : t('analytics.noFilters');

    const lines = targetsOf(r.targets);
    const secs = seconds;
    this.out.querySelector('[data-testid="analytics-intervals"] tbody').replaceChildren(...INTERVALS.map((k) => {
      const s = r[k];
      return el('tr', { 'data-interval': k, 'data-n': s.n, 'data-p50': s.p50 ?? '', 'data-p90': s.p90 ?? '' },
        el('th', { scope: 'row' }, t(`analytics.intervals.${k}.name`), el('span', { class: 'sub standard-what' }, t(`analytics.intervals.${k}.what`))),
        el('td', { class: 'num' }, formatNumber(s.n)),
        el('td', { class: 'num' }, secs(s.p50)),
        el('td', { class: 'num' }, secs(s.p90)),
        el('td', { class: 'num' }, formatNumber(s.missing)),
        el('td', { class: 'num' }, formatNumber(s.negative)));
    }));
    this.out.querySelector('[data-testid="analytics-histograms"]').replaceChildren(...INTERVALS.map((k) => {
      const name = t(`analytics.intervals.${k}.name`);
      return el('figure', { class: 'histogram-box', 'data-interval': k },
        el('figcaption', {}, t('analytics.histogram.title', { name })),
        histogram(name, r[k], lines[k]));
    }));
    this.out.querySelector('[data-testid="analytics-compliance"] tbody').replaceChildren(...(r.compliance || []).map((c) => {
      const result = resultOf(c);
      const percent = c.fraction == null ? '—' : formatNumber(c.fraction * 100, { maximumFractionDigits: 1 }) + '%';
      return el('tr', { 'data-measure': c.measure, 'data-result': result },
        el('th', { scope: 'row' }, t(`analytics.compliance.${c.measure}`)),
        el('td', { translate: 'no' }, c.standard),
        el('td', { class: 'num' }, t('analytics.compliance.atPercentile', { p: formatNumber(c.percentile), target: seconds(c.target_s) })),
        el('td', { class: 'num' }, secs(c.observed_s)),
        el('td', { class: 'num' }, c.n ? t('analytics.compliance.withinOf', { within: formatNumber(c.within), n: formatNumber(c.n), percent }) : '—'),
        el('td', {}, el('span', { class: `mark mark-${result}`, 'data-testid': 'compliance-result' },
          el('span', { 'aria-hidden': 'true' }, MARK[result]), ` ${t(`analytics.compliance.${RESULT_KEY[result]}`)}`)));
    }));
    this.out.querySelector('[data-testid="analytics-full-alarm"]').textContent =
      t('analytics.compliance.fullAlarm', { window: seconds(r.targets?.full_alarm_window_s ?? 60) });
    this.renderPrintHead();
  }

  /** renderPrintHead is the line over the printed report. */
  renderPrintHead() {
    const r = this.report;
    const node = this.out.querySelector('[data-testid="analytics-print-head"]');
    if (!r) {
      node.textContent = '';
      return;
    }
    node.replaceChildren(...tNodes('analytics.printHead', {
      from: r.query.from, to: r.query.to, time: formatDateTime(new Date().toISOString()), user: datum(this.session.user?.username || ''),
    }));
  }
}
