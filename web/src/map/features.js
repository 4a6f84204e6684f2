// features: the API's answers turned into GeoJSON for the map's sources. Positions come as
// {lat, lng} from the API ({lat, lon} is taken too); GeoJSON wants [lon, lat].

/** lonLat is a position's [lon, lat], or null when it is missing or the (0, 0) "no fix". */
export function lonLat(p) {
  if (!p) return null;
  const lat = Number(p.lat), lon = Number(p.lng ?? p.lon);
  if (!Number.isFinite(lat) || !Number.isFinite(lon) || (lat === 0 && lon === 0)) return null;
  return [lon, lat];
}

/** list takes an API answer as it comes: the array itself or {units: [...]}-like wrappers. */
export function list(answer, key) {
  if (Array.isArray(answer)) return answer;
  if (answer && Array.isArray(answer[key])) return answer[key];
  return [];
}

export const EMPTY = Object.freeze({ type: 'FeatureCollection', features: [] });

const collection = (features) => ({ type: 'FeatureCollection', features });
const point = (coordinates, properties, id) => ({ type: 'Feature', id, geometry: { type: 'Point', coordinates }, properties });

/** ringOf closes a list of positions into a GeoJSON ring, or returns null with fewer than 3. */
function ringOf(points) {
  const ring = (points || []).map(lonLat).filter(Boolean);
  if (ring.length < 3) return null;
  const [a, b] = [ring[0], ring[ring.length - 1]];
  if (a[0] !== b[0] || a[1] !== b[1]) ring.push(a);
  return ring;
}

/** circleRing approximates a circle (centre, radius in km) by a 48-sided ring. */
function circleRing(center, km) {
  const c = lonLat(center);
  if (!c || !(km > 0)) return null;
  const ring = [];
  const dLat = km / 111.32, dLon = km / (111.32 * Math.cos((c[1] * Math.PI) / 180));
  for (let i = 0; i <= 48; i++) {
    const a = (i / 48) * 2 * Math.PI;
    ring.push([c[0] + dLon * Math.cos(a), c[1] + dLat * Math.sin(a)]);
  }
  return ring;
}

// ---- units ----------------------------------------------------------------------------------

/** COMMITTED are the statuses of a unit on an incident: it is drawn with a line to it. */
const COMMITTED = new Set(['dispatched', 'acknowledged', 'en_route', 'on_scene', 'transporting']);

/** unitFeature is one unit as a point, or null when it has no position. */
export function unitFeature(u) {
  const at = lonLat(u.location);
  if (!at) return null;
  return point(at, {
    id: u.id, name: u.name || u.id, type: u.type, status: u.status,
    icon: `unit-${u.type}-${u.status}`,
    incident_id: u.incident_id || 0, post: u.post_station_id || '',
  });
}

/** unitLines draws a line from every committed unit to its incident. */
export function unitLines(units, incidentsById) {
  const out = [];
  for (const f of units) {
    const p = f.properties;
    if (!p.incident_id || !COMMITTED.has(p.status)) continue;
    const inc = incidentsById.get(p.incident_id);
    if (!inc) continue;
    out.push({ type: 'Feature', geometry: { type: 'LineString', coordinates: [f.geometry.coordinates, inc] }, properties: { id: p.id, status: p.status } });
  }
  return collection(out);
}

// ---- incidents, stations, water sources, premises -------------------------------------------

/** CLOSED incidents are not drawn. */
const CLOSED = new Set(['closed', 'cancelled', 'merged', 'reviewed']);

export function incidentFeatures(incidents) {
  return collection(incidents.filter((i) => !CLOSED.has(i.status)).map((i) => {
    const at = lonLat(i.location);
    const priority = i.priority >= 1 && i.priority <= 4 ? i.priority : 0;
    return at && point(at, {
      id: i.id, label: `#${i.id}`, type: i.type, status: i.status, level: i.level || 1, priority,
      icon: `incident-p${priority}`,
    }, i.id);
  }).filter(Boolean));
}

export function stationFeatures(stations) {
  return collection(stations.filter((s) => !s.retired_at).map((s) => {
    const at = lonLat(s.location);
    return at && point(at, { id: s.id, name: s.name || s.id, icon: 'station' });
  }).filter(Boolean));
}

