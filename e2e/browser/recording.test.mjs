// recording.test.mjs: a crew's Chromium publishes its fake camera and microphone over WHIP into
// a dispatched incident (FIRELINE_INCIDENT, unit FIRELINE_UNIT, en route) for a few seconds and
// goes on scene meanwhile; the crew stops, clears, and the operator closes the incident. A risk
// officer then opens the incident from the console to its review: the recording is listed, plays (its time advances,
// the picture has a size, its sound decodes), and selecting the on-scene event seeks it to
// that moment. Run by e2e/recording_test.go, which also checks the file with ffprobe.
//
// Environment: FIRELINE_URL, FIRELINE_PASSWORD, FIRELINE_INCIDENT, FIRELINE_UNIT,
// FIRELINE_ARTIFACTS. Exit status 0 on success, 1 with a message on any failure.

import {
  api, BASE, fail, failOnPageErrors, log, login, pages, PASSWORD, refused, runBrowserTest, setStatus, shot, signIn, step, watch,
} from './harness.mjs';

const INCIDENT = Number(process.env.FIRELINE_INCIDENT);
const UNIT = process.env.FIRELINE_UNIT || '';
const OVERALL_MS = 150_000;
const PUBLISH_MS = 6_000;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

if (!BASE || !PASSWORD || !INCIDENT || !UNIT) {
  console.error('FIRELINE_URL, FIRELINE_PASSWORD, FIRELINE_INCIDENT and FIRELINE_UNIT must be set');
  process.exit(2);
}

/** publish streams the crew's camera and microphone for PUBLISH_MS, going on scene halfway. */
async function publish(browser) {
  const crew = await login(`crew-${UNIT}`);
  const ctx = await browser.newContext({ permissions: ['camera', 'microphone'] });
  const page = await ctx.newPage();
  watch(page, 'crew');
  await page.goto(`${BASE}/field`); // the app's own modules publish, from its origin
  const whip = await step('the crew publishes camera and microphone (WHIP)', () => page.evaluate(async ({ token, user, incident }) => {
    const { Client, Session } = await import('/common.js');
    const { negotiate, connected } = await import('/webrtc.js');
    const session = new Session('fireline.recording-test');
    session.save(token, user);
    const client = new Client(session);
    const media = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
    const pc = new RTCPeerConnection();
    for (const track of media.getTracks()) pc.addTransceiver(track, { direction: 'sendonly', streams: [media] });
    const location = await negotiate(client, `/api/v1/media/incidents/${incident}/whip`, pc);
    await connected(pc);
    window.publishing = { client, pc, location, media };
    return { location, tracks: media.getTracks().map((t) => t.kind) };
  }, { token: crew.token, user: crew.user, incident: INCIDENT }));
  log(`publishing ${whip.tracks.join('+')} at ${whip.location}`);
  await sleep(PUBLISH_MS / 2);
  await setStatus(crew.token, UNIT, 'on_scene');
  log(`${UNIT} on scene`);
  await sleep(PUBLISH_MS / 2);
  const sent = await step('the crew stops (WHIP DELETE)', () => page.evaluate(async () => {
    const { client, pc, location, media } = window.publishing;
    const outbound = [...(await pc.getStats()).values()].filter((s) => s.type === 'outbound-rtp');
    await client.end(location);
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
    if (inc.json.status === 'reviewed') return;
    if (Date.now() > deadline) fail(`incident ${INCIDENT} is ${inc.json.status}, not reviewed, 30 s after closing`);
    await sleep(300);
  }
}

/** review: the risk officer replays the incident in Chromium. */
async function review(browser) {
  const ctx = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
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
  const rec = `[data-testid="recording"][data-stream="${UNIT}"][data-state="closed"][data-complete="true"]`;
  await step('the recording is listed on the review', () => page.waitForSelector(rec, { timeout: 15_000 }));
  const meta = await page.textContent(`${rec} .player-meta`);
  log(`listed: ${meta}`);
  const standards = await page.$$eval('[data-testid="standard"]', (rows) => rows.map((r) => `${r.dataset.interval}${r.dataset.unitId ? ` ${r.dataset.unitId}` : ''}: ${r.dataset.result}`));
  log(`standards: ${standards.join('; ')}`);
  if (!standards.some((s) => s.startsWith('call_processing: ')) || !standards.some((s) => s === 'first_arrival: pass')) {
    fail(`the standards table lacks call processing or a met first arrival: ${standards.join('; ')}`);
  }

  const video = `${rec} video`;
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
  const played = await page.$eval(video, (v) => ({ t: v.currentTime, w: v.videoWidth, h: v.videoHeight, d: v.duration, frames: v.getVideoPlaybackQuality().totalVideoFrames }));
  log(`played to ${played.t.toFixed(2)} s of ${played.d.toFixed(2)} s: ${played.w}×${played.h}, ${played.frames} frames`);
  await shot(page, 'review-playing.png');

  // The on-scene event happened halfway through the recording: selecting it seeks there.
  const event = `[data-testid="review-event"][data-kind="unit_status"][data-covered="true"]`;
  const target = await step('the on-scene event is marked as on video', async () => {
    await page.waitForSelector(event, { timeout: 5_000 });
    const start = new Date(await page.getAttribute(rec, 'data-started-at')).getTime();
    const evs = await page.$$eval(event, (list) => list.map((e) => ({ at: e.dataset.at, text: e.textContent })));
    const ev = evs.find((e) => /on.scene/i.test(e.text)) || evs[evs.length - 1];
    return { at: ev.at, offset: (new Date(ev.at).getTime() - start) / 1000 };
  });
  await step(`selecting it seeks the video to ${target.offset.toFixed(2)} s`, async () => {
    await page.evaluate((sel) => document.querySelector(sel).pause(), video);
    await page.click(`[data-testid="review-event"][data-at="${target.at}"]`);
    await page.waitForFunction(([sel, want]) => {
      const v = document.querySelector(sel);
      return !v.seeking && Math.abs(v.currentTime - want) < 1 && !v.paused;
    }, [video, target.offset], { timeout: 10_000 });
    await page.waitForSelector(`[aria-current="true"] [data-at="${target.at}"]`, { state: 'attached', timeout: 2_000 });
  });
  const clockAt = await page.$eval(`${rec} [data-testid="recording-clock"]`, (o) => o.textContent);
  log(`seeked: the picture shows ${clockAt}, the event is at ${new Date(target.at).toLocaleTimeString('en-GB', { hour12: false })}`);
  await shot(page, 'review-seeked.png');
  await ctx.close();
  delete pages.review;
}

/** reviewSignIn: the review page has its own sign-in, for console roles only. */
async function reviewSignIn(browser) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
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
  await publish(browser);
  await step(`close incident ${INCIDENT}`, closeIncident);
  await review(browser);
  await reviewSignIn(browser);
  failOnPageErrors();
}

runBrowserTest(run, {
  test: 'the recording test', overallMs: OVERALL_MS, failurePrefix: 'failure-recording-', about: `incident ${INCIDENT}, unit ${UNIT}`,
});
