// The incident review: a risk officer (or anyone at the console) replays an incident's timeline
// beside its crews' recorded video, and reads its response times against the NFPA 1710
// targets. Selecting a timeline event seeks every recording that covers it to that moment: a
// recording's media time 0 is the wall-clock time of its first frame (started_at), so an event
// at time t is t − started_at into it. Read only; it works during an incident too, when the
// recordings are still growing.

import { Client, Messages, Session, onLoginSubmit, resumeSession, showLogin, showSignedIn, $, el, label, clock, duration } from '../lib/common.js';
import { priorityText } from '../lib/lifecycle.js';
import { can, OPEN_INCIDENT_STATUSES } from '../lib/domain.js';

// NFPA 1710 targets in seconds; Fireline's supervision timers default to the same.
const TARGET = { callProcessing: 60, turnoutFire: 80, turnoutEMS: 60, firstArrival: 240, fullAlarm: 480 };
// Incident types whose first units are a rescue, not a fire fight: the EMS turnout applies.
const EMS_TYPES = ['traffic_accident', 'water_rescue', 'building_collapse', 'help_requested'];
// Units dispatched this soon after the first one make up the first alarm.
const FIRST_ALARM_MS = 10_000;
// An open incident's timeline and recordings grow: look again this often.
const REFRESH_MS = 10_000;

// The console's session: signing in on either page signs in on both (in one tab).
const session = new Session('fireline.console');
const messages = new Messages($('#messages'));
const client = new Client(session, { onUnauthorized: () => signOut('Your session has ended: sign in again.') });

const state = {
  incidents: null,
  selectedId: null,
  detail: null,
  events: [],
  review: null,
  recordings: [],
  players: new Map(), // recording name → Player
  currentEvent: null, // id of the event last sought to
  timer: null,
};

// ---- signing in ------------------------------------------------------------------------------

async function main() {
  $('#login-form').addEventListener('submit', onLoginSubmit(client, session, refuseReview, enter));
  $('#sign-out').addEventListener('click', () => signOut());
  addEventListener('hashchange', () => {
    const id = idFromHash();
    if (id !== null && id !== state.selectedId) select(id);
  });
  if (!session.signedIn) {
    showLogin($('#review-view'));
    return;
  }
  if (await resumeSession(client, session, messages)) enter();
}

/** refuseReview says why a user may not review incidents, or '' when they may. */
function refuseReview(user) {
  return can(user.role, 'read_incidents') && can(user.role, 'read_recordings') ? '' : `Role ${user.role} may not review incidents.`;
}

function signOut(note = '') {
  clearInterval(state.timer);
  for (const p of state.players.values()) p.remove();
  Object.assign(state, { incidents: null, selectedId: null, detail: null, events: [], review: null, recordings: [], timer: null });
  state.players.clear();
  session.clear();
  showLogin($('#review-view'), note);
}

function enter() {
  const user = session.user || {};
  const refused = refuseReview(user);
  if (refused) {
    signOut(refused);
    return;
  }
  showSignedIn($('#review-view'), `${user.username} · ${label(user.role)}`);
  document.body.dataset.role = user.role;
  loadIncidents();
  const id = idFromHash();
  if (id !== null) select(id);
  state.timer = setInterval(refresh, REFRESH_MS);
}

function idFromHash() {
  const m = /^#incident-(\d+)$/.exec(location.hash);
  return m ? Number(m[1]) : null;
}

// ---- loading ---------------------------------------------------------------------------------

async function loadIncidents() {
  try {
    const { incidents } = await client.get('/api/v1/incidents');
    state.incidents = incidents.sort((a, b) => new Date(b.created_at) - new Date(a.created_at));
    renderPicker();
  } catch (err) {
    if (err.status !== 401) messages.error(`Could not load the incidents: ${err.message}`);
  }
}

