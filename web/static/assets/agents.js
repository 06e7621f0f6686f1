// The Agents page (Settings → Agents): tabs with counts, search, the invite
// dialog, a row per agent with a kebab menu of exactly the actions the API's
// viewerCan allows, and the remove, edit-roles and re-invite dialogs. Live
// through the agentChanged subscription.

import { gql, explain } from './api.js';
import { h, fill, debounce, announce, formatDateTime, formatTime } from './dom.js';
import { menuButton, openDialog, tabList, roleChoices, alertBox, whenIdle, onSubmit } from './ui.js';

const AGENT_ROW = `fragment AgentRow on Agent {
  id email name status invitedAt activatedAt removedAt
  roles { id name }
  invitation { expiresAt expired deliveryStatus sendCount resendAvailableAt }
  viewerCan { resendActivationLink remove updateRoles reinvite blocked { action code message } }
}`;

const PAGE = `query AgentsPage($filter: AgentFilter!, $counts: AgentFilter!, $first: Int!, $after: String, $orderBy: AgentOrder!) {
  agentCounts(filter: $counts) { active pending removed }
  agents(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { ...AgentRow } }
  }
}
${AGENT_ROW}`;

const TABS = [
  { key: 'ACTIVE', label: 'Active', count: 'active', empty: 'No active agents.' },
  { key: 'PENDING', label: 'Pending', count: 'pending', empty: 'No pending invitations.' },
  { key: 'REMOVED', label: 'Removed', count: 'removed', empty: 'No removed agents.' },
];
const ORDER = {
  ACTIVE: { field: 'NAME', direction: 'ASC' },
  PENDING: { field: 'INVITED_AT', direction: 'DESC' },
  REMOVED: { field: 'NAME', direction: 'ASC' },
};
const STATUS_TEXT = { ACTIVE: 'Active', PENDING: 'Pending', REMOVED: 'Removed' };
const DELIVERY_TEXT = { QUEUED: 'Queued', SENT: 'Sent', FAILED: 'Failed' };
const PAGE_SIZE = 50;

