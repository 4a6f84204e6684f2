// console.bench.mjs measures how the operator console holds up under load, in Debian's
// Chromium, for e2e/consolebench_test.go (`make bench-console`; it is a benchmark, not one of
// the browser tests). The Go side has opened the incidents and drives the AVL load; this side
// signs in as an operator at 1600 × 900 and, once the page has settled:
//
//   1. records every frame interval (requestAnimationFrame, in the page) for BENCH_IDLE_S with
//      no AVL load, then prints {"kind":"phase","phase":"idle-measured"} and waits for the line
//      `load-on` on stdin: the Go side has started the AVL load;
//   2. after BENCH_WARMUP_S of load, records frame intervals again for BENCH_LOAD_S;
//   3. clicks BENCH_CLICKS different incidents' rows on the board, scrolled into view, and times
//      each click (the click event's own timestamp, so the time the input waited for a busy main
//      thread counts) to the panel showing that incident: `#incident-detail` with
//      data-incident-id the row's, visible, with text and not aria-busy (a MutationObserver sees
//      it), and to the end of the first frame that draws it (a message posted from the next
//      animation frame runs after that frame's style, layout and paint).
//
// Besides frames it records, per window, the page's long tasks (PerformanceObserver
// 'longtask'), the main thread's busy time by kind (Chrome's Performance.getMetrics), the
// requests the page made by endpoint with their bytes (Resource Timing) and the live events it
// received by kind. Last, still under load and after everything above is measured, it takes a
// CPU profile of the page for BENCH_PROFILE_S and sums it up by the pages' own functions (their
// source lines read back through the bundle's source maps), to say where the time goes. It
// prints its logs as `[  t s] …` lines and its results as one JSON line,
// {"kind":"console-bench", …}, on stdout.
//
// The two selectors are a fixed contract with the console: `[data-testid="incident-row"]
// [data-incident-id=ID]` for a board row and `#incident-detail[data-incident-id=ID]` for the
// panel showing that incident (counted as shown once visible, with text, and not
// aria-busy="true"). Every open incident's row is expected in the DOM: a board that renders
// only the rows in view would need this script to scroll its list to find them.
//
// Environment: FIRELINE_URL, FIRELINE_PASSWORD, FIRELINE_ARTIFACTS (a screenshot of the loaded
// console goes there); BENCH_USER (default operator), BENCH_INCIDENTS (how many rows the board
// must show before measuring; default: any), BENCH_UNITS (how many units the units board must
// show, when the console has one: `[data-testid="unit-status"]`),
// BENCH_IDLE_S (10), BENCH_WARMUP_S (5), BENCH_LOAD_S (30), BENCH_CLICKS (40), BENCH_PROFILE_S (10;
// 0: no profile). Without a Go
// side, BENCH_NO_WAIT=1 skips waiting for `load-on`.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { SourceMap } from 'node:module';
import { createInterface } from 'node:readline';
import {
  ARTIFACTS, BASE, fail, Failure, launch, log, PASSWORD, pageErrors, pages, shot, signIn, step, watch,
} from './harness.mjs';

const USER = process.env.BENCH_USER || 'operator';
const INCIDENTS = Number(process.env.BENCH_INCIDENTS || 0);
const UNITS = Number(process.env.BENCH_UNITS || 0);
const IDLE_S = Number(process.env.BENCH_IDLE_S || 10);
const WARMUP_S = Number(process.env.BENCH_WARMUP_S || 5);
const LOAD_S = Number(process.env.BENCH_LOAD_S || 30);
const CLICKS = Number(process.env.BENCH_CLICKS || 40);
const PROFILE_S = Number(process.env.BENCH_PROFILE_S ?? 10);
const OVERALL_MS = 10 * 60_000; // a busy machine slows the clicks most: 40 of them took 3 min at load average 12
const VIEWPORT = { width: 1600, height: 900 };
const ROW = '[data-testid="incident-row"]';

if (!BASE || !PASSWORD) {
  console.error('FIRELINE_URL and FIRELINE_PASSWORD must be set');
  process.exit(2);
}

