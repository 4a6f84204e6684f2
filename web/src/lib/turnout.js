// turnout: which incidents are held to NFPA 1710's shorter EMS turnout (60 s) rather than the
// fire and special-operations turnout (80 s). The console's timers and the review's targets
// both read it, so the two cannot disagree; it mirrors the workflow's choice: a stored type's
// own turnout, else its category's (workflows.TimerPolicy.ForDefinition), and for the built-in
// types before their definitions are read, workflows.DefaultTimerPolicy. A type changed since
// an incident started is shown as it is now, while the incident keeps the old one.

import { QUICK_TURNOUT_CATEGORIES } from './domain.js';
import { incidentType } from './i18n.js';

/** RESCUE_TURNOUT_TYPES are the incident types whose first units are a rescue, not a fire fight. */
export const RESCUE_TURNOUT_TYPES = Object.freeze(['traffic_accident', 'water_rescue', 'building_collapse', 'help_requested']);

export const RESCUE_TURNOUT_S = 60;
export const FIRE_TURNOUT_S = 80;

/** turnoutSeconds is the turnout target of an incident of type t. */
export function turnoutSeconds(type) {
  const d = incidentType(type);
  if (d) return d.timers?.turnout_s || (QUICK_TURNOUT_CATEGORIES.includes(d.category) ? RESCUE_TURNOUT_S : FIRE_TURNOUT_S);
  return RESCUE_TURNOUT_TYPES.includes(type) ? RESCUE_TURNOUT_S : FIRE_TURNOUT_S;
}
