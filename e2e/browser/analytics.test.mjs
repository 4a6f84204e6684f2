// analytics.test.mjs checks the review workspace's analytics view against the real stack, after
// the Go test drove one live incident to its review: a risk officer opens the analytics, asks
// for the incident's day and live incidents only, and sees the API's figures — the four
// intervals with n, p50 and p90, a histogram of each drawn as SVG with its target line, the
// compliance in words — in Chinese and in English, with no text of the other language and no
// style attribute anywhere; downloads the CSV report; and the print stylesheet prints the
// report alone. An operator, who may not read the analytics, is not offered them.
//
// Environment: FIRELINE_URL, FIRELINE_PASSWORD, FIRELINE_ARTIFACTS and FIRELINE_DAY (the
// incident's day, YYYY-MM-DD, in the centre's zone).

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { api, ARTIFACTS, BASE, fail, failOnPageErrors, log, login, PASSWORD, runBrowserTest, shot, signIn, step, watch } from './harness.mjs';

const DAY = process.env.FIRELINE_DAY;
if (!BASE || !PASSWORD || !DAY) {
  console.error('FIRELINE_URL, FIRELINE_PASSWORD and FIRELINE_DAY must be set');
  process.exit(2);
}

const INTERVALS = ['call_processing_s', 'turnout_s', 'travel_s', 'alarm_to_first_on_scene_s'];

/** foreign lists the analytics view's visible text not in the page's language (data excepted). */
function foreign(page, lang) {
  return page.evaluate((lang) => {
    const allowed = new Set(['NFPA', 'CSV']);
    const out = [];
    const root = document.querySelector('#analytics-view');
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const e = n.parentElement;
      const text = n.textContent.trim();
      if (!text || !e.checkVisibility?.() || e.closest('[translate="no"], select, script, style')) continue;
      const bad = lang === 'en' ? /[\u3400-\u9fff]/.test(text) : (text.match(/[A-Za-z]{3,}/g) || []).some((w) => !allowed.has(w));
      if (bad) out.push(`${e.tagName.toLowerCase()}: ${text.slice(0, 80)}`);
    }
    return out;
  }, lang);
}

