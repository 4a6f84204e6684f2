// The situation map: stations, units and incidents drawn on an SVG by their WGS-84 positions
// with an equirectangular projection (x scaled by cos of the mid latitude) fitted to what there
// is to show. A city is small enough that this is accurate to a few metres, and it needs no tile
// server, so the map works with no internet at all.
//
// Under the markers lies the coverage layer: every H3 cell of the service area shaded by the
// travel time of its nearest available engine against the target. It is thousands of hexagons,
// so their paths are built once, in degrees relative to a fixed origin, and placed on the map by
// one transform on their group: a unit moving changes the fit and so the transform, never the
// paths, and a coverage refresh changes only the class of the cells whose shade changed.

import { el, label, duration } from '../lib/common.js';

const PAD = 28;

/** projection fits the points into a W×H view box and returns lat/lng → x/y. */
function projection(points, W, H) {
  let minLat = Infinity, maxLat = -Infinity, minLng = Infinity, maxLng = -Infinity;
  for (const p of points) {
    minLat = Math.min(minLat, p.lat); maxLat = Math.max(maxLat, p.lat);
    minLng = Math.min(minLng, p.lng); maxLng = Math.max(maxLng, p.lng);
  }
  // A lone point (or a line) still needs an area around it: about 1 km.
  const minSpan = 0.01;
  if (maxLat - minLat < minSpan) { const c = (maxLat + minLat) / 2; minLat = c - minSpan / 2; maxLat = c + minSpan / 2; }
  if (maxLng - minLng < minSpan) { const c = (maxLng + minLng) / 2; minLng = c - minSpan / 2; maxLng = c + minSpan / 2; }
  const kx = Math.cos(((minLat + maxLat) / 2) * Math.PI / 180);
  const w = (maxLng - minLng) * kx, h = maxLat - minLat;
  const scale = Math.min((W - 2 * PAD) / w, (H - 2 * PAD) / h); // view-box units per degree of latitude
  const ox = (W - w * scale) / 2, oy = (H - h * scale) / 2;
  const project = (p) => [ox + (p.lng - minLng) * kx * scale, oy + (maxLat - p.lat) * scale];
  // matrix maps points given in degrees from origin (Δlng, Δlat) the way project maps points.
  const matrix = (origin) => [kx * scale, 0, 0, -scale, ox + (origin.lng - minLng) * kx * scale, oy + (maxLat - origin.lat) * scale];
  return { project, matrix, scale, bounds: { minLat, maxLat, minLng, maxLng } };
}

function valid(p) {
  return p && Number.isFinite(p.lat) && Number.isFinite(p.lng) && !(p.lat === 0 && p.lng === 0);
}

/** scaleBar draws a round-number distance bar in the lower left corner. */
function scaleBar(scale, H) {
  const metresPerUnit = 111320 / scale;
  const target = 120 * metresPerUnit;
  const pow = 10 ** Math.floor(Math.log10(target));
  const nice = [5, 2, 1].map((f) => f * pow).find((v) => v <= target) ?? pow;
  const len = nice / metresPerUnit;
  const text = nice >= 1000 ? `${nice / 1000} km` : `${nice} m`;
  const x = 24, y = H - 20;
  return el('g', { class: 'map-scale' },
    el('path', { d: `M${x} ${y - 6}V${y}H${x + len}V${y - 6}` }),
    el('text', { x: x + len + 8, y: y + 1 }, text));
}

/** graticule draws faint lines every 0.05° (about 5 km) as a sense of distance and north. */
function graticule(g, proj, W, H) {
  g.replaceChildren();
  const { minLat, maxLat, minLng, maxLng } = proj.bounds;
  const step = 0.05;
  const pad = 1; // degrees beyond the fitted box: lines reach the view box edges
  for (let lat = Math.ceil((minLat - pad) / step) * step; lat <= maxLat + pad; lat += step) {
    const [, y] = proj.project({ lat, lng: minLng });
    if (y >= 0 && y <= H) g.append(el('line', { x1: 0, x2: W, y1: y, y2: y }));
  }
  for (let lng = Math.ceil((minLng - pad) / step) * step; lng <= maxLng + pad; lng += step) {
    const [x] = proj.project({ lat: minLat, lng });
    if (x >= 0 && x <= W) g.append(el('line', { x1: x, x2: x, y1: 0, y2: H }));
  }
}

