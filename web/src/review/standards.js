// The incident's response intervals against the standards: the review's figures (GET
// /incidents/{id}/review, written when the incident closes) where it has them, else the
// incident's own step times while it is still open, each beside its target with met or missed
// said in words (colour is never the only signal).

import { el } from '../lib/common.js';
import { formatDuration, t, tEnum } from '../lib/i18n.js';
import { INTERVAL_TARGETS, OPEN_INCIDENT_STATUSES } from '../lib/domain.js';
import { turnoutSeconds } from '../lib/turnout.js';
import { ms } from './cursor.js';
import { datum } from './text.js';

/**
 * TARGETS are the response-time targets, in seconds, and the standard each comes from:
 * NFPA 1225 (2022), emergency communications: call processing, alarm answered to first unit
 * dispatched, within 60 s; NFPA 1710 (2020) §4.1.2.1, career fire departments: turnout 60 s,
 * or 80 s for fire and special operations; travel 240 s for the first engine company to arrive
 * and 480 s for the rest of the initial full alarm. NFPA sets no target for the assessment:
 * its row is held to the command centre's own supervision timer (the workflow's default). The
 * first arrival, alarm to first unit on scene, is held to the sum of the three it spans. The
 * standards' numbers are the root package's (fireline.DefaultIntervalTargets, generated into
 * domain.js), the same the analytics hold many incidents to.
 */
const target = (t) => ({ seconds: t.target_s, standard: t.standard });
export const TARGETS = Object.freeze({
  callProcessing: target(INTERVAL_TARGETS.call_processing),
  assessment: { seconds: 60, standard: 'centre' },
  turnoutFire: target(INTERVAL_TARGETS.turnout_fire),
  turnoutOther: target(INTERVAL_TARGETS.turnout_ems),
  travelFirstEngine: target(INTERVAL_TARGETS.travel_first_engine),
  travelFullAlarm: target(INTERVAL_TARGETS.travel_full_alarm),
});

/** turnoutTarget is the turnout target that applies to an incident of type t. */
export function turnoutTarget(type) {
  return turnoutSeconds(type) === TARGETS.turnoutFire.seconds ? TARGETS.turnoutFire : TARGETS.turnoutOther;
}

/** firstArrivalTarget is call processing + turnout + first-engine travel, in seconds. */
export function firstArrivalTarget(type) {
  return TARGETS.callProcessing.seconds + turnoutTarget(type).seconds + TARGETS.travelFirstEngine.seconds;
}

const between = (a, b) => (a == null || b == null ? null : (b - a) / 1000);
const earliest = (list) => (list.length ? Math.min(...list) : null);

/** firstEngine is the engine that arrived first, or, if none has, the first dispatched. */
function firstEngine(units) {
  const engines = units.filter((a) => a.type === 'engine');
  const arrived = engines.filter((a) => a.on_scene_at).sort((a, b) => ms(a.on_scene_at) - ms(b.on_scene_at));
  return (arrived[0] || engines[0])?.unit_id ?? null;
}

/**
 * intervals measures incident d: rows of {key, unit, value (s or null), target (s), rule,
 * standard, result: met | missed | none}, in the order a review reads them.
 */
export function intervals(d, review) {
  const units = d.assigned_units || [];
  const created = ms(d.created_at);
  const turnout = turnoutTarget(d.type);
  const engine = firstEngine(units);
  const rows = [
    {
      key: 'call_processing', rule: 'callProcessing', target: TARGETS.callProcessing,
      value: review?.call_processing_s ?? between(created, earliest(units.map((a) => ms(a.dispatched_at)))),
    },
    {
      key: 'assessment', rule: 'assessment', target: TARGETS.assessment,
      value: review?.assessment_s ?? between(created, ms(d.assessed_at)),
    },
    {
      key: 'first_arrival', rule: 'firstArrival', target: { seconds: firstArrivalTarget(d.type), standard: 'NFPA 1710' },
      value: review?.first_arrival_s ?? between(created, earliest(units.filter((a) => a.on_scene_at).map((a) => ms(a.on_scene_at)))),
    },
  ];
  for (const a of units) {
    const reviewed = review?.units?.find((u) => u.unit_id === a.unit_id);
    const first = a.unit_id === engine;
    rows.push({
      key: 'turnout', unit: a.unit_id, rule: turnout === TARGETS.turnoutFire ? 'turnoutFire' : 'turnoutOther', target: turnout,
      value: reviewed?.turnout_s ?? between(ms(a.dispatched_at), ms(a.en_route_at)),
    }, {
      key: 'travel', unit: a.unit_id, rule: first ? 'travelFirstEngine' : 'travelFullAlarm',
      target: first ? TARGETS.travelFirstEngine : TARGETS.travelFullAlarm,
      value: reviewed?.travel_s ?? between(ms(a.en_route_at), ms(a.on_scene_at)),
    });
  }
  for (const r of rows) {
    r.result = r.value == null ? 'none' : r.value <= r.target.seconds ? 'met' : 'missed';
  }
  return rows;
}

/** describe is a row in words: its name, what it spans, its result and the rule it is held to. */
export function describe(row, open) {
  return {
    name: t(`review.interval.${row.key}.name`),
    what: t(`review.interval.${row.key}.what`),
    result: row.result === 'none' ? t(open ? 'review.result.notYet' : 'review.result.notReached') : t(`review.result.${row.result}`),
    basis: t(`review.rule.${row.rule}`, {
      standard: row.target.standard === 'centre' ? t('review.rule.centre') : row.target.standard, seconds: row.target.seconds,
    }),
  };
}

const MARK = { met: '✓', missed: '✗', none: '–' };

/** renderStandards draws the intervals table and the note under it. */
export function renderStandards(tbody, note, d, review) {
  const open = OPEN_INCIDENT_STATUSES.includes(d.status);
  const rows = intervals(d, review);
  tbody.replaceChildren(...rows.map((row) => {
    const words = describe(row, open);
    return el('tr', {
      'data-testid': 'standard', 'data-interval': row.key, 'data-unit-id': row.unit || null, 'data-result': row.result,
      'data-seconds': row.value == null ? null : row.value.toFixed(1), 'data-target': row.target.seconds,
    },
    el('th', { scope: 'row' }, words.name, row.unit ? [' ', datum(row.unit)] : null, el('span', { class: 'sub standard-what' }, words.what)),
    el('td', { class: 'num', 'data-testid': 'standard-value' }, formatDuration(row.value)),
    el('td', { class: 'num', 'data-testid': 'standard-target' }, t('review.standards.atMost', { target: formatDuration(row.target.seconds) })),
    el('td', {}, el('span', { class: `mark mark-${row.result}`, 'data-testid': 'standard-result' },
      el('span', { 'aria-hidden': 'true' }, MARK[row.result]), ` ${words.result}`)),
    el('td', { class: 'standard-basis' }, words.basis));
  }));
  const turnout = turnoutTarget(d.type);
  note.replaceChildren(
    t(turnout === TARGETS.turnoutFire ? 'review.standards.turnoutFire' : 'review.standards.turnoutOther', {
      type: tEnum('incidentType', d.type), seconds: turnout.seconds,
    }),
    ' ',
    t('review.standards.firstArrivalSum', {
      call: TARGETS.callProcessing.seconds, turnout: turnout.seconds, travel: TARGETS.travelFirstEngine.seconds, sum: firstArrivalTarget(d.type),
    }),
    review ? '' : ` ${t('review.standards.provisional')}`,
  );
  return rows;
}
