// console.test.mjs drives Fireline's console and field pages in Debian's Chromium against a
// running stack (started by e2e/browser_test.go). A supervisor sees the coverage on the map, and
// when a station's only engine goes out of service, a move-up suggestion to it appears live and
// is accepted. An operator sees an alarm appear live, dispatches it; a crew acknowledges, goes en
// route and starts its (fake) camera over WHIP; the console must decode that video over WHEP.
// Then an operator assesses a new incident in the console, sees its agency tasks and marks one
// done; the incident's supervision timer lapses (the stack runs with short timers) and a
// supervisor takes the escalation from the supervisors' queue; the operator cancels the incident.
//
// Environment: FIRELINE_URL (http://127.0.0.1:PORT), FIRELINE_PASSWORD, FIRELINE_ARTIFACTS
// (where screenshots go). Exit status 0 on success, 1 with a message on any failure.

import {
  api, ARTIFACTS, BASE, fail, failOnPageErrors, log, login, pages, PASSWORD, refused, runBrowserTest, setStatus, shot, signIn, step, watch,
} from './harness.mjs';

const OVERALL_MS = 210_000;

if (!BASE || !PASSWORD) {
  console.error('FIRELINE_URL and FIRELINE_PASSWORD must be set');
  process.exit(2);
}

/**
 * coverage: a supervisor's console draws the coverage layer; a station's only engine goes out of
 * service, a move-up to that station is suggested live, the supervisor accepts it and the gap
 * closes. Everything is put back at the end (the moved engine returns to quarters, the other is
 * available again), so the operator's steps after it see the sample city as loaded. It runs in
 * its own browser context, closed at the end, so the video steps do not share the CPU with it.
 */
