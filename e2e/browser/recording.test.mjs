// recording.test.mjs: a crew's Chromium publishes its fake camera and microphone over WHIP into
// a dispatched incident (FIRELINE_INCIDENT, unit FIRELINE_UNIT, en route) for a few seconds,
// reports its position at the scene and goes on scene meanwhile; the crew stops, clears, and
// the operator closes the incident. A risk officer then reviews it:
//
//   - in Chinese, opened from the console's link: the intervals table shows call processing
//     with its value, its target and met or missed in words; the recording is listed and
//     plays (its time advances, the picture has a size, its sound decodes) while the review's
//     cursor follows the picture and the map moves the unit along its track; choosing the
//     on-scene event seeks the video, the cursor and the unit there; a finding is recorded;
//     the timeline and intervals export as CSV with a BOM; the printed report has the
//     header, intervals, timeline and findings and none of the controls;
//   - in English, from the review page alone: the search by date, type, status and area
//     finds the incident, which opens; no Chinese is left on the page, and switching to
//     Chinese leaves no English but data;
//   - a crew is refused the review page, the risk officer let in.
//
// Run by e2e/recording_test.go, which also checks the file with ffprobe and the finding
// through the API. Screenshots of the review in both languages go to FIRELINE_ARTIFACTS.
//
// Environment: FIRELINE_URL, FIRELINE_PASSWORD, FIRELINE_INCIDENT, FIRELINE_UNIT,
// FIRELINE_ARTIFACTS. Exit status 0 on success, 1 with a message on any failure.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  api, ARTIFACTS, BASE, fail, failOnPageErrors, log, login, pages, PASSWORD, refused, runBrowserTest, setStatus, shot, signIn, step, watch,
} from './harness.mjs';

const INCIDENT = Number(process.env.FIRELINE_INCIDENT);
const UNIT = process.env.FIRELINE_UNIT || '';
const OVERALL_MS = 240_000;
const PUBLISH_MS = 6_000;
/** FINDING is what the risk officer records, in Chinese as the centre writes. */
const FINDING = '一号车出动顺畅；地下车库入口无线电信号弱，建议加装中继。';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

if (!BASE || !PASSWORD || !INCIDENT || !UNIT) {
  console.error('FIRELINE_URL, FIRELINE_PASSWORD, FIRELINE_INCIDENT and FIRELINE_UNIT must be set');
  process.exit(2);
}

/** reportPosition posts an AVL fix for the crew's own unit, now. */
async function reportPosition(token, p) {
  const res = await api('POST', `/api/v1/units/${encodeURIComponent(UNIT)}/position`, {
    token, body: { lat: p.lat, lng: p.lng, time: new Date().toISOString() },
  });
  if (res.status !== 200 || !res.json.stored) fail(`position of ${UNIT}: ${res.status} ${JSON.stringify(res.json)}`);
}

/**
 * publish streams the crew's camera and microphone for PUBLISH_MS with WHIP (RFC 9725, one
 * POST of the offer with its candidates), reporting the scene's position and going on scene
 * halfway.
 */
