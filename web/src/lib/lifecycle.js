// The incident lifecycle as the console shows it: statuses and priorities, what an assessment
// will do, joint-agency tasks, escalations (of one incident and in the supervisors' queue) and
// an incident's alarms. These are builders from API answers to elements; console.js keeps the
// state, makes the calls and passes the callbacks in.

import { el, label, clock } from './common.js';
import { FINISHED_TASK_STATUSES, PRIORITIES as PRIORITY_VALUES } from './domain.js';

// What each priority is called and means, for people; the values are the domain's.
const PRIORITY_TEXT = {
  1: { name: 'immediate', hint: 'life at risk, now' },
  2: { name: 'urgent', hint: 'property or spread at risk' },
  3: { name: 'prompt', hint: 'no one at risk, attend soon' },
  4: { name: 'routine', hint: 'no hazard, attend in turn' },
};

/** PRIORITIES name the assessed urgency, the most urgent (1) first. */
export const PRIORITIES = PRIORITY_VALUES.map((value) => ({ value, name: '', hint: '', ...PRIORITY_TEXT[value] }));

/** priorityText is "P1 immediate", or '' for an incident not assessed yet (priority 0). */
export function priorityText(p) {
  const known = PRIORITIES.find((x) => x.value === p);
  return known ? `P${p} ${known.name}`.trim() : '';
}

const TIMERS = {
  assessment: 'Assessment', call_processing: 'Call processing', acknowledge: 'Acknowledgement', turnout: 'Turnout',
  first_arrival: 'First arrival', full_alarm: 'Full first alarm', par: 'PAR', agency_task: 'Agency task',
};

/** timerLabel names a supervision timer (fireline.Timer…) for people. */
export function timerLabel(t) {
  return TIMERS[t] || label(t);
}

const AGENCIES = {
  police: 'Police', ems: 'Ambulance (EMS)', gas: 'Gas supply', power: 'Electricity supply', water: 'Water supply',
  emergency_management: 'Emergency management', environment: 'Environment bureau',
};

/** agencyLabel names a joint-response agency for people. */
export function agencyLabel(a) {
  return AGENCIES[a] || label(a);
}

const SOURCES = { call: '119 call', iot: 'Fire-alarm panel', lamppost: 'Lamp-post SOS', public: 'Public report', cap: 'CAP warning' };

/** dispatched reports whether any unit was ever sent to the incident. */
export function dispatched(d) {
  return (d.assigned_units || []).length > 0;
}

/**
 * assessEffect says what assessing d as {type, level} will do, as the workflow does it: before
 * any dispatch the new level's run card replaces the recommendation; after, an upgrade (a higher
 * level or another type) sends the difference at once, and anything else moves no unit.
 */
