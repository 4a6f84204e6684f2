// risk: the fire-risk grid's words and colours, shared by the console's map legend and the
// review's ranked list. A cell's level is said in words beside its colour everywhere (and the
// map's outline grows with the level), so colour is never the only signal.

import { el } from '../lib/common.js';
import { formatNumber, formatTime, t } from '../lib/i18n.js';
import './risk.css';

/** RISK_LEVELS are the levels 1…5 with their words' keys, lower score bound and colour. */
export const RISK_LEVELS = Object.freeze([
  { level: 1, name: 'low', from: 0, color: '#ffe066' },
  { level: 2, name: 'moderate', from: 20, color: '#f8b633' },
  { level: 3, name: 'high', from: 40, color: '#f08c00' },
  { level: 4, name: 'very_high', from: 60, color: '#dd5b15' },
  { level: 5, name: 'extreme', from: 80, color: '#c92a2a' },
]);

/** levelWord is a level's name in the current language. */
export const levelWord = (name) => t(`risk.level.${name || 'low'}`);

function swatch(color, level) {
  const s = el('span', { class: 'fl-risk-swatch', 'aria-hidden': 'true' });
  s.style.backgroundColor = color;
  s.style.borderWidth = `${0.5 + level * 0.4}px`;
  return s;
}

/**
 * riskLegend builds the legend of the risk layer: each level's colour, word and scores. Its
 * render() draws it in the current language, with box.extra (a chosen cell's explanation) last.
 */
export function riskLegend() {
  const box = el('div', { class: 'fl-risk-legend', role: 'group', 'data-testid': 'risk-legend' });
  const render = () => {
    box.setAttribute('aria-label', t('risk.legend.title'));
    box.replaceChildren(
      el('strong', { class: 'fl-risk-legend-title' }, t('risk.legend.title')),
      el('ul', {}, RISK_LEVELS.map((l, i) => el('li', { 'data-level': l.level },
        swatch(l.color, l.level), ' ', levelWord(l.name), ' ',
        el('span', { class: 'fl-risk-range' }, t('risk.legend.range', { from: l.from, to: RISK_LEVELS[i + 1]?.from ?? 100 }))))),
      el('p', { class: 'fl-risk-note', 'data-testid': 'risk-computed' }, box.dataset.note || ''),
      box.extra || null,
    );
  };
  box.render = render;
  render();
  return box;
}

/** computedNote says how old the grid is: when its last run was, or that none has run. */
export function computedNote(layer) {
  return layer?.computed_at ? t('risk.computed', { at: formatTime(layer.computed_at) }) : t('risk.never');
}

const num = (n) => formatNumber(n, { maximumFractionDigits: 2 });

const MARK = '\u0000';

/**
 * withData is t(key, vars) as strings and nodes, the values of data (names and events as their
 * records have them) marked as not the page's to translate.
 */
function withData(key, vars, data) {
  const marked = Object.fromEntries(Object.keys(data).map((k) => [k, `${MARK}${k}${MARK}`]));
  return t(key, { ...vars, ...marked }).split(MARK)
    .map((part, i) => (i % 2 ? el('bdi', { translate: 'no' }, String(data[part])) : part)).filter((p) => p !== '');
}

/** factorLine says one factor of a cell's score: what it counts, its value, weight and points. */
function factorLine(f) {
  const head = t(`risk.factor.${f.kind}`, { value: num(f.value), weight: num(f.weight), points: num(f.points), cap: num(f.cap) });
  const parts = [];
  for (const n of f.incidents || []) {
    parts.push(t('risk.explain.incidents', {
      count: n.count, category: t(`risk.category.${n.category}`), age: n.years_ago ? t('risk.age.years', { years: n.years_ago }) : t('risk.age.recent'),
      source: t(n.imported ? 'risk.source.imported' : 'risk.source.live'), each: num(n.each),
    }));
  }
  for (const p of f.premises || []) {
    parts.push(withData('risk.explain.premise', { hazards: p.hazards, value: num(p.value) }, { name: p.name || p.id }));
  }
  for (const w of f.warnings || []) {
    parts.push(withData('risk.explain.warning', { readiness: t(`risk.readiness.${w.readiness}`), until: formatTime(w.expires) },
      { event: w.event || `#${w.id}` }));
  }
  return el('li', { 'data-factor': f.kind }, el('span', { class: 'fl-risk-factor' }, head),
    parts.length ? el('ul', {}, parts.map((p) => el('li', {}, p))) : null);
}

/** explainCell lists a cell's factors with the values behind them. */
export function explainCell(cell) {
  return el('ul', { class: 'fl-risk-factors' }, (cell.factors || []).map(factorLine));
}

/** scoreLine is a cell's score and level in words, with its colour as a swatch beside them. */
export function scoreLine(cell) {
  const l = RISK_LEVELS[Math.max(1, Math.min(5, cell.level || 1)) - 1];
  return el('span', { class: 'fl-risk-score', 'data-level': l.level },
    swatch(l.color, l.level), ' ', t('risk.score', { score: num(cell.score), level: levelWord(cell.level_name || l.name) }));
}