async function publish(browser, scene) {
  const crew = await login(`crew-${UNIT}`);
  const ctx = await browser.newContext({ permissions: ['camera', 'microphone'] });
  const page = await ctx.newPage();
  watch(page, 'crew');
  await page.goto(`${BASE}/field`); // a page of the app's own origin, as the field page publishes
  const whip = await step('the crew publishes camera and microphone (WHIP)', () => page.evaluate(async ({ token, incident }) => {
    const media = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
    const pc = new RTCPeerConnection();
    for (const track of media.getTracks()) pc.addTransceiver(track, { direction: 'sendonly', streams: [media] });
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise((resolve) => {
      if (pc.iceGatheringState === 'complete') resolve();
      pc.addEventListener('icegatheringstatechange', () => { if (pc.iceGatheringState === 'complete') resolve(); });
      setTimeout(resolve, 3000);
    });
    const res = await fetch(`/api/v1/media/incidents/${incident}/whip`, {
      method: 'POST', headers: { 'Content-Type': 'application/sdp', Authorization: `Bearer ${token}` }, body: pc.localDescription.sdp,
    });
    if (res.status !== 201) throw new Error(`WHIP answered ${res.status}: ${await res.text()}`);
    const location = new URL(res.headers.get('Location'), res.url).href;
    await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
    await new Promise((resolve, reject) => {
      const check = () => {
        if (pc.connectionState === 'connected') resolve();
        else if (pc.connectionState === 'failed') reject(new Error('media connection failed'));
      };
      pc.addEventListener('connectionstatechange', check);
      setTimeout(() => reject(new Error(`media connection ${pc.connectionState} after 20 s`)), 20_000);
      check();
    });
    window.publishing = { token, pc, location, media };
    return { location, tracks: media.getTracks().map((t) => t.kind) };
  }, { token: crew.token, incident: INCIDENT }));
  log(`publishing ${whip.tracks.join('+')} at ${whip.location}`);
  await sleep(PUBLISH_MS / 2);
  await reportPosition(crew.token, scene);
  await setStatus(crew.token, UNIT, 'on_scene');
  log(`${UNIT} on scene at ${scene.lat},${scene.lng}`);
  await sleep(PUBLISH_MS / 2);
  const sent = await step('the crew stops (WHIP DELETE)', () => page.evaluate(async () => {
    const { token, pc, location, media } = window.publishing;
    const outbound = [...(await pc.getStats()).values()].filter((s) => s.type === 'outbound-rtp');
    const res = await fetch(location, { method: 'DELETE', headers: { Authorization: `Bearer ${token}` } });
    if (!res.ok && res.status !== 404) throw new Error(`WHIP DELETE answered ${res.status}`);
    pc.close();
    media.getTracks().forEach((t) => t.stop());
    return {
      stats: outbound.map((s) => `${s.kind} ${s.packetsSent} packets${s.framesEncoded ? `, ${s.framesEncoded} frames` : ''}`),
      videoFrames: outbound.find((s) => s.kind === 'video')?.framesEncoded ?? 0,
    };
  }));
  log(`sent: ${sent.stats.join('; ')}`);
  console.log(`VIDEO FRAMES ENCODED ${sent.videoFrames}`); // the Go side holds the recording to it
  await setStatus(crew.token, UNIT, 'available');
  await ctx.close();
  delete pages.crew;
}

async function closeIncident() {
  const op = await login('operator');
  const res = await api('POST', `/api/v1/incidents/${INCIDENT}/close`, { token: op.token, body: { reason: 'fire out; video kept for the review' } });
  if (res.status !== 200) fail(`close incident ${INCIDENT}: ${res.status} ${JSON.stringify(res.json)}`);
  for (const deadline = Date.now() + 30_000; ;) {
    const inc = await api('GET', `/api/v1/incidents/${INCIDENT}`, { token: op.token });
    if (inc.json.status === 'reviewed') return inc.json;
    if (Date.now() > deadline) fail(`incident ${INCIDENT} is ${inc.json.status}, not reviewed, 30 s after closing`);
    await sleep(300);
  }
}

/** standards reads the intervals table as drawn: each row's interval, value, target and result in words. */
function standards(page) {
  return page.$$eval('[data-testid="standard"]', (rows) => rows.map((r) => ({
    interval: r.dataset.interval, unit: r.dataset.unitId || '', result: r.dataset.result, seconds: Number(r.dataset.seconds),
    target: Number(r.dataset.target), value: r.querySelector('[data-testid="standard-value"]').textContent.trim(),
    targetText: r.querySelector('[data-testid="standard-target"]').textContent.trim(),
    words: r.querySelector('[data-testid="standard-result"]').textContent.replace(/[✓✗–]/g, '').trim(),
  })));
}

/** checkCallProcessing holds the call-processing row to its target and the words for its result. */
function checkCallProcessing(rows, words) {
  const cp = rows.find((r) => r.interval === 'call_processing');
  if (!cp) fail(`no call processing row: ${JSON.stringify(rows)}`);
  const want = cp.seconds <= 60 ? 'met' : 'missed';
  if (cp.target !== 60 || !Number.isFinite(cp.seconds) || cp.result !== want || cp.words !== words[want] || !/1:00/.test(cp.targetText) || !cp.value) {
    fail(`call processing row ${JSON.stringify(cp)}: want its value, target ≤ 1:00 and "${words[want]}"`);
  }
  log(`call processing: ${cp.value} against ${cp.targetText}: ${cp.words}`);
  return cp;
}

