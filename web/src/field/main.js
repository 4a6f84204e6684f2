// The field page, for a crew's phone or tablet: the crew's unit and incident, big status
// buttons, and the scene camera published to the command centre over WHIP.

import { Client, LiveEvents, Messages, Session, onLoginSubmit, showLogin, showSignedIn, $, label, showLiveState } from '../lib/common.js';
import { connected, negotiate } from '../lib/webrtc.js';
import { can, FIELD_STATUSES, OFF_INCIDENT_STATUSES } from '../lib/domain.js';

const session = new Session('fireline.field');
const messages = new Messages($('#messages'));
const client = new Client(session, { onUnauthorized: () => signOut('Your session has ended: sign in again.') });
const live = new LiveEvents(session, {
  onState: (s) => showLiveState($('#sse-state'), s),
  onOpen: () => refresh(),
  onChange: (kind, change) => {
    if (kind === 'unit' && change.id === session.user?.unit_id) refresh();
  },
  verify: () => client.get('/api/v1/auth/me'),
});

let unit = null;
let incident = null;
let camera = null;
let refreshTimer = null;
let positionWatch = null;
let lastFixSent = 0;

// ---- signing in and out ----------------------------------------------------------------------

async function main() {
  $('#login-form').addEventListener('submit', onLoginSubmit(client, session, refuseField, enter));
  $('#sign-out').addEventListener('click', () => signOut());
  for (const btn of document.querySelectorAll('.status-buttons button')) {
    btn.addEventListener('click', () => setStatus(btn.dataset.status, btn));
  }
  $('#camera-start').addEventListener('click', startCamera);
  $('#camera-stop').addEventListener('click', stopCamera);
  if (session.signedIn && session.user?.unit_id) enter();
  else showLogin($('#field-view'));
}

/** refuseField says why a user may not use the field page, or '' when they may. */
function refuseField(user) {
  return can(user.role, 'move_own_unit') && user.unit_id ? '' : 'This page is for crews (crew-<unit id>); dispatchers use the console at /.';
}

function enter() {
  showSignedIn($('#field-view'), session.user.username);
  live.start();
  refresh();
  startPositionReports();
}

async function signOut(note = '') {
  live.stop();
  stopPositionReports();
  await stopCamera();
  unit = null;
  session.clear();
  showLogin($('#field-view'), note);
}

// ---- AVL: the device's position is the unit's --------------------------------------------------

// FIX_INTERVAL_MS throttles reports: the recommendation needs the unit's whereabouts, not its
// every metre, and a phone on a bad network should spend its bandwidth on video.
const FIX_INTERVAL_MS = 10_000;

function startPositionReports() {
  if (!('geolocation' in navigator) || positionWatch !== null) return;
  positionWatch = navigator.geolocation.watchPosition(reportPosition, (err) => {
    // No permission or no fix: the command centre falls back to the home station and says so.
    $('#position-state').textContent = `Position not shared (${err.message || 'unavailable'}): the centre uses your home station.`;
  }, { enableHighAccuracy: true, maximumAge: 5_000 });
}

function stopPositionReports() {
  if (positionWatch !== null) navigator.geolocation.clearWatch(positionWatch);
  positionWatch = null;
}

async function reportPosition(pos) {
  const id = session.user?.unit_id;
  if (!id || pos.timestamp - lastFixSent < FIX_INTERVAL_MS) return;
  lastFixSent = pos.timestamp;
  const c = pos.coords;
  const fix = { lat: c.latitude, lng: c.longitude, accuracy: c.accuracy, time: new Date(pos.timestamp).toISOString() };
  if (Number.isFinite(c.heading)) fix.heading = c.heading;
  if (Number.isFinite(c.speed)) fix.speed = c.speed;
  try {
    await client.post(`/api/v1/units/${encodeURIComponent(id)}/position`, fix);
    $('#position-state').textContent = `Position shared at ${new Date(pos.timestamp).toLocaleTimeString()} (±${Math.round(c.accuracy)} m).`;
  } catch (err) {
    $('#position-state').textContent = `Position not accepted: ${err.message}`;
  }
}

// ---- the unit --------------------------------------------------------------------------------

async function refresh() {
  clearTimeout(refreshTimer);
  const id = session.user?.unit_id;
  if (!id) return;
  try {
    unit = await client.get(`/api/v1/units/${encodeURIComponent(id)}`);
    incident = null;
    if (unit.incident_id) {
      // The crew may read the incident its unit is on: where to go and what is burning.
      incident = await client.get(`/api/v1/incidents/${unit.incident_id}`).catch(() => null);
    }
    render();
  } catch (err) {
    if (err.status !== 401) messages.error(`Could not load unit ${id}: ${err.message}`);
  }
}

