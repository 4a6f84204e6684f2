// icons: the map's symbols, drawn on a canvas at start (no sprite sheet is fetched). Colour is
// never the only signal: a unit's badge carries its type code and its status has a shape of its
// own (a pill when available, an arrow when moving, an octagon on scene, a hollow struck-out
// badge out of service…); an incident's diamond carries its priority number.

import { t, tEnum } from '../lib/i18n.js';
import { UNIT_STATUSES, UNIT_TYPES } from '../lib/domain.js';

const RATIO = 2; // drawn at twice the size, for sharp symbols on high-density screens
const FONT = "system-ui, 'Noto Sans CJK SC', 'WenQuanYi Micro Hei', 'Microsoft YaHei', sans-serif";

/** STATUS_COLORS follow the console's palette (--st-* in fireline.css). */
export const STATUS_COLORS = Object.freeze({
  available: '#3fb950', dispatched: '#f0b429', acknowledged: '#e8883a', en_route: '#4ea1ff',
  on_scene: '#c678dd', transporting: '#e06c9f', returning: '#56b6c2', out_of_service: '#5c6773',
});

/** PRIORITY_COLORS: 1 immediate … 4 routine; 0 not yet assessed. */
export const PRIORITY_COLORS = Object.freeze(['#8a8f98', '#b3121b', '#e5484d', '#f08c00', '#c9a227']);

function canvas(w, h) {
  const c = document.createElement('canvas');
  c.width = w * RATIO;
  c.height = h * RATIO;
  const g = c.getContext('2d');
  g.scale(RATIO, RATIO);
  return g;
}

function image(g) {
  return g.getImageData(0, 0, g.canvas.width, g.canvas.height);
}