// inPage is installed before the console's own scripts: the resource timing buffer made big
// enough for minutes of polling, long tasks recorded from the start, live events counted by
// kind (a subclass of EventSource that listens beside the console), and the measuring helpers.
function inPage() {
  performance.setResourceTimingBufferSize(100_000);
  const bench = { longtasks: [], sse: {}, pending: null };
  window.__bench = bench;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) bench.longtasks.push({ start: e.startTime, duration: e.duration });
  }).observe({ type: 'longtask', buffered: true });

  const Native = window.EventSource;
  window.EventSource = class extends Native {
    constructor(...args) {
      super(...args);
      for (const kind of ['incident', 'unit', 'timeline', 'move_up', 'escalation', 'agency_task', 'media', 'warning']) {
        this.addEventListener(kind, () => { bench.sse[kind] = (bench.sse[kind] || 0) + 1; });
      }
    }
  };

  /** frames records every animation frame's interval for ms and answers them. */
  bench.frames = (ms) => new Promise((resolve) => {
    const out = [];
    let last = null;
    let end = null;
    const tick = (t) => {
      if (last !== null) out.push(t - last);
      last = t;
      end ??= t + ms;
      if (t < end) requestAnimationFrame(tick);
      else resolve(out);
    };
    requestAnimationFrame(tick);
  });

  /** snapshot is what the window's figures are differences of. */
  bench.snapshot = () => ({
    t: performance.now(),
    sse: { ...bench.sse },
    nodes: document.getElementsByTagName('*').length,
  });

  /**
   * window sums up [from.t, now]: long tasks, requests by endpoint and live events by kind.
   * Endpoints are paths with their numbers as {id}, without the query.
   */
  bench.window = (from) => {
    const to = performance.now();
    const lt = bench.longtasks.filter((e) => e.start >= from.t && e.start < to);
    const requests = {};
    for (const e of performance.getEntriesByType('resource')) {
      if (e.startTime < from.t || e.startTime >= to) continue;
      const path = new URL(e.name).pathname.replace(/\/\d+(?=\/|$)/g, '/{id}');
      const r = requests[path] ??= { count: 0, bytes: 0, ms: [] };
      r.count++;
      r.bytes += e.encodedBodySize || 0;
      r.ms.push(e.duration);
    }
    for (const r of Object.values(requests)) {
      r.ms.sort((a, b) => a - b);
      r.p50_ms = r.ms[Math.floor(r.ms.length / 2)];
      r.max_ms = r.ms.at(-1);
      delete r.ms;
    }
    const sse = {};
    for (const [k, v] of Object.entries(bench.sse)) sse[k] = v - (from.sse[k] || 0);
    return {
      seconds: (to - from.t) / 1000,
      longtasks: { count: lt.length, total_ms: lt.reduce((s, e) => s + e.duration, 0), max_ms: Math.max(0, ...lt.map((e) => e.duration)) },
      requests, sse, dom_nodes: document.getElementsByTagName('*').length,
    };
  };

  /**
   * expect arms the measure of one click: the click on the row of incident id (its event's
   * timestamp) to the panel showing that incident, and to the end of the frame that draws it.
   * awaitOpen answers {open_ms, frame_ms} or throws after 15 s.
   */
  bench.expect = (id) => {
    const want = String(id);
    let t0 = null;
    let opened = null;
    bench.pending = new Promise((resolve, reject) => {
      const showing = () => {
        const d = document.getElementById('incident-detail');
        return d && d.dataset.incidentId === want && d.getAttribute('aria-busy') !== 'true'
          && d.checkVisibility() && d.textContent.trim() !== '';
      };
      const check = () => {
        if (t0 === null || opened !== null || !showing()) return;
        opened = performance.now();
        mo.disconnect();
        document.removeEventListener('click', onClick, true);
        clearTimeout(timer);
        requestAnimationFrame(() => {
          const ch = new MessageChannel();
          ch.port1.onmessage = () => resolve({ id: want, open_ms: opened - t0, frame_ms: performance.now() - t0 });
          ch.port2.postMessage(0);
        });
      };
      const onClick = (e) => {
        if (t0 === null && e.target.closest?.('[data-testid="incident-row"]')?.dataset.incidentId === want) {
          t0 = e.timeStamp;
          check();
        }
      };
      const mo = new MutationObserver(check);
      mo.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
      document.addEventListener('click', onClick, true);
      const timer = setTimeout(() => {
        mo.disconnect();
        document.removeEventListener('click', onClick, true);
        const d = document.getElementById('incident-detail');
        reject(new Error(`incident ${want}: ${t0 === null ? 'no click reached its row' : 'the panel did not show it'} within 15 s `
          + `(panel: data-incident-id=${d?.dataset.incidentId}, visible=${d?.checkVisibility()})`));
      }, 15_000);
    });
  };
  bench.awaitOpen = () => bench.pending;
}

