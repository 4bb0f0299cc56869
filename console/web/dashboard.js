'use strict';
(async () => {
  const box = document.getElementById('error');
  try { await TB.start('index.html'); } catch (err) { TB.showError(box, err); return; }
  const seesAudit = TB.hasRole('hub_admin') || TB.hasRole('auditor');
  document.querySelectorAll('.audit-only').forEach((el) => el.classList.toggle('hidden', !seesAudit));
  const charts = {};
  const chart = (id) => {
    if (!charts[id] && window.echarts) charts[id] = echarts.init(document.getElementById(id));
    return charts[id];
  };
  window.addEventListener('resize', () => Object.values(charts).forEach((c) => c.resize()));

  async function refresh() {
    let d;
    try { d = await TB.api('GET', 'dashboard'); box.classList.add('hidden'); } catch (err) { TB.showError(box, err); return; }
    document.getElementById('pending').textContent = d.requests.pending;
    const overdue = document.getElementById('overdue');
    overdue.textContent = d.requests.overdue;
    document.getElementById('pending').classList.toggle('danger', d.requests.overdue > 0);
    document.getElementById('due-soon').textContent = d.requests.due_within_2_working_days;
    document.getElementById('db-state').textContent = d.database.open + ' / ' + d.database.max;
    document.getElementById('db-detail').textContent = '使用中 ' + d.database.in_use + '，获取超时累计 ' + d.database.acquire_timeouts;
    if (seesAudit) {
      const v = d.last_verification;
      const state = document.getElementById('chain-state');
      if (v) {
        state.textContent = v.intact ? '完好' : '发现问题';
        state.classList.toggle('danger', !v.intact);
        document.getElementById('chain-detail').textContent = '校验于 ' + new Date(v.verified_at * 1000).toLocaleString('zh-CN', { hour12: false }) + '，条目 ' + v.nodes.reduce((n, x) => n + x.entries_checked, 0);
      }
      const minutes = d.per_minute.map((r) => new Date(r[0] * 1000).toLocaleTimeString('zh-CN', { hour: '2-digit', minute: '2-digit', hour12: false }));
      const rate = chart('chart-rate');
      if (rate) {
        rate.setOption({
          tooltip: { trigger: 'axis' }, legend: { data: ['允许', '拒绝', '错误'] },
          grid: { left: 40, right: 16, top: 36, bottom: 28 },
          xAxis: { type: 'category', data: minutes }, yAxis: { type: 'value', minInterval: 1 },
          series: [
            { name: '允许', type: 'line', data: d.per_minute.map((r) => r[1]) },
            { name: '拒绝', type: 'line', data: d.per_minute.map((r) => r[2]) },
            { name: '错误', type: 'line', data: d.per_minute.map((r) => r[3]) },
          ],
        });
      }
      const ref = chart('chart-refusals');
      if (ref) {
        ref.setOption({ tooltip: { trigger: 'item' },
          series: [{ type: 'pie', radius: ['35%', '65%'], data: d.refusals.map((r) => ({ name: 'HTTP ' + r[0], value: r[1] })) }] });
      }
      const top = chart('chart-top');
      if (top) {
        top.setOption({ tooltip: { trigger: 'axis' }, grid: { left: 130, right: 16, top: 10, bottom: 24 },
          xAxis: { type: 'value', minInterval: 1 }, yAxis: { type: 'category', data: d.top_consumers.map((r) => r[0]).reverse() },
          series: [{ type: 'bar', data: d.top_consumers.map((r) => r[1]).reverse() }] });
      }
    }
    document.getElementById('refreshed').textContent = '上次刷新：' + new Date().toLocaleTimeString('zh-CN', { hour12: false });
    document.body.dataset.loaded = 'true';
  }
  await refresh();
  setInterval(refresh, 15000);
})();
