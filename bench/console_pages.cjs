// Page load times of the administrators' console in headless chromium (playwright-core), each
// beside a baseline measured in the same run: the login page (static files only). Run by
// bench/console.sh with TB_BASE, TB_USER, TB_PASSWORD, TB_SEARCH_APP, TB_SUBJECT; RUNS (default 5).
'use strict';
const { chromium } = require('playwright-core');

const base = process.env.TB_BASE;
const runs = Number(process.env.RUNS || 5);

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function timed(fn) {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

async function main() {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  ctx.setDefaultTimeout(120000);
  const page = await ctx.newPage();
  const fig = { login_page: [], login_to_dashboard: [], dashboard_reload: [], audit_first_page: [],
    audit_by_app: [], audit_by_subject: [], audit_next_page: [] };
  for (let i = 0; i < runs; ++i) {
    await ctx.clearCookies();
    fig.login_page.push(await timed(async () => {
      await page.goto(base + '/console/login.html');
      await page.waitForSelector('#login-submit');
    }));
    await page.fill('#username', process.env.TB_USER);
    await page.fill('#password', process.env.TB_PASSWORD);
    fig.login_to_dashboard.push(await timed(async () => {
      await Promise.all([page.waitForURL(/index\.html/), page.click('#login-submit')]);
      await page.waitForSelector('body[data-loaded="true"]');
      await page.waitForSelector('#chart-rate canvas');
    }));
    fig.dashboard_reload.push(await timed(async () => {
      await page.reload();
      await page.waitForSelector('body[data-loaded="true"]');
      await page.waitForSelector('#chart-rate canvas');
    }));
    fig.audit_first_page.push(await timed(async () => {
      await page.goto(base + '/console/audit.html');
      await page.waitForSelector('body[data-loaded="true"]');
    }));
    const search = async () => {
      await page.click('#search');
      await page.waitForFunction(() => !document.getElementById('search').disabled &&
        document.querySelectorAll('#entries tbody tr').length > 0);
    };
    await page.fill('#app_id', process.env.TB_SEARCH_APP);
    fig.audit_by_app.push(await timed(search));
    fig.audit_next_page.push(await timed(async () => {
      const before = await page.textContent('#page');
      await page.click('#next');
      await page.waitForFunction((b) => document.getElementById('page').textContent !== b, before);
    }));
    await page.fill('#app_id', '');
    await page.fill('#subject', process.env.TB_SUBJECT);
    fig.audit_by_subject.push(await timed(search));
    await page.fill('#subject', '');
  }
  const verify = await timed(async () => {
    await page.click('#verify');
    await page.waitForSelector('#verify-result.notice, #verify-result.error');
  });
  await browser.close();
  const baseline = median(fig.login_page);
  console.log(`console pages, median of ${runs} runs (ms), ratio to the login page (baseline):`);
  for (const [k, v] of Object.entries(fig)) {
    console.log(`  ${k.padEnd(22)} ${median(v).toFixed(0).padStart(7)} ms   x${(median(v) / baseline).toFixed(1)}`);
  }
  console.log(`  ${'verify_chain (once)'.padEnd(22)} ${verify.toFixed(0).padStart(7)} ms   x${(verify / baseline).toFixed(1)}`);
}

main().catch((e) => { console.error(e); process.exit(1); });
