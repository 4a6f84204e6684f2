// operator.test.mjs: an operator's day in the console, in Debian's Chromium against a running
// stack (started by TestOperatorInBrowser in e2e/browser_test.go).
//
// keyboard: an operator signs in; an alarm is posted through the API, as a 119 call-taker's
// system would; it appears live in the alarm queue, is announced in the live region, and is
// drawn ON THE MAP (the MapLibre canvas: the map's renderedAt at the alarm's point returns the
// incident). From then on the operator uses the keyboard only — N opens the next alarm, A
// accepts the recommendation, D asks to dispatch, Enter confirms — and the incident shows its
// units dispatched and moves to the incident board. Not one mouse click is made after signing in
// (the page counts them). On the way, an alternate unit goes out of service: it can no longer be
// picked and its row says why; each dispatched unit shows its time in status. Last, the network
// drops: the console says the live connection is lost, and reconnects by itself when it is back.
//
// language: for zh-CN and then English the console is switched (with the header's language
// switcher) and its DOM walked — every visible text node and every title, aria-label and
// placeholder, with an incident open, in the supervisor view and with the help overlay open —
// failing on text that is not the current language's: for zh-CN a run of Latin letters that is
// neither data (unit and station ids and names, premises, addresses, as the API gives them) nor
// one of a few allowed tokens; for English any Chinese character outside the data. Elements
// holding data the page does not translate are marked translate="no" (or data-i18n-skip), or
// carry their own lang. Screenshots of both languages and of the help overlay are saved.
//
// Environment: FIRELINE_URL, FIRELINE_PASSWORD, FIRELINE_ARTIFACTS. Exit 0 on success, 1 with a
// message on a failure.

import {
  api, ARTIFACTS, BASE, fail, failOnPageErrors, log, login, PASSWORD, runBrowserTest, setStatus, shot, signIn, step, watch,
} from './harness.mjs';

const OVERALL_MS = 200_000;

if (!BASE || !PASSWORD) {
  console.error('FIRELINE_URL and FIRELINE_PASSWORD must be set');
  process.exit(2);
}

// Where the alarm is: a street in Dongchangfu, the sample city's centre, away from the other
// browser tests' incidents.
const AT = { lat: 36.4521, lng: 115.9801 };

/**
 * ZH_ALLOWED are the Latin tokens a Chinese console shows on purpose: units of measure, the
 * emergency number's and standards' names, key names on the keyboard, the product's name. Data
 * (ids and names from the API) is allowed separately.
 */
const ZH_ALLOWED = new Set([
  'km', 'm', 's', 'L', 'min', 'Mbit', 'GPS', 'H3', 'PAR', 'CAP', 'WebRTC', 'Esc', 'Enter', 'Fireline', 'ETA',
]);

async function openConsole(browser, locale) {
  const ctx = await browser.newContext({ viewport: { width: 1600, height: 1000 }, locale });
  const page = await ctx.newPage();
  watch(page, `operator-${locale}`, { failedRequests: true });
  await step(`open the console (${locale}) and sign in as operator`, async () => {
    await page.goto(`${BASE}/`);
    await signIn(page, 'operator', '#console-view');
    await page.waitForSelector('#sse-state[data-state="live"]', { timeout: 10_000 });
  });
  await step('the map is ready', async () => {
    await page.waitForFunction(() => document.querySelector('#map')?.situationMap, null, { timeout: 10_000 });
    await page.evaluate(() => document.querySelector('#map').situationMap.whenReady());
  });
  return { ctx, page };
}

/** onMap waits until the map draws the incident at its point. */
function onMap(page, id) {
  return page.waitForFunction(({ lat, lng, id }) => {
    const map = document.querySelector('#map').situationMap;
    return map.renderedAt({ lat, lon: lng, lng }, 'incidents').some((f) => String(f.properties.id) === String(id));
  }, { ...AT, id }, { timeout: 15_000 });
}

