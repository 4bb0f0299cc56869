'use strict';
(async () => {
  const box = document.getElementById('error');
  try { await TB.start('audit.html'); } catch (err) { TB.showError(box, err); return; }
  const PAGE = 50;
  let offset = 0;
  let anchor = '';  // the first page's end: later pages are cut from the same log

  // datetime-local is Beijing time here; the API wants RFC 3339 with an offset.
  const rfc3339 = (v) => (v ? v + (v.length === 16 ? ':00' : '') + '+08:00' : '');

  async function load() {
    box.classList.add('hidden');
    const q = new URLSearchParams({ offset, limit: PAGE });
    for (const id of ['app_id', 'subject', 'resource']) {
      const v = document.getElementById(id).value.trim();
      if (v) q.set(id, v);
    }
    const from = rfc3339(document.getElementById('from').value);
    if (from) q.set('from', from);
    const to = anchor || rfc3339(document.getElementById('to').value);
    if (to) q.set('to', to);
    let d;
    try {
      d = await TB.busy(document.getElementById('search'), () => TB.api('GET', 'audit?' + q));
    } catch (err) { TB.showError(box, err); return; }
    anchor = d.to;
    const csv = new URLSearchParams(q);
    csv.delete('offset');
    csv.delete('limit');
    document.getElementById('export').href = '/console/api/audit.csv?' + csv;
    const tbody = document.querySelector('#entries tbody');
    tbody.textContent = '';
    if (d.entries.length === 0) {
      const tr = document.createElement('tr');
      TB.cell(tr, '没有符合条件的记录').colSpan = 7;
      tbody.appendChild(tr);
    }
    for (const e of d.entries) {
      const tr = document.createElement('tr');
      TB.cell(tr, TB.time(e.at));
      TB.cell(tr, e.node_id + ' #' + e.seq, 'mono');
      TB.cell(tr, (e.app_id || '（未认证）') + (e.department_code ? ' / ' + e.department_code : ''), 'mono');
      TB.cell(tr, (e.method || '') + ' ' + (e.path || ''), 'mono');
      TB.cell(tr, [e.resource_code, (e.subject_keys || []).join('、'), e.matter_code].filter(Boolean).join(' · '));
      TB.cell(tr, '').appendChild(TB.badge((TB.STATES[e.result] || e.result) + (e.http_status ? ' ' + e.http_status : ''), e.result === 'allowed' ? 'ok' : 'danger'));
      TB.cell(tr, e.reason || '');
      tbody.appendChild(tr);
    }
    document.getElementById('page').textContent = '第 ' + (offset / PAGE + 1) + ' 页';
    document.getElementById('prev').disabled = offset === 0;
    document.getElementById('next').disabled = !d.more;
    document.body.dataset.loaded = 'true';
  }

  document.getElementById('verify').addEventListener('click', async (ev) => {
    const out = document.getElementById('verify-result');
    out.classList.add('hidden');
    try {
      const v = await TB.busy(ev.target, () => TB.api('POST', 'audit/verify', {}));
      const entries = v.nodes.reduce((n, x) => n + x.entries_checked, 0);
      const checkpoints = v.nodes.reduce((n, x) => n + x.checkpoints_checked, 0);
      out.className = v.intact ? 'notice' : 'error';
      out.textContent = v.intact
        ? '审计链完好：' + v.nodes.length + ' 个节点，' + entries + ' 条记录，' + checkpoints + ' 个检查点。'
        : '发现问题：' + v.problems.map((p) => p.node_id + ' #' + p.seq + ' ' + p.kind + '：' + p.message).join('；');
      out.id = 'verify-result';
      out.setAttribute('role', v.intact ? 'status' : 'alert');
    } catch (err) { TB.showError(out, err); }
  });
  document.getElementById('filters').addEventListener('submit', (ev) => { ev.preventDefault(); offset = 0; anchor = ''; load(); });
  document.getElementById('prev').addEventListener('click', () => { offset = Math.max(0, offset - PAGE); load(); });
  document.getElementById('next').addEventListener('click', () => { offset += PAGE; load(); });
  await load();
})();