/**
 * COVERAGE_BANDS are the shades of the coverage layer, by travel time as a multiple of the
 * target: three within it, three beyond. `upTo` is the band's upper bound (Infinity: any time,
 * or no unit at all).
 */
export const COVERAGE_BANDS = [
  { band: 'c1', gap: false, upTo: 0.5 },
  { band: 'c2', gap: false, upTo: 0.75 },
  { band: 'c3', gap: false, upTo: 1 },
  { band: 'g1', gap: true, upTo: 2 },
  { band: 'g2', gap: true, upTo: 4 },
  { band: 'g3', gap: true, upTo: Infinity },
];

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

const count = new Intl.NumberFormat('en-GB', { maximumFractionDigits: 0 });

/**
 * SituationMap draws the situation map into an SVG element and keeps it: its layers persist,
 * markers are redrawn on draw(), the coverage cells only when their shapes change.
 */
export class SituationMap {
  /** onSelect(id) is called when an incident marker is chosen. */
  constructor(svg, { onSelect } = {}) {
    this.svg = svg;
    this.onSelect = onSelect;
    this.layers = {
      bg: el('rect', { x: 0, y: 0, class: 'map-bg' }),
      grid: el('g', { class: 'map-grid', 'aria-hidden': 'true' }),
      coverage: el('g', { class: 'map-coverage', 'aria-hidden': 'true', 'data-testid': 'coverage-layer' }),
      warnings: el('g', { class: 'map-warnings', 'data-testid': 'warnings-layer' }),
      lines: el('g', { class: 'map-lines', 'aria-hidden': 'true' }),
      stations: el('g', { class: 'map-stations' }),
      units: el('g', { class: 'map-units' }),
      incidents: el('g', { class: 'map-incidents' }),
      overlay: el('g', { class: 'map-overlay' }),
    };
    svg.replaceChildren(...Object.values(this.layers));
    this.data = { units: [], incidents: [], stations: [], selectedId: null };
    this.cells = new Map(); // cell hex → { path, cls, data }
    this.origin = null; // the point the cells' paths are drawn from
    this.coverage = null;
    this.warned = []; // cells whose readiness warnings raise: {cell, readiness, expires, boundary}
    this.showCoverage = false;
    this.layers.coverage.setAttribute('hidden', '');
    // A title for thousands of cells is made only for the one under the pointer.
    this.layers.coverage.addEventListener('mouseover', (e) => this.describe(e.target));
  }

  /** setCoverageShown shows or hides the coverage layer. */
  setCoverageShown(on) {
    this.showCoverage = on;
    this.layers.coverage.toggleAttribute('hidden', !on);
    this.svg.dataset.coverage = on ? 'on' : 'off';
  }

  /**
   * setWarnings outlines the cells whose readiness CAP warnings raise ({cell, readiness,
   * expires, boundary}), a few dozen to a few thousand: they are redrawn with the markers.
   */
  setWarnings(cells) {
    this.warned = cells || [];
    this.draw();
  }

  /** hasShapes reports whether the cells' outlines are loaded. */
  get hasShapes() { return this.cells.size > 0; }

