// diskfull.test.mjs: the review shows a recording that a full recordings disk cut short, in
// Chinese and in English: the risk officer opens the incident's review from the review page, the
// recording is listed with its tag saying it was cut short for want of disk space, and the tag's
// hint says what that means for the video. Run by e2e/diskfull_test.go once the drill has cut a
// recording; screenshots of both go to FIRELINE_ARTIFACTS.
//
// Environment: FIRELINE_URL, FIRELINE_PASSWORD, FIRELINE_INCIDENT, FIRELINE_RECORDING (the cut
// recording's name), FIRELINE_ARTIFACTS. Exit status 0 on success, 1 with a message on any
// failure.

import { BASE, fail, failOnPageErrors, log, pages, PASSWORD, runBrowserTest, shot, signIn, step, watch } from './harness.mjs';

const INCIDENT = Number(process.env.FIRELINE_INCIDENT);
const NAME = process.env.FIRELINE_RECORDING || '';

if (!BASE || !PASSWORD || !INCIDENT || !NAME) {
  console.error('FIRELINE_URL, FIRELINE_PASSWORD, FIRELINE_INCIDENT and FIRELINE_RECORDING must be set');
  process.exit(2);
}

/** cutTagIn opens the review in locale and checks the cut recording's tag and hint. */
async function cutTagIn(browser, locale, want) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale });
  const page = await ctx.newPage();
  const name = `review-${locale}`;
  watch(page, name);
  const rec = `[data-testid="recording"][data-name="${NAME}"]`;
  await step(`${locale}: the review lists the recording cut short`, async () => {
    await page.goto(`${BASE}/review#incident-${INCIDENT}`);
    await signIn(page, 'risk', '#review-view');
    await page.waitForSelector(`${rec}[data-state="cut"][data-complete="false"]`, { timeout: 15_000 });
  });
  const tag = page.locator(`${rec} .tag`);
  const [text, title, visible] = [(await tag.textContent()).trim(), await tag.getAttribute('title'), await tag.isVisible()];
  log(`${locale}: tag "${text}", hint "${title}"`);
  if (!visible || text !== want.tag) fail(`${locale}: the cut recording's tag is "${text}" (visible ${visible}), want "${want.tag}"`);
  if (!title?.includes(want.hint)) fail(`${locale}: the tag's hint "${title}" does not say "${want.hint}"`);
  await tag.scrollIntoViewIfNeeded();
  await shot(page, `review-cut-${locale}.png`);
  await ctx.close();
  delete pages[name];
}

runBrowserTest(async (browser) => {
  await cutTagIn(browser, 'zh-CN', { tag: '录制中断：录像磁盘已满', hint: '录像磁盘空间不足' });
  await cutTagIn(browser, 'en-GB', { tag: 'Cut short: recordings disk full', hint: 'ran out of space' });
  failOnPageErrors();
}, { test: 'diskfull.test.mjs', overallMs: 90_000, failurePrefix: 'diskfull-' });
