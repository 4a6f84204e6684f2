// The dispatch console: open incidents live over Server-Sent Events, an incident's
// assessment, recommendation and dispatch, its orders (under control, cancel, merge, close),
// joint-agency tasks, escalations, alarms, units, timeline and review, the supervisors' queue,
// the units board, an offline situation map with engine coverage, move-ups, and the crews' live
// video over WHEP.

import {
  Client, LiveEvents, Messages, Session, $, el, label, clock, duration, distance, fillElapsed, fillCountdowns, showLiveState,
  onLoginSubmit, resumeSession, showLogin, showSignedIn,
} from '../lib/common.js';
import { negotiate } from '../lib/webrtc.js';
import { COVERAGE_BANDS, SituationMap } from '../map/svgmap.js';
import {
  PRIORITIES, priorityText, timerLabel, agencyLabel, dispatched,
  assessEffect, replacedUnits, metresBetween, taskRow, escalationItem, alarmItem,
} from '../lib/lifecycle.js';
import {
  can, INCIDENT_TYPES, OPEN_INCIDENT_STATUSES, MIN_LEVEL, MAX_LEVEL, UNIT_STATUSES, FINISHED_TASK_STATUSES,
} from '../lib/domain.js';

const TYPE_CODES = { engine: 'ENG', ladder: 'LAD', rescue: 'RES', hazmat: 'HAZ', tanker: 'TNK', command: 'CMD' };
const OPEN = OPEN_INCIDENT_STATUSES;
const STREAM_POLL_MS = 3000;
const ENGINE_POLL_MS = 10000; // how often /readyz is asked whether the workflow engine answers
const FULL_REFRESH_MS = 30000; // a safety net: the event hub drops notices for slow clients
// Coverage is thousands of cells timed on the server: a burst of unit changes (a dispatch, AVL
// pings) is folded into one fetch this long after the first of them.
const COVERAGE_SETTLE_MS = 1500;
const COVERAGE_LAYER_KEY = 'fireline.console.coverage-layer';

const session = new Session('fireline.console');
const messages = new Messages($('#messages'));
const client = new Client(session, { onUnauthorized: () => signOut('Your session has ended: sign in again.') });
const live = new LiveEvents(session, {
  onState: (s) => showLiveState($('#sse-state'), s),
  onOpen: () => invalidate('incidents', 'units', 'detail', 'timeline', 'alarms', 'queue', 'streams', 'coverage', 'moveups'),
  onChange,
  verify: () => client.get('/api/v1/auth/me'),
});

const state = {
  incidents: [],
  units: [],
  stations: [],
  incidentsLoaded: false,
  seen: null, // ids of incidents already shown, to flag new arrivals
  selectedId: null,
  detail: null,
  timeline: [],
  nearby: null, // water sources and key premises around the selected incident
  review: null, // the review, or an Error saying why there is none
  picks: new Map(), // incident id → Set of unit ids the operator chose; absent: the recommendation
  players: new Map(), // stream name → Player, for the selected incident
  timers: [],
  coverage: null, // the coverage summary and cells, without their outlines (the map keeps those)
  coverageNote: '', // why there is no coverage, when the server does not serve it
  coverageBasis: null, // what coverage depends on in the units list, to notice it changed
  coverageShown: false, // the map's coverage layer
  shapesStale: false, // the grid has cells the map has no outline for
  moveUps: null, // {suggestions, recent}
  deciding: new Set(), // "unit>station" of move-ups being sent
  alarms: null, // {incidentId, list}: the selected incident's alarms
  queue: null, // open escalations across incidents, the supervisors' queue
  queueSeen: null, // ids of escalations already shown, to announce new ones
  busy: new Set(), // orders on their way, by key (act): their buttons wait
  assessDirty: null, // id of the incident whose assessment form the user has changed
  orderForm: null, // the order form open under the orders: 'merge', 'cancel' or 'close'
  engineDown: false, // /readyz says the workflow engine does not answer: orders wait
};

const situation = new SituationMap($('#map'), { onSelect: (id) => select(id) });

// ---- refreshing ------------------------------------------------------------------------------

// Change notices arrive in bursts (a dispatch touches an incident, its units and its timeline);
// they mark what is stale and one fetch per kind runs shortly after.
const dirty = new Set();
let flushTimer = null;
let flushing = false;

function invalidate(...what) {
  for (const w of what) dirty.add(w);
  if (!flushTimer) flushTimer = setTimeout(flush, 150);
}

async function flush() {
  flushTimer = null;
  if (flushing) {
    flushTimer = setTimeout(flush, 150);
    return;
  }
  const what = [...dirty];
  dirty.clear();
  flushing = true;
  try {
    await Promise.all(what.map(async (w) => {
      try {
        await loaders[w]?.();
      } catch (err) {
        if (err.status !== 401) messages.error(`Could not load ${w}: ${err.message}`);
      }
    }));
  } finally {
    flushing = false;
  }
}

function onChange(kind, change) {
  const sel = state.selectedId;
  switch (kind) {
    case 'incident':
      invalidate('incidents');
      // An alarm joining or split out changes the incident (its alarm count), so alarms follow.
      if (sel !== null && String(change.id) === String(sel)) invalidate('detail', 'timeline', 'alarms');
      break;
    case 'unit': {
      invalidate('units');
      const mine = state.detail?.assigned_units?.some((a) => a.unit_id === change.id);
      if (sel !== null && (change.incident_id === sel || mine)) invalidate('detail', 'streams');
      break;
    }
    case 'timeline':
      if (sel !== null && change.incident_id === sel) invalidate('detail', 'timeline', 'alarms');
      break;
    case 'move_up':
      coverageStale();
      break;
    case 'media':
      // The room's streams with their statistics, every few seconds while video is live.
      if (sel !== null && change.incident_id === sel) syncPlayers(sel, change.streams || []);
      break;
    case 'escalation':
      invalidate('queue');
      if (sel !== null && change.incident_id === sel) invalidate('detail', 'timeline');
      break;
    case 'agency_task':
      if (sel !== null && change.incident_id === sel) invalidate('detail', 'timeline');
      break;
    case 'warning':
      invalidate('warnings');
      break;
  }
}

let coverageTimer = null;

/** coverageStale schedules one refetch of coverage and move-ups for a burst of changes. */
function coverageStale() {
  if (coverageTimer) return;
  coverageTimer = setTimeout(() => {
    coverageTimer = null;
    invalidate('coverage', 'moveups');
  }, COVERAGE_SETTLE_MS);
}

/**
 * coverageBasis sums up what coverage depends on in the units list: which units of the measured
 * type are available, where and at which station. Most unit changes (an en-route unit's AVL
 * ping, a ladder's status) leave it alone and cost no coverage fetch.
 */
function coverageBasis(units) {
  const type = state.coverage?.unit_type;
  return units.filter((u) => u.status === 'available' && !u.incident_id && (!type || u.type === type))
    .map((u) => `${u.id}@${u.post_station_id || u.station_id}:${u.location?.lat?.toFixed(3)},${u.location?.lng?.toFixed(3)}`)
    .sort().join('|');
}

