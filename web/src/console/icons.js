// Icons drawn inline as SVG (nothing is fetched): one per alarm source, so an operator tells a
// 119 call from a panel's alarm or a public report at a glance. Each icon carries its source's
// name as its accessible name and tooltip, so the shape is never the only signal either.

import { el } from '../lib/common.js';
import { tEnum } from '../lib/i18n.js';

// 16×16 outlines, stroked in currentColor.
const PATHS = {
  // A telephone handset: a 119 call.
  call: 'M4 2h3l1 3.5-2 1.2a8 8 0 0 0 3.3 3.3l1.2-2L14 9v3a2 2 0 0 1-2 2A10 10 0 0 1 2 4a2 2 0 0 1 2-2z',
  // A ceiling detector with a signal: a fire-alarm panel's device.
  iot: 'M2 4h12M4 4v2a4 4 0 0 0 8 0V4M8 10v1M5 12.5l-1 1.5M11 12.5l1 1.5M8 13v2',
  // A lamp post with its SOS button.
  lamppost: 'M8 15V4M8 4h4l1 2h-3M6 15h4M7 9h2v2H7z',
  // A person with a phone: a public report by app or SMS.
  public: 'M6 3.5a1.8 1.8 0 1 0 0 .01M3 14v-3a3 3 0 0 1 6 0v3M11 6h3v6h-3zM12 10.5h1',
  // A warning triangle: a CAP warning.
  cap: 'M8 2l6.5 12h-13zM8 6.5v3.5M8 12v.5',
};

/** SOURCES are the alarm sources that have an icon. */
export const SOURCES = Object.freeze(Object.keys(PATHS));

/** sourceIcon is the icon of an alarm source, named in the current language. */
export function sourceIcon(source) {
  const name = tEnum('source', source);
  const d = PATHS[source] || PATHS.call;
  const svg = el('svg', {
    class: `src-icon src-${source}`, viewBox: '0 0 16 16', width: 16, height: 16, role: 'img', 'aria-label': name,
    'data-testid': 'source-icon', 'data-source': source,
  }, el('title', {}, name), el('path', { d }));
  return svg;
}
