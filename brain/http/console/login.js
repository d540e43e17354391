// Who is looking at the board, and the login form. The session is an HttpOnly cookie this
// script never sees; GET /api/session says who it names and which actions the role allows,
// so the board draws only the controls the person may use (a viewer gets no acknowledge).

const $ = (id) => document.getElementById(id);
export const session = { user: null, role: null, via: null, actions: [], anonymous_read: false };
let onChange = () => {};

export const can = (action) => session.actions.includes(action);

export async function loadSession(changed) {
  if (changed) onChange = changed;
  try {
    const res = await fetch('/api/session', { cache: 'no-store' });
    if (res.ok) Object.assign(session, await res.json());
  } catch {
    // the board's own banner says the brain is not answering
  }
  drawWho();
}

function drawWho() {
  const who = $('who');
  if (session.user) {
    who.replaceChildren(`${session.user} (${session.role}) `, link('sign out', signOut));
  } else {
    who.replaceChildren(session.anonymous_read ? 'viewing without signing in ' : '', link('sign in', () => showLogin()));
  }
}

function link(text, action) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'link';
  b.textContent = text;
  b.addEventListener('click', action);
  return b;
}

/** Shows the form; `why` says what made it appear (a 401, a refused action). */
export function showLogin(why = '') {
  $('login-why').textContent = why;
  $('login').hidden = false;
  $('login-user').focus();
}

async function signIn(event) {
  event.preventDefault();
  const body = JSON.stringify({ user: $('login-user').value, password: $('login-password').value });
  const res = await fetch('/api/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body }).catch(() => undefined);
  $('login-password').value = '';
  if (!res?.ok) {
    $('login-why').textContent = res ? ((await res.json().catch(() => ({}))).error ?? `refused (${res.status})`) : 'the brain is not answering';
    return;
  }
  $('login').hidden = true;
  await loadSession();
  onChange();
}

async function signOut() {
  await fetch('/api/session', { method: 'DELETE', headers: { 'content-type': 'application/json' }, body: '{}' }).catch(() => undefined);
  await loadSession();
  onChange();
}

$('login').addEventListener('submit', signIn);
$('login-cancel').addEventListener('click', () => ($('login').hidden = true));
