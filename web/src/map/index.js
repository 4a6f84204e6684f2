// The situation map (一张图) every page uses: MapLibre GL JS drawing the offline base map, when
// the server has one, under the city's own layers — units by type and status (live, clustered
// when zoomed out), stations, incidents, water sources, key premises, engine coverage, CAP
// warning areas, fire-risk cells, review tracks and the field page's route. A dispatcher
// toggles the layers from the map's own list; pan, zoom, a scale bar and the attribution of the
// base map come with it. Without a base map it draws the city's layers on a plain background
// and says so.
//
// The contract the pages use (and the tests, through container.situationMap):
//   new SituationMap(container, {onSelect(incidentId), onUnitSelect(unitId), onLayerChange(name, on), mode})
//   whenReady, setUnits, updateUnit, setIncidents, setStations, setWaterSources, setPremises,
//   setCoverage, setWarnings, setRiskCells, setTracks, setRoute/clearRoute, select,
//   fitToIncident, fitAll, focus, setLayerVisible, layerVisible, renderedAt, unitPosition, destroy.

import { AttributionControl, LngLatBounds, Map as MapLibre, NavigationControl, ScaleControl, setWorkerUrl } from 'maplibre-gl';
import 'maplibre-gl/dist/maplibre-gl.css';
import './map.css';

import { locale, onLocaleChange, t } from '../lib/i18n.js';
import { BASEMAP_SOURCE, baseStyle, isBasemapLayer, loadBasemap, relabel } from './basemap.js';
import { LayerControl, NoticeControl, uiStrings } from './controls.js';
import {
  boundsOf, coverageFeatures, EMPTY, incidentFeatures, list, lonLat, outlinesOf, premiseFeatures, riskFeatures, routeFeatures,
  stationFeatures, trackFeatures, warningFeatures, waterFeatures,
} from './features.js';
import { fallbackIcon, installIcons } from './icons.js';
import { DEFAULT_VISIBLE, LAYERS, layers as overlayLayers, OFFERED, selectedFilter, sourceId, sources } from './overlays.js';
import { UnitLayer } from './units.js';

export { LAYERS } from './overlays.js';
export { COVERAGE_BANDS, coverageBand } from './features.js';

// MapLibre parses tiles in a module worker, which build.mjs copies beside the bundles.
setWorkerUrl('/dist/maplibre-gl-worker.mjs');

/** CJK_FONTS draw Chinese labels: the layer's font first, then these, then sans-serif. */
const CJK_FONTS = 'Noto Sans CJK SC, Source Han Sans SC, WenQuanYi Micro Hei, Microsoft YaHei, PingFang SC, sans-serif';

/** START is where the map looks before it knows better: the sample city, Liaocheng. */
const START = { center: [115.98, 36.45], zoom: 11 };

/** AREAS are the layers of shaded areas, drawn under the base map's streets. */
const AREAS = ['coverage', 'risk', 'warnings'];

/** The zoom fitToIncident brings the map to, at least. */
const INCIDENT_ZOOM = 15;

export class SituationMap {
  constructor(container, { onSelect, onUnitSelect, onLayerChange, mode = 'console' } = {}) {
    this.container = container;
    container.situationMap = this;
    container.classList.add('fl-map');
    this.mode = DEFAULT_VISIBLE[mode] ? mode : 'console';
    this.on = { select: onSelect, unit: onUnitSelect, layer: onLayerChange };
    this.visible = new Set(DEFAULT_VISIBLE[this.mode]);
    this.selected = 0;
    this.outlines = new Map(); // coverage cell → outline ring
    this.data = {}; // source name → FeatureCollection, kept until the map is ready
    this.incidentsById = new Map();
    this.stationPositions = [];
    this.fitted = false; // fitted to the data once; after that the user decides the view
    this.map = null;
    this.loaded = false;
    this.destroyed = false;
    this.units = new UnitLayer((units, lines) => {
      this.put('units', units);
      this.put('unit-lines', lines);
      this.autoFit();
    });
    this.stopLocale = onLocaleChange(() => this.relocale());
    this.ready = this.start();
  }

  /** whenReady resolves once the style is loaded and every overlay source is on the map. */
  whenReady() { return this.ready; }

