// The dispatch console (dispatchers and supervisors): the alarm queue and the incident board, the
// situation map, the open incident (assessment, recommendation and dispatch, orders, agency tasks,
// alarms, premises and water, timeline, video), the units board with each unit's time in status,
// and the supervisor view. Everything is drawn from one store (store.js) that the API glue
// (api.js) keeps current from the live event stream; this module signs people in and out, wires
// the views and runs the clock.

import './console.css';
import {
  $, adoptCookieSession, fillElapsed, loadIncidentTypes, offerDirectory, onLoginSubmit, resumeSession, showLogin, showSignedIn, showLiveState,
} from '../lib/common.js';
import { t, tEnum, translate, languageSwitcher, onLocaleChange, formatTime } from '../lib/i18n.js';
import { can } from '../lib/domain.js';
import { state, on, changed, reset } from './store.js';
import { session, messages, client, live, invalidate, checkEngine, stopBackground, whenSignedOut } from './api.js';
import { openIncident } from './nav.js';
import { setupLists } from './lists.js';
import { setupView } from './incident/view.js';
import { setupDispatch } from './incident/dispatch.js';
import { setupOrders } from './incident/orders.js';
import { setupAssess } from './incident/assess.js';
import { setupAgencies } from './incident/agencies.js';
import { setupAlerts } from './incident/alerts.js';
import { setupAlarms } from './incident/alarms.js';
import { setupTimeline } from './incident/timeline.js';
import { setupVideo } from './incident/video.js';
import { setupUnits } from './units.js';
import { setupSupervisor } from './supervisor.js';
import { setupMap, showCoverageFor } from './mapview.js';
import { setupKeyboard, showTab } from './keyboard.js';
import { setupRisk } from './risk.js';
import { setupBuildings } from './buildings.js';
import { setupBuilding } from './incident/building.js';
import { setupDegraded } from './degraded.js';

const STREAM_POLL_MS = 3000;
const ENGINE_POLL_MS = 10000; // how often /readyz is asked whether the workflow engine answers
const FULL_REFRESH_MS = 30000; // a safety net: the event hub drops notices for slow clients

let timers = [];

/** refuseConsole says why a user may not use the console, or '' when they may. */
function refuseConsole(user) {
  if (can(user.role, 'read_incidents')) return '';
  return can(user.role, 'move_own_unit') ? t('console.login.crew') : t('console.login.role', { role: tEnum('role', user.role) });
}

function showWho() {
  const user = session.user;
  if (user) $('#whoami').textContent = t('console.whoami', { user: user.username, role: tEnum('role', user.role) });
}

function enter() {
  const user = session.user || {};
  state.user = user;
  showSignedIn($('#console-view'), '');
  showWho();
  document.body.dataset.role = user.role || '';
  state.seen = null;
  state.incidentsLoaded = false;
  state.queueSeen = null;
  changed('session');
  live.start();
  loadIncidentTypes(client);
  invalidate('incidents', 'units', 'stations', 'water', 'premises', 'coverage', 'moveups', 'warnings', 'queue');
  timers.push(
    setInterval(() => { if (state.selectedId !== null && !document.hidden) invalidate('streams'); }, STREAM_POLL_MS),
    setInterval(() => { if (!document.hidden) invalidate('incidents', 'units', 'detail', 'coverage', 'moveups', 'queue'); }, FULL_REFRESH_MS),
    setInterval(checkEngine, ENGINE_POLL_MS),
  );
  checkEngine();
  showCoverageFor(user.role);
  const fromHash = /^#incident-(\d+)$/.exec(location.hash);
  if (fromHash) openIncident(Number(fromHash[1]));
  // Focus rests on the page, not in a field, so the shortcuts work at once.
  if (document.activeElement instanceof HTMLElement) document.activeElement.blur();
}

function signOut(note = '') {
  live.stop();
  stopBackground();
  timers.forEach(clearInterval);
  timers = [];
  session.clear();
  reset();
  history.replaceState(null, '', location.pathname);
  showLogin($('#console-view'), note);
  $('#live-lost').hidden = true;
}

// The side panel's tabs; the Buildings tab is for whoever may read the buildings' boards.
const TABS = ['incident', 'supervisor', 'buildings'];

function renderTab() {
  const tab = state.tab;
  for (const name of TABS) {
    const button = $(`#tab-${name}`);
    button.setAttribute('aria-selected', String(tab === name));
    button.tabIndex = tab === name ? 0 : -1;
    $(`#${name}-panel`).hidden = tab !== name;
  }
}

function setupTabs() {
  for (const name of TABS) $(`#tab-${name}`).addEventListener('click', () => showTab(name));
  // Arrow keys move between the tabs shown, as a tab list does.
  $('#side-tabs').addEventListener('keydown', (e) => {
    if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
    const tabs = TABS.filter((name) => !$(`#tab-${name}`).hidden);
    const next = tabs[(tabs.indexOf(state.tab) + (e.key === 'ArrowRight' ? 1 : tabs.length - 1)) % tabs.length];
    showTab(next);
    $(`#tab-${next}`).focus();
  });
  on('tab', renderTab);
  renderTab();
}

function tick() {
  $('#clock').textContent = formatTime(new Date());
  fillElapsed(document.querySelector('#console-view:not([hidden])') || $('#clock'));
  if (state.user) changed('tick');
}

async function main() {
  translate(document);
  languageSwitcher($('#language'));
  onLocaleChange(() => {
    showLiveState($('#sse-state'));
    showWho();
    tick();
    changed('locale');
  });
  whenSignedOut(signOut);
  $('#login-form').addEventListener('submit', onLoginSubmit(client, session, refuseConsole, enter));
  $('#sign-out').addEventListener('click', async () => { await client.logout(); signOut(); });
  setupMap();
  setupRisk();
  setupLists();
  setupView();
  setupAssess();
  setupDispatch();
  setupOrders();
  setupAgencies();
  setupAlerts();
  setupAlarms();
  setupTimeline();
  setupVideo();
  setupUnits();
  setupSupervisor();
  setupBuildings();
  setupBuilding();
  setupTabs();
  setupDegraded();
  setupKeyboard();
  showLiveState($('#sse-state'), 'offline');
  tick();
  setInterval(tick, 1000);

  if (!session.signedIn && !(await adoptCookieSession(session))) {
    showLogin($('#console-view'));
    offerDirectory();
    return;
  }
  if (await resumeSession(client, session, messages)) enter();
}

main();