async function keyboard(browser) {
  const { ctx, page } = await openConsole(browser, 'zh-CN');
  // From here on every mouse click is counted: the dispatch must need none. A click the
  // keyboard makes (Enter or Space on a button) has detail 0; a pointer's has 1 or more.
  await page.evaluate(() => {
    window.mouseClicks = 0;
    document.addEventListener('click', (e) => { if (e.isTrusted && e.detail > 0) window.mouseClicks++; }, true);
  });

  const { token } = await login('operator');
  const alarm = await api('POST', '/api/v1/alarms', {
    token,
    body: {
      source: 'call', source_id: `operator-${Date.now()}`, type: 'structure_fire', lat: AT.lat, lng: AT.lng,
      address: '东昌府区柳园南路 18 号', description: '三楼住户窗口冒出浓烟', caller: '王先生', reported_at: new Date().toISOString(),
    },
  });
  if (alarm.status !== 202 || alarm.json.merged) fail(`POST /api/v1/alarms: ${alarm.status} ${JSON.stringify(alarm.json)}`);
  const id = alarm.json.incident_id;
  log(`alarm ${alarm.json.alarm_id} → incident ${id}`);

  const row = `#alarm-queue [data-testid="incident-row"][data-incident-id="${id}"]`;
  await step(`incident ${id} appears live in the alarm queue, with its source's icon`, async () => {
    await page.waitForSelector(row, { timeout: 15_000 });
    await page.waitForSelector(`${row} [data-testid="source-icon"][data-source="call"]`, { timeout: 10_000 });
    await page.waitForFunction((id) => document.querySelector('#alarm-live').textContent.includes(String(id)), id, { timeout: 5_000 });
  });
  await step(`incident ${id} is drawn on the map at its point`, () => onMap(page, id));
  await shot(page, 'operator-alarm-zh-CN.png');

  const detail = `#incident-detail[data-incident-id="${id}"]`;
  await step('N opens the alarm (keyboard)', async () => {
    // The queue is most urgent first: N walks it until our alarm is open.
    for (let i = 0; i < 10; i++) {
      await page.keyboard.press('n');
      if (await page.waitForSelector(detail, { timeout: 3_000 }).catch(() => null)) return;
    }
    throw new Error(`incident ${id} never opened with N`);
  });
  await step('the map fits and selects the opened incident; its running timers show', async () => {
    await onMap(page, id);
    await page.waitForSelector(`${detail} [data-testid="incident-timers"] [data-timer="call_processing"][aria-label]`, { timeout: 5_000 });
  });
  await step('the recommendation appears, with a reason per unit', async () => {
    await page.waitForSelector(`${detail} [data-testid="rec-unit"]`, { timeout: 30_000 });
    await page.waitForSelector(`${detail} [data-testid="rec-row"] [data-testid="rec-reason"]`, { timeout: 5_000 });
  });
  const recommended = await page.$$eval('#recommendation [data-testid="rec-unit"]:not(:disabled)', (b) => b.map((x) => x.dataset.unitId));
  log(`recommended: ${recommended.join(' ')}`);

  // An alternate goes out of service (its crew reports a fault): it cannot be picked any more,
  // and the console says why in words beside it.
  const alternate = await page.$eval('#recommendation [data-testid="alt-unit"]', (b) => b.dataset.unitId).catch(() => '');
  if (alternate) {
    await setStatus(token, alternate, 'out_of_service');
    await step(`${alternate} out of service: its row says it cannot be dispatched, and its box is disabled`, async () => {
      await page.waitForSelector(`#recommendation [data-testid="rec-row"][data-unit-id="${alternate}"][data-blocked="true"] [data-testid="rec-blocked"]`, { timeout: 10_000 });
      await page.waitForSelector(`#recommendation input[data-unit-id="${alternate}"]:disabled`, { state: 'attached', timeout: 5_000 });
    });
  } else {
    log('no alternate offered: the out-of-service check is left out');
  }

  await step('A accepts the recommendation and readies the dispatch', async () => {
    await page.keyboard.press('a');
    await page.waitForFunction(() => document.activeElement?.id === 'dispatch' && !document.activeElement.disabled, null, { timeout: 5_000 });
  });
  const picked = await page.$$eval('#recommendation input[type=checkbox]:checked', (b) => b.map((x) => x.dataset.unitId));
  if (picked.sort().join() !== [...recommended].sort().join()) fail(`A picked ${picked.join(' ')}, want the recommendation ${recommended.join(' ')}`);
  await step('D asks to confirm the dispatch; the confirm button has the focus', async () => {
    await page.keyboard.press('d');
    await page.waitForSelector('#dispatch-confirm[open]', { timeout: 5_000 });
    await page.waitForFunction(() => document.activeElement?.id === 'dispatch-confirm-ok', null, { timeout: 5_000 });
  });
  await shot(page, 'operator-confirm-zh-CN.png');
  await step('Enter dispatches: the incident shows its units dispatched', async () => {
    // The order goes with an idempotency key, which a resend of it after no answer keeps.
    const sent = page.waitForRequest((r) => r.method() === 'POST' && /\/api\/v1\/incidents\/\d+\/dispatch$/.test(r.url()), { timeout: 10_000 });
    await page.keyboard.press('Enter');
    const key = (await sent).headers()['idempotency-key'];
    if (!/^[0-9a-f]{32}$/.test(key || '')) fail(`the dispatch was sent without an idempotency key (got ${key})`);
    await page.waitForFunction((n) => document.querySelectorAll('#assignments [data-testid="assignment"]').length >= n, picked.length, { timeout: 20_000 });
    await page.waitForFunction((ids) => ids.every((u) => document.querySelector(`#assignments [data-testid="assignment-status"][data-unit-id="${u}"]`)),
      picked, { timeout: 10_000 });
    await page.waitForSelector(`#incident-board [data-testid="incident-row"][data-incident-id="${id}"]`, { timeout: 15_000 });
  });
  await step('each dispatched unit shows its time in status', () => page.waitForFunction(
    (n) => [...document.querySelectorAll('#assignments [data-testid="time-in-status"]')].filter((e) => e.getAttribute('aria-label')).length >= n,
    picked.length, { timeout: 10_000 }));
  const assigned = await page.$$eval('#assignments [data-testid="assignment"]', (rows) => rows.map((r) => `${r.dataset.unitId}(${r.dataset.status})`));
  log(`assigned: ${assigned.join(' ')}`);
  if (alternate) await setStatus(token, alternate, 'available');
  const clicks = await page.evaluate(() => window.mouseClicks);
  if (clicks) fail(`${clicks} mouse clicks were made after signing in: the dispatch must need the keyboard only`);
  await shot(page, 'operator-dispatched-zh-CN.png');

  await step('a lost connection is shown, and heals by itself', async () => {
    await ctx.setOffline(true);
    await page.waitForSelector('#live-lost:not([hidden])', { timeout: 15_000 });
    await page.waitForSelector('#sse-state:not([data-state="live"])', { timeout: 5_000 });
    await shot(page, 'operator-offline-zh-CN.png');
    await ctx.setOffline(false);
    await page.waitForSelector('#sse-state[data-state="live"]', { timeout: 30_000 });
    await page.waitForSelector('#live-lost', { state: 'hidden', timeout: 5_000 });
  });
  await ctx.close();
  return id;
}