async function coverage(browser) {
  // DCF-3 has one engine in the sample city; DCF-1, 2.6 km away, has two and can spare one.
  const station = 'DCF-3', engine = 'E-DCF-3';
  const ctx = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
  const s = await ctx.newPage();
  watch(s, 'supervisor', { failedRequests: true });
  await step('open the console and sign in as supervisor', async () => {
    await s.goto(`${BASE}/`);
    await refused(s, `crew-${engine}`, '#console-view', 'crews sign in on the field page');
    await signIn(s, 'supervisor', '#console-view');
    await s.waitForSelector('#sse-state[data-state="live"]', { timeout: 10_000 });
  });
  const { token } = await login('supervisor');
  const stations = (await api('GET', '/api/v1/stations', { token })).json.stations;
  const home = stations.find((x) => x.id === station).location;
  await step('the coverage layer is on for a supervisor and drawn on the map, with its summary in the supervisor view', async () => {
    await s.waitForFunction(() => document.querySelector('#map')?.situationMap, null, { timeout: 10_000 });
    await s.evaluate(() => document.querySelector('#map').situationMap.whenReady());
    await s.waitForFunction(() => document.querySelector('#map').situationMap.layerVisible('coverage'), null, { timeout: 5_000 });
    // The cell under the station is shaded: the map draws the coverage there.
    await s.waitForFunction(({ lat, lng }) => document.querySelector('#map').situationMap.renderedAt({ lat, lon: lng }, 'coverage').length > 0,
      home, { timeout: 20_000 });
    await s.click('#tab-supervisor');
    await s.waitForSelector('#cover-summary:not([hidden]) [data-testid="coverage-gap-cells"][data-value]', { timeout: 10_000 });
  });
  const gapCells = () => s.$eval('[data-testid="coverage-gap-cells"]', (e) => Number(e.dataset.value));
  const gapBefore = await gapCells();
  const share = await s.textContent('[data-testid="coverage-share"]');
  log(`coverage: drawn at ${station}, ${share} of people within target, ${gapBefore} gap cells`);
  if (await s.$('[data-testid="move-up"]')) fail('a move-up is suggested before any engine is out: every station has one');
  await shot(s, 'console-coverage.png');

  const risk = await api('POST', '/api/v1/move-ups', { token: (await login('risk')).token, body: { unit_id: engine, station_id: 'DCF-1' } });
  if (risk.status !== 403) fail(`the risk role moved a unit up: ${risk.status} ${JSON.stringify(risk.json)}`);

  await setStatus(token, engine, 'out_of_service');
  log(`${engine} out of service: ${station} has no engine`);
  const suggestion = `[data-testid="move-up"][data-station-id="${station}"]`;
  await step(`a move-up to ${station} is suggested live (no reload)`, async () => {
    await s.waitForSelector(suggestion, { timeout: 15_000 }); // in the supervisor view, open since the coverage step
    await s.waitForFunction((n) => Number(document.querySelector('[data-testid="coverage-gap-cells"]').dataset.value) > n,
      gapBefore, { timeout: 10_000 });
  });
  const mover = await s.$eval(suggestion, (e) => e.dataset.unitId);
  const gapOut = await gapCells();
  log(`suggested: ${mover} to ${station} (${await s.$eval(suggestion, (e) => e.querySelector('.move-up-reason')?.textContent)}); ${gapOut} gap cells`);

  const chip = `[data-testid="unit-status"][data-unit-id="${mover}"]`;
  await step(`accept the move-up: ${mover} covers ${station}`, async () => {
    await s.click(`${suggestion} [data-testid="move-up-accept"]`);
    await s.waitForSelector(`${chip} [data-testid="unit-post"][data-station-id="${station}"]`, { state: 'attached', timeout: 10_000 });
    await s.waitForFunction((sel) => !document.querySelector(sel), suggestion, { timeout: 10_000 });
    await s.waitForSelector(`[data-testid="move-up-decision"][data-decision="accepted"][data-unit-id="${mover}"][data-station-id="${station}"]`, { timeout: 10_000 });
    // The map moves the unit to its post: it stands by at the station now.
    await s.waitForFunction(([unit, at]) => {
      const p = document.querySelector('#map').situationMap.unitPosition(unit);
      return p && Math.abs(p.lat - at.lat) < 0.002 && Math.abs((p.lon ?? p.lng) - at.lng) < 0.002;
    }, [mover, home], { timeout: 10_000 });
    await s.waitForFunction((n) => Number(document.querySelector('[data-testid="coverage-gap-cells"]').dataset.value) < n,
      gapOut, { timeout: 15_000 });
  });
  log(`${mover} covers ${station}: ${await gapCells()} gap cells (${gapOut} with ${station} empty)`);
  await shot(s, 'console-move-up.png');

  // Put the city back as it was for the operator's steps.
  await step(`${mover} returns to quarters from the unit board`, async () => {
    await s.click(`[data-testid="return-to-quarters"][data-unit-id="${mover}"]`);
    await s.waitForFunction((sel) => !document.querySelector(sel), `${chip} [data-testid="unit-post"]`, { timeout: 10_000 });
  });
  await setStatus(token, engine, 'available');
  await step('coverage is back to where it was', () => s.waitForFunction((n) =>
    Number(document.querySelector('[data-testid="coverage-gap-cells"]').dataset.value) === n && !document.querySelector('[data-testid="move-up"]'),
  gapBefore, { timeout: 15_000 }));
  await ctx.close();
  delete pages.supervisor;
}

/**
 * lifecycle: an operator assesses a new incident in the console (level 2, priority 1): it turns
 * dispatching and the agencies a level-2 fire needs are asked; the operator marks the police
 * task done. Nobody dispatches, so the call-processing timer lapses (seconds, on this stack) and
 * the escalation reaches the supervisors' queue live: the operator sees it without a Take
 * button, a supervisor takes it. The operator then cancels the incident, which moved no unit.
 * other is the open incident of the video steps: the merge choice must offer it.
 */
