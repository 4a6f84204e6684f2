// media.test.mjs: live video in Debian's Chromium against a running stack (started by
// e2e/media_test.go). A crew's field page publishes its fake camera over WHIP; a console viewer
// plays it over WHEP and decodes frames that are not black; after five seconds of publishing a
// third viewer joins and must show a decoded frame within one second of its WHEP answer (the
// server asks the camera for a keyframe as it joins). Then a second crew publishes simulcast
// (sendEncodings l, m and h) from a page using the console's own webrtc.js, and a viewer that
// asks for ?layer=low must get a smaller picture than one left to its link.
//
// With FIRELINE_MODE=redirect it checks instead that the console's client follows a 307 to
// another media node (see redirect below).
//
// Environment: FIRELINE_URL, FIRELINE_PASSWORD, FIRELINE_ARTIFACTS, FIRELINE_INCIDENT,
// FIRELINE_UNIT (the field page's crew), FIRELINE_SIMULCAST_UNIT. It prints a line
// `RESULT {json}` with what it measured. Exit status 0 on success, 1 with a message on failure.

import { join } from 'node:path';
import { ARTIFACTS, BASE, fail, log, login, PASSWORD, pageModules, runBrowserTest, step, watch } from './harness.mjs';

const INCIDENT = Number(process.env.FIRELINE_INCIDENT);
const UNIT = process.env.FIRELINE_UNIT || '';
const SIMULCAST_UNIT = process.env.FIRELINE_SIMULCAST_UNIT || '';
const OVERALL_MS = 150_000;
const LATE_JOIN_LIMIT_MS = 1000;

if (!BASE || !PASSWORD || !INCIDENT || !UNIT || (!SIMULCAST_UNIT && process.env.FIRELINE_MODE !== 'redirect')) {
  console.error('FIRELINE_URL, FIRELINE_PASSWORD, FIRELINE_INCIDENT, FIRELINE_UNIT and FIRELINE_SIMULCAST_UNIT must be set');
  process.exit(2);
}

/**
 * mediaPage opens a page on the stack's origin signed in as username, with the console's own
 * modules (common.js, webrtc.js, built by pageModules) on window.fl.
 */
async function mediaPage(browser, name, username, contextOpts = {}) {
  const { token, user } = await login(username);
  // The pages' content security policy allows only their own scripts: the test's copy of their
  // modules goes in as an inline script, which only a test context may let through.
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, bypassCSP: true, ...contextOpts });
  const page = await ctx.newPage();
  watch(page, name);
  await page.goto(`${BASE}/field`); // a page of the origin, to call the API as its pages do; its own UI is replaced
  await page.addScriptTag({ content: await pageModules() });
  await page.evaluate(({ token, user }) => {
    const { common, webrtc } = window.fl;
    const session = new common.Session('fireline.media-test');
    session.save(token, user);
    window.fl = { client: new common.Client(session), webrtc };
  }, { token, user });
  return page;
}

/**
 * play opens a WHEP viewer in page and resolves, once a frame is decoded, with the time from
 * the WHEP answer to that frame and the picture's size. The video is kept on window.viewer.
 */
