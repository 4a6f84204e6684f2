// The open incident's panel: its head (number, type, status, priority, level, the sources of its
// alarms), its running timers, its facts, and the workflow-engine notice. The parts below it —
// assessment, recommendation and dispatch, orders, agency tasks, alarms, nearby premises and
// water, timeline, video — are modules of their own that draw from the same store.

import { $, el, fillElapsed } from '../../lib/common.js';
import { t, tEnum, formatTime } from '../../lib/i18n.js';
import { data } from '../../lib/lifecycle.js';
import { OPEN_INCIDENT_STATUSES as OPEN } from '../../lib/domain.js';
import { state, on } from '../store.js';
import { openIncident } from '../nav.js';
import { runningTimers, timerChip, fillTimers } from '../timers.js';
import { sourceIcon } from '../icons.js';

function renderEmpty() {
  $('#incident-detail').hidden = true;
  const empty = $('#detail-empty');
  empty.hidden = false;
  empty.textContent = state.selectedId === null ? t('console.detail.none') : t('console.detail.loading', { id: state.selectedId });
}

/** assessedFact says who assessed the incident and when, or that nobody has yet. */
function assessedFact(d, open) {
  let at = d.assessed_at, who = d.assessed_by;
  if (!at) {
    const ev = state.timeline.find((e) => e.kind === 'assessed');
    if (ev) [at, who] = [ev.at, ev.actor];
  }
  if (!at) {
    return open ? el('span', { class: d.status === 'assessing' ? 'warn-text' : 'sub', 'data-testid': 'assessed' }, t('console.fact.notYet')) : '—';
  }
  const time = formatTime(at);
  const text = who === 'pre-plan' ? t('console.fact.assessedPrePlan', { time })
    : who === 'dispatch' ? t('console.fact.assessedDispatch', { time })
      : who ? t('console.fact.assessedBy', { who, time }) : t('console.fact.assessedAt', { time });
  return el('span', { 'data-testid': 'assessed', 'data-by': who || null }, text);
}

function render() {
  const d = state.detail;
  renderEngineNotice();
  if (!d) {
    renderEmpty();
    return;
  }
  $('#detail-empty').hidden = true;
  const article = $('#incident-detail');
  article.hidden = false;
  article.dataset.incidentId = d.id;
  article.dataset.status = d.status;
  const open = OPEN.includes(d.status);
  $('#incident-title').replaceChildren(el('span', { translate: 'no' }, `#${d.id}`), ' ', tEnum('incidentType', d.type));
  $('#incident-sources').replaceChildren(...(state.sources.get(d.id)?.sources || []).map(sourceIcon));
  const badge = $('#incident-status');
  badge.textContent = tEnum('incidentStatus', d.status);
  badge.className = `badge inc-${d.status}`;
  badge.dataset.status = d.status;
  const prio = $('#incident-priority');
  prio.hidden = !d.priority;
  prio.textContent = d.priority ? `P${d.priority} ${tEnum('priority', d.priority)}` : '';
  prio.className = `prio p${d.priority}`;
  prio.title = d.priority ? t('console.priorityHint', { p: d.priority, hint: tEnum('priorityHint', d.priority) }) : '';
  const level = $('#incident-level');
  level.textContent = t('domain.level', { n: d.level });
  level.title = t('console.levelTitle', { n: d.level });
  $('#open-review').href = `/review#incident-${d.id}`;

  const timers = runningTimers(d);
  $('#incident-timers').replaceChildren(...timers.map((x) => timerChip(x)));
  $('#incident-timers').hidden = !timers.length;

  const facts = [
    ['address', d.address ? data(d.address) : '—'],
    ['priority', d.priority ? `P${d.priority} ${tEnum('priority', d.priority)}` : el('span', { class: 'sub' }, t('console.fact.notAssessed'))],
    ['assessed', assessedFact(d, open)],
    ['alarms', String(d.alarm_count)],
    ['location', el('span', { class: 'num', translate: 'no' }, `${d.location.lat.toFixed(5)}, ${d.location.lng.toFixed(5)}`)],
    ['cell', d.cell ? el('span', { class: 'num', translate: 'no' }, d.cell) : '—'],
    ['received', el('span', {}, formatTime(d.created_at), open ? [' (', el('span', { 'data-since': d.created_at, 'data-since-format': 'ago' }, ''), ')'] : null)],
    d.closed_at ? [d.outcome === 'cancelled' ? 'cancelled' : d.outcome === 'merged' ? 'merged' : 'closed', formatTime(d.closed_at)] : null,
    d.outcome && d.outcome !== d.status ? ['outcome', tEnum('incidentStatus', d.outcome)] : null,
    d.merged_into ? ['mergedInto', el('button', {
      type: 'button', class: 'link-button', 'data-testid': 'merged-into', onclick: () => openIncident(d.merged_into),
    }, `#${d.merged_into}`)] : null,
  ].filter(Boolean);
  $('#incident-facts').replaceChildren(...facts.flatMap(([k, v]) => [el('dt', {}, t(`console.fact.${k}`)), el('dd', {}, v)]));
  fillElapsed($('#incident-facts'));
  fillTimers($('#incident-timers'));
}

/** renderEngineNotice says, while the workflow engine is down, that orders wait. */
function renderEngineNotice() {
  const note = $('#engine-notice');
  note.hidden = !state.engineDown;
  if (!state.engineDown) return;
  const d = state.detail;
  note.replaceChildren(el('strong', {}, t('console.engine.title')), ' ', t('console.engine.text'),
    d?.updated_at ? ` ${t('console.engine.asOf', { id: d.id, time: formatTime(d.updated_at) })}` : '');
}

/** scrollToDetail brings the panel's top into sight when an incident opens. */
function scrollToDetail() {
  $('#incident-panel').scrollTop = 0;
}

/** setupView draws the open incident's head and facts from the store. */
export function setupView() {
  on(['detail', 'selection', 'timeline', 'sources', 'engine', 'locale'], render);
  on('selection', scrollToDetail);
  on('tick', () => {
    if (!state.detail) return;
    fillTimers($('#incident-timers'));
    fillElapsed($('#incident-facts'));
  });
}
