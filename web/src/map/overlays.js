// overlays: the sample city's own layers drawn over the base map — their GeoJSON sources and
// style layers, grouped under the names a dispatcher toggles (LAYERS). Symbols come from
// icons.js; text is drawn by MapLibre with the machine's fonts (the style has no glyphs URL).

import { COVERAGE_BANDS } from './features.js';
import { PRIORITY_COLORS, STATUS_COLORS } from './icons.js';

/** LAYERS are the overlay layers by name, bottom to top. */
export const LAYERS = Object.freeze(['coverage', 'risk', 'warnings', 'tracks', 'route', 'water', 'premises', 'units', 'stations', 'incidents']);

/** SOURCES are the overlay sources, each filled by one setter of SituationMap. */
export const SOURCES = Object.freeze(['coverage', 'risk', 'warnings', 'tracks', 'route', 'water', 'premises', 'stations', 'unit-lines', 'units', 'incidents']);

export const sourceId = (name) => `fl-${name}`;

/** TEXT_FONT names fonts the machine may have; MapLibre falls back to sans-serif. */
const TEXT_FONT = ['Noto Sans Regular'];
const TEXT_FONT_BOLD = ['Noto Sans Bold'];

const halo = { 'text-color': '#1b232c', 'text-halo-color': '#ffffff', 'text-halo-width': 1.5 };

/** CLUSTER_MAX_ZOOM is the last zoom at which nearby units merge into a count. */
export const CLUSTER_MAX_ZOOM = 11;

/** sources returns the overlay sources, empty. */
export function sources() {
  const empty = { type: 'FeatureCollection', features: [] };
  const out = {};
  for (const name of SOURCES) out[sourceId(name)] = { type: 'geojson', data: empty };
  out[sourceId('units')] = { type: 'geojson', data: empty, cluster: true, clusterRadius: 36, clusterMaxZoom: CLUSTER_MAX_ZOOM };
  out[sourceId('incidents')] = { type: 'geojson', data: empty, promoteId: 'id' };
  return out;
}

/** match picks a value by a string property; matchNum by a numeric one. */
const match = (prop, table, fallback) => ['match', ['get', prop], ...Object.entries(table).flat(), fallback];
const matchNum = (prop, table, fallback) => ['match', ['get', prop], ...Object.entries(table).flatMap(([k, v]) => [Number(k), v]), fallback];

/**
 * layers returns the overlay style layers by LAYERS name: each a list of MapLibre layers,
 * bottom to top. selected is the selected incident's id (0: none).
 */