function play(page, path) {
  return page.evaluate(async (path) => {
    const { client, webrtc } = window.fl;
    const video = document.createElement('video');
    video.muted = true;
    video.autoplay = true;
    video.playsInline = true;
    document.body.replaceChildren(video);
    const pc = new RTCPeerConnection();
    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.addTransceiver('audio', { direction: 'recvonly' });
    pc.ontrack = (e) => {
      if (e.track.kind !== 'video') return; // the camera sends no sound; the audio section stays empty
      video.srcObject = new MediaStream([e.track]);
      video.play().catch(() => {});
    };
    await pc.setLocalDescription(await pc.createOffer());
    await webrtc.iceGatheringComplete(pc);
    const { answer, location } = await client.exchangeSDP(path, pc.localDescription.sdp);
    const answeredAt = performance.now();
    await pc.setRemoteDescription({ type: 'answer', sdp: answer });
    window.viewer = { pc, video, location };
    const frameAt = await new Promise((resolve, reject) => {
      const timer = setTimeout(async () => {
        let inbound = {};
        (await pc.getStats()).forEach((r) => { if (r.type === 'inbound-rtp' && r.kind === 'video') inbound = r; });
        const { packetsReceived, framesReceived, framesDecoded, keyFramesDecoded, pliCount, firCount, nackCount, frameWidth } = inbound;
        reject(new Error(`no frame decoded within 15 s of the WHEP answer: connection ${pc.connectionState}, video readyState ${video.readyState} ` +
          `${video.videoWidth}×${video.videoHeight}, inbound ${JSON.stringify({ packetsReceived, framesReceived, framesDecoded, keyFramesDecoded, pliCount, firCount, nackCount, frameWidth })}`));
      }, 15000);
      video.requestVideoFrameCallback((now) => { clearTimeout(timer); resolve(now); });
    });
    return { ms: Math.round(frameAt - answeredAt), width: video.videoWidth, height: video.videoHeight, location };
  }, path);
}

/** decoding checks that the viewer's video advances and is not black; it returns its size. */
function decoding(page) {
  return page.evaluate(() => new Promise((resolve, reject) => {
    const v = window.viewer.video;
    const first = v.getVideoPlaybackQuality().totalVideoFrames;
    const t0 = v.currentTime;
    const started = performance.now();
    const check = setInterval(() => {
      const decoded = v.getVideoPlaybackQuality().totalVideoFrames - first;
      if (decoded > 10 && v.currentTime > t0) {
        clearInterval(check);
        const c = document.createElement('canvas');
        c.width = v.videoWidth;
        c.height = v.videoHeight;
        const g = c.getContext('2d');
        g.drawImage(v, 0, 0);
        const px = g.getImageData(0, 0, c.width, c.height).data;
        let lit = 0;
        for (let i = 0; i < px.length; i += 16) if (px[i] + px[i + 1] + px[i + 2] > 90) lit++;
        const share = lit / (px.length / 16);
        if (share < 0.05) reject(new Error(`the picture is black: ${(share * 100).toFixed(1)}% of pixels lit`));
        else resolve({ decoded, width: v.videoWidth, height: v.videoHeight, lit: Math.round(share * 100) });
      } else if (performance.now() - started > 15000) {
        clearInterval(check);
        reject(new Error(`only ${decoded} frames decoded in 15 s`));
      }
    }, 200);
  }));
}

