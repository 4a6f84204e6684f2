// The situation map: stations, units and incidents drawn on an SVG by their WGS-84 positions
// with an equirectangular projection (x scaled by cos of the mid latitude) fitted to what there
// is to show. A city is small enough that this is accurate to a few metres, and it needs no tile
// server, so the map works with no internet at all.

import { el, label } from './common.js';

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
  return { project, scale, bounds: { minLat, maxLat, minLng, maxLng } };
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
function graticule(proj, W, H) {
  const g = el('g', { class: 'map-grid', 'aria-hidden': 'true' });
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
  return g;
}

/**
 * renderMap redraws svg with the given stations, units and incidents. Incident markers are
 * buttons: onSelect(id) is called when one is chosen.
 */
export function renderMap(svg, { units = [], incidents = [], stations = [], selectedId = null }, onSelect) {
  // The view box is the element's own size, so markers and labels keep their size in pixels.
  const W = Math.max(320, Math.round(svg.clientWidth) || 1000);
  const H = Math.max(200, Math.round(svg.clientHeight) || 640);
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  const unitPoints = units.map((u) => u.location).filter(valid);
  const incidentPoints = incidents.map((i) => i.location).filter(valid);
  // Fitted to the units (the service area); open incidents are included so none falls off.
  const fit = unitPoints.length ? [...unitPoints, ...incidentPoints] : [...stations.map((s) => s.location).filter(valid), ...incidentPoints];
  if (!fit.length) {
    svg.replaceChildren(el('text', { x: W / 2, y: H / 2, class: 'map-empty', 'text-anchor': 'middle' }, 'No positions to show yet'));
    return;
  }
  const proj = projection(fit, W, H);

  const lines = el('g', { class: 'map-lines', 'aria-hidden': 'true' });
  for (const u of units) {
    const inc = incidents.find((i) => i.id === u.incident_id);
    if (!inc || !valid(u.location) || !valid(inc.location)) continue;
    const [x1, y1] = proj.project(u.location), [x2, y2] = proj.project(inc.location);
    lines.append(el('line', { x1, y1, x2, y2, class: `status-${u.status}` }));
  }

  const stationLayer = el('g', { class: 'map-stations' });
  for (const s of stations.filter((s) => valid(s.location))) {
    const [x, y] = proj.project(s.location);
    stationLayer.append(el('rect', { x: x - 5, y: y - 5, width: 10, height: 10, rx: 2 }, el('title', {}, `${s.name} (${s.id})`)));
  }

  const unitLayer = el('g', { class: 'map-units' });
  for (const u of units.filter((u) => valid(u.location))) {
    const [x, y] = proj.project(u.location);
    unitLayer.append(el('circle', { cx: x, cy: y, r: u.type === 'command' ? 6.5 : 5, class: `status-${u.status}`, 'data-unit-id': u.id },
      el('title', {}, `${u.name || u.id} — ${label(u.type)}, ${label(u.status)}${u.incident_id ? `, incident #${u.incident_id}` : ''}`)));
  }

  const incidentLayer = el('g', { class: 'map-incidents' });
  for (const inc of incidents.filter((i) => valid(i.location))) {
    const [x, y] = proj.project(inc.location);
    const selected = inc.id === selectedId;
    const r = selected ? 12 : 9;
    const marker = el('g', {
      class: `map-incident${selected ? ' selected' : ''}`, tabindex: 0, role: 'button', 'data-incident-id': inc.id,
      'aria-label': `Incident ${inc.id}: ${label(inc.type)} at ${inc.address || 'unknown address'}`,
      onclick: () => onSelect?.(inc.id),
      onkeydown: (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); onSelect?.(inc.id); } },
    },
    selected ? el('circle', { cx: x, cy: y, r: 20, class: 'map-pulse' }) : null,
    el('path', { d: `M${x} ${y - r}L${x + r} ${y}L${x} ${y + r}L${x - r} ${y}Z` }),
    el('text', { x: x + r + 4, y: y + 4 }, `#${inc.id}`),
    el('title', {}, `#${inc.id} ${label(inc.type)} — ${inc.address || ''} (${label(inc.status)})`));
    incidentLayer.append(marker);
  }

  svg.replaceChildren(
    el('rect', { x: 0, y: 0, width: W, height: H, class: 'map-bg' }),
    graticule(proj, W, H), lines, stationLayer, unitLayer, incidentLayer, scaleBar(proj.scale, H),
    el('text', { x: W - 16, y: 28, class: 'map-north', 'text-anchor': 'end' }, 'N ↑'));
}
