// The open incident's orders: the PAR banner and its confirmation, under control, merge into
// another incident (with the console's merge suggestion first in the choice), cancel with a
// reason, and close.

import { $, el, fillElapsed } from '../../lib/common.js';
import { t, tEnum, formatTime, formatDistance } from '../../lib/i18n.js';
import { metresBetween } from '../../lib/lifecycle.js';
import { OPEN_INCIDENT_STATUSES as OPEN } from '../../lib/domain.js';
import { state, on, may, busy } from '../store.js';
import { client, messages, invalidate, act, applyView } from '../api.js';
import { openIncident } from '../nav.js';
import { mergeSuggestions } from '../lists.js';

const FORMS = ['merge', 'cancel', 'close'];

function renderPAR(d, open) {
  const banner = $('#par-banner');
  const due = open ? d.par_due_at || '' : '';
  banner.hidden = !due;
  // The banner is an alert: its text is rewritten only when another PAR falls due.
  if (due && (banner.dataset.parDue !== due || banner.dataset.locale !== document.documentElement.lang)) {
    $('#par-text').replaceChildren(t('console.par.since', { time: formatTime(due) }), ' ',
      el('span', { 'data-since': due, 'data-since-format': 'ago' }, ''), ' ', t('console.par.what'));
    fillElapsed($('#par-text'));
  }
  banner.dataset.parDue = due;
  banner.dataset.locale = document.documentElement.lang;
  const btn = $('#par-confirm');
  btn.hidden = !may('dispatch');
  btn.disabled = busy('par');
  btn.textContent = busy('par') ? t('console.par.confirming') : t('console.par.confirm');
}

/** mergeTargets are the other open incidents, the suggested ones first, then nearest first. */
function mergeTargets(d) {
  return state.incidents.filter((i) => i.id !== d.id && OPEN.includes(i.status))
    .map((i) => ({ inc: i, m: metresBetween(d.location, i.location) }))
    .sort((a, b) => a.m - b.m);
}

function render() {
  const d = state.detail;
  if (!d) return;
  const open = OPEN.includes(d.status);
  renderPAR(d, open);
  const can = open && may('dispatch');
  $('#orders').hidden = !can;
  if (!can) {
    showForm(null, false);
    return;
  }
  const anyBusy = busy();
  const controlled = $('#order-controlled');
  controlled.hidden = d.status !== 'active';
  controlled.disabled = anyBusy;
  controlled.textContent = busy('controlled') ? t('console.orders.reporting') : t('console.orders.controlled');

  const targets = mergeTargets(d);
  const suggested = new Set(mergeSuggestions(d).map((x) => x.inc.id));
  const select = $('#merge-into');
  const options = targets.map(({ inc, m }) => [inc.id, t(suggested.has(inc.id) ? 'console.orders.mergeOptionSuggested' : 'console.orders.mergeOption', {
    id: inc.id, type: tEnum('incidentType', inc.type), address: inc.address || t('console.orders.noAddress'), distance: formatDistance(m), status: tEnum('incidentStatus', inc.status),
  })]);
  // Refilled only when the choice changes: refilling closes a list the operator has open.
  const signature = `${d.id}|${document.documentElement.lang}|${options.map((o) => o.join(':')).join('|')}`;
  if (select.dataset.signature !== signature) {
    const was = select.value;
    select.replaceChildren(el('option', { value: '' }, targets.length ? t('console.orders.chooseIncident') : t('console.orders.noOther')),
      ...options.map(([id, text]) => el('option', { value: id }, text)));
    if (options.some(([id]) => String(id) === was)) select.value = was;
    select.dataset.signature = signature;
  }
  // A merge suggestion opened from the queue: its target is chosen and the form open.
  if (state.mergeInto?.from === d.id && options.some(([id]) => id === state.mergeInto.into)) {
    select.value = String(state.mergeInto.into);
    state.orderForm = 'merge';
    state.mergeInto = null;
  }
  const suggestion = mergeSuggestions(d)[0];
  $('#merge-suggested').hidden = !suggestion;
  if (suggestion) {
    $('#merge-suggested').textContent = t('console.merge.hintLong', {
      id: suggestion.inc.id, type: tEnum('incidentType', suggestion.inc.type), distance: formatDistance(suggestion.m),
    });
  }
  const merge = $('#order-merge');
  merge.disabled = anyBusy || (!targets.length && state.orderForm !== 'merge');
  merge.title = targets.length ? t('console.orders.mergeTitle') : t('console.orders.noOther');
  $('#order-cancel').disabled = anyBusy;
  $('#order-close').disabled = anyBusy;
  renderMergeButton();
  const cancel = $('#cancel-submit');
  cancel.disabled = anyBusy;
  cancel.textContent = busy('cancel') ? t('console.orders.cancelling') : t('console.orders.cancelIncident');
  const close = $('#close-incident');
  close.disabled = anyBusy;
  close.textContent = busy('close') ? t('console.orders.closing') : t('console.orders.closeIncident');
  showForm(state.orderForm, false);
}

