// The field page, for the phone or tablet of a crew or a mobile command unit: the unit and its
// incident (address, hazards of key premises, water nearby, a map with the straight line from
// the unit to the scene), big status buttons, the device's position reported as the unit's,
// and the scene camera published to the command centre over WHIP. Live updates come over the
// event stream; a lost connection is shown until it recovers by itself.
//
// This module wires the parts together and holds what the page knows: the unit, its incident
// and what is near the scene.

import './field.css';
import { Client, LiveEvents, Session, loadIncidentTypes, $ } from '../lib/common.js';
import { languageSwitcher, onLocaleChange, t, tEnum, translate } from '../lib/i18n.js';
import { CameraPanel } from './camera.js';
import { bindLogin, isCrew, showField, showLogin } from './login.js';
import { errorText, LiveState, Notices } from './notices.js';
import { PositionReporter } from './position.js';
import { RouteMap } from './routemap.js';
import { renderHazards, renderIncident, renderStatusSince, renderUnit, renderWater } from './scene.js';
import { StatusButtons } from './status.js';

const session = new Session('fireline.field');
const notices = new Notices($('#messages'));
const client = new Client(session, { onUnauthorized: () => signOut(t('field.login.ended')) });
const liveState = new LiveState($('#sse-state'), $('#connection-lost'));
const live = new LiveEvents(session, {
  onState: (s) => liveState.set(s),
  // Notices sent while the stream was down are lost: read everything again.
  onOpen: () => refresh({ nearby: true }),
  onChange: (kind, change) => {
    const unit = state.unit;
    if (kind === 'unit' && change.id === session.user?.unit_id) refresh();
    // A change's id is a string (fireline.Change), the unit's incident_id a number.
    else if (kind === 'incident' && unit?.incident_id && String(change.id) === String(unit.incident_id)) refresh();
  },
  verify: () => client.get('/api/v1/auth/me'),
});

/**
 * state is what the page knows: the unit, its incident, and what is near the scene (nearbyFor
 * is the incident that answer is about; nearbyStale asks for it again after a reconnection).
 */
const state = { unit: null, incident: null, nearby: null, nearbyFor: 0, nearbyError: '', nearbyStale: false };

const position = new PositionReporter(client, {
  onChange: () => position.render($('#position')),
  onFix: (fix) => routeMap.moveUnit(fix),
});
const camera = new CameraPanel(client, session, notices);
const routeMap = new RouteMap($('#map-section'));
const buttons = new StatusButtons($('#status-buttons'), (s) => setStatus(s));
let ticker = null;

function main() {
  translate(document);
  languageSwitcher($('#language'));
  onLocaleChange(() => {
    liveState.render();
    camera.render();
    position.render($('#position'));
    if (session.user) showField(session.user);
    render();
  });
  bindLogin(client, session, enter);
  $('#sign-out').addEventListener('click', async () => { await client.logout(); signOut(); });
  $('#position-toggle').addEventListener('click', () => position.toggle());
  liveState.render();
  camera.render();
  position.render($('#position'));
  if (session.signedIn && isCrew(session.user)) enter();
  else showLogin();
}

// ---- signing in and out ----------------------------------------------------------------------

function enter() {
  showField(session.user);
  liveState.setSignedIn(true);
  live.start();
  loadIncidentTypes(client);
  refresh({ nearby: true });
  position.start(session.user.unit_id);
  clearInterval(ticker);
  // The fix's age and the time in status move on their own.
  ticker = setInterval(() => {
    position.render($('#position'));
    renderStatusSince(state.unit);
  }, 1000);
}

async function signOut(note = '') {
  live.stop();
  liveState.setSignedIn(false);
  position.reset();
  clearInterval(ticker);
  await camera.stop();
  Object.assign(state, { unit: null, incident: null, nearby: null, nearbyFor: 0, nearbyError: '', nearbyStale: false });
  session.clear();
  notices.clear();
  showLogin(note);
}

// ---- reading the unit and its incident -------------------------------------------------------

let loading = null;
let again = false;

