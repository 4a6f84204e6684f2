// The open incident's live timeline, newest first, and — once it has ended — its after-action
// review. The server writes each event's detail in English; the console says it in the
// operator's language from the event's structured facts, and shows the server's words as they
// came only for a kind it has no sentence for.

import { $, el } from '../../lib/common.js';
import { t, tEnum, has, locale, formatTime, formatDuration } from '../../lib/i18n.js';
import { data } from '../../lib/lifecycle.js';
import { OPEN_INCIDENT_STATUSES as OPEN } from '../../lib/domain.js';
import { state, on } from '../store.js';

const list = (v) => (Array.isArray(v) ? v.join(', ') : String(v ?? ''));

/** COMPOSERS build the variables of an event kind's sentence from its data; null: no sentence. */
const COMPOSERS = {
  alarm_received: (ev, d) => ({ source: tEnum('source', d.source || ev.actor), id: d.source_id || '' }),
  alarm_merged: (ev, d) => ({ source: tEnum('source', d.source || ev.actor), id: d.source_id || '' }),
  alarm_confirmed: (ev, d) => ({ id: d.source_id || d.alarm_id || '', who: ev.actor || '' }),
  recommended: (ev, d) => ({ units: list(d.units) || '—', short: d.short?.length ? t('console.timeline.short') : '' }),
  dispatched: (ev, d) => ({ units: list(d.units) }),
  reinforced: (ev, d) => ({ units: list(d.units) }),
  unit_status: (ev, d) => ({ unit: d.unit || ev.unit_id, status: tEnum('unitStatus', d.status) }),
  escalation: (ev, d) => (d.timer ? {
    timer: tEnum('timer', d.timer), limit: d.limit_s ? formatDuration(d.limit_s) : '—', unit: ev.unit_id || '', acknowledged: d.acknowledged,
  } : null),
  assessed: (ev, d) => (d.type ? { type: tEnum('incidentType', d.type), level: d.level, priority: d.priority ? `P${d.priority}` : '—' } : null),
  status_changed: (ev, d) => (d.status ? { status: tEnum('incidentStatus', d.status) } : null),
  agency_task: (ev, d) => (d.agency ? { agency: tEnum('agency', d.agency), status: tEnum('taskStatus', d.status) } : null),
  par: (ev, d) => ({ round: d.round ?? '', confirmed: d.confirmed }),
  closed: (ev, d) => ({ reason: d.reason || '' }),
  cancelled: (ev, d) => ({ reason: d.reason || '' }),
  incident_merged: (ev, d) => (d.into ? { from: d.from, into: d.into } : null),
  alarm_split: (ev, d) => (d.incident ? { alarm: d.alarm, from: d.from, incident: d.incident } : null),
  replacement_recommended: (ev, d) => ({ unit: d.unit || '', replaces: d.replaces || ev.unit_id || '' }),
  panel_event: (ev, d) => ({ kind: has(`common.lifecycle.alarm.kind.${d.kind}`) ? t(`common.lifecycle.alarm.kind.${d.kind}`) : d.kind || '' }),
  reviewed: () => ({}),
  public_alert: (ev, d) => (d.msg_type ? { type: t(`alerts.msgType.${d.msg_type}`), id: d.identifier || '' } : null),
};

/** eventSentence is the event's detail in the current language, with the data it names kept as data. */
function eventSentence(ev) {
  const vars = COMPOSERS[ev.kind]?.(ev, ev.data || {});
  if (!vars || locale() === 'en') return ev.detail ? data(ev.detail, { lang: 'en' }) : '';
  let key = `console.timeline.say.${ev.kind}`;
  if (ev.kind === 'escalation' && vars.acknowledged) key += 'Taken';
  else if (ev.kind === 'escalation' && vars.unit) key += 'Unit';
  else if (ev.kind === 'par' && vars.confirmed) key += 'Confirmed';
  // A reason is the operator's words: it goes in as written, after the sentence.
  return vars.reason ? [t(key, vars), t('console.timeline.reasonSep'), data(vars.reason)] : t(key, vars);
}

function kindName(kind) {
  return has(`console.timeline.kind.${kind}`) ? t(`console.timeline.kind.${kind}`) : kind;
}

function renderTimeline() {
  const events = [...state.timeline].reverse(); // newest first: what just happened is on top
  $('#timeline').replaceChildren(...events.map((ev) => el('li', { 'data-testid': 'timeline-event', 'data-kind': ev.kind, class: `ev ev-${ev.kind}` },
    el('time', { datetime: ev.at }, formatTime(ev.at)),
    el('span', { class: 'ev-kind' }, kindName(ev.kind)),
    el('span', { class: 'ev-detail' }, eventSentence(ev)),
    ev.unit_id || ev.actor ? el('span', { class: 'ev-meta', translate: 'no', 'data-i18n-skip': '' }, [ev.unit_id, ev.actor].filter(Boolean).join(' · ')) : null)));
  if (!events.length) $('#timeline').replaceChildren(el('li', { class: 'empty' }, state.selectedId === null ? '' : t('console.timeline.none')));
}

function renderReview() {
  const d = state.detail;
  $('#review-section').hidden = !d || OPEN.includes(d.status) || d.status === 'merged';
  const r = state.review;
  const box = $('#review');
  if (!r) {
    box.replaceChildren(el('p', { class: 'empty' }, t('console.review.loading')));
    return;
  }
  if (r instanceof Error) {
    box.replaceChildren(el('p', { class: 'empty' }, t('console.review.pending')));
    return;
  }
  const fact = (key, value, attrs = {}) => [el('dt', {}, t(`console.review.${key}`)), el('dd', attrs, value)];
  box.replaceChildren(...[
    el('dl', { class: 'facts', 'data-testid': 'review' },
      r.outcome ? fact('outcome', [tEnum('incidentStatus', r.outcome), r.reason ? [' — ', data(r.reason)] : null], { 'data-testid': 'review-outcome' }) : null,
      r.assessment_s != null ? fact('assessment', formatDuration(r.assessment_s)) : null,
      fact('callProcessing', formatDuration(r.call_processing_s), { 'data-testid': 'review-call-processing' }),
      r.first_arrival_s != null ? fact('firstArrival', formatDuration(r.first_arrival_s)) : null,
      fact('escalations', String(r.escalations ?? 0)),
      r.reviewed_at ? fact('reviewed', formatTime(r.reviewed_at)) : null),
    // An incident cancelled before dispatch has no unit to review.
    r.units?.length ? el('table', { class: 'table' },
      el('thead', {}, el('tr', {}, ...['unit', 'turnout', 'travel'].map((k) => el('th', { scope: 'col' }, t(`console.review.${k}`))))),
      el('tbody', {}, r.units.map((u) => el('tr', { 'data-unit-id': u.unit_id },
        el('td', { translate: 'no' }, u.unit_id), el('td', { class: 'num' }, formatDuration(u.turnout_s)), el('td', { class: 'num' }, formatDuration(u.travel_s)))))) : null,
  ].filter(Boolean));
}

/** setupTimeline draws the live timeline and the review. */
export function setupTimeline() {
  on(['timeline', 'selection', 'locale'], renderTimeline);
  on(['review', 'detail', 'selection', 'locale'], renderReview);
}
