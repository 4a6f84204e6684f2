// units: the units' layer kept live. Every AVL fix or status change reaches the map through
// update(), up to a hundred a second with a city's fleet on the move; they are gathered and
// drawn together (one setData for the units and one for their lines to their incidents) at the
// next animation frame, but at most once per MIN_REDRAW_MS: each setData re-tiles the source
// and repaints the whole map, which on a machine without a GPU takes hundreds of milliseconds,
// and a tracker reports every few seconds anyway. A change after a quiet spell is drawn at once.

import { unitFeature, unitLines } from './features.js';

/** MIN_REDRAW_MS is the least time between two redraws of the units. */
export const MIN_REDRAW_MS = 1000;

export class UnitLayer {
  /** draw(units, lines) puts the two FeatureCollections on the map. */
  constructor(draw) {
    this.draw = draw;
    this.units = new Map(); // id → the unit as last given (merged)
    this.drawn = new Map(); // id → the feature on the map
    this.dirty = false;
    this.frame = 0;
    this.timer = 0;
    this.incidents = new Map(); // incident id → [lon, lat]
    this.lastFlush = -Infinity;
  }

  /** setAll replaces every unit (GET /units), drawn at the next frame. */
  setAll(units) {
    this.units = new Map(units.map((u) => [u.id, u]));
    this.schedule();
  }

  /** update merges one unit's change (all or some of its fields) in, drawn at the next frame. */
  update(u) {
    if (!u?.id) return;
    const old = this.units.get(u.id);
    this.units.set(u.id, old ? { ...old, ...u } : u);
    this.schedule();
  }

  /** setIncidents gives the incidents' positions, for the lines from units to them. */
  setIncidents(positions) {
    this.incidents = positions;
    this.schedule();
  }

  schedule() {
    this.dirty = true;
    if (this.frame || this.timer) return;
    const wait = Math.max(0, this.lastFlush + MIN_REDRAW_MS - performance.now());
    // A hidden page has no animation frames; its map is still kept current, on the timer alone.
    const draw = () => {
      this.timer = 0;
      if (document.hidden) this.flush();
      else this.frame = requestAnimationFrame(() => { this.frame = 0; this.flush(); });
    };
    if (wait > 0 || document.hidden) this.timer = setTimeout(draw, Math.max(wait, document.hidden ? 250 : 0));
    else draw();
  }

  /** flush draws what changed since the last frame, at once. */
  flush() {
    if (!this.dirty) return;
    this.dirty = false;
    this.lastFlush = performance.now();
    const drawn = new Map();
    for (const [id, u] of this.units) {
      const f = unitFeature(u);
      if (f) drawn.set(id, f);
    }
    this.drawn = drawn;
    const features = [...drawn.values()];
    this.draw({ type: 'FeatureCollection', features }, unitLines(features, this.incidents));
  }

  /** position is where the map draws the unit: {lat, lon} (and lng, as the API spells it). */
  position(id) {
    const f = this.drawn.get(id);
    if (!f) return null;
    const [lon, lat] = f.geometry.coordinates;
    return { lat, lon, lng: lon };
  }

  /** positions are the drawn units' [lon, lat]. */
  positions() {
    return [...this.drawn.values()].map((f) => f.geometry.coordinates);
  }

  stop() {
    cancelAnimationFrame(this.frame);
    clearTimeout(this.timer);
    this.frame = this.timer = 0;
  }
}