  /** hasBasemap reports whether a base map is drawn (the server was given --basemap). */
  get hasBasemap() { return !!this.basemap; }

  async start() {
    this.basemap = await loadBasemap();
    if (this.destroyed) return;
    const center = this.basemap?.info.center;
    this.map = new MapLibre({
      container: this.container,
      style: baseStyle(this.basemap, locale()),
      center: center ? [center[0], center[1]] : START.center,
      zoom: START.zoom,
      attributionControl: false,
      locale: uiStrings(),
      localIdeographFontFamily: CJK_FONTS,
      // Symbols appear at once: a fade would repaint for 300 ms after every unit's move.
      fadeDuration: 0,
      // A dispatch map stays north up and flat.
      dragRotate: false, pitchWithRotate: false, touchPitch: false, maxPitch: 0,
    });
    this.map.touchZoomRotate.disableRotation();
    this.map.keyboard.disableRotation();
    this.map.on('styleimagemissing', (e) => fallbackIcon(this.map, e.id));
    this.map.on('error', (e) => this.failed(e));
    this.map.on('movestart', (e) => { if (e.originalEvent) this.fitted = true; });
    // A page may build the map in a view still hidden: it is fitted once it has a size.
    this.map.on('resize', () => this.autoFit());
    await new Promise((resolve) => this.map.once('load', resolve));
    if (this.destroyed) return;
    this.addOverlays();
    this.addControls();
    this.bindPointer();
    this.loaded = true;
    for (const [name, data] of Object.entries(this.data)) this.source(name)?.setData(data);
    this.units.dirty = true;
    this.units.flush();
    this.autoFit();
  }

  addOverlays() {
    installIcons(this.map);
    for (const [id, spec] of Object.entries(sources())) this.map.addSource(id, spec);
    const groups = overlayLayers(this.selected);
    // Shaded areas go under the base map's streets, which stay readable through them.
    const streets = this.map.getStyle().layers.find((l) => isBasemapLayer(l) && l['source-layer'] === 'roads')?.id;
    this.layerIds = {};
    for (const name of LAYERS) {
      this.layerIds[name] = groups[name].map((l) => l.id);
      const before = AREAS.includes(name) ? streets : undefined;
      for (const l of groups[name]) {
        this.map.addLayer({ ...l, layout: { ...l.layout, visibility: this.visible.has(name) ? 'visible' : 'none' } }, before);
      }
    }
  }

  addControls() {
    this.layerControl = new LayerControl(OFFERED[this.mode], (n) => this.layerVisible(n), (n, on) => {
      this.setLayerVisible(n, on);
      this.on.layer?.(n, on);
      this.container.dispatchEvent(new CustomEvent('fl-layerchange', { detail: { name: n, visible: on } }));
    });
    this.notice = new NoticeControl();
    this.map.addControl(this.layerControl, 'top-right');
    this.map.addControl(this.notice, 'top-left');
    this.addMapLibreControls();
    this.notice.show(this.basemap ? '' : 'map.notice.noBasemap');
  }

  /** addMapLibreControls adds zoom, scale and attribution, which take their texts when added. */
  addMapLibreControls() {
    this.nav = new NavigationControl({ showCompass: false });
    this.scale = new ScaleControl({ unit: 'metric' });
    this.map.addControl(this.nav, 'top-right');
    this.map.addControl(this.scale, 'bottom-left');
    if (this.basemap) {
      this.attribution = new AttributionControl({ compact: false, customAttribution: t('map.attribution') });
      this.map.addControl(this.attribution, 'bottom-right');
    }
  }

  bindPointer() {
    const m = this.map;
    m.on('click', 'fl-incidents', (e) => this.on.select?.(e.features[0].properties.id));
    m.on('click', 'fl-units', (e) => this.on.unit?.(e.features[0].properties.id));
    m.on('click', 'fl-units-cluster', async (e) => {
      const f = e.features[0];
      const zoom = await this.source('units').getClusterExpansionZoom(f.properties.cluster_id);
      m.easeTo({ center: f.geometry.coordinates, zoom });
    });
    for (const id of ['fl-incidents', 'fl-units', 'fl-units-cluster']) {
      m.on('mouseenter', id, () => { m.getCanvas().style.cursor = 'pointer'; });
      m.on('mouseleave', id, () => { m.getCanvas().style.cursor = ''; });
    }
  }

