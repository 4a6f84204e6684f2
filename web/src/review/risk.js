// The review workspace's ranked list of the fire-risk grid: the highest-scoring cells, each with
// its score and level in words and, on demand, why — every factor with its weight, value and the
// incidents, key premises and warnings behind it. The list is read when the workspace opens,
// every minute, when the next warning in force runs out, and on the Refresh button; the same
// answer feeds the review map's risk layer.

import { el } from '../lib/common.js';
import { formatNumber, t } from '../lib/i18n.js';
import { computedNote, explainCell, scoreLine } from '../map/risk.js';
import { datum } from './text.js';

const SHOWN = 20; // cells listed
const MAP_CELLS = 5000; // cells drawn on the map
const REFRESH_MS = 60_000;

/** RiskList is the ranked list of the highest-risk cells, in its own section of the page. */
export class RiskList {
  constructor(parent, { client, messages }) {
    this.client = client;
    this.messages = messages;
    this.layer = null;
    this.note = '';
    this.maps = new Set();
    this.title = el('h2', { id: 'risk-h' });
    this.refresh = el('button', { type: 'button', class: 'secondary', 'data-testid': 'risk-refresh', onclick: () => this.load() });
    this.status = el('p', { class: 'count', role: 'status', 'aria-live': 'polite', 'data-testid': 'risk-count' });
    this.list = el('ol', { class: 'risk-list', 'aria-labelledby': 'risk-h', 'data-testid': 'risk-list' });
    this.section = el('section', { class: 'risk-section', 'aria-labelledby': 'risk-h' },
      el('div', { class: 'risk-head' }, this.title, this.refresh), this.status, this.list);
    this.section.hidden = true;
    parent.append(this.section);
    this.timers = [];
  }

  /** start shows the list and keeps it current until stop. */
  start() {
    this.section.hidden = false;
    this.load();
    this.timers.push(setInterval(() => { if (!document.hidden) this.load(); }, REFRESH_MS));
  }

  stop() {
    for (const id of this.timers) clearInterval(id);
    clearTimeout(this.expiry);
    this.timers = [];
    this.layer = null;
    this.section.hidden = true;
    this.list.replaceChildren();
  }

  /** drawOn feeds a situation map's risk layer with every answer from now on. */
  drawOn(map) {
    if (!map) return;
    this.maps.add(map);
    if (this.layer) map.setRiskCells(this.layer.cells);
  }

  async load() {
    try {
      this.layer = await this.client.get(`/api/v1/risk/cells?shapes=true&limit=${MAP_CELLS}`);
      this.note = '';
    } catch (err) {
      if (err.status === 401) return;
      this.layer = null;
      this.note = t('risk.list.unavailable', { detail: err.message });
    }
    for (const m of this.maps) m.setRiskCells(this.layer?.cells || []);
    clearTimeout(this.expiry);
    if (this.layer?.next_change_at) {
      const wait = Math.max(1000, new Date(this.layer.next_change_at).getTime() - Date.now() + 1000);
      this.expiry = setTimeout(() => this.load(), Math.min(wait, 2 ** 31 - 1));
    }
    this.render();
  }

  /** render writes the list in the current language. */
  render() {
    this.title.textContent = t('risk.list.title');
    this.refresh.textContent = t('risk.list.refresh');
    const cells = this.layer?.cells || [];
    if (this.note) this.status.textContent = this.note;
    else if (!this.layer) this.status.textContent = '';
    else if (!cells.length) this.status.textContent = `${t('risk.list.empty')} ${computedNote(this.layer)}`;
    else {
      this.status.textContent = `${t('risk.list.count', { shown: formatNumber(Math.min(SHOWN, cells.length)), total: formatNumber(cells.length) })} · ${computedNote(this.layer)}`;
    }
    this.list.replaceChildren(...cells.slice(0, SHOWN).map((c) => el('li', { 'data-cell': c.cell, 'data-level': c.level, 'data-testid': 'risk-cell' },
      scoreLine(c), ' ', el('span', { class: 'risk-cell-id' }, t('risk.list.cell', { cell: '' }), datum(c.cell)),
      el('details', {}, el('summary', {}, t('risk.list.explain')), explainCell(c)))));
  }
}