/** stats sums up a list of milliseconds. */
function stats(ms) {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p) => (s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : null);
  const round = (v) => (v === null ? null : Math.round(v * 10) / 10);
  return {
    n: s.length, p50_ms: round(q(0.5)), p95_ms: round(q(0.95)), p99_ms: round(q(0.99)), max_ms: round(s.at(-1) ?? null),
    mean_ms: round(s.length ? s.reduce((a, b) => a + b, 0) / s.length : null),
  };
}

/** mainThread reads Chrome's counters of the renderer's main thread (seconds, cumulative). */
async function mainThread(cdp) {
  const { metrics } = await cdp.send('Performance.getMetrics');
  const m = Object.fromEntries(metrics.map((x) => [x.name, x.value]));
  return { task: m.TaskDuration, script: m.ScriptDuration, layout: m.LayoutDuration, style: m.RecalcStyleDuration, heap: m.JSHeapUsedSize };
}

/** busy is the share of the window's wall time the main thread spent, by kind. */
function busy(a, b, seconds) {
  const share = (k) => Math.round((1000 * (b[k] - a[k])) / seconds) / 10; // percent
  return { task_pct: share('task'), script_pct: share('script'), layout_pct: share('layout'), style_pct: share('style'), heap_mb: Math.round(b.heap / 1e5) / 10 };
}

/** measureFrames records frames for seconds and answers their figures with the window's. */
async function measureFrames(page, cdp, seconds) {
  const from = await page.evaluate(() => window.__bench.snapshot());
  const m0 = await mainThread(cdp);
  const frames = await page.evaluate((ms) => window.__bench.frames(ms), seconds * 1000);
  const m1 = await mainThread(cdp);
  const win = await page.evaluate((f) => window.__bench.window(f), from);
  const over50 = frames.filter((f) => f > 50).length;
  return { frames: { ...stats(frames), over_50ms_share: frames.length ? Math.round((10000 * over50) / frames.length) / 10000 : null, over_50ms: over50 },
    ...win, main_thread: busy(m0, m1, win.seconds) };
}

/**
 * profile takes a CPU profile of the page for seconds and sums it up: the share of the window
 * in the garbage collector, in the renderer's own work outside script ("(program)": style,
 * layout, paint, parsing) and idle, and the pages' functions by total and self time, each named
 * by its source file, line and the text of that line (read back through the source maps).
 */
async function profile(cdp, seconds) {
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 1000 });
  await cdp.send('Profiler.start');
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const { profile: p } = await cdp.send('Profiler.stop');
  await cdp.send('Profiler.disable');

  const nodes = new Map(p.nodes.map((n) => [n.id, { ...n, self: 0 }]));
  p.samples.forEach((id, i) => { nodes.get(id).self += (p.timeDeltas[i] || 0) / 1000; });
  const parent = new Map();
  for (const n of nodes.values()) for (const c of n.children || []) parent.set(c, n.id);
  const maps = new Map();
  const where = async (cf) => {
    if (!cf.url || !cf.url.startsWith(BASE)) return null;
    if (!maps.has(cf.url)) {
      maps.set(cf.url, fetch(`${cf.url}.map`).then((r) => (r.ok ? r.json() : null)).then((j) => (j ? { sm: new SourceMap(j), j } : null)).catch(() => null));
    }
    const m = await maps.get(cf.url);
    const e = m?.sm.findEntry(cf.lineNumber, cf.columnNumber);
    if (!e || e.originalSource === undefined) return null;
    const idx = m.j.sources.findIndex((src) => e.originalSource.endsWith(src.replace(/^(\.\.\/)+/, '')));
    const text = idx >= 0 ? (m.j.sourcesContent?.[idx] || '').split('\n')[e.originalLine]?.trim() : '';
    return `${e.originalSource.replace(/^.*\/src\//, 'web/src/')}:${e.originalLine + 1} ${(text || '').slice(0, 70)}`;
  };
  const keyOf = new Map();
  for (const n of nodes.values()) {
    const cf = n.callFrame;
    // Chrome's own entries ("(program)", "(garbage collector)", "(idle)") and built-ins (no URL)
    // keep their names; other scripts are not the page's.
    let key = await where(cf);
    if (!key && !cf.url && cf.functionName) key = cf.functionName.startsWith('(') ? cf.functionName : `built-in ${cf.functionName}`;
    keyOf.set(n.id, key);
  }
  const total = p.timeDeltas.reduce((a, b) => a + b, 0) / 1000;
  const fns = new Map(); // key → {self, total}
  const special = {};
  for (const n of nodes.values()) {
    const k = keyOf.get(n.id);
    if (k && k.startsWith('(')) special[k] = (special[k] || 0) + n.self;
    if (!n.self) continue;
    // The sample's time counts once for each distinct page function on its stack.
    const seen = new Set();
    for (let id = n.id, first = true; id !== undefined; id = parent.get(id), first = false) {
      const key = keyOf.get(id);
      if (!key || key.startsWith('(') || seen.has(key)) continue;
      seen.add(key);
      const f = fns.get(key) ?? { self_ms: 0, total_ms: 0 };
      f.total_ms += n.self;
      if (first) f.self_ms += n.self;
      fns.set(key, f);
    }
  }
  const pct = (ms) => Math.round((1000 * ms) / total) / 10;
  const top = [...fns].sort((a, b) => b[1].total_ms - a[1].total_ms).slice(0, 15)
    .map(([fn, f]) => ({ fn, total_pct: pct(f.total_ms), self_pct: pct(f.self_ms) }));
  return {
    seconds: Math.round(total / 100) / 10,
    idle_pct: pct(special['(idle)'] || 0), program_pct: pct(special['(program)'] || 0), gc_pct: pct(special['(garbage collector)'] || 0),
    top,
  };
}