function render() {
  $('#unit-name').textContent = unit.name || unit.id;
  $('#unit-id').textContent = unit.id;
  $('#unit-type').textContent = label(unit.type);
  $('#unit-station').textContent = unit.station_id || '—';
  const status = $('#unit-status');
  status.textContent = label(unit.status);
  status.dataset.status = unit.status;
  status.className = `badge status-${unit.status}`;
  const inc = $('#unit-incident');
  inc.dataset.incidentId = unit.incident_id || '';
  inc.textContent = unit.incident_id ? `Assigned to incident #${unit.incident_id}` : 'No incident assigned.';
  if (incident && incident.id === unit.incident_id) {
    const where = incident.address || `${incident.location.lat.toFixed(5)}, ${incident.location.lng.toFixed(5)}`;
    inc.textContent += ` — ${label(incident.type)}, level ${incident.level}, ${where}`;
  }
  inc.classList.toggle('is-assigned', Boolean(unit.incident_id));

  // On an incident a crew reports its progress; off one, only available and out of service.
  const allowed = unit.incident_id ? FIELD_STATUSES : OFF_INCIDENT_STATUSES;
  for (const btn of document.querySelectorAll('.status-buttons button')) {
    btn.disabled = !allowed.includes(btn.dataset.status) || btn.dataset.busy === '1';
    btn.setAttribute('aria-pressed', String(btn.dataset.status === unit.status));
  }
  renderCamera();
}

async function setStatus(status, btn) {
  if (!unit) return;
  btn.dataset.busy = '1';
  btn.disabled = true;
  try {
    await client.post(`/api/v1/units/${encodeURIComponent(unit.id)}/status`, { status });
    messages.info(`Status sent: ${label(status)}.`);
    // The change arrives over the event stream; this is the fallback if that notice is lost.
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refresh, 2000);
  } catch (err) {
    messages.error(err);
  } finally {
    delete btn.dataset.busy;
    if (unit) render();
  }
}

// ---- the camera ------------------------------------------------------------------------------

/** Camera publishes the device camera to an incident's media room over WHIP. */
class Camera {
  constructor(incidentId) {
    this.incidentId = incidentId;
    this.stopped = false;
  }

  async start() {
    this.setState('connecting', 'Starting the camera…');
    this.media = await navigator.mediaDevices.getUserMedia({ video: true, audio: false });
    $('#camera-preview').srcObject = this.media;
    const pc = new RTCPeerConnection();
    this.pc = pc;
    for (const track of this.media.getTracks()) pc.addTransceiver(track, { direction: 'sendonly', streams: [this.media] });
    pc.addEventListener('connectionstatechange', () => {
      if (this.stopped) return;
      if (pc.connectionState === 'disconnected') this.setState('connecting', 'Connection unstable, retrying…');
      if (pc.connectionState === 'connected') this.setLive();
      if (pc.connectionState === 'failed') {
        messages.error('The video connection to the command centre failed.');
        stopCamera();
      }
    });
    this.setState('connecting', 'Connecting to the command centre…');
    this.location = await negotiate(client, `/api/v1/media/incidents/${this.incidentId}/whip`, pc);
    await connected(pc);
    this.setLive();
  }

  setLive() {
    this.setState('live', `Streaming live to the command centre (incident #${this.incidentId}).`);
  }

  setState(s, text) {
    if (this.stopped) return;
    const p = $('#camera-state');
    p.dataset.state = s;
    p.textContent = text;
  }

  async stop() {
    this.stopped = true;
    this.pc?.close();
    for (const t of this.media?.getTracks() ?? []) t.stop();
    $('#camera-preview').srcObject = null;
    if (this.location) await client.end(this.location).catch((err) => messages.error(err));
    this.location = null;
  }
}

async function startCamera() {
  if (camera || !unit?.incident_id) return;
  camera = new Camera(unit.incident_id);
  renderCamera();
  try {
    await camera.start();
  } catch (err) {
    const text = err.name === 'NotAllowedError' ? 'Camera permission was refused.' : err.message;
    messages.error(`Camera: ${text}`);
    await stopCamera();
  }
  renderCamera();
}

async function stopCamera() {
  const c = camera;
  camera = null;
  if (c) await c.stop();
  const p = $('#camera-state');
  p.dataset.state = 'idle';
  p.textContent = 'Camera off.';
  renderCamera();
}

function renderCamera() {
  $('#camera-start').disabled = Boolean(camera) || !unit?.incident_id;
  $('#camera-stop').disabled = !camera;
  $('#camera-preview').hidden = !camera;
  $('#camera-start').title = unit?.incident_id ? '' : 'Video is for a unit on an incident';
}

// A closing tab ends its WHIP session at once rather than after the server's timeout.
addEventListener('pagehide', () => {
  if (camera?.location) fetch(camera.location, { method: 'DELETE', keepalive: true, headers: { Authorization: `Bearer ${session.token}` } }).catch(() => {});
});

main();
