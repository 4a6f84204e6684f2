// The open incident's public alerts (CAP 1.2): operators and supervisors publish one with a
// small form whose defaults suit the incident's type, then update or cancel it; everyone who
// reads incidents sees the list, each message linking its CAP document as sent.

import { $, el } from '../../lib/common.js';
import { t, tEnum, formatTime } from '../../lib/i18n.js';
import { OPEN_INCIDENT_STATUSES as OPEN } from '../../lib/domain.js';
import { data } from '../../lib/lifecycle.js';
import { state, on, may, busy } from '../store.js';
import { client, messages, invalidate, act } from '../api.js';

const URGENCIES = ['Immediate', 'Expected', 'Future'];
const SEVERITIES = ['Extreme', 'Severe', 'Moderate', 'Minor'];
const CERTAINTIES = ['Observed', 'Likely', 'Possible'];

// The radius a public alert starts with, by incident type: a chemical leak or a wildland fire
// reaches further than a house fire's smoke.
const RADIUS = { hazmat: 1500, wildland_fire: 3000, industrial_fire: 1000, building_collapse: 300 };

let alerts = []; // the open incident's messages, newest first
let loadedFor = null;
let form = null; // null, or { mode: 'publish' | 'update', identifier }
// The form's node lives across redraws (change notices redraw the panel often), so what the
// operator typed stays; it is built again only for another incident, message or mode.
let formNode = null;
let formKey = null;

async function load() {
  const id = state.selectedId;
  if (!id || !may('read_incidents')) {
    alerts = [];
    render();
    return;
  }
  try {
    const res = await client.get(`/api/v1/incidents/${id}/alerts`);
    if (state.selectedId !== id) return;
    alerts = res.alerts || [];
    loadedFor = id;
  } catch (err) {
    if (err.status !== 401 && err.status !== 503) messages.error(err);
    alerts = [];
  }
  render();
}

/** latestOfThread says whether m is the newest message of its thread. */
function latestOfThread(m) {
  return alerts.find((x) => x.thread === m.thread) === m;
}

function field(label, input) {
  return el('label', { class: 'alert-field' }, el('span', {}, label), input);
}

function choice(name, values, value, area) {
  return el('select', { name, 'data-testid': `alert-${name}` },
    values.map((v) => el('option', { value: v, selected: v === value }, t(`alerts.${area}.${v}`))));
}

/** formFor draws the publish or update form, with the incident type's defaults or the message's. */
function formFor(d, m) {
  const p = m?.params || {};
  const address = d.address || `${d.location.lat.toFixed(4)}, ${d.location.lng.toFixed(4)}`;
  const type = tEnum('incidentType', d.type);
  const f = el('form', { class: 'order-form alert-form', 'data-testid': 'alert-form' },
    field(t('alerts.event'), el('input', { name: 'event', required: true, maxlength: 160, value: p.event || type, 'data-testid': 'alert-event' })),
    field(t('alerts.headline'), el('input', {
      name: 'headline', required: true, maxlength: 160, 'data-testid': 'alert-headline',
      value: p.headline || t('alerts.defaultHeadline', { type, address }),
    })),
    field(t('alerts.instruction'), el('textarea', { name: 'instruction', rows: 2, maxlength: 2000, 'data-testid': 'alert-instruction' },
      p.instruction ?? t('alerts.defaultInstruction'))),
    field(t('alerts.radius'), el('input', {
      name: 'radius_m', type: 'number', min: 100, max: 20000, step: 100, required: true, 'data-testid': 'alert-radius',
      value: p.radius_m || RADIUS[d.type] || 500,
    })),
    field(t('alerts.expires'), el('input', {
      name: 'expires', type: 'number', min: 10, max: 10080, step: 10, required: true, value: p.expires_in ? Math.round(p.expires_in / 60) : 120,
    })),
    field(t('alerts.urgency'), choice('urgency', URGENCIES, p.urgency || 'Immediate', 'urgencyValue')),
    field(t('alerts.severity'), choice('severity', SEVERITIES, p.severity || (d.type === 'hazmat' ? 'Extreme' : 'Severe'), 'severityValue')),
    field(t('alerts.certainty'), choice('certainty', CERTAINTIES, p.certainty || 'Observed', 'certaintyValue')),
    m ? field(t('alerts.note'), el('input', { name: 'note', maxlength: 1000 })) : null,
    el('button', { type: 'submit', class: 'btn btn-danger btn-small', 'data-testid': 'alert-submit', disabled: busy('alert') },
      busy('alert') ? t('alerts.publishing') : m ? t('alerts.sendUpdate') : t('alerts.publish')),
    el('button', { type: 'button', class: 'btn btn-quiet btn-small', onclick: () => { form = null; render(); } }, t('alerts.back')));
  f.addEventListener('submit', (ev) => {
    ev.preventDefault();
    send(d, m, new FormData(f));
  });
  return f;
}