/** loadOn resolves when the Go side writes `load-on` on stdin. */
function loadOn() {
  if (process.env.BENCH_NO_WAIT === '1') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: process.stdin });
    rl.on('line', (line) => {
      if (line.trim() === 'load-on') {
        resolve(); // before close, whose handler would reject
        rl.close();
      }
    });
    rl.on('close', () => reject(new Failure('stdin closed before `load-on`: run by e2e/consolebench_test.go, or set BENCH_NO_WAIT=1')));
  });
}

async function run(browser) {
  const ctx = await browser.newContext({ viewport: VIEWPORT, deviceScaleFactor: 1 });
  await ctx.addInitScript(inPage);
  const page = await ctx.newPage();
  watch(page, 'operator', { failedRequests: true });
  const cdp = await ctx.newCDPSession(page);
  await cdp.send('Performance.enable');

  await step(`open the console and sign in as ${USER}`, async () => {
    await page.goto(`${BASE}/`);
    await signIn(page, USER, '#console-view');
  });
  // Only the row selector is the contract; the live pill and the units board are waited for
  // when the console has them, as today's does.
  await step(`the board shows ${INCIDENTS || 'its'} incidents (every row in the DOM)`, async () => {
    await page.waitForFunction((n) => {
      const rows = document.querySelectorAll('[data-testid="incident-row"]').length;
      return rows > 0 && rows >= n;
    }, INCIDENTS, { timeout: 60_000, polling: 250 });
  });
  if (await page.$('#sse-state')) {
    await step('the live events are connected', () => page.waitForSelector('#sse-state[data-state="live"]', { timeout: 15_000 }));
  }
  if (UNITS && await page.$('[data-testid="unit-status"]')) {
    await step(`the units board shows ${UNITS} units`, () => page.waitForFunction(
      (u) => document.querySelectorAll('[data-testid="unit-status"]').length >= u, UNITS, { timeout: 30_000, polling: 250 }));
  }
  // Settled: no request started for 2 s (the first loads, coverage and move-ups are done), then
  // 3 s more for the page's own timers.
  await step('the page settles', async () => {
    await page.waitForFunction(() => {
      const last = Math.max(0, ...performance.getEntriesByType('resource').map((e) => e.startTime));
      return performance.now() - last > 2000;
    }, null, { timeout: 60_000, polling: 250 });
    await page.waitForTimeout(3000);
  });
  const board = await page.evaluate(() => ({
    rows: document.querySelectorAll('[data-testid="incident-row"]').length,
    units: document.querySelectorAll('[data-testid="unit-status"]').length,
  }));
  const renderer = await page.evaluate(() => {
    const gl = document.createElement('canvas').getContext('webgl2') || document.createElement('canvas').getContext('webgl');
    if (!gl) return 'no WebGL';
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    return info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER);
  });
  log(`board: ${board.rows} incident rows, ${board.units} units; WebGL renderer: ${renderer}`);

  const idle = await step(`frames for ${IDLE_S} s with no AVL load`, () => measureFrames(page, cdp, IDLE_S));
  log(`idle: p50 ${idle.frames.p50_ms} ms, p95 ${idle.frames.p95_ms} ms over ${idle.frames.n} frames; ${idle.longtasks.count} long tasks`);
  console.log(JSON.stringify({ kind: 'phase', phase: 'idle-measured' }));
  await step('the AVL load is on (the Go side says so)', () => loadOn());
  await page.waitForTimeout(WARMUP_S * 1000);

  const loaded = await step(`frames for ${LOAD_S} s under the AVL load`, () => measureFrames(page, cdp, LOAD_S));
  log(`load: p50 ${loaded.frames.p50_ms} ms, p95 ${loaded.frames.p95_ms} ms over ${loaded.frames.n} frames; ${loaded.longtasks.count} long tasks`);
  await shot(page, 'console-bench-load.png');

  // N rows spread over the board, visited in a scattered order so that each click scrolls.
  const ids = await page.$$eval(ROW, (rows) => rows.map((r) => r.dataset.incidentId));
  if (ids.length < CLICKS) fail(`the board has ${ids.length} incident rows in the DOM, fewer than the ${CLICKS} to click`);
  const picked = Array.from({ length: CLICKS }, (_, i) => ids[Math.floor((i * ids.length) / CLICKS)]);
  const order = picked.map((_, i) => picked[(i * 17) % CLICKS]);
  if (new Set(order).size !== CLICKS) fail('the click order repeats an incident');
  const from = await page.evaluate(() => window.__bench.snapshot());
  const m0 = await mainThread(cdp);
  const samples = [];
  for (const id of order) {
    const sel = `${ROW}[data-incident-id="${id}"]`;
    // Scrolled in the page, in one task: the board may be redrawn between two protocol calls
    // (a live notice), and the click below finds the row again if it was.
    await page.evaluate((x) => document.querySelector(x)?.scrollIntoView({ block: 'nearest' }), sel);
    await page.evaluate((x) => window.__bench.expect(x), id);
    await page.locator(sel).click();
    const s = await page.evaluate(() => window.__bench.awaitOpen()).catch((err) => fail(err.message.split('\n')[0]));
    samples.push(s);
    await page.waitForTimeout(750); // an operator reads before the next click; the panel's own loads run
  }
  const m1 = await mainThread(cdp);
  const win = await page.evaluate((f) => window.__bench.window(f), from);
  const clicks = {
    open: stats(samples.map((s) => s.open_ms)), frame: stats(samples.map((s) => s.frame_ms)),
    samples: samples.map((s) => [Number(s.id), Math.round(s.open_ms * 10) / 10, Math.round(s.frame_ms * 10) / 10]),
    ...win, main_thread: busy(m0, m1, win.seconds),
  };
  log(`clicks: open p50 ${clicks.open.p50_ms} ms, p95 ${clicks.open.p95_ms} ms; to the frame p50 ${clicks.frame.p50_ms} ms, p95 ${clicks.frame.p95_ms} ms`);
  await shot(page, 'console-bench-clicked.png');
  if (pageErrors.length) fail(`uncaught errors in the page:\n  ${pageErrors.join('\n  ')}`);

  let prof = null;
  if (PROFILE_S > 0) {
    prof = await step(`a CPU profile of the page for ${PROFILE_S} s under the AVL load`, () => profile(cdp, PROFILE_S));
    log(`profile: idle ${prof.idle_pct}%, (program) ${prof.program_pct}%, GC ${prof.gc_pct}%; most time in: ${prof.top.slice(0, 3).map((f) => `${f.fn} (${f.total_pct}%)`).join('; ')}`);
  }

  const ratio = (a, b) => (a && b ? Math.round((100 * a) / b) / 100 : null);
  console.log(JSON.stringify({
    kind: 'console-bench',
    chromium: browser.version(), renderer, cores: await page.evaluate(() => navigator.hardwareConcurrency),
    viewport: VIEWPORT, user: USER, board,
    settings: { idle_s: IDLE_S, warmup_s: WARMUP_S, load_s: LOAD_S, clicks: CLICKS },
    idle, load: loaded, clicks, profile: prof,
    ratios: { frame_p95_load_idle: ratio(loaded.frames.p95_ms, idle.frames.p95_ms), frame_p50_load_idle: ratio(loaded.frames.p50_ms, idle.frames.p50_ms) },
  }));
}

let browser;
const timer = setTimeout(() => {
  console.error(`FAIL: the console benchmark took longer than ${OVERALL_MS / 1000} s`);
  process.exit(1);
}, OVERALL_MS);
let code = 0;
try {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await launch();
  log(`chromium ${browser.version()}; artefacts in ${ARTIFACTS}`);
  await run(browser);
} catch (err) {
  code = 1;
  console.error(`FAIL: ${err instanceof Failure ? err.message : err.stack || err}`);
  await pages.operator?.screenshot({ path: join(ARTIFACTS, 'console-bench-failure.png') }).catch(() => {});
} finally {
  await browser?.close().catch(() => {});
  clearTimeout(timer);
}
process.exit(code);
