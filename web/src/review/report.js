// The review as files and paper: the timeline and the intervals as CSV, made in the browser
// (UTF-8 with a byte-order mark, so Excel opens Chinese text as Chinese, and CRLF lines), and
// the printed report (the page's print stylesheet: header, intervals, timeline, findings).

import { el } from '../lib/common.js';
import { formatDateTime, t } from '../lib/i18n.js';
import { actorName, eventName } from './timeline.js';
import { describe } from './standards.js';
import { datum, tNodes } from './text.js';

const BOM = '\uFEFF';

/**
 * cell quotes one CSV field. Text that a spreadsheet would run as a formula (starting with =,
 * +, -, @, a tab or a carriage return: OWASP's list) is prefixed with an apostrophe, since
 * the detail and actor fields come from outside the page.
 */
export function cell(v) {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  let s = String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** csv is rows (arrays of fields) as CSV text with a BOM and CRLF line ends. */
export function csv(rows) {
  return BOM + rows.map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}

/** localStamp is a time as "2026-12-04 19:34:44" in the browser's zone, which Excel reads as a date. */
export function localStamp(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** timelineCSV is the incident's events, oldest first. */
export function timelineCSV(events) {
  return csv([
    ['time', 'timeUTC', 'event', 'kind', 'unit', 'actor', 'detail'].map((k) => t(`review.csv.timeline.${k}`)),
    ...events.map((ev) => [localStamp(ev.at), new Date(ev.at).toISOString(), eventName(ev), ev.kind, ev.unit_id || '',
      actorName(ev.actor), ev.detail || '']),
  ]);
}

/** intervalsCSV is the intervals table: measured and target in seconds, the result in words. */
export function intervalsCSV(rows, open) {
  return csv([
    ['interval', 'unit', 'measured', 'target', 'result', 'basis'].map((k) => t(`review.csv.intervals.${k}`)),
    ...rows.map((row) => {
      const w = describe(row, open);
      return [w.name, row.unit || '', row.value == null ? '' : Math.round(row.value * 10) / 10, row.target.seconds, w.result, w.basis];
    }),
  ]);
}

/** download hands text to the browser as a file of the given name. */
export function download(name, text) {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
  const a = el('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** fillPrintTimeline writes the timeline as the table the printed report shows. */
export function fillPrintTimeline(tbody, events) {
  tbody.replaceChildren(...events.map((ev) => el('tr', {},
    el('td', { class: 'num' }, formatDateTime(ev.at)),
    el('td', {}, eventName(ev)),
    el('td', { translate: 'no' }, ev.unit_id || ''),
    el('td', {}, actorName(ev.actor)),
    el('td', { lang: 'en', translate: 'no' }, ev.detail || ''))));
}

/** printHead is the line over the printed report: what it is, when and by whom it was printed. */
export function printHead(node, d, user) {
  node.replaceChildren(...tNodes('review.report.printHead', { id: d.id, time: formatDateTime(new Date().toISOString()), user: datum(user?.username || '') }));
}