/** vocabulary is the data the API gives, which the page shows as it is, longest first. */
async function vocabulary() {
  const { token } = await login('operator');
  const get = async (path, key) => (await api('GET', path, { token })).json[key] || [];
  const [units, stations, premises, water, incidents] = await Promise.all([
    get('/api/v1/units', 'units'), get('/api/v1/stations', 'stations'), get('/api/v1/premises', 'premises'),
    get('/api/v1/water-sources', 'water_sources'), get('/api/v1/incidents?open=true', 'incidents'),
  ]);
  const words = new Set(['operator']);
  // A unit's crew on duty are people's names: data, shown as written.
  for (const u of units) [u.id, u.name, u.station_id, u.post_station_id, ...(u.staffing?.crew || [])].forEach((w) => w && words.add(w));
  for (const s of stations) [s.id, s.name, s.address, s.district].forEach((w) => w && words.add(w));
  for (const p of premises) [p.id, p.name, p.address, ...(p.hazards || [])].forEach((w) => w && words.add(w));
  for (const w of water) words.add(w.id);
  for (const i of incidents) if (i.address) words.add(i.address);
  return [...words].sort((a, b) => b.length - a.length);
}

/**
 * foreignText walks the page's visible text and attributes and returns what is not in the
 * current language (zh-CN: Latin words outside the data and the allowed tokens; en: Chinese
 * characters outside the data), and any raw catalogue key.
 */
