// buildings.test.mjs checks the console's Buildings tab (建筑消防) and the incident view's building
// block against a stack where a transmission device registered at a key premises has reported:
// signed in as an operator, first in Chinese (zh-CN) and then in English, it
//   1. opens the Buildings tab (data-testid tab-buildings), with "impaired only" on, and finds the
//      premises FIRELINE_PREMISE in the list, marked impaired, its impairment in words;
//   2. opens the premises' board and checks that it shows a component whose conditions include
//      shielded, a component or system whose conditions include fault, and a device offline —
//      and, when set, that the shielded component's row holds FIRELINE_SHIELDED_TEXT (its place
//      or description) and that the offline device is FIRELINE_OFFLINE_DEVICE; the conditions
//      are named in the page's language (屏蔽/故障 or shielded/fault), never as raw words;
//   3. when FIRELINE_INCIDENT is set, opens that incident (whose alarms name the premises) and
//      checks its "建筑消防设施 / Building fire protection" block: the premises, marked impaired,
//      with a shielded component, and its button that opens the Buildings tab on the premises.
// The operator's board must therefore hold, at the time the script runs: a shielded component,
// a fault, and a registered device not heard within the offline limit.
//
// Environment: FIRELINE_URL, FIRELINE_PASSWORD, FIRELINE_ARTIFACTS (as every script here), and
//   FIRELINE_PREMISE         the key premises' id (required)
//   FIRELINE_INCIDENT        an incident id whose alarms name the premises (optional: step 3)
//   FIRELINE_SHIELDED_TEXT   text the shielded component's row shows (optional)
//   FIRELINE_OFFLINE_DEVICE  the id of the device expected offline (optional)

import { BASE, fail, failOnPageErrors, PASSWORD, runBrowserTest, shot, signIn, step, watch } from './harness.mjs';

const PREMISE = process.env.FIRELINE_PREMISE;
const INCIDENT = process.env.FIRELINE_INCIDENT || '';
const SHIELDED_TEXT = process.env.FIRELINE_SHIELDED_TEXT || '';
const OFFLINE_DEVICE = process.env.FIRELINE_OFFLINE_DEVICE || '';

if (!BASE || !PASSWORD || !PREMISE) {
  console.error('FIRELINE_URL, FIRELINE_PASSWORD and FIRELINE_PREMISE must be set');
  process.exit(2);
}

// The words each language uses for what the checks look for.
const WORDS = {
  'zh-CN': { tab: '建筑消防', shielded: '屏蔽', fault: '故障', offline: '离线', impaired: '异常', block: '建筑消防设施' },
  en: { tab: 'Buildings', shielded: 'shielded', fault: 'fault', offline: 'Offline', impaired: 'Impaired', block: 'Building fire protection' },
};

/** waitFor waits for fn(arg) in the page to return a truthy value and returns it, or fails saying what. */
async function waitFor(page, what, fn, arg, timeout = 20_000) {
  try {
    const h = await page.waitForFunction(fn, arg, { timeout });
    const v = await h.jsonValue();
    await h.dispose();
    return v;
  } catch {
    return fail(`${what} (after ${timeout / 1000} s)`);
  }
}

