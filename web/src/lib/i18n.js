// i18n: every visible string comes from a message catalogue (src/i18n/<locale>/<area>.json),
// never from code. Keys are "<area>.<name>" — the file an entry lives in is its area, so
// common.json's "signIn" is t('common.signIn'). Values may hold {name} placeholders.
//
// The locale is the user's choice when made (kept in localStorage), else the first of the
// browser's languages we have, else zh-CN, the sample city's. Static markup is translated by
// attribute: data-i18n="key" sets the text, data-i18n-attr="title:key;aria-label:key" sets
// attributes. setLocale re-translates the page and tells every listener (onLocaleChange), so
// views that draw text from code redraw.
//
// Dates, times, numbers and durations are formatted per locale with Intl.

import enCommon from '../i18n/en/common.json';
import zhCommon from '../i18n/zh-CN/common.json';
import enConsole from '../i18n/en/console.json';
import zhConsole from '../i18n/zh-CN/console.json';
import enField from '../i18n/en/field.json';
import zhField from '../i18n/zh-CN/field.json';
import enReview from '../i18n/en/review.json';
import zhReview from '../i18n/zh-CN/review.json';
import enMap from '../i18n/en/map.json';
import zhMap from '../i18n/zh-CN/map.json';
import enDomain from '../i18n/en/domain.json';
import zhDomain from '../i18n/zh-CN/domain.json';
import enStaffing from '../i18n/en/staffing.json';
import zhStaffing from '../i18n/zh-CN/staffing.json';
import enAnalytics from '../i18n/en/analytics.json';
import zhAnalytics from '../i18n/zh-CN/analytics.json';
import enRisk from '../i18n/en/risk.json';
import zhRisk from '../i18n/zh-CN/risk.json';
import enAlerts from '../i18n/en/alerts.json';
import zhAlerts from '../i18n/zh-CN/alerts.json';
import enBuildings from '../i18n/en/buildings.json';
import zhBuildings from '../i18n/zh-CN/buildings.json';

/** LOCALES are the languages the pages speak, in the order the switcher offers them. */
export const LOCALES = ['zh-CN', 'en'];
export const DEFAULT_LOCALE = 'zh-CN';
const STORAGE_KEY = 'fireline.locale';

function flatten(area, tree, into, prefix = '') {
  for (const [k, v] of Object.entries(tree)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === 'object') flatten(area, v, into, key);
    else into[`${area}.${key}`] = String(v);
  }
  return into;
}

function catalogue(parts) {
  const out = {};
  for (const [area, tree] of Object.entries(parts)) flatten(area, tree, out);
  return out;
}

/** CATALOGUES maps each locale to its flat key → message table (exported for the tests). */
export const CATALOGUES = {
  en: catalogue({ common: enCommon, console: enConsole, field: enField, review: enReview, map: enMap, domain: enDomain, staffing: enStaffing, analytics: enAnalytics, risk: enRisk, alerts: enAlerts, buildings: enBuildings }),
  'zh-CN': catalogue({ common: zhCommon, console: zhConsole, field: zhField, review: zhReview, map: zhMap, domain: zhDomain, staffing: zhStaffing, analytics: zhAnalytics, risk: zhRisk, alerts: zhAlerts, buildings: zhBuildings }),
};

let current = pick();
const listeners = new Set();
const missing = new Set();

/** pick chooses the locale: the saved choice, the browser's languages, then the default. */
function pick() {
  let saved = null;
  try { saved = localStorage.getItem(STORAGE_KEY); } catch { /* storage off: fall through */ }
  if (LOCALES.includes(saved)) return saved;
  const langs = (typeof navigator !== 'undefined' && navigator.languages?.length) ? navigator.languages : [navigator?.language ?? ''];
  for (const lang of langs) {
    const l = String(lang).toLowerCase();
    if (l.startsWith('zh')) return 'zh-CN';
    if (l.startsWith('en')) return 'en';
  }
  return DEFAULT_LOCALE;
}

/** locale is the current locale tag. */
export function locale() { return current; }

/** has reports whether key has a message in the current locale. */
export function has(key) { return key in CATALOGUES[current]; }

/**
 * t returns the message for key in the current locale with {placeholders} filled from vars.
 * A key missing from the locale falls back to English, then to the key itself, and is logged
 * once: the untranslated-text test finds it on the page.
 */
export function t(key, vars) {
  let msg = CATALOGUES[current][key];
  if (msg === undefined) {
    if (!missing.has(key)) { missing.add(key); console.warn(`i18n: no ${current} message for ${key}`); }
    msg = CATALOGUES.en[key] ?? key;
  }
  if (!vars) return msg;
  return msg.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}

/** tEnum names a domain word (an incident type, status, unit type…) in the current locale. */
export function tEnum(kind, word) {
  if (word === null || word === undefined || word === '') return '';
  const key = `domain.${kind}.${word}`;
  if (has(key) || key in CATALOGUES.en) return t(key);
  const stored = kind === 'incidentType' ? incidentTypes.get(String(word)) : undefined;
  if (stored) return (current === 'zh-CN' ? stored.name_zh : stored.name_en) || String(word);
  return String(word);
}