  /**
   * setShapes builds a path for every cell outline ({cell, boundary:[{lat,lng}…]}), replacing
   * any there were. Call it only when the outlines change: with the stations.
   */
  setShapes(shapes) {
    const layer = this.layers.coverage;
    this.cells.clear();
    const first = shapes.find((s) => s.boundary?.length)?.boundary[0];
    if (!first) {
      layer.replaceChildren();
      return;
    }
    this.origin = { lat: first.lat, lng: first.lng };
    const { lat: lat0, lng: lng0 } = this.origin;
    const f = (v) => Math.round(v * 1e6) / 1e6; // 0.1 m: the paths stay short
    const paths = [];
    for (const s of shapes) {
      if (!s.boundary?.length) continue;
      const d = `M${s.boundary.map((p) => `${f(p.lng - lng0)} ${f(p.lat - lat0)}`).join('L')}Z`;
      const path = el('path', { d, 'data-cell': s.cell, class: 'none' });
      this.cells.set(s.cell, { path, cls: 'none', data: null });
      paths.push(path);
    }
    layer.replaceChildren(...paths);
    if (this.coverage) this.setCoverage(this.coverage);
    this.draw();
  }

  /**
   * setCoverage shades the cells by a coverage answer ({cells, target_seconds, …}). It returns
   * how many of its cells have no outline yet: the grid changed and the shapes are to be
   * fetched again.
   */
  setCoverage(coverage) {
    this.coverage = coverage;
    if (!this.cells.size) return coverage.cells.length;
    const target = coverage.target_seconds;
    const [w1, w2] = weightBreaks(coverage.cells);
    let missing = 0;
    const seen = new Set();
    for (const c of coverage.cells) {
      const entry = this.cells.get(c.cell);
      if (!entry) {
        missing++;
        continue;
      }
      seen.add(c.cell);
      const w = !(c.weight > 0) ? 0 : c.weight < w1 ? 1 : c.weight < w2 ? 2 : 3;
      const cls = `${coverageBand(c, target)} w${w}`;
      entry.data = c;
      if (entry.cls !== cls) {
        entry.path.setAttribute('class', cls);
        entry.cls = cls;
      }
    }
    for (const [cell, entry] of this.cells) {
      if (seen.has(cell) || entry.cls === 'none') continue;
      entry.path.setAttribute('class', 'none');
      entry.cls = 'none';
      entry.data = null;
    }
    return missing;
  }

  /** describe gives the cell under the pointer a title: its time, its unit and its people. */
  describe(node) {
    const entry = node instanceof SVGPathElement ? this.cells.get(node.dataset.cell) : null;
    if (!entry?.data || !this.coverage) return;
    const c = entry.data;
    const type = this.coverage.unit_type || 'unit';
    const target = duration(this.coverage.target_seconds);
    const time = c.unit_id
      ? `${label(type)} ${c.unit_id} in ${duration(c.seconds)}, ${c.gap ? 'beyond' : 'within'} the ${target} target`
      : `No available ${type}`;
    const text = `${c.gap ? 'Gap: ' : ''}${time} · ${count.format(c.weight)} people`;
    let title = node.querySelector('title');
    if (!title) {
      title = el('title');
      node.append(title);
    }
    if (title.textContent !== text) title.textContent = text;
  }

