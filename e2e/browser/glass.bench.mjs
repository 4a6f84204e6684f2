// glass.bench.mjs measures glass-to-glass latency through WHIP/WHEP media servers in Debian's
// Chromium, for scripts/bench-media.sh (it is a benchmark, not one of the browser tests). A
// publisher page draws the wall clock as a pattern of black and white blocks on a canvas every
// animation frame and publishes canvas.captureStream(30) over WHIP; a viewer page plays the
// stream over WHEP, draws each presented frame (requestVideoFrameCallback) on a canvas, reads
// the blocks back and records now − the drawn time. Both pages run in one browser on one
// machine, so one clock reads both ends. The figure covers capture, encode, the network and the
// server, the viewer's jitter buffer, decode and presentation: what a console sees.
//
// A target may instead name a Janus server's HTTP API ({name, janus: URL}): Janus's VideoRoom
// has no WHIP or WHEP, so the pages join a room of their own through its API (the publisher
// offers; Janus offers to the subscriber, which answers), as media/loadgen does.
//
// Environment: GLASS_TARGETS, a JSON array of {name, whip, whipToken, whep, whepToken}
// (absolute URLs) or {name, janus}; GLASS_SECONDS (measured seconds per target, default 10); GLASS_WARMUP
// (seconds before measuring, default 3). Prints one JSON line per target on stdout.

import { launch } from './harness.mjs';

const TARGETS = JSON.parse(process.env.GLASS_TARGETS || '[]');
const SECONDS = Number(process.env.GLASS_SECONDS || 10);
const WARMUP = Number(process.env.GLASS_WARMUP || 3);

if (!TARGETS.length) {
  console.error('GLASS_TARGETS must name at least one target');
  process.exit(2);
}

// The pattern: 8 × 8 blocks of 80 × 45 pixels on a 640 × 360 canvas. Blocks 0–47 are the
// wall clock in milliseconds (48 bits, most significant first); blocks 48–63 repeat its low
// 16 bits inverted, so a frame caught mid-change or smeared by the encoder is rejected rather
// than misread.
const shared = `
const W = 640, H = 360, COLS = 8, ROWS = 8, BW = W / COLS, BH = H / ROWS;
function bitsOf(ms) {
  const bits = [];
  for (let i = 47; i >= 0; i--) bits.push(Math.floor(ms / 2 ** i) % 2);
  for (let i = 15; i >= 0; i--) bits.push(1 - (Math.floor(ms / 2 ** i) % 2));
  return bits;
}
function draw(ctx, ms) {
  const bits = bitsOf(ms);
  for (let b = 0; b < 64; b++) {
    ctx.fillStyle = bits[b] ? '#fff' : '#000';
    ctx.fillRect((b % COLS) * BW, Math.floor(b / COLS) * BH, BW, BH);
  }
}
function read(ctx) {
  const img = ctx.getImageData(0, 0, W, H).data;
  const bits = [];
  for (let b = 0; b < 64; b++) {
    const x = Math.floor((b % COLS) * BW + BW / 2), y = Math.floor(Math.floor(b / COLS) * BH + BH / 2);
    const i = (y * W + x) * 4;
    bits.push((img[i] + img[i + 1] + img[i + 2]) / 3 > 128 ? 1 : 0);
  }
  let ms = 0;
  for (let i = 0; i < 48; i++) ms = ms * 2 + bits[i];
  for (let i = 0; i < 16; i++) if (bits[48 + i] !== 1 - (Math.floor(ms / 2 ** (15 - i)) % 2)) return null;
  return ms;
}
async function gathered(pc) {
  await new Promise((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    pc.addEventListener('icegatheringstatechange', () => { if (pc.iceGatheringState === 'complete') resolve(); });
  });
}
async function negotiate(pc, url, token) {
  const offer = await pc.createOffer();
  await pc.setLocalDescription(offer);
  await gathered(pc);
  const headers = { 'Content-Type': 'application/sdp' };
  if (token) headers.Authorization = 'Bearer ' + token;
  const res = await fetch(url, { method: 'POST', headers, body: pc.localDescription.sdp });
  const body = await res.text();
  if (res.status !== 201) throw new Error(url + ': ' + res.status + ' ' + body);
  await pc.setRemoteDescription({ type: 'answer', sdp: body });
  return new URL(res.headers.get('Location'), url).href;
}
// janus opens a Janus session with a VideoRoom handle; request sends one message and waits for
// the plugin's answer, polling the session's events when Janus only acknowledges.
async function janus(base) {
  let n = 0;
  const post = async (url, msg) => {
    msg.transaction = 't' + (++n);
    const res = await (await fetch(url, { method: 'POST', body: JSON.stringify(msg) })).json();
    if (res.janus === 'error') throw new Error('janus: ' + JSON.stringify(res.error));
    return res;
  };
  const session = base + '/' + (await post(base, { janus: 'create' })).data.id;
  const handle = session + '/' + (await post(session, { janus: 'attach', plugin: 'janus.plugin.videoroom' })).data.id;
  const request = async (body, jsep) => {
    const res = await post(handle, jsep ? { janus: 'message', body, jsep } : { janus: 'message', body });
    if (res.janus !== 'ack') return res;
    for (;;) {
      let evs = await (await fetch(session + '?maxev=1')).json();
      if (!Array.isArray(evs)) evs = [evs];
      const ev = evs.find((e) => e.janus === 'event' && e.transaction === res.transaction);
      if (ev) return ev;
    }
  };
  return { session, request };
}
const GLASS_ROOM = 4242;
async function janusPublish(pc, base) {
  const j = await janus(base);
  await j.request({ request: 'destroy', room: GLASS_ROOM });
  await j.request({ request: 'create', room: GLASS_ROOM, publishers: 1, videocodec: 'vp8' });
  const offer = await pc.createOffer();
  await pc.setLocalDescription(offer);
  await gathered(pc);
  const ev = await j.request({ request: 'joinandconfigure', ptype: 'publisher', room: GLASS_ROOM, id: 1 },
    { type: 'offer', sdp: pc.localDescription.sdp });
  if (!ev.jsep) throw new Error('janus join: ' + JSON.stringify(ev.plugindata));
  await pc.setRemoteDescription(ev.jsep);
  return { janus: j.session };
}
async function janusPlay(pc, base) {
  const j = await janus(base);
  // Janus lists the feed once its side of the publisher's DTLS is done: retry "no such feed".
  let ev;
  for (let i = 0; i < 50; i++) {
    ev = await j.request({ request: 'join', ptype: 'subscriber', room: GLASS_ROOM, streams: [{ feed: 1 }] });
    if (ev.plugindata?.data?.error_code !== 428) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!ev.jsep) throw new Error('janus subscribe: ' + JSON.stringify(ev.plugindata));
  await pc.setRemoteDescription(ev.jsep);
  await pc.setLocalDescription(await pc.createAnswer());
  await gathered(pc);
  await j.request({ request: 'start', room: GLASS_ROOM }, { type: 'answer', sdp: pc.localDescription.sdp });
  return { janus: j.session };
}
`;

