// controls: what the map shows beside the drawing — the layer list a dispatcher toggles (a
// disclosure with checkboxes: Tab, Space and Enter work), the notice when there is no base
// map, and MapLibre's own controls' texts in the page's language.

import { t } from '../lib/i18n.js';

/** uiStrings are MapLibre's control texts in the current locale. */
export function uiStrings() {
  return {
    'Map.Title': t('map.title'),
    'NavigationControl.ZoomIn': t('map.control.zoomIn'),
    'NavigationControl.ZoomOut': t('map.control.zoomOut'),
    'NavigationControl.ResetBearing': t('map.control.resetBearing'),
    'AttributionControl.ToggleAttribution': t('map.control.attribution'),
    'ScaleControl.Meters': t('map.control.metres'),
    'ScaleControl.Kilometers': t('map.control.kilometres'),
    'CooperativeGesturesHandler.WindowsHelpText': t('map.control.ctrlScroll'),
    'CooperativeGesturesHandler.MacHelpText': t('map.control.cmdScroll'),
    'CooperativeGesturesHandler.MobileHelpText': t('map.control.twoFingers'),
  };
}

function node(tag, attrs = {}, ...children) {
  const n = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') n.addEventListener(k.slice(2), v);
    else n.setAttribute(k, v === true ? '' : String(v));
  }
  n.append(...children.filter((c) => c !== null && c !== undefined));
  return n;
}

/**
 * LayerControl lists the offered layers with a checkbox each. onToggle(name, on) is called
 * when the user changes one; sync(name, on) shows a change made from code.
 */
export class LayerControl {
  constructor(names, isVisible, onToggle) {
    this.names = names;
    this.isVisible = isVisible;
    this.onToggle = onToggle;
    this.boxes = new Map();
  }

  onAdd() {
    this.summary = node('summary', { class: 'fl-map-layers-summary' });
    this.legend = node('legend', { class: 'fl-map-visually-hidden' });
    const fieldset = node('fieldset', {}, this.legend);
    for (const name of this.names) {
      const box = node('input', { type: 'checkbox', 'data-layer': name, 'data-testid': `map-layer-${name}` });
      box.checked = this.isVisible(name);
      box.addEventListener('change', () => this.onToggle(name, box.checked));
      const text = node('span');
      this.boxes.set(name, { box, text });
      fieldset.append(node('label', { class: 'fl-map-layer' }, box, text));
    }
    this.details = node('details', { class: 'fl-map-layers' }, this.summary, fieldset);
    this.container = node('div', { class: 'maplibregl-ctrl maplibregl-ctrl-group fl-map-layers-ctrl' }, this.details);
    // Escape closes the list and gives the focus back to its summary.
    this.container.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && this.details.open) {
        e.stopPropagation();
        this.details.open = false;
        this.summary.focus();
      }
    });
    this.translate();
    return this.container;
  }

  onRemove() { this.container.remove(); }

  /** translate sets the texts in the current locale. */
  translate() {
    this.summary.textContent = t('map.layers.title');
    this.legend.textContent = t('map.layers.legend');
    for (const [name, { text }] of this.boxes) text.textContent = t(`map.layers.${name}`);
  }

  sync(name, on) {
    const b = this.boxes.get(name);
    if (b) b.box.checked = on;
  }
}

/**
 * NoticeControl is a short notice over the map (no base map, or it failed to load), read out
 * by screen readers when it changes.
 */
export class NoticeControl {
  constructor() { this.key = ''; }

  onAdd() {
    this.container = node('div', { class: 'maplibregl-ctrl fl-map-notice', role: 'status', 'data-testid': 'map-notice', hidden: true });
    this.render();
    return this.container;
  }

  onRemove() { this.container.remove(); }

  /** show shows the message of key (empty: none). */
  show(key) {
    this.key = key;
    this.render();
  }

  render() {
    if (!this.container) return;
    this.container.hidden = !this.key;
    this.container.dataset.notice = this.key ? this.key.split('.').pop() : '';
    this.container.textContent = this.key ? t(this.key) : '';
  }
}
