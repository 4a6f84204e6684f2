// The incident lifecycle as the pages show it: priorities, what an assessment will do, joint-agency
// tasks, escalations (of one incident and in the supervisors' queue) and an incident's alarms.
// These are builders from API answers to elements; the console keeps the state, makes the calls
// and passes the callbacks in. Words come from the catalogues (common.json's lifecycle part and
// domain.json); what the server or a caller wrote (an alarm's description, a task's wording) is
// data, shown as it came and marked translate="no".

import { el } from './common.js';
import { t, tEnum, locale, formatTime } from './i18n.js';
import { FINISHED_TASK_STATUSES, PRIORITIES as PRIORITY_VALUES } from './domain.js';

/** PRIORITIES name the assessed urgency, the most urgent (1) first, in the current language. */
export const PRIORITIES = PRIORITY_VALUES.map((value) => ({
  value,
  get name() { return tEnum('priority', value); },
  get hint() { return tEnum('priorityHint', value); },
}));

/** priorityText is "P1 特急" / "P1 Immediate", or '' for an incident not assessed yet (priority 0). */
export function priorityText(p) {
  return PRIORITY_VALUES.includes(p) ? `P${p} ${tEnum('priority', p)}` : '';
}

/** timerLabel names a supervision timer (fireline.Timer…). */
export function timerLabel(timer) {
  return tEnum('timer', timer);
}

/** agencyLabel names a joint-response agency. */
export function agencyLabel(a) {
  return tEnum('agency', a);
}

/** data marks text the server or a caller wrote: shown as it came, not the page's to translate. */
export function data(text, attrs = {}) {
  return el('span', { translate: 'no', 'data-i18n-skip': '', ...attrs }, text);
}

/**
 * serverSentence is a sentence the server wrote in English, when the page speaks English, else
 * the page's own sentence built from the same facts.
 */
export function serverSentence(text, key, vars) {
  return locale() === 'en' && text ? text : t(key, vars);
}

/** dispatched reports whether any unit was ever sent to the incident. */
export function dispatched(d) {
  return (d.assigned_units || []).length > 0;
}

/**
 * assessEffect says what assessing d as {type, level} will do, as the workflow does it: before
 * any dispatch the new level's run card replaces the recommendation; after, an upgrade (a higher
 * level or another type) sends the difference at once, and anything else moves no unit. rule
 * names the case, for tests and styles.
 */
export function assessEffect(d, { type, level }) {
  const changed = type !== d.type || level !== d.level;
  const vars = { level, type: tEnum('incidentType', type) };
  const say = (rule, upgrade = false) => ({ rule, upgrade, text: t(`common.lifecycle.assess.${rule}`, vars) });
  if (!dispatched(d)) {
    if (changed) return say('beforeDispatchChanged');
    if (!d.assessed_at) return say('beforeDispatchConfirm');
    return say('beforeDispatchSame');
  }
  if (level > d.level || type !== d.type) return say('upgrade', true);
  if (level < d.level) return say('downgrade');
  return say('priorityOnly');
}

/**
 * replacedUnits maps each replacement the workflow recommended to the units it replaces (one
 * unit may be offered for several silent ones): from the timeline's replacement events, else
 * from acknowledgement escalations of units of its type.
 */
export function replacedUnits(d, timeline) {
  const out = new Map();
  const add = (unit, silent) => {
    const list = out.get(unit) || [];
    if (!list.includes(silent)) list.push(silent);
    out.set(unit, list);
  };
  for (const ev of timeline || []) {
    if (ev.kind === 'replacement_recommended' && ev.data?.unit && ev.data?.replaces) add(ev.data.unit, ev.data.replaces);
  }
  const used = new Set([...out.values()].flat());
  const types = new Map((d.assigned_units || []).map((a) => [a.unit_id, a.type]));
  for (const r of d.replacements || []) {
    if (out.has(r.unit_id)) continue;
    const e = (d.escalations || []).find((x) => x.timer === 'acknowledge' && x.unit_id && !used.has(x.unit_id) && types.get(x.unit_id) === r.type);
    if (e) {
      add(r.unit_id, e.unit_id);
      used.add(e.unit_id);
    }
  }
  return out;
}

