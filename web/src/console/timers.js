// Running timers and time in status. An incident's supervision timers (assessment, call
// processing, each unit's acknowledgement and turnout, first arrival, full first alarm, PAR, each
// agency task) and every unit's time in its current status are drawn as chips that the one-second
// tick refreshes: elapsed against the limit, amber from 75 % of it, red once over, and always
// the time remaining or overdue in words and in the chip's aria-label — colour is never the
// only signal.

import { el } from '../lib/common.js';
import { t, tEnum, formatDuration } from '../lib/i18n.js';
import { FINISHED_TASK_STATUSES, OPEN_INCIDENT_STATUSES as OPEN } from '../lib/domain.js';
import { turnoutSeconds } from '../lib/turnout.js';

/**
 * TIMER_LIMITS are the supervision intervals in seconds as the workflow's default policy sets
 * them (workflows.DefaultTimerPolicy). The API does not say which limits a server runs with (a
 * test stack shortens them): the escalation a lapse raises is the server's word; these chips are
 * the console's reading against the standard. PAR is its grace after falling due.
 */
export const TIMER_LIMITS = Object.freeze({
  assessment: 60, call_processing: 60, acknowledge: 30, turnout: 80, first_arrival: 240, full_alarm: 480, par: 300,
});


/** WARN_SHARE is the share of a limit from which a timer turns amber. */
export const WARN_SHARE = 0.75;

/**
 * STATUS_THRESHOLDS are, per unit status, how long a unit may stay in it before the units board
 * warns (amber) and alerts (red), in seconds. Available has none: a unit may wait for ever.
 */
export const STATUS_THRESHOLDS = Object.freeze({
  dispatched: { warn: 30, alert: 60 }, // dispatched → acknowledged
  acknowledged: { warn: 60, alert: 90 }, // acknowledged → en route (turnout)
  en_route: { warn: 8 * 60, alert: 12 * 60 },
  on_scene: { warn: 60 * 60, alert: 120 * 60 },
  transporting: { warn: 30 * 60, alert: 60 * 60 },
  returning: { warn: 30 * 60, alert: 60 * 60 },
  out_of_service: { warn: 4 * 3600, alert: 12 * 3600 },
});

const ms = (iso) => (iso ? new Date(iso).getTime() : NaN);

/**
 * runningTimers lists the supervision timers running on an incident now, each
 * {timer, unit, start, due} with start and due in epoch milliseconds. A finished incident has none.
 */
export function runningTimers(inc) {
  if (!OPEN.includes(inc.status)) return [];
  const out = [];
  const created = ms(inc.created_at);
  const add = (timer, start, due, unit = '') => { if (Number.isFinite(start) && Number.isFinite(due)) out.push({ timer, unit, start, due }); };
  const assigned = inc.assigned_units || [];
  if (!inc.assessed_at && !assigned.length) add('assessment', created, created + TIMER_LIMITS.assessment * 1000);
  if (!assigned.length) add('call_processing', created, created + TIMER_LIMITS.call_processing * 1000);
  // NFPA 1710's shorter EMS turnout for the types whose first units are a rescue, or the
  // type's own (lib/turnout.js).
  const turnout = turnoutSeconds(inc.type) * 1000;
  for (const a of assigned) {
    if (a.cleared_at) continue;
    const sent = ms(a.dispatched_at);
    if (a.status === 'dispatched' && !a.acknowledged_at) add('acknowledge', sent, sent + TIMER_LIMITS.acknowledge * 1000, a.unit_id);
    if (!a.en_route_at && !a.on_scene_at && ['dispatched', 'acknowledged'].includes(a.status)) add('turnout', sent, sent + turnout, a.unit_id);
  }
  const rolling = assigned.filter((a) => a.en_route_at).map((a) => ms(a.en_route_at));
  if (rolling.length) {
    const first = Math.min(...rolling);
    if (!assigned.some((a) => a.on_scene_at)) add('first_arrival', first, first + TIMER_LIMITS.first_arrival * 1000);
    // The first alarm: the units of the first dispatch (sent within a few seconds of the first).
    const firstSent = Math.min(...assigned.map((a) => ms(a.dispatched_at)));
    const firstAlarm = assigned.filter((a) => ms(a.dispatched_at) - firstSent < 5000 && !a.cleared_at);
    if (firstAlarm.some((a) => !a.on_scene_at)) add('full_alarm', first, first + TIMER_LIMITS.full_alarm * 1000);
  }
  if (inc.par_due_at) {
    const due = ms(inc.par_due_at);
    add('par', due, due + TIMER_LIMITS.par * 1000);
  }
  for (const task of inc.agency_tasks || []) {
    if (!FINISHED_TASK_STATUSES.includes(task.status)) add('agency_task', ms(task.requested_at), ms(task.due_at), task.agency);
  }
  return out;
}