  /**
   * draw redraws the markers with the given stations, units and incidents (each omitted one
   * keeps its last value), fitted to the units (the service area) and open incidents.
   */
  draw(data = {}) {
    Object.assign(this.data, data);
    const { units, incidents, stations, selectedId } = this.data;
    const svg = this.svg;
    // The view box is the element's own size, so markers and labels keep their size in pixels.
    const W = Math.max(320, Math.round(svg.clientWidth) || 1000);
    const H = Math.max(200, Math.round(svg.clientHeight) || 640);
    svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
    const L = this.layers;
    L.bg.setAttribute('width', W);
    L.bg.setAttribute('height', H);
    const unitPoints = units.map((u) => u.location).filter(valid);
    const incidentPoints = incidents.map((i) => i.location).filter(valid);
    // Fitted to the units (the service area); open incidents are included so none falls off.
    const fit = unitPoints.length ? [...unitPoints, ...incidentPoints] : [...stations.map((s) => s.location).filter(valid), ...incidentPoints];
    for (const k of ['grid', 'warnings', 'lines', 'stations', 'units', 'incidents', 'overlay']) L[k].replaceChildren();
    if (!fit.length) {
      L.coverage.setAttribute('visibility', 'hidden');
      L.overlay.append(el('text', { x: W / 2, y: H / 2, class: 'map-empty', 'text-anchor': 'middle' }, 'No positions to show yet'));
      return;
    }
    L.coverage.removeAttribute('visibility');
    const proj = projection(fit, W, H);
    graticule(L.grid, proj, W, H);
    if (this.origin) {
      const m = proj.matrix(this.origin).map((v) => Math.round(v * 1000) / 1000);
      const transform = `matrix(${m.join(' ')})`;
      if (L.coverage.getAttribute('transform') !== transform) L.coverage.setAttribute('transform', transform);
    }

    for (const w of this.warned) {
      if (!w.boundary?.length) continue;
      const points = w.boundary.map((p) => proj.project(p).map((v) => Math.round(v * 10) / 10).join(',')).join(' ');
      L.warnings.append(el('polygon', { points, class: `warn-r${w.readiness}`, 'data-cell': w.cell },
        el('title', {}, `Readiness ${w.readiness} until ${new Date(w.expires).toLocaleString()}`)));
    }

    for (const u of units) {
      const inc = incidents.find((i) => i.id === u.incident_id);
      if (!inc || !valid(u.location) || !valid(inc.location)) continue;
      const [x1, y1] = proj.project(u.location), [x2, y2] = proj.project(inc.location);
      L.lines.append(el('line', { x1, y1, x2, y2, class: `status-${u.status}` }));
    }

    for (const s of stations.filter((s) => valid(s.location))) {
      const [x, y] = proj.project(s.location);
      L.stations.append(el('rect', { x: x - 5, y: y - 5, width: 10, height: 10, rx: 2, 'data-station-id': s.id }, el('title', {}, `${s.name} (${s.id})`)));
    }

    for (const u of units.filter((u) => valid(u.location))) {
      const [x, y] = proj.project(u.location);
      const r = u.type === 'command' ? 6.5 : 5;
      const post = u.post_station_id;
      const title = `${u.name || u.id} — ${label(u.type)}, ${label(u.status)}${u.incident_id ? `, incident #${u.incident_id}` : ''}${post ? `, covering ${post}` : ''}`;
      L.units.append(el('g', { class: `map-unit status-${u.status}${post ? ' is-posted' : ''}`, 'data-unit-id': u.id, 'data-post-station-id': post || null },
        post ? el('circle', { cx: x, cy: y, r: r + 4, class: 'map-post-ring' }) : null,
        el('circle', { cx: x, cy: y, r }),
        el('title', {}, title)));
    }

    for (const inc of incidents.filter((i) => valid(i.location))) {
      const [x, y] = proj.project(inc.location);
      const selected = inc.id === selectedId;
      const r = selected ? 12 : 9;
      L.incidents.append(el('g', {
        class: `map-incident${selected ? ' selected' : ''}`, tabindex: 0, role: 'button', 'data-incident-id': inc.id,
        'aria-label': `Incident ${inc.id}: ${label(inc.type)} at ${inc.address || 'unknown address'}`,
        onclick: () => this.onSelect?.(inc.id),
        onkeydown: (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); this.onSelect?.(inc.id); } },
      },
      selected ? el('circle', { cx: x, cy: y, r: 20, class: 'map-pulse' }) : null,
      el('path', { d: `M${x} ${y - r}L${x + r} ${y}L${x} ${y + r}L${x - r} ${y}Z` }),
      el('text', { x: x + r + 4, y: y + 4 }, `#${inc.id}`),
      el('title', {}, `#${inc.id} ${label(inc.type)} — ${inc.address || ''} (${label(inc.status)})`)));
    }

    L.overlay.append(scaleBar(proj.scale, H),
      el('text', { x: W - 16, y: 28, class: 'map-north', 'text-anchor': 'end' }, 'N ↑'));
  }
}