runBrowserTest(async (browser) => {
  for (const lang of ['zh-CN', 'en']) {
    const w = WORDS[lang];
    const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 }, locale: lang });
    const page = await ctx.newPage();
    watch(page, `buildings-${lang}`);
    await step(`${lang}: sign in to the console as operator`, async () => {
      await page.goto(`${BASE}/`);
      await page.evaluate((l) => localStorage.setItem('fireline.locale', l), lang);
      await page.reload();
      await signIn(page, 'operator', '#console-view');
    });

    await step(`${lang}: the Buildings tab is offered as "${w.tab}" and lists ${PREMISE} as impaired`, async () => {
      const tab = page.locator('[data-testid="tab-buildings"]');
      await tab.waitFor({ state: 'visible', timeout: 10_000 });
      const label = (await tab.textContent()).trim();
      if (label !== w.tab) fail(`${lang}: the Buildings tab says "${label}", want "${w.tab}"`);
      await tab.click();
      if (!(await page.isChecked('[data-testid="buildings-impaired-only"]'))) fail(`${lang}: "impaired only" is not on by default`);
      const row = await waitFor(page, `${lang}: ${PREMISE} is not in the impaired list`, (id) => {
        const b = document.querySelector(`[data-testid="building"][data-id="${CSS.escape(id)}"]`);
        return b && { impaired: b.dataset.impaired, words: b.querySelector('[data-testid="building-impairment"]')?.textContent || '' };
      }, PREMISE);
      if (row.impaired !== 'true') fail(`${lang}: ${PREMISE} is listed but not marked impaired`);
      for (const word of [w.shielded, w.fault, w.offline.toLowerCase()]) {
        if (!row.words.toLowerCase().includes(word.toLowerCase())) fail(`${lang}: ${PREMISE}'s line says "${row.words}", want it to say ${word}`);
      }
    });

    await step(`${lang}: the board shows a shielded component, a fault and an offline device`, async () => {
      await page.click(`[data-testid="building"][data-id="${PREMISE}"]`);
      const board = await waitFor(page, `${lang}: ${PREMISE}'s board did not load`, (id) => {
        const box = document.querySelector(`[data-testid="building-board"][data-id="${CSS.escape(id)}"]:not([hidden])`);
        if (!box || !box.querySelector('[data-testid="board-devices"]')) return false;
        const rows = (sel) => [...box.querySelectorAll(sel)].map((r) => ({ conditions: r.dataset.conditions || '', text: r.textContent }));
        return {
          components: rows('[data-testid="board-component"]'),
          systems: rows('[data-testid="board-system"]'),
          devices: [...box.querySelectorAll('[data-testid="board-device"]')].map((r) => ({ id: r.dataset.id, online: r.dataset.online, text: r.textContent })),
        };
      }, PREMISE);
      const shielded = board.components.filter((c) => c.conditions.split(' ').includes('shielded'));
      if (!shielded.length) fail(`${lang}: no shielded component on the board: ${JSON.stringify(board.components)}`);
      if (!shielded.some((c) => c.text.includes(w.shielded))) fail(`${lang}: the shielded component's row does not say "${w.shielded}": ${shielded[0].text}`);
      if (SHIELDED_TEXT && !shielded.some((c) => c.text.includes(SHIELDED_TEXT))) {
        fail(`${lang}: no shielded component's row says "${SHIELDED_TEXT}": ${JSON.stringify(shielded)}`);
      }
      const faulty = [...board.components, ...board.systems].filter((c) => c.conditions.split(' ').some((x) => x === 'fault' || x.endsWith('_fault')));
      if (!faulty.length) fail(`${lang}: no component or system in fault on the board`);
      if (!faulty.some((c) => c.text.includes(w.fault))) fail(`${lang}: the fault's row does not say "${w.fault}": ${faulty[0].text}`);
      const offline = board.devices.filter((d) => d.online === 'false');
      if (!offline.length) fail(`${lang}: no device is shown offline: ${JSON.stringify(board.devices)}`);
      if (!offline.some((d) => d.text.includes(w.offline))) fail(`${lang}: the offline device's row does not say "${w.offline}"`);
      if (OFFLINE_DEVICE && !offline.some((d) => d.id === OFFLINE_DEVICE)) fail(`${lang}: ${OFFLINE_DEVICE} is not among the offline devices ${offline.map((d) => d.id)}`);
      await shot(page, `buildings-board-${lang}.png`);
    });

    if (INCIDENT) {
      await step(`${lang}: incident ${INCIDENT} shows the building's fire protection, impaired`, async () => {
        await page.click('[data-testid="tab-incident"]');
        await page.evaluate((id) => { location.hash = `#incident-${id}`; }, INCIDENT);
        await page.reload();
        const block = await waitFor(page, `${lang}: incident ${INCIDENT} shows no building block for ${PREMISE}`, (id) => {
          const b = document.querySelector(`[data-testid="incident-buildings"]:not([hidden]) [data-testid="incident-building"][data-id="${CSS.escape(id)}"]`);
          return b && {
            impaired: b.dataset.impaired, text: b.textContent,
            title: document.querySelector('#building-h')?.textContent || '',
            shielded: [...b.querySelectorAll('[data-testid="incident-building-component"]')].some((c) => c.dataset.conditions.split(' ').includes('shielded')),
          };
        }, PREMISE);
        if (block.title.trim() !== w.block) fail(`${lang}: the block is titled "${block.title}", want "${w.block}"`);
        if (block.impaired !== 'true' || !block.text.includes(w.impaired)) fail(`${lang}: the block does not say the building is impaired: ${block.text}`);
        if (!block.shielded) fail(`${lang}: the block lists no shielded component: ${block.text}`);
        await shot(page, `buildings-incident-${lang}.png`);
      });
      await step(`${lang}: the block's link opens the Buildings tab on ${PREMISE}`, async () => {
        await page.click(`[data-testid="incident-building"][data-id="${PREMISE}"] [data-testid="incident-building-open"]`);
        await waitFor(page, `${lang}: the link did not open ${PREMISE}'s board`, (id) => {
          const tab = document.querySelector('[data-testid="tab-buildings"]');
          return tab?.getAttribute('aria-selected') === 'true'
            && document.querySelector(`[data-testid="building-board"][data-id="${CSS.escape(id)}"]:not([hidden]) [data-testid="board-devices"]`);
        }, PREMISE);
      });
    }
    await ctx.close();
  }
  failOnPageErrors();
}, { test: 'buildings.test.mjs', overallMs: 180_000, failurePrefix: 'buildings-' });