/**
 * refresh reads the unit and its incident again (and what is near the scene when the incident
 * changed, or with nearby). Calls while one runs are folded into one more run after it.
 */
function refresh({ nearby = false } = {}) {
  if (nearby) state.nearbyStale = true;
  if (loading) {
    again = true;
    return loading;
  }
  loading = (async () => {
    do {
      again = false;
      await load();
    } while (again);
  })().finally(() => { loading = null; });
  return loading;
}

async function load() {
  const id = session.user?.unit_id;
  if (!id) return;
  try {
    const unit = await client.get(`/api/v1/units/${encodeURIComponent(id)}`);
    let incident = null;
    if (unit.incident_id) {
      // The crew may read the incident its unit is on: where to go and what is burning.
      incident = await client.get(`/api/v1/incidents/${unit.incident_id}`).catch((err) => {
        if (err.status !== 401) notices.error(t('field.error.loadIncident', { id: unit.incident_id, detail: errorText(err) }));
        return null;
      });
    }
    if (!session.user) return; // signed out meanwhile
    state.unit = unit;
    state.incident = incident;
    if (buttons.awaiting === unit.status) buttons.awaiting = '';
    if (!unit.incident_id) Object.assign(state, { nearby: null, nearbyFor: 0, nearbyError: '' });
    else if (state.nearbyFor !== unit.incident_id || state.nearbyStale) loadNearby(unit.incident_id);
    render();
  } catch (err) {
    if (err.status !== 401) notices.error(t('field.error.loadUnit', { id, detail: errorText(err) }));
  }
}

/** loadNearby reads the water sources and key premises around the incident's point. */
async function loadNearby(incidentId) {
  if (state.nearbyFor !== incidentId) Object.assign(state, { nearby: null, nearbyError: '' });
  state.nearbyFor = incidentId;
  state.nearbyStale = false;
  try {
    const nearby = await client.get(`/api/v1/incidents/${incidentId}/nearby`);
    if (state.nearbyFor !== incidentId) return;
    Object.assign(state, { nearby, nearbyError: '' });
  } catch (err) {
    if (state.nearbyFor !== incidentId || err.status === 401) return;
    state.nearbyError = errorText(err);
  }
  render();
}

// ---- drawing ---------------------------------------------------------------------------------

function render() {
  const { unit, incident, nearby, nearbyError } = state;
  if (!unit) return;
  renderUnit(unit);
  renderIncident(unit, incident);
  buttons.render(unit);
  const onIncident = Boolean(unit.incident_id);
  $('#hazards').hidden = !onIncident;
  $('#water').hidden = !onIncident;
  if (onIncident) {
    renderHazards(nearby, nearbyError);
    renderWater(nearby, nearbyError);
  }
  routeMap.show({ unit, incident: onIncident ? incident : null, from: position.current, water: nearby?.water_sources });
  camera.setIncident(unit.incident_id);
}

// ---- reporting a status ----------------------------------------------------------------------

/**
 * setStatus reports a status: the device's latest fix first (the status API takes no position,
 * the position API does), then the status. The change comes back over the event stream; a
 * refresh after two seconds covers a lost notice.
 */
async function setStatus(status) {
  const unit = state.unit;
  if (!unit || buttons.pending) return;
  buttons.pending = status;
  buttons.render(unit);
  try {
    await position.sendLatest();
    await client.post(`/api/v1/units/${encodeURIComponent(unit.id)}/status`, { status });
    buttons.awaiting = status;
    notices.info(t('field.status.sent', { status: tEnum('unitStatus', status) }));
    setTimeout(() => refresh(), 2000);
    setTimeout(() => {
      if (buttons.awaiting !== status) return;
      buttons.awaiting = '';
      buttons.render(state.unit);
    }, 10_000);
  } catch (err) {
    notices.error(t('field.status.refused', { status: tEnum('unitStatus', status), detail: errorText(err) }));
  } finally {
    buttons.pending = '';
    if (state.unit) buttons.render(state.unit);
  }
}

main();
