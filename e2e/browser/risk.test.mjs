// risk.test.mjs checks the fire-risk layer in the console and the ranked list in the review: a
// supervisor turns the layer on in the map's layer list and sees its cells and a legend that
// names every level in words; a CAP warning posted through the intake reaches the console on
// the event stream and adds the cells it raises to the layer without a reload; turning the layer
// off hides the legend. A risk officer's review lists the highest-risk cells with the factors
// behind each, in Chinese and in English.
//
// Environment: FIRELINE_URL, FIRELINE_PASSWORD, FIRELINE_ARTIFACTS.

import { BASE, fail, failOnPageErrors, login, PASSWORD, runBrowserTest, shot, signIn, step, watch } from './harness.mjs';

if (!BASE || !PASSWORD) {
  console.error('FIRELINE_URL and FIRELINE_PASSWORD must be set');
  process.exit(2);
}

// An extreme warning well west of the old city, over cells the grid's run does not score.
function alert(now) {
  const sent = new Date(Math.floor(now / 1000) * 1000);
  const expires = new Date(sent.getTime() + 30 * 60_000);
  const iso = (d) => d.toISOString().replace('.000Z', 'Z');
  return `<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>LCMO-RISK-BROWSER-${sent.getTime()}</identifier>
  <sender>warning@lc-met.example.cn</sender>
  <sent>${iso(sent)}</sent>
  <status>Actual</status>
  <msgType>Alert</msgType>
  <scope>Public</scope>
  <info>
    <category>Fire</category>
    <event>Forest fire danger red warning</event>
    <urgency>Immediate</urgency>
    <severity>Extreme</severity>
    <certainty>Observed</certainty>
    <expires>${iso(expires)}</expires>
    <area>
      <areaDesc>West of the city</areaDesc>
      <polygon>36.40,115.80 36.40,115.90 36.50,115.90 36.50,115.80 36.40,115.80</polygon>
    </area>
  </info>
</alert>`;
}