const loaders = {
  async warnings() {
    const [{ cells }, { warnings }] = await Promise.all([
      client.get('/api/v1/readiness?shapes=true'), client.get('/api/v1/warnings?active=true')]);
    state.warnings = warnings;
    situation.setWarnings(cells);
    renderWarnings();
  },
  async incidents() {
    const { incidents } = await client.get('/api/v1/incidents?open=true');
    state.incidents = incidents;
    state.incidentsLoaded = true;
    renderIncidents();
    drawMap();
    // The merge choice and the queue's incident names follow the list.
    if (state.detail) renderOrders(state.detail, OPEN.includes(state.detail.status));
    renderQueue();
  },
  async units() {
    const { units } = await client.get('/api/v1/units');
    state.units = units;
    renderUnits();
    drawMap();
    if (state.detail) renderRecommendation();
    const basis = coverageBasis(units);
    if (state.coverageBasis !== null && basis !== state.coverageBasis) coverageStale();
    state.coverageBasis = basis;
  },
  async coverage() {
    // The outlines come once; they change only with the stations.
    const shapes = state.coverageShown && (!situation.hasShapes || state.shapesStale);
    let cov;
    try {
      cov = await client.get(`/api/v1/coverage${shapes ? '?shapes=true' : ''}`);
    } catch (err) {
      if (err.status !== 503) throw err;
      state.coverage = null;
      state.coverageNote = err.message; // this node does not serve coverage: say so, quietly
      renderCoverage();
      return;
    }
    if (cov.shapes) {
      situation.setShapes(cov.shapes);
      state.shapesStale = false;
      delete cov.shapes;
    }
    state.coverage = cov;
    state.coverageNote = '';
    const missing = situation.setCoverage(cov);
    if (missing && situation.hasShapes && !shapes) {
      state.shapesStale = true; // a station was added or moved
      invalidate('coverage');
    }
    renderCoverage();
  },
  async moveups() {
    let answer;
    try {
      answer = await client.get('/api/v1/move-ups');
    } catch (err) {
      if (err.status !== 503) throw err;
      state.moveUps = { suggestions: [], recent: [], note: err.message }; // not served by this node
      renderMoveUps();
      return;
    }
    state.moveUps = { suggestions: answer.suggestions || [], recent: answer.recent || [] };
    renderMoveUps();
  },
  async stations() {
    const { stations } = await client.get('/api/v1/stations');
    state.stations = stations;
    drawMap();
    renderUnits(); // their titles name the stations
    renderMoveUps();
  },
  async detail() {
    const id = state.selectedId;
    if (id === null) return;
    const detail = await client.get(`/api/v1/incidents/${id}`);
    if (id !== state.selectedId) return;
    state.detail = detail;
    renderDetail();
    if (!OPEN.includes(detail.status) && detail.status !== 'merged') invalidate('review');
  },
  async alarms() {
    const id = state.selectedId;
    if (id === null) return;
    const { alarms } = await client.get(`/api/v1/incidents/${id}/alarms`);
    if (id !== state.selectedId) return;
    state.alarms = { incidentId: id, list: alarms };
    renderAlarms();
  },
  async queue() {
    const { escalations } = await client.get('/api/v1/escalations');
    state.queue = escalations;
    renderQueue();
  },
  async nearby() {
    const id = state.selectedId;
    if (id === null) return;
    const near = await client.get(`/api/v1/incidents/${id}/nearby`);
    if (id !== state.selectedId) return;
    state.nearby = near;
    renderNearby();
  },
  async timeline() {
    const id = state.selectedId;
    if (id === null) return;
    const { events } = await client.get(`/api/v1/incidents/${id}/timeline`);
    if (id !== state.selectedId) return;
    state.timeline = events;
    renderTimeline();
  },
  async review() {
    const id = state.selectedId;
    if (id === null) return;
    let review;
    try {
      review = await client.get(`/api/v1/incidents/${id}/review`);
    } catch (err) {
      if (err.status !== 404) throw err;
      review = err;
    }
    if (id !== state.selectedId) return;
    state.review = review;
    renderReview();
  },
  async streams() {
    const id = state.selectedId;
    if (id === null) return;
    let streams;
    try {
      ({ streams } = await client.get(`/api/v1/media/incidents/${id}/streams`));
    } catch (err) {
      if (err.status !== 503) throw err;
      showVideoNote(err.message); // this node has no media server: say so in the panel, quietly
      return;
    }
    if (id !== state.selectedId) return;
    syncPlayers(id, streams);
  },
};

// ---- the workflow engine -----------------------------------------------------------------------

/**
 * checkEngine asks /readyz whether the workflow engine answers. While it does not, the console
 * still reads every incident from PostgreSQL, but no order is taken: a notice says so.
 */
async function checkEngine() {
  try {
    const res = await fetch('/readyz', { cache: 'no-store' });
    const checks = await res.json();
    state.engineDown = 'temporal' in checks && checks.temporal !== 'ok';
  } catch {
    state.engineDown = false; // this server is unreachable: the live indicator says so already
  }
  renderEngineNotice();
}

/** renderEngineNotice shows the notice, with when the selected incident was last recorded. */
function renderEngineNotice() {
  let note = document.querySelector('#engine-notice');
  if (!note) {
    note = el('div', { id: 'engine-notice', class: 'par-banner', role: 'status', 'data-testid': 'engine-notice', hidden: true });
    $('#messages').before(note);
  }
  note.hidden = !state.engineDown;
  const d = state.detail;
  // Both languages until the pages have their message catalogues: the operators read Chinese.
  note.replaceChildren(
    el('p', { lang: 'zh-CN' }, el('strong', {}, '工作流引擎无响应：'),
      '指令需等待；事件显示最后记录的状态',
      d?.updated_at ? `（事件 #${d.id}，记录于 ${clock(d.updated_at)}）` : '', '。'),
    el('p', { lang: 'en' }, el('strong', {}, 'Workflow engine down:'),
      ' orders wait; incidents show their last recorded state',
      d?.updated_at ? ` (incident #${d.id} as recorded at ${clock(d.updated_at)})` : '', '.'));
}

// ---- signing in and out ----------------------------------------------------------------------

async function main() {
  $('#login-form').addEventListener('submit', onLoginSubmit(client, session, refuseConsole, enter));
  $('#sign-out').addEventListener('click', () => signOut());
  $('#dispatch').addEventListener('click', onDispatch);
  $('#close-form').addEventListener('submit', onClose);
  $('#cancel-form').addEventListener('submit', onCancel);
  $('#merge-form').addEventListener('submit', onMerge);
  $('#merge-into').addEventListener('change', renderMergeButton);
  $('#cancel-reason').addEventListener('input', () => {
    $('#cancel-error').textContent = '';
    $('#cancel-reason').removeAttribute('aria-invalid');
  });
  $('#order-controlled').addEventListener('click', onControlled);
  for (const which of ['merge', 'cancel', 'close']) {
    $(`#order-${which}`).addEventListener('click', () => showOrderForm(state.orderForm === which ? null : which, true));
  }
  for (const back of document.querySelectorAll('[data-order-back]')) back.addEventListener('click', () => showOrderForm(null, true));
  $('#par-confirm').addEventListener('click', onConfirmPAR);
  setupAssessForm();
  $('#recommendation').addEventListener('change', onPick);
  $('#coverage-toggle').addEventListener('click', () => showCoverage(!state.coverageShown, true));
  let resizeFrame = 0;
  new ResizeObserver(() => {
    cancelAnimationFrame(resizeFrame);
    resizeFrame = requestAnimationFrame(drawMap);
  }).observe($('#map'));
  const tick = () => {
    $('#clock').textContent = clock(new Date().toISOString());
    fillElapsed();
    fillCountdowns();
  };
  tick();
  setInterval(tick, 1000);

  if (!session.signedIn) {
    showLogin($('#console-view'));
    return;
  }
  if (await resumeSession(client, session, messages)) enter();
}

/** refuseConsole says why a user may not use the console, or '' when they may. */
function refuseConsole(user) {
  if (can(user.role, 'read_incidents')) return '';
  return can(user.role, 'move_own_unit')
    ? 'This is a crew account: crews sign in on the field page (/field).'
    : `Role ${user.role} may not use the console.`;
}

function enter() {
  const user = session.user || {};
  showSignedIn($('#console-view'), `${user.username} · ${label(user.role)}`);
  document.body.dataset.role = user.role || '';
  state.seen = null;
  state.incidentsLoaded = false;
  showCoverage(coverageLayerWanted(user.role), false);
  state.queueSeen = null;
  renderCoverage();
  renderMoveUps();
  renderQueue();
  live.start();
  invalidate('incidents', 'units', 'stations', 'coverage', 'moveups', 'warnings', 'queue');
  state.timers.push(
    setInterval(() => { if (state.selectedId !== null && !document.hidden) invalidate('streams'); }, STREAM_POLL_MS),
    setInterval(() => { if (!document.hidden) invalidate('incidents', 'units', 'detail', 'coverage', 'moveups', 'queue'); }, FULL_REFRESH_MS),
    setInterval(checkEngine, ENGINE_POLL_MS),
  );
  checkEngine();
  const fromHash = /^#incident-(\d+)$/.exec(location.hash);
  if (fromHash) select(Number(fromHash[1]));
}

function signOut(note = '') {
  live.stop();
  state.engineDown = false;
  renderEngineNotice();
  stopPlayers();
  state.timers.forEach(clearInterval);
  Object.assign(state, {
    timers: [], incidents: [], units: [], selectedId: null, detail: null, timeline: [], review: null,
    coverage: null, coverageNote: '', coverageBasis: null, moveUps: null,
    alarms: null, queue: null, queueSeen: null, assessDirty: null, orderForm: null,
  });
  state.busy.clear();
  clearTimeout(coverageTimer);
  coverageTimer = null;
  escalationSignature = '';
  state.picks.clear();
  session.clear();
  history.replaceState(null, '', location.pathname);
  showLogin($('#console-view'), note);
}

/** may says whether the user's role may take action, as the API decides it (domain.js). */
function may(action) {
  return can(session.user?.role, action);
}

/** canDispatch says whether the user may dispatch and give incidents their orders. */
function canDispatch() {
  return may('dispatch');
}

/** canSupervise says whether the user may take escalations from the supervisors' queue. */
function canSupervise() {
  return may('ack_escalation');
}

/**
 * act runs one order once: while it is on its way its key is busy (its buttons say so and
 * wait), and a failure is shown in the messages. It reports whether the order went through.
 */
async function act(key, fn) {
  if (state.busy.has(key)) return false;
  state.busy.add(key);
  rerenderActions();
  try {
    await fn();
    return true;
  } catch (err) {
    if (err.status !== 401) messages.error(err);
    return false;
  } finally {
    state.busy.delete(key);
    rerenderActions();
  }
}

function rerenderActions() {
  if (state.detail) renderDetail();
  renderQueue();
}

/** busy says whether an order of the selected incident is on its way; with no kind, any. */
function busy(kind) {
  const prefix = `${state.selectedId}:`;
  if (kind) return state.busy.has(prefix + kind);
  return [...state.busy].some((k) => k.startsWith(prefix) && !k.includes(':task:') && !k.includes(':split:'));
}

/** applyView shows an incident view an order answered with, ahead of its change notice. */
function applyView(v) {
  if (v && state.selectedId === v.id) {
    state.detail = v;
    renderDetail();
  }
}

