// Browser scenarios of the administrators' console, driven by playwright-core in Debian's
// chromium (headless). Run by tests/console/console_browser_test.cc, one scenario per process:
//   node console_browser.cjs SCENARIO   with TB_BASE (http://127.0.0.1:PORT), TB_SHOTS (screenshot
//   directory), TB_PASSWORD, TB_CHROMIUM, and the scenario's own TB_* variables.
// Prints one JSON line of results on success; exits 1 with the reason on failure. Every wait is on
// a condition with a bounded deadline (no fixed sleeps).
'use strict';
const { chromium } = require('playwright-core');
const assert = require('assert');
const path = require('path');

const base = process.env.TB_BASE;
const shots = process.env.TB_SHOTS;
const password = process.env.TB_PASSWORD;
const scenario = process.argv[2];
const TIMEOUT = 15000;

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.TB_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  const violations = [];
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN' });
  context.setDefaultTimeout(TIMEOUT);
  const page = await context.newPage();
  page.on('console', (m) => {
    if (/Content.Security.Policy|Refused to/i.test(m.text())) violations.push(m.text());
  });
  page.on('pageerror', (e) => violations.push('page error: ' + e.message));
  const out = {};
  try {
    await scenarios[scenario](page, context, out);
    assert.deepStrictEqual(violations, [], 'CSP violations or script errors');
    console.log(JSON.stringify(out));
  } finally {
    await browser.close();
  }
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(shots, name + '.png'), fullPage: true });
}

async function login(page, user, pass = password) {
  await page.goto(base + '/console/login.html');
  await page.fill('#username', user);
  await page.fill('#password', pass);
  await Promise.all([page.waitForURL(/\/console\/index\.html/), page.click('#login-submit')]);
  await page.waitForSelector('body[data-loaded="true"]');
}

async function cookieValue(context) {
  const c = (await context.cookies()).find((x) => x.name === 'tongban_console');
  return c ? c.value : '';
}

// A fetch from inside the page (same origin, the session's cookie), optionally with the CSRF token.
async function pageFetch(page, method, apiPath, body, withCsrf) {
  return page.evaluate(async ({ method, apiPath, body, withCsrf }) => {
    const headers = { 'Content-Type': 'application/json' };
    if (withCsrf) headers['X-CSRF-Token'] = TB.csrf;
    const r = await fetch('/console/api/' + apiPath, { method, headers, body: JSON.stringify(body) });
    return { status: r.status, body: await r.text() };
  }, { method, apiPath, body, withCsrf });
}

