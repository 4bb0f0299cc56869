'use strict';
document.getElementById('login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const box = document.getElementById('login-error');
  box.classList.add('hidden');
  const body = {
    username: document.getElementById('username').value.trim(),
    password: document.getElementById('password').value,
  };
  const totp = document.getElementById('totp').value.trim();
  if (totp) body.totp = totp;
  const button = document.getElementById('login-submit');
  try {
    await TB.busy(button, () => TB.api('POST', 'login', body));
    const next = new URLSearchParams(location.search).get('next');
    location.href = next && next.startsWith('/console/') && !next.startsWith('//') ? next : '/console/index.html';
  } catch (err) {
    TB.showError(box, err);
    document.getElementById('password').value = '';
  }
});