runBrowserTest(async (browser) => {
  const risk = await login('risk');
  const want = await api('GET', `/api/v1/analytics/intervals?origin=live&from=${DAY}&to=${DAY}`, { token: risk.token });
  if (want.status !== 200 || want.json.incidents !== 1) fail(`the API's analytics of ${DAY}: ${want.status} ${JSON.stringify(want.json)}`);

  const ctx = await browser.newContext({ viewport: { width: 1400, height: 1000 }, locale: 'zh-CN', acceptDownloads: true });
  const page = await ctx.newPage();
  watch(page, 'analytics', { failedRequests: true });
  await step('the risk officer opens the analytics of the review workspace', async () => {
    await page.goto(`${BASE}/review#analytics`);
    await signIn(page, 'risk', '#analytics-view');
    await page.waitForSelector('[data-testid="tab-analytics"][aria-pressed="true"]', { timeout: 10_000 });
  });
  await step(`asks for ${DAY}, live incidents only`, async () => {
    await page.fill('[data-testid="analytics-from"]', DAY);
    await page.fill('[data-testid="analytics-to"]', DAY);
    await page.selectOption('[data-testid="analytics-origin"]', 'live');
    await page.click('[data-testid="analytics-submit"]');
    await page.waitForSelector('[data-testid="analytics-intervals"] tbody tr[data-interval="call_processing_s"]', { timeout: 10_000 });
  });
  await step("the intervals are the API's, each with a histogram and its target line", async () => {
    const rows = await page.$$eval('[data-testid="analytics-intervals"] tbody tr', (trs) => trs.map((tr) => ({
      interval: tr.dataset.interval, n: Number(tr.dataset.n), p50: tr.dataset.p50 === '' ? null : Number(tr.dataset.p50), p90: tr.dataset.p90 === '' ? null : Number(tr.dataset.p90),
    })));
    for (const k of INTERVALS) {
      const row = rows.find((r) => r.interval === k);
      const s = want.json[k];
      if (!row || row.n !== s.n || row.p50 !== s.p50 || row.p90 !== s.p90) fail(`${k}: page ${JSON.stringify(row)}, API ${JSON.stringify(s)}`);
    }
    const charts = await page.$$eval('[data-testid="histogram"]', (svgs) => svgs.map((svg) => ({
      bars: svg.querySelectorAll('rect.hist-bar').length, count: [...svg.querySelectorAll('rect.hist-bar')].reduce((n, r) => n + Number(r.dataset.count), 0),
      targets: svg.querySelectorAll('line.hist-target').length, label: svg.getAttribute('aria-label'),
    })));
    if (charts.length !== 4) fail(`${charts.length} histograms, want 4`);
    INTERVALS.forEach((k, i) => {
      if (charts[i].count !== want.json[k].n || charts[i].targets < 1) fail(`histogram of ${k}: ${JSON.stringify(charts[i])}, want ${want.json[k].n} intervals and a target line`);
    });
    const styled = await page.$$eval('#analytics-view [style], #analytics-view svg [style]', (n) => n.length);
    if (styled) fail(`${styled} elements of the analytics carry a style attribute, which the pages' CSP forbids`);
  });
  await step('the compliance is said in words', async () => {
    const results = await page.$$eval('[data-testid="analytics-compliance"] tbody tr', (trs) => trs.map((tr) => ({
      measure: tr.dataset.measure, result: tr.dataset.result, words: tr.querySelector('[data-testid="compliance-result"]').textContent.trim(),
    })));
    if (results.length !== want.json.compliance.length) fail(`${results.length} compliance rows, want ${want.json.compliance.length}`);
    const cp = results.find((r) => r.measure === 'call_processing');
    if (!cp || cp.result !== 'met' || !cp.words.includes('达标')) fail(`call processing compliance ${JSON.stringify(cp)}, want 达标 (met)`);
    const ems = results.find((r) => r.measure === 'turnout_ems');
    if (!ems || ems.result !== 'none' || !ems.words.includes('无数据')) fail(`EMS turnout of a fire ${JSON.stringify(ems)}, want 无数据 (no data)`);
    const bad = await foreign(page, 'zh-CN');
    if (bad.length) fail(`English on the Chinese analytics:\n  ${bad.join('\n  ')}`);
    await shot(page, 'analytics-zh-CN.png');
  });
  await step('in English', async () => {
    await page.selectOption('[data-testid="language"]', 'en');
    await page.waitForFunction(() => document.querySelector('[data-testid="compliance-result"]')?.textContent.includes('Met'), null, { timeout: 5000 });
    const bad = await foreign(page, 'en');
    if (bad.length) fail(`Chinese on the English analytics:\n  ${bad.join('\n  ')}`);
    await shot(page, 'analytics-en.png');
  });
  await step('the CSV report downloads as the server writes it', async () => {
    const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 10_000 }), page.click('[data-testid="analytics-csv"]')]);
    const path = join(ARTIFACTS, dl.suggestedFilename());
    await dl.saveAs(path);
    const text = (await readFile(path, 'utf8')).replace(/^\uFEFF/, '');
    if (dl.suggestedFilename() !== `fireline-intervals-${DAY}-to-${DAY}.csv` || !text.includes('count,incidents,1,') || !text.includes('compliance,call_processing,1,')) {
      fail(`CSV ${dl.suggestedFilename()}:\n${text}`);
    }
    log(`CSV report ${path}`);
  });
  await step('printed, the page is the report alone', async () => {
    await page.emulateMedia({ media: 'print' });
    const shown = await page.evaluate(() => ({
      query: document.querySelector('.analytics-query').checkVisibility(),
      report: document.querySelector('#analytics-report').checkVisibility(),
      charts: [...document.querySelectorAll('[data-testid="histogram"]')].every((s) => s.checkVisibility()),
      head: document.querySelector('[data-testid="analytics-print-head"]').checkVisibility(),
      topbar: document.querySelector('.topbar').checkVisibility(),
    }));
    if (shown.query || !shown.report || !shown.charts || !shown.head || shown.topbar) fail(`printed: ${JSON.stringify(shown)}, want the report, its charts and its head alone`);
    await page.pdf?.({ path: join(ARTIFACTS, 'analytics-report.pdf'), format: 'A4' }).catch(() => {});
    await page.emulateMedia({ media: 'screen' });
  });
  await ctx.close();

  const octx = await browser.newContext({ viewport: { width: 1200, height: 800 }, locale: 'en' });
  const op = await octx.newPage();
  watch(op, 'operator');
  await step('an operator is not offered the analytics', async () => {
    await op.goto(`${BASE}/review#analytics`);
    await signIn(op, 'operator', '#review-view');
    if (await op.isVisible('[data-testid="tab-analytics"]') || await op.isVisible('#analytics-view')) fail('the operator sees the analytics');
  });
  await octx.close();
  failOnPageErrors();
}, { test: 'analytics.test.mjs', overallMs: 120_000, failurePrefix: 'analytics-' });