export function waterFeatures(sources) {
  return collection(sources.filter((w) => !w.retired_at).map((w) => {
    const at = lonLat(w.location);
    const working = w.status !== 'out_of_service';
    return at && point(at, { id: w.id, kind: w.kind, status: w.status, flow_lpm: w.flow_lpm || 0, icon: working ? 'water' : 'water-off' });
  }).filter(Boolean));
}

export function premiseFeatures(premises) {
  return collection(premises.filter((p) => !p.retired_at).map((p) => {
    const at = lonLat(p.location);
    return at && point(at, { id: p.id, name: p.name, kind: p.kind, icon: 'premise' });
  }).filter(Boolean));
}

// ---- coverage -------------------------------------------------------------------------------

/**
 * COVERAGE_BANDS are the shades of the coverage layer, by travel time as a multiple of the
 * target: three within it, three beyond. `upTo` is the band's upper bound (Infinity: any time,
 * or no unit at all); `color` is its fill on the map.
 */
export const COVERAGE_BANDS = Object.freeze([
  { band: 'c1', gap: false, upTo: 0.5, color: '#1f9d7a' },
  { band: 'c2', gap: false, upTo: 0.75, color: '#2fae8c' },
  { band: 'c3', gap: false, upTo: 1, color: '#7dbb7e' },
  { band: 'g1', gap: true, upTo: 2, color: '#d9a13b' },
  { band: 'g2', gap: true, upTo: 4, color: '#d9662e' },
  { band: 'g3', gap: true, upTo: Infinity, color: '#c2404a' },
]);

/** coverageBand is the band of a coverage cell; the server's gap flag decides which side. */
export function coverageBand(cell, target) {
  if (cell.gap && !cell.unit_id) return 'g3';
  const ratio = cell.seconds / target;
  const band = COVERAGE_BANDS.find((b) => b.gap === cell.gap && ratio <= b.upTo);
  return band ? band.band : (cell.gap ? 'g3' : 'c3');
}

/**
 * weightBreaks returns the two weights splitting the cells with weight into thirds, so the
 * heaviest third of a city is shaded strongest whatever its people number.
 */
function weightBreaks(cells) {
  const w = cells.map((c) => c.weight).filter((x) => x > 0).sort((a, b) => a - b);
  if (!w.length) return [Infinity, Infinity];
  return [w[Math.floor(w.length / 3)], w[Math.floor((2 * w.length) / 3)]];
}

/**
 * coverageFeatures shades the cells of a coverage answer ({cells, target_seconds, …}) by band
 * and by weight (w0 … w3). A cell is its outline from outlines (cell → ring) when there is one,
 * else a point at its centre (drawn as a dot); missing counts the cells without an outline.
 */
export function coverageFeatures(answer, outlines) {
  const cells = answer?.cells || [];
  const target = answer?.target_seconds || 1;
  const [w1, w2] = weightBreaks(cells);
  const features = [];
  let missing = 0;
  for (const c of cells) {
    const w = !(c.weight > 0) ? 0 : c.weight < w1 ? 1 : c.weight < w2 ? 2 : 3;
    const properties = { cell: c.cell, band: coverageBand(c, target), w, gap: !!c.gap, seconds: c.seconds, unit_id: c.unit_id || '', weight: c.weight || 0 };
    const ring = outlines.get(c.cell);
    if (ring) {
      features.push({ type: 'Feature', geometry: { type: 'Polygon', coordinates: [ring] }, properties });
      continue;
    }
    missing++;
    const at = lonLat(c.center);
    if (at) features.push(point(at, properties));
  }
  return { data: collection(features), missing };
}

/** outlinesOf reads cell outlines ({cell, boundary:[{lat,lng}…]}) into cell → ring. */
export function outlinesOf(shapes, into = new Map()) {
  for (const s of shapes || []) {
    const ring = ringOf(s.boundary);
    if (ring) into.set(s.cell, ring);
  }
  return into;
}

// ---- CAP warnings, risk, tracks, route ------------------------------------------------------

/**
 * warningFeatures draws the areas of the warnings in force: a /warnings answer ({warnings}),
 * its array, or a /readiness answer ({cells: [{cell, readiness, expires, boundary}]}) whose
 * raised cells are drawn when they carry outlines.
 */
