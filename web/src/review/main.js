// The review workspace: a risk officer (or anyone at the console) finds an incident, replays
// its timeline beside its crews' recorded video and its units' tracks on the map under one
// cursor, reads its response intervals against the standards, records findings, and takes the
// review away as CSV or on paper. Read only but for the findings; it works during an incident
// too, when the timeline and the recordings are still growing.
//
// The modules: search.js (the search and its results), standards.js (intervals and targets),
// cursor.js (the moment every view follows), timeline.js (the events and the slider),
// player.js (the recordings), tracks.js (the map), findings.js, report.js (CSV and print),
// and, in a view of its own, analytics.js (the response-time analytics of many incidents).

import './review.css';
import { Client, Messages, Session, adoptCookieSession, loadIncidentTypes, offerDirectory, onLoginSubmit, resumeSession, showLogin, showSignedIn, $, el } from '../lib/common.js';
import { can, OPEN_INCIDENT_STATUSES } from '../lib/domain.js';
import { formatDateTime, formatTime, languageSwitcher, onLocaleChange, t, tEnum, translate } from '../lib/i18n.js';
import { Analytics } from './analytics.js';
import { Cursor, ms } from './cursor.js';
import { Findings } from './findings.js';
import { Recordings } from './player.js';
import { download, fillPrintTimeline, intervalsCSV, printHead, timelineCSV } from './report.js';
import { Search } from './search.js';
import { renderStandards } from './standards.js';
import { eventName, Timeline } from './timeline.js';
import { datum, tNodes } from './text.js';
import { loadTracks, TrackMap } from './tracks.js';
import { RiskList } from './risk.js';

// An open incident's timeline and recordings grow: look again this often.
const REFRESH_MS = 10_000;

// The console's session: signing in on either page signs in on both (in one tab).
const session = new Session('fireline.console');
const messages = new Messages($('#messages'));
const client = new Client(session, { onUnauthorized: () => signOut(t('review.login.ended')) });
const cursor = new Cursor();

const state = {
  selectedId: null,
  detail: null,
  events: [],
  review: null,
  intervals: [],
  stations: null,
  timer: null,
};

const search = new Search({
  form: $('#search-form'), list: $('#picker'), count: $('#picker-count'), empty: $('#picker-empty'), error: $('#search-error'),
  client, messages, onSelect: (id) => select(id),
});
const recordings = new Recordings($('#recordings'), $('#recordings-empty'), {
  onTime: (at) => cursor.set(at, 'video'),
  onBroken: () => refreshRecordings(),
});
const timeline = new Timeline({
  list: $('#review-events'), slider: $('#cursor'), output: $('#cursor-time'), ticks: $('#cursor-ticks'),
  onChoose: (ev) => {
    timeline.choose(ev);
    cursor.set(ms(ev.at), 'event', ev.id);
  },
  onSlide: (at) => cursor.set(at, 'slider'),
});
const findings = new Findings({ list: $('#findings'), empty: $('#findings-empty'), form: $('#finding-form'), client, messages });
const analytics = new Analytics({
  view: $('#analytics-view'), form: $('#analytics-form'), out: $('#analytics-report'), client, messages, session,
});
const riskList = new RiskList($('.picker-panel'), { client, messages });
let map = null; // the TrackMap, made when the review first shows (a hidden container has no size)

cursor.on((at, origin, eventId) => {
  timeline.move(at);
  map?.moveTo(at);
  if (origin === 'event' || origin === 'slider') {
    const recs = recordings.show(at, origin === 'event');
    const ev = state.events.find((e) => e.id === eventId);
    const what = ev ? `${formatTime(ev.at)} ${eventName(ev)}` : formatTime(new Date(at).toISOString());
    $('#seek-status').replaceChildren(...(recs.length
      ? tNodes('review.playback.shown', { what, streams: el('span', {}, recs.flatMap((r, i) => [i ? t('review.listSeparator') : '', datum(r.stream)])) })
      : [t('review.playback.noVideo', { what })]));
  }
});

// ---- signing in ------------------------------------------------------------------------------

async function main() {
  translate(document);
  languageSwitcher($('#language'));
  onLocaleChange(() => redraw());
  $('#login-form').addEventListener('submit', onLoginSubmit(client, session, refuseReview, enter));
  $('#sign-out').addEventListener('click', async () => { await client.logout(); signOut(); });
  $('#export-timeline').addEventListener('click', exportTimeline);
  $('#export-intervals').addEventListener('click', exportIntervals);
  $('#print-report').addEventListener('click', () => window.print());
  addEventListener('beforeprint', () => state.detail && printHead($('#print-head'), state.detail, session.user));
  addEventListener('hashchange', () => {
    if (location.hash === '#analytics') return showView('analytics');
    const id = idFromHash();
    if (id !== null && id !== state.selectedId) select(id);
  });
  $('#tab-incidents').addEventListener('click', () => showView('incidents'));
  $('#tab-analytics').addEventListener('click', () => showView('analytics'));
  redraw();
  if (!session.signedIn && !(await adoptCookieSession(session))) {
    showLogin($('#review-view'));
    offerDirectory();
    return;
  }
  if (await resumeSession(client, session, messages)) enter();
}