export function assessEffect(d, { type, level }) {
  const changed = type !== d.type || level !== d.level;
  const card = `the level ${level} run card for ${label(type).toLowerCase()}`;
  const agencies = 'Other agencies are asked as the type and level call for.';
  if (!dispatched(d)) {
    if (changed) return { upgrade: false, text: `Before dispatch: ${card} replaces the recommendation; nothing is sent until you dispatch. ${agencies}` };
    if (!d.assessed_at) return { upgrade: false, text: `Confirms the alarm's type and level: the recommendation stands and the incident goes on to dispatch. ${agencies}` };
    return { upgrade: false, text: 'Same type and level: the recommendation stands; sets the priority.' };
  }
  if (level > d.level || type !== d.type) {
    return { upgrade: true, text: `After dispatch, an upgrade sends the difference at once: the units ${card} lacks are dispatched on this click. ${agencies}` };
  }
  if (level < d.level) return { upgrade: false, text: 'A lower level sends no unit and recalls none; units are released from the field.' };
  return { upgrade: false, text: 'Sets the priority; no unit moves.' };
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
 * over, so nothing is due any more.
 */
export function taskRow(t, { canAct, busy, onAct, ended }) {
  const finished = FINISHED_TASK_STATUSES.includes(t.status);
  const name = agencyLabel(t.agency);
  const button = (status, text, cls) => el('button', {
    type: 'button', class: `btn btn-small ${cls}`, 'data-testid': `task-${status}`, 'data-agency': t.agency, disabled: busy,
    'aria-label': `${name}: ${text}`, onclick: () => onAct(t, status),
  }, text);
  const actions = canAct && !finished ? [
    t.status === 'requested' ? button('acknowledged', 'Acknowledged', '') : null,
    button('done', 'Done', 'btn-primary'),
    button('cancelled', 'Cancel', 'btn-quiet'),
  ] : [];
  return el('tr', {
    'data-testid': 'agency-task', 'data-agency': t.agency, 'data-status': t.status, 'data-escalated': t.escalated_at ? 'true' : null,
    class: `${finished ? 'is-finished' : ''}${t.escalated_at ? ' is-escalated' : ''}`.trim() || null,
  },
  el('th', { scope: 'row' }, el('span', { class: 'task-agency' }, name),
    el('span', { class: 'task-what' }, t.task), t.note ? el('span', { class: 'task-note' }, t.note) : null),
  el('td', {},
    el('span', { class: `badge task-${t.status}`, 'data-testid': 'task-status' }, label(t.status)),
    t.actor && t.status !== 'requested' ? el('div', { class: 'sub task-by' }, `${t.actor} ${clock(t.updated_at)}`) : null),
  el('td', { class: 'num task-due', title: `Requested ${clock(t.requested_at)}, due ${clock(t.due_at)}` },
    finished || ended ? '—' : el('span', { class: 'countdown', 'data-due': t.due_at }, ''),
    t.escalated_at ? el('span', { class: 'tag tag-danger', 'data-testid': 'task-escalated', title: `Escalated to the supervisors at ${clock(t.escalated_at)}` }, 'escalated') : null),
  el('td', { class: 'row-actions' }, actions));
}

// ---- escalations -----------------------------------------------------------------------------

/**
 * escalationItem is one escalation as a list item. In the supervisors' queue (queue true) it
 * names its incident (as listed, or null when no longer open) as a button that calls onSelect;
 * otherwise it is one line in its incident's own detail. onTake is called when a supervisor
 * takes it; canTake says whether this user may.
 */
export function escalationItem(e, { canTake, busy, onTake, incident, onSelect, queue = false }) {
  const open = !e.acknowledged_at;
  const what = `${timerLabel(e.timer)}${e.unit_id ? ` · ${e.unit_id}` : ''}`;
  const take = () => el('button', {
    type: 'button', class: 'btn btn-small btn-primary esc-take', 'data-testid': queue ? 'queue-take' : 'escalation-take',
    'data-escalation-id': e.id, disabled: busy, 'aria-label': `Take escalation: ${what} on incident ${e.incident_id}`, onclick: () => onTake(e),
  }, busy ? 'Taking…' : 'Take');
  if (!queue) {
    // In its incident's detail an escalation is one line: the queue has the room to say more.
    return el('li', {
      class: `esc esc-row${open ? ' is-open' : ''}`, 'data-testid': 'incident-escalation',
      'data-escalation-id': e.id, 'data-incident-id': e.incident_id, 'data-timer': e.timer, 'data-open': String(open),
      'aria-busy': busy ? 'true' : null,
    },
    el('span', { class: 'esc-timer' }, what),
    el('span', { class: 'esc-detail', title: e.detail }, e.detail),
    el('span', { class: 'esc-age', title: `Raised ${clock(e.raised_at)}` }, el('time', { datetime: e.raised_at }, clock(e.raised_at))),
    open ? (canTake ? take() : null)
      : el('span', { class: 'esc-taken', 'data-testid': 'escalation-taken', title: `Taken at ${clock(e.acknowledged_at)}` }, `taken by ${e.acknowledged_by}`));
  }
  const ref = `#${e.incident_id}${incident ? ` ${label(incident.type)}` : ''}`;
  const where = incident?.address ? el('span', { class: 'esc-where', title: incident.address }, incident.address) : null;
  return el('li', {
    class: `esc${open ? ' is-open' : ''}`, 'data-testid': 'queue-item',
    'data-escalation-id': e.id, 'data-incident-id': e.incident_id, 'data-timer': e.timer, 'data-open': String(open),
    'aria-busy': busy ? 'true' : null,
  },
  el('div', { class: 'esc-head' },
    el('button', {
      type: 'button', class: 'esc-incident', 'data-testid': 'queue-incident', onclick: () => onSelect(e.incident_id),
      'aria-label': `Show incident ${e.incident_id}`, title: incident?.address || `Incident ${e.incident_id}`,
    }, ref),
    where,
    el('span', { class: 'esc-timer' }, what),
    el('span', { class: 'esc-age', title: `Raised ${clock(e.raised_at)}` },
      el('time', { datetime: e.raised_at }, clock(e.raised_at)), ' · ', el('span', { 'data-since': e.raised_at }, ''), ' ago')),
  el('p', { class: 'esc-detail' }, e.detail),
  open
    ? (canTake ? take() : null)
    : el('p', { class: 'esc-taken', 'data-testid': 'escalation-taken' }, `Taken by ${e.acknowledged_by} at ${clock(e.acknowledged_at)}`));
}

// ---- alarms ----------------------------------------------------------------------------------

/** alarmItem is one alarm of an incident, with a button to split it out into its own incident. */
export function alarmItem(a, { canSplit, only, busy, onSplit, canConfirm, onConfirm }) {
  const d = a.details || {};
  const where = [d.building, d.floor && `floor ${d.floor}`, d.zone && `zone ${d.zone}`].filter(Boolean).join(', ');
  const who = [a.caller, d.caller_number].filter(Boolean).join(', ');
  const tags = [
    a.unverified ? el('span', { class: 'tag tag-warn', title: 'A public report nobody has confirmed yet', 'data-testid': 'alarm-unverified' }, 'unverified') : null,
    a.confirmed_by ? el('span', { class: 'tag' }, `confirmed by ${a.confirmed_by}`) : null,
    a.kind ? el('span', { class: 'tag' }, label(a.kind)) : null,
    a.device_id ? el('span', { class: 'tag', title: 'Device that raised the alarm' }, a.device_id) : null,
    a.premise_id ? el('span', { class: 'tag', title: 'Key premises' }, a.premise_id) : null,
  ];
  return el('li', { class: `alarm${a.unverified ? ' is-unverified' : ''}`, 'data-testid': 'alarm', 'data-alarm-id': a.id, 'aria-busy': busy ? 'true' : null },
    el('div', { class: 'alarm-head' },
      el('strong', {}, `Alarm ${a.id}`),
      el('span', { class: 'sub' }, ` ${SOURCES[a.source] || label(a.source)} · `, el('time', { datetime: a.received_at }, clock(a.received_at))),
      tags,
      a.unverified && canConfirm ? el('button', {
        type: 'button', class: 'btn btn-small', 'data-testid': 'alarm-confirm', onclick: () => onConfirm(a),
        title: 'An operator has checked the report: it is real',
      }, 'Confirm') : null,
      canSplit ? el('button', {
        type: 'button', class: 'btn btn-small alarm-split', 'data-testid': 'alarm-split', 'data-alarm-id': a.id,
        disabled: only || busy, 'aria-label': `Split alarm ${a.id} out into an incident of its own`, onclick: () => onSplit(a),
        title: only ? 'The only alarm of the incident: there is nothing to split it from' : 'This alarm is about another emergency: give it an incident of its own',
      }, busy ? 'Splitting…' : 'Split out') : null),
    el('div', { class: 'alarm-body' },
      a.address ? el('span', {}, a.address) : null,
      a.address && a.description ? ' — ' : null,
      a.description ? el('span', { class: 'sub' }, a.description) : null),
    where || d.premise_name ? el('div', { class: 'sub alarm-meta' }, [d.premise_name, where].filter(Boolean).join(' · ')) : null,
    d.hazards?.length ? el('div', { class: 'alarm-hazards', 'data-testid': 'alarm-hazards' }, `Hazards: ${d.hazards.join('; ')}`) : null,
    d.people_trapped != null ? el('div', { class: 'sub alarm-meta' }, `People trapped: ${d.people_trapped}`) : null,
    who ? el('div', { class: 'sub alarm-caller' }, `Caller: ${who}`) : null,
    d.photo_ref ? el('div', { class: 'sub alarm-meta' }, `Photo: ${d.photo_ref}`) : null);
}