async function lifecycle(browser, other) {
  const ctx = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
  const op = await ctx.newPage();
  const sup = await ctx.newPage(); // sessions are per tab: one context holds both users
  watch(op, 'operator', { failedRequests: true });
  watch(sup, 'supervisor', { failedRequests: true });
  await step('operator and supervisor sign in to the console', async () => {
    for (const [page, who] of [[op, 'operator'], [sup, 'supervisor']]) {
      await page.goto(`${BASE}/`);
      await signIn(page, who, '#console-view');
      await page.waitForSelector('#sse-state[data-state="live"]', { timeout: 10_000 });
    }
  });

  // A kilometre and more from the video steps' incident, so intake does not merge the two.
  const alarm = await api('POST', '/api/v1/alarms', {
    token: (await login('operator')).token,
    body: {
      source: 'call', source_id: `browser-lifecycle-${Date.now()}`, type: 'structure_fire', lat: 36.4405, lng: 115.9640,
      address: 'Dongchang Road 88', description: 'flames in a ground-floor shop', reported_at: new Date().toISOString(),
    },
  });
  if (alarm.status !== 202 || alarm.json.merged) fail(`POST /api/v1/alarms: ${alarm.status} ${JSON.stringify(alarm.json)}`);
  const id = alarm.json.incident_id;
  log(`alarm ${alarm.json.alarm_id} → incident ${id}`);

  const detail = `#incident-detail[data-incident-id="${id}"]`;
  await step(`the operator opens incident ${id}, being assessed`, async () => {
    await op.click(`[data-testid="incident-row"][data-incident-id="${id}"]`, { timeout: 15_000 });
    await op.waitForSelector(`${detail} [data-testid="incident-status"][data-status="assessing"]`, { timeout: 15_000 });
    await op.waitForSelector(`${detail} [data-testid="assess-form"]`, { timeout: 5_000 });
    await op.waitForSelector(`#merge-into option[value="${other}"]`, { state: 'attached', timeout: 5_000 });
    await op.waitForSelector('#alarms [data-testid="alarm-split"]:disabled', { timeout: 10_000 });
  });
  await step('assess: structure fire, level 2, priority 1', async () => {
    await op.selectOption('[data-testid="assess-type"]', 'structure_fire');
    await op.selectOption('[data-testid="assess-level"]', '2');
    await op.selectOption('[data-testid="assess-priority"]', '1');
    const effect = await op.$eval('[data-testid="assess-effect"]', (e) => ({ rule: e.dataset.rule, text: e.textContent }));
    if (effect.rule !== 'beforeDispatchChanged') fail(`the assessment's effect reads "${effect.text}" (${effect.rule}), want the before-dispatch rule`);
    await op.click('[data-testid="assess-submit"]');
    await op.waitForSelector(`${detail} [data-testid="incident-status"][data-status="dispatching"]`, { timeout: 15_000 });
    await op.waitForSelector(`${detail} [data-testid="incident-priority"]:has-text("P1")`, { timeout: 5_000 });
    await op.waitForSelector(`${detail} [data-testid="assessed"][data-by="operator"]`, { timeout: 5_000 });
  });
  await step('the agencies a level-2 fire needs are asked', async () => {
    await op.waitForSelector('[data-testid="agency-task"][data-agency="police"][data-status="requested"]', { timeout: 10_000 });
    await op.waitForFunction(() => document.querySelectorAll('[data-testid="agency-task"]').length >= 2, null, { timeout: 10_000 });
  });
  const tasks = await op.$$eval('[data-testid="agency-task"]', (rows) => rows.map((r) => r.dataset.agency));
  log(`agency tasks: ${tasks.join(', ')}`);
  await op.$eval('#tasks-section', (e) => e.scrollIntoView({ block: 'center' }));
  await shot(op, 'console-assessed.png');

  await step('the operator marks the police task done', async () => {
    await op.click('[data-testid="task-done"][data-agency="police"]');
    await op.waitForSelector('[data-testid="agency-task"][data-agency="police"][data-status="done"]', { timeout: 10_000 });
  });

  const item = `[data-testid="queue-item"][data-incident-id="${id}"]`;
  await step('the lapsed timer reaches the supervisors\' queue live', async () => {
    for (const page of [sup, op]) await page.click('#tab-supervisor');
    await sup.waitForSelector(item, { timeout: 30_000 });
    await op.waitForSelector(item, { timeout: 10_000 });
    await sup.waitForFunction(() => Number(document.querySelector('[data-testid="queue-count"]').dataset.count) > 0, null, { timeout: 5_000 });
  });
  if (await op.$(`${item} [data-testid="queue-take"]`)) fail('an operator is offered to take an escalation');
  const escalation = await sup.$eval(item, (e) => ({ id: e.dataset.escalationId, timer: e.dataset.timer, detail: e.querySelector('.esc-detail')?.textContent }));
  log(`escalation ${escalation.id}: ${escalation.timer} — ${escalation.detail}`);
  await step('the supervisor opens the incident from the queue', async () => {
    await sup.click(`${item} [data-testid="queue-incident"]`);
    await sup.waitForSelector(`${detail} [data-testid="incident-escalation"][data-escalation-id="${escalation.id}"][data-open="true"]`, { timeout: 10_000 });
  });
  await shot(sup, 'console-queue.png');

  await step('the supervisor takes the escalation', async () => {
    await sup.click('#tab-supervisor');
    await sup.click(`[data-testid="queue-item"][data-escalation-id="${escalation.id}"] [data-testid="queue-take"]`);
    await sup.waitForFunction((eid) => !document.querySelector(`[data-testid="queue-item"][data-escalation-id="${eid}"]`), escalation.id, { timeout: 10_000 });
    await sup.waitForSelector(`${detail} [data-testid="incident-escalation"][data-escalation-id="${escalation.id}"][data-open="false"]`, { state: 'attached', timeout: 10_000 });
    await op.waitForFunction((eid) => !document.querySelector(`[data-testid="queue-item"][data-escalation-id="${eid}"]`), escalation.id, { timeout: 10_000 });
  });

  await step('the operator cancels the incident, with a reason', async () => {
    await op.click('#tab-incident');
    await op.click('[data-testid="order-cancel"]');
    await op.click('[data-testid="cancel-submit"]');
    await op.waitForFunction(() => document.querySelector('#cancel-error').textContent.trim() !== ''
      && document.querySelector('#cancel-reason').getAttribute('aria-invalid') === 'true', null, { timeout: 5_000 });
    await op.fill('[data-testid="cancel-reason"]', 'caller saw a barbecue, no fire');
    await op.click('[data-testid="cancel-submit"]');
    await op.waitForFunction((sel) => ['cancelled', 'reviewed'].includes(document.querySelector(sel)?.dataset.status),
      `${detail} [data-testid="incident-status"]`, { timeout: 15_000 });
  });
  // A narrower console: the side panel narrows; under 1100 px the panels stack.
  await sup.setViewportSize({ width: 1280, height: 900 });
  await sup.waitForTimeout(300);
  await shot(sup, 'console-1280.png');
  await ctx.close();
  delete pages.operator;
  delete pages.supervisor;
}

