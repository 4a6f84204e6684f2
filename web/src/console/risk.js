// The console's fire-risk layer: the grid's cells (GET /risk/cells) drawn on the situation map
// while its layer is on, with a legend that says each colour's level in words. The layer is read
// again when a CAP warning arrives or is superseded (a 'warning' notice), after each scheduled
// run of the grid (a 'risk' notice), and when the next warning in force runs out (the answer's
// next_change_at: nothing announces an expiry, the clock does).

import { onLocaleChange, t } from '../lib/i18n.js';
import { el } from '../lib/common.js';
import { riskLegend, computedNote, explainCell, scoreLine } from '../map/risk.js';
import { client, messages, session } from './client.js';
import { situation } from './mapview.js';

// Notices come in bursts (a CAP update supersedes one warning and adds another): one read
// this long after the first.
const SETTLE_MS = 800;
// The most cells drawn: the whole service area of a city is a few thousand resolution-7 cells.
const MAX_CELLS = 5000;

let legend = null;
let timer = null;
let expiryTimer = null;
let last = null; // the last answer, for the legend's note in either language
let chosen = ''; // the cell clicked on the map, explained under the legend

function visible() {
  return !!situation()?.layerVisible('risk');
}

async function load() {
  timer = null;
  const map = situation();
  if (!map || !visible() || !session.signedIn) return;
  let layer;
  try {
    layer = await client.get(`/api/v1/risk/cells?shapes=true&limit=${MAX_CELLS}`);
  } catch (err) {
    if (err.status !== 401) messages.error(err, t('risk.error.load'));
    return;
  }
  last = layer;
  map.setRiskCells(layer.cells);
  legend.dataset.cells = String(layer.cells.length);
  renderLegend();
  clearTimeout(expiryTimer);
  if (layer.next_change_at) {
    // A second after the warning runs out, so the server's clock has passed it too.
    const wait = Math.max(1000, new Date(layer.next_change_at).getTime() - Date.now() + 1000);
    expiryTimer = setTimeout(riskStale, Math.min(wait, 2 ** 31 - 1));
  }
}

/** riskStale reads the risk layer again shortly, if it is shown; otherwise when it is turned on. */
export function riskStale() {
  if (!visible() || timer) return;
  timer = setTimeout(load, SETTLE_MS);
}

function renderLegend() {
  legend.dataset.note = computedNote(last);
  const cell = chosen && last?.cells.find((c) => c.cell === chosen);
  legend.extra = cell
    ? el('div', { class: 'fl-risk-chosen', 'data-testid': 'risk-chosen', 'data-cell': cell.cell }, scoreLine(cell), explainCell(cell))
    : null;
  legend.render();
}

/** choose explains the risk cell clicked on the map under the legend (another click elsewhere clears it). */
function choose(cell) {
  chosen = cell || '';
  renderLegend();
}

/** setupRisk adds the legend to the console's map and follows the risk layer's toggle. */
export function setupRisk() {
  const map = situation();
  if (!map) return;
  legend = riskLegend();
  legend.hidden = !visible();
  map.container.append(legend);
  map.container.addEventListener('fl-layerchange', (e) => {
    if (e.detail.name !== 'risk') return;
    legend.hidden = !e.detail.visible;
    if (e.detail.visible) riskStale();
    else clearTimeout(expiryTimer);
  });
  onLocaleChange(renderLegend);
  // A click on a cell explains its score under the legend: the ranked list with every reason
  // is the review's; here the operator asks about the street in front of them.
  map.whenReady().then(() => {
    const m = map.map;
    if (!m) return;
    m.on('click', (e) => {
      const f = visible() && m.queryRenderedFeatures(e.point, { layers: ['fl-risk-fill'] })[0];
      choose(f?.properties?.cell);
    });
  }).catch(() => {});
}
