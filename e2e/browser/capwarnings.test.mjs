// capwarnings.test.mjs checks that a CAP warning whose area is given by geocodes alone is listed
// in the supervisor's view of the console with its area's description and codes, and a note that
// the map cannot draw it: in Chinese, then in English.
//
// Environment: FIRELINE_URL, FIRELINE_PASSWORD, FIRELINE_ARTIFACTS, FIRELINE_AREA_DESC (the
// area's description) and FIRELINE_GEOCODE (one of its codes as name=value).

import { BASE, fail, failOnPageErrors, PASSWORD, runBrowserTest, shot, signIn, step, watch } from './harness.mjs';

const DESC = process.env.FIRELINE_AREA_DESC;
const CODE = process.env.FIRELINE_GEOCODE;

if (!BASE || !PASSWORD || !DESC || !CODE) {
  console.error('FIRELINE_URL, FIRELINE_PASSWORD, FIRELINE_AREA_DESC and FIRELINE_GEOCODE must be set');
  process.exit(2);
}

const NOTE = { 'zh-CN': '仅以地理编码给出', en: 'given by geocodes only' };

runBrowserTest(async (browser) => {
  for (const lang of ['zh-CN', 'en']) {
    const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 }, locale: lang });
    const page = await ctx.newPage();
    watch(page, `console-${lang}`);
    await step(`${lang}: sign in to the console as supervisor and open the supervisor view`, async () => {
      await page.goto(`${BASE}/`);
      await signIn(page, 'supervisor', '#console-view');
      await page.click('#tab-supervisor');
    });
    await step(`${lang}: the warning is listed with its area "${DESC}", its code ${CODE} and the note`, async () => {
      const found = await page.waitForFunction(({ desc, code, note }) => {
        const item = document.querySelector('[data-testid="warning"] [data-testid="warning-areas"]');
        const text = item?.textContent || '';
        return text.includes(desc) && text.includes(code) && text.includes(note) ? text : false;
      }, { desc: DESC, code: CODE, note: NOTE[lang] }, { timeout: 20_000 }).catch(async () => {
        fail(`${lang}: the warnings list reads "${await page.textContent('#warnings')}", want the area "${DESC}", ${CODE} and "${NOTE[lang]}"`);
      });
      if (found) await found.dispose();
      await (await page.$('#warnings')).scrollIntoViewIfNeeded();
      await shot(page, `capwarnings-${lang}.png`);
    });
    await ctx.close();
  }
  failOnPageErrors();
}, { test: 'capwarnings.test.mjs', overallMs: 120_000, failurePrefix: 'capwarnings-' });