/** refuseReview says why a user may not review incidents, or '' when they may. */
function refuseReview(user) {
  return can(user.role, 'read_incidents') && can(user.role, 'read_recordings') ? '' : t('review.login.refused', { role: tEnum('role', user.role) });
}

function signOut(note = '') {
  clearInterval(state.timer);
  recordings.clear();
  timeline.clear();
  findings.clear();
  map?.clear();
  cursor.clear();
  riskList.stop();
  Object.assign(state, { selectedId: null, detail: null, events: [], review: null, intervals: [], timer: null });
  session.clear();
  analytics.clear();
  showView('incidents');
  $('#view-tabs').hidden = true;
  showLogin($('#review-view'), note);
}

/**
 * showView shows the incidents (search and review) or the analytics, for a user who may read
 * them; the body says which, so the print stylesheet prints that one.
 */
function showView(name) {
  const user = session.user;
  const wanted = name === 'analytics' && user && can(user.role, 'read_analytics') ? 'analytics' : 'incidents';
  document.body.dataset.view = wanted;
  if (user && !$('#login-view').hidden) return;
  $('#review-view').hidden = wanted !== 'incidents' || !user;
  $('#analytics-view').hidden = wanted !== 'analytics';
  $('#tab-incidents').setAttribute('aria-pressed', String(wanted === 'incidents'));
  $('#tab-analytics').setAttribute('aria-pressed', String(wanted === 'analytics'));
  if (wanted === 'analytics' && location.hash !== '#analytics') history.replaceState(null, '', '#analytics');
  if (wanted === 'incidents' && location.hash === '#analytics') {
    history.replaceState(null, '', state.selectedId === null ? location.pathname : `#incident-${state.selectedId}`);
  }
}

function enter() {
  const user = session.user || {};
  const refused = refuseReview(user);
  if (refused) {
    signOut(refused);
    return;
  }
  showSignedIn($('#review-view'), t('review.page.whoami', { user: user.username, role: tEnum('role', user.role) }));
  document.body.dataset.role = user.role;
  findings.allow(user.role);
  loadIncidentTypes(client);
  $('#view-tabs').hidden = !can(user.role, 'read_analytics');
  showView(location.hash === '#analytics' ? 'analytics' : 'incidents');
  client.get('/api/v1/stations').then(({ stations }) => {
    search.setStations(stations);
    analytics.setStations(stations);
    map?.setStations(stations);
    state.stations = stations;
  }).catch((err) => { if (err.status !== 401) messages.error(t('review.error.stations', { detail: err.message })); });
  search.run();
  riskList.start();
  const id = idFromHash();
  if (id !== null) select(id);
  state.timer = setInterval(refresh, REFRESH_MS);
}

function idFromHash() {
  const m = /^#incident-(\d+)$/.exec(location.hash);
  return m ? Number(m[1]) : null;
}

// ---- loading ---------------------------------------------------------------------------------

function select(id) {
  recordings.clear();
  timeline.clear();
  findings.clear();
  map?.clear();
  cursor.clear();
  Object.assign(state, { selectedId: id, detail: null, events: [], review: null, intervals: [] });
  history.replaceState(null, '', `#incident-${id}`);
  $('#seek-status').textContent = '';
  search.select(id);
  renderDetail();
  load(id);
}

/** load reads incident id whole; a newly selected one puts the cursor at its start. */
async function load(id) {
  try {
    const [detail, { events }, review, recs] = await Promise.all([
      client.get(`/api/v1/incidents/${id}`),
      client.get(`/api/v1/incidents/${id}/timeline`),
      client.get(`/api/v1/incidents/${id}/review`).catch((err) => { if (err.status === 404) return null; throw err; }),
      loadRecordings(id),
      findings.load(id),
    ]);
    if (id !== state.selectedId) return;
    Object.assign(state, { detail, events, review });
    if (recs) recordings.set(recs);
    renderDetail();
    const range = span();
    timeline.set(events, range, (at) => recordings.covering(at));
    ensureMap();
    const tracks = await loadTracks(client, detail, range).catch((err) => {
      if (err.status !== 401) messages.error(t('review.error.tracks', { detail: err.message }));
      return [];
    });
    if (id !== state.selectedId) return;
    const at = cursor.at ?? range[0];
    map?.show(detail, tracks, at);
    if (cursor.at == null) cursor.set(at, 'load');
    else timeline.move(cursor.at);
  } catch (err) {
    if (err.status !== 401) messages.error(t('review.error.incident', { id, detail: err.message }));
  }
}