// ---- incidents list --------------------------------------------------------------------------

function renderIncidents() {
  const list = $('#incident-list');
  const incidents = [...state.incidents].sort((a, b) => new Date(b.created_at) - new Date(a.created_at));
  const firstLoad = state.seen === null;
  const seen = state.seen ?? new Set();
  const escalated = openEscalations();
  list.replaceChildren(...incidents.map((inc) => {
    const isNew = !firstLoad && !seen.has(inc.id);
    seen.add(inc.id);
    const assigned = (inc.assigned_units || []).filter((a) => !a.cleared_at).length;
    const esc = escalated.get(inc.id) || 0;
    return el('li', {},
      el('button', {
        type: 'button', class: `incident-row${isNew ? ' is-new' : ''}`, 'data-testid': 'incident-row',
        'data-incident-id': inc.id, 'data-status': inc.status, 'aria-pressed': String(inc.id === state.selectedId),
        onclick: () => select(inc.id),
      },
      el('span', { class: 'row-top' },
        el('span', { class: 'inc-id' }, `#${inc.id}`),
        el('span', { class: 'inc-type' }, label(inc.type)),
        esc ? el('span', { class: 'esc-flag', 'data-testid': 'incident-escalated', title: `${esc} open escalation${esc === 1 ? '' : 's'} in the supervisors' queue` },
          String(esc), el('span', { class: 'visually-hidden' }, ` open escalation${esc === 1 ? '' : 's'}`)) : null,
        inc.priority ? el('span', { class: `prio p${inc.priority}`, title: `Priority ${priorityText(inc.priority)}` }, `P${inc.priority}`) : null,
        el('span', { class: 'level', title: `Alarm level ${inc.level}` }, `L${inc.level}`)),
      el('span', { class: 'row-addr' }, inc.address || `${inc.location.lat.toFixed(4)}, ${inc.location.lng.toFixed(4)}`),
      el('span', { class: 'row-bottom' },
        el('span', { class: `badge inc-${inc.status}` }, label(inc.status)),
        el('span', { class: 'age', 'data-since': inc.created_at, title: `Received ${clock(inc.created_at)}` }, ''),
        inc.alarm_count > 1 ? el('span', { class: 'alarms' }, `${inc.alarm_count} alarms`) : null,
        el('span', { class: 'units' }, assigned ? `${assigned} units` : 'no units'))));
  }));
  if (state.incidentsLoaded) state.seen = seen; // before the first load, nothing is "new"
  $('#incident-count').textContent = String(incidents.length);
  $('#incidents-empty').hidden = incidents.length > 0;
  fillElapsed(list);
}

/** openEscalations counts the supervisors' queue by incident. */
function openEscalations() {
  const n = new Map();
  for (const e of state.queue || []) {
    if (!e.acknowledged_at) n.set(e.incident_id, (n.get(e.incident_id) || 0) + 1);
  }
  return n;
}

function select(id) {
  if (state.selectedId === id) return;
  stopPlayers();
  Object.assign(state, { selectedId: id, detail: null, timeline: [], nearby: null, review: null, alarms: null, assessDirty: null });
  $('#close-reason').value = '';
  $('#cancel-reason').value = '';
  $('#cancel-error').textContent = '';
  showOrderForm(null, false);
  history.replaceState(null, '', `#incident-${id}`);
  renderIncidents();
  renderDetail();
  renderQueue();
  drawMap();
  showVideoNote('Looking for live video…');
  renderNearby();
  renderAlarms();
  renderReview();
  invalidate('detail', 'timeline', 'alarms', 'streams', 'nearby');
}

// ---- incident detail -------------------------------------------------------------------------

