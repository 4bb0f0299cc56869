'use strict';
(async () => {
  const box = document.getElementById('error');
  const notice = document.getElementById('notice');
  try { await TB.start('grants.html'); } catch (err) { TB.showError(box, err); return; }
  const PAGE = 20;
  let offset = 0;
  let pending = null;
  const canChange = TB.hasRole('hub_admin') || TB.hasRole('department_approver');
  const ACTIONS = { suspend: '暂停', resume: '恢复', revoke: '撤销' };

  async function load() {
    box.classList.add('hidden');
    const q = new URLSearchParams({ offset, limit: PAGE });
    for (const id of ['state', 'app_id', 'resource']) {
      const v = document.getElementById(id).value.trim();
      if (v) q.set(id, v);
    }
    let d;
    try { d = await TB.api('GET', 'grants?' + q); } catch (err) { TB.showError(box, err); return; }
    const tbody = document.querySelector('#grants tbody');
    tbody.textContent = '';
    if (d.grants.length === 0) {
      const tr = document.createElement('tr');
      TB.cell(tr, '没有符合条件的授权').colSpan = 9;
      tbody.appendChild(tr);
    }
    for (const g of d.grants) {
      const tr = document.createElement('tr');
      tr.dataset.id = g.id;
      TB.cell(tr, g.id);
      TB.cell(tr, g.app_id, 'mono');
      TB.cell(tr, g.resource_code + ' v' + g.resource_version);
      TB.cell(tr, g.fields.join('、') + (g.unmasked_fields.length ? '（' + g.unmasked_fields.join('、') + ' 不脱敏）' : ''));
      TB.cell(tr, g.matter_codes.join('、'), 'mono');
      TB.cell(tr, TB.time(g.valid_from) + ' 至 ' + TB.time(g.valid_to));
      TB.cell(tr, g.rate_per_minute);
      TB.cell(tr, '').appendChild(TB.badge(TB.STATES[g.state] || g.state, g.state === 'active' ? 'ok' : g.state === 'revoked' ? 'danger' : 'warn'));
      const act = TB.cell(tr, '', 'actions');
      if (canChange) {
        if (g.state === 'active') act.appendChild(TB.button('暂停', 'secondary suspend', () => open(g, 'suspend')));
        if (g.state === 'suspended') act.appendChild(TB.button('恢复', 'secondary resume', () => open(g, 'resume')));
        if (g.state !== 'revoked') act.appendChild(TB.button('撤销', 'danger revoke', () => open(g, 'revoke')));
      }
      tbody.appendChild(tr);
    }
    document.getElementById('page').textContent = '第 ' + (offset / PAGE + 1) + ' 页';
    document.getElementById('prev').disabled = offset === 0;
    document.getElementById('next').disabled = !d.more;
    document.body.dataset.loaded = 'true';
  }

  const dialog = document.getElementById('change-dialog');
  function open(g, action) {
    pending = { g, action };
    document.getElementById('change-title').textContent = ACTIONS[action] + '授权 #' + g.id;
    document.getElementById('reason-label').textContent = action === 'resume' ? '理由（可选）' : '理由（必填）';
    document.getElementById('change-reason').value = '';
    document.getElementById('change-error').classList.add('hidden');
    document.getElementById('change-submit').textContent = ACTIONS[action];
    dialog.showModal();
    document.getElementById('change-reason').focus();
  }
  document.getElementById('change-cancel').addEventListener('click', () => dialog.close());
  document.getElementById('change-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const reason = document.getElementById('change-reason').value;
    try {
      await TB.busy(document.getElementById('change-submit'), () => TB.api('POST', 'grants/' + pending.g.id + '/' + pending.action, reason ? { reason } : {}));
      dialog.close();
      TB.notice(notice, '已' + ACTIONS[pending.action] + '授权 #' + pending.g.id + '。');
      await load();
    } catch (err) { TB.showError(document.getElementById('change-error'), err); }
  });
  document.getElementById('filters').addEventListener('submit', (ev) => { ev.preventDefault(); offset = 0; load(); });
  document.getElementById('prev').addEventListener('click', () => { offset = Math.max(0, offset - PAGE); load(); });
  document.getElementById('next').addEventListener('click', () => { offset += PAGE; load(); });
  await load();
})();
