// harness.mjs is what the browser scripts here share, so that a fix to how a step times out, how
// a page is watched or what a failure leaves behind reaches every one of them: the failure type,
// a timestamped log, the HTTP API, the watched pages and their uncaught errors, how Chromium is
// launched, and runBrowserTest, which runs a test and reports it the same way for all.
//
// Importing it only starts the log's clock and reads the environment: FIRELINE_URL,
// FIRELINE_PASSWORD, FIRELINE_ARTIFACTS (where screenshots go) and FIRELINE_CHROMIUM (default
// /usr/bin/chromium). Each script checks the variables it needs itself; glass.bench.mjs, which
// needs none of them and keeps stdout for its results, takes only launch.

import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const BASE = (process.env.FIRELINE_URL || '').replace(/\/$/, '');
export const PASSWORD = process.env.FIRELINE_PASSWORD || '';
export const ARTIFACTS = process.env.FIRELINE_ARTIFACTS || join(tmpdir(), 'fireline-browser');
export const CHROMIUM = process.env.FIRELINE_CHROMIUM || '/usr/bin/chromium';

const started = Date.now();

/** log prints msg on stdout with the seconds since the script started. */
export const log = (msg) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${msg}`);

/** Failure is a failed check: its message is the whole report, no stack. */
export class Failure extends Error {}

/** fail throws a Failure with msg. */
export const fail = (msg) => { throw new Failure(msg); };

/** api calls the HTTP API directly, as an alarm source would. */
export async function api(method, path, { token, body } = {}) {
  const res = await fetch(BASE + path, {
    method,
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = text; }
  return { status: res.status, json };
}

/** login signs in to the API and returns its answer: the bearer token and the user. */
export async function login(username) {
  const res = await api('POST', '/api/v1/auth/login', { body: { username, password: PASSWORD } });
  if (res.status !== 200 || !res.json.token) fail(`API login as ${username}: ${res.status} ${JSON.stringify(res.json)}`);
  return res.json;
}

/** setStatus sets a unit's status as a dispatcher would from the console. */
export async function setStatus(token, unitId, status) {
  const res = await api('POST', `/api/v1/units/${encodeURIComponent(unitId)}/status`, { token, body: { status } });
  if (res.status >= 300) fail(`set ${unitId} ${status}: ${res.status} ${JSON.stringify(res.json)}`);
}

/** signIn fills the login form and fails with the page's own message if it refuses. */
export async function signIn(page, username, view) {
  await page.fill('#login-username', username);
  await page.fill('#login-password', PASSWORD);
  await page.click('#login-submit');
  const outcome = await page.waitForFunction((v) => {
    if (document.querySelector(`${v}:not([hidden])`)) return 'ok';
    return document.querySelector('#login-error')?.textContent.trim() || false;
  }, view, { timeout: 10_000 });
  const result = await outcome.jsonValue();
  if (result !== 'ok') fail(`sign-in as ${username} refused: ${result}`);
}

/**
 * refused signs in as username and expects the page to refuse with a message containing want,
 * its view still hidden; it empties the form for the next sign-in.
 */
export async function refused(page, username, view, want) {
  await page.fill('#login-username', username);
  await page.fill('#login-password', PASSWORD);
  await page.click('#login-submit');
  const outcome = await page.waitForFunction((v) => {
    if (document.querySelector(`${v}:not([hidden])`)) return 'signed in';
    return document.querySelector('#login-error')?.textContent.trim() || false;
  }, view, { timeout: 10_000 });
  const result = await outcome.jsonValue();
  if (!result.includes(want)) fail(`sign-in as ${username} on ${page.url()}: got "${result}", want a refusal saying "${want}"`);
  await page.fill('#login-username', '');
  await page.fill('#login-password', '');
}

/** step runs fn and turns a Playwright timeout into a failure that says what was awaited. */
export async function step(what, fn) {
  log(`… ${what}`);
  try {
    return await fn();
  } catch (err) {
    if (err instanceof Failure) throw err;
    fail(`${what}: ${err.message.split('\n')[0]}`);
  }
}

/**
 * pages holds the watched pages by name, for the screenshots of a failure: a script deletes a
 * page's entry when it closes its context.
 */
export const pages = {};

/** pageErrors collects the watched pages' uncaught errors, as "name: message". */
export const pageErrors = [];

/**
 * watch registers page under name and logs its uncaught errors and console errors. With
 * failedRequests it also logs the requests that fail, but for the event stream's, which every
 * page drops when its context closes.
 */
export function watch(page, name, { failedRequests = false } = {}) {
  pages[name] = page;
  page.on('pageerror', (err) => { pageErrors.push(`${name}: ${err.message}`); log(`${name} page error: ${err.message}`); });
  page.on('console', (m) => { if (m.type() === 'error') log(`${name} console error: ${m.text()}`); });
  if (failedRequests) {
    page.on('requestfailed', (r) => {
      if (!r.url().includes('/api/v1/events')) log(`${name} request failed: ${r.method()} ${r.url()} (${r.failure()?.errorText})`);
    });
  }
}

/** failOnPageErrors fails if a watched page threw an uncaught error. */
export function failOnPageErrors() {
  if (pageErrors.length) fail(`uncaught errors in the pages:\n  ${pageErrors.join('\n  ')}`);
}

let modulesScript = null;

/**
 * pageModules returns a script that puts the pages' own modules on window.fl — common
 * (Session, Client…) and webrtc (negotiate, connected…) — for tests that drive WHIP and WHEP as
 * the console does: the bundles are minified and split, so these are built from web/src with the
 * web's own esbuild. Add it to a page of the stack's origin with page.addScriptTag({content}), in
 * a context made with bypassCSP: true (the pages' policy allows no inline script).
 */
export async function pageModules() {
  if (modulesScript) return modulesScript;
  const web = fileURLToPath(new URL('../../web/', import.meta.url));
  const esbuild = createRequire(import.meta.url)(join(web, 'node_modules', 'esbuild'));
  const out = await esbuild.build({
    stdin: {
      contents: "import * as common from './src/lib/common.js'; import * as webrtc from './src/lib/webrtc.js'; window.fl = { ...window.fl, common, webrtc };",
      resolveDir: web, loader: 'js',
    },
    bundle: true, format: 'iife', target: 'es2022', write: false, loader: { '.json': 'json' }, logLevel: 'warning',
  });
  modulesScript = out.outputFiles[0].text;
  return modulesScript;
}

/** shot saves a screenshot of page's viewport in ARTIFACTS and logs where. */
export async function shot(page, file) {
  const path = join(ARTIFACTS, file);
  await page.screenshot({ path, fullPage: false });
  log(`screenshot ${path}`);
}

// WebGL (MapLibre draws the map with it) runs on SwiftShader, Chromium's CPU renderer: there is
// no GPU here, and newer Chromium offers SwiftShader's WebGL only when asked.
const ARGS = ['--no-sandbox', '--disable-gpu', '--enable-unsafe-swiftshader', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** FAKE_MEDIA are the flags that give pages a fake camera and microphone, granted without asking. */
export const FAKE_MEDIA = ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'];

/** launch starts Debian's Chromium, headless and quiet, with args added to ours. */
export function launch(args = []) {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...ARGS, ...args] });
}

/**
 * runBrowserTest runs run(browser) in a Chromium with fake media and exits: 0 after logging
 * PASS, 1 after printing `FAIL: ` and why, or 1 if the whole takes longer than overallMs. On a
 * failure it saves a screenshot of every watched page in ARTIFACTS as `${failurePrefix}${name}.png`
 * and prints the messages a console page shows. test names the test in the timeout's message;
 * about, if any, follows Chromium's version in the first log line.
 */
export async function runBrowserTest(run, { test, overallMs, failurePrefix, about = '' }) {
  let browser;
  const timer = setTimeout(() => {
    console.error(`FAIL: ${test} took longer than ${overallMs / 1000} s`);
    process.exit(1);
  }, overallMs);
  let code = 0;
  try {
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await launch(FAKE_MEDIA);
    log(`chromium ${browser.version()}${about ? `; ${about}` : ''}`);
    await run(browser);
    log('PASS');
  } catch (err) {
    code = 1;
    console.error(`FAIL: ${err instanceof Failure ? err.message : err.stack || err}`);
    for (const [name, page] of Object.entries(pages)) {
      await page.screenshot({ path: join(ARTIFACTS, `${failurePrefix}${name}.png`) }).catch(() => {});
      const msgs = await page.$$eval('#messages .msg-text', (m) => m.map((x) => x.textContent)).catch(() => []);
      if (msgs.length) console.error(`${name} page messages:\n  ${msgs.join('\n  ')}`);
    }
  } finally {
    await browser?.close().catch(() => {});
    clearTimeout(timer);
  }
  process.exit(code);
}