function foreignText(page, { lang, words, allowed }) {
  return page.evaluate(({ lang, words, allowed }) => {
    const allow = new Set(allowed);
    const bad = [];
    const skip = (el) => el.closest('[data-i18n-skip], [translate="no"], code, samp, script, style, noscript')
      || (el.closest('[lang]') && !el.closest('[lang]').lang.startsWith(lang.slice(0, 2)));
    const visible = (el) => {
      if (el.closest('[hidden]') || el.closest('dialog:not([open])')) return false;
      const r = el.getBoundingClientRect();
      const s = getComputedStyle(el);
      const clipped = s.clip === 'rect(0px, 0px, 0px, 0px)' || s.clipPath === 'inset(50%)'; // visually hidden, read aloud: checked too
      return clipped || (r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none');
    };
    // A command-line flag and its argument (--basemap FILE.pmtiles) are code, not words.
    const strip = (text) => {
      let out = ` ${text} `.replace(/--[a-z][\w-]*(\s+[\w.\/-]+)?/g, ' ');
      for (const w of words) if (out.includes(w)) out = out.split(w).join(' ');
      return out;
    };
    const check = (text, where) => {
      if (!text || !text.trim()) return;
      if (/\b(console|common|domain|map|field|review)\.[a-z][A-Za-z]+\.[A-Za-z.]+/.test(text)) bad.push(`raw catalogue key at ${where}: "${text.trim()}"`);
      const rest = strip(text);
      if (lang === 'en') {
        const cjk = rest.match(/[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]+/g);
        if (cjk) bad.push(`Chinese in the English console at ${where}: "${text.trim().slice(0, 120)}" (${cjk.join(' ')})`);
      } else {
        const latin = (rest.match(/[A-Za-z]+/g) || []).filter((w) => w.length > 1 && !allow.has(w));
        if (latin.length) bad.push(`Latin in the Chinese console at ${where}: "${text.trim().slice(0, 120)}" (${latin.join(' ')})`);
      }
    };
    const path = (el) => {
      const parts = [];
      for (let e = el; e && e !== document.body && parts.length < 4; e = e.parentElement) {
        parts.unshift(e.id ? `#${e.id}` : `${e.tagName.toLowerCase()}${e.dataset.testid ? `[${e.dataset.testid}]` : ''}`);
      }
      return parts.join(' > ');
    };
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!el || skip(el) || !visible(el)) continue;
      check(n.textContent, path(el));
    }
    for (const el of document.body.querySelectorAll('[title], [aria-label], [placeholder]')) {
      if (skip(el) || !visible(el)) continue;
      for (const a of ['title', 'aria-label', 'placeholder']) if (el.hasAttribute(a)) check(el.getAttribute(a), `${path(el)}@${a}`);
    }
    check(document.title, 'title');
    return bad;
  }, { lang, words, allowed: [...allowed] });
}

