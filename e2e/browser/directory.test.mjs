// directory.test.mjs signs a duty officer into the console through the centre's directory
// (an OpenID Connect provider the Go test runs) against a running stack (e2e/directory_test.go):
// the sign-in form offers the directory, one click goes there and back, and the console opens
// signed in by the session cookie, holding no token of its own. A change the page sends without
// the CSRF token — what a forged form from another site would send — is refused with 403; the
// console's sign-out sends the token, and afterwards the cookie signs nobody in.
//
// Environment: FIRELINE_URL, FIRELINE_DIRECTORY_USER, FIRELINE_ARTIFACTS. Exit 0 on success, 1
// with a message on any failure.

import { BASE, fail, failOnPageErrors, log, runBrowserTest, shot, step, watch } from './harness.mjs';

const USER = process.env.FIRELINE_DIRECTORY_USER;
if (!BASE || !USER) {
  console.error('FIRELINE_URL and FIRELINE_DIRECTORY_USER must be set');
  process.exit(2);
}

await runBrowserTest(async (browser) => {
  const context = await browser.newContext({ locale: 'zh-CN' });
  const page = await context.newPage();
  watch(page, 'console', { failedRequests: true });

  await step('the sign-in form offers the directory', async () => {
    await page.goto(`${BASE}/`);
    await page.locator('#login-directory').waitFor({ state: 'visible', timeout: 20_000 });
  });
  const label = (await page.locator('#login-directory').textContent()).trim();
  if (!/统一身份认证/.test(label)) fail(`the directory link reads ${JSON.stringify(label)}, not in Chinese`);
  await shot(page, 'directory-offered-zh-CN.png');

  await step('sign in through the directory and come back signed in', async () => {
    await page.locator('#login-directory').click();
    await page.locator('#console-view').waitFor({ state: 'visible', timeout: 30_000 });
  });
  const who = (await page.locator('#whoami').textContent()).trim();
  if (!who.includes(USER)) fail(`the console says ${JSON.stringify(who)}, not ${USER}`);
  log(`signed in: ${who}`);

  const stored = await page.evaluate(() => Object.values(sessionStorage).map((v) => { try { return JSON.parse(v); } catch { return null; } }).filter(Boolean));
  if (!stored.some((s) => s.cookie === true && !s.token)) fail(`the page keeps ${JSON.stringify(stored)}, not a cookie session without a token`);

  const forged = await page.evaluate(() => fetch('/api/v1/auth/logout-all', { method: 'POST' }).then(async (r) => ({ status: r.status, body: await r.text() })));
  if (forged.status !== 403 || !forged.body.includes('csrf')) fail(`a change without the CSRF token got ${forged.status} ${forged.body}`);
  const still = await page.evaluate(() => fetch('/api/v1/auth/me').then((r) => r.status));
  if (still !== 200) fail(`after the refused change the session answers ${still}, want 200: it was changed`);

  await step('sign out', async () => {
    await page.locator('#sign-out').click();
    await page.locator('#login-view').waitFor({ state: 'visible', timeout: 10_000 });
  });
  const after = await page.evaluate(() => fetch('/api/v1/auth/me').then((r) => r.status));
  if (after !== 401) fail(`after signing out the cookie answers ${after}, want 401`);
  failOnPageErrors();
  await context.close();
}, { test: 'directory.test.mjs', overallMs: 100_000, failurePrefix: 'directory-' });