/** cursorAt is the review cursor's moment (ms). */
const cursorAt = (page) => page.$eval('[data-testid="cursor"]', (o) => new Date(o.dataset.at).getTime());

/** unitOnMap is where the review's map draws the unit, or null. */
const unitOnMap = (page) => page.evaluate((unit) => document.querySelector('#review-map').situationMap?.unitPosition(unit) ?? null, UNIT);

const near = (a, b, deg) => a && b && Math.abs(a.lat - b.lat) < deg && Math.abs((a.lng ?? a.lon) - (b.lng ?? b.lon)) < deg;

/**
 * untranslated lists the visible text of the review that is not in the page's language: Han
 * characters on the English page, Latin words on the Chinese one. Data is left out: what is
 * marked translate="no" or lang="en" (unit ids, usernames, addresses, the server's English
 * records), form controls' options, the map (its module has its own catalogue) and the names
 * of standards and products.
 */
function untranslated(page, lang) {
  return page.evaluate((lang) => {
    const allowed = new Set(['NFPA', 'CSV', 'Fireline', 'CAP', 'PAR', 'WebGL', 'UTC']);
    const out = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const e = n.parentElement;
      const text = n.textContent.trim();
      if (!text || !e.checkVisibility?.() || e.closest('[translate="no"], [lang="en"], select, #review-map, script, style')) continue;
      const bad = lang === 'en' ? /[\u3400-\u9fff]/.test(text)
        : (text.match(/[A-Za-z]{3,}/g) || []).some((w) => !allowed.has(w));
      if (bad) out.push(`${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}: ${text.slice(0, 80)}`);
    }
    return out;
  }, lang);
}

/** download clicks a CSV export and returns the file's name and bytes. */
async function download(page, button) {
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 10_000 }), page.click(button)]);
  const path = join(ARTIFACTS, dl.suggestedFilename());
  await dl.saveAs(path);
  return { name: dl.suggestedFilename(), bytes: await readFile(path) };
}

