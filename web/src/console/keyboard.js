// Keyboard first: one table of shortcuts drives both the key handler and the help overlay (?),
// so the overlay lists exactly what works. No shortcut fires while the operator types in a field
// or holds Ctrl, Alt or Meta; Escape leaves a field, and closes the overlay and dialogs.

import { $, el } from '../lib/common.js';
import { t, onLocaleChange } from '../lib/i18n.js';
import { state, changed } from './store.js';
import { stepIncident, queueIncidents, boardIncidents, openIncident } from './nav.js';
import { filterFn } from './lists.js';
import { acceptRecommendation, requestDispatch } from './incident/dispatch.js';
import { prepareUpgrade } from './incident/assess.js';
import { focusMap } from './mapview.js';

/** SHORTCUTS are the console's keys: what the overlay shows (keys), what matches (match), what runs. */
export const SHORTCUTS = [
  { id: 'next', keys: ['j'], run: () => step(1) },
  { id: 'previous', keys: ['k'], run: () => step(-1) },
  { id: 'nextAlarm', keys: ['n'], run: nextAlarm },
  { id: 'accept', keys: ['a'], run: () => withIncident(acceptRecommendation) },
  { id: 'dispatch', keys: ['d'], run: () => withIncident(requestDispatch) },
  { id: 'upgrade', keys: ['u'], run: () => withIncident(prepareUpgrade) },
  { id: 'map', keys: ['m'], run: focusMap },
  { id: 'search', keys: ['/'], run: () => $('#incident-search').focus() },
  { id: 'supervisor', keys: ['s'], run: () => showTab(state.tab === 'supervisor' ? 'incident' : 'supervisor') },
  { id: 'help', keys: ['?'], run: toggleHelp },
  { id: 'escape', keys: ['Escape'], run: null },
  { id: 'confirm', keys: ['Enter'], run: null },
];

const TYPING = new Set(['INPUT', 'TEXTAREA', 'SELECT']);

/** typing says whether a key event belongs to a field the operator is typing in. */
function typing(e) {
  const target = e.target;
  if (!(target instanceof Element)) return false;
  if (target.isContentEditable) return true;
  if (!TYPING.has(target.tagName)) return false;
  // A checkbox or button-like input takes no text: shortcuts work there.
  return !(target.tagName === 'INPUT' && ['checkbox', 'radio', 'button', 'submit', 'reset'].includes(target.type));
}

function step(delta) {
  const filter = filterFn();
  const id = stepIncident(delta, [...queueIncidents(filter), ...boardIncidents(filter)]);
  if (id !== null) focusRow(id);
}

/** nextAlarm opens the alarm queue's most urgent incident after the open one, round the queue. */
function nextAlarm() {
  const queue = queueIncidents(filterFn());
  if (!queue.length) {
    $('#alarm-live').textContent = t('console.keys.noAlarm');
    return;
  }
  const at = queue.findIndex((i) => i.id === state.selectedId);
  const next = queue[(at + 1) % queue.length];
  openIncident(next.id);
  focusRow(next.id);
}

function focusRow(id) {
  const row = document.querySelector(`[data-testid="incident-row"][data-incident-id="${id}"]`);
  row?.focus({ preventScroll: true });
  row?.scrollIntoView({ block: 'nearest' });
}

function withIncident(fn) {
  if (!state.detail) {
    $('#alarm-live').textContent = t('console.keys.noIncident');
    return;
  }
  if (state.tab !== 'incident') showTab('incident');
  fn();
}

/** showTab shows the incident or the supervisor view in the side panel. */
export function showTab(tab) {
  state.tab = tab;
  changed('tab');
}

function toggleHelp() {
  const help = $('#help');
  if (help.open) help.close();
  else {
    help.showModal();
    $('#help-close').focus();
  }
}

function renderHelp() {
  $('#help-list').replaceChildren(...SHORTCUTS.map((s) => el('div', { class: 'help-row', 'data-shortcut': s.id },
    el('dt', {}, ...s.keys.map((k) => el('kbd', {}, keyName(k)))),
    el('dd', {}, t(`console.keys.do.${s.id}`)))));
}

/** keyName is how a key is written on the keyboard: Esc, Enter (named per language), J, /, ?. */
function keyName(k) {
  return k.length > 1 ? t(`console.keys.name.${k}`) : k.toUpperCase();
}

function onKey(e) {
  if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
  if (e.key === 'Escape') {
    if (typing(e)) e.target.blur();
    return; // dialogs close themselves on Escape
  }
  if (typing(e) || !state.user) return;
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  // Over an open dialog only ? works, to close the help again.
  if (document.querySelector('dialog[open]') && key !== '?') return;
  const s = SHORTCUTS.find((x) => x.run && x.keys.includes(key));
  if (!s) return;
  e.preventDefault();
  s.run();
}

/** setupKeyboard listens for the shortcuts and fills the help overlay. */
export function setupKeyboard() {
  document.addEventListener('keydown', onKey);
  $('#help-open').addEventListener('click', toggleHelp);
  $('#help-close').addEventListener('click', () => $('#help').close());
  renderHelp();
  onLocaleChange(renderHelp);
}