async function publish(page, t) {
  await page.setContent(`<canvas id="c" width="640" height="360"></canvas><script>${shared}</script>`);
  return page.evaluate(async ({ url, token, janusBase }) => {
    const canvas = document.getElementById('c');
    const ctx = canvas.getContext('2d');
    const tick = () => { draw(ctx, Date.now()); requestAnimationFrame(tick); };
    tick();
    const pc = new RTCPeerConnection();
    window.pc = pc;
    for (const track of canvas.captureStream(30).getVideoTracks()) {
      pc.addTransceiver(track, { direction: 'sendonly' });
    }
    window.session = janusBase ? await janusPublish(pc, janusBase) : await negotiate(pc, url, token);
  }, { url: t.whip, token: t.whipToken, janusBase: t.janus });
}

async function play(page, t) {
  await page.setContent(`<video id="v" autoplay muted playsinline width="640" height="360"></video>
    <canvas id="c" width="640" height="360"></canvas><script>${shared}</script>`);
  return page.evaluate(async ({ url, token, janusBase }) => {
    const video = document.getElementById('v');
    const ctx = document.getElementById('c').getContext('2d', { willReadFrequently: true });
    window.samples = [];
    window.bad = 0;
    window.measuring = false;
    const pc = new RTCPeerConnection();
    window.pc = pc;
    pc.ontrack = (e) => { video.srcObject = e.streams[0] || new MediaStream([e.track]); };
    const onFrame = () => {
      ctx.drawImage(video, 0, 0, 640, 360);
      const now = Date.now();
      const ms = read(ctx);
      if (window.measuring) {
        if (ms === null || now - ms < 0 || now - ms > 10000) window.bad++;
        else window.samples.push(now - ms);
      }
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
    if (janusBase) {
      window.session = await janusPlay(pc, janusBase);
    } else {
      pc.addTransceiver('video', { direction: 'recvonly' });
      window.session = await negotiate(pc, url, token);
    }
  }, { url: t.whep, token: t.whepToken, janusBase: t.janus });
}

function pct(sorted, p) {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1];
}

async function hangUp(page, token) {
  await page.evaluate(async (token) => {
    const s = window.session;
    if (s?.janus) {
      await fetch(s.janus, { method: 'POST', body: JSON.stringify({ janus: 'destroy', transaction: 'bye' }) }).catch(() => {});
    } else if (s) {
      await fetch(s, { method: 'DELETE', headers: token ? { Authorization: 'Bearer ' + token } : {} }).catch(() => {});
    }
    window.pc?.close();
  }, token).catch(() => {});
}

// No fake media: the publisher draws its own frames. --disable-web-security: the pages are
// about:blank and post to servers on other origins.
const browser = await launch(['--disable-web-security',
  '--disable-background-timer-throttling', '--disable-renderer-backgrounding', '--disable-backgrounding-occluded-windows']);
let failed = false;
try {
  for (const t of TARGETS) {
    const result = { kind: 'glass', target: t.name, seconds: SECONDS };
    const ctx = await browser.newContext();
    const pub = await ctx.newPage();
    const view = await ctx.newPage();
    try {
      await publish(pub, t);
      await new Promise((r) => setTimeout(r, 1000));
      await play(view, t);
      await new Promise((r) => setTimeout(r, WARMUP * 1000));
      await view.evaluate(() => { window.measuring = true; });
      await new Promise((r) => setTimeout(r, SECONDS * 1000));
      const { samples, bad } = await view.evaluate(() => { window.measuring = false; return { samples: window.samples, bad: window.bad }; });
      samples.sort((a, b) => a - b);
      Object.assign(result, {
        frames: samples.length, unreadable: bad,
        p50_ms: pct(samples, 50), p95_ms: pct(samples, 95), min_ms: samples[0] ?? 0, max_ms: samples.at(-1) ?? 0,
      });
      if (!samples.length) throw new Error('no frame was read back');
    } catch (err) {
      failed = true;
      result.error = String(err.message || err).split('\n')[0];
    } finally {
      await hangUp(view, t.whepToken);
      await hangUp(pub, t.whipToken);
      await ctx.close();
    }
    console.log(JSON.stringify(result));
  }
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
