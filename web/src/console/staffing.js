// Staffing: a unit's crew on duty against its minimum (值班), as the API reports it on every
// unit. The unit board shows "3/4", amber when the unit is below its minimum, with the crew's
// names in the chip's title; the recommendation says when a unit it offers is understaffed.

import { el } from '../lib/common.js';
import { t } from '../lib/i18n.js';

/** qualifications names a list of qualifications in the current language. */
function qualifications(qs) {
  return (qs || []).map((q) => t(`staffing.qualification.${q}`)).join(t('staffing.joiner'));
}

/** staffingTitle is the crew line of a unit's title: who is on duty, and what is short. */
export function staffingTitle(u) {
  const s = u.staffing;
  if (!s) return '';
  const crew = s.crew?.length ? s.crew.join(t('staffing.joiner')) : t('staffing.nobody');
  const parts = [t('staffing.title', { filled: s.filled, minimum: s.minimum, crew })];
  if (s.missing?.length) parts.push(t('staffing.missing', { qualifications: qualifications(s.missing) }));
  if (s.below_minimum) parts.push(t('staffing.short'));
  return parts.join(t('console.listJoiner'));
}

/** staffingChip is the unit board's "3/4", amber when below minimum; null without staffing. */
export function staffingChip(u) {
  const s = u.staffing;
  if (!s) return null;
  return el('span', {
    class: `chip-staff${s.below_minimum ? ' is-short' : ''}`, 'data-testid': 'unit-staffing', 'data-unit-id': u.id,
    'data-filled': s.filled, 'data-minimum': s.minimum, 'data-below-minimum': s.below_minimum ? 'true' : null,
    'aria-label': t('staffing.chipAria', { filled: s.filled, minimum: s.minimum }),
  }, t('staffing.chip', { filled: s.filled, minimum: s.minimum }));
}

/** staffingSignature is what of the staffing the board redraws a chip for. */
export function staffingSignature(u) {
  const s = u.staffing;
  return s ? `${s.filled}/${s.minimum}/${s.below_minimum}/${(s.crew || []).join(',')}/${(s.missing || []).join(',')}` : '';
}

/** flaggedReason is the recommendation's note on an understaffed unit, '' for any other. */
export function flaggedReason(r, u) {
  if (!r.understaffed) return '';
  const s = u?.staffing;
  if (!s) return t('staffing.flaggedTag');
  const parts = [t('staffing.flagged', { filled: s.filled, minimum: s.minimum })];
  if (s.missing?.length) parts.push(t('staffing.missing', { qualifications: qualifications(s.missing) }));
  return parts.join(t('staffing.joiner'));
}