runBrowserTest(async (browser) => {
  const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 }, locale: 'en' });
  const page = await ctx.newPage();
  watch(page, 'console');
  await step('sign in to the console as supervisor', async () => {
    await page.goto(`${BASE}/`);
    await signIn(page, 'supervisor', '#console-view');
    await page.waitForFunction(() => document.querySelector('#map')?.situationMap, null, { timeout: 15_000 });
    await page.evaluate(() => document.querySelector('#map').situationMap.whenReady());
  });
  await step('the risk layer is off, its legend hidden', async () => {
    if (await page.isVisible('[data-testid="risk-legend"]')) fail('the risk legend shows with the layer off');
  });
  let before = 0;
  await step('turn the risk layer on: cells drawn and a legend in words', async () => {
    await page.click('#map .fl-map-layers summary');
    await page.check('[data-testid="map-layer-risk"]');
    await page.waitForSelector('[data-testid="risk-legend"]', { state: 'visible', timeout: 10_000 });
    const drawn = await page.waitForFunction(() => {
      const n = document.querySelector('#map').situationMap.data.risk?.features?.length || 0;
      return n > 0 ? n : false;
    }, null, { timeout: 20_000 });
    before = await drawn.jsonValue();
    const legend = await page.textContent('[data-testid="risk-legend"]');
    for (const word of ['Fire risk', 'Low', 'Moderate', 'High', 'Very high', 'Extreme', 'as of']) {
      if (!legend.includes(word)) fail(`the legend says "${legend}", want it to name "${word}"`);
    }
    if (await page.locator('[data-testid="risk-legend"] li').count() !== 5) fail('the legend lists other than five levels');
  });
  await step('a CAP warning posted through the intake adds the cells it raises, without a reload', async () => {
    const gw = await login('gateway');
    const res = await fetch(`${BASE}/api/v1/warnings`, {
      method: 'POST', body: alert(Date.now()),
      headers: { 'Content-Type': 'application/cap+xml', Authorization: `Bearer ${gw.token}` },
    });
    const body = await res.json();
    if (res.status !== 202 || !body.cells) fail(`warning: ${res.status} ${JSON.stringify(body)}`);
    await page.waitForFunction((n) => (document.querySelector('#map').situationMap.data.risk?.features?.length || 0) > n,
      before, { timeout: 20_000 }).catch(async () => {
      fail(`the layer still has ${await page.evaluate(() => document.querySelector('#map').situationMap.data.risk.features.length)} cells, want more than ${before} after the warning`);
    });
  });
  await step('a click on a cell explains its score under the legend', async () => {
    const cell = await page.evaluate(() => {
      const sm = document.querySelector('#map').situationMap;
      const f = sm.data.risk.features.find((x) => x.geometry.type === 'Polygon');
      const ring = f.geometry.coordinates[0];
      const lng = ring.slice(0, -1).reduce((a, p) => a + p[0], 0) / (ring.length - 1);
      const lat = ring.slice(0, -1).reduce((a, p) => a + p[1], 0) / (ring.length - 1);
      sm.map.jumpTo({ center: [lng, lat], zoom: 12 });
      return f.properties.cell;
    });
    await page.waitForTimeout(500);
    const box = await page.locator('#map canvas').boundingBox();
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    const chosen = page.locator('[data-testid="risk-chosen"]');
    await chosen.waitFor({ timeout: 10_000 });
    const text = await chosen.textContent();
    if (await chosen.getAttribute('data-cell') !== cell || !text.includes('of 100') || !text.includes('points')) {
      fail(`the explanation under the legend is of ${await chosen.getAttribute('data-cell')}, "${text}"; want cell ${cell}'s score and factors`);
    }
  });
  await shot(page, 'risk-console-en.png');
  await step('turn the risk layer off: the legend goes', async () => {
    await page.uncheck('[data-testid="map-layer-risk"]');
    await page.waitForSelector('[data-testid="risk-legend"]', { state: 'hidden', timeout: 5_000 });
  });
  await ctx.close();

  for (const [lang, title, factor] of [['zh-CN', '风险最高的网格', '生效中的 CAP 预警'], ['en', 'Highest-risk cells', 'CAP warnings in force']]) {
    const rctx = await browser.newContext({ viewport: { width: 1400, height: 900 }, locale: lang });
    const review = await rctx.newPage();
    watch(review, `review-${lang}`);
    await step(`${lang}: the review lists the highest-risk cells for a risk officer`, async () => {
      await review.goto(`${BASE}/review`);
      await signIn(review, 'risk', '#review-view');
      await review.waitForSelector('[data-testid="risk-cell"]', { timeout: 20_000 });
      const heading = await review.textContent('#risk-h');
      if (heading !== title) fail(`${lang}: the list's heading is "${heading}", want "${title}"`);
    });
    await step(`${lang}: the top cell explains its score`, async () => {
      const top = review.locator('[data-testid="risk-cell"]').first();
      await top.locator('summary').click();
      const text = await top.textContent();
      if (!text.includes(factor)) fail(`${lang}: the top cell says "${text}", want its warnings factor ("${factor}")`);
    });
    await step(`${lang}: the list's words are all in ${lang}, data aside`, async () => {
      const foreign = await review.evaluate((lang) => {
        const out = [];
        const section = document.querySelector('#risk-h').closest('section');
        const walker = document.createTreeWalker(section, NodeFilter.SHOW_TEXT);
        for (let n = walker.nextNode(); n; n = walker.nextNode()) {
          const text = n.textContent.trim();
          if (!text || !n.parentElement.checkVisibility() || n.parentElement.closest('[translate="no"]')) continue;
          const bad = lang === 'en' ? /[\u3400-\u9fff]/.test(text) : (text.match(/[A-Za-z]{2,}/g) || []).some((w) => w !== 'CAP');
          if (bad) out.push(text);
        }
        return out;
      }, lang);
      if (foreign.length) fail(`${lang}: text not in the page's language in the risk list: ${foreign.join(' | ')}`);
    });
    await shot(review, `risk-review-${lang}.png`);
    await rctx.close();
  }
  failOnPageErrors();
}, { test: 'risk.test.mjs', overallMs: 180_000, failurePrefix: 'risk-' });