/** metresBetween is the great-circle distance between two WGS-84 points. */
export function metresBetween(p, q) {
  const rad = Math.PI / 180;
  const dLat = (q.lat - p.lat) * rad, dLng = (q.lng - p.lng) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(p.lat * rad) * Math.cos(q.lat * rad) * Math.sin(dLng / 2) ** 2;
  return 2 * 6371008.8 * Math.asin(Math.min(1, Math.sqrt(h)));
}

// ---- joint-agency tasks ----------------------------------------------------------------------

/**
 * taskRow is one agency task as a table row; onAct(task, status) reports a button press. busy
 * says a change of this task is on its way, so its buttons wait; ended says the incident is
 * over, so nothing is due any more. due, when given, builds the due cell's running timer.
 */
export function taskRow(task, { canAct, busy, onAct, ended, due }) {
  const finished = FINISHED_TASK_STATUSES.includes(task.status);
  const name = agencyLabel(task.agency);
  const button = (status, text, cls) => el('button', {
    type: 'button', class: `btn btn-small ${cls}`, 'data-testid': `task-${status}`, 'data-agency': task.agency, disabled: busy,
    'aria-label': t('common.lifecycle.task.actionAria', { agency: name, action: text }), onclick: () => onAct(task, status),
  }, text);
  const actions = canAct && !finished ? [
    task.status === 'requested' ? button('acknowledged', t('common.lifecycle.task.acknowledged'), '') : null,
    button('done', t('common.lifecycle.task.done'), 'btn-primary'),
    button('cancelled', t('common.lifecycle.task.cancel'), 'btn-quiet'),
  ] : [];
  return el('tr', {
    'data-testid': 'agency-task', 'data-agency': task.agency, 'data-status': task.status, 'data-escalated': task.escalated_at ? 'true' : null,
    class: `${finished ? 'is-finished' : ''}${task.escalated_at ? ' is-escalated' : ''}`.trim() || null,
  },
  el('th', { scope: 'row' }, el('span', { class: 'task-agency' }, name),
    data(task.task, { class: 'task-what', lang: 'en' }), task.note ? data(task.note, { class: 'task-note' }) : null),
  el('td', {},
    el('span', { class: `badge task-${task.status}`, 'data-testid': 'task-status' }, tEnum('taskStatus', task.status)),
    task.actor && task.status !== 'requested' ? el('div', { class: 'sub task-by' },
      t('common.lifecycle.task.by', { who: task.actor, time: formatTime(task.updated_at) })) : null),
  el('td', { class: 'num task-due', title: t('common.lifecycle.task.dueTitle', { requested: formatTime(task.requested_at), due: formatTime(task.due_at) }) },
    finished || ended ? '—' : (due ? due(task) : el('span', { class: 'countdown', 'data-due': task.due_at }, '')),
    task.escalated_at ? el('span', {
      class: 'tag tag-danger', 'data-testid': 'task-escalated', title: t('common.lifecycle.task.escalatedTitle', { time: formatTime(task.escalated_at) }),
    }, t('common.lifecycle.task.escalated')) : null),
  el('td', { class: 'row-actions' }, actions));
}

// ---- escalations -----------------------------------------------------------------------------

/** escalationDetail is what is overdue: the server's sentence in English, the page's otherwise. */
export function escalationDetail(e) {
  const who = e.unit_id ? (e.timer === 'agency_task' ? agencyLabel(e.unit_id) : e.unit_id) : '';
  return serverSentence(e.detail, who ? 'common.lifecycle.escalation.detailWho' : 'common.lifecycle.escalation.detail',
    { timer: timerLabel(e.timer), who });
}

