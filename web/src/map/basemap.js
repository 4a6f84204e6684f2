// basemap: the offline base map. The server says at /basemap/info.json whether it was started
// with --basemap FILE.pmtiles; the archive is then read here, tile by tile, with the PMTiles
// reference client over HTTP range requests (a MapLibre protocol, pmtiles://), and drawn in
// the Protomaps "light" style with labels in the page's language. Nothing is fetched from
// another host: the style has no glyphs URL (MapLibre draws text with the machine's fonts) and
// no sprite (the few layers that need icons are dropped or drawn without them).

import { addProtocol } from 'maplibre-gl';
import { PMTiles, Protocol } from 'pmtiles';
import { layers as protomapsLayers, namedFlavor } from '@protomaps/basemaps';

export const BASEMAP_SOURCE = 'basemap';
const INFO_URL = '/basemap/info.json';

/** BACKGROUND is the plain background drawn when there is no base map. */
export const BACKGROUND = '#eef1f4';

let protocol = null;

/** registerProtocol adds pmtiles:// to MapLibre once per page. */
function registerProtocol() {
  if (!protocol) {
    protocol = new Protocol();
    addProtocol('pmtiles', protocol.tilev4);
  }
  return protocol;
}

/**
 * loadBasemap asks the server for its base map: null when there is none, else {url, info}, with
 * the archive registered for the pmtiles:// protocol. An answer that is not the expected JSON
 * counts as no base map (an older server).
 */
export async function loadBasemap(fetchImpl = fetch) {
  let info;
  try {
    const res = await fetchImpl(INFO_URL, { headers: { Accept: 'application/json' } });
    if (!res.ok) return null;
    info = await res.json();
  } catch {
    return null;
  }
  if (!info?.available || !info.url) return null;
  const archive = new URL(info.url, location.href).href;
  const p = new PMTiles(archive);
  registerProtocol().add(p);
  return { url: `pmtiles://${archive}`, info };
}

/** basemapLang is the Protomaps label language of a page locale. */
export function basemapLang(locale) {
  return locale === 'zh-CN' ? 'zh-Hans' : 'en';
}

/**
 * withoutSprites drops what would need a sprite sheet: a layer's icon properties when it has
 * text to show without them (road shields keep their numbers), the layer when it has none.
 */
function withoutSprites(layers) {
  const out = [];
  for (const l of layers) {
    const layout = l.layout || {};
    const paint = l.paint || {};
    if (Object.keys(paint).some((k) => k.endsWith('-pattern'))) continue;
    if (!('icon-image' in layout)) {
      out.push(l);
      continue;
    }
    if (!('text-field' in layout)) continue;
    const kept = Object.fromEntries(Object.entries(layout).filter(([k]) => !k.startsWith('icon-')));
    const keptPaint = Object.fromEntries(Object.entries(paint).filter(([k]) => !k.startsWith('icon-')));
    out.push({ ...l, layout: kept, paint: keptPaint });
  }
  return out;
}

/** basemapLayers are the Protomaps light layers for lang, without the background. */
export function basemapLayers(lang) {
  const all = withoutSprites(protomapsLayers(BASEMAP_SOURCE, namedFlavor('light'), { lang }));
  return all.filter((l) => l.type !== 'background');
}

/**
 * baseStyle is the style the overlays are added to: with a base map its source and layers
 * under a background, without one the background alone.
 */
export function baseStyle(basemap, locale) {
  const style = {
    version: 8,
    sources: {},
    layers: [{ id: 'background', type: 'background', paint: { 'background-color': BACKGROUND } }],
  };
  if (basemap) {
    const { info } = basemap;
    style.sources[BASEMAP_SOURCE] = {
      type: 'vector', url: basemap.url,
      ...(info.bounds?.length === 4 ? { bounds: info.bounds } : {}),
    };
    style.layers[0].paint['background-color'] = namedFlavor('light').background;
    style.layers.push(...basemapLayers(basemapLang(locale)));
  }
  return style;
}

/** relabel switches the base map's labels to the locale's language. */
export function relabel(map, locale) {
  for (const l of basemapLayers(basemapLang(locale))) {
    if (l.type !== 'symbol' || !l.layout?.['text-field'] || !map.getLayer(l.id)) continue;
    map.setLayoutProperty(l.id, 'text-field', l.layout['text-field']);
  }
}

/** isBasemapLayer tells the base map's style layers from the overlays'. */
export function isBasemapLayer(layer) {
  return layer?.source === BASEMAP_SOURCE;
}