async function language(browser, id) {
  const words = await vocabulary();
  log(`data vocabulary: ${words.length} ids and names from the API`);
  const { ctx, page } = await openConsole(browser, 'en-GB');
  const problems = [];
  for (const lang of ['zh-CN', 'en']) {
    await step(`switch the console to ${lang}`, async () => {
      await page.selectOption('#language', lang);
      await page.waitForFunction((l) => document.documentElement.lang === l, lang, { timeout: 5_000 });
    });
    await step(`open incident ${id} (${lang})`, async () => {
      await page.click(`[data-testid="incident-row"][data-incident-id="${id}"]`);
      await page.waitForSelector(`#incident-detail[data-incident-id="${id}"] [data-testid="assignment"]`, { timeout: 15_000 });
      await page.waitForSelector('#nearby-water [data-testid="water-source"], #nearby-water .empty', { timeout: 10_000 });
      await page.waitForTimeout(500);
    });
    const walk = async (what) => {
      const bad = await foreignText(page, { lang, words, allowed: ZH_ALLOWED });
      log(`${lang} ${what}: ${bad.length ? `${bad.length} untranslated` : 'every visible text in the language'}`);
      problems.push(...bad.map((b) => `${lang} ${what}: ${b}`));
    };
    await walk('incident view');
    await shot(page, `console-${lang}.png`);
    await step(`the supervisor view (${lang})`, async () => {
      await page.click('#tab-supervisor');
      await page.waitForSelector('#supervisor-panel:not([hidden]) #cover-summary:not([hidden]), #supervisor-panel:not([hidden]) #cover-note:not([hidden])', { timeout: 15_000 });
    });
    await walk('supervisor view');
    await shot(page, `console-supervisor-${lang}.png`);
    await step(`the help overlay lists the shortcuts (${lang})`, async () => {
      await page.click('#tab-incident');
      await page.keyboard.press('?');
      await page.waitForSelector('#help[open] [data-shortcut="dispatch"] kbd', { timeout: 5_000 });
    });
    await walk('help overlay');
    await shot(page, `console-help-${lang}.png`);
    await page.keyboard.press('Escape');
    await page.waitForSelector('#help:not([open])', { state: 'attached', timeout: 5_000 });
  }
  // /readyz is answered as a node cut off from the workflow engine answers it; the console
  // polls it every 10 s, and every 3 s while the banner shows. This comes after the language
  // walk so as not to delay it.
  await step('degraded mode is shown while the workflow engine or the database is down, and clears when it is back', async () => {
    const down = (route) => route.fulfill({ status: 503, contentType: 'application/json',
      body: JSON.stringify({ postgres: 'ok', temporal: 'temporal health: the workflow engine is not answering; try again' }) });
    await page.route('**/readyz', down);
    await page.waitForSelector('#degraded:not([hidden])[data-engine="true"]', { timeout: 15_000 });
    const text = await page.$eval('#degraded', (b) => b.textContent);
    if (!text.includes('Workflow engine unavailable') || !text.includes('alarms are stored')) fail(`degraded banner in English: ${text}`);
    await shot(page, 'operator-degraded-en.png');
    await page.unroute('**/readyz', down);
    const dbDown = (route) => route.fulfill({ status: 503, contentType: 'application/json',
      body: JSON.stringify({ postgres: 'ping: the database is unavailable; try again', temporal: 'ok' }) });
    await page.route('**/readyz', dbDown);
    // Asked every 3 s while the banner shows.
    await page.waitForSelector('#degraded:not([hidden])[data-database="true"][data-engine="false"]', { timeout: 8_000 });
    const dbText = await page.$eval('#degraded', (b) => b.textContent);
    if (!dbText.includes('Database unavailable')) fail(`degraded banner for the database: ${dbText}`);
    await page.unroute('**/readyz', dbDown);
    await page.waitForSelector('#degraded', { state: 'hidden', timeout: 8_000 });
  });
  await ctx.close();
  if (problems.length) fail(`untranslated text:\n  ${problems.slice(0, 30).join('\n  ')}${problems.length > 30 ? `\n  … and ${problems.length - 30} more` : ''}`);
}

async function run(browser) {
  const id = await keyboard(browser);
  await language(browser, id);
  failOnPageErrors();
}

log(`Fireline at ${BASE}; screenshots in ${ARTIFACTS}`);
runBrowserTest(run, { test: 'the operator browser test', overallMs: OVERALL_MS, failurePrefix: 'operator-failure-' });
