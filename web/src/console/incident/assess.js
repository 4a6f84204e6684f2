// Assessment and level upgrade: type, level and priority, with what sending them will do said
// before it is sent (a new run card before dispatch; after dispatch an upgrade sends the
// difference at once). U readies an upgrade: the next level is chosen and the send button
// focused, so Enter sends it.

import { $, el } from '../../lib/common.js';
import { incidentTypeCodes, t, tEnum } from '../../lib/i18n.js';
import { assessEffect, dispatched } from '../../lib/lifecycle.js';
import { INCIDENT_TYPES, MIN_LEVEL, MAX_LEVEL, PRIORITIES, OPEN_INCIDENT_STATUSES as OPEN } from '../../lib/domain.js';
import { state, on, may, busy } from '../store.js';
import { client, messages, invalidate, act, applyView } from '../api.js';

function fillChoices() {
  const keep = (sel) => sel.value;
  const type = $('#assess-type'), level = $('#assess-level'), prio = $('#assess-priority');
  const [tv, lv, pv] = [keep(type), keep(level), keep(prio)];
  type.replaceChildren(...incidentTypeCodes(INCIDENT_TYPES).map((x) => el('option', { value: x }, tEnum('incidentType', x))));
  const levels = [];
  for (let l = MIN_LEVEL; l <= MAX_LEVEL; l++) levels.push(el('option', { value: l }, t('domain.level', { n: l })));
  level.replaceChildren(...levels);
  prio.replaceChildren(el('option', { value: '' }, t('console.assess.choose')),
    ...PRIORITIES.map((p) => el('option', { value: p, title: tEnum('priorityHint', p) }, `P${p} ${tEnum('priority', p)} — ${tEnum('priorityHint', p)}`)));
  if (tv) type.value = tv;
  if (lv) level.value = lv;
  prio.value = pv;
}

function values() {
  return { type: $('#assess-type').value, level: Number($('#assess-level').value), priority: Number($('#assess-priority').value) };
}

function render() {
  const d = state.detail;
  const section = $('#assess-section');
  section.hidden = !d || !OPEN.includes(d.status) || !may('dispatch');
  if (section.hidden) return;
  // The form follows the incident until the operator starts changing it.
  if (state.assessDirty !== d.id) {
    $('#assess-type').value = d.type;
    $('#assess-level').value = String(d.level);
    $('#assess-priority').value = d.priority ? String(d.priority) : '';
  }
  const first = !d.assessed_at && !dispatched(d);
  section.classList.toggle('needs-attention', d.status === 'assessing' || d.status === 'received');
  $('#assess-h').textContent = t(first ? 'console.assess.title' : 'console.assess.titleAgain');
  renderEffect();
}

function renderEffect() {
  const d = state.detail;
  if (!d) return;
  const effect = assessEffect(d, values());
  const p = $('#assess-effect');
  p.textContent = effect.text;
  p.dataset.rule = effect.rule;
  p.classList.toggle('is-upgrade', effect.upgrade);
  const btn = $('#assess-submit');
  btn.disabled = busy();
  btn.className = `btn ${effect.upgrade ? 'btn-danger' : 'btn-primary'}`;
  btn.textContent = busy('assess') ? t('console.assess.sending')
    : effect.upgrade ? t('console.assess.upgrade') : d.assessed_at ? t('console.assess.reassess') : t('console.assess.assess');
}

async function onAssess(e) {
  e.preventDefault();
  const d = state.detail;
  if (!d) return;
  const v = values();
  if (!v.priority) {
    messages.error(t('console.assess.needPriority'));
    $('#assess-priority').focus();
    return;
  }
  const { upgrade } = assessEffect(d, v);
  await act(`${d.id}:assess`, async () => {
    const updated = await client.post(`/api/v1/incidents/${d.id}/assess`, v);
    state.assessDirty = null;
    state.picks.delete(d.id); // a new run card: the operator's earlier picks no longer apply
    applyView(updated);
    messages.info(t(upgrade ? 'console.assess.doneUpgrade' : 'console.assess.done', {
      id: d.id, type: tEnum('incidentType', v.type), level: v.level, priority: `P${v.priority} ${tEnum('priority', v.priority)}`,
    }));
    invalidate('incidents', 'units', 'timeline');
  }, t('console.assess.failed', { id: d.id }));
}

/**
 * prepareUpgrade readies a level upgrade of the open incident: the next level is chosen (and a
 * priority, if none yet) and the send button focused; Enter sends it. It says why not when the
 * incident is at the top level or closed.
 */
export function prepareUpgrade() {
  const d = state.detail;
  if (!d || $('#assess-section').hidden) return false;
  const current = state.assessDirty === d.id ? Number($('#assess-level').value) : d.level;
  if (current >= MAX_LEVEL) {
    messages.info(t('console.assess.atTop', { level: MAX_LEVEL }));
    return false;
  }
  $('#assess-level').value = String(current + 1);
  if (!$('#assess-priority').value) $('#assess-priority').value = String(d.priority || 2);
  state.assessDirty = d.id;
  renderEffect();
  $('#assess-section').scrollIntoView({ block: 'nearest' });
  $('#assess-submit').focus();
  return true;
}

/** setupAssess wires the assessment form. */
export function setupAssess() {
  fillChoices();
  const form = $('#assess-form');
  form.addEventListener('change', () => {
    if (state.detail) state.assessDirty = state.detail.id;
    renderEffect();
  });
  form.addEventListener('submit', onAssess);
  on('locale', fillChoices);
  on(['detail', 'busy', 'locale', 'session'], render);
}