/** ink is the text colour that reads on fill: dark on light colours, white on dark. */
function ink(fill) {
  const n = parseInt(fill.slice(1), 16);
  const [r, gr, b] = [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  return 0.299 * r + 0.587 * gr + 0.114 * b > 150 ? '#111820' : '#ffffff';
}

function text(g, s, x, y, size, color, maxWidth) {
  g.font = `700 ${size}px ${FONT}`;
  g.textAlign = 'center';
  g.textBaseline = 'middle';
  g.fillStyle = color;
  g.fillText(s, x, y + 0.5, maxWidth);
}

/** badgePath traces a unit badge of the status's shape in a w×h box inset by m. */
function badgePath(g, status, w, h, m) {
  const x0 = m, y0 = m, x1 = w - m, y1 = h - m, mid = h / 2, tip = 6;
  g.beginPath();
  switch (status) {
    case 'en_route': case 'transporting': // an arrow: moving
      g.moveTo(x0, y0); g.lineTo(x1 - tip, y0); g.lineTo(x1, mid); g.lineTo(x1 - tip, y1); g.lineTo(x0, y1);
      break;
    case 'returning': // an arrow back
      g.moveTo(x1, y0); g.lineTo(x0 + tip, y0); g.lineTo(x0, mid); g.lineTo(x0 + tip, y1); g.lineTo(x1, y1);
      break;
    case 'on_scene': // an octagon: standing at the scene
      g.moveTo(x0 + tip, y0); g.lineTo(x1 - tip, y0); g.lineTo(x1, y0 + tip); g.lineTo(x1, y1 - tip);
      g.lineTo(x1 - tip, y1); g.lineTo(x0 + tip, y1); g.lineTo(x0, y1 - tip); g.lineTo(x0, y0 + tip);
      break;
    case 'available': // a pill
      g.roundRect(x0, y0, x1 - x0, y1 - y0, (y1 - y0) / 2);
      break;
    default: // dispatched, acknowledged, out of service: a plain rectangle, told apart by outline
      g.rect(x0, y0, x1 - x0, y1 - y0);
  }
  g.closePath();
}

/** unitIcon draws the badge of a unit type in a status. */
function unitIcon(type, status) {
  const w = 38, h = 20;
  const g = canvas(w, h);
  const fill = STATUS_COLORS[status] || '#5c6773';
  const out = status === 'out_of_service';
  badgePath(g, status, w, h, 1.5);
  g.fillStyle = out ? '#eef1f4' : fill;
  g.fill();
  g.lineWidth = status === 'acknowledged' ? 3 : 1.5;
  g.strokeStyle = out ? fill : '#10161d';
  if (status === 'dispatched') g.setLineDash([3, 2]); // called, not yet answered
  g.stroke();
  g.setLineDash([]);
  if (status === 'transporting') { // a second outline inside: carrying someone
    badgePath(g, status, w, h, 4);
    g.lineWidth = 1;
    g.strokeStyle = '#ffffff';
    g.stroke();
  }
  text(g, tEnum('unitTypeCode', type) || type.slice(0, 3).toUpperCase(), w / 2, h / 2, 10, out ? '#3c4650' : ink(fill), w - 12);
  if (out) { // struck out
    g.beginPath(); g.moveTo(4, h - 4); g.lineTo(w - 4, 4);
    g.lineWidth = 1.5; g.strokeStyle = '#b3121b'; g.stroke();
  }
  return image(g);
}

/** incidentIcon is a diamond with the priority number in it ("?" before assessment). */
function incidentIcon(priority) {
  const s = 30;
  const g = canvas(s, s);
  const fill = PRIORITY_COLORS[priority] || PRIORITY_COLORS[0];
  g.beginPath();
  g.moveTo(s / 2, 1.5); g.lineTo(s - 1.5, s / 2); g.lineTo(s / 2, s - 1.5); g.lineTo(1.5, s / 2);
  g.closePath();
  g.fillStyle = fill;
  g.fill();
  g.lineWidth = 2;
  g.strokeStyle = '#ffffff';
  g.stroke();
  g.lineWidth = 1;
  g.strokeStyle = '#10161d';
  g.stroke();
  text(g, priority ? String(priority) : '?', s / 2, s / 2, 13, ink(fill));
  return image(g);
}

/** stationIcon is a square with the station letter of the locale. */
function stationIcon() {
  const s = 20;
  const g = canvas(s, s);
  g.beginPath();
  g.roundRect(1.5, 1.5, s - 3, s - 3, 3);
  g.fillStyle = '#7a1f1f';
  g.fill();
  g.lineWidth = 1.5;
  g.strokeStyle = '#ffffff';
  g.stroke();
  text(g, t('map.icon.station'), s / 2, s / 2, 11, '#ffffff', s - 4);
  return image(g);
}

/** waterIcon is a blue circle with the water letter; out of service hollow and struck out. */
function waterIcon(working) {
  const s = 16;
  const g = canvas(s, s);
  g.beginPath();
  g.arc(s / 2, s / 2, s / 2 - 1.5, 0, 2 * Math.PI);
  g.fillStyle = working ? '#1f6fd1' : '#ffffff';
  g.fill();
  g.lineWidth = 1.5;
  g.strokeStyle = working ? '#ffffff' : '#1f6fd1';
  g.stroke();
  text(g, t('map.icon.water'), s / 2, s / 2, 9, working ? '#ffffff' : '#1f6fd1', s - 3);
  if (!working) {
    g.beginPath(); g.moveTo(3, s - 3); g.lineTo(s - 3, 3);
    g.strokeStyle = '#b3121b'; g.stroke();
  }
  return image(g);
}

/** premiseIcon is a purple warning triangle. */
function premiseIcon() {
  const s = 20;
  const g = canvas(s, s);
  g.beginPath();
  g.moveTo(s / 2, 1.5); g.lineTo(s - 1.5, s - 2); g.lineTo(1.5, s - 2);
  g.closePath();
  g.fillStyle = '#6f42c1';
  g.fill();
  g.lineWidth = 1.5;
  g.strokeStyle = '#ffffff';
  g.stroke();
  text(g, '!', s / 2, s / 2 + 3, 11, '#ffffff');
  return image(g);
}

/** drawIcons returns every symbol by name, drawn in the current locale. */
export function drawIcons() {
  const icons = new Map();
  for (const type of UNIT_TYPES) for (const status of UNIT_STATUSES) icons.set(`unit-${type}-${status}`, unitIcon(type, status));
  for (let p = 0; p <= 4; p++) icons.set(`incident-p${p}`, incidentIcon(p));
  icons.set('station', stationIcon());
  icons.set('water', waterIcon(true));
  icons.set('water-off', waterIcon(false));
  icons.set('premise', premiseIcon());
  return icons;
}

/** installIcons adds the symbols to map, or replaces them (after a language switch). */
export function installIcons(map) {
  for (const [name, data] of drawIcons()) {
    if (map.hasImage(name)) map.updateImage(name, data);
    else map.addImage(name, data, { pixelRatio: RATIO });
  }
}

/**
 * fallbackIcon is drawn for a unit type or status the pages do not know yet (a newer server):
 * a grey badge, so the unit is still on the map.
 */
export function fallbackIcon(map, name) {
  const [, type = '', status = ''] = /^unit-([^-]+)-(.+)$/.exec(name) || [];
  if (!type) return;
  map.addImage(name, unitIcon(type, status), { pixelRatio: RATIO });
}
