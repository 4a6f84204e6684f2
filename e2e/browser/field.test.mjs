// field.test.mjs drives the field page on a phone-sized Chromium (390×844, touch, a fixed
// geolocation) against a running stack (started by e2e/field_test.go). An alarm at a key
// premises is raised and one unit dispatched to it through the API; the unit's crew signs in on
// the field page and sees its incident: the address, the premises' hazards and pre-plan, water
// nearby, and the straight line from the phone to the scene drawn on the map (read back from
// the map engine at the line's midpoint). Every button is at least 48 px high and nothing
// scrolls sideways, in English and in Chinese. The crew taps Acknowledge, moves, taps En route:
// each status is posted with the phone's latest fix just before it, and an operator's console,
// in a second browser context, sees the status and its map moves the unit to the phone's
// position. The camera goes live (the LIVE indicator shows) and stops; a lost connection shows
// its banner and recovers. Screenshots of the page in both languages go to FIRELINE_ARTIFACTS.
//
// Environment: FIRELINE_URL, FIRELINE_PASSWORD, FIRELINE_ARTIFACTS. Exit 0 on success, 1 with
// a message on any failure.

import { createServer, request } from 'node:http';
import {
  api, BASE, fail, failOnPageErrors, log, login, pages, PASSWORD, refused, runBrowserTest, shot, signIn, step, watch,
} from './harness.mjs';

const OVERALL_MS = 170_000;

if (!BASE || !PASSWORD) {
  console.error('FIRELINE_URL and FIRELINE_PASSWORD must be set');
  process.exit(2);
}

// The scene: Liaocheng People's Hospital, a key premises of the sample city (P-DCF-04), so the
// crew must see its hazards and pre-plan. The phone starts 1.6 km north-east of it and moves
// towards it before going en route.
const SCENE = { lat: 36.4560, lng: 115.9700, address: "Liaocheng People's Hospital, Dongchang West Road" };
const PREMISES = 'P-DCF-04';
const PHONE_START = { latitude: 36.4680, longitude: 115.9810, accuracy: 12 };
const PHONE_MOVED = { latitude: 36.4631, longitude: 115.9766, accuracy: 8 };
const VIEWPORT = { width: 390, height: 844 };

/** metres is the great-circle distance between two {lat, lng|lon} points. */
function metres(a, b) {
  const rad = (d) => (d * Math.PI) / 180;
  const dLat = rad(b.lat - a.lat), dLon = rad((b.lng ?? b.lon) - (a.lng ?? a.lon));
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLon / 2) ** 2;
  return 2 * 6_371_008.8 * Math.asin(Math.sqrt(h));
}

const asPoint = (g) => ({ lat: g.latitude, lng: g.longitude });