export function warningFeatures(answer) {
  const features = [];
  for (const w of list(answer, 'warnings')) {
    if (w.superseded) continue;
    for (const info of w.infos || []) {
      const props = { id: w.id, readiness: w.readiness || 1, event: info.event || '', headline: info.headline || '', severity: info.severity || '', expires: w.expires || '' };
      for (const area of info.areas || []) {
        const rings = [...(area.polygons || []).map(ringOf), ...(area.circles || []).map((c) => circleRing(c.center, c.radius_km))].filter(Boolean);
        for (const ring of rings) features.push({ type: 'Feature', geometry: { type: 'Polygon', coordinates: [ring] }, properties: { ...props, area: area.description || '' } });
      }
    }
  }
  for (const c of answer?.cells || []) {
    const ring = ringOf(c.boundary);
    if (ring) features.push({ type: 'Feature', geometry: { type: 'Polygon', coordinates: [ring] }, properties: { cell: c.cell, readiness: c.readiness || 1, expires: c.expires || '' } });
  }
  return collection(features);
}

/**
 * riskFeatures draws fire-risk cells: [{cell, boundary | center, level 1…5 | score 0…1}], as
 * GET /api/v1/risk/cells?shapes=true answers them (level 1…5 and its outline).
 */
export function riskFeatures(cells) {
  const features = [];
  for (const c of list(cells, 'cells')) {
    const level = Number.isFinite(c.level) ? c.level : Number.isFinite(c.score) ? Math.min(5, 1 + Math.floor(c.score * 5)) : 1;
    const properties = { cell: c.cell || '', level: Math.max(1, Math.min(5, level)) };
    const ring = ringOf(c.boundary);
    if (ring) features.push({ type: 'Feature', geometry: { type: 'Polygon', coordinates: [ring] }, properties });
    else if (lonLat(c.center)) features.push(point(lonLat(c.center), properties));
  }
  return collection(features);
}

/** TRACK_COLORS give each unit's track a colour of its own (its label names it too). */
export const TRACK_COLORS = Object.freeze(['#1f6fd1', '#d9662e', '#2f9e44', '#ae3ec9', '#c2255c', '#0b7285', '#e8590c', '#5c940d']);

/** trackFeatures draws each unit's track as a line, with its last point marked. */
export function trackFeatures(tracks) {
  const features = [];
  for (const [i, t] of (tracks || []).entries()) {
    const coords = (t.points || []).map(lonLat).filter(Boolean);
    if (!coords.length) continue;
    const color = TRACK_COLORS[i % TRACK_COLORS.length];
    const props = { unit_id: t.unit_id, color, from: t.points[0]?.at || '', to: t.points[t.points.length - 1]?.at || '' };
    if (coords.length > 1) features.push({ type: 'Feature', geometry: { type: 'LineString', coordinates: coords }, properties: props });
    features.push(point(coords[coords.length - 1], { ...props, end: true }));
  }
  return collection(features);
}

/** routeFeatures is the field page's line from the unit to its incident, with both ends. */
export function routeFeatures(from, to) {
  const a = lonLat(from), b = lonLat(to);
  if (!a || !b) return EMPTY;
  return collection([
    { type: 'Feature', geometry: { type: 'LineString', coordinates: [a, b] }, properties: { part: 'line' } },
    point(a, { part: 'from' }),
    point(b, { part: 'to' }),
  ]);
}

/** boundsOf returns [[w, s], [e, n]] around the given [lon, lat] positions, or null. */
export function boundsOf(positions) {
  let w = Infinity, s = Infinity, e = -Infinity, n = -Infinity;
  for (const [lon, lat] of positions) {
    w = Math.min(w, lon); e = Math.max(e, lon); s = Math.min(s, lat); n = Math.max(n, lat);
  }
  if (!Number.isFinite(w)) return null;
  // A lone point still needs an area around it: about 1 km.
  const pad = 0.005;
  if (e - w < 2 * pad) { w -= pad; e += pad; }
  if (n - s < 2 * pad) { s -= pad; n += pad; }
  return [[w, s], [e, n]];
}
