// The areas of a CAP warning that the map cannot draw: those given by geocodes (or a description)
// alone, with no polygon or circle. Fireline has no gazetteer, so the list says where such a
// warning is in the sender's own words and codes, for the operator to judge.

import { el } from '../lib/common.js';
import { t, formatNumber } from '../lib/i18n.js';
import { data } from '../lib/lifecycle.js';

/** MAX_GEOCODES bounds the codes shown per area: a US alert can name hundreds of zones. */
const MAX_GEOCODES = 12;

/** undrawnAreas returns an info's areas that have no polygon or circle. */
export function undrawnAreas(info) {
  return (info?.areas || []).filter((a) => !(a.polygons?.length) && !(a.circles?.length));
}

/**
 * warningAreas is the block listing a warning's undrawn areas, each with its description and
 * geocodes as name=value, or null when every area is drawn on the map.
 */
export function warningAreas(w, info) {
  const areas = undrawnAreas(info);
  if (!areas.length) return null;
  return el('div', { class: 'warning-areas', 'data-testid': 'warning-areas' },
    el('span', { class: 'warning-areas-note' }, t(w.unlocated ? 'console.warnings.unlocated' : 'console.warnings.undrawn')),
    el('ul', {}, ...areas.map((a) => {
      const codes = (a.geocodes || []).slice(0, MAX_GEOCODES).map((g) => `${g.name}=${g.value}`).join(', ');
      const more = (a.geocodes?.length || 0) - MAX_GEOCODES;
      return el('li', { 'data-testid': 'warning-area' },
        data(a.description || '', { class: 'warning-area-desc', lang: info.language || null }),
        codes ? el('span', { class: 'warning-geocodes' }, ' ', t('console.warnings.geocodes'), ' ', data(codes)) : null,
        more > 0 ? el('span', { class: 'warning-geocodes' }, ' ', t('console.warnings.moreGeocodes', { n: formatNumber(more) })) : null);
    })));
}
