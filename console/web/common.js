// 通办管理控制台: what every page shares — the API call with the session's CSRF token, problem
// documents shown with the field they name, the header with navigation, and small formatters.
'use strict';

const FIELD_NAMES = {
  username: '用户名', password: '密码', totp: '动态口令', reason: '理由', department: '部门',
  limit: '每页条数', offset: '页码', state: '状态', from: '开始时间', to: '结束时间',
  app_id: '应用', subject: '主体', resource: '资源', id: '编号', unmasked_fields: '解除脱敏字段',
  rate_per_minute: '每分钟调用上限', 'X-CSRF-Token': 'CSRF 令牌', Origin: '来源', session: '会话',
  query: '查询参数', body: '请求体',
};

class Problem extends Error {
  constructor(status, doc) {
    super((doc && (doc.detail || doc.title)) || ('HTTP ' + status));
    this.status = status;
    this.field = doc && doc.field ? doc.field : '';
  }
}

const TB = {
  csrf: '',
  me: null,

  async api(method, path, body) {
    const init = { method, headers: { Accept: 'application/json' }, credentials: 'same-origin' };
    if (method !== 'GET') {
      init.headers['Content-Type'] = 'application/json';
      init.headers['X-CSRF-Token'] = TB.csrf;
      init.body = JSON.stringify(body || {});
    }
    let resp;
    try {
      resp = await fetch('/console/api/' + path, init);
    } catch (e) {
      throw new Problem(0, { detail: '无法连接服务器：' + e.message });
    }
    const text = await resp.text();
    let doc = null;
    try { doc = text ? JSON.parse(text) : null; } catch (e) { doc = null; }
    if (!resp.ok) {
      if (resp.status === 401 && !path.startsWith('login')) {
        location.href = '/console/login.html?next=' + encodeURIComponent(location.pathname + location.search);
      }
      throw new Problem(resp.status, doc);
    }
    return doc;
  },

  // Shows a problem document (or any error) in `box`, naming the field when there is one.
  showError(box, err) {
    box.textContent = '';
    const field = err.field ? (FIELD_NAMES[err.field] ? FIELD_NAMES[err.field] + '（' + err.field + '）' : err.field) : '';
    box.textContent = (err.status ? '错误 ' + err.status + '：' : '错误：') + (field ? '字段 ' + field + ' — ' : '') + err.message;
    box.classList.remove('hidden');
    box.setAttribute('role', 'alert');
    if (err.field) {
      const input = document.querySelector('[name="' + CSS.escape(err.field) + '"]');
      if (input) { input.setAttribute('aria-invalid', 'true'); input.focus(); }
    }
  },

  notice(box, text) {
    box.textContent = text;
    box.classList.remove('hidden');
    box.setAttribute('role', 'status');
  },

  hasRole(role) { return !!TB.me && TB.me.user.roles.some((r) => r.role === role); },
  scopes(role) { return TB.me ? TB.me.user.roles.filter((r) => r.role === role).map((r) => r.scope) : []; },

  ROLE_NAMES: { hub_admin: '平台管理员', department_approver: '部门审批人', auditor: '审计员',
    certificate_officer: '证照管理员' },

  // Loads the session (or goes to the login page) and draws the header.
  async start(current) {
    TB.me = await TB.api('GET', 'me');
    TB.csrf = TB.me.csrf_token;
    const header = document.createElement('header');
    header.className = 'top';
    const brand = document.createElement('span');
    brand.className = 'brand';
    brand.textContent = '通办 · 管理控制台';
    header.appendChild(brand);
    const nav = document.createElement('nav');
    nav.setAttribute('aria-label', '主导航');
    const pages = [['index.html', '总览'], ['requests.html', '共享申请'], ['grants.html', '授权管理']];
    if (TB.hasRole('hub_admin') || TB.hasRole('auditor')) pages.push(['audit.html', '审计日志']);
    for (const [href, text] of pages) {
      const a = document.createElement('a');
      a.href = '/console/' + href;
      a.textContent = text;
      if (href === current) a.setAttribute('aria-current', 'page');
      nav.appendChild(a);
    }
    header.appendChild(nav);
    const who = document.createElement('div');
    who.className = 'who';
    const name = document.createElement('span');
    name.id = 'who';
    name.textContent = TB.me.user.display_name + '（' + TB.me.user.roles.map((r) => TB.ROLE_NAMES[r.role] + (r.scope ? ' ' + r.scope : '')).join('，') + '）';
    who.appendChild(name);
    const out = document.createElement('button');
    out.className = 'secondary';
    out.id = 'logout';
    out.type = 'button';
    out.textContent = '退出';
    out.addEventListener('click', async () => {
      try { await TB.api('POST', 'logout'); } finally { location.href = '/console/login.html'; }
    });
    who.appendChild(out);
    header.appendChild(who);
    document.body.insertBefore(header, document.body.firstChild);
  },

  time(s) {
    if (!s) return '';
    const d = new Date(s);
    if (isNaN(d)) return s;
    return d.toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false });
  },

  cell(row, text, cls) {
    const td = document.createElement('td');
    td.textContent = text == null ? '' : String(text);
    if (cls) td.className = cls;
    row.appendChild(td);
    return td;
  },

  badge(text, cls) {
    const s = document.createElement('span');
    s.className = 'badge ' + (cls || '');
    s.textContent = text;
    return s;
  },

  button(text, cls, onClick) {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = text;
    if (cls) b.className = cls;
    b.addEventListener('click', onClick);
    return b;
  },

  // Disables `button` while `work` runs (long operations show progress).
  async busy(button, work) {
    const old = button.textContent;
    button.disabled = true;
    const spin = document.createElement('span');
    spin.className = 'progress';
    spin.setAttribute('aria-hidden', 'true');
    button.appendChild(spin);
    try { return await work(); } finally { button.disabled = false; button.textContent = old; }
  },

  STATES: { pending: '待审批', approved: '已批准', rejected: '已驳回', withdrawn: '已撤回',
    active: '有效', suspended: '已暂停', revoked: '已撤销', allowed: '允许', denied: '拒绝', error: '错误' },
};