function select(id) {
  for (const p of state.players.values()) p.remove();
  state.players.clear();
  Object.assign(state, { selectedId: id, detail: null, events: [], review: null, recordings: [], currentEvent: null });
  history.replaceState(null, '', `#incident-${id}`);
  $('#seek-status').textContent = '';
  renderPicker();
  renderDetail();
  load(id);
}

async function load(id) {
  try {
    const [detail, { events }, review, recordings] = await Promise.all([
      client.get(`/api/v1/incidents/${id}`),
      client.get(`/api/v1/incidents/${id}/timeline`),
      client.get(`/api/v1/incidents/${id}/review`).catch((err) => { if (err.status === 404) return null; throw err; }),
      loadRecordings(id),
    ]);
    if (id !== state.selectedId) return;
    Object.assign(state, { detail, events, review });
    state.recordings = recordings ?? state.recordings;
    renderDetail();
    renderRecordings();
  } catch (err) {
    if (err.status !== 401) messages.error(`Could not load incident #${id}: ${err.message}`);
  }
}

/** loadRecordings returns the incident's recordings, or null (said in the panel) if none are served. */
async function loadRecordings(id) {
  try {
    const { recordings } = await client.get(`/api/v1/incidents/${id}/recordings`);
    return recordings;
  } catch (err) {
    if (err.status !== 503) throw err;
    $('#recordings-empty').textContent = err.message;
    return null;
  }
}

/** refresh follows an open incident, and recordings still being written. */
async function refresh() {
  const d = state.detail;
  if (!d || document.hidden) return;
  if (OPEN_INCIDENT_STATUSES.includes(d.status) || state.recordings.some((r) => r.state === 'recording')) await load(d.id);
}

// ---- rendering -------------------------------------------------------------------------------

function renderPicker() {
  const list = state.incidents || [];
  $('#picker').replaceChildren(...list.map((inc) => el('li', {},
    el('button', {
      type: 'button', class: 'incident-row', 'data-testid': 'review-incident', 'data-incident-id': inc.id, 'data-status': inc.status,
      'aria-pressed': String(inc.id === state.selectedId), onclick: () => select(inc.id),
    },
    el('span', { class: 'row-top' },
      el('span', { class: 'inc-id' }, `#${inc.id}`),
      el('span', { class: 'inc-type' }, label(inc.type)),
      el('span', { class: 'level', title: `Alarm level ${inc.level}` }, `L${inc.level}`)),
    el('span', { class: 'row-addr' }, inc.address || `${inc.location.lat.toFixed(4)}, ${inc.location.lng.toFixed(4)}`),
    el('span', { class: 'row-bottom' },
      el('span', { class: `badge inc-${inc.status}` }, label(inc.status)),
      el('span', {}, `${new Date(inc.created_at).toLocaleDateString('en-GB')} ${clock(inc.created_at)}`))))));
  $('#picker-count').textContent = state.incidents ? String(list.length) : '';
  $('#picker-empty').hidden = list.length > 0;
  $('#picker-empty').textContent = state.incidents ? 'No incidents yet.' : 'Loading incidents…';
}

