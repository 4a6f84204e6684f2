// publicalert.test.mjs: an operator publishes a public alert from the console's incident panel
// with the form's defaults for a hazmat incident, sees it listed, updates its headline, and
// cancels it; the API then lists the three messages, the last a Cancel.
//
// Environment: FIRELINE_URL, FIRELINE_PASSWORD, FIRELINE_ARTIFACTS, FIRELINE_INCIDENT (an id).

import { api, BASE, fail, failOnPageErrors, login, PASSWORD, runBrowserTest, shot, signIn, step, watch } from './harness.mjs';

const INCIDENT = process.env.FIRELINE_INCIDENT;

if (!BASE || !PASSWORD || !INCIDENT) {
  console.error('FIRELINE_URL, FIRELINE_PASSWORD and FIRELINE_INCIDENT must be set');
  process.exit(2);
}

runBrowserTest(async (browser) => {
  const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 }, locale: 'zh-CN' });
  const page = await ctx.newPage();
  watch(page, 'console-alerts');
  page.on('dialog', (d) => d.accept());
  await step(`open incident ${INCIDENT} as operator`, async () => {
    await page.goto(`${BASE}/#incident-${INCIDENT}`);
    await signIn(page, 'operator', '#console-view');
    await page.waitForSelector(`#incident-detail[data-incident-id="${INCIDENT}"]`, { timeout: 20_000 });
  });
  await step('publish a public alert with the defaults', async () => {
    await page.click('[data-testid="alert-open"]');
    const radius = await page.inputValue('[data-testid="alert-radius"]');
    if (radius !== '1500') fail(`a hazmat incident's alert starts at ${radius} m, want 1500`);
    const severity = await page.inputValue('[data-testid="alert-severity"]');
    if (severity !== 'Extreme') fail(`a hazmat incident's alert starts ${severity}, want Extreme`);
    await page.locator('#alerts-section').scrollIntoViewIfNeeded();
    await shot(page, 'publicalert-form.png');
    await page.click('[data-testid="alert-submit"]');
    await page.waitForSelector('[data-testid="public-alert"][data-msg-type="Alert"]', { timeout: 15_000 });
  });
  await step('update its headline', async () => {
    await page.click('[data-testid="alert-update"]');
    await page.fill('[data-testid="alert-headline"]', '氨气泄漏扩大，请继续向东撤离');
    await page.click('[data-testid="alert-submit"]');
    await page.waitForSelector('[data-testid="public-alert"][data-msg-type="Update"]', { timeout: 15_000 });
    await page.locator('#alerts-section').scrollIntoViewIfNeeded();
    await shot(page, 'publicalert-list.png');
  });
  await step('cancel it', async () => {
    await page.click('[data-testid="alert-cancel"]');
    await page.waitForSelector('[data-testid="public-alert"][data-msg-type="Cancel"]', { timeout: 15_000 });
    if (await page.$('[data-testid="alert-cancel"]')) fail('a cancelled alert still offers Cancel');
  });
  await step('the API lists Alert, Update and Cancel', async () => {
    const { token } = await login('operator');
    const res = await api('GET', `/api/v1/incidents/${INCIDENT}/alerts`, { token });
    const alerts = res.json.alerts || [];
    const kinds = alerts.map((a) => a.msg_type).join(',');
    if (kinds !== 'Cancel,Update,Alert') fail(`the incident's alerts are ${kinds}, want Cancel,Update,Alert`);
    if (alerts[1].params.headline !== '氨气泄漏扩大，请继续向东撤离') fail(`updated headline ${alerts[1].params.headline}`);
  });
  await ctx.close();
  failOnPageErrors();
}, { test: 'publicalert.test.mjs', overallMs: 150_000, failurePrefix: 'publicalert-' });
