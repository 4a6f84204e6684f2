// The review's cursor: one moment of the incident (wall-clock milliseconds) that every view
// follows. Playing a recording moves it; selecting a timeline event or dragging the slider
// moves it too, and then the recordings seek to it. Each move says where it came from, so a
// view never answers its own move (a video that moved the cursor is not sought back).

/** ORIGINS are where a move of the cursor comes from. */
export const ORIGINS = Object.freeze(['load', 'video', 'event', 'slider']);

export class Cursor {
  constructor() {
    this.at = null; // ms since the epoch, or null before an incident is loaded
    this.eventId = null; // the timeline event the cursor was put on, if it was
    this.listeners = new Set();
  }

  /**
   * set moves the cursor to at (ms) and tells every listener (at, origin, eventId). eventId
   * names the timeline event chosen, when the move is one.
   */
  set(at, origin, eventId = null) {
    if (!Number.isFinite(at) || !ORIGINS.includes(origin)) return;
    this.at = at;
    this.eventId = eventId;
    for (const fn of this.listeners) fn(at, origin, eventId);
  }

  /** clear forgets the moment (another incident is being loaded). */
  clear() {
    this.at = null;
    this.eventId = null;
  }

  /** on calls fn(at, origin, eventId) on every move; it returns a function that stops it. */
  on(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}

/** ms reads an ISO time as milliseconds since the epoch, null when there is none. */
export const ms = (iso) => {
  if (!iso) return null;
  const v = new Date(iso).getTime();
  return Number.isNaN(v) ? null : v;
};