export function agentsPage(main, app) {
  document.title = 'Agents · agentdesk';
  const params = new URLSearchParams(location.search);
  const state = {
    tab: TABS.some((t) => t.key === params.get('status')) ? params.get('status') : 'ACTIVE',
    search: params.get('q') || '',
    agents: [],
    pageInfo: null,
    counts: null,
    seq: 0,
    left: false,
  };

  // ---- the page's frame, built once (the search box keeps its focus and text)
  const notice = h('div', { class: 'notices' });
  const search = h('input', {
    type: 'search', 'aria-label': 'Search agents', placeholder: 'Search by name or email', value: state.search,
    class: 'search', autocomplete: 'off', spellcheck: 'false',
  });
  const tabs = tabList({
    label: 'Agents by status',
    tabs: TABS.map((t) => ({ key: t.key, label: t.label })),
    selected: state.tab,
    panelId: 'agents-panel',
    onSelect: (key, byKeyboard) => selectTab(key, byKeyboard),
  });
  const table = h('div', { role: 'table', class: 'grid agents', 'aria-labelledby': `tab-${state.tab}`, 'aria-rowcount': '-1' });
  const body = h('div', { role: 'rowgroup' });
  table.append(h('div', { role: 'rowgroup', class: 'head' }, h('div', { role: 'row' },
    ['Name', 'Email', 'Roles', 'Status', 'Details', 'Actions'].map((c) => h('span', { role: 'columnheader' },
      c === 'Actions' ? h('span', { class: 'visually-hidden' }, c) : c)))), body);
  const empty = h('p', { class: 'empty', hidden: true });
  const more = h('button', { type: 'button', class: 'secondary', hidden: true, onclick: () => load({ append: true }) }, 'Show more agents');
  const panel = h('div', { role: 'tabpanel', id: 'agents-panel', 'aria-labelledby': `tab-${state.tab}`, tabindex: '0' }, table, empty, more);
  const inviteButton = app.can('AGENTS_INVITE')
    ? h('button', { type: 'button', class: 'primary', onclick: (e) => inviteDialog(e.currentTarget) }, 'Invite agent')
    : null;

  fill(main,
    h('div', { class: 'page-head' }, h('h1', { tabindex: '-1' }, 'Agents'), inviteButton),
    h('p', { class: 'lede' }, 'Agents are the people registered to your workspace. Their roles decide what they can do and see.'),
    notice,
    h('div', { class: 'toolbar' }, search),
    tabs,
    panel);

  search.addEventListener('input', debounce(() => {
    state.search = search.value.trim();
    keepInURL();
    load();
  }, 250));

  function keepInURL() {
    const p = new URLSearchParams();
    if (state.tab !== 'ACTIVE') p.set('status', state.tab);
    if (state.search) p.set('q', state.search);
    const qs = p.toString();
    history.replaceState(null, '', `/app/agents${qs ? `?${qs}` : ''}`);
  }

  function selectTab(key, byKeyboard) {
    state.tab = key;
    for (const t of tabs.querySelectorAll('[role=tab]')) {
      const on = t.id === `tab-${key}`;
      t.setAttribute('aria-selected', on ? 'true' : 'false');
      t.tabIndex = on ? 0 : -1;
      if (on && byKeyboard) t.focus();
    }
    panel.setAttribute('aria-labelledby', `tab-${key}`);
    table.setAttribute('aria-labelledby', `tab-${key}`);
    keepInURL();
    state.agents = [];
    load();
  }

  // ---- data
  async function load({ append = false } = {}) {
    const seq = ++state.seq;
    const filter = { status: [state.tab], search: state.search || null };
    const shown = append ? PAGE_SIZE : Math.min(100, Math.max(PAGE_SIZE, state.agents.length));
    try {
      const data = await gql(PAGE, {
        filter, counts: { search: state.search || null }, first: shown,
        after: append ? state.pageInfo?.endCursor : null, orderBy: ORDER[state.tab],
      });
      if (seq !== state.seq || state.left) return; // a newer load is under way
      state.counts = data.agentCounts;
      const rows = data.agents.edges.map((e) => e.node);
      state.agents = append ? state.agents.concat(rows) : rows;
      state.pageInfo = data.agents.pageInfo;
      render();
    } catch (err) {
      if (seq === state.seq && !state.left) showError(explain(err));
    }
  }

  function render() {
    for (const t of TABS) {
      const tab = tabs.querySelector(`#tab-${t.key}`);
      tab.textContent = `${t.label} (${state.counts[t.count]})`;
    }
    const focusKey = document.activeElement?.dataset?.focusKey;
    fill(body, state.agents.map(row));
    if (focusKey) body.querySelector(`[data-focus-key="${CSS.escape(focusKey)}"]`)?.focus();
    const tab = TABS.find((t) => t.key === state.tab);
    empty.textContent = state.search ? `No ${tab.label.toLowerCase()} agents match “${state.search}”.` : tab.empty;
    empty.hidden = state.agents.length > 0;
    table.hidden = state.agents.length === 0;
    more.hidden = !state.pageInfo?.hasNextPage;
    scheduleCooldownEnd();
  }

  // A disabled "Re-send" turns available when its cooldown ends.
  let cooldownTimer;
  function scheduleCooldownEnd() {
    clearTimeout(cooldownTimer);
    const now = Date.now();
    const next = state.agents
      .map((a) => (a.invitation && a.viewerCan.resendActivationLink ? Date.parse(a.invitation.resendAvailableAt) : 0))
      .filter((t) => t > now)
      .sort((a, b) => a - b)[0];
    if (next) cooldownTimer = setTimeout(() => whenIdle(render), next - now + 100);
  }

  function row(agent) {
    const inv = agent.invitation;
    let details = null;
    if (agent.status === 'PENDING' && inv) {
      details = [
        h('span', { class: inv.expired ? 'expired' : null },
          inv.expired ? `Link expired ${formatDateTime(inv.expiresAt)}` : `Link expires ${formatDateTime(inv.expiresAt)}`),
        h('span', { class: `delivery ${inv.deliveryStatus.toLowerCase()}` },
          `Email: ${DELIVERY_TEXT[inv.deliveryStatus]}${inv.sendCount > 1 ? ` (sent ${inv.sendCount} times)` : ''}`),
      ];
    } else if (agent.status === 'ACTIVE' && agent.activatedAt) {
      details = h('span', {}, `Joined ${formatDateTime(agent.activatedAt)}`);
    } else if (agent.status === 'REMOVED' && agent.removedAt) {
      details = h('span', {}, `Removed ${formatDateTime(agent.removedAt)}`);
    }
    return h('div', { role: 'row', class: 'agent', dataset: { agentId: agent.id } },
      h('span', { role: 'cell', class: 'name' }, agent.name ? agent.name : h('em', {}, 'Invitation pending')),
      h('span', { role: 'cell', class: 'email' }, agent.email),
      h('span', { role: 'cell', class: 'roles' }, agent.roles.length
        ? agent.roles.map((r) => h('span', { class: 'chip' }, r.name)) : h('span', { class: 'muted' }, 'No roles')),
      h('span', { role: 'cell' }, h('span', { class: `status ${agent.status.toLowerCase()}` }, STATUS_TEXT[agent.status])),
      h('span', { role: 'cell', class: 'details' }, details),
      h('span', { role: 'cell', class: 'actions' }, actionsMenu(agent)));
  }

  // ---- the kebab menu: exactly what viewerCan allows
  function actionsMenu(agent) {
    const can = agent.viewerCan;
    const items = [];
    if (can.resendActivationLink) {
      const at = agent.invitation ? Date.parse(agent.invitation.resendAvailableAt) : 0;
      const waiting = at > Date.now();
      items.push({
        label: 'Re-send activation link',
        disabled: waiting,
        note: waiting ? `Available at ${formatTime(agent.invitation.resendAvailableAt)}` : null,
        onSelect: () => resend(agent),
      });
    }
    if (can.updateRoles) items.push({ label: 'Edit roles', onSelect: (b) => editRolesDialog(agent, b) });
    if (can.reinvite) items.push({ label: 'Re-invite agent', onSelect: (b) => reinviteDialog(agent, b) });
    if (can.remove) items.push({ label: 'Remove agent', onSelect: (b) => removeDialog(agent, b) });
    if (items.length === 0) return h('span', { class: 'muted', title: blockedReasons(agent) }, '—');
    return menuButton({ label: `More actions for ${agent.email}`, items, key: `kebab:${agent.id}` }).element;
  }

  function blockedReasons(agent) {
    return agent.viewerCan.blocked.map((b) => b.message).join(' ');
  }

  function kebabOf(agent, fallback) {
    return () => body.querySelector(`[data-focus-key="kebab:${CSS.escape(agent.id)}"]`) || (fallback?.isConnected ? fallback : main.querySelector('h1'));
  }

  function showError(message) {
    fill(notice, h('div', { role: 'alert', class: 'error banner' }, message,
      h('button', { type: 'button', class: 'link', onclick: () => fill(notice) }, 'Dismiss')));
  }

  function showNotice(...content) {
    fill(notice, h('div', { role: 'status', class: 'notice banner' }, ...content,
      h('button', { type: 'button', class: 'link', onclick: () => fill(notice) }, 'Dismiss')));
  }

  async function resend(agent) {
    try {
      await gql(`mutation Resend($input: ResendActivationLinkInput!) { resendActivationLink(input: $input) { agent { ...AgentRow } } } ${AGENT_ROW}`,
        { input: { agentId: agent.id } });
      showNotice(`A new activation link is on its way to ${agent.email}. The previous link no longer works.`);
      announce(`Activation link re-sent to ${agent.email}.`);
    } catch (err) {
      showError(explain(err));
    }
    await load();
  }

  async function grantable() {
    const data = await gql('query GrantableRoles { grantableRoles { id name description } }');
    return data.grantableRoles;
  }

  // ---- invite
  async function inviteDialog(opener) {
    let roles;
    try {
      roles = await grantable();
    } catch (err) {
      showError(explain(err));
      return;
    }
    openDialog({
      title: 'Invite agent',
      returnFocus: () => (opener.isConnected ? opener : main.querySelector('h1')),
      content: (dlg) => {
        const errors = h('div', { class: 'form-error' });
        const emails = h('textarea', { id: 'invite-emails', rows: '3', 'aria-describedby': 'invite-emails-hint', autocomplete: 'off', spellcheck: 'false' });
        const choices = roleChoices({ legend: 'Roles', roles, hint: 'Every address gets these roles. You can grant only roles whose permissions you hold.' });
        const send = h('button', { type: 'submit', class: 'primary' }, 'Send invitations');
        const form = h('form', { method: 'dialog', class: 'stack', novalidate: true },
          h('div', { class: 'field' }, h('label', { for: 'invite-emails' }, 'Emails'), emails,
            h('span', { id: 'invite-emails-hint', class: 'hint' }, 'One or more addresses, separated by commas, spaces or new lines.')),
          choices, errors,
          h('div', { class: 'buttons' }, h('button', { type: 'button', class: 'secondary', onclick: () => dlg.close() }, 'Cancel'), send));
        onSubmit(form, send, errors, async () => {
          const list = [...new Set(emails.value.split(/[\s,;]+/).map((s) => s.trim()).filter(Boolean))];
          const roleIds = choices.selected();
          if (list.length === 0) return fill(errors, alertBox('Give at least one email address.'));
          if (list.length > 100) return fill(errors, alertBox('Invite at most 100 addresses at once.'));
          if (roleIds.length === 0) return fill(errors, alertBox('Choose at least one role.'));
          const data = await gql(`mutation Invite($input: InviteAgentsInput!) {
            inviteAgents(input: $input) { invited { id email } failures { email code message } } }`,
          { input: { emails: list, roleIds } });
          const { invited, failures } = data.inviteAgents;
          if (invited.length) {
            announce(`Invited ${invited.length} ${invited.length === 1 ? 'agent' : 'agents'}.`);
            showNotice(`Invited ${invited.map((a) => a.email).join(', ')}. They are listed under Pending until they activate.`);
            load();
          }
          if (failures.length === 0) {
            dlg.close();
            return;
          }
          emails.value = failures.map((f) => f.email).join('\n');
          fill(errors, h('div', { role: 'alert', class: 'error' },
            h('p', {}, failures.length === 1 ? 'This address was not invited:' : 'These addresses were not invited:'),
            h('ul', {}, failures.map((f) => h('li', {}, h('strong', {}, f.email), ` — ${f.message}`)))));
        });
        return form;
      },
    });
  }

  // ---- edit roles
  async function editRolesDialog(agent, opener) {
    let roles;
    try {
      roles = await grantable();
    } catch (err) {
      showError(explain(err));
      return;
    }
    // Roles the agent holds but the viewer may not grant can still be kept
    // or taken away.
    const all = roles.concat(agent.roles.filter((r) => !roles.some((g) => g.id === r.id)));
    openDialog({
      title: 'Edit roles',
      returnFocus: kebabOf(agent, opener),
      content: (dlg) => {
        const errors = h('div', { class: 'form-error' });
        const choices = roleChoices({ legend: `Roles of ${agent.name || agent.email}`, roles: all, checked: agent.roles.map((r) => r.id) });
        const save = h('button', { type: 'submit', class: 'primary' }, 'Save roles');
        const form = h('form', { method: 'dialog', class: 'stack', novalidate: true }, choices, errors,
          h('div', { class: 'buttons' }, h('button', { type: 'button', class: 'secondary', onclick: () => dlg.close() }, 'Cancel'), save));
        onSubmit(form, save, errors, async () => {
          const roleIds = choices.selected();
          if (roleIds.length === 0) return fill(errors, alertBox('Choose at least one role. To take all access away, remove the agent.'));
          await gql(`mutation EditRoles($input: UpdateAgentRolesInput!) { updateAgentRoles(input: $input) { agent { ...AgentRow } } } ${AGENT_ROW}`,
            { input: { agentId: agent.id, roleIds } });
          announce(`Roles of ${agent.email} saved.`);
          dlg.close();
          load();
        });
        return form;
      },
    });
  }

  // ---- re-invite: roles are asked again, the old ones were not kept
  async function reinviteDialog(agent, opener) {
    let roles;
    try {
      roles = await grantable();
    } catch (err) {
      showError(explain(err));
      return;
    }
    openDialog({
      title: 'Re-invite agent',
      returnFocus: kebabOf(agent, opener),
      content: (dlg) => {
        const errors = h('div', { class: 'form-error' });
        const choices = roleChoices({ legend: 'Roles', roles, hint: 'Their previous roles and permissions were not kept: choose the roles they get now.' });
        const send = h('button', { type: 'submit', class: 'primary' }, 'Send invitation');
        const form = h('form', { method: 'dialog', class: 'stack', novalidate: true },
          h('p', {}, `${agent.name || agent.email} (${agent.email}) gets a new activation link and appears under Pending until they activate.`),
          choices, errors,
          h('div', { class: 'buttons' }, h('button', { type: 'button', class: 'secondary', onclick: () => dlg.close() }, 'Cancel'), send));
        onSubmit(form, send, errors, async () => {
          const roleIds = choices.selected();
          if (roleIds.length === 0) return fill(errors, alertBox('Choose at least one role.'));
          await gql(`mutation Reinvite($input: InviteAgentInput!) { inviteAgent(input: $input) { agent { ...AgentRow } } } ${AGENT_ROW}`,
            { input: { email: agent.email, roleIds } });
          showNotice(`${agent.email} is invited again; find them under Pending.`);
          dlg.close();
          load();
        });
        return form;
      },
    });
  }

  // ---- remove: the dialog says what follows
  function removeDialog(agent, opener) {
    const who = agent.name ? `${agent.name} (${agent.email})` : agent.email;
    openDialog({
      title: 'Remove agent?',
      className: 'danger',
      returnFocus: kebabOf(agent, opener),
      content: (dlg) => {
        const errors = h('div', { class: 'form-error' });
        const open = h('p', { class: 'count', 'aria-live': 'polite' });
        const confirm = h('button', { type: 'submit', class: 'danger' }, 'Remove');
        const form = h('form', { method: 'dialog', class: 'stack' },
          h('ul', { class: 'consequences' },
            h('li', {}, agent.status === 'PENDING'
              ? `${who} loses access to the workspace at once: their activation link stops working.`
              : `${who} loses access to the workspace at once: they are signed out everywhere and cannot sign in again.`),
            h('li', {}, 'Conversations assigned to them stay assigned and show a caution badge until someone reassigns them.'),
            h('li', {}, 'You can re-invite them later; their roles are not kept.')),
          open, errors,
          h('div', { class: 'buttons' }, h('button', { type: 'button', class: 'secondary', autofocus: true, onclick: () => dlg.close() }, 'Cancel'), confirm));
        if (app.can('CONVERSATIONS_READ_ALL')) {
          gql(`query OpenOfAgent($filter: ConversationFilter) { conversations(first: 1, filter: $filter) { totalCount } }`,
            { filter: { assigneeId: agent.id, status: ['OPEN', 'PENDING'] } })
            .then((d) => {
              const n = d.conversations.totalCount;
              open.textContent = n === 0 ? 'They have no open conversations.'
                : `They have ${n} open ${n === 1 ? 'conversation' : 'conversations'}, which will show the caution badge.`;
            })
            .catch(() => {});
        }
        onSubmit(form, confirm, errors, async () => {
          const data = await gql(`mutation Remove($input: RemoveAgentInput!) { removeAgent(input: $input) { affectedConversations agent { id } } }`,
            { input: { agentId: agent.id } });
          const n = data.removeAgent.affectedConversations;
          dlg.close();
          showNotice(`${who} was removed. `,
            n === 0 ? 'No open conversations were assigned to them.'
              : [`${n} open ${n === 1 ? 'conversation shows' : 'conversations show'} a caution badge: `,
                h('a', { href: '/app/conversations?attention=1' }, 'reassign them in Needs attention'), '.']);
          announce(`${who} was removed.`);
          load();
        });
        return form;
      },
    });
  }

  // ---- live: any change to the workspace's agents refreshes the list
  const refresh = debounce(() => whenIdle(load), 100);
  const stop = app.live.subscribe('subscription AgentsLive { agentChanged { change agent { id } } }', {},
    { next: refresh, reconnect: refresh });

  load();
  main.querySelector('h1').focus({ preventScroll: true });
  return {
    leave() {
      state.left = true;
      clearTimeout(cooldownTimer);
      stop();
    },
  };
}
