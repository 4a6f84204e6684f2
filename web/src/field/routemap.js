// The field map: the unit, its incident, the water sources near the scene and a straight line
// from the unit to the incident. Fireline has no road network, so the line is not a route to
// drive: the caption under the map says so in words, with the distance as the crow flies.
//
// The map is the shared SituationMap (../map/index.js) in its field mode; it is created the
// first time the unit has an incident to show, and a device that cannot draw it (no WebGL)
// keeps the rest of the page, with a note where the map would be.

import { SituationMap } from '../map/index.js';
import { formatDistance, t } from '../lib/i18n.js';
import { hasPoint, mapPoint, metresBetween } from './geo.js';

// The map brings the whole line into view each time it is drawn: while the unit moves, the
// line follows it only every ROUTE_EVERY_MS and ROUTE_MIN_MOVE_M, so the crew can still pan.
const ROUTE_EVERY_MS = 15_000;
const ROUTE_MIN_MOVE_M = 50;

/** RouteMap draws one unit's way to its incident into section (#map-section). */
export class RouteMap {
  constructor(section) {
    this.section = section;
    this.container = section.querySelector('#field-map');
    this.note = section.querySelector('#route-note');
    this.map = null;
    this.failed = false;
    this.ready = null;
    this.routed = null; // the line as last drawn: {for (incident id), from, to, at (ms), fromCentre}
    this.view = null;
  }

  /** create builds the map once; it reports whether there is one to draw on. */
  create() {
    if (this.map) return true;
    if (this.failed) return false;
    try {
      this.map = new SituationMap(this.container, { mode: 'field' });
      this.ready = this.map.whenReady().catch(() => this.fail());
      return true;
    } catch (err) {
      console.error('field map:', err);
      this.fail();
      return false;
    }
  }

  fail() {
    this.failed = true;
    this.map = null;
    this.container.hidden = true;
    this.render();
  }

  /**
   * show draws unit (as GET /units/{id} answers) at from (the device's fix, or the unit's own
   * position) and its incident with the water near it; no incident hides the section.
   */
  show({ unit, incident, from, water }) {
    this.view = { unit, incident, from, water };
    const on = Boolean(incident && hasPoint(incident.location));
    this.section.hidden = !on;
    if (!on) {
      this.map?.clearRoute();
      return this.render();
    }
    if (this.create()) this.draw();
    this.render();
  }

  /** draw puts the incident and its water on the map, then the unit and its line. */
  async draw() {
    const map = this.map;
    await this.ready;
    if (!map || map !== this.map || !this.view?.incident) return;
    const { incident, water } = this.view;
    map.setIncidents([incident]);
    map.setWaterSources(water || []);
    this.drawUnit(true);
  }

  /** drawUnit puts the unit where it is (all of it, or just its move) and starts the line there. */
  drawUnit(all = false) {
    const { unit, incident, from } = this.view;
    const at = hasPoint(from) ? from : unit.location;
    const drawn = { ...unit, location: mapPoint(at) };
    if (all) this.map.setUnits([drawn]);
    else this.map.updateUnit(drawn);
    const last = this.routed;
    if (!hasPoint(at)) {
      this.map.clearRoute();
      this.routed = null;
    } else if (!last || last.for !== incident.id || !samePoint(last.to, incident.location)
      || (Date.now() - last.at >= ROUTE_EVERY_MS && metresBetween(last.from, at) >= ROUTE_MIN_MOVE_M)
      || (last.fromCentre && hasPoint(from))) {
      this.map.setRoute(mapPoint(at), mapPoint(incident.location));
      this.routed = { for: incident.id, from: at, to: incident.location, at: Date.now(), fromCentre: !hasPoint(from) };
    }
  }

  /** moveUnit puts the unit at a new fix and the route's start with it (cheap, per fix). */
  async moveUnit(from) {
    if (!this.view) return;
    this.view.from = from;
    this.render();
    const map = this.map;
    if (!map || !this.view.incident) return;
    await this.ready;
    if (map === this.map && this.view.incident) this.drawUnit();
  }

  /**
   * start is where the line starts, {at, device}: as last drawn (it lags a moving unit a
   * little), else the device's fix, else where the centre places the unit.
   */
  start() {
    const v = this.view;
    if (this.map && this.routed?.for === v.incident.id) return { at: this.routed.from, device: !this.routed.fromCentre };
    return hasPoint(v.from) ? { at: v.from, device: true } : { at: v.unit.location, device: false };
  }

  /** render writes the caption: what the line is, how long, and where it starts. */
  render() {
    const v = this.view;
    if (!v?.incident) return;
    const { at, device } = this.start();
    const parts = [];
    if (this.failed) parts.push(t('field.map.unavailable'));
    if (hasPoint(at)) {
      parts.push(t('field.map.straightLine', { distance: formatDistance(metresBetween(at, v.incident.location)) }));
      parts.push(t(device ? 'field.map.fromDevice' : 'field.map.fromCentre'));
    } else {
      parts.push(t('field.map.noStart'));
    }
    this.note.textContent = parts.join(' ');
    this.container.setAttribute('aria-label', t('field.map.label'));
  }
}

function samePoint(a, b) {
  return a.lat === b.lat && (a.lng ?? a.lon) === (b.lng ?? b.lon);
}
