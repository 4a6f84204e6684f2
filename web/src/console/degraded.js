// The degraded-mode banner: while /readyz reports a dependency down (api.js polls it), a band
// across the console says what still works. Without the workflow engine alarms are still
// stored, and the system starts their incidents when it returns, but orders are refused;
// without the database nothing new can be stored and sources are asked to retry. It clears by
// itself when the dependency answers again.

import { $, el } from '../lib/common.js';
import { t } from '../lib/i18n.js';
import { state, on } from './store.js';

function render() {
  const banner = $('#degraded');
  const lines = [];
  if (state.user && state.databaseDown) lines.push(t('console.degraded.database'));
  if (state.user && state.engineDown) lines.push(t('console.degraded.engine'));
  banner.hidden = lines.length === 0;
  banner.dataset.database = String(state.databaseDown);
  banner.dataset.engine = String(state.engineDown);
  banner.replaceChildren(...lines.map((line) => el('p', {}, line)));
}

/** setupDegraded draws the degraded-mode banner from the store. */
export function setupDegraded() {
  on(['engine', 'session', 'locale'], render);
  render();
}
