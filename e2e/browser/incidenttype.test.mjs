// incidenttype.test.mjs checks that the console names an incident of a type an administrator
// added by the type's stored names: signed in as an operator, in Chinese and then in English,
// the incident's title shows the name in that language, though no catalogue knows the type.
//
// Environment: FIRELINE_URL, FIRELINE_PASSWORD, FIRELINE_ARTIFACTS, FIRELINE_INCIDENT (an id)
// and FIRELINE_TYPE_NAMES (JSON {"zh-CN": …, "en": …}).

import { BASE, fail, failOnPageErrors, PASSWORD, runBrowserTest, signIn, step, watch } from './harness.mjs';

const INCIDENT = process.env.FIRELINE_INCIDENT;
const NAMES = JSON.parse(process.env.FIRELINE_TYPE_NAMES || '{}');

if (!BASE || !PASSWORD || !INCIDENT || !NAMES.en) {
  console.error('FIRELINE_URL, FIRELINE_PASSWORD, FIRELINE_INCIDENT and FIRELINE_TYPE_NAMES must be set');
  process.exit(2);
}

runBrowserTest(async (browser) => {
  for (const lang of ['zh-CN', 'en']) {
    const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 }, locale: lang });
    const page = await ctx.newPage();
    watch(page, `console-${lang}`);
    await step(`${lang}: open incident ${INCIDENT} in the console as operator`, async () => {
      await page.goto(`${BASE}/#incident-${INCIDENT}`);
      await signIn(page, 'operator', '#console-view');
    });
    await step(`${lang}: its title names the type "${NAMES[lang]}"`, async () => {
      const title = await page.waitForFunction((want) => {
        const text = document.querySelector('#incident-title')?.textContent || '';
        return text.includes(want) ? text : false;
      }, NAMES[lang], { timeout: 20_000 }).catch(async () => {
        fail(`${lang}: the incident's title is "${await page.textContent('#incident-title')}", want it to name "${NAMES[lang]}"`);
      });
      if (title) await title.dispose();
    });
    await ctx.close();
  }
  failOnPageErrors();
}, { test: 'incidenttype.test.mjs', overallMs: 120_000, failurePrefix: 'incidenttype-' });