async function send(d, m, fd) {
  const body = {
    event: fd.get('event'), headline: fd.get('headline'), instruction: fd.get('instruction'),
    radius_m: Number(fd.get('radius_m')), expires_in: Math.round(Number(fd.get('expires')) * 60),
    urgency: fd.get('urgency'), severity: fd.get('severity'), certainty: fd.get('certainty'),
  };
  if (m && fd.get('note')) body.note = fd.get('note');
  await act(`${d.id}:alert`, async () => {
    const a = m
      ? await client.post(`/api/v1/alerts/${encodeURIComponent(m.identifier)}/update`, body)
      : await client.post(`/api/v1/incidents/${d.id}/alerts`, body);
    messages.info(t(m ? 'alerts.updated' : 'alerts.published', { id: a.identifier, incident: d.id }));
    form = null;
    invalidate('timeline');
    await load();
  });
}

async function cancelAlert(d, m) {
  if (!window.confirm(t('alerts.cancelConfirm', { id: m.thread }))) return;
  await act(`${d.id}:alert`, async () => {
    const a = await client.post(`/api/v1/alerts/${encodeURIComponent(m.identifier)}/cancel`, {});
    messages.info(t('alerts.cancelled', { id: a.thread }));
    invalidate('timeline');
    await load();
  });
}

function item(d, m, canAct) {
  const expired = m.msg_type !== 'Cancel' && new Date(m.expires) <= Date.now();
  const live = canAct && latestOfThread(m) && m.msg_type !== 'Cancel';
  return el('li', { class: 'alert-item', 'data-testid': 'public-alert', 'data-identifier': m.identifier, 'data-msg-type': m.msg_type },
    el('span', { class: `badge alert-${m.msg_type.toLowerCase()}` }, t(`alerts.msgType.${m.msg_type}`)), ' ',
    m.status === 'Exercise' ? [el('span', { class: 'badge' }, t('alerts.exercise')), ' '] : null,
    // The headline is the operator's words, in whatever language they wrote it.
    el('strong', {}, data(m.params?.headline || '')), ' ',
    el('span', { class: 'sub' }, t('alerts.sent', { time: formatTime(m.sent) }),
      m.msg_type !== 'Cancel' ? [' · ', expired ? t('alerts.expired') : t('alerts.until', { time: formatTime(m.expires) })] : null), ' ',
    el('a', { href: `/cap/alerts/${encodeURIComponent(m.identifier)}.xml`, target: '_blank', rel: 'noopener', title: t('alerts.documentTitle'), translate: 'no' },
      t('alerts.document')),
    live && !expired ? el('button', {
      type: 'button', class: 'btn btn-small', 'data-testid': 'alert-update', disabled: busy('alert'),
      onclick: () => { form = { mode: 'update', identifier: m.identifier }; render(); },
    }, t('alerts.update')) : null,
    live ? el('button', {
      type: 'button', class: 'btn btn-danger btn-small', 'data-testid': 'alert-cancel', disabled: busy('alert'),
      onclick: () => cancelAlert(d, m),
    }, t('alerts.cancel')) : null);
}

function render() {
  const section = $('#alerts-section');
  const d = state.detail;
  if (!d) return;
  const mine = loadedFor === d.id ? alerts : [];
  const canAct = may('publish_alerts');
  const open = OPEN.includes(d.status);
  $('#alerts-h').textContent = mine.length ? t('alerts.titleCount', { n: mine.length }) : t('alerts.title');
  const editing = form && (form.mode === 'publish' ? open : mine.find((m) => m.identifier === form.identifier));
  const body = [];
  if (canAct && open && !editing) {
    body.push(el('button', {
      type: 'button', class: 'btn btn-small', 'data-testid': 'alert-open', title: t('alerts.openTitle'),
      onclick: () => { form = { mode: 'publish' }; render(); },
    }, t('alerts.open')));
  }
  if (canAct && editing) {
    const key = `${d.id}:${form.mode}:${form.identifier || ''}`;
    if (key !== formKey) {
      formNode = formFor(d, form.mode === 'update' ? editing : null);
      formKey = key;
    }
    const submit = formNode.querySelector('[data-testid="alert-submit"]');
    submit.disabled = busy('alert');
    submit.textContent = busy('alert') ? t('alerts.publishing') : form.mode === 'update' ? t('alerts.sendUpdate') : t('alerts.publish');
    body.push(formNode);
  } else {
    formNode = null;
    formKey = null;
  }
  body.push(mine.length
    ? el('ol', { class: 'alert-list', 'data-testid': 'public-alerts' }, mine.map((m) => item(d, m, canAct)))
    : el('p', { class: 'empty' }, t('alerts.none')));
  section.replaceChildren(section.firstElementChild, ...body);
}

/** setupAlerts draws the open incident's public alerts and their form. */
export function setupAlerts() {
  on('selection', () => {
    form = null;
    alerts = [];
    loadedFor = null;
    load();
  });
  on(['detail', 'busy', 'locale', 'session'], render);
  on('timeline', () => {
    // Another console's message shows as a timeline event: read the list again.
    const n = state.timeline.filter((e) => e.kind === 'public_alert').length;
    if (state.detail && loadedFor === state.detail.id && n !== alerts.length) load();
  });
}
