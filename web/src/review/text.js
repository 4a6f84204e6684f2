// Words around data: a message from the catalogue whose values are elements, so that the data
// in it (a unit id, a username) can be marked as not the page's to translate while the words
// around it stay the catalogue's.

import { el } from '../lib/common.js';
import { t } from '../lib/i18n.js';

const MARK = '\u0000';

/** tNodes is t(key, vars) as a list of strings and nodes, for el() or replaceChildren. */
export function tNodes(key, vars) {
  const marked = Object.fromEntries(Object.keys(vars).map((k) => [k, `${MARK}${k}${MARK}`]));
  return t(key, marked).split(MARK).map((part, i) => (i % 2 ? vars[part] : part)).filter((p) => p !== '' && p != null);
}

/** datum is a value shown as it is: a unit id, a username, a stream. */
export const datum = (text) => el('bdi', { translate: 'no' }, String(text));