function renderMergeButton() {
  const into = $('#merge-into').value;
  const btn = $('#merge-submit');
  btn.disabled = !into || busy();
  btn.textContent = busy('merge') ? t('console.orders.merging')
    : into && state.detail ? t('console.orders.mergeInto', { id: state.detail.id, into }) : t('console.orders.merge');
}

/** showForm opens one of the order forms (or none) under the orders. */
function showForm(which, focus) {
  state.orderForm = which;
  for (const name of FORMS) {
    const form = $(`#${name}-form`);
    const wasHidden = form.hidden;
    form.hidden = which !== name;
    $(`#order-${name}`).setAttribute('aria-expanded', String(which === name));
    if (focus && which === name && wasHidden) form.querySelector('input, select')?.focus();
  }
  if (focus && !which) $('#orders button:not([hidden]):not(:disabled)')?.focus();
}

async function onConfirmPAR() {
  const d = state.detail;
  if (!d) return;
  await act(`${d.id}:par`, async () => {
    applyView(await client.post(`/api/v1/incidents/${d.id}/par`));
    messages.info(t('console.par.confirmed', { id: d.id }));
    invalidate('timeline');
  });
}

async function onControlled() {
  const d = state.detail;
  if (!d) return;
  await act(`${d.id}:controlled`, async () => {
    applyView(await client.post(`/api/v1/incidents/${d.id}/controlled`));
    messages.info(t('console.orders.controlledDone', { id: d.id }));
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
    $('#cancel-error').textContent = t('console.orders.cancelWhy');
    input.setAttribute('aria-invalid', 'true');
    input.focus();
    return;
  }
  await act(`${d.id}:cancel`, async () => {
    const v = await client.post(`/api/v1/incidents/${d.id}/cancel`, { reason });
    input.value = '';
    state.orderForm = null;
    applyView(v);
    messages.info(t('console.orders.cancelled', { id: d.id, reason }));
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
    messages.info(t('console.orders.merged', { id: d.id, into }));
    invalidate('incidents', 'units');
    // The operator goes on with the incident that remains.
    openIncident(into);
    applyView(v);
  });
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
    messages.info(t('console.orders.closed', { id: d.id }));
    invalidate('incidents', 'units', 'review', 'timeline');
  });
}

/** setupOrders wires the order buttons and forms. */
export function setupOrders() {
  $('#par-confirm').addEventListener('click', onConfirmPAR);
  $('#order-controlled').addEventListener('click', onControlled);
  $('#close-form').addEventListener('submit', onClose);
  $('#cancel-form').addEventListener('submit', onCancel);
  $('#merge-form').addEventListener('submit', onMerge);
  $('#merge-into').addEventListener('change', renderMergeButton);
  $('#cancel-reason').addEventListener('input', () => {
    $('#cancel-error').textContent = '';
    $('#cancel-reason').removeAttribute('aria-invalid');
  });
  for (const which of FORMS) {
    $(`#order-${which}`).addEventListener('click', () => showForm(state.orderForm === which ? null : which, true));
  }
  for (const back of document.querySelectorAll('[data-order-back]')) back.addEventListener('click', () => showForm(null, true));
  on('selection', () => {
    $('#close-reason').value = '';
    $('#cancel-reason').value = '';
    $('#cancel-error').textContent = '';
    showForm(null, false);
  });
  on(['detail', 'incidents', 'busy', 'locale', 'session'], render);
  on('tick', () => { if (!$('#par-banner').hidden) fillElapsed($('#par-text')); });
}