/**
 * escalationItem is one escalation as a list item. In the supervisors' queue (queue true) it
 * names its incident (as listed, or null when no longer open) as a button that calls onSelect;
 * otherwise it is one line in its incident's own detail. onTake is called when a supervisor
 * takes it; canTake says whether this user may.
 */
export function escalationItem(e, { canTake, busy, onTake, incident, onSelect, queue = false }) {
  const open = !e.acknowledged_at;
  const what = el('span', {}, timerLabel(e.timer), e.unit_id ? [' · ', data(e.unit_id)] : null);
  const take = () => el('button', {
    type: 'button', class: 'btn btn-small btn-primary esc-take', 'data-testid': queue ? 'queue-take' : 'escalation-take',
    'data-escalation-id': e.id, disabled: busy, onclick: () => onTake(e),
    'aria-label': t('common.lifecycle.escalation.takeAria', { timer: timerLabel(e.timer), id: e.incident_id }),
  }, busy ? t('common.lifecycle.escalation.taking') : t('common.lifecycle.escalation.take'));
  const detail = escalationDetail(e);
  if (!queue) {
    // In its incident's detail an escalation is one line: the queue has the room to say more.
    return el('li', {
      class: `esc esc-row${open ? ' is-open' : ''}`, 'data-testid': 'incident-escalation',
      'data-escalation-id': e.id, 'data-incident-id': e.incident_id, 'data-timer': e.timer, 'data-open': String(open),
      'aria-busy': busy ? 'true' : null,
    },
    el('span', { class: 'esc-timer' }, what),
    el('span', { class: 'esc-detail', title: detail }, detail),
    el('span', { class: 'esc-age', title: t('common.lifecycle.escalation.raised', { time: formatTime(e.raised_at) }) },
      el('time', { datetime: e.raised_at }, formatTime(e.raised_at))),
    open ? (canTake ? take() : null)
      : el('span', { class: 'esc-taken', 'data-testid': 'escalation-taken', title: t('common.lifecycle.escalation.takenAt', { time: formatTime(e.acknowledged_at) }) },
        t('common.lifecycle.escalation.takenBy', { who: e.acknowledged_by })));
  }
  const ref = el('span', {}, el('span', { translate: 'no' }, `#${e.incident_id}`), incident ? ` ${tEnum('incidentType', incident.type)}` : '');
  return el('li', {
    class: `esc${open ? ' is-open' : ''}`, 'data-testid': 'queue-item',
    'data-escalation-id': e.id, 'data-incident-id': e.incident_id, 'data-timer': e.timer, 'data-open': String(open),
    'aria-busy': busy ? 'true' : null,
  },
  el('div', { class: 'esc-head' },
    el('button', {
      type: 'button', class: 'esc-incident', 'data-testid': 'queue-incident', onclick: () => onSelect(e.incident_id),
      'aria-label': t('common.lifecycle.showIncident', { id: e.incident_id }),
    }, ref),
    incident?.address ? data(incident.address, { class: 'esc-where' }) : null,
    el('span', { class: 'esc-timer' }, what),
    el('span', { class: 'esc-age', title: t('common.lifecycle.escalation.raised', { time: formatTime(e.raised_at) }) },
      el('time', { datetime: e.raised_at }, formatTime(e.raised_at)), ' · ',
      el('span', { 'data-since': e.raised_at, 'data-since-format': 'ago' }, ''))),
  el('p', { class: 'esc-detail' }, detail),
  open
    ? (canTake ? take() : null)
    : el('p', { class: 'esc-taken', 'data-testid': 'escalation-taken' },
      t('common.lifecycle.escalation.takenByAt', { who: e.acknowledged_by, time: formatTime(e.acknowledged_at) })));
}

// ---- alarms ----------------------------------------------------------------------------------