/** timerState is 'ok', 'warn' (≥ 75 % of the limit) or 'over' at now for a timer or status. */
export function timerState(elapsed, limit, alert = limit) {
  if (elapsed >= alert) return 'over';
  if (elapsed >= (alert === limit ? limit * WARN_SHARE : limit)) return 'warn';
  return 'ok';
}

/** timerName is a timer's name with its unit or agency, in the current language. */
export function timerName(timer, unit) {
  if (!unit) return tEnum('timer', timer);
  const who = timer === 'agency_task' ? tEnum('agency', unit) : unit;
  return t('console.timer.nameWith', { timer: tEnum('timer', timer), who });
}

/**
 * timerChip is a running timer as a chip; fillTimers writes its text. The chip keeps start and
 * due in data attributes, so the tick needs nothing else.
 */
export function timerChip(x, { compact = false } = {}) {
  return el('span', {
    class: `timer${compact ? ' timer-compact' : ''}`, role: 'timer', 'data-testid': 'timer', 'data-timer': x.timer,
    'data-unit': x.unit || null, 'data-start': x.start, 'data-due': x.due,
  });
}

/** fillTimers refreshes every timer and time-in-status chip under root. */
export function fillTimers(root = document, now = Date.now()) {
  for (const node of root.querySelectorAll('.timer[data-start]')) fillTimer(node, now);
  for (const node of root.querySelectorAll('.in-status[data-status]')) fillInStatus(node, now);
}

function fillTimer(node, now) {
  const start = Number(node.dataset.start), due = Number(node.dataset.due);
  const elapsed = Math.max(0, (now - start) / 1000), limit = Math.max(1, (due - start) / 1000);
  const s = timerState(elapsed, limit);
  const name = timerName(node.dataset.timer, node.dataset.unit);
  const vars = { name, elapsed: formatDuration(elapsed), limit: formatDuration(limit), left: formatDuration(limit - elapsed), over: formatDuration(elapsed - limit) };
  const compact = node.classList.contains('timer-compact');
  const text = s === 'over' ? t(compact ? 'console.timer.overShort' : 'console.timer.over', vars)
    : s === 'warn' ? t(compact ? 'console.timer.warnShort' : 'console.timer.warn', vars)
      : t(compact ? 'console.timer.okShort' : 'console.timer.ok', vars);
  if (node.dataset.state !== s) node.dataset.state = s;
  if (node.textContent !== text) node.textContent = text;
  setLabel(node, t(`console.timer.aria.${s}`, vars));
}

/** setLabel writes an aria-label only when it changed: the tick passes over hundreds of chips. */
function setLabel(node, label) {
  if (node.getAttribute('aria-label') !== label) node.setAttribute('aria-label', label);
}

/** inStatusChip is a unit's time in its current status; fillTimers writes its text. */
export function inStatusChip(unit, since) {
  return el('span', {
    class: 'in-status', 'data-testid': 'time-in-status', 'data-status': unit.status,
    'data-status-since': since || '',
  });
}

function fillInStatus(node, now) {
  const since = node.dataset.statusSince;
  const status = node.dataset.status;
  if (!since) {
    node.textContent = '—';
    node.dataset.state = 'unknown';
    setLabel(node, t('console.inStatus.unknown', { status: tEnum('unitStatus', status) }));
    return;
  }
  const elapsed = Math.max(0, (now - ms(since)) / 1000);
  const th = STATUS_THRESHOLDS[status];
  const s = th ? timerState(elapsed, th.warn, th.alert) : 'ok';
  const vars = { status: tEnum('unitStatus', status), elapsed: formatDuration(elapsed), warn: th ? formatDuration(th.warn) : '', alert: th ? formatDuration(th.alert) : '' };
  const text = s === 'over' ? t('console.inStatus.over', vars) : s === 'warn' ? t('console.inStatus.warn', vars) : formatDuration(elapsed);
  if (node.dataset.state !== s) node.dataset.state = s;
  if (node.textContent !== text) node.textContent = text;
  setLabel(node, t(`console.inStatus.aria.${th ? s : 'none'}`, vars));
}

/** overdueTimers lists, across incidents, the running timers past their limit, most overdue first. */
export function overdueTimers(incidents, now = Date.now()) {
  const out = [];
  for (const inc of incidents) {
    for (const x of runningTimers(inc)) if (now >= x.due) out.push({ ...x, incident: inc });
  }
  return out.sort((a, b) => (now - b.due) - (now - a.due));
}
