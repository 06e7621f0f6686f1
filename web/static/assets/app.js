// The reference client: sign-in, then the Agents page and the conversations
// page, routed under /app with the History API. Built on the public GraphQL
// API only (api.js, live.js).

import { gql, keepSession, forgetSession, sessionToken, onSignedOut, explain, ApiError } from './api.js';
import { h, fill } from './dom.js';
import { LiveConnection } from './live.js';
import { agentsPage } from './agents.js';
import { conversationsPage } from './conversations.js';

const main = document.getElementById('main');
const top = document.getElementById('top');

const VIEWER = `query Viewer { viewer { id name email permissions } workspace { name } }`;

const app = {
  viewer: null,
  workspace: null,
  live: null,
  page: null, // {leave()} of the page on screen
  can(permission) { return this.viewer?.permissions.includes(permission); },
  go(path, { replace = false } = {}) {
    if (replace) history.replaceState(null, '', path);
    else history.pushState(null, '', path);
    route();
  },
};

onSignedOut(() => showSignIn('Your session has ended. Sign in again.'));

function leavePage() {
  app.page?.leave?.();
  app.page = null;
}

async function start() {
  if (!sessionToken()) {
    showSignIn();
    return;
  }
  try {
    const data = await gql(VIEWER);
    app.viewer = data.viewer;
    app.workspace = data.workspace;
  } catch (err) {
    if (err instanceof ApiError && err.code === 'UNAUTHENTICATED') return; // onSignedOut showed the form
    fill(main, h('p', { role: 'alert', class: 'error' }, explain(err)));
    return;
  }
  app.live?.close();
  app.live = new LiveConnection({
    onSessionEnded: () => {
      forgetSession();
      showSignIn('Your session has ended. Sign in again.');
    },
  });
  renderTop();
  route();
}

function renderTop() {
  const links = [];
  if (app.can('AGENTS_READ')) links.push(['/app/agents', 'Agents']);
  links.push(['/app/conversations', 'Conversations']);
  fill(top,
    h('a', { href: '/app', class: 'brand' }, h('span', { class: 'logo', 'aria-hidden': 'true' }), 'agentdesk'),
    h('span', { class: 'workspace' }, app.workspace.name),
    h('nav', { 'aria-label': 'Main' }, h('ul', {}, links.map(([href, text]) => h('li', {},
      h('a', { href, 'data-nav': '' }, text))))),
    h('span', { class: 'viewer' }, app.viewer.name || app.viewer.email),
    h('button', { type: 'button', class: 'secondary', onclick: signOut }, 'Sign out'));
  top.hidden = false;
}

function markCurrent() {
  for (const a of top.querySelectorAll('a[data-nav]')) {
    if (location.pathname.startsWith(a.getAttribute('href'))) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

function route() {
  if (!app.viewer) return;
  const path = location.pathname.replace(/\/+$/, '');
  leavePage();
  if (path === '/app/agents' && app.can('AGENTS_READ')) {
    app.page = agentsPage(main, app);
  } else if (path === '/app/conversations') {
    app.page = conversationsPage(main, app);
  } else {
    app.go(app.can('AGENTS_READ') ? '/app/agents' : '/app/conversations', { replace: true });
    return;
  }
  markCurrent();
}

// Links inside the client change the page without loading it again.
document.addEventListener('click', (e) => {
  const a = e.target.closest?.('a[href^="/app"]');
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || !app.viewer) return;
  e.preventDefault();
  app.go(a.getAttribute('href'));
});
window.addEventListener('popstate', route);

async function signOut() {
  try {
    await gql('mutation SignOut { logout }');
  } catch {
    // The session is forgotten here either way.
  }
  forgetSession();
  showSignIn('You are signed out.');
}

function showSignIn(message) {
  leavePage();
  app.live?.close();
  app.live = null;
  app.viewer = null;
  top.hidden = true;
  fill(top);
  document.title = 'Sign in · agentdesk';
  const error = h('div', { class: 'form-error' });
  const email = h('input', { id: 'signin-email', name: 'email', type: 'email', autocomplete: 'username', required: true });
  const password = h('input', { id: 'signin-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const submit = h('button', { type: 'submit' }, 'Sign in');
  const form = h('form', { class: 'stack', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: 'signin-email' }, 'Email'), email),
    h('div', { class: 'field' }, h('label', { for: 'signin-password' }, 'Password'), password),
    error, submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    fill(error);
    if (!email.value.trim() || !password.value) {
      fill(error, h('p', { role: 'alert', class: 'error' }, 'Give your email and password.'));
      return;
    }
    submit.disabled = true;
    try {
      const data = await gql(`mutation SignIn($input: LoginInput!) { login(input: $input) { token } }`,
        { input: { email: email.value.trim(), password: password.value } });
      keepSession(data.login.token);
      if (!location.pathname.startsWith('/app/')) history.replaceState(null, '', '/app');
      await start();
    } catch (err) {
      fill(error, h('p', { role: 'alert', class: 'error' }, explain(err)));
      password.select();
    } finally {
      submit.disabled = false;
    }
  });
  fill(main, h('div', { class: 'card narrow' },
    h('p', { class: 'brand' }, h('span', { class: 'logo', 'aria-hidden': 'true' }), 'agentdesk'),
    h('h1', { tabindex: '-1' }, 'Sign in'),
    message ? h('p', { class: 'notice', role: 'status' }, message) : null,
    form));
  email.focus();
}

start();
