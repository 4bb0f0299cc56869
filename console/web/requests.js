'use strict';
(async () => {
  const box = document.getElementById('error');
  const notice = document.getElementById('notice');
  try { await TB.start('requests.html'); } catch (err) { TB.showError(box, err); return; }
  const PAGE = 20;
  let offset = 0;
  let current = null;
  const dept = document.getElementById('department');
  const admin = TB.hasRole('hub_admin') || TB.hasRole('auditor');
  if (admin) {
    const all = document.createElement('option');
    all.value = '';
    all.textContent = '全部部门';
    dept.appendChild(all);
  }
  for (const code of TB.scopes('department_approver')) {
    const o = document.createElement('option');
    o.value = code;
    o.textContent = code;
    dept.appendChild(o);
  }
  if (admin) {
    // Administrators may type any department's code.
    const other = document.createElement('option');
    other.value = '?';
    other.textContent = '其他部门…';
    dept.appendChild(other);
    dept.addEventListener('change', () => {
      if (dept.value !== '?') return;
      const code = prompt('部门统一社会信用代码');
      if (code) {
        const o = document.createElement('option');
        o.value = code.trim();
        o.textContent = code.trim();
        dept.insertBefore(o, dept.lastChild);
        dept.value = o.value;
      } else {
        dept.value = '';
      }
    });
  }
  const canDecide = TB.hasRole('hub_admin') || TB.hasRole('department_approver');

  async function load() {
    box.classList.add('hidden');
    const q = new URLSearchParams({ state: document.getElementById('state').value, offset, limit: PAGE });
    if (dept.value) q.set('department', dept.value);
    let d;
    try { d = await TB.api('GET', 'access-requests?' + q); } catch (err) { TB.showError(box, err); return; }
    const tbody = document.querySelector('#requests tbody');
    tbody.textContent = '';
    if (d.access_requests.length === 0) {
      const tr = document.createElement('tr');
      TB.cell(tr, '没有符合条件的申请').colSpan = 9;
      tbody.appendChild(tr);
    }
    for (const r of d.access_requests) {
      const tr = document.createElement('tr');
      tr.dataset.id = r.id;
      TB.cell(tr, r.id);
      TB.cell(tr, r.app_id, 'mono');
      TB.cell(tr, r.resource_code + ' v' + r.resource_version);
      TB.cell(tr, r.fields.join('、'));
      TB.cell(tr, r.purpose + '；依据：' + r.legal_basis);
      TB.cell(tr, TB.time(r.created_at));
      const due = TB.cell(tr, r.deadline + ' ');
      if (r.state === 'pending') {
        const left = r.working_days_left;
        due.appendChild(TB.badge(left < 0 ? '已超期 ' + (-left) + ' 个工作日' : '剩 ' + left + ' 个工作日',
          left < 0 ? 'danger' : left <= 2 ? 'warn' : 'ok'));
      }
      const st = TB.cell(tr, '');
      st.appendChild(TB.badge(TB.STATES[r.state] || r.state, r.state === 'approved' ? 'ok' : r.state === 'rejected' ? 'danger' : ''));
      if (r.reason) st.appendChild(document.createTextNode(' ' + r.reason));
      const act = TB.cell(tr, '', 'actions');
      if (r.state === 'pending' && canDecide) {
        act.appendChild(TB.button('批准', 'approve', () => openApprove(r)));
        act.appendChild(TB.button('驳回', 'danger reject', () => openReject(r)));
      }
      tbody.appendChild(tr);
    }
    document.getElementById('page').textContent = '第 ' + (offset / PAGE + 1) + ' 页';
    document.getElementById('prev').disabled = offset === 0;
    document.getElementById('next').disabled = !d.more;
    document.body.dataset.loaded = 'true';
  }

  const approveDialog = document.getElementById('approve-dialog');
  const rejectDialog = document.getElementById('reject-dialog');
  function openApprove(r) {
    current = r;
    const holder = document.getElementById('unmask-fields');
    holder.textContent = '';
    for (const f of r.fields) {
      const label = document.createElement('label');
      const cb = document.createElement('input');
      cb.type = 'checkbox';
      cb.name = 'unmask';
      cb.value = f;
      label.appendChild(cb);
      label.appendChild(document.createTextNode(f));
      holder.appendChild(label);
    }
    document.getElementById('approve-reason').value = '';
    document.getElementById('approve-error').classList.add('hidden');
    document.getElementById('approve-title').textContent = '批准申请 #' + r.id;
    approveDialog.showModal();
  }
  function openReject(r) {
    current = r;
    document.getElementById('reject-reason').value = '';
    document.getElementById('reject-error').classList.add('hidden');
    document.getElementById('reject-title').textContent = '驳回申请 #' + r.id;
    rejectDialog.showModal();
    document.getElementById('reject-reason').focus();
  }
  document.getElementById('approve-cancel').addEventListener('click', () => approveDialog.close());
  document.getElementById('reject-cancel').addEventListener('click', () => rejectDialog.close());
  document.getElementById('approve-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = { unmasked_fields: [...document.querySelectorAll('#unmask-fields input:checked')].map((c) => c.value) };
    const reason = document.getElementById('approve-reason').value.trim();
    if (reason) body.reason = reason;
    try {
      const d = await TB.busy(document.getElementById('approve-submit'), () => TB.api('POST', 'access-requests/' + current.id + '/approve', body));
      approveDialog.close();
      TB.notice(notice, '已批准申请 #' + current.id + '，生成授权 #' + d.grant.id + '。');
      await load();
    } catch (err) { TB.showError(document.getElementById('approve-error'), err); }
  });
  document.getElementById('reject-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await TB.busy(document.getElementById('reject-submit'), () => TB.api('POST', 'access-requests/' + current.id + '/reject', { reason: document.getElementById('reject-reason').value }));
      rejectDialog.close();
      TB.notice(notice, '已驳回申请 #' + current.id + '。');
      await load();
    } catch (err) { TB.showError(document.getElementById('reject-error'), err); }
  });
  document.getElementById('filters').addEventListener('submit', (ev) => { ev.preventDefault(); offset = 0; load(); });
  document.getElementById('prev').addEventListener('click', () => { offset = Math.max(0, offset - PAGE); load(); });
  document.getElementById('next').addEventListener('click', () => { offset += PAGE; load(); });
  await load();
})();