/** alarmItem is one alarm of an incident, with a button to split it out into its own incident. */
export function alarmItem(a, { canSplit, only, busy, onSplit, canConfirm, onConfirm, icon }) {
  const d = a.details || {};
  const place = [d.building, d.floor && t('common.lifecycle.alarm.floor', { floor: d.floor }), d.zone && t('common.lifecycle.alarm.zone', { zone: d.zone })]
    .filter(Boolean).join(' · ');
  const who = [a.caller, d.caller_number].filter(Boolean).join(', ');
  const tags = [
    a.unverified ? el('span', { class: 'tag tag-warn', title: t('common.lifecycle.alarm.unverifiedTitle'), 'data-testid': 'alarm-unverified' },
      t('common.lifecycle.alarm.unverified')) : null,
    a.confirmed_by ? el('span', { class: 'tag' }, t('common.lifecycle.alarm.confirmedBy', { who: a.confirmed_by })) : null,
    a.kind ? el('span', { class: 'tag' }, t(`common.lifecycle.alarm.kind.${a.kind}`)) : null,
    a.device_id ? el('span', { class: 'tag', title: t('common.lifecycle.alarm.device'), translate: 'no' }, a.device_id) : null,
    a.premise_id ? el('span', { class: 'tag', title: t('common.lifecycle.alarm.premise'), translate: 'no' }, a.premise_id) : null,
  ];
  return el('li', { class: `alarm${a.unverified ? ' is-unverified' : ''}`, 'data-testid': 'alarm', 'data-alarm-id': a.id, 'aria-busy': busy ? 'true' : null },
    el('div', { class: 'alarm-head' },
      icon ? icon(a.source) : null,
      el('strong', {}, t('common.lifecycle.alarm.title', { id: a.id })),
      el('span', { class: 'sub' }, ` ${tEnum('source', a.source)} · `, el('time', { datetime: a.received_at }, formatTime(a.received_at))),
      tags,
      a.unverified && canConfirm ? el('button', {
        type: 'button', class: 'btn btn-small', 'data-testid': 'alarm-confirm', onclick: () => onConfirm(a),
        title: t('common.lifecycle.alarm.confirmTitle'),
      }, t('common.lifecycle.alarm.confirm')) : null,
      canSplit ? el('button', {
        type: 'button', class: 'btn btn-small alarm-split', 'data-testid': 'alarm-split', 'data-alarm-id': a.id,
        disabled: only || busy, 'aria-label': t('common.lifecycle.alarm.splitAria', { id: a.id }), onclick: () => onSplit(a),
        title: t(only ? 'common.lifecycle.alarm.splitOnly' : 'common.lifecycle.alarm.splitTitle'),
      }, busy ? t('common.lifecycle.alarm.splitting') : t('common.lifecycle.alarm.split')) : null),
    el('div', { class: 'alarm-body' },
      a.address ? data(a.address) : null,
      a.address && a.description ? ' — ' : null,
      a.description ? data(a.description, { class: 'sub' }) : null),
    place || d.premise_name ? el('div', { class: 'sub alarm-meta' }, d.premise_name ? data(d.premise_name) : null,
      d.premise_name && place ? ' · ' : null, place ? data(place) : null) : null,
    d.hazards?.length ? el('div', { class: 'alarm-hazards', 'data-testid': 'alarm-hazards' },
      t('common.lifecycle.alarm.hazards'), ' ', data(d.hazards.join('; '))) : null,
    d.people_trapped != null ? el('div', { class: 'sub alarm-meta' }, t('common.lifecycle.alarm.trapped', { n: d.people_trapped })) : null,
    who ? el('div', { class: 'sub alarm-caller' }, t('common.lifecycle.alarm.caller'), ' ', data(who)) : null,
    d.photo_ref ? el('div', { class: 'sub alarm-meta' }, t('common.lifecycle.alarm.photo'), ' ', data(d.photo_ref)) : null);
}