async function run(browser) {
  await coverage(browser);

  // ---- the operator's console --------------------------------------------------------------
  const consoleCtx = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
  const a = await consoleCtx.newPage();
  watch(a, 'console', { failedRequests: true });
  await step('open the console and sign in as operator', async () => {
    await a.goto(`${BASE}/`);
    await signIn(a, 'operator', '#console-view');
    await a.waitForSelector('#sse-state[data-state="live"]', { timeout: 10_000 });
  });
  log('console signed in, event stream live');

  // ---- an alarm arrives ----------------------------------------------------------------------
  const { token } = await login('operator');
  const alarm = await api('POST', '/api/v1/alarms', {
    token,
    body: {
      source: 'call', source_id: `browser-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`,
      type: 'structure_fire', lat: 36.456, lng: 115.985, address: 'Guangyue Tower',
      description: 'smoke from the roof', reported_at: new Date().toISOString(),
    },
  });
  if (alarm.status !== 202 || !alarm.json.incident_id) fail(`POST /api/v1/alarms: ${alarm.status} ${JSON.stringify(alarm.json)}`);
  const incidentId = alarm.json.incident_id;
  log(`alarm ${alarm.json.alarm_id} → incident ${incidentId} (merged: ${alarm.json.merged})`);

  const row = `[data-testid="incident-row"][data-incident-id="${incidentId}"]`;
  await step(`incident ${incidentId} appears live in the list (no reload)`, () => a.waitForSelector(row, { timeout: 15_000 }));
  await shot(a, 'console-live.png');

  // ---- recommendation and dispatch -----------------------------------------------------------
  await a.click(row);
  await step('the recommendation appears', () => a.waitForSelector(
    `#incident-detail[data-incident-id="${incidentId}"] [data-testid="rec-unit"]`, { timeout: 30_000 }));
  // Give the workflow's alternates a moment to arrive with the next refresh.
  await a.waitForTimeout(500);

  const candidates = await a.$$eval('#recommendation input[type=checkbox]', (boxes) => boxes.map((b) => ({
    id: b.dataset.unitId, type: b.dataset.unitType, kind: b.dataset.testid, checked: b.checked, disabled: b.disabled,
  })));
  log(`recommended: ${candidates.filter((c) => c.kind === 'rec-unit').map((c) => `${c.id}(${c.type})`).join(' ')}`);
  const alternates = candidates.filter((c) => c.kind === 'alt-unit');
  if (alternates.length) log(`alternates: ${alternates.map((c) => `${c.id}(${c.type})`).join(' ')}`);

  // The mobile command unit carries the camera: send one if the plan did not include one.
  let camUnit = candidates.find((c) => c.type === 'command' && c.checked)?.id;
  if (!camUnit) {
    const alt = candidates.find((c) => c.type === 'command' && !c.disabled);
    if (alt) {
      await a.check(`#recommendation input[data-unit-id="${alt.id}"]`);
      camUnit = alt.id;
      log(`added command unit ${alt.id} to the dispatch`);
    }
  }
  const chosen = await a.$$eval('#recommendation input[type=checkbox]:checked', (b) => b.map((x) => x.dataset.unitId));
  if (!chosen.length) fail('no units are selected for dispatch');

  await step('the console lists key premises and water near the scene', async () => {
    await a.waitForSelector('#nearby-premises [data-testid="premise"]', { timeout: 10_000 });
    await a.waitForSelector('#nearby-water [data-testid="water-source"]', { timeout: 10_000 });
  });
  await step('dispatch, and confirm it', async () => {
    await a.click('#dispatch');
    await a.click('#dispatch-confirm-ok');
    await a.waitForFunction((n) => document.querySelectorAll('#assignments [data-testid="assignment"]').length >= n,
      chosen.length, { timeout: 20_000 });
  });
  const assigned = await a.$$eval('#assignments [data-testid="assignment"]', (rows) => rows.map((r) => ({ id: r.dataset.unitId, type: r.dataset.unitType })));
  log(`assigned: ${assigned.map((u) => `${u.id}(${u.type})`).join(' ')}`);
  const unit = camUnit && assigned.some((u) => u.id === camUnit) ? camUnit : assigned[0].id;
  log(`crew of ${unit} will stream video`);

  // ---- the crew's field page -----------------------------------------------------------------
  // The crew's phone has a location a few hundred metres from the scene: the field page reports it.
  const phoneAt = { latitude: 36.4602, longitude: 115.9901, accuracy: 12 };
  const fieldCtx = await browser.newContext({
    viewport: { width: 820, height: 1180 }, permissions: ['camera', 'geolocation'], geolocation: phoneAt,
  });
  const b = await fieldCtx.newPage();
  watch(b, 'field', { failedRequests: true });
  await step(`open the field page and sign in as crew-${unit}`, async () => {
    await b.goto(`${BASE}/field`);
    await refused(b, 'operator', '#field-view', 'This page is for crews');
    await signIn(b, `crew-${unit}`, '#field-view');
    await b.waitForSelector(`#unit-incident[data-incident-id="${incidentId}"]`, { timeout: 10_000 });
    await b.waitForSelector('#sse-state[data-state="live"]', { timeout: 10_000 });
  });

  await step("the field page shares the phone's position as the unit's AVL fix", async () => {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const res = await api('GET', `/api/v1/units/${encodeURIComponent(unit)}`, { token });
      const u = res.json;
      if (res.status === 200 && u.position_source === 'avl' &&
        Math.abs(u.location.lat - phoneAt.latitude) < 1e-6 && Math.abs(u.location.lng - phoneAt.longitude) < 1e-6) return;
      if (Date.now() > deadline) throw new Error(`unit ${unit} never showed the phone's position: ${JSON.stringify(u)}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  });

  const assignment = (status) => `#assignments [data-testid="assignment-status"][data-unit-id="${unit}"][data-status="${status}"]`;
  for (const status of ['acknowledged', 'en_route']) {
    await step(`crew sets ${status}; field and console show it live`, async () => {
      await b.click(`#status-${status}`);
      await b.waitForSelector(`#unit-status[data-status="${status}"]`, { timeout: 15_000 });
      await a.waitForSelector(assignment(status), { timeout: 15_000 });
      await a.waitForSelector(`[data-testid="unit-status"][data-unit-id="${unit}"][data-status="${status}"]`, { timeout: 15_000 });
    });
  }

  // ---- video: field publishes, console plays -------------------------------------------------
  await step('crew starts the camera (WHIP)', async () => {
    await b.click('#camera-start');
    await b.waitForSelector('#camera-state[data-state="live"]', { timeout: 20_000 });
  });
  await shot(b, 'field.png');

  const video = `video[data-stream="${unit}"]`;
  await step('the console opens the stream (WHEP) in the incident\'s video grid', async () => {
    await a.waitForSelector(video, { state: 'attached', timeout: 20_000 });
    await a.$eval('#video-section', (e) => e.scrollIntoView({ block: 'center' }));
  });
  await step('the console video plays', () => a.waitForFunction((sel) => {
    const v = document.querySelector(sel);
    return v && v.readyState >= 2 && v.videoWidth > 0;
  }, video, { timeout: 20_000 }));
  const frames = await step('the console decodes frames', () => a.evaluate((sel) => new Promise((resolve, reject) => {
    const v = document.querySelector(sel);
    const first = v.getVideoPlaybackQuality().totalVideoFrames;
    let callbacks = 0;
    const count = () => { callbacks++; v.requestVideoFrameCallback(count); };
    v.requestVideoFrameCallback(count);
    const started = performance.now();
    const check = setInterval(() => {
      const decoded = v.getVideoPlaybackQuality().totalVideoFrames - first;
      if (decoded > 10 && callbacks > 10) {
        clearInterval(check);
        resolve({ decoded, callbacks, width: v.videoWidth, height: v.videoHeight });
      } else if (performance.now() - started > 15000) {
        clearInterval(check);
        reject(new Error(`only ${decoded} frames decoded, ${callbacks} presented in 15 s`));
      }
    }, 200);
  }), video));
  log(`video ${frames.width}×${frames.height}: ${frames.decoded} frames decoded, ${frames.callbacks} presented`);
  await shot(a, 'console-video.png');

  await step('crew stops the camera', async () => {
    await b.click('#camera-stop');
    await b.waitForSelector('#camera-state[data-state="idle"]', { timeout: 10_000 });
  });
  // The video is done: its pages leave the CPU to the lifecycle's.
  await fieldCtx.close();
  await consoleCtx.close();
  delete pages.field;
  delete pages.console;

  await lifecycle(browser, incidentId);

  failOnPageErrors();
}

log(`Fireline at ${BASE}; screenshots in ${ARTIFACTS}`);
runBrowserTest(run, { test: 'the browser test', overallMs: OVERALL_MS, failurePrefix: 'failure-' });