function renderDetail() {
  const d = state.detail;
  renderEngineNotice();
  const article = $('#incident-detail');
  if (!d) {
    article.hidden = true;
    $('#detail-empty').hidden = false;
    $('#detail-empty').textContent = state.selectedId === null
      ? 'Select an incident to see its recommendation, units and timeline.'
      : `Loading incident #${state.selectedId}…`;
    return;
  }
  $('#detail-empty').hidden = true;
  article.hidden = false;
  article.dataset.incidentId = d.id;
  article.dataset.status = d.status;
  $('#incident-title').textContent = `#${d.id} ${label(d.type)}`;
  const badge = $('#incident-status');
  badge.textContent = label(d.status);
  badge.className = `badge inc-${d.status}`;
  badge.dataset.status = d.status;
  const prio = $('#incident-priority');
  prio.hidden = !d.priority;
  prio.textContent = priorityText(d.priority);
  prio.className = `prio p${d.priority}`;
  prio.title = d.priority ? `Priority ${d.priority} of ${PRIORITIES.at(-1).value} (1 most urgent): ${PRIORITIES.find((p) => p.value === d.priority)?.hint}` : '';
  $('#open-review').href = `/review#incident-${d.id}`;

  const open = OPEN.includes(d.status);
  const facts = [
    ['Address', d.address || '—'],
    ['Alarm level', String(d.level)],
    ['Priority', d.priority ? priorityText(d.priority) : el('span', { class: 'sub' }, 'not assessed')],
    ['Assessed', assessedFact(d, open)],
    ['Alarms', String(d.alarm_count)],
    ['Location', `${d.location.lat.toFixed(5)}, ${d.location.lng.toFixed(5)}`],
    ['H3 cell', d.cell || '—'],
    ['Received', el('span', {}, clock(d.created_at), open ? [' (', el('span', { 'data-since': d.created_at }, ''), ' ago)'] : null)],
    d.closed_at ? [d.outcome === 'cancelled' ? 'Cancelled' : d.outcome === 'merged' ? 'Merged' : 'Closed', clock(d.closed_at)] : null,
    d.outcome && d.outcome !== d.status ? ['Outcome', label(d.outcome)] : null,
    d.merged_into ? ['Merged into', el('button', {
      type: 'button', class: 'link-button', 'data-testid': 'merged-into', onclick: () => select(d.merged_into),
    }, `#${d.merged_into}`)] : null,
  ].filter(Boolean);
  $('#incident-facts').replaceChildren(...facts.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
  fillElapsed($('#incident-facts'));

  renderPAR(d, open);
  renderIncidentEscalations(d);
  renderOrders(d, open);
  renderAssess(d, open);
  $('#dispatch-section').hidden = !open;
  renderRecommendation();
  renderAssignments();
  renderTasks(d);
  renderAlarms();
  $('#review-section').hidden = open || d.status === 'merged';
}

/**
 * assessedFact says who assessed the incident and when, or that nobody has yet. The incident's
 * record says; for one assessed before the record kept it, the timeline's first assessment does.
 */
function assessedFact(d, open) {
  let at = d.assessed_at, who = d.assessed_by;
  if (!at) {
    const ev = state.timeline.find((e) => e.kind === 'assessed');
    if (ev) [at, who] = [ev.at, ev.actor];
  }
  if (!at) {
    return open ? el('span', { class: d.status === 'assessing' ? 'warn-text' : 'sub', 'data-testid': 'assessed' }, 'not yet') : '—';
  }
  const by = { 'pre-plan': 'from the pre-plan', dispatch: 'on first dispatch', '': '' }[who ?? ''] ?? `by ${who}`;
  return el('span', { 'data-testid': 'assessed', 'data-by': who || null }, `${by ? `${by} ` : ''}at ${clock(at)}`);
}

// ---- PAR, orders, assessment -------------------------------------------------------------------

function renderPAR(d, open) {
  const banner = $('#par-banner');
  const due = open ? d.par_due_at || '' : '';
  banner.hidden = !due;
  // The banner is an alert: its text is rewritten only when another PAR falls due.
  if (due && banner.dataset.parDue !== due) {
    $('#par-text').replaceChildren(`since ${clock(due)} (`, el('span', { 'data-since': due }, ''),
      ' ago): the incident commander reports every crew on scene accounted for.');
    fillElapsed($('#par-text'));
  }
  banner.dataset.parDue = due;
  const btn = $('#par-confirm');
  btn.hidden = !canDispatch();
  btn.disabled = busy('par');
  btn.textContent = busy('par') ? 'Confirming…' : 'Confirm PAR';
}

async function onConfirmPAR() {
  const d = state.detail;
  if (!d) return;
  await act(`${d.id}:par`, async () => {
    applyView(await client.post(`/api/v1/incidents/${d.id}/par`));
    messages.info(`Incident #${d.id}: PAR confirmed, every crew accounted for.`);
    invalidate('timeline');
  });
}

/** renderIncidentEscalations lists the incident's open escalations; the taken ones fold away. */
function renderIncidentEscalations(d) {
  const list = [...(d.escalations || [])].sort((a, b) => new Date(b.raised_at) - new Date(a.raised_at));
  const open = list.filter((e) => !e.acknowledged_at);
  const taken = list.filter((e) => e.acknowledged_at);
  const item = (e) => escalationItem(e, { canTake: canSupervise(), busy: state.busy.has(`esc:${e.id}`), onTake });
  $('#inc-esc-section').hidden = list.length === 0;
  $('#inc-esc-h').textContent = open.length ? `Escalations · ${open.length} open` : 'Escalations';
  $('#inc-escalations').replaceChildren(...open.map(item));
  $('#inc-escalations').hidden = !open.length;
  $('#inc-esc-taken-box').hidden = !taken.length;
  $('#inc-esc-taken-sum').textContent = `${taken.length} taken by a supervisor`;
  $('#inc-esc-taken').replaceChildren(...taken.map(item));
}

/** mergeTargets are the other open incidents, nearest first: a duplicate is usually close by. */
function mergeTargets(d) {
  return state.incidents.filter((i) => i.id !== d.id && OPEN.includes(i.status))
    .map((i) => ({ inc: i, m: metresBetween(d.location, i.location) }))
    .sort((a, b) => a.m - b.m);
}

function renderOrders(d, open) {
  const can = open && canDispatch();
  $('#orders').hidden = !can;
  if (!can) {
    showOrderForm(null, false);
    return;
  }
  const anyBusy = busy();
  const controlled = $('#order-controlled');
  controlled.hidden = d.status !== 'active';
  controlled.disabled = anyBusy;
  controlled.textContent = busy('controlled') ? 'Reporting…' : 'Under control';

  const targets = mergeTargets(d);
  const select = $('#merge-into');
  const options = targets.map(({ inc, m }) => [inc.id, `#${inc.id} ${label(inc.type)} — ${inc.address || 'no address'} · ${distance(m)} · ${label(inc.status)}`]);
  // Refilled only when the choice changes: refilling closes a list the operator has open.
  const signature = `${d.id}|${options.map((o) => o.join(':')).join('|')}`;
  if (select.dataset.signature !== signature) {
    const was = select.value;
    select.replaceChildren(el('option', { value: '' }, targets.length ? 'Choose the incident…' : 'No other open incident'),
      ...options.map(([id, text]) => el('option', { value: id }, text)));
    if (options.some(([id]) => String(id) === was)) select.value = was;
    select.dataset.signature = signature;
  }
  const merge = $('#order-merge');
  merge.disabled = anyBusy || (!targets.length && state.orderForm !== 'merge');
  merge.title = targets.length ? 'This incident is a duplicate of another open incident' : 'No other open incident to merge into';
  $('#order-cancel').disabled = anyBusy;
  $('#order-close').disabled = anyBusy;
  renderMergeButton();
  const cancel = $('#cancel-submit');
  cancel.disabled = anyBusy;
  cancel.textContent = busy('cancel') ? 'Cancelling…' : 'Cancel incident';
  const close = $('#close-incident');
  close.disabled = anyBusy;
  close.textContent = busy('close') ? 'Closing…' : 'Close incident';
  showOrderForm(state.orderForm, false);
}

function renderMergeButton() {
  const into = $('#merge-into').value;
  const btn = $('#merge-submit');
  btn.disabled = !into || busy();
  btn.textContent = busy('merge') ? 'Merging…' : into && state.detail ? `Merge #${state.detail.id} into #${into}` : 'Merge';
}

/** showOrderForm opens one of the order forms (or none) under the orders. */
function showOrderForm(which, focus) {
  state.orderForm = which;
  for (const name of ['merge', 'cancel', 'close']) {
    const form = $(`#${name}-form`);
    const wasHidden = form.hidden;
    form.hidden = which !== name;
    $(`#order-${name}`).setAttribute('aria-expanded', String(which === name));
    if (focus && which === name && wasHidden) form.querySelector('input, select')?.focus();
  }
  if (focus && !which) $('#orders button:not([hidden]):not(:disabled)')?.focus();
}

async function onControlled() {
  const d = state.detail;
  if (!d) return;
  await act(`${d.id}:controlled`, async () => {
    applyView(await client.post(`/api/v1/incidents/${d.id}/controlled`));
    messages.info(`Incident #${d.id} is under control.`);
    invalidate('incidents', 'timeline');
  });
}

async function onCancel(e) {
  e.preventDefault();
  const d = state.detail;
  if (!d) return;
  const input = $('#cancel-reason');
  const reason = input.value.trim();
  if (!reason) {
    $('#cancel-error').textContent = 'Say why the incident is cancelled.';
    input.setAttribute('aria-invalid', 'true');
    input.focus();
    return;
  }
  await act(`${d.id}:cancel`, async () => {
    const v = await client.post(`/api/v1/incidents/${d.id}/cancel`, { reason });
    input.value = '';
    state.orderForm = null;
    applyView(v);
    messages.info(`Incident #${d.id} cancelled: ${reason}`);
    invalidate('incidents', 'units', 'timeline');
  });
}

async function onMerge(e) {
  e.preventDefault();
  const d = state.detail;
  const into = Number($('#merge-into').value);
  if (!d || !into) return;
  await act(`${d.id}:merge`, async () => {
    const v = await client.post(`/api/v1/incidents/${d.id}/merge`, { into });
    state.orderForm = null;
    messages.info(`Incident #${d.id} merged into #${into}: its alarms and units are there now.`);
    invalidate('incidents', 'units');
    // The operator goes on with the incident that remains.
    select(into);
    applyView(v);
  });
}

function setupAssessForm() {
  $('#assess-type').replaceChildren(...INCIDENT_TYPES.map((t) => el('option', { value: t }, label(t))));
  const levels = [];
  for (let l = MIN_LEVEL; l <= MAX_LEVEL; l++) levels.push(el('option', { value: l }, `Level ${l}`));
  $('#assess-level').replaceChildren(...levels);
  $('#assess-priority').replaceChildren(el('option', { value: '' }, 'Choose…'),
    ...PRIORITIES.map((p) => el('option', { value: p.value, title: p.hint }, `${p.value} — ${p.name}`)));
  const form = $('#assess-form');
  form.addEventListener('change', () => {
    if (state.detail) state.assessDirty = state.detail.id;
    renderAssessEffect();
  });
  form.addEventListener('submit', onAssess);
}

function assessValues() {
  return {
    type: $('#assess-type').value,
    level: Number($('#assess-level').value),
    priority: Number($('#assess-priority').value),
  };
}

function renderAssess(d, open) {
  const section = $('#assess-section');
  section.hidden = !open || !canDispatch();
  if (section.hidden) return;
  // The form follows the incident until the operator starts changing it.
  if (state.assessDirty !== d.id) {
    $('#assess-type').value = d.type;
    $('#assess-level').value = String(d.level);
    $('#assess-priority').value = d.priority ? String(d.priority) : '';
  }
  const first = !d.assessed_at && !dispatched(d);
  section.classList.toggle('needs-attention', d.status === 'assessing' || d.status === 'received');
  $('#assess-h').textContent = first ? 'Assess' : 'Reassess or upgrade';
  renderAssessEffect();
}

function renderAssessEffect() {
  const d = state.detail;
  if (!d) return;
  const v = assessValues();
  const effect = assessEffect(d, v);
  $('#assess-effect').textContent = effect.text;
  $('#assess-effect').classList.toggle('is-upgrade', effect.upgrade);
  const btn = $('#assess-submit');
  btn.disabled = busy();
  btn.className = `btn ${effect.upgrade ? 'btn-danger' : 'btn-primary'}`;
  btn.textContent = busy('assess') ? 'Sending…' : effect.upgrade ? 'Upgrade and send' : d.assessed_at ? 'Reassess' : 'Assess';
}

async function onAssess(e) {
  e.preventDefault();
  const d = state.detail;
  if (!d) return;
  const v = assessValues();
  if (!v.priority) {
    messages.error('Choose a priority: 1 is the most urgent.');
    $('#assess-priority').focus();
    return;
  }
  const { upgrade } = assessEffect(d, v);
  await act(`${d.id}:assess`, async () => {
    const updated = await client.post(`/api/v1/incidents/${d.id}/assess`, v);
    state.assessDirty = null;
    state.picks.delete(d.id); // a new run card: the operator's earlier picks no longer apply
    applyView(updated);
    messages.info(`Incident #${d.id} assessed: ${label(v.type)}, level ${v.level}, ${priorityText(v.priority)}${upgrade ? '; the difference is dispatched' : ''}.`);
    invalidate('incidents', 'units', 'timeline');
  });
}

// ---- agency tasks and alarms -------------------------------------------------------------------

function renderTasks(d) {
  const tasks = d.agency_tasks || [];
  const table = $('#agency-tasks');
  table.tBodies[0].replaceChildren(...tasks.map((t) => taskRow(t, {
    canAct: canDispatch() && OPEN.includes(d.status), busy: busy(`task:${t.agency}`), onAct: onTask, ended: !OPEN.includes(d.status),
  })));
  table.hidden = tasks.length === 0;
  $('#tasks-empty').hidden = tasks.length > 0;
  $('#tasks-empty').textContent = d.assessed_at || !OPEN.includes(d.status)
    ? 'No agency asked.' : 'Agencies are asked when the incident is assessed.';
  const open = tasks.filter((t) => !FINISHED_TASK_STATUSES.includes(t.status)).length;
  $('#tasks-h').textContent = tasks.length && OPEN.includes(d.status) ? `Other agencies · ${open} open` : 'Other agencies';
  fillCountdowns(table);
}

async function onTask(t, status) {
  const d = state.detail;
  if (!d) return;
  await act(`${d.id}:task:${t.agency}`, async () => {
    const updated = await client.post(`/api/v1/incidents/${d.id}/agency-tasks/${encodeURIComponent(t.agency)}`, { status });
    const tasks = state.detail?.id === d.id ? state.detail.agency_tasks || [] : [];
    const i = tasks.findIndex((x) => x.agency === t.agency);
    if (i >= 0) tasks[i] = { ...tasks[i], ...updated };
    messages.info(`Incident #${d.id}: ${agencyLabel(t.agency)} task ${status === 'cancelled' ? 'called off' : `marked ${status}`}.`);
    invalidate('detail', 'timeline');
  });
}

function renderAlarms() {
  const d = state.detail;
  const list = $('#alarms');
  const a = state.alarms;
  if (!d || !a || a.incidentId !== d.id) {
    list.replaceChildren(el('li', { class: 'empty' }, 'Loading…'));
    $('#alarms-h').textContent = 'Alarms';
    return;
  }
  const canSplit = canDispatch() && OPEN.includes(d.status);
  const only = a.list.length < 2;
  list.replaceChildren(...a.list.map((x) => alarmItem(x, {
    canSplit, only, busy: busy(`split:${x.id}`), onSplit, canConfirm: may('post_alarm'), onConfirm: confirmAlarm,
  })));
  if (!a.list.length) list.replaceChildren(el('li', { class: 'empty' }, 'No alarms: they moved to another incident.'));
  $('#alarms-h').textContent = `Alarms · ${a.list.length}`;
}

async function confirmAlarm(a) {
  try {
    await client.post(`/api/v1/alarms/${a.id}/confirm`);
    messages.info(`Public report ${a.source_id} confirmed.`);
  } catch (err) {
    messages.error(`Could not confirm: ${err.message}`);
  }
  invalidate('alarms', 'timeline');
}

async function onSplit(a) {
  const d = state.detail;
  if (!d) return;
  await act(`${d.id}:split:${a.id}`, async () => {
    const created = await client.post(`/api/v1/incidents/${d.id}/split`, { alarm_id: a.id });
    messages.info(`Alarm ${a.id} split out of #${d.id}: it is incident #${created.id} now.`);
    invalidate('incidents', 'detail', 'alarms', 'timeline');
  });
}

// ---- the supervisors' queue --------------------------------------------------------------------

function renderQueue() {
  const q = state.queue;
  const open = (q || []).filter((e) => !e.acknowledged_at).sort((a, b) => new Date(b.raised_at) - new Date(a.raised_at));
  const count = $('#queue-count');
  count.textContent = String(open.length);
  count.dataset.count = open.length;
  count.setAttribute('aria-label', `${open.length} open escalation${open.length === 1 ? '' : 's'}`);
  count.classList.toggle('is-hot', open.length > 0);

  const byId = new Map(state.incidents.map((i) => [i.id, i]));
  const list = $('#queue');
  list.replaceChildren(...open.map((e) => {
    const li = escalationItem(e, {
      queue: true, canTake: canSupervise(), busy: state.busy.has(`esc:${e.id}`), onTake,
      incident: byId.get(e.incident_id) || null, onSelect: select,
    });
    if (e.incident_id === state.selectedId) li.classList.add('is-selected');
    return li;
  }));
  fillElapsed(list);
  const note = $('#queue-note');
  note.textContent = !q ? 'Loading escalations…' : !open.length ? 'No open escalations: every timer is in time or taken.'
    : canSupervise() ? '' : 'Read only: a supervisor takes escalations.';
  note.hidden = !note.textContent;

  // Announce escalations that arrived since the last look, once.
  if (q) {
    const fresh = state.queueSeen ? open.filter((e) => !state.queueSeen.has(e.id)) : [];
    if (fresh.length) {
      const e = fresh[0];
      $('#queue-live').textContent = fresh.length === 1
        ? `New escalation on incident ${e.incident_id}: ${timerLabel(e.timer)}. ${e.detail}`
        : `${fresh.length} new escalations in the supervisors' queue.`;
    }
    state.queueSeen = new Set([...(state.queueSeen || []), ...open.map((e) => e.id)]);
    renderIncidentsIfEscalationsChanged(open);
  }
}

let escalationSignature = '';

/** renderIncidentsIfEscalationsChanged redraws the incident rows when their escalation flags change. */
function renderIncidentsIfEscalationsChanged(open) {
  const sig = open.map((e) => e.id).sort((a, b) => a - b).join(',');
  if (sig === escalationSignature) return;
  escalationSignature = sig;
  renderIncidents();
}

async function onTake(e) {
  const ok = await act(`esc:${e.id}`, async () => {
    const taken = await client.post(`/api/v1/escalations/${e.id}/ack`);
    state.queue = (state.queue || []).map((x) => (x.id === e.id ? { ...x, ...taken } : x));
    const mine = state.detail?.escalations?.findIndex((x) => x.id === e.id) ?? -1;
    if (mine >= 0) state.detail.escalations[mine] = { ...state.detail.escalations[mine], ...taken };
    messages.info(`You took the escalation on incident #${e.incident_id}: ${timerLabel(e.timer)}.`);
  });
  // Taken or not (a 409: another supervisor was quicker), the queue is refetched.
  invalidate('queue');
  if (!ok && e.incident_id === state.selectedId) invalidate('detail');
}

/** assignedNow is the set of units on the incident that have not cleared. */
function assignedNow(d) {
  return new Set((d.assigned_units || []).filter((a) => !a.cleared_at).map((a) => a.unit_id));
}

/**
 * offers are the units the table offers, none of them on the incident already: the
 * recommendation, replacements for units that did not acknowledge, and alternates.
 */
function offers(d) {
  // Units already on the incident are in the assignments table, not offered again.
  const assigned = assignedNow(d);
  const rec = (d.recommendation || []).filter((r) => !assigned.has(r.unit_id));
  // The workflow may offer one unit in place of several silent ones: it is one row.
  const repl = (d.replacements || []).filter((r, i, all) => !assigned.has(r.unit_id) && !rec.some((x) => x.unit_id === r.unit_id)
    && all.findIndex((x) => x.unit_id === r.unit_id) === i);
  const alt = (d.alternates || []).filter((a) => !assigned.has(a.unit_id) && ![...rec, ...repl].some((x) => x.unit_id === a.unit_id));
  return { rec, repl, alt };
}

/**
 * picked is the units the operator means to send: their own choice or the recommendation, of
 * what the table offers now (a new run card or a dispatch takes earlier picks off it).
 */
function picked(d) {
  const { rec, repl, alt } = offers(d);
  const offered = new Set([...rec, ...repl, ...alt].map((r) => r.unit_id));
  const choice = state.picks.get(d.id) ?? new Set(rec.map((r) => r.unit_id));
  return new Set([...choice].filter((u) => offered.has(u)));
}

function renderRecommendation() {
  const d = state.detail;
  if (!d) return;
  const table = $('#recommendation');
  const assigned = assignedNow(d);
  const { rec, repl, alt } = offers(d);
  const chosen = picked(d);
  const units = new Map(state.units.map((u) => [u.id, u]));
  const replaces = replacedUnits(d, state.timeline);
  const assignment = new Map((d.assigned_units || []).filter((a) => !a.cleared_at).map((a) => [a.unit_id, a]));
  const testids = { recommended: 'rec-unit', replacement: 'repl-unit', alternate: 'alt-unit' };

  const row = (r, kind) => {
    const u = units.get(r.unit_id);
    const busy = u && u.incident_id && u.incident_id !== d.id;
    const id = `pick-${r.unit_id}`;
    const silent = kind === 'replacement' ? (replaces.get(r.unit_id) || []).join(', ') : '';
    // The silent units may have answered since: then the replacement is no longer needed.
    const answered = silent && (replaces.get(r.unit_id) || []).every((u) => assignment.get(u)?.status !== 'dispatched');
    return el('tr', {
      'data-testid': 'rec-row', 'data-unit-id': r.unit_id, 'data-unit-type': r.type, 'data-kind': kind, 'data-replaces': silent || null,
      class: kind === 'replacement' ? 'is-replacement' : null, title: r.reason || null,
    },
    el('td', {}, el('input', {
      type: 'checkbox', id, 'data-testid': testids[kind],
      'data-unit-id': r.unit_id, 'data-unit-type': r.type,
      checked: chosen.has(r.unit_id), disabled: !canDispatch(),
    })),
    el('td', {}, el('label', { for: id }, el('strong', {}, r.unit_id), u?.name && u.name !== r.unit_id ? el('span', { class: 'sub' }, ` ${u.name}`) : null),
      kind === 'replacement' ? el('span', {
        class: 'tag tag-repl', 'data-testid': 'replaces',
        title: silent ? `Recommended because ${silent} did not acknowledge in time${answered ? '; answered since' : ''}` : 'Recommended in place of a unit that did not acknowledge',
      }, silent ? `replaces ${silent}${answered ? ' (answered since)' : ''}` : 'replacement') : null,
      busy ? el('span', { class: 'tag tag-warn', title: `Committed to incident #${u.incident_id}` }, `on #${u.incident_id}`) : null,
      r.position_stale ? el('span', { class: 'tag tag-warn', title: r.reason || 'position is stale' }, 'from station') : null),
      el('td', {}, el('span', { class: `type type-${r.type}` }, label(r.type))),
      el('td', { class: 'num', title: r.model ? `Travel-time model: ${r.model}` : null }, duration(r.eta_s), learnedTag(r)),
      el('td', { class: 'num' }, distance(r.distance_m)),
      el('td', {}, r.station_id || '—'));
  };

  const body = [...rec.map((r) => row(r, 'recommended'))];
  if (repl.length) {
    body.push(el('tr', { class: 'separator' }, el('th', { colspan: 6, scope: 'rowgroup' }, 'Replacements for units that did not acknowledge')));
    body.push(...repl.map((r) => row(r, 'replacement')));
  }
  if (alt.length) {
    body.push(el('tr', { class: 'separator' }, el('th', { colspan: 6, scope: 'rowgroup' }, 'Alternates')));
    body.push(...alt.map((r) => row(r, 'alternate')));
  }
  table.tBodies[0].replaceChildren(...body);
  table.hidden = body.length === 0;
  $('#rec-empty').hidden = body.length > 0;
  $('#rec-h').textContent = assigned.size ? 'Send more units' : 'Recommended units';
  $('#rec-empty').textContent = assigned.size ? 'Every recommended unit is assigned.'
    : ['received', 'assessing'].includes(d.status) ? 'Waiting for the recommendation…' : 'No units recommended.';

  const short = d.short || [];
  $('#short-warning').hidden = short.length === 0;
  $('#short-warning').textContent = short.length
    ? `Short of the response plan: ${short.map((s) => `${s.count} × ${label(s.type)}`).join(', ')} — no such units available nearby.`
    : '';
  updateDispatchButton();
}

/**
 * learnedTag marks an ETA the learned model gave, with the trips behind it; the distance model's
 * ETAs carry no tag. The reason, as its title, says which trips.
 */
function learnedTag(r) {
  if (!r.model?.startsWith('learned')) return null;
  const n = r.model_samples || 0;
  return el('span', { class: 'tag tag-learned', 'data-testid': 'eta-learned', 'data-model': r.model, title: r.reason || r.model },
    n ? `learned · ${n} trip${n === 1 ? '' : 's'}` : 'learned');
}

function onPick(e) {
  if (e.target.type !== 'checkbox' || !state.detail) return;
  const ids = [...$('#recommendation').querySelectorAll('input[type=checkbox]:checked:not(:disabled)')].map((c) => c.dataset.unitId);
  state.picks.set(state.detail.id, new Set(ids));
  updateDispatchButton();
}

function updateDispatchButton() {
  const btn = $('#dispatch');
  if (btn.dataset.busy) return;
  const n = state.detail ? picked(state.detail).size : 0;
  btn.disabled = n === 0 || !canDispatch();
  btn.textContent = n ? `Dispatch ${n} unit${n === 1 ? '' : 's'}` : 'Dispatch';
  btn.title = canDispatch() ? '' : 'Your role may not dispatch';
}

async function onDispatch() {
  const d = state.detail;
  if (!d) return;
  const ids = [...picked(d)];
  if (!ids.length) return;
  const btn = $('#dispatch');
  btn.dataset.busy = '1';
  btn.disabled = true;
  btn.textContent = 'Dispatching…';
  try {
    const updated = await client.post(`/api/v1/incidents/${d.id}/dispatch`, { unit_ids: ids });
    state.picks.delete(d.id);
    if (state.selectedId === d.id) {
      state.detail = updated;
      renderDetail();
    }
    messages.info(`Incident #${d.id}: dispatched ${ids.join(', ')}.`);
    invalidate('units', 'timeline', 'incidents');
  } catch (err) {
    messages.error(err);
  } finally {
    delete btn.dataset.busy;
    updateDispatchButton();
  }
}

function renderAssignments() {
  const d = state.detail;
  const list = d.assigned_units || [];
  const units = new Map(state.units.map((u) => [u.id, u]));
  const table = $('#assignments');
  table.tBodies[0].replaceChildren(...list.map((a) => {
    const name = units.get(a.unit_id)?.name;
    return el('tr', { 'data-testid': 'assignment', 'data-unit-id': a.unit_id, 'data-unit-type': a.type, 'data-status': a.status, class: a.cleared_at ? 'is-cleared' : null },
      el('td', {}, el('strong', {}, a.unit_id), name && name !== a.unit_id ? el('span', { class: 'sub unit-name', title: name }, name) : null),
      el('td', {}, el('span', { class: `type type-${a.type}` }, label(a.type))),
      el('td', {}, el('span', { class: `badge status-${a.status}`, 'data-testid': 'assignment-status', 'data-unit-id': a.unit_id, 'data-status': a.status }, label(a.status))),
      ...[a.dispatched_at, a.acknowledged_at, a.en_route_at, a.on_scene_at, a.cleared_at].map((t) => el('td', { class: 'num' }, clock(t))));
  }));
  table.hidden = list.length === 0;
  $('#assign-empty').hidden = list.length > 0;
}

async function onClose(e) {
  e.preventDefault();
  const d = state.detail;
  if (!d) return;
  const reason = $('#close-reason').value.trim();
  await act(`${d.id}:close`, async () => {
    const updated = await client.post(`/api/v1/incidents/${d.id}/close`, reason ? { reason } : {});
    $('#close-reason').value = '';
    state.orderForm = null;
    applyView(updated);
    messages.info(`Incident #${d.id} closed.`);
    invalidate('incidents', 'units', 'review', 'timeline');
  });
}

function renderNearby() {
  const n = state.nearby;
  const water = n?.water_sources || [];
  const premises = n?.premises || [];
  $('#nearby-water').replaceChildren(...water.map((w) => el('li', { 'data-testid': 'water-source', 'data-id': w.id },
    el('strong', {}, w.id), ` ${label(w.kind)} · ${distance(w.distance_m)}`,
    w.flow_lpm ? el('span', { class: 'sub' }, ` · ${w.flow_lpm} L/min`) : null)));
  if (!water.length) {
    $('#nearby-water').replaceChildren(el('li', { class: 'empty' },
      n ? `No working water source within ${distance(n.water_radius_m)}: send a tanker.` : 'Loading…'));
  }
  $('#nearby-premises').replaceChildren(...premises.map((p) => el('li', { 'data-testid': 'premise', 'data-id': p.id },
    el('strong', {}, p.name), ` · ${distance(p.distance_m)}`,
    p.hazards?.length ? el('div', { class: 'hazards' }, ...p.hazards.map((h) => el('span', { class: 'tag tag-warn' }, h))) : null,
    p.pre_plan ? el('div', { class: 'sub' }, p.pre_plan) : null)));
  if (!premises.length) {
    $('#nearby-premises').replaceChildren(el('li', { class: 'empty' },
      n ? `No key premises within ${distance(n.premise_radius_m)}.` : 'Loading…'));
  }
}

/** renderWarnings lists the CAP warnings in force, most severe first, with their expiry. */
function renderWarnings() {
  const ws = [...(state.warnings || [])].sort((a, b) => b.readiness - a.readiness);
  $('#warnings').replaceChildren(...ws.map((w) => {
    const info = w.infos?.find((i) => i.language?.startsWith('en')) || w.infos?.[0] || {};
    return el('li', { class: `warning warn-r${w.readiness}`, 'data-warning-id': w.id, 'data-testid': 'warning' },
      el('strong', {}, info.headline || info.event || w.identifier),
      el('span', { class: 'warning-meta' }, ` ${info.severity || ''} · ${info.urgency || ''} · ${info.certainty || ''} · ${w.cells.length} cells · until ${clock(w.expires)}`));
  }));
  if (!ws.length) $('#warnings').replaceChildren(el('li', { class: 'empty' }, 'No warning in force.'));
}

function renderTimeline() {
  const events = [...state.timeline].reverse(); // newest first: what just happened is on top
  $('#timeline').replaceChildren(...events.map((ev) => el('li', { 'data-testid': 'timeline-event', 'data-kind': ev.kind, class: `ev ev-${ev.kind}` },
    el('time', { datetime: ev.at }, clock(ev.at)),
    el('span', { class: 'ev-kind' }, label(ev.kind)),
    el('span', { class: 'ev-detail' }, ev.detail || ''),
    ev.unit_id || ev.actor ? el('span', { class: 'ev-meta' }, [ev.unit_id, ev.actor].filter(Boolean).join(' · ')) : null)));
  if (!events.length) $('#timeline').replaceChildren(el('li', { class: 'empty' }, 'Nothing recorded yet.'));
  // A replacement's row names the unit it replaces from the timeline; an ended incident's
  // assessment is read from it.
  if (state.detail?.replacements?.length) renderRecommendation();
  if (state.detail && !state.detail.assessed_at) renderDetail();
}

function renderReview() {
  const r = state.review;
  const box = $('#review');
  if (!r) {
    box.replaceChildren(el('p', { class: 'empty' }, 'Loading the review…'));
    return;
  }
  if (r instanceof Error) {
    box.replaceChildren(el('p', { class: 'empty' }, 'The review is being written; it appears here when ready.'));
    return;
  }
  box.replaceChildren(...[
    el('dl', { class: 'facts', 'data-testid': 'review' },
      r.outcome ? [el('dt', {}, 'Outcome'), el('dd', { 'data-testid': 'review-outcome' }, label(r.outcome), r.reason ? el('span', { class: 'sub' }, ` — ${r.reason}`) : null)] : null,
      r.assessment_s != null ? [el('dt', {}, 'Assessment'), el('dd', {}, duration(r.assessment_s))] : null,
      el('dt', {}, 'Call processing'), el('dd', { 'data-testid': 'review-call-processing' }, duration(r.call_processing_s)),
      r.first_arrival_s != null ? [el('dt', {}, 'First arrival'), el('dd', {}, duration(r.first_arrival_s))] : null,
      el('dt', {}, 'Escalations'), el('dd', {}, String(r.escalations ?? 0)),
      r.reviewed_at ? [el('dt', {}, 'Reviewed'), el('dd', {}, clock(r.reviewed_at))] : null),
    // An incident cancelled before dispatch has no unit to review.
    r.units?.length ? el('table', { class: 'table' },
      el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Unit'), el('th', { scope: 'col' }, 'Turnout'), el('th', { scope: 'col' }, 'Travel'))),
      el('tbody', {}, (r.units || []).map((u) => el('tr', { 'data-unit-id': u.unit_id },
        el('td', {}, u.unit_id), el('td', { class: 'num' }, duration(u.turnout_s)), el('td', { class: 'num' }, duration(u.travel_s)))))) : null,
  ].filter(Boolean));
}

// ---- units board and map ---------------------------------------------------------------------

function renderUnits() {
  const groups = new Map(UNIT_STATUSES.map((s) => [s, []]));
  for (const u of state.units) {
    if (!groups.has(u.status)) groups.set(u.status, []);
    groups.get(u.status).push(u);
  }
  $('#unit-board').replaceChildren(...[...groups].map(([status, units]) => el('section', { class: `unit-group status-${status}`, 'data-status': status },
    el('h3', {}, el('span', { class: `dot status-${status}` }), label(status), el('span', { class: 'count' }, String(units.length))),
    el('ul', {}, units.sort((a, b) => a.id.localeCompare(b.id)).map(unitChip)))));
  const committed = state.units.filter((u) => u.incident_id).length;
  const posted = state.units.filter((u) => u.post_station_id).length;
  $('#unit-count').textContent = `${state.units.length} units · ${committed} committed${posted ? ` · ${posted} covering` : ''}`;
}

function unitChip(u) {
  const post = u.post_station_id;
  const returning = state.deciding.has(moveKey(u.id, u.station_id));
  return el('li', {
    class: `unit-chip status-${u.status}${post ? ' is-posted' : ''}`, 'data-testid': 'unit-status', 'data-unit-id': u.id,
    'data-unit-type': u.type, 'data-status': u.status, 'data-post-station-id': post || null,
    title: `${u.name || u.id} — ${label(u.type)}, station ${u.station_id || '—'}, ${label(u.status)}${u.incident_id ? `, incident #${u.incident_id}` : ''}${post ? `, covering ${stationName(post)}` : ''}`,
  },
  el('span', { class: 'chip-id' }, u.id),
  el('span', { class: 'chip-type' }, TYPE_CODES[u.type] || u.type),
  el('span', { class: 'visually-hidden' }, label(u.status)),
  post ? el('span', { class: 'chip-post', 'data-testid': 'unit-post', title: `Stands by at ${stationName(post)}; home station ${u.station_id}` }, `covering ${post}`) : null,
  // Only an available unit moves; a committed one keeps its post until it is back.
  post && may('move_unit') && u.status === 'available' && !u.incident_id ? el('button', {
    type: 'button', class: 'chip-action', 'data-testid': 'return-to-quarters', 'data-unit-id': u.id, disabled: returning,
    'aria-label': `Return ${u.id} to quarters at ${u.station_id}`, title: `Ends the post: ${u.id} goes back to ${stationName(u.station_id)}`,
    onclick: () => returnToQuarters(u),
  }, returning ? 'Returning…' : 'Return to quarters') : null,
  u.incident_id ? el('button', { type: 'button', class: 'chip-inc', onclick: () => select(u.incident_id), 'aria-label': `Show incident ${u.incident_id}` }, `#${u.incident_id}`) : null);
}

function drawMap() {
  const incidents = [...state.incidents];
  if (state.detail && !incidents.some((i) => i.id === state.detail.id)) incidents.push(state.detail);
  situation.draw({ units: state.units, incidents, stations: state.stations, selectedId: state.selectedId });
}

/** putUnit takes a unit the API answered with into the list, ahead of its change notice. */
function putUnit(u) {
  const i = state.units.findIndex((x) => x.id === u.id);
  if (i < 0) return;
  state.units[i] = u;
  renderUnits();
  drawMap();
}

// ---- coverage and move-ups -------------------------------------------------------------------

const number = new Intl.NumberFormat('en-GB', { maximumFractionDigits: 0 });

function moveKey(unitId, stationId) {
  return `${unitId}>${stationId}`;
}

/** stationName is "DCF-3 — Dongchangfu Station 3 (…)", or the id alone before stations load. */
function stationName(id) {
  const s = state.stations.find((x) => x.id === id);
  return s ? `${id} — ${s.name}` : id;
}

/** coverageLayerWanted is the map layer's remembered state, else on for supervisors. */
function coverageLayerWanted(role) {
  try {
    const saved = localStorage.getItem(COVERAGE_LAYER_KEY);
    if (saved === 'on' || saved === 'off') return saved === 'on';
  } catch {
    // storage disabled: fall back on the role's default
  }
  return role === 'supervisor';
}

function showCoverage(on, remember) {
  state.coverageShown = on;
  const toggle = $('#coverage-toggle');
  toggle.setAttribute('aria-pressed', String(on));
  $('#coverage-legend').hidden = !on;
  situation.setCoverageShown(on);
  if (remember) {
    try {
      localStorage.setItem(COVERAGE_LAYER_KEY, on ? 'on' : 'off');
    } catch {
      // storage disabled: the choice lasts this page only
    }
  }
  if (on && !situation.hasShapes && session.signedIn) invalidate('coverage');
}

function renderCoverage() {
  const c = state.coverage;
  const summary = $('#cover-summary');
  $('#cover-note').hidden = Boolean(c);
  $('#cover-note').textContent = state.coverageNote || 'Loading coverage…';
  summary.hidden = !c;
  if (!c) return;
  const target = duration(c.target_seconds);
  const type = c.unit_type || 'engine';
  $('#cover-share-label').textContent = `People within ${target} of ${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;
  const share = $('#cover-share');
  share.textContent = `${(c.covered_share * 100).toFixed(1)} %`;
  share.dataset.value = c.covered_share;
  share.title = `${number.format(c.weight - c.gap_weight)} of ${number.format(c.weight)} people are within ${target} of an available ${type}`;
  const cells = $('#cover-gap-cells');
  cells.replaceChildren(number.format(c.gap_cells), el('span', { class: 'sub' }, ` of ${number.format(c.cells.length)}`));
  cells.dataset.value = c.gap_cells;
  cells.title = `H3 cells (about 5 km² each) farther than ${target} from an available ${type}`;
  const people = $('#cover-gap-people');
  people.textContent = number.format(c.gap_weight);
  people.dataset.value = c.gap_weight;
  people.title = 'Residents by the population model; each key premises counts as a thousand';

  // The legend's times follow the target.
  $('#coverage-legend-title').textContent = `${label(type)} travel time, target ${target}; stronger shade, more people`;
  let lower = 0;
  $('#coverage-bands').replaceChildren(...COVERAGE_BANDS.map((b) => {
    const text = Number.isFinite(b.upTo) ? `≤${duration(b.upTo * c.target_seconds)}` : `>${duration(lower * c.target_seconds)}`;
    lower = b.upTo;
    return el('li', { class: b.gap ? 'is-gap' : null }, el('span', { class: `swatch ${b.band}`, 'aria-hidden': 'true' }), b.gap ? el('span', { class: 'visually-hidden' }, 'gap ') : null, text);
  }));
}

function renderMoveUps() {
  const m = state.moveUps;
  const list = $('#move-ups');
  const suggestions = m?.suggestions || [];
  list.replaceChildren(...suggestions.map(moveUpItem));
  if (!m) {
    list.replaceChildren(el('li', { class: 'empty' }, state.coverageNote || 'Loading move-ups…'));
  } else if (!suggestions.length) {
    list.replaceChildren(el('li', { class: 'empty', 'data-testid': 'move-ups-empty' }, m.note || 'No move-up would close a gap now.'));
  } else if (!may('move_unit')) {
    list.append(el('li', { class: 'empty' }, 'Read only: a dispatcher accepts or ignores move-ups.'));
  }

  const units = new Map(state.units.map((u) => [u.id, u]));
  const recent = m?.recent || [];
  $('#move-up-recent').replaceChildren(...recent.map((d) => {
    const home = units.get(d.unit_id)?.station_id === d.to_station_id;
    const what = d.decision === 'accepted' && home ? `${d.unit_id} back to quarters` : `${d.unit_id} → ${d.to_station_id}`;
    return el('li', {
      'data-testid': 'move-up-decision', 'data-decision': d.decision, 'data-unit-id': d.unit_id, 'data-station-id': d.to_station_id,
      title: d.reason || null,
    },
    el('time', { datetime: d.decided_at }, clock(d.decided_at)),
    el('span', { class: 'decision-what' }, el('span', { class: `decision decision-${d.decision}` }, label(d.decision)), ` ${what}`),
    el('span', { class: 'sub' }, d.actor || ''));
  }));
  if (!recent.length) $('#move-up-recent').replaceChildren(el('li', { class: 'empty' }, m ? 'None.' : ''));
}

/** signed formats a change: "−3", "+1,200", "±0". */
function signed(n) {
  const r = Math.round(n);
  return r === 0 ? '±0' : `${r < 0 ? '−' : '+'}${number.format(Math.abs(r))}`;
}

function moveUpItem(m) {
  const key = moveKey(m.unit_id, m.to_station_id);
  const busy = state.deciding.has(key);
  const what = `${m.unit_id} to stand by at ${m.to_station_id}`;
  return el('li', { class: 'move-up', 'data-testid': 'move-up', 'data-unit-id': m.unit_id, 'data-station-id': m.to_station_id, 'aria-busy': busy ? 'true' : null },
    el('div', { class: 'move-up-head' },
      el('span', { class: 'move-up-what', title: `${m.unit_id} to ${stationName(m.to_station_id)}` },
        el('strong', {}, m.unit_id), el('span', { 'aria-hidden': 'true' }, ' → '), el('span', { class: 'visually-hidden' }, ' to '),
        el('strong', {}, m.to_station_id)),
      may('move_unit') ? el('span', { class: 'move-up-actions' },
        el('button', {
          type: 'button', class: 'btn btn-primary btn-small', 'data-testid': 'move-up-accept', disabled: busy,
          'aria-label': `Accept move-up: ${what}`, onclick: () => decideMoveUp(m, true),
        }, busy ? 'Sending…' : 'Accept'),
        el('button', {
          type: 'button', class: 'btn btn-small', 'data-testid': 'move-up-ignore', disabled: busy,
          'aria-label': `Ignore move-up: ${what}`, title: 'Not suggested again for 30 minutes', onclick: () => decideMoveUp(m, false),
        }, 'Ignore')) : null),
    el('div', {
      class: 'move-up-effect',
      title: `Gap cells ${number.format(m.gap_cells_before)} → ${number.format(m.gap_cells_after)}; people in gaps ${number.format(m.gap_weight_before)} → ${number.format(m.gap_weight_after)}`,
    },
    `from ${m.from_station_id || 'the road'}, ${duration(m.travel_s)} · `,
    el('span', { class: 'num' }, `${signed(m.gap_cells_after - m.gap_cells_before)} gap cells`), ' · ',
    el('span', { class: 'num' }, `${signed(m.gap_weight_after - m.gap_weight_before)} people`)),
    m.reason ? el('p', { class: 'move-up-reason', title: m.reason }, m.reason) : null);
}

async function decideMoveUp(m, accept) {
  const key = moveKey(m.unit_id, m.to_station_id);
  if (state.deciding.has(key)) return;
  state.deciding.add(key);
  renderMoveUps();
  try {
    const answer = await client.post(accept ? '/api/v1/move-ups' : '/api/v1/move-ups/ignore', { unit_id: m.unit_id, station_id: m.to_station_id });
    if (state.moveUps) {
      state.moveUps.suggestions = state.moveUps.suggestions.filter((s) => moveKey(s.unit_id, s.to_station_id) !== key);
      if (answer?.move_up) state.moveUps.recent = [answer.move_up, ...state.moveUps.recent.filter((r) => r.id !== answer.move_up.id)];
    }
    if (answer?.unit) putUnit(answer.unit);
    messages.info(accept ? `${m.unit_id} moves up to stand by at ${m.to_station_id}.`
      : `Move-up of ${m.unit_id} to ${m.to_station_id} ignored; not suggested again for 30 minutes.`);
    invalidate('coverage', 'moveups', 'units');
  } catch (err) {
    messages.error(err);
  } finally {
    state.deciding.delete(key);
    renderMoveUps();
  }
}

async function returnToQuarters(u) {
  const key = moveKey(u.id, u.station_id);
  if (state.deciding.has(key)) return;
  state.deciding.add(key);
  renderUnits();
  try {
    const answer = await client.post('/api/v1/move-ups', { unit_id: u.id, station_id: u.station_id });
    if (answer?.unit) putUnit(answer.unit);
    messages.info(`${u.id} returns to quarters at ${u.station_id}.`);
    invalidate('coverage', 'moveups', 'units');
  } catch (err) {
    messages.error(err);
  } finally {
    state.deciding.delete(key);
    renderUnits();
  }
}

// ---- live video ------------------------------------------------------------------------------

/** Player plays one crew camera of an incident over WHEP. */
class Player {
  constructor(incidentId, stream) {
    this.incidentId = incidentId;
    this.stream = stream;
    this.failedAt = 0;
    this.stopped = false;
    const name = state.units.find((u) => u.id === stream)?.name;
    this.video = el('video', {
      autoplay: true, muted: true, playsinline: true, 'data-stream': stream, 'data-testid': 'stream-video',
      'aria-label': `Live video from ${name || stream}`,
    });
    this.video.muted = true; // the attribute alone does not mute a video made by script
    this.stateText = el('span', { class: 'player-state' });
    this.meta = el('span', { class: 'player-meta' });
    this.node = el('figure', { class: 'player', 'data-stream': stream },
      this.video,
      el('figcaption', {}, el('strong', {}, stream), name && name !== stream ? el('span', { class: 'sub' }, ` ${name}`) : null, this.stateText, this.meta));
    this.setState('connecting', 'Connecting…');
  }

  setState(s, text) {
    this.state = s;
    this.node.dataset.state = s;
    this.stateText.textContent = text;
  }

  async start() {
    const pc = new RTCPeerConnection();
    this.pc = pc;
    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.addTransceiver('audio', { direction: 'recvonly' });
    const tracks = [];
    pc.ontrack = (e) => {
      tracks.push(e.track);
      this.video.srcObject = e.streams[0] ?? new MediaStream(tracks);
      this.video.play().catch(() => {}); // autoplay of a muted video is allowed; this only nudges it
    };
    pc.onconnectionstatechange = () => {
      if (this.stopped) return;
      switch (pc.connectionState) {
        case 'connected': this.setState('live', 'Live'); break;
        case 'disconnected': this.setState('connecting', 'Signal lost, retrying…'); break;
        case 'failed': this.fail(new Error('media connection failed')); break;
      }
    };
    try {
      const path = `/api/v1/media/incidents/${this.incidentId}/streams/${encodeURIComponent(this.stream)}/whep`;
      this.location = await negotiate(client, path, pc);
      if (this.stopped) this.end();
    } catch (err) {
      this.fail(err);
    }
  }

  fail(err) {
    if (this.stopped) return;
    this.setState('failed', `Failed: ${err.message}`);
    this.failedAt = Date.now();
    this.end();
  }

  end() {
    this.pc?.close();
    if (this.location) client.end(this.location).catch(() => {});
    this.location = null;
  }

  stop() {
    this.stopped = true;
    this.end();
    this.video.srcObject = null;
    this.node.remove();
  }

  update(info) {
    const tracks = (info.tracks || []).map((t) => t.replace(/^(video|audio)\//, '')).join(', ');
    const rate = info.bitrate_bps ? `${(info.bitrate_bps / 1e6).toFixed(1)} Mbit/s` : '';
    const lost = info.packets_lost > 0 ? `${info.packets_lost} lost` : '';
    this.meta.textContent = [`since ${clock(info.started_at)}`, `${info.viewers} watching`, tracks, rate, lost].filter(Boolean).join(' · ');
    this.node.dataset.bitrate = String(info.bitrate_bps || 0);
  }
}

function syncPlayers(incidentId, streams) {
  const names = new Set(streams.map((s) => s.stream));
  for (const [name, p] of state.players) {
    // A failed player is retried after a pause, so a crew's brief network loss heals itself.
    if (!names.has(name) || (p.state === 'failed' && Date.now() - p.failedAt > 5000)) {
      p.stop();
      state.players.delete(name);
    }
  }
  const grid = $('#video-grid');
  for (const info of streams) {
    let p = state.players.get(info.stream);
    if (!p) {
      p = new Player(incidentId, info.stream);
      state.players.set(info.stream, p);
      grid.append(p.node);
      p.start();
    }
    p.update(info);
  }
  showVideoNote(streams.length ? '' : 'No crew is streaming video for this incident.');
}

function showVideoNote(text) {
  $('#video-empty').textContent = text;
  $('#video-empty').hidden = !text;
}

function stopPlayers() {
  for (const p of state.players.values()) p.stop();
  state.players.clear();
  showVideoNote('Select an incident to watch its crews\' cameras.');
}

// WHEP sessions end with the page, so the media server does not wait for a timeout.
addEventListener('pagehide', () => {
  for (const p of state.players.values()) {
    if (p.location) fetch(p.location, { method: 'DELETE', keepalive: true, headers: { Authorization: `Bearer ${session.token}` } }).catch(() => {});
  }
});

main();
