// The activation page an invitation email links to: /activate?token=…
// It previews the invitation (invitation(token)), asks a new person for a
// name and password or an existing account for its password, activates,
// and keeps the session so "Open agentdesk" lands signed in.

import { gql, keepSession, explain, ApiError } from './api.js';
import { h, fill, formatDateTime } from './dom.js';

const main = document.getElementById('main');
const token = new URLSearchParams(location.search).get('token') || '';

const brand = () => h('p', { class: 'brand' }, h('span', { class: 'logo', 'aria-hidden': 'true' }), 'agentdesk');

function deadLink(code) {
  const expired = code === 'TOKEN_EXPIRED';
  document.title = `${expired ? 'Link expired' : 'Link no longer valid'} · agentdesk`;
  fill(main, brand(),
    h('h1', { tabindex: '-1' }, expired ? 'This link has expired' : 'This link is no longer valid'),
    h('p', {}, expired
      ? 'This link has expired. Activation links work for a limited time.'
      : 'This link is no longer valid: it was used already, a newer link was sent, or the invitation was cancelled.'),
    h('p', {}, 'Ask an admin of your workspace to re-send the activation link, then use the newest email.'),
    h('p', {}, h('a', { href: '/app' }, 'Sign in to agentdesk')));
  main.querySelector('h1').focus();
}

function failed(err) {
  fill(main, brand(), h('h1', {}, 'Something went wrong'), h('p', { role: 'alert', class: 'error' }, explain(err)));
}

function done(agent) {
  document.title = 'Your account is active · agentdesk';
  fill(main, brand(),
    h('h1', { tabindex: '-1' }, 'Your account is active'),
    h('p', {}, `Welcome${agent.name ? `, ${agent.name}` : ''}. You are signed in as ${agent.email}.`),
    h('p', {}, h('a', { href: '/app', class: 'button primary' }, 'Open agentdesk')));
  main.querySelector('h1').focus();
}

function form(preview) {
  document.title = `Join ${preview.workspaceName} · agentdesk`;
  const error = h('div', { class: 'form-error' });
  const fields = [];
  let name = null;
  if (!preview.existingAccount) {
    name = h('input', { id: 'activate-name', name: 'name', autocomplete: 'name', required: true, maxlength: '100' });
    fields.push(h('div', { class: 'field' }, h('label', { for: 'activate-name' }, 'Name'), name));
  }
  const password = h('input', {
    id: 'activate-password', name: 'password', type: 'password', required: true, minlength: preview.existingAccount ? null : '8',
    maxlength: '128', autocomplete: preview.existingAccount ? 'current-password' : 'new-password', 'aria-describedby': 'password-hint',
  });
  fields.push(h('div', { class: 'field' }, h('label', { for: 'activate-password' }, 'Password'), password,
    h('span', { id: 'password-hint', class: 'hint' }, preview.existingAccount
      ? 'You already have an agentdesk account: use that account’s password.'
      : 'At least 8 characters.')));
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Activate account');
  // The email is a hidden username field so password managers file the new password under it.
  const f = h('form', { class: 'stack', novalidate: true },
    h('input', { type: 'email', autocomplete: 'username', value: preview.email, hidden: true, readonly: true, 'aria-hidden': 'true', tabindex: '-1' }),
    fields, error, submit);
  f.addEventListener('submit', async (e) => {
    e.preventDefault();
    fill(error);
    if (name && !name.value.trim()) {
      fill(error, h('p', { role: 'alert', class: 'error' }, 'Give your name.'));
      name.focus();
      return;
    }
    if (!password.value || (!preview.existingAccount && password.value.length < 8)) {
      fill(error, h('p', { role: 'alert', class: 'error' }, preview.existingAccount ? 'Give your password.' : 'Choose a password of at least 8 characters.'));
      password.focus();
      return;
    }
    submit.disabled = true;
    try {
      const input = { token, password: password.value };
      if (name) input.name = name.value.trim();
      const data = await gql(`mutation Activate($input: ActivateAccountInput!) {
        activateAccount(input: $input) { token agent { name email } } }`, { input }, { anonymous: true });
      keepSession(data.activateAccount.token);
      // The used link leaves the address bar (a reload would call it dead).
      history.replaceState(null, '', location.pathname);
      done(data.activateAccount.agent);
    } catch (err) {
      if (err instanceof ApiError && (err.code === 'TOKEN_EXPIRED' || err.code === 'INVALID_TOKEN')) {
        deadLink(err.code);
        return;
      }
      fill(error, h('p', { role: 'alert', class: 'error' }, explain(err)));
      submit.disabled = false;
    }
  });
  fill(main, brand(),
    h('h1', {}, `Join ${preview.workspaceName}`),
    h('p', { class: 'lede' }, preview.invitedByName
      ? `${preview.invitedByName} invited you to the workspace ${preview.workspaceName} on agentdesk.`
      : `You are invited to the workspace ${preview.workspaceName} on agentdesk.`),
    h('dl', { class: 'facts' },
      h('dt', {}, 'Email'), h('dd', {}, preview.email),
      h('dt', {}, 'Link valid until'), h('dd', {}, formatDateTime(preview.expiresAt))),
    f);
  (name || password).focus();
}

async function start() {
  if (!token) {
    deadLink('INVALID_TOKEN');
    return;
  }
  try {
    const data = await gql(`query Invitation($token: String!) {
      invitation(token: $token) { email workspaceName invitedByName expiresAt existingAccount } }`, { token }, { anonymous: true });
    form(data.invitation);
  } catch (err) {
    if (err instanceof ApiError && (err.code === 'TOKEN_EXPIRED' || err.code === 'INVALID_TOKEN' || err.code === 'BAD_USER_INPUT')) {
      deadLink(err.code);
    } else {
      failed(err);
    }
  }
}

start();