function renderDetail() {
  const d = state.detail;
  $('#review-detail').hidden = !d;
  $('#review-empty').hidden = Boolean(d);
  $('#review-empty').textContent = state.selectedId === null
    ? 'Choose an incident to replay its timeline with its video.' : `Loading incident #${state.selectedId}…`;
  if (!d) return;
  const article = $('#review-detail');
  article.dataset.incidentId = d.id;
  article.dataset.status = d.status;
  $('#review-title').textContent = `#${d.id} ${label(d.type)}`;
  const badge = $('#review-status');
  badge.textContent = label(d.status);
  badge.className = `badge inc-${d.status}`;
  badge.dataset.status = d.status;
  const facts = [
    ['Address', d.address || '—'],
    ['Alarm level', String(d.level)],
    ['Priority', d.priority ? priorityText(d.priority) : 'not assessed'],
    ['Alarms', String(d.alarm_count)],
    ['Received', `${new Date(d.created_at).toLocaleDateString('en-GB')} ${clock(d.created_at)}`],
    d.closed_at ? [label(d.outcome || 'closed'), clock(d.closed_at)] : ['Status', 'still open: times so far'],
    state.review?.escalations != null ? ['Escalations', String(state.review.escalations)] : null,
    state.review?.reason ? ['Reason', state.review.reason] : null,
  ].filter(Boolean);
  $('#review-facts').replaceChildren(...facts.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
  renderStandards();
  renderEvents();
}

const ms = (iso) => (iso ? new Date(iso).getTime() : null);
const secondsBetween = (a, b) => (a == null || b == null ? null : (b - a) / 1000);

/**
 * intervals measures the incident against the NFPA 1710 targets: the stored review's figures
 * where it has them (written when the incident closed), else the incident's own times.
 */
function intervals(d, r) {
  const units = d.assigned_units || [];
  const firstDispatch = Math.min(...units.map((a) => ms(a.dispatched_at)));
  const enRoutes = units.map((a) => ms(a.en_route_at)).filter((t) => t != null);
  const onScenes = units.map((a) => ms(a.on_scene_at)).filter((t) => t != null);
  const firstEnRoute = enRoutes.length ? Math.min(...enRoutes) : null;
  const firstAlarm = units.filter((a) => ms(a.dispatched_at) - firstDispatch <= FIRST_ALARM_MS);
  const firstAlarmIn = firstAlarm.every((a) => a.on_scene_at);
  const turnoutTarget = EMS_TYPES.includes(d.type) ? TARGET.turnoutEMS : TARGET.turnoutFire;
  const rows = [{
    key: 'call_processing', name: 'Call processing', what: 'alarm received → first unit dispatched', target: TARGET.callProcessing,
    value: r?.call_processing_s ?? (units.length ? secondsBetween(ms(d.created_at), firstDispatch) : null),
  }];
  for (const a of units) {
    const reviewed = r?.units?.find((u) => u.unit_id === a.unit_id);
    rows.push({
      key: 'turnout', unit: a.unit_id, name: `Turnout ${a.unit_id}`, what: 'dispatched → en route', target: turnoutTarget,
      value: reviewed?.turnout_s ?? secondsBetween(ms(a.dispatched_at), ms(a.en_route_at)),
    });
  }
  rows.push({
    key: 'first_arrival', name: 'First arrival (travel)', what: 'first unit en route → first unit on scene', target: TARGET.firstArrival,
    value: firstEnRoute != null && onScenes.length ? secondsBetween(firstEnRoute, Math.min(...onScenes)) : null,
  }, {
    key: 'full_alarm', name: 'Full first alarm', what: `first unit en route → all ${firstAlarm.length || ''} first-alarm units on scene`.replace('  ', ' '),
    target: TARGET.fullAlarm,
    value: firstEnRoute != null && firstAlarm.length && firstAlarmIn
      ? secondsBetween(firstEnRoute, Math.max(...firstAlarm.map((a) => ms(a.on_scene_at)))) : null,
  });
  return rows;
}

function renderStandards() {
  const d = state.detail;
  const open = OPEN_INCIDENT_STATUSES.includes(d.status);
  const rows = intervals(d, state.review);
  $('#standards tbody').replaceChildren(...rows.map((row) => {
    const result = row.value == null ? 'na' : row.value <= row.target ? 'pass' : 'fail';
    const text = { pass: 'Met', fail: 'Missed', na: open ? 'Not yet' : 'Not reached' }[result];
    const mark = { pass: '✓', fail: '✗', na: '–' }[result];
    return el('tr', { 'data-testid': 'standard', 'data-interval': row.key, 'data-unit-id': row.unit || null, 'data-result': result },
      el('th', { scope: 'row' }, row.name, el('span', { class: 'sub standard-what' }, row.what)),
      el('td', { class: 'num' }, duration(row.value)),
      el('td', { class: 'num' }, `≤ ${duration(row.target)}`),
      el('td', {}, el('span', { class: `mark mark-${result}`, 'data-testid': 'standard-result' },
        el('span', { 'aria-hidden': 'true' }, mark), ` ${text}`)));
  }));
  const turnout = EMS_TYPES.includes(d.type) ? TARGET.turnoutEMS : TARGET.turnoutFire;
  $('#standards-note').textContent = `NFPA 1710: call processing ${TARGET.callProcessing} s; turnout ${turnout} s for ${EMS_TYPES.includes(d.type) ? 'a rescue (EMS)' : 'a fire'}; `
    + `first engine travel ${TARGET.firstArrival / 60} min; full first alarm on scene ${TARGET.fullAlarm / 60} min after the first unit goes en route.`
    + (state.review ? '' : ' The review is written when the incident closes; until then the times come from the incident as it stands.');
}

/** covering lists the recordings whose span holds the wall-clock time t (ms). */
function covering(t) {
  return state.recordings.filter((r) => {
    const start = ms(r.started_at);
    const end = r.ended_at ? ms(r.ended_at) : start + r.duration_s * 1000;
    return t >= start && t <= end + 1000;
  });
}

function renderEvents() {
  const list = $('#review-events');
  list.replaceChildren(...state.events.map((ev) => {
    const at = ms(ev.at);
    const recs = covering(at);
    const where = recs.map((r) => `${r.stream} at ${duration((at - ms(r.started_at)) / 1000)}`).join(', ');
    return el('li', { class: `ev ev-${ev.kind}`, 'data-event-id': ev.id, 'aria-current': String(ev.id === state.currentEvent) },
      el('button', {
        type: 'button', class: 'review-event', 'data-testid': 'review-event', 'data-kind': ev.kind, 'data-at': ev.at,
        'data-covered': String(recs.length > 0),
        'aria-label': `${clock(ev.at)} ${label(ev.kind)}: ${ev.detail || ''}${recs.length ? ` — show the video (${where})` : ' — no video of this moment'}`,
        onclick: () => seekTo(ev),
      },
      el('time', { datetime: ev.at }, clock(ev.at)),
      el('span', { class: 'ev-kind' }, label(ev.kind)),
      el('span', { class: 'ev-detail' }, ev.detail || ''),
      el('span', { class: 'ev-meta' }, [ev.unit_id, ev.actor].filter(Boolean).join(' · '),
        recs.length ? el('span', { class: 'tag tag-video' }, `▶ ${where}`) : null)));
  }));
  if (!state.events.length) list.replaceChildren(el('li', { class: 'empty' }, 'Nothing recorded yet.'));
}

function renderRecordings() {
  const names = new Set(state.recordings.map((r) => r.name));
  for (const [name, p] of state.players) {
    if (!names.has(name)) {
      p.remove();
      state.players.delete(name);
    }
  }
  const box = $('#recordings');
  for (const rec of state.recordings) {
    let p = state.players.get(rec.name);
    if (!p) {
      p = new Player(rec);
      state.players.set(rec.name, p);
      box.append(p.node);
    }
    p.update(rec);
  }
  const empty = $('#recordings-empty');
  empty.hidden = state.recordings.length > 0;
  if (!state.recordings.length && empty.textContent === 'Loading recordings…') empty.textContent = 'No video was recorded for this incident.';
  renderEvents(); // which events have video changes with the recordings
}

/** seekTo shows the moment of ev in every recording that holds it, and plays from there. */
function seekTo(ev) {
  const at = ms(ev.at);
  state.currentEvent = ev.id;
  const recs = covering(at);
  for (const r of recs) state.players.get(r.name)?.seek((at - ms(r.started_at)) / 1000);
  $('#seek-status').textContent = recs.length
    ? `${clock(ev.at)} ${label(ev.kind)}: shown in ${recs.map((r) => r.stream).join(', ')}.`
    : `No recording covers ${clock(ev.at)} (${label(ev.kind)}).`;
  for (const li of $('#review-events').children) li.setAttribute('aria-current', String(li.dataset.eventId === String(ev.id)));
}

const sizeText = (b) => (b >= 1e6 ? `${(b / 1e6).toFixed(1)} MB` : `${Math.max(1, Math.round(b / 1e3))} kB`);

/** Player is one recording: a video with its wall-clock time beside the timeline. */
class Player {
  constructor(rec) {
    this.rec = rec;
    this.retried = 0;
    this.video = el('video', {
      controls: true, preload: 'metadata', playsinline: true, 'data-testid': 'recording-video', 'data-name': rec.name,
      'data-stream': rec.stream, 'aria-label': `Recorded video from ${rec.stream}, from ${clock(rec.started_at)}`,
    });
    this.video.src = rec.url;
    this.wall = el('output', { class: 'recording-clock num', 'data-testid': 'recording-clock', 'aria-label': 'Wall-clock time of the picture' });
    this.meta = el('span', { class: 'player-meta' });
    this.tag = el('span', { class: 'tag' });
    this.download = el('a', { class: 'recording-download', download: rec.name }, 'Download');
    this.node = el('figure', {
      class: 'player recording', 'data-testid': 'recording', 'data-name': rec.name, 'data-stream': rec.stream, 'data-started-at': rec.started_at,
    },
      this.video,
      el('figcaption', {}, el('strong', {}, rec.stream), this.wall, this.tag, this.meta, this.download));
    this.video.addEventListener('timeupdate', () => this.tick());
    this.video.addEventListener('loadedmetadata', () => this.tick());
    this.video.addEventListener('error', () => this.failed());
  }

  update(rec) {
    const fresh = rec.url !== this.rec.url;
    this.rec = rec;
    this.node.dataset.state = rec.state;
    this.node.dataset.complete = String(rec.complete);
    const tags = { recording: ['Recording', 'tag-warn'], interrupted: ['Incomplete', 'tag-danger'], failed: ['Stopped by an error', 'tag-danger'] };
    const [text, cls] = tags[rec.state] || ['', ''];
    this.tag.hidden = !text;
    this.tag.textContent = text;
    this.tag.className = `tag ${cls}`;
    this.tag.title = rec.state === 'interrupted' ? 'The media node stopped while recording: the video plays up to its last complete frame.' : '';
    const size = rec.width ? `${rec.width}×${rec.height}` : 'audio only';
    this.meta.textContent = [`${clock(rec.started_at)}–${clock(rec.ended_at)}`, duration(rec.duration_s), size,
      rec.codecs.map((c) => c.replace(/^(video|audio)\//, '')).join('+'), sizeText(rec.bytes)].join(' · ');
    this.download.href = rec.url;
    // A new URL (a fresh ticket) replaces the old only when the old one failed: swapping it
    // would restart the video.
    if (fresh && this.broken) this.reload();
    this.tick();
  }

  /** tick shows the wall-clock time of the picture. */
  tick() {
    const t = ms(this.rec.started_at) + (this.video.currentTime || 0) * 1000;
    this.wall.textContent = clock(new Date(t).toISOString());
    this.wall.dataset.at = new Date(t).toISOString();
  }

  seek(seconds) {
    const go = () => {
      this.video.currentTime = Math.max(0, seconds);
      this.video.play().catch(() => {}); // a click started this: playing is allowed
    };
    if (this.video.readyState >= 1) go();
    else this.video.addEventListener('loadedmetadata', go, { once: true });
  }

  /** failed: an expired link is the likely cause; fresh links come with the list. */
  async failed() {
    this.broken = true;
    if (this.retried++ >= 3 || state.selectedId === null) return;
    const recordings = await loadRecordings(state.selectedId).catch(() => null);
    if (recordings) {
      state.recordings = recordings;
      renderRecordings();
    }
  }

  reload() {
    const at = this.video.currentTime;
    this.broken = false;
    this.video.src = this.rec.url;
    if (at) this.video.addEventListener('loadedmetadata', () => { this.video.currentTime = at; }, { once: true });
  }

  remove() {
    this.video.removeAttribute('src');
    this.video.load();
    this.node.remove();
  }
}

main();