  /** failed shows a base map that cannot be read (a removed file) as a notice, once. */
  failed(e) {
    if (e.sourceId === BASEMAP_SOURCE || String(e.error?.message || '').includes('pmtiles')) {
      this.notice?.show('map.notice.basemapFailed');
    }
    console.warn('map:', e.error?.message || e);
  }

  /** relocale redraws what has words in it after a language switch. */
  relocale() {
    if (!this.loaded) return;
    const m = this.map;
    Object.assign(m._locale, uiStrings()); // read by MapLibre's controls as they are added
    m.getCanvas().setAttribute('aria-label', t('map.title'));
    for (const c of [this.nav, this.scale, this.attribution]) if (c) m.removeControl(c);
    this.addMapLibreControls();
    this.layerControl.translate();
    this.notice.render();
    installIcons(m);
    if (this.basemap) relabel(m, locale());
  }

  source(name) { return this.loaded ? this.map.getSource(sourceId(name)) : null; }

  /** put gives a source its data now, or when the map is ready. */
  put(name, data) {
    this.data[name] = data;
    this.source(name)?.setData(data);
  }

  // ---- data ----------------------------------------------------------------------------------

  /** setUnits replaces every unit: GET /units's answer or its list. */
  setUnits(units) { this.units.setAll(list(units, 'units')); }

  /** updateUnit takes one unit's change (position, status…); drawn with others at the next frame. */
  updateUnit(unit) { this.units.update(unit); }

  /** setIncidents draws the open incidents (GET /incidents). */
  setIncidents(incidents) {
    const all = list(incidents, 'incidents');
    this.incidentsById = new Map(all.map((i) => [i.id, lonLat(i.location)]).filter(([, p]) => p));
    this.units.setIncidents(this.incidentsById);
    this.put('incidents', incidentFeatures(all));
    this.autoFit();
  }

  setStations(stations) {
    const data = stationFeatures(list(stations, 'stations'));
    this.stationPositions = data.features.map((f) => f.geometry.coordinates);
    this.put('stations', data);
    this.autoFit();
  }

  setWaterSources(sources) { this.put('water', waterFeatures(list(sources, 'water_sources'))); }

  setPremises(premises) { this.put('premises', premiseFeatures(list(premises, 'premises'))); }

  /**
   * setCoverage shades the coverage cells of a GET /coverage answer. With ?shapes=true its
   * outlines are kept for the answers after it; cells without an outline are drawn as dots. It
   * returns how many cells have no outline: ask again with shapes when that is not 0.
   */
  setCoverage(answer) {
    if (answer?.shapes) this.outlines = outlinesOf(answer.shapes);
    this.coverage = answer;
    const { data, missing } = coverageFeatures(answer, this.outlines);
    this.put('coverage', data);
    return missing;
  }

  /** setShapes keeps the coverage cells' outlines ({cell, boundary}) and redraws. */
  setShapes(shapes) {
    this.outlines = outlinesOf(shapes);
    return this.coverage ? this.setCoverage(this.coverage) : 0;
  }

  /** hasShapes reports whether the coverage cells' outlines are known. */
  get hasShapes() { return this.outlines.size > 0; }

  /** setWarnings draws the areas of the CAP warnings in force (GET /warnings, or /readiness?shapes=true). */
  setWarnings(answer) { this.put('warnings', warningFeatures(answer)); }

  /** setRiskCells draws fire-risk cells ({cell, boundary, level}), as GET /risk/cells?shapes=true lists them. */
  setRiskCells(cells) { this.put('risk', riskFeatures(cells)); }

  /** setTracks draws units' tracks ([{unit_id, points: [{lat, lon, at}]}]) and fits the map to them. */
  setTracks(tracks) {
    const data = trackFeatures(tracks);
    this.put('tracks', data);
    const b = boundsOf(data.features.flatMap((f) => (f.geometry.type === 'Point' ? [f.geometry.coordinates] : f.geometry.coordinates)));
    if (b) this.fit(b);
  }

