// turnout: which incidents are held to NFPA 1710's shorter EMS turnout (60 s) rather than the
// fire and special-operations turnout (80 s). The console's timers and the review's targets
// both read it, so the two cannot disagree; it mirrors workflows.DefaultTimerPolicy, where the
// supervision timers take the same choice.

/** RESCUE_TURNOUT_TYPES are the incident types whose first units are a rescue, not a fire fight. */
export const RESCUE_TURNOUT_TYPES = Object.freeze(['traffic_accident', 'water_rescue', 'building_collapse', 'help_requested']);

export const RESCUE_TURNOUT_S = 60;
export const FIRE_TURNOUT_S = 80;

/** turnoutSeconds is the turnout target of an incident of type t. */
export function turnoutSeconds(type) {
  return RESCUE_TURNOUT_TYPES.includes(type) ? RESCUE_TURNOUT_S : FIRE_TURNOUT_S;
}