// An administrator's incident types have no catalogue entry: their names come with the types
// themselves (GET /api/v1/incident-types), in both languages.
const incidentTypes = new Map();

/**
 * setIncidentTypes keeps the stored incident types' names for tEnum and redraws the page as a
 * locale switch does, since names may have changed.
 */
export function setIncidentTypes(types) {
  incidentTypes.clear();
  for (const d of types || []) incidentTypes.set(d.code, d);
  for (const fn of listeners) fn(current);
}

/** incidentType is the stored definition of incident type code, undefined before they are read. */
export function incidentType(code) { return incidentTypes.get(code); }

/**
 * incidentTypeCodes lists the incident types to offer: the built-in ones, then the others in
 * force; a retired type is named but no longer offered.
 */
export function incidentTypeCodes(builtin) {
  const retired = (c) => Boolean(incidentTypes.get(c)?.retired_at);
  return [...builtin.filter((c) => !retired(c)), ...[...incidentTypes.keys()].filter((c) => !builtin.includes(c) && !retired(c))];
}

/** missingKeys lists the keys looked up this session that the current locale lacks. */
export function missingKeys() { return [...missing]; }

/** translate applies data-i18n and data-i18n-attr under root. */
export function translate(root = document) {
  for (const node of root.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  for (const node of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of node.dataset.i18nAttr.split(';')) {
      const [attr, key] = pair.split(':').map((s) => s.trim());
      if (attr && key) node.setAttribute(attr, t(key));
    }
  }
  if (root === document) {
    document.documentElement.lang = current;
    const title = document.querySelector('title[data-i18n]');
    if (title) document.title = t(title.dataset.i18n);
  }
}

/** setLocale switches the language, remembers the choice and redraws the page. */
export function setLocale(tag) {
  if (!LOCALES.includes(tag)) throw new Error(`i18n: no locale ${tag}`);
  current = tag;
  try { localStorage.setItem(STORAGE_KEY, tag); } catch { /* not remembered, still switched */ }
  formats.clear();
  translate(document);
  for (const fn of listeners) fn(tag);
}

/** onLocaleChange calls fn(tag) after every switch; it returns a function that stops it. */
export function onLocaleChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/**
 * languageSwitcher fills a <select> with the locales, each named in its own language, and
 * switches on change.
 */
export function languageSwitcher(select) {
  select.replaceChildren(...LOCALES.map((tag) => {
    const o = document.createElement('option');
    o.value = tag;
    o.textContent = CATALOGUES[tag]['common.languageName'];
    o.lang = tag;
    return o;
  }));
  select.value = current;
  select.addEventListener('change', () => setLocale(select.value));
  onLocaleChange((tag) => { select.value = tag; });
}

// Intl formatters are costly to build and the console formats thousands of values a second.
const formats = new Map();
function formatter(kind, opts) {
  const key = `${kind}|${JSON.stringify(opts)}`;
  let f = formats.get(key);
  if (!f) {
    f = kind === 'number' ? new Intl.NumberFormat(current, opts) : new Intl.DateTimeFormat(current, opts);
    formats.set(key, f);
  }
  return f;
}

function toDate(v) {
  if (v === null || v === undefined || v === '') return null;
  const d = v instanceof Date ? v : new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** formatTime is a 24-hour local time with seconds, or — when there is none. */
export function formatTime(v) {
  const d = toDate(v);
  return d ? formatter('date', { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).format(d) : '—';
}

/** formatDateTime is a local date and 24-hour time. */
export function formatDateTime(v) {
  const d = toDate(v);
  return d ? formatter('date', { dateStyle: 'medium', timeStyle: 'medium', hourCycle: 'h23' }).format(d) : '—';
}

/** formatDate is a local calendar date. */
export function formatDate(v) {
  const d = toDate(v);
  return d ? formatter('date', { dateStyle: 'medium' }).format(d) : '—';
}

/** formatNumber formats n per locale (opts as Intl.NumberFormat takes them). */
export function formatNumber(n, opts = { maximumFractionDigits: 0 }) {
  return Number.isFinite(n) ? formatter('number', opts).format(n) : '—';
}

/** formatDuration is seconds as "45 s"/"45秒", "3:07" or "1:02:09". */
export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return t('common.seconds', { n: s });
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${r}` : `${m}:${r}`;
}

/** formatDistance is metres as "850 m" or "3.4 km" per locale. */
export function formatDistance(m) {
  if (!Number.isFinite(m)) return '—';
  return m < 1000 ? t('common.metres', { n: formatNumber(m) })
    : t('common.kilometres', { n: formatNumber(m / 1000, { minimumFractionDigits: 1, maximumFractionDigits: 1 }) });
}