  /** setRoute draws the line from a unit ({lat, lon}) to its incident and brings both into view. */
  setRoute(from, to) {
    this.put('route', routeFeatures(from, to));
    const b = boundsOf([lonLat(from), lonLat(to)].filter(Boolean));
    if (b) this.fit(b);
  }

  clearRoute() { this.put('route', EMPTY); }

  // ---- view ----------------------------------------------------------------------------------

  /** select highlights an incident (0 or null: none). */
  select(incidentId) {
    this.selected = incidentId || 0;
    if (this.loaded) this.map.setFilter('fl-incidents-selected', selectedFilter(this.selected));
  }

  /** fitToIncident centres the map on an incident, close enough to see its streets. */
  fitToIncident(incidentId) {
    const at = this.incidentsById.get(incidentId);
    if (!at || !this.map) return false;
    this.fitted = true;
    this.map.easeTo({ center: at, zoom: Math.max(this.map.getZoom(), INCIDENT_ZOOM), duration: 400 });
    return true;
  }

  /** fitAll brings every unit, station and open incident into view. */
  fitAll() {
    const b = boundsOf([...this.units.positions(), ...this.incidentsById.values(), ...this.stationPositions]);
    if (b) this.fit(b);
  }

  fit(bounds) {
    this.fitted = true;
    if (!this.map) return;
    this.map.fitBounds(new LngLatBounds(bounds), { padding: 40, maxZoom: 16, duration: 0 });
  }

  /** autoFit fits the view to the city the first time there is something to show. */
  autoFit() {
    if (this.fitted || !this.loaded || this.mode === 'review') return;
    if (!this.container.clientWidth || !this.container.clientHeight) return;
    // Units are drawn at the next frame, which calls this again.
    if (!this.units.positions().length && !this.stationPositions.length && !this.incidentsById.size) return;
    this.fitAll();
  }

  /** focus gives the keyboard to the map: arrows pan, + and − zoom. */
  focus() { (this.map ? this.map.getCanvas() : this.container).focus(); }

  /** setLayerVisible shows or hides a layer by its LAYERS name. */
  setLayerVisible(name, on) {
    if (!LAYERS.includes(name)) throw new Error(`map: no layer ${name}`);
    if (on) this.visible.add(name);
    else this.visible.delete(name);
    this.layerControl?.sync(name, on);
    if (!this.loaded) return;
    for (const id of this.layerIds[name]) this.map.setLayoutProperty(id, 'visibility', on ? 'visible' : 'none');
  }

  layerVisible(name) { return this.visible.has(name); }

  /**
   * renderedAt lists what is drawn within a few pixels of a point in view: [{layer, properties}]
   * with layer a LAYERS name or "basemap" (then sourceLayer says which, e.g. roads). layerName
   * narrows it to one of them.
   */
  renderedAt(point, layerName) {
    const at = lonLat(point);
    if (!at || !this.loaded) return [];
    const p = this.map.project(at);
    const box = [[p.x - 3, p.y - 3], [p.x + 3, p.y + 3]];
    let ids;
    if (layerName === 'basemap') ids = this.map.getStyle().layers.filter(isBasemapLayer).map((l) => l.id);
    else if (layerName) ids = this.layerIds[layerName] || [];
    if (ids && !ids.length) return [];
    const features = this.map.queryRenderedFeatures(box, ids ? { layers: ids } : undefined);
    return features.map((f) => ({
      layer: this.layerOf(f.layer.id), styleLayer: f.layer.id, sourceLayer: f.sourceLayer || null, properties: { ...f.properties },
    }));
  }

  layerOf(styleLayerId) {
    for (const [name, ids] of Object.entries(this.layerIds)) if (ids.includes(styleLayerId)) return name;
    return styleLayerId === 'background' ? 'background' : 'basemap';
  }

  /** unitPosition is where the map draws a unit now, {lat, lon}, or null. */
  unitPosition(unitId) { return this.units.position(unitId); }

  destroy() {
    this.destroyed = true;
    this.stopLocale();
    this.units.stop();
    this.map?.remove();
    this.map = null;
    this.loaded = false;
    if (this.container.situationMap === this) delete this.container.situationMap;
  }
}