/** reviewInChinese: the risk officer opens the closed incident's review from the console, in Chinese. */
async function reviewInChinese(browser, inc, scene, enRoute) {
  const ctx = await browser.newContext({ viewport: { width: 1600, height: 1100 }, locale: 'zh-CN', acceptDownloads: true });
  const page = await ctx.newPage();
  watch(page, 'review');
  await step('the risk officer signs in to the console and opens the closed incident', async () => {
    await page.goto(`${BASE}/#incident-${INCIDENT}`);
    await page.fill('#login-username', 'risk');
    await page.fill('#login-password', PASSWORD);
    await page.click('#login-submit');
    await page.waitForSelector(`#incident-detail[data-incident-id="${INCIDENT}"] [data-testid="open-review"]`, { timeout: 15_000 });
  });
  await shot(page, 'console-review-link.png');
  await step('"Review and video" opens the incident\'s review, signed in', async () => {
    await page.click('[data-testid="open-review"]');
    await page.waitForURL(`${BASE}/review#incident-${INCIDENT}`, { timeout: 10_000 });
    await page.waitForSelector(`#review-detail[data-incident-id="${INCIDENT}"][data-status="reviewed"]`, { timeout: 15_000 });
  });
  if (await page.getAttribute('html', 'lang') !== 'zh-CN') fail('the review did not choose Chinese for a Chinese browser');

  const rows = await standards(page);
  log(`intervals: ${rows.map((r) => `${r.interval}${r.unit ? ` ${r.unit}` : ''} ${r.value} / ${r.targetText}: ${r.words}`).join('; ')}`);
  checkCallProcessing(rows, { met: '达标', missed: '超时' });
  const arrival = rows.find((r) => r.interval === 'first_arrival');
  if (arrival?.result !== 'met' || arrival.words !== '达标' || arrival.target !== 380) {
    fail(`first arrival ${JSON.stringify(arrival)}: want met against 380 s (60 + 80 + 240 for a structure fire)`);
  }
  for (const k of ['turnout', 'travel']) {
    if (!rows.some((r) => r.interval === k && r.unit === UNIT && Number.isFinite(r.seconds))) fail(`no ${k} row for ${UNIT}: ${JSON.stringify(rows)}`);
  }
  if (!(await page.textContent('#standards-note')).includes('80 秒')) fail('the note does not say the 80 s fire turnout applies');

  const rec = `[data-testid="recording"][data-stream="${UNIT}"][data-state="closed"][data-complete="true"]`;
  await step('the recording is listed on the review', () => page.waitForSelector(rec, { timeout: 15_000 }));
  log(`listed: ${await page.textContent(`${rec} .player-meta`)}`);
  await step('the map draws the unit\'s track', () => page.waitForFunction((unit) => {
    const m = document.querySelector('#review-map').situationMap;
    return m && m.unitPosition(unit);
  }, UNIT, { timeout: 20_000 }));
  await shot(page, 'review-zh-CN.png');

  const video = `${rec} video`;
  const startedAt = new Date(await page.getAttribute(rec, 'data-started-at')).getTime();
  const before = { cursor: await cursorAt(page), unit: await unitOnMap(page) };
  await step('the recording plays: its time advances, the picture has a size, the sound decodes', () => page.evaluate((sel) => new Promise((resolve, reject) => {
    const v = document.querySelector(sel);
    v.muted = true; // a test has no one to hear it; Chromium plays muted video without a click
    v.play().catch(reject);
    const t0 = performance.now();
    const check = setInterval(() => {
      if (v.currentTime > 1.5 && v.videoWidth > 0 && v.webkitAudioDecodedByteCount > 0) {
        clearInterval(check);
        resolve();
      } else if (performance.now() - t0 > 20_000) {
        clearInterval(check);
        reject(new Error(`after 20 s: currentTime ${v.currentTime}, ${v.videoWidth}×${v.videoHeight}, audio ${v.webkitAudioDecodedByteCount} bytes, error ${v.error?.code}`));
      }
    }, 200);
  }), video));
  const mid = { cursor: await cursorAt(page), unit: await unitOnMap(page), t: await page.$eval(video, (v) => v.currentTime) };
  await sleep(1200);
  const later = { cursor: await cursorAt(page), unit: await unitOnMap(page), t: await page.$eval(video, (v) => v.currentTime) };
  const played = await page.$eval(video, (v) => ({ t: v.currentTime, w: v.videoWidth, h: v.videoHeight, d: v.duration, frames: v.getVideoPlaybackQuality().totalVideoFrames }));
  log(`played to ${played.t.toFixed(2)} s of ${played.d.toFixed(2)} s: ${played.w}×${played.h}, ${played.frames} frames`);
  await step('the cursor follows the picture along the timeline', async () => {
    if (!(later.cursor > mid.cursor && mid.cursor > before.cursor)) {
      fail(`cursor ${new Date(before.cursor).toISOString()} → ${new Date(mid.cursor).toISOString()} → ${new Date(later.cursor).toISOString()}: it did not move with the video`);
    }
    const drift = Math.abs(later.cursor - (startedAt + later.t * 1000));
    if (drift > 1500) fail(`the cursor is ${drift} ms off the picture's time`);
    log(`cursor ${new Date(mid.cursor).toISOString()} → ${new Date(later.cursor).toISOString()} with the video at ${mid.t.toFixed(2)} → ${later.t.toFixed(2)} s`);
  });
  await step('the map moves the unit along its track with the cursor', async () => {
    log(`${UNIT} on the map: ${JSON.stringify(before.unit)} → ${JSON.stringify(mid.unit)} → ${JSON.stringify(later.unit)}`);
    if (!mid.unit || !later.unit || near(mid.unit, later.unit, 1e-7)) fail('the unit did not move on the map while the video played');
    // Between its en-route report and the scene, the unit is on the line from one to the other.
    const inBox = (p) => p.lat >= Math.min(enRoute.lat, scene.lat) - 1e-6 && p.lat <= Math.max(enRoute.lat, scene.lat) + 1e-6;
    if (!inBox(later.unit)) fail(`the unit is drawn at ${JSON.stringify(later.unit)}, off its way from ${JSON.stringify(enRoute)} to ${JSON.stringify(scene)}`);
  });
  await shot(page, 'review-zh-CN-playing.png');

  // The on-scene event happened halfway through the recording: choosing it seeks there.
  const event = `[data-testid="review-event"][data-kind="unit_status"][data-status="on_scene"][data-covered="true"]`;
  const target = await step('the on-scene event is marked as on video', async () => {
    await page.waitForSelector(event, { timeout: 5_000 });
    const at = await page.getAttribute(event, 'data-at');
    return { at, offset: (new Date(at).getTime() - startedAt) / 1000 };
  });
  await step(`choosing it seeks the video to ${target.offset.toFixed(2)} s, the cursor and the unit to the scene`, async () => {
    await page.evaluate((sel) => document.querySelector(sel).pause(), video);
    await page.click(`[data-testid="review-event"][data-at="${target.at}"]`);
    await page.waitForFunction(([sel, want]) => {
      const v = document.querySelector(sel);
      return !v.seeking && Math.abs(v.currentTime - want) < 1 && !v.paused;
    }, [video, target.offset], { timeout: 10_000 });
    await page.waitForSelector(`[aria-current="true"] [data-at="${target.at}"]`, { state: 'attached', timeout: 2_000 });
    await page.evaluate((sel) => document.querySelector(sel).pause(), video);
    await page.click(`[data-testid="review-event"][data-at="${target.at}"]`); // again, paused: the cursor rests on it
    await page.evaluate((sel) => document.querySelector(sel).pause(), video);
    await page.waitForFunction((want) => Math.abs(new Date(document.querySelector('[data-testid="cursor"]').dataset.at) - new Date(want)) < 1500,
      target.at, { timeout: 5_000 });
    // The map redraws units at most once a second: give it two.
    let pos = await unitOnMap(page);
    for (const until = Date.now() + 2_000; !near(pos, scene, 5e-4) && Date.now() < until; pos = await unitOnMap(page)) {
      await new Promise((r) => setTimeout(r, 100));
    }
    if (!near(pos, scene, 5e-4)) fail(`at the on-scene event the map draws ${UNIT} at ${JSON.stringify(pos)}, want the scene ${JSON.stringify(scene)}`);
  });
  log(`seeked: the picture shows ${await page.$eval(`${rec} [data-testid="recording-clock"]`, (o) => o.textContent)}, the cursor ${await page.textContent('[data-testid="cursor"]')}`);
  await shot(page, 'review-zh-CN-seeked.png');

  await step('choosing the en-route event, before any video, moves the unit to where it reported then', async () => {
    const at = await page.getAttribute(`[data-testid="review-event"][data-status="en_route"]`, 'data-at');
    await page.click(`[data-testid="review-event"][data-at="${at}"]`);
    await page.waitForFunction((want) => document.querySelector('[data-testid="cursor"]').dataset.at === new Date(want).toISOString(), at, { timeout: 5_000 });
    await page.waitForFunction(([unit, p]) => {
      const q = document.querySelector('#review-map').situationMap.unitPosition(unit);
      return q && Math.abs(q.lat - p.lat) < 1e-5 && Math.abs((q.lng ?? q.lon) - p.lng) < 1e-5;
    }, [UNIT, enRoute], { timeout: 5_000 });
  });

  await step('the risk officer records a finding', async () => {
    await page.selectOption('[data-testid="finding-category"]', 'communication');
    await page.fill('[data-testid="finding-text"]', FINDING);
    await page.click('[data-testid="finding-submit"]');
    await page.waitForSelector('[data-testid="finding"][data-category="communication"]', { timeout: 10_000 });
    const text = await page.textContent('[data-testid="finding"] [data-testid="finding-text"]');
    if (text !== FINDING) fail(`the finding reads "${text}"`);
  });

  await step('the timeline and the intervals export as CSV that Excel opens as Chinese', async () => {
    const tl = await download(page, '[data-testid="export-timeline"]');
    const iv = await download(page, '[data-testid="export-intervals"]');
    for (const f of [tl, iv]) {
      if (f.bytes[0] !== 0xef || f.bytes[1] !== 0xbb || f.bytes[2] !== 0xbf) fail(`${f.name} has no UTF-8 byte-order mark`);
    }
    const tlText = tl.bytes.toString('utf8').slice(1);
    const ivText = iv.bytes.toString('utf8').slice(1);
    if (!tlText.startsWith('时间（本地）,') || !tlText.includes('\r\n') || !tlText.includes(',unit_status,')) {
      fail(`${tl.name} does not start with the Chinese header or lacks the unit status events:\n${tlText.slice(0, 300)}`);
    }
    const lines = ivText.trim().split('\r\n');
    const cp = lines.find((l) => l.startsWith('接警处理,'));
    if (!ivText.startsWith('时段,') || !cp || !/,60,(达标|超时),/.test(cp)) fail(`${iv.name}: no call processing line with its target and result:\n${ivText}`);
    log(`CSV: ${tl.name} (${tl.bytes.length} bytes), ${iv.name}: ${cp}`);
  });

  await step('the printed report has the header, intervals, timeline and findings, and no controls', async () => {
    await page.emulateMedia({ media: 'print' });
    const seen = await page.evaluate(() => {
      const shown = (sel) => [...document.querySelectorAll(sel)].some((e) => e.checkVisibility());
      return {
        head: shown('#print-head') && shown('#review-title'), intervals: shown('[data-testid="standard"]'),
        timeline: document.querySelectorAll('#print-timeline tbody tr').length, findings: shown('[data-testid="finding"]'),
        controls: ['#search-form', '#cursor', 'video', '#finding-form', '#print-report', '.topbar'].filter(shown),
      };
    });
    if (!seen.head || !seen.intervals || seen.timeline < 5 || !seen.findings || seen.controls.length) {
      fail(`printed report: ${JSON.stringify(seen)}`);
    }
    await page.pdf({ path: join(ARTIFACTS, 'review-report-zh-CN.pdf'), format: 'A4', printBackground: false });
    await page.screenshot({ path: join(ARTIFACTS, 'review-report-zh-CN.png'), fullPage: true });
    log(`report: ${seen.timeline} timeline rows; saved review-report-zh-CN.pdf and .png`);
    await page.emulateMedia({ media: 'screen' });
  });
  const leftover = await untranslated(page, 'zh-CN');
  if (leftover.length) fail(`English left on the Chinese review:\n  ${leftover.join('\n  ')}`);
  await page.$eval('#findings-h', (h) => h.scrollIntoView({ block: 'start' }));
  await shot(page, 'review-zh-CN-findings.png');
  await ctx.close();
  delete pages.review;
}

