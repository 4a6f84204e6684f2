// The console's situation map (map/index.js, one map for every page): it is fed from the store —
// units as they move (updateUnit for each changed unit, cheap under AVL load), incidents,
// stations, water sources, key premises, engine coverage and CAP warning areas — and selecting an
// incident on it opens the incident; opening one selects it on the map and fits the view to it.

import { $ } from '../lib/common.js';
import { SituationMap } from '../map/index.js';
import { state, on } from './store.js';
import { openIncident } from './nav.js';
import { invalidate } from './api.js';

let map = null;
let unitsSent = 0; // how many units the map was given whole; a change of count sends the list again
let lastCoverage = null;
let lastWarnings = null;

/** situation is the console's map (null before setupMap). */
export function situation() {
  return map;
}

function incidents() {
  const list = [...state.incidents];
  if (state.detail && !list.some((i) => i.id === state.detail.id)) list.push(state.detail);
  return list;
}

function sendUnits() {
  if (!state.units.length) return;
  const moved = state.movedUnits;
  state.movedUnits = null;
  if (!unitsSent || unitsSent !== state.units.length || !moved) {
    map.setUnits(state.units);
    unitsSent = state.units.length;
    return;
  }
  for (const u of moved) map.updateUnit(u);
}

function selectOnMap(fit) {
  if (state.selectedId === null) return;
  map.select(state.selectedId);
  if (fit) map.fitToIncident(state.selectedId);
}

/** focusMap moves the keyboard focus to the map (M). */
export function focusMap() {
  map?.focus();
}

/** setupMap builds the map in #map and feeds it. */
export function setupMap() {
  const container = $('#map');
  map = new SituationMap(container, {
    mode: 'console',
    onSelect: (id) => openIncident(Number(id)),
    onUnitSelect: (unitId) => {
      const u = state.unitsById.get(unitId);
      if (u?.incident_id) openIncident(u.incident_id);
      else document.querySelector(`[data-testid="unit-status"][data-unit-id="${CSS.escape(unitId)}"]`)?.scrollIntoView({ block: 'nearest' });
    },
  });
  on('units', sendUnits);
  on(['incidents', 'detail'], () => {
    map.setIncidents(incidents());
    selectOnMap(false);
  });
  on('selection', () => {
    map.setIncidents(incidents());
    selectOnMap(true);
  });
  // The detail of an incident opened from the address bar arrives after it is selected.
  on('detail', () => {
    if (state.detail && state.detail.id === state.selectedId && !state.incidents.some((i) => i.id === state.detail.id)) selectOnMap(true);
  });
  on('stations', () => map.setStations(state.stations));
  on('water', () => map.setWaterSources(state.water));
  on('premises', () => map.setPremises(state.premises));
  on('coverage', () => {
    if (state.coverageAnswer && state.coverageAnswer !== lastCoverage) {
      lastCoverage = state.coverageAnswer;
      // Cells the map has no outline for (a station added or moved): the next fetch brings them.
      const missing = map.setCoverage(state.coverageAnswer);
      state.coverageNeedsShapes = missing > 0 && !state.coverageAnswer.shapes;
      if (state.coverageNeedsShapes) invalidate('coverage');
    }
  });
  on('warnings', () => {
    if (state.warnings && state.warnings !== lastWarnings) {
      lastWarnings = state.warnings;
      map.setWarnings(state.warnings);
    }
  });
  on('session', () => {
    if (state.user) return;
    unitsSent = 0;
    lastCoverage = null;
    lastWarnings = null;
    map.setUnits([]);
    map.setIncidents([]);
  });
  return map;
}

/** showCoverageFor turns the coverage layer on for a role that watches it (supervisors). */
export function showCoverageFor(role) {
  if (role === 'supervisor' && map && !map.layerVisible('coverage')) map.setLayerVisible('coverage', true);
}
