// The open incident's joint-agency tasks (police, EMS, gas, power… each with its running timer
// against its due time) and its escalations: the open ones, and the ones a supervisor took
// folded away.

import { $ } from '../../lib/common.js';
import { t, tEnum } from '../../lib/i18n.js';
import { taskRow, escalationItem } from '../../lib/lifecycle.js';
import { FINISHED_TASK_STATUSES, OPEN_INCIDENT_STATUSES as OPEN } from '../../lib/domain.js';
import { state, on, may, busy } from '../store.js';
import { client, messages, invalidate, act } from '../api.js';
import { takeEscalation } from '../supervisor.js';
import { timerChip, fillTimers } from '../timers.js';

function renderTasks() {
  const d = state.detail;
  if (!d) return;
  const open = OPEN.includes(d.status);
  const tasks = d.agency_tasks || [];
  const table = $('#agency-tasks');
  table.tBodies[0].replaceChildren(...tasks.map((task) => taskRow(task, {
    canAct: may('dispatch') && open, busy: busy(`task:${task.agency}`), onAct: onTask, ended: !open,
    due: (x) => timerChip({ timer: 'agency_task', unit: '', start: new Date(x.requested_at).getTime(), due: new Date(x.due_at).getTime() }, { compact: true }),
  })));
  table.hidden = tasks.length === 0;
  $('#tasks-empty').hidden = tasks.length > 0;
  $('#tasks-empty').textContent = d.assessed_at || !open ? t('console.tasks.none') : t('console.tasks.afterAssessment');
  const pending = tasks.filter((x) => !FINISHED_TASK_STATUSES.includes(x.status)).length;
  $('#tasks-h').textContent = tasks.length && open ? t('console.tasks.titleOpen', { n: pending }) : t('console.tasks.title');
  fillTimers(table);
}

async function onTask(task, status) {
  const d = state.detail;
  if (!d) return;
  await act(`${d.id}:task:${task.agency}`, async () => {
    const updated = await client.post(`/api/v1/incidents/${d.id}/agency-tasks/${encodeURIComponent(task.agency)}`, { status });
    const tasks = state.detail?.id === d.id ? state.detail.agency_tasks || [] : [];
    const i = tasks.findIndex((x) => x.agency === task.agency);
    if (i >= 0) tasks[i] = { ...tasks[i], ...updated };
    messages.info(t(status === 'cancelled' ? 'console.tasks.calledOff' : 'console.tasks.marked', {
      id: d.id, agency: tEnum('agency', task.agency), status: tEnum('taskStatus', status),
    }));
    invalidate('detail', 'timeline');
  });
}

function renderEscalations() {
  const d = state.detail;
  if (!d) return;
  const list = [...(d.escalations || [])].sort((a, b) => new Date(b.raised_at) - new Date(a.raised_at));
  const open = list.filter((e) => !e.acknowledged_at);
  const taken = list.filter((e) => e.acknowledged_at);
  const item = (e) => escalationItem(e, { canTake: may('ack_escalation'), busy: state.busy.has(`esc:${e.id}`), onTake: takeEscalation });
  $('#inc-esc-section').hidden = list.length === 0;
  $('#inc-esc-h').textContent = open.length ? t('console.escalations.titleOpen', { n: open.length }) : t('console.escalations.title');
  $('#inc-escalations').replaceChildren(...open.map(item));
  $('#inc-escalations').hidden = !open.length;
  $('#inc-esc-taken-box').hidden = !taken.length;
  $('#inc-esc-taken-sum').textContent = t('console.escalations.taken', { n: taken.length });
  $('#inc-esc-taken').replaceChildren(...taken.map(item));
}

/** setupAgencies draws the open incident's agency tasks and escalations. */
export function setupAgencies() {
  on(['detail', 'busy', 'locale', 'session'], () => {
    renderTasks();
    renderEscalations();
  });
  on('tick', () => { if (state.detail) fillTimers($('#agency-tasks')); });
}