/** searchInEnglish: the risk officer finds the incident from the review page's search, in English. */
async function searchInEnglish(browser, inc, station) {
  const ctx = await browser.newContext({ viewport: { width: 1600, height: 1100 }, locale: 'en-GB' });
  const page = await ctx.newPage();
  watch(page, 'review-en');
  await page.goto(`${BASE}/review`);
  await signIn(page, 'risk', '#review-view');
  const day = (iso) => {
    const d = new Date(iso);
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  };
  await step(`the search by day, type, status and area (near ${station.id}) finds incident ${INCIDENT}`, async () => {
    await page.waitForSelector(`[data-testid="search-area"] option[value="${station.id}"]`, { state: 'attached', timeout: 10_000 });
    await page.fill('[data-testid="search-from"]', day(inc.created_at));
    await page.fill('[data-testid="search-to"]', day(inc.created_at));
    await page.selectOption('[data-testid="search-type"]', inc.type);
    await page.selectOption('[data-testid="search-status"]', 'finished');
    await page.selectOption('[data-testid="search-area"]', station.id);
    await page.selectOption('[data-testid="search-radius"]', '5000');
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.url().includes('/api/v1/incidents?') && r.request().method() === 'GET', { timeout: 10_000 }),
      page.click('[data-testid="search-submit"]'),
    ]);
    const q = new URL(res.url()).searchParams;
    if (res.status() !== 200 || q.get('status') !== 'finished' || q.get('type') !== inc.type || !q.get('near') || q.get('radius_m') !== '5000' || !q.get('from') || !q.get('to')) {
      fail(`the search asked ${res.url()}: ${res.status()}`);
    }
    await page.waitForSelector(`[data-testid="review-incident"][data-incident-id="${INCIDENT}"]`, { timeout: 10_000 });
    const found = await page.$$eval('[data-testid="review-incident"]', (b) => b.map((x) => `${x.dataset.incidentId}:${x.dataset.status}`));
    if (found.some((f) => !/:(closed|cancelled|merged|reviewed)$/.test(f))) fail(`the finished-only search listed open incidents: ${found}`);
    log(`search ${q}: ${found.join(', ')} (${await page.textContent('[data-testid="search-count"]')})`);
  });
  await step('a search that cannot match says so', async () => {
    await page.selectOption('[data-testid="search-status"]', 'open');
    await page.click('[data-testid="search-submit"]');
    await page.waitForFunction((id) => !document.querySelector(`[data-testid="review-incident"][data-incident-id="${id}"]`), INCIDENT, { timeout: 10_000 });
    await page.selectOption('[data-testid="search-status"]', 'finished');
    await page.click('[data-testid="search-submit"]');
    await page.waitForSelector(`[data-testid="review-incident"][data-incident-id="${INCIDENT}"]`, { timeout: 10_000 });
  });
  await step('choosing the result opens its review', async () => {
    await page.click(`[data-testid="review-incident"][data-incident-id="${INCIDENT}"]`);
    await page.waitForSelector(`#review-detail[data-incident-id="${INCIDENT}"] [data-testid="standard"]`, { timeout: 15_000 });
    await page.waitForSelector('[data-testid="finding"]', { timeout: 10_000 });
    await page.waitForFunction((unit) => document.querySelector('#review-map').situationMap?.unitPosition(unit), UNIT, { timeout: 20_000 });
  });
  checkCallProcessing(await standards(page), { met: 'Met', missed: 'Missed' });
  const leftover = await untranslated(page, 'en');
  if (leftover.length) fail(`Chinese left on the English review:\n  ${leftover.join('\n  ')}`);
  await shot(page, 'review-en.png');
  await step('switching to Chinese redraws every label', async () => {
    await page.selectOption('[data-testid="language"]', 'zh-CN');
    await page.waitForFunction(() => document.documentElement.lang === 'zh-CN' && document.querySelector('#standards-h').textContent.includes('响应'));
    checkCallProcessing(await standards(page), { met: '达标', missed: '超时' });
    const left = await untranslated(page, 'zh-CN');
    if (left.length) fail(`English left after switching to Chinese:\n  ${left.join('\n  ')}`);
  });
  await shot(page, 'review-search-zh-CN.png');
  await ctx.close();
  delete pages['review-en'];
}