const scenarios = {
  // Keyboard only: Tab through the form, type, Enter. Then the dashboard with its charts.
  async dashboard(page, context, out) {
    const t0 = Date.now();
    await page.goto(base + '/console/login.html');
    out.login_page_ms = Date.now() - t0;
    await shot(page, 'login');
    await page.keyboard.type(process.env.TB_USER);  // the username field has autofocus
    await page.keyboard.press('Tab');
    await page.keyboard.type(password);
    const t1 = Date.now();
    await Promise.all([page.waitForURL(/\/console\/index\.html/), page.keyboard.press('Enter')]);
    await page.waitForSelector('body[data-loaded="true"]');
    await page.waitForSelector('#chart-rate canvas');
    out.login_to_dashboard_ms = Date.now() - t1;
    const t2 = Date.now();
    await page.reload();
    await page.waitForSelector('body[data-loaded="true"]');
    await page.waitForSelector('#chart-rate canvas');
    out.dashboard_reload_ms = Date.now() - t2;
    assert.match(await page.textContent('#who'), /平台管理员/);
    await shot(page, 'dashboard');
    await page.setViewportSize({ width: 390, height: 844 });
    await shot(page, 'dashboard-narrow');
  },

  // Approve a request (lifting the masking of one field), then see the grant on the grants page.
  async approve(page, context, out) {
    const id = process.env.TB_REQUEST;
    await login(page, process.env.TB_USER);
    await page.goto(base + '/console/requests.html');
    await page.waitForSelector('body[data-loaded="true"]');
    const row = page.locator(`#requests tr[data-id="${id}"]`);
    await row.waitFor();
    assert.match(await row.textContent(), /剩 \d+ 个工作日/);
    await shot(page, 'requests');
    await row.locator('button.approve').click();
    await page.check('#unmask-fields input[value="name"]');
    await shot(page, 'requests-approve-dialog');
    await page.click('#approve-submit');
    await page.waitForSelector('#notice:not(.hidden)');
    const notice = await page.textContent('#notice');
    const grant = /授权 #(\d+)/.exec(notice)[1];
    out.grant = Number(grant);
    await page.goto(base + '/console/grants.html');
    const g = page.locator(`#grants tr[data-id="${grant}"]`);
    await g.waitFor();
    assert.match(await g.textContent(), /name 不脱敏/);
    await shot(page, 'grants');
  },

  async reject(page, context, out) {
    const id = process.env.TB_REQUEST;
    await login(page, process.env.TB_USER);
    await page.goto(base + '/console/requests.html');
    const row = page.locator(`#requests tr[data-id="${id}"]`);
    await row.waitFor();
    await row.locator('button.reject').click();
    // An empty reason is refused by the server, and the error names the field.
    await page.fill('#reject-reason', '   ');
    await page.click('#reject-submit');
    await page.waitForSelector('#reject-error:not(.hidden)');
    assert.match(await page.textContent('#reject-error'), /理由（reason）/);
    await shot(page, 'requests-reject-error');
    await page.fill('#reject-reason', process.env.TB_REASON);
    await page.click('#reject-submit');
    await page.waitForSelector('#notice:not(.hidden)');
    await row.waitFor({ state: 'detached' });
    out.rejected = Number(id);
  },

  async suspend(page, context, out) {
    const id = process.env.TB_GRANT;
    await login(page, process.env.TB_USER);
    await page.goto(base + '/console/grants.html');
    const row = page.locator(`#grants tr[data-id="${id}"]`);
    await row.waitFor();
    await row.locator('button.suspend').click();
    await page.fill('#change-reason', '核查异常调用');
    await page.click('#change-submit');
    await page.waitForSelector('#notice:not(.hidden)');
    await page.locator(`#grants tr[data-id="${id}"] button.resume`).waitFor();
    out.suspended = Number(id);
  },

  async audit(page, context, out) {
    await login(page, process.env.TB_USER);
    await page.goto(base + '/console/audit.html');
    await page.waitForSelector('body[data-loaded="true"]');
    await page.fill('#app_id', process.env.TB_SEARCH_APP);
    const t0 = Date.now();
    await page.click('#search');
    await page.waitForFunction(() => document.querySelectorAll('#entries tbody tr').length > 0 &&
      !document.getElementById('search').disabled);
    out.audit_search_ms = Date.now() - t0;
    const rows = await page.locator('#entries tbody tr').count();
    assert.ok(rows >= 1, 'no audit rows for ' + process.env.TB_SEARCH_APP);
    assert.match(await page.textContent('#entries tbody'), new RegExp(process.env.TB_SEARCH_APP.replace('.', '\\.')));
    // CSV export of the same search, downloaded by the browser with the session's cookie.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
    assert.strictEqual(download.suggestedFilename(), 'tongban-audit.csv');
    const csv = require('fs').readFileSync(await download.path(), 'utf8');
    assert.match(csv, new RegExp(process.env.TB_SEARCH_APP.replace('.', '\\.')));
    // Bad input: the error names the field.
    await page.fill('#app_id', 'x'.repeat(80));
    await page.click('#search');
    await page.waitForSelector('#error:not(.hidden)');
    assert.match(await page.textContent('#error'), /应用（app_id）/);
    await page.fill('#app_id', '');
    const t1 = Date.now();
    await page.click('#verify');
    await page.waitForSelector('#verify-result.notice');
    out.verify_ms = Date.now() - t1;
    assert.match(await page.textContent('#verify-result'), /审计链完好/);
    await shot(page, 'audit');
    await page.setViewportSize({ width: 390, height: 844 });
    await shot(page, 'audit-narrow');
  },

  // A department approver neither sees nor can act on another department's queue.
  async otherDepartment(page, context, out) {
    const id = process.env.TB_REQUEST;
    await login(page, process.env.TB_USER);
    await page.goto(base + '/console/requests.html');
    await page.waitForSelector('body[data-loaded="true"]');
    assert.strictEqual(await page.locator(`#requests tr[data-id="${id}"]`).count(), 0);
    const list = await pageFetch(page, 'GET', 'access-requests?department=' + process.env.TB_OTHER_DEPARTMENT);
    assert.strictEqual(list.status, 403, list.body);
    const act = await pageFetch(page, 'POST', `access-requests/${id}/approve`, {}, true);
    assert.ok(act.status === 403 || act.status === 404, act.status + ' ' + act.body);
    out.refused = act.status;
  },

  // A state change without the CSRF token is refused (403), with it the same call goes through.
  async csrf(page, context, out) {
    await login(page, process.env.TB_USER);
    const without = await pageFetch(page, 'POST', `grants/${process.env.TB_GRANT}/resume`, {}, false);
    assert.strictEqual(without.status, 403, without.body);
    assert.match(without.body, /X-CSRF-Token/);
    // Another site's form post: the cookie is SameSite=Strict and the Origin is wrong.
    const r = await context.request.post(base + '/console/api/logout', { headers: { Origin: 'https://evil.example' } });
    assert.strictEqual(r.status(), 403 );
    out.csrf_refused = without.status;
  },

  async fixation(page, context, out) {
    const planted = 'planted-by-attacker-0123456789abcdef';
    const url = new URL(base);
    await context.addCookies([{ name: 'tongban_console', value: planted, domain: url.hostname, path: '/console' }]);
    await login(page, process.env.TB_USER);
    const after = await cookieValue(context);
    assert.ok(after && after !== planted, 'the session id was not rotated at login');
    const attacker = await page.request.get(base + '/console/api/me', { headers: { Cookie: 'tongban_console=' + planted } });
    assert.strictEqual(attacker.status(), 401);
    out.rotated = true;
  },

  async lockout(page, context, out) {
    const user = process.env.TB_USER;
    await page.goto(base + '/console/login.html');
    for (let i = 0; i < Number(process.env.TB_MAX_FAILED); ++i) {
      await page.fill('#username', user);
      await page.fill('#password', 'not the password ' + i);
      await page.click('#login-submit');
      await page.waitForFunction(() => !document.getElementById('login-error').classList.contains('hidden') &&
        !document.getElementById('login-submit').disabled);
      await page.evaluate(() => document.getElementById('login-error').classList.add('hidden'));
    }
    await page.fill('#username', user);
    await page.fill('#password', password);
    await page.click('#login-submit');
    await page.waitForSelector('#login-error:not(.hidden)');
    assert.match(await page.textContent('#login-error'), /locked/);
    await shot(page, 'login-locked');
    assert.match(page.url(), /login\.html/);
    out.locked = true;
  },
};

main().catch((e) => {
  console.error(scenario + ': ' + (e && e.stack ? e.stack : e));
  process.exit(1);
});