export function layers(selected = 0) {
  const src = sourceId;
  const polygon = ['==', ['geometry-type'], 'Polygon'];
  const isPoint = ['==', ['geometry-type'], 'Point'];
  const bandColor = match('band', Object.fromEntries(COVERAGE_BANDS.map((b) => [b.band, b.color])), '#888888');
  // Stronger where more people live; fainter close in, where the streets matter more.
  const byWeight = ['match', ['get', 'w'], 1, 0.2, 2, 0.32, 3, 0.48, 0.1];
  return {
    coverage: [
      { id: 'fl-coverage-fill', type: 'fill', source: src('coverage'), filter: polygon,
        paint: { 'fill-color': bandColor, 'fill-opacity': ['interpolate', ['linear'], ['zoom'], 13, byWeight, 16, ['*', 0.4, byWeight]] } },
      // Gaps are outlined as well as shaded, so they read without their colour.
      { id: 'fl-coverage-gap', type: 'line', source: src('coverage'), filter: ['all', polygon, ['get', 'gap']],
        paint: { 'line-color': '#8c1d24', 'line-width': 0.8, 'line-opacity': 0.7, 'line-dasharray': [2, 1.5] } },
      { id: 'fl-coverage-dot', type: 'circle', source: src('coverage'), filter: isPoint,
        paint: { 'circle-color': bandColor, 'circle-opacity': 0.55, 'circle-radius': ['interpolate', ['exponential', 2], ['zoom'], 9, 2, 13, 12, 16, 96],
          'circle-stroke-width': ['case', ['get', 'gap'], 1, 0], 'circle-stroke-color': '#8c1d24' } },
    ],
    risk: [
      { id: 'fl-risk-fill', type: 'fill', source: src('risk'), filter: polygon,
        paint: { 'fill-color': ['interpolate', ['linear'], ['get', 'level'], 1, '#ffe066', 3, '#f08c00', 5, '#c92a2a'], 'fill-opacity': ['interpolate', ['linear'], ['get', 'level'], 1, 0.12, 5, 0.45] } },
      { id: 'fl-risk-line', type: 'line', source: src('risk'), filter: polygon,
        paint: { 'line-color': '#c92a2a', 'line-width': ['interpolate', ['linear'], ['get', 'level'], 1, 0.3, 5, 1.5], 'line-opacity': 0.6 } },
      { id: 'fl-risk-dot', type: 'circle', source: src('risk'), filter: isPoint,
        paint: { 'circle-color': '#f08c00', 'circle-opacity': 0.5, 'circle-radius': ['*', 2, ['get', 'level']] } },
    ],
    warnings: [
      { id: 'fl-warnings-fill', type: 'fill', source: src('warnings'),
        paint: { 'fill-color': matchNum('readiness', { 1: '#d9a400', 2: '#e8883a', 3: '#e0453a' }, '#e0453a'), 'fill-opacity': matchNum('readiness', { 1: 0.06, 2: 0.1, 3: 0.14 }, 0.14) } },
      // The outline's dashes and width grow with readiness: the level reads without colour.
      { id: 'fl-warnings-line', type: 'line', source: src('warnings'),
        paint: { 'line-color': matchNum('readiness', { 1: '#b38600', 2: '#d0701f', 3: '#c0392b' }, '#c0392b'),
          'line-width': matchNum('readiness', { 1: 1, 2: 2, 3: 3 }, 3), 'line-dasharray': [3, 2] } },
    ],
    tracks: [
      { id: 'fl-tracks-line', type: 'line', source: src('tracks'), filter: ['==', ['geometry-type'], 'LineString'],
        layout: { 'line-join': 'round', 'line-cap': 'round' },
        paint: { 'line-color': ['get', 'color'], 'line-width': 3, 'line-opacity': 0.85 } },
      { id: 'fl-tracks-end', type: 'circle', source: src('tracks'), filter: isPoint,
        paint: { 'circle-color': ['get', 'color'], 'circle-radius': 5, 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 2 } },
      { id: 'fl-tracks-label', type: 'symbol', source: src('tracks'), filter: isPoint,
        layout: { 'text-field': ['get', 'unit_id'], 'text-font': TEXT_FONT_BOLD, 'text-size': 12, 'text-offset': [0, 1.2], 'text-anchor': 'top', 'text-optional': true },
        paint: halo },
    ],
    route: [
      { id: 'fl-route-casing', type: 'line', source: src('route'), filter: ['==', ['get', 'part'], 'line'],
        layout: { 'line-cap': 'round' }, paint: { 'line-color': '#ffffff', 'line-width': 8 } },
      { id: 'fl-route-line', type: 'line', source: src('route'), filter: ['==', ['get', 'part'], 'line'],
        layout: { 'line-cap': 'round' }, paint: { 'line-color': '#1f6fd1', 'line-width': 4, 'line-dasharray': [2, 1] } },
      { id: 'fl-route-ends', type: 'circle', source: src('route'), filter: ['!=', ['get', 'part'], 'line'],
        paint: { 'circle-radius': 7, 'circle-color': match('part', { from: '#1f6fd1', to: '#e5484d' }, '#1f6fd1'), 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 2 } },
    ],
    water: [
      { id: 'fl-water', type: 'symbol', source: src('water'), minzoom: 12,
        layout: { 'icon-image': ['get', 'icon'], 'icon-allow-overlap': true, 'icon-size': ['interpolate', ['linear'], ['zoom'], 12, 0.7, 16, 1.1] } },
    ],
    premises: [
      { id: 'fl-premises', type: 'symbol', source: src('premises'),
        layout: { 'icon-image': 'premise', 'icon-allow-overlap': true, 'text-field': ['step', ['zoom'], '', 14, ['get', 'name']],
          'text-font': TEXT_FONT, 'text-size': 12, 'text-offset': [0, 1.1], 'text-anchor': 'top', 'text-optional': true, 'text-max-width': 10 },
        paint: halo },
    ],
    // Above the units, whose badges stand on their stations: the station sits at the badge's
    // upper left, its name to the left of it.
    stations: [
      { id: 'fl-stations', type: 'symbol', source: src('stations'),
        layout: { 'icon-image': 'station', 'icon-allow-overlap': true, 'icon-ignore-placement': true, 'icon-anchor': 'bottom-right', 'icon-offset': [-6, -4],
          'text-field': ['step', ['zoom'], '', 12, ['get', 'name']], 'text-font': TEXT_FONT_BOLD, 'text-size': 12,
          'text-anchor': 'right', 'text-offset': [-2.4, -1.1], 'text-optional': true, 'text-max-width': 10 },
        paint: halo },
    ],
    units: [
      { id: 'fl-unit-lines', type: 'line', source: src('unit-lines'),
        paint: { 'line-color': match('status', STATUS_COLORS, '#5c6773'), 'line-width': 1.5, 'line-dasharray': [3, 3], 'line-opacity': 0.8 } },
      { id: 'fl-units-cluster', type: 'circle', source: src('units'), filter: ['has', 'point_count'],
        paint: { 'circle-color': '#24313f', 'circle-opacity': 0.9, 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 2,
          'circle-radius': ['step', ['get', 'point_count'], 13, 10, 17, 50, 22] } },
      { id: 'fl-units-count', type: 'symbol', source: src('units'), filter: ['has', 'point_count'],
        layout: { 'text-field': ['to-string', ['get', 'point_count']], 'text-font': TEXT_FONT_BOLD, 'text-size': 12, 'text-allow-overlap': true },
        paint: { 'text-color': '#ffffff' } },
      { id: 'fl-units', type: 'symbol', source: src('units'), filter: ['!', ['has', 'point_count']],
        layout: { 'icon-image': ['get', 'icon'], 'icon-allow-overlap': true, 'icon-ignore-placement': true,
          'text-field': ['step', ['zoom'], '', 14, ['get', 'id']], 'text-font': TEXT_FONT, 'text-size': 11,
          'text-offset': [0, 1.3], 'text-anchor': 'top', 'text-optional': true },
        paint: halo },
    ],
    incidents: [
      { id: 'fl-incidents-selected', type: 'circle', source: src('incidents'), filter: ['==', ['get', 'id'], selected],
        paint: { 'circle-radius': 22, 'circle-color': 'rgba(229, 72, 77, 0.18)', 'circle-stroke-color': '#e5484d', 'circle-stroke-width': 3 } },
      { id: 'fl-incidents', type: 'symbol', source: src('incidents'),
        layout: { 'icon-image': ['get', 'icon'], 'icon-allow-overlap': true, 'icon-ignore-placement': true,
          'icon-size': ['interpolate', ['linear'], ['get', 'level'], 1, 0.85, 5, 1.35],
          'symbol-sort-key': ['-', 10, ['get', 'priority']],
          'text-field': ['get', 'label'], 'text-font': TEXT_FONT_BOLD, 'text-size': 13, 'text-offset': [1.1, 0], 'text-anchor': 'left',
          'text-allow-overlap': true },
        paint: { ...halo, 'text-color': matchNum('priority', Object.fromEntries(PRIORITY_COLORS.map((c, i) => [i, c]).slice(1)), '#1b232c') } },
    ],
  };
}

/** selectedFilter is the filter of the selected incident's halo. */
export const selectedFilter = (id) => ['==', ['get', 'id'], id || 0];

/** DEFAULT_VISIBLE are the layers each page shows at first. */
export const DEFAULT_VISIBLE = Object.freeze({
  console: ['warnings', 'water', 'premises', 'stations', 'units', 'incidents'],
  field: ['route', 'water', 'premises', 'stations', 'units', 'incidents'],
  review: ['tracks', 'stations', 'incidents'],
});

/** OFFERED are the layers each page's layer control lists. */
export const OFFERED = Object.freeze({
  console: ['units', 'incidents', 'stations', 'water', 'premises', 'coverage', 'warnings', 'risk'],
  field: ['units', 'incidents', 'route', 'water', 'premises', 'stations', 'warnings'],
  review: ['tracks', 'incidents', 'stations', 'units', 'water', 'premises', 'coverage', 'warnings', 'risk'],
});
