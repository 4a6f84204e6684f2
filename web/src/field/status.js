// The status buttons: big, two to a row, one per status the crew may report in its situation
// (on an incident, the field statuses in their order; off one, available and out of service).
// The current status is pressed, the steps already behind it are marked done and disabled (a
// crew only moves forward; the API says so too and explains any other refusal), and the usual
// next step stands out. Each button's id is status-<status>.

import { el, $ } from '../lib/common.js';
import { FIELD_STATUSES, OFF_INCIDENT_STATUSES } from '../lib/domain.js';
import { t } from '../lib/i18n.js';

// NEXT is the step a crew usually reports after each status, to make it the obvious button.
// Only a hint: from on scene a crew may transport or clear, so no button stands out there.
const NEXT = { dispatched: 'acknowledged', acknowledged: 'en_route', en_route: 'on_scene', transporting: 'returning', returning: 'available' };

/** StatusButtons draws the buttons into #status-buttons; onPick(status) is the crew's tap. */
export class StatusButtons {
  constructor(root, onPick) {
    Object.assign(this, { root, onPick });
    this.pending = ''; // the status being sent
    this.awaiting = ''; // the status the centre took and the unit's record does not show yet
    root.addEventListener('click', (e) => {
      const btn = e.target.closest('button[data-status]');
      if (btn && !btn.disabled) this.onPick(btn.dataset.status);
    });
  }

  render(unit) {
    if (!unit) return;
    const onIncident = Boolean(unit.incident_id);
    const offered = onIncident ? FIELD_STATUSES : OFF_INCIDENT_STATUSES;
    const at = FIELD_STATUSES.indexOf(unit.status);
    const next = onIncident ? NEXT[unit.status] : '';
    const focused = document.activeElement?.closest?.('#status-buttons button')?.dataset.status;
    this.root.replaceChildren(...offered.map((s) => {
      const current = s === unit.status;
      // Behind the current step (available ends the incident, so it is never behind).
      const done = onIncident && at >= 0 && s !== 'available' && FIELD_STATUSES.indexOf(s) < at;
      const pending = s === this.pending;
      const note = pending ? t('field.status.sending') : s === this.awaiting && !current ? t('field.status.awaiting')
        : current ? t('field.status.current') : done ? t('field.status.done') : s === next ? t('field.status.next') : '';
      return el('button', {
        type: 'button', id: `status-${s}`, class: `f-status status-${s}${s === next ? ' is-next' : ''}`,
        'data-status': s, 'data-testid': 'status-button', 'aria-pressed': String(current),
        'aria-busy': pending ? 'true' : null, disabled: Boolean(this.pending) || done || current,
      },
      el('span', { class: 'f-status-label' }, t(`field.status.action.${s}`)),
      note ? el('span', { class: 'f-status-note' }, note) : null);
    }));
    if (focused) this.root.querySelector(`#status-${focused}`)?.focus();
    $('#status-hint').textContent = onIncident ? '' : t('field.status.offIncident');
  }
}
