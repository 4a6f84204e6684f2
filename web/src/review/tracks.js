// The units' tracks during the incident, from each unit's own history (GET
// /units/{id}/history over the incident's span): where it was at every status change. The map
// draws the tracks and, as the review's cursor moves, each unit where it was at that moment,
// between two reports on the straight line from one to the next, in proportion to the time.
//
// The map is the shared situation map (map/index.js, mode 'review'). Without WebGL it cannot
// start; the review then goes on without it and says so.

import { t } from '../lib/i18n.js';
import { SituationMap } from '../map/index.js';
import { ms } from './cursor.js';

/** loadTracks reads the history of every unit sent to incident d during [from, to] (ms). */
export async function loadTracks(client, d, [from, to]) {
  const units = d.assigned_units || [];
  const q = new URLSearchParams({ from: new Date(from - 60_000).toISOString(), to: new Date(to + 60_000).toISOString(), limit: '1000' });
  const answers = await Promise.all(units.map((a) => client.get(`/api/v1/units/${encodeURIComponent(a.unit_id)}/history?${q}`)));
  return units.map((a, i) => ({
    unit_id: a.unit_id,
    type: a.type,
    // Oldest first, and only what concerned this incident: a unit cleared from it may have
    // gone on to another before it closed.
    points: answers[i].events.filter((e) => e.incident_id === d.id).reverse().map((e) => ({
      lat: e.location.lat, lon: e.location.lng, lng: e.location.lng, at: e.at, status: e.status, source: e.position_source,
    })),
  })).filter((tr) => tr.points.length > 0);
}

/** placeAt is where and in which status a track's unit was at the moment at (ms). */
export function placeAt(track, at) {
  const pts = track.points;
  if (!pts.length) return null;
  if (at <= ms(pts[0].at)) return { lat: pts[0].lat, lng: pts[0].lng, status: at < ms(pts[0].at) ? 'available' : pts[0].status };
  for (let i = 1; i < pts.length; i++) {
    const a = pts[i - 1], b = pts[i];
    const ta = ms(a.at), tb = ms(b.at);
    if (at < tb) {
      const f = tb > ta ? (at - ta) / (tb - ta) : 1;
      return { lat: a.lat + (b.lat - a.lat) * f, lng: a.lng + (b.lng - a.lng) * f, status: a.status };
    }
  }
  const last = pts[pts.length - 1];
  return { lat: last.lat, lng: last.lng, status: last.status };
}

/** TrackMap is the review's map: the incident, the stations, the tracks, the units at the cursor. */
export class TrackMap {
  constructor(container, note) {
    this.note = note;
    this.tracks = [];
    this.incident = null;
    try {
      this.map = new SituationMap(container, { mode: 'review' });
      this.map.whenReady().then(() => this.map.setLayerVisible('units', true)).catch(() => this.unavailable());
    } catch (err) {
      console.warn('review map:', err);
      this.map = null;
      this.unavailable();
    }
    this.render();
  }

  unavailable() {
    this.map = null;
    this.failed = true;
    this.render();
  }

  setStations(stations) { this.map?.setStations(stations); }

  /**
   * show draws incident d and its units' tracks, and puts the units where they were at at. The
   * map fits itself to new tracks; the same tracks again (an open incident looked at anew)
   * leave the view where the user put it.
   */
  show(d, tracks, at) {
    const same = this.incident?.id === d.id && JSON.stringify(tracks) === JSON.stringify(this.tracks);
    this.incident = d;
    if (same) {
      this.moveTo(at);
      return;
    }
    this.tracks = tracks;
    if (this.map) {
      this.map.setIncidents([d]);
      this.map.select(d.id);
      this.map.setTracks(tracks);
      this.map.setUnits(tracks.map((tr) => this.unitAt(tr, at)).filter(Boolean));
      if (!tracks.length) this.map.fitToIncident(d.id);
    }
    this.render();
  }

  clear() {
    this.incident = null;
    this.tracks = [];
    if (this.map) {
      this.map.setTracks([]);
      this.map.setUnits([]);
      this.map.setIncidents([]);
    }
    this.render();
  }

  /** moveTo puts every unit where it was at the moment at (ms). */
  moveTo(at) {
    if (!this.map) return;
    for (const tr of this.tracks) {
      const u = this.unitAt(tr, at);
      if (u) this.map.updateUnit(u);
    }
  }

  unitAt(track, at) {
    const p = placeAt(track, at);
    if (!p) return null;
    const committed = p.status !== 'available' && p.status !== 'out_of_service';
    return {
      id: track.unit_id, name: track.unit_id, type: track.type, status: p.status,
      location: { lat: p.lat, lng: p.lng, lon: p.lng }, incident_id: committed ? this.incident?.id : null,
    };
  }

  /** render says what the map shows, or why it shows nothing. */
  render() {
    if (this.failed) this.note.textContent = t('review.map.unavailable');
    else if (!this.incident) this.note.textContent = '';
    else if (!this.tracks.length) this.note.textContent = t('review.map.noTracks');
    else this.note.textContent = t('review.map.note', { n: this.tracks.length });
  }
}