/** reviewSignIn: the review page has its own sign-in, for console roles only. */
async function reviewSignIn(browser) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB' });
  const page = await ctx.newPage();
  watch(page, 'review-sign-in');
  await step('the review page refuses a crew and lets the risk officer in', async () => {
    await page.goto(`${BASE}/review#incident-${INCIDENT}`);
    await refused(page, `crew-${UNIT}`, '#review-view', 'may not review incidents');
    await signIn(page, 'risk', '#review-view');
    await page.waitForSelector(`#review-detail[data-incident-id="${INCIDENT}"]`, { timeout: 15_000 });
  });
  await ctx.close();
  delete pages['review-sign-in'];
}

async function run(browser) {
  const op = await login('operator');
  const inc0 = (await api('GET', `/api/v1/incidents/${INCIDENT}`, { token: op.token })).json;
  const scene = { lat: inc0.location.lat, lng: inc0.location.lng };
  const history = (await api('GET', `/api/v1/units/${encodeURIComponent(UNIT)}/history?limit=5`, { token: op.token })).json;
  const enRouteEntry = history.events.find((e) => e.status === 'en_route' && e.incident_id === INCIDENT);
  if (!enRouteEntry) fail(`${UNIT} has no en-route entry on incident ${INCIDENT}: ${JSON.stringify(history)}`);
  const enRoute = { lat: enRouteEntry.location.lat, lng: enRouteEntry.location.lng };
  await publish(browser, scene);
  const inc = await step(`close incident ${INCIDENT}`, closeIncident);
  const { stations } = (await api('GET', '/api/v1/stations', { token: op.token })).json;
  const dist = (s) => Math.hypot(s.location.lat - scene.lat, (s.location.lng - scene.lng) * Math.cos(scene.lat * Math.PI / 180));
  const station = stations.filter((s) => !s.retired_at).sort((a, b) => dist(a) - dist(b))[0];
  await reviewInChinese(browser, inc, scene, enRoute);
  await searchInEnglish(browser, inc, station);
  await reviewSignIn(browser);
  failOnPageErrors();
}

runBrowserTest(run, {
  test: 'the recording and review test', overallMs: OVERALL_MS, failurePrefix: 'failure-recording-', about: `incident ${INCIDENT}, unit ${UNIT}`,
});