/** loadRecordings returns the incident's recordings, or null (said in the panel) if none are served. */
async function loadRecordings(id) {
  try {
    const { recordings: list } = await client.get(`/api/v1/incidents/${id}/recordings`);
    return list;
  } catch (err) {
    if (err.status !== 503) throw err;
    recordings.unavailable = err.message;
    recordings.render();
    return null;
  }
}

async function refreshRecordings() {
  const id = state.selectedId;
  if (id === null) return;
  const list = await loadRecordings(id).catch(() => null);
  if (list && id === state.selectedId) recordings.set(list);
}

/** refresh follows an open incident, and recordings still being written. */
async function refresh() {
  const d = state.detail;
  if (!d || document.hidden) return;
  if (OPEN_INCIDENT_STATUSES.includes(d.status) || recordings.list.some((r) => r.state === 'recording')) await load(d.id);
}

/** span is the stretch of time the review covers: the first alarm to the close, its events and video. */
function span() {
  const d = state.detail;
  const start = ms(d.created_at);
  const ends = [ms(d.closed_at), ...state.events.map((e) => ms(e.at))];
  const b = recordings.bounds();
  if (b) ends.push(b[1]);
  if (OPEN_INCIDENT_STATUSES.includes(d.status)) ends.push(Date.now());
  return [b ? Math.min(start, b[0]) : start, Math.max(start + 1000, ...ends.filter((x) => x != null))];
}

function ensureMap() {
  if (!map) {
    map = new TrackMap($('#review-map'), $('#map-note'));
    if (state.stations) map.setStations(state.stations);
    riskList.drawOn(map.map);
  }
}

// ---- rendering -------------------------------------------------------------------------------

/** redraw writes every view again, in the language just chosen. */
function redraw() {
  translate(document);
  search.options();
  if (search.incidents) search.render();
  renderDetail();
  recordings.render();
  if (state.detail) timeline.render();
  findings.render();
  analytics.render();
  map?.render();
  riskList.render();
  if (session.user && !$('#whoami').hidden) {
    $('#whoami').textContent = t('review.page.whoami', { user: session.user.username, role: tEnum('role', session.user.role) });
  }
}

function renderDetail() {
  const d = state.detail;
  $('#review-detail').hidden = !d;
  $('#review-empty').hidden = Boolean(d);
  $('#review-empty').textContent = state.selectedId === null ? t('review.detail.choose') : t('review.detail.loading', { id: state.selectedId });
  if (!d) return;
  const article = $('#review-detail');
  article.dataset.incidentId = d.id;
  article.dataset.status = d.status;
  $('#review-title').textContent = t('review.detail.title', { id: d.id, type: tEnum('incidentType', d.type) });
  const badge = $('#review-status');
  badge.textContent = tEnum('incidentStatus', d.status);
  badge.className = `badge inc-${d.status}`;
  badge.dataset.status = d.status;
  const r = state.review;
  const facts = [
    ['address', el('span', { translate: 'no' }, d.address || `${d.location.lat.toFixed(5)}, ${d.location.lng.toFixed(5)}`)],
    ['level', t('review.level', { n: d.level })],
    ['priority', d.priority ? `${d.priority} · ${tEnum('priority', d.priority)}` : t('review.detail.notAssessed')],
    ['alarms', String(d.alarm_count)],
    ['received', formatDateTime(d.created_at)],
    d.closed_at ? ['ended', t('review.detail.endedAs', { outcome: tEnum('incidentStatus', d.outcome || 'closed'), time: formatDateTime(d.closed_at) })]
      : ['ended', t('review.detail.stillOpen')],
    ['units', (d.assigned_units || []).length
      ? el('span', {}, d.assigned_units.flatMap((a, i) => [i ? t('review.listSeparator') : '', datum(a.unit_id)])) : '—'],
    r ? ['escalations', String(r.escalations)] : null,
    r?.reason ? ['reason', el('span', { lang: 'en', translate: 'no' }, r.reason)] : null,
  ].filter(Boolean);
  $('#review-facts').replaceChildren(...facts.flatMap(([k, v]) => [el('dt', {}, t(`review.facts.${k}`)), el('dd', { 'data-fact': k }, v)]));
  state.intervals = renderStandards($('#standards tbody'), $('#standards-note'), d, r);
  fillPrintTimeline($('#print-timeline tbody'), state.events);
  printHead($('#print-head'), d, session.user);
}

// ---- export ----------------------------------------------------------------------------------

function exportTimeline() {
  if (!state.detail) return;
  download(t('review.report.timelineFile', { id: state.detail.id }), timelineCSV(state.events));
}

function exportIntervals() {
  if (!state.detail) return;
  download(t('review.report.intervalsFile', { id: state.detail.id }), intervalsCSV(state.intervals, OPEN_INCIDENT_STATUSES.includes(state.detail.status)));
}

main();
