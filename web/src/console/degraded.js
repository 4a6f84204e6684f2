// The degraded-mode banner: while /readyz reports a dependency down (api.js polls it), a band
// across the console says what still works. Without the workflow engine alarms are still
// stored, and the system starts their incidents when it returns, but orders are refused;
// without the database nothing new can be stored and sources are asked to retry. While it
// shows, /readyz is asked more often, so that it clears within seconds of the recovery.

import { $, el } from '../lib/common.js';
import { t } from '../lib/i18n.js';
import { state, on } from './store.js';
import { checkEngine } from './api.js';

const RECOVERY_POLL_MS = 3000; // how often /readyz is asked while a dependency is down

let recoveryTimer = null;

function render() {
  const banner = $('#degraded');
  const lines = [];
  if (state.user && state.databaseDown) lines.push(t('console.degraded.database'));
  if (state.user && state.engineDown) lines.push(t('console.degraded.engine'));
  banner.hidden = lines.length === 0;
  banner.dataset.database = String(state.databaseDown);
  banner.dataset.engine = String(state.engineDown);
  banner.replaceChildren(...lines.map((line) => el('p', {}, line)));

  const degraded = lines.length > 0;
  if (degraded && recoveryTimer === null) {
    recoveryTimer = setInterval(checkEngine, RECOVERY_POLL_MS);
  } else if (!degraded && recoveryTimer !== null) {
    clearInterval(recoveryTimer);
    recoveryTimer = null;
  }
}

/** setupDegraded draws the degraded-mode banner from the store. */
export function setupDegraded() {
  on(['engine', 'session', 'locale'], render);
  render();
}
