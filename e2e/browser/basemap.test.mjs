// basemap.test.mjs checks that the console draws the offline base map the server was started
// with (fireline dev --basemap, a PMTiles file e2e/basemap_test.go builds from GeoJSON): signed
// in as an operator, in Chinese and then in English, the console's map reads the archive by
// HTTP range requests, renders each test street at its point with its name (MapLibre's
// queryRenderedFeatures, through the map's renderedAt), places street labels drawn with the
// machine's fonts, credits OpenStreetMap, and no request leaves 127.0.0.1.
//
// Environment: FIRELINE_URL, FIRELINE_PASSWORD, FIRELINE_ARTIFACTS, FIRELINE_STREETS (JSON
// [{name, name_en, kind, probe: {lat, lon}}]) and FIRELINE_BASEMAP_CENTER ("lat,lon").

import { BASE, fail, failOnPageErrors, log, PASSWORD, runBrowserTest, shot, signIn, step, watch } from './harness.mjs';

const OVERALL_MS = 200_000;
const STREETS = JSON.parse(process.env.FIRELINE_STREETS || '[]');
const [CENTER_LAT, CENTER_LON] = (process.env.FIRELINE_BASEMAP_CENTER || '').split(',').map(Number);

if (!BASE || !PASSWORD || !STREETS.length || !Number.isFinite(CENTER_LAT)) {
  console.error('FIRELINE_URL, FIRELINE_PASSWORD, FIRELINE_STREETS and FIRELINE_BASEMAP_CENTER must be set');
  process.exit(2);
}

/** view moves the console's map to center at zoom and resolves once every tile is drawn. */
function view(page, center, zoom) {
  return page.evaluate(([c, z]) => new Promise((resolve, reject) => {
    const m = document.querySelector('#map').situationMap.map;
    const timer = setTimeout(() => reject(new Error(`the map did not settle at ${c} z${z} within 20 s`)), 20_000);
    m.once('idle', () => { clearTimeout(timer); resolve(); });
    m.jumpTo({ center: c, zoom: z });
    m.triggerRepaint();
  }), [center, zoom]);
}

/** checkConsole signs in to the console in lang and checks its map draws the base map. */
async function checkConsole(browser, lang, offsite) {
  const ctx = await browser.newContext({ viewport: { width: 1500, height: 950 }, locale: lang });
  const page = await ctx.newPage();
  const name = `console-${lang}`;
  watch(page, name, { failedRequests: true });
  const ranges = [];
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.protocol !== 'data:' && u.protocol !== 'blob:' && u.hostname !== '127.0.0.1') offsite.push(`${name}: ${r.method()} ${r.url()}`);
  });
  page.on('response', (r) => {
    if (new URL(r.url()).pathname === '/basemap/tiles.pmtiles') ranges.push(`${r.status()} ${r.request().headers().range || 'whole file'}`);
  });

  await step(`${lang}: open the console and sign in as operator`, async () => {
    await page.goto(`${BASE}/`);
    await signIn(page, 'operator', '#console-view');
  });
  await step(`${lang}: the map is ready with the base map, credits OpenStreetMap and shows no "no base map" notice`, async () => {
    await page.waitForFunction(() => document.querySelector('#map')?.situationMap, null, { timeout: 15_000 });
    await page.evaluate(() => document.querySelector('#map').situationMap.whenReady());
    const state = await page.evaluate(() => {
      const m = document.querySelector('#map').situationMap;
      return {
        basemap: m.hasBasemap,
        notice: document.querySelector('#map [data-testid="map-notice"]:not([hidden])')?.textContent || '',
        attribution: document.querySelector('#map .maplibregl-ctrl-attrib')?.textContent || '',
        layers: document.querySelector('#map .fl-map-layers summary')?.textContent || '',
      };
    });
    if (!state.basemap) fail(`${lang}: the map says it has no base map (notice: "${state.notice}")`);
    if (state.notice) fail(`${lang}: a notice is shown over a map with a base map: "${state.notice}"`);
    if (!state.attribution.includes('OpenStreetMap')) fail(`${lang}: the attribution "${state.attribution}" does not credit OpenStreetMap`);
    const layers = { 'zh-CN': '图层', en: 'Layers' }[lang];
    if (state.layers !== layers) fail(`${lang}: the map's layer list is titled "${state.layers}", want "${layers}"`);
  });
  // The console fits the map to the city once its units are drawn; the streets are looked at after.
  await step(`${lang}: the console draws its units on the map`, async () => {
    await page.waitForFunction(() => document.querySelector('#map').situationMap.unitPosition('E-DCF-1'), null, { timeout: 20_000 });
  });

  const labelled = new Set();
  for (const st of STREETS) {
    await step(`${lang}: ${st.name} (${st.name_en}) is rendered at ${st.probe.lat},${st.probe.lon}`, async () => {
      let found = [];
      for (let i = 0; i < 3 && !found.length; i++) {
        await view(page, [st.probe.lon, st.probe.lat], 15);
        found = await page.evaluate((p) => document.querySelector('#map').situationMap.renderedAt(p, 'basemap'), st.probe);
        found = found.filter((f) => f.sourceLayer === 'roads');
      }
      const named = found.find((f) => f.properties.name === st.name && f.properties.kind === st.kind);
      if (!named) fail(`${lang}: no ${st.kind} named ${st.name} drawn at its point; roads there: ${JSON.stringify(found.map((f) => [f.styleLayer, f.properties.name]))}`);
      log(`${lang}: ${st.name} drawn by style layer ${named.styleLayer}`);
    });
    // The street labels placed in view: MapLibre places a label only once its glyphs are drawn.
    const labels = await page.evaluate(() => {
      const m = document.querySelector('#map').situationMap.map;
      const ids = m.getStyle().layers.filter((l) => l.source === 'basemap' && l.type === 'symbol' && l['source-layer'] === 'roads').map((l) => l.id);
      return m.queryRenderedFeatures({ layers: ids }).map((f) => f.properties.name);
    });
    for (const n of labels) labelled.add(n);
  }
  await step(`${lang}: street labels are placed (text drawn with local fonts, no glyph server)`, async () => {
    const placed = STREETS.map((s) => s.name).filter((n) => labelled.has(n));
    if (!placed.length) fail(`${lang}: no street label placed; labelled: ${JSON.stringify([...labelled])}`);
    log(`${lang}: labels placed for ${placed.join(', ')}`);
  });
  // Where the three streets meet the old city: streets, labels, the lake and the city's own layers.
  await view(page, [CENTER_LON + 0.01, CENTER_LAT + 0.012], 13.5);
  await shot(page, `basemap-console-${lang}.png`);
  await page.locator('#map').screenshot({ path: `${process.env.FIRELINE_ARTIFACTS || '.'}/basemap-map-${lang}.png` }).catch(() => {});

  const partial = ranges.filter((r) => r.startsWith('206 bytes='));
  if (!partial.length) fail(`${lang}: the archive was not read by range requests: ${JSON.stringify(ranges)}`);
  log(`${lang}: ${partial.length} range reads of the archive, e.g. ${partial[0]}`);
  await ctx.close();
}

runBrowserTest(async (browser) => {
  const offsite = [];
  for (const lang of ['zh-CN', 'en']) await checkConsole(browser, lang, offsite);
  if (offsite.length) fail(`requests left 127.0.0.1:\n  ${offsite.join('\n  ')}`);
  failOnPageErrors();
}, { test: 'basemap.test.mjs', overallMs: OVERALL_MS, failurePrefix: 'basemap-failure-' });