/** poll calls fn until it returns a truthy value, failing with what() after timeoutMs. */
async function poll(fn, what, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) fail(`${what()} after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * cuttableProxy serves BASE through a reverse proxy on another port whose connection can be
 * cut and restored, as a phone losing its network would: cut() drops every open connection
 * (the event stream too, which Chromium's offline emulation leaves open) and refuses new ones
 * until restore().
 */
async function cuttableProxy() {
  const upstream = new URL(BASE);
  const sockets = new Set();
  let down = false;
  const server = createServer((req, res) => {
    if (down) return req.socket.destroy();
    const up = request({
      host: upstream.hostname, port: upstream.port, method: req.method, path: req.url,
      headers: { ...req.headers, host: upstream.host },
    }, (upRes) => {
      res.writeHead(upRes.statusCode, upRes.headers);
      upRes.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  server.on('connection', (s) => {
    if (down) return s.destroy();
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${server.address().port}`,
    cut() {
      down = true;
      for (const s of sockets) s.destroy();
    },
    restore() { down = false; },
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

/** incidentWithUnit raises the alarm and dispatches the first recommended unit through the API. */
async function incidentWithUnit(token) {
  const alarm = await api('POST', '/api/v1/alarms', {
    token,
    body: {
      source: 'call', source_id: `field-${Date.now()}`, type: 'structure_fire', lat: SCENE.lat, lng: SCENE.lng,
      address: SCENE.address, description: 'smoke on the third floor of the inpatient block', reported_at: new Date().toISOString(),
    },
  });
  if (alarm.status !== 202 || !alarm.json.incident_id) fail(`POST /api/v1/alarms: ${alarm.status} ${JSON.stringify(alarm.json)}`);
  const id = alarm.json.incident_id;
  let inc;
  await poll(async () => {
    inc = (await api('GET', `/api/v1/incidents/${id}`, { token })).json;
    return inc?.recommendation?.length > 0;
  }, () => `no recommendation on incident ${id}: ${JSON.stringify(inc)}`, 30_000);
  const rec = inc.recommendation.find((r) => r.type === 'engine') ?? inc.recommendation[0];
  const res = await api('POST', `/api/v1/incidents/${id}/dispatch`, { token, body: { unit_ids: [rec.unit_id] } });
  if (res.status >= 300) fail(`dispatch ${rec.unit_id} to ${id}: ${res.status} ${JSON.stringify(res.json)}`);
  let unit;
  await poll(async () => {
    unit = (await api('GET', `/api/v1/units/${encodeURIComponent(rec.unit_id)}`, { token })).json;
    return unit?.incident_id === id && unit.status === 'dispatched';
  }, () => `unit ${rec.unit_id} never showed dispatched to ${id}: ${JSON.stringify(unit)}`);
  log(`incident ${id} at ${SCENE.address}; ${rec.unit_id} (${rec.type}) dispatched, ${Math.round(rec.distance_m)} m away`);
  return { id, unitId: rec.unit_id };
}

/** checkLayout fails on a button, link or field under 48 px high, or on sideways scrolling. */
async function checkLayout(page, lang) {
  const report = await page.evaluate(() => {
    const small = [];
    for (const e of document.querySelectorAll('button, select, input, summary, a[href]')) {
      // A checkbox or radio button is hit through its label.
      const target = ['checkbox', 'radio'].includes(e.type) ? e.closest('label') || e : e;
      const r = target.getBoundingClientRect();
      if (!r.width || !r.height || getComputedStyle(e).visibility === 'hidden') continue; // not shown
      if (r.height < 48) small.push(`${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}${e.className && typeof e.className === 'string' ? `.${e.className.split(' ')[0]}` : ''} "${(e.textContent || e.getAttribute('aria-label') || '').trim().slice(0, 30)}" ${Math.round(r.height)} px`);
    }
    const doc = document.documentElement;
    return { small, scrollWidth: doc.scrollWidth, clientWidth: doc.clientWidth, buttons: document.querySelectorAll('button').length };
  });
  if (report.small.length) fail(`${lang}: targets under 48 px high:\n  ${report.small.join('\n  ')}`);
  if (report.scrollWidth > report.clientWidth) fail(`${lang}: the page scrolls sideways: ${report.scrollWidth} px wide in a ${report.clientWidth} px viewport`);
  log(`${lang}: ${report.buttons} buttons, all targets ≥ 48 px; ${report.scrollWidth} px wide, no sideways scroll`);
}

/**
 * untranslated lists the English words a Chinese page still shows: text and the attributes
 * people read (title, aria-label, placeholder, alt), outside what the centre's data says
 * (marked translate="no"), the language list (each language names itself) and the map (whose
 * words are the map module's, checked by its own tests). Identifiers (with a digit), the
 * product's name and the crew-<unit id> account syntax are not words.
 */
function untranslated(page) {
  return page.evaluate(() => {
    const out = [];
    const skip = (e) => !e || e.closest('[translate="no"], #field-map, #language, script, style, [hidden]');
    const check = (text, where) => {
      for (const token of text.split(/[^A-Za-z0-9_#.<>-]+/)) {
        if (/\d/.test(token) || token === 'Fireline' || token.startsWith('crew-')) continue;
        if (/[A-Za-z]{2,}/.test(token)) out.push(`"${token}" in ${where}: "${text.trim().slice(0, 80)}"`);
      }
    };
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const e = n.parentElement;
      if (skip(e) || !e.getClientRects().length) continue;
      check(n.textContent, `<${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}>`);
    }
    for (const e of document.querySelectorAll('[title], [aria-label], [placeholder], [alt]')) {
      if (skip(e)) continue;
      for (const a of ['title', 'aria-label', 'placeholder', 'alt']) {
        if (e.hasAttribute(a)) check(e.getAttribute(a), `${a} of <${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}>`);
      }
    }
    check(document.title, '<title>');
    return out;
  });
}

/** screenshots saves the viewport and the whole page. */
async function screenshots(page, name) {
  await shot(page, `${name}.png`);
  await page.screenshot({ path: `${process.env.FIRELINE_ARTIFACTS || '.'}/${name}-full.png`, fullPage: true }).catch(() => {});
}

async function run(browser) {
  const { token } = await login('operator');
  const { id, unitId } = await incidentWithUnit(token);

  // ---- the operator's console, in its own context --------------------------------------------
  const consoleCtx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US' });
  const op = await consoleCtx.newPage();
  watch(op, 'console', { failedRequests: true });
  await step('the operator signs in to the console; its map is ready', async () => {
    await op.goto(`${BASE}/`);
    await signIn(op, 'operator', '#console-view');
    await op.waitForSelector('#sse-state[data-state="live"]', { timeout: 10_000 });
    await op.waitForFunction(() => document.querySelector('#map')?.situationMap, null, { timeout: 15_000 });
    await op.evaluate(() => document.querySelector('#map').situationMap.whenReady());
  });

  // ---- the crew's phone ----------------------------------------------------------------------
  const fieldCtx = await browser.newContext({
    viewport: VIEWPORT, isMobile: true, hasTouch: true, deviceScaleFactor: 2, locale: 'en-US',
    permissions: ['geolocation', 'camera'], geolocation: PHONE_START,
  });
  const f = await fieldCtx.newPage();
  watch(f, 'field', { failedRequests: true });
  const posted = []; // the field page's position and status reports, in order
  f.on('request', (r) => {
    const m = r.method() === 'POST' && r.url().match(/\/api\/v1\/units\/[^/]+\/(position|status)$/);
    if (m) posted.push({ kind: m[1], body: r.postDataJSON(), at: Date.now() });
  });

  await step(`the field page refuses an operator, then signs in crew-${unitId}`, async () => {
    await f.goto(`${BASE}/field`);
    await refused(f, 'operator', '#field-view', 'This page is for crews');
    await signIn(f, `crew-${unitId}`, '#field-view');
    await f.waitForSelector('#sse-state[data-state="live"]', { timeout: 10_000 });
  });
  await step('the crew sees its incident: type, address, status dispatched', async () => {
    await f.waitForSelector(`#unit-incident[data-incident-id="${id}"] #incident-address`, { timeout: 15_000 });
    const address = await f.textContent('#incident-address');
    if (address !== SCENE.address) fail(`the field page shows the address "${address}", want "${SCENE.address}"`);
    await f.waitForSelector('#unit-status[data-status="dispatched"]', { timeout: 10_000 });
    await f.waitForSelector('#status-acknowledged.is-next:not([disabled])', { timeout: 10_000 });
  });
  await step('the hazards and pre-plan of the key premises at the scene, and water nearby', async () => {
    await f.waitForSelector(`#hazards [data-testid="premise"][data-premise-id="${PREMISES}"][data-at-scene="true"] [data-testid="hazard"]`, { timeout: 10_000 });
    await f.waitForSelector(`#hazards [data-premise-id="${PREMISES}"] [data-testid="pre-plan"]`, { timeout: 10_000 });
    await f.waitForSelector('#water [data-testid="water-source"]', { timeout: 10_000 });
  });
  const hazards = await f.$$eval(`[data-premise-id="${PREMISES}"] [data-testid="hazard"]`, (l) => l.map((x) => x.textContent));
  const water = await f.$$eval('#water [data-testid="water-source"]', (l) => l.map((x) => x.dataset.waterId));
  log(`hazards at the scene: ${hazards.join('; ')}; water: ${water.join(', ')}`);

  await step('position reporting is on, with the fix\'s age and accuracy, and the centre has the fix', async () => {
    await f.waitForSelector('#position[data-state="on"]', { timeout: 10_000 });
    await f.waitForFunction(() => /\d/.test(document.querySelector('#fix-age').textContent) && /12/.test(document.querySelector('#fix-accuracy').textContent),
      null, { timeout: 10_000 });
    await poll(async () => {
      const u = (await api('GET', `/api/v1/units/${encodeURIComponent(unitId)}`, { token })).json;
      return u.position_source === 'avl' && metres(u.location, asPoint(PHONE_START)) < 1;
    }, () => `the unit never took the phone's first fix`);
  });

  await step('the map draws the straight line from the phone to the scene', async () => {
    await f.waitForFunction(() => document.querySelector('#field-map')?.situationMap, null, { timeout: 15_000 });
    await f.evaluate(() => document.querySelector('#field-map').situationMap.whenReady());
    const mid = { lat: (PHONE_START.latitude + SCENE.lat) / 2, lng: (PHONE_START.longitude + SCENE.lng) / 2 };
    mid.lon = mid.lng;
    await f.waitForFunction((p) => document.querySelector('#field-map').situationMap.renderedAt(p, 'route').length > 0,
      mid, { timeout: 15_000, polling: 250 });
    const note = await f.textContent('#route-note');
    if (!/not a road route/.test(note)) fail(`the map's caption does not say the line is no road route: "${note}"`);
    log(`route drawn at its midpoint ${mid.lat.toFixed(5)}, ${mid.lng.toFixed(5)}; caption: ${note}`);
  });

  await checkLayout(f, 'en');
  await screenshots(f, 'field-en');
  await f.$eval('#map-section', (e) => e.scrollIntoView({ block: 'center' }));
  await shot(f, 'field-en-map.png');
  await f.evaluate(() => window.scrollTo(0, 0));

  // The same walk over the English page must find its English, or it proves nothing in Chinese.
  const english = (await untranslated(f)).length;
  if (english < 30) fail(`the untranslated-text walk finds only ${english} English words on the English page`);
  log(`the untranslated-text walk finds ${english} English words on the English page`);

  await step('switching to Chinese changes the labels', async () => {
    await f.selectOption('#language', 'zh-CN');
    await f.waitForFunction(() => document.documentElement.lang === 'zh-CN'
      && document.querySelector('#status-acknowledged .f-status-label')?.textContent === '确认接收'
      && document.querySelector('#sse-state').textContent === '实时', null, { timeout: 10_000 });
  });
  await checkLayout(f, 'zh-CN');
  await step('no English is left on the Chinese page', async () => {
    const left = await untranslated(f);
    if (left.length) fail(`untranslated text on the zh-CN field page:\n  ${left.join('\n  ')}`);
  });
  await screenshots(f, 'field-zh-CN');

  // ---- status changes carry the phone's position ----------------------------------------------
  const statusPosted = (status) => posted.findIndex((p) => p.kind === 'status' && p.body.status === status);
  /** lastFixBefore is the position posted last before the status, and how long before. */
  const lastFixBefore = (status) => {
    const i = statusPosted(status);
    const before = posted.slice(0, i).reverse().find((p) => p.kind === 'position');
    return before && { fix: before.body, gapMs: posted[i].at - before.at, adjacent: posted[i - 1]?.kind === 'position' };
  };

  await step('the crew taps Acknowledge', async () => {
    await f.tap('#status-acknowledged');
    await f.waitForSelector('#unit-status[data-status="acknowledged"]', { timeout: 15_000 });
  });
  await step('the crew moves and taps En route: the new fix is posted just before the status', async () => {
    await fieldCtx.setGeolocation(PHONE_MOVED);
    await f.tap('#status-en_route');
    await f.waitForSelector('#unit-status[data-status="en_route"]', { timeout: 15_000 });
    await f.waitForFunction(() => /\d:\d\d/.test(document.querySelector('[data-testid="status-since"]').textContent), null, { timeout: 10_000 });
  });
  for (const status of ['acknowledged', 'en_route']) {
    const b = lastFixBefore(status);
    if (!b?.adjacent) fail(`${status} was posted without a position just before it: ${JSON.stringify(posted.map((p) => p.kind))}`);
    log(`${status}: posted with the fix ${b.fix.lat}, ${b.fix.lng} (±${b.fix.accuracy} m, ${b.fix.time}) ${b.gapMs} ms before`);
  }
  const enRouteFix = lastFixBefore('en_route').fix;
  if (metres(enRouteFix, asPoint(PHONE_MOVED)) > 1) fail(`en route carried ${JSON.stringify(enRouteFix)}, want the moved phone's ${JSON.stringify(PHONE_MOVED)}`);

  await step('the API has the unit en route at the moved phone\'s position', () => poll(async () => {
    const u = (await api('GET', `/api/v1/units/${encodeURIComponent(unitId)}`, { token })).json;
    return u.status === 'en_route' && u.position_source === 'avl' && metres(u.location, asPoint(PHONE_MOVED)) < 1;
  }, () => `unit ${unitId} is not en route at ${JSON.stringify(PHONE_MOVED)}`));

  await step('the console sees the status and its map moves the unit to the phone', async () => {
    const chip = `[data-testid="unit-status"][data-unit-id="${unitId}"]`;
    if (await op.$(chip)) await op.waitForSelector(`${chip}[data-status="en_route"]`, { state: 'attached', timeout: 15_000 });
    else log('the console shows no unit status chip: the status was checked through the API');
    const got = await op.waitForFunction(([unit, want]) => {
      const p = document.querySelector('#map').situationMap.unitPosition(unit);
      if (!p) return false;
      const rad = (d) => (d * Math.PI) / 180;
      const dLat = rad(want.lat - p.lat), dLon = rad(want.lng - (p.lon ?? p.lng));
      const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(p.lat)) * Math.cos(rad(want.lat)) * Math.sin(dLon / 2) ** 2;
      const m = 2 * 6_371_008.8 * Math.asin(Math.sqrt(h));
      return m < 5 && { lat: p.lat, lon: p.lon ?? p.lng, m };
    }, [unitId, asPoint(PHONE_MOVED)], { timeout: 15_000, polling: 250 });
    const p = await got.jsonValue();
    log(`console map draws ${unitId} at ${p.lat.toFixed(6)}, ${p.lon.toFixed(6)}: ${p.m.toFixed(1)} m from the phone`);
  });
  await shot(op, 'field-console.png');

  // ---- the camera and its LIVE indicator -----------------------------------------------------
  await step('one tap starts the camera: LIVE shows in the panel and the top bar', async () => {
    await f.tap('#camera-start');
    await f.waitForSelector('#camera-state[data-state="live"]', { timeout: 20_000 });
    await f.waitForSelector('#camera-live:not([hidden])', { timeout: 10_000 });
    await f.waitForSelector('#live-badge:not([hidden])', { timeout: 10_000 });
  });
  await f.$eval('#camera-panel', (e) => e.scrollIntoView({ block: 'center' }));
  await f.waitForTimeout(1200);
  const left = await untranslated(f);
  if (left.length) fail(`untranslated text on the zh-CN field page, en route and live:\n  ${left.join('\n  ')}`);
  await shot(f, 'field-zh-CN-live.png');
  await step('stop the camera', async () => {
    await f.tap('#camera-stop');
    await f.waitForSelector('#camera-state[data-state="idle"]', { timeout: 10_000 });
    await f.waitForSelector('#live-badge[hidden]', { state: 'attached', timeout: 10_000 });
  });

  // ---- a lost connection is shown, and recovers -------------------------------------------------
  // The phone's network goes through a proxy this script can cut: a second tab of the crew's.
  const proxy = await cuttableProxy();
  const g = await fieldCtx.newPage();
  watch(g, 'field-proxied');
  await step('the crew\'s page through a network that will drop', async () => {
    await g.goto(`${proxy.base}/field`);
    await signIn(g, `crew-${unitId}`, '#field-view');
    await g.waitForSelector('#sse-state[data-state="live"]', { timeout: 10_000 });
    await g.waitForSelector(`#unit-incident[data-incident-id="${id}"] #incident-address`, { timeout: 10_000 });
  });
  await step('the network drops: the page says the connection is lost', async () => {
    proxy.cut();
    await g.waitForFunction(() => !document.querySelector('#connection-lost').hidden
      && document.querySelector('#sse-state').dataset.state !== 'live', null, { timeout: 15_000 });
  });
  log(`lost connection: "${await g.textContent('#connection-lost')}"`.replace(/\s+/g, ' '));
  await shot(g, 'field-en-offline.png');
  await step('the network returns: the page recovers by itself and the banner goes', async () => {
    proxy.restore();
    await g.waitForSelector('#sse-state[data-state="live"]', { timeout: 40_000 });
    await g.waitForSelector('#connection-lost[hidden]', { state: 'attached', timeout: 10_000 });
  });
  proxy.close();
  delete pages['field-proxied'];

  await fieldCtx.close();
  await consoleCtx.close();
  delete pages.field;
  delete pages.console;
  failOnPageErrors();
}

log(`Fireline at ${BASE}`);
runBrowserTest(run, { test: 'the field page test', overallMs: OVERALL_MS, failurePrefix: 'failure-field-' });