async function run(browser) {
  const result = {};
  const whep = (unit, query = '') => `/api/v1/media/incidents/${INCIDENT}/streams/${encodeURIComponent(unit)}/whep${query}`;

  // ---- the crew's field page publishes ---------------------------------------------------------
  const fieldCtx = await browser.newContext({ viewport: { width: 820, height: 1180 }, permissions: ['camera'] });
  const field = await fieldCtx.newPage();
  watch(field, 'field');
  await step(`the field page signs in as crew-${UNIT}`, async () => {
    await field.goto(`${BASE}/field`);
    await field.fill('#login-username', `crew-${UNIT}`);
    await field.fill('#login-password', PASSWORD);
    await field.click('#login-submit');
    await field.waitForSelector(`#unit-incident[data-incident-id="${INCIDENT}"]`, { timeout: 15_000 });
  });
  await step('the crew starts the camera (WHIP)', async () => {
    await field.click('#camera-start');
    await field.waitForSelector('#camera-state[data-state="live"]', { timeout: 20_000 });
  });
  const publishedAt = Date.now();

  // ---- the first console viewer ---------------------------------------------------------------
  const v1 = await mediaPage(browser, 'viewer-1', 'operator');
  const first = await step('viewer 1 plays (WHEP)', () => play(v1, whep(UNIT)));
  const v1frames = await step('viewer 1 decodes frames that are not black', () => decoding(v1));
  log(`viewer 1: first frame ${first.ms} ms after its answer; ${v1frames.width}×${v1frames.height}, ${v1frames.decoded} frames, ${v1frames.lit}% lit`);
  result.viewer1_first_frame_ms = first.ms;
  result.viewer1_width = v1frames.width;
  await v1.screenshot({ path: join(ARTIFACTS, 'media-viewer-1.png') });

  // ---- a third viewer joins late ---------------------------------------------------------------
  const v2 = await mediaPage(browser, 'viewer-2', 'supervisor');
  await step('viewer 2 plays', () => play(v2, whep(UNIT)));
  const wait = 5500 - (Date.now() - publishedAt);
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const v3 = await mediaPage(browser, 'viewer-3', 'risk');
  const late = await step(`viewer 3 joins ${((Date.now() - publishedAt) / 1000).toFixed(1)} s after publishing began`, () => play(v3, whep(UNIT)));
  log(`viewer 3 (late): first decoded frame ${late.ms} ms after its WHEP answer (${late.width}×${late.height})`);
  result.late_join_first_frame_ms = late.ms;
  if (late.ms > LATE_JOIN_LIMIT_MS) fail(`the late viewer's first frame took ${late.ms} ms, over ${LATE_JOIN_LIMIT_MS} ms`);
  await step('viewer 3 keeps decoding', () => decoding(v3));

  // The API reports three viewers of the stream.
  const streams = await v1.evaluate((id) => window.fl.client.get(`/api/v1/media/incidents/${id}/streams`), INCIDENT);
  const info = streams.streams.find((s) => s.stream === UNIT);
  if (!info || info.viewers !== 3) fail(`streams: ${JSON.stringify(streams)}; want ${UNIT} with 3 viewers`);
  log(`stream ${UNIT}: ${info.viewers} viewers, ${(info.bitrate_bps / 1000).toFixed(0)} kbit/s, ${info.packets_lost} lost, tracks ${info.tracks}`);

  await step('the crew stops the camera', async () => {
    await field.click('#camera-stop');
    await field.waitForSelector('#camera-state[data-state="idle"]', { timeout: 10_000 });
  });
  for (const p of [v1, v2, v3]) await p.context().close();
  await fieldCtx.close();

  // ---- simulcast from Chromium ----------------------------------------------------------------
  const cam = await mediaPage(browser, 'simulcast', `crew-${SIMULCAST_UNIT}`, { permissions: ['camera'] });
  await step(`crew-${SIMULCAST_UNIT} publishes simulcast l/m/h (WHIP)`, () => cam.evaluate(async (path) => {
    const { client, webrtc } = window.fl;
    const media = await navigator.mediaDevices.getUserMedia({ video: { width: 1280, height: 720, frameRate: 30 }, audio: false });
    const pc = new RTCPeerConnection();
    pc.addTransceiver(media.getVideoTracks()[0], {
      direction: 'sendonly', streams: [media],
      sendEncodings: [{ rid: 'l', scaleResolutionDownBy: 4 }, { rid: 'm', scaleResolutionDownBy: 2 }, { rid: 'h' }],
    });
    window.publisher = { pc, location: await webrtc.negotiate(client, path, pc) };
    await webrtc.connected(pc);
  }, `/api/v1/media/incidents/${INCIDENT}/whip`));
  const low = await mediaPage(browser, 'viewer-low', 'operator');
  const auto = await mediaPage(browser, 'viewer-auto', 'supervisor');
  const cstreams = async () => (await low.evaluate((id) => window.fl.client.get(`/api/v1/media/incidents/${id}/streams`), INCIDENT))
    .streams.find((s) => s.stream === SIMULCAST_UNIT);
  await step('the server sees the three layers sending', async () => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const s = await cstreams();
      const active = (s?.track_stats || []).filter((t) => t.active && t.layer).map((t) => `${t.layer}:${Math.round(t.bitrate_bps / 1000)}k`);
      if (s && s.layers?.join() === 'l,m,h' && active.length === 3) {
        log(`layers ${active.join(' ')}`);
        return;
      }
      if (Date.now() > deadline) throw new Error(`layers not all sending: ${JSON.stringify(s)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  });
  await step('a viewer asks for the low layer', () => play(low, whep(SIMULCAST_UNIT, '?layer=low')));
  await step('a viewer is left to its link', () => play(auto, whep(SIMULCAST_UNIT)));
  const width = (p) => p.evaluate(() => window.viewer.video.videoWidth);
  const sizes = await step('the low viewer gets a smaller picture', async () => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const [l, a] = [await width(low), await width(auto)];
      if (l > 0 && a > 0 && l < a) return { l, a };
      if (Date.now() > deadline) throw new Error(`low viewer ${l} px wide, automatic viewer ${a} px`);
      await new Promise((r) => setTimeout(r, 300));
    }
  });
  await step('the low viewer decodes', () => decoding(low));
  await new Promise((r) => setTimeout(r, 6000)); // past the viewers' estimate warm-up
  log(`simulcast: ?layer=low viewer ${sizes.l} px wide, automatic viewer ${sizes.a} px`);
  result.simulcast_low_width = sizes.l;
  result.simulcast_auto_width = sizes.a;
  const final = await cstreams();
  const layersOf = Object.fromEntries((final.viewer_stats || []).map((v) => [v.owner,
    `${v.layer}${v.pinned ? ' (asked)' : ''}, sent ${Math.round(v.bitrate_bps / 1000)} kbit/s, estimate ${Math.round((v.estimate_bps || 0) / 1000)} kbit/s`]));
  log(`viewers' layers: ${JSON.stringify(layersOf)}`);
  result.viewer_layers = layersOf;
  await low.screenshot({ path: join(ARTIFACTS, 'media-simulcast-low.png') });
  await cam.evaluate(async () => {
    window.publisher.pc.close();
    await window.fl.client.end(window.publisher.location);
  });
  console.log(`RESULT ${JSON.stringify(result)}`);
}

/**
 * redirect: the room is on another media node than the page's. The console's WHEP POST is
 * redirected there (307); the browser drops the token on the way to the other origin, and the
 * page's client must send the offer again itself. The stream is a synthetic one, which no
 * decoder can show, so packets arriving is what counts; the session ends at its own node.
 */
async function redirect(browser) {
  const page = await mediaPage(browser, 'redirect', 'operator');
  const got = await step('a console plays a stream held by another media node', () => page.evaluate(async (path) => {
    const { client, webrtc } = window.fl;
    const pc = new RTCPeerConnection();
    pc.addTransceiver('video', { direction: 'recvonly' });
    const location = await webrtc.negotiate(client, path, pc);
    await webrtc.connected(pc);
    const deadline = performance.now() + 15000;
    for (;;) {
      let packets = 0;
      (await pc.getStats()).forEach((r) => { if (r.type === 'inbound-rtp' && r.kind === 'video') packets = r.packetsReceived; });
      if (packets > 20) {
        pc.close();
        await client.end(location);
        return { location, packets };
      }
      if (performance.now() > deadline) throw new Error(`only ${packets} packets in 15 s from ${location}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }, `/api/v1/media/incidents/${INCIDENT}/streams/${encodeURIComponent(UNIT)}/whep`));
  if (new URL(got.location).origin === BASE) fail(`the session is at ${got.location}, on the page's own node`);
  log(`played ${got.packets} packets through the redirect; session ${got.location} ended`);
  console.log(`RESULT ${JSON.stringify({ redirected_session: got.location, packets: got.packets })}`);
}

runBrowserTest(process.env.FIRELINE_MODE === 'redirect' ? redirect : run, {
  test: 'the media browser test', overallMs: OVERALL_MS, failurePrefix: 'media-failure-',
  about: `Fireline at ${BASE}, incident ${INCIDENT}`,
});
