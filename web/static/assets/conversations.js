// The conversations page: the list, the "Needs attention" toggle (only the
// conversations with a caution: their assignee was removed), the caution
// badge naming the removed agent, and Reassign. Live through the
// conversationChanged (and, for those who may read agents, agentChanged)
// subscriptions.

import { gql, explain } from './api.js';
import { h, fill, debounce, announce, formatDateTime } from './dom.js';
import { openDialog, alertBox, whenIdle, onSubmit } from './ui.js';

const LIST = `query ConversationsPage($filter: ConversationFilter, $first: Int!, $after: String) {
  conversations(first: $first, after: $after, filter: $filter) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node {
      id subject status channel caution lastMessageAt createdAt
      contact { name email phone }
      assignee { id name email status }
    } }
  }
}`;

const CHANNEL_TEXT = {
  EMAIL: 'Email', WEB_CHAT: 'Web chat', WHATSAPP: 'WhatsApp', FACEBOOK: 'Facebook',
  INSTAGRAM: 'Instagram', TELEGRAM: 'Telegram', SMS: 'SMS', API: 'API',
};
const STATUS_TEXT = { OPEN: 'Open', PENDING: 'Pending', RESOLVED: 'Resolved' };
const PAGE_SIZE = 50;

export function conversationsPage(main, app) {
  document.title = 'Conversations · agentdesk';
  const state = {
    attention: new URLSearchParams(location.search).get('attention') === '1',
    items: [],
    pageInfo: null,
    total: 0,
    seq: 0,
    left: false,
  };

  const notice = h('div', { class: 'notices' });
  const toggle = h('button', {
    type: 'button', class: 'toggle', 'aria-pressed': String(state.attention),
    onclick: () => {
      state.attention = !state.attention;
      toggle.setAttribute('aria-pressed', String(state.attention));
      history.replaceState(null, '', `/app/conversations${state.attention ? '?attention=1' : ''}`);
      state.items = [];
      load();
    },
  }, h('span', { class: 'icon', 'aria-hidden': 'true' }, '⚠'), 'Needs attention');
  const summary = h('p', { class: 'summary', 'aria-live': 'polite' });
  const body = h('div', { role: 'rowgroup' });
  const table = h('div', { role: 'table', class: 'grid conversations', 'aria-label': 'Conversations' },
    h('div', { role: 'rowgroup', class: 'head' }, h('div', { role: 'row' },
      ['Subject', 'Contact', 'Channel', 'Status', 'Assignee', 'Actions'].map((c) => h('span', { role: 'columnheader' },
        c === 'Actions' ? h('span', { class: 'visually-hidden' }, c) : c)))),
    body);
  const empty = h('p', { class: 'empty', hidden: true });
  const more = h('button', { type: 'button', class: 'secondary', hidden: true, onclick: () => load({ append: true }) }, 'Show more conversations');

  fill(main,
    h('div', { class: 'page-head' }, h('h1', { tabindex: '-1' }, 'Conversations')),
    notice,
    h('div', { class: 'toolbar' }, toggle, summary),
    table, empty, more);

  async function load({ append = false } = {}) {
    const seq = ++state.seq;
    const first = append ? PAGE_SIZE : Math.min(100, Math.max(PAGE_SIZE, state.items.length));
    try {
      const data = await gql(LIST, {
        filter: state.attention ? { caution: 'ASSIGNEE_REMOVED' } : null,
        first,
        after: append ? state.pageInfo?.endCursor : null,
      });
      if (seq !== state.seq || state.left) return;
      const rows = data.conversations.edges.map((e) => e.node);
      state.items = append ? state.items.concat(rows) : rows;
      state.pageInfo = data.conversations.pageInfo;
      state.total = data.conversations.totalCount;
      render();
    } catch (err) {
      if (seq === state.seq && !state.left) showError(explain(err));
    }
  }

  function render() {
    const focusKey = document.activeElement?.dataset?.focusKey;
    fill(body, state.items.map(row));
    if (focusKey) body.querySelector(`[data-focus-key="${CSS.escape(focusKey)}"]`)?.focus();
    const n = state.total;
    summary.textContent = state.attention
      ? `${n} ${n === 1 ? 'conversation needs' : 'conversations need'} attention`
      : `${n} ${n === 1 ? 'conversation' : 'conversations'}`;
    empty.textContent = state.attention
      ? 'Nothing needs attention: every conversation is assigned to an active agent or unassigned.'
      : 'No conversations.';
    empty.hidden = state.items.length > 0;
    table.hidden = state.items.length === 0;
    more.hidden = !state.pageInfo?.hasNextPage;
  }

  function assigneeName(agent) {
    return agent.name || agent.email;
  }

  function row(c) {
    const contact = c.contact.name || c.contact.email || c.contact.phone || 'Unknown contact';
    const assignee = c.assignee;
    const cautioned = c.caution === 'ASSIGNEE_REMOVED' && assignee;
    return h('div', { role: 'row', class: cautioned ? 'conversation cautioned' : 'conversation', dataset: { conversationId: c.id } },
      h('span', { role: 'cell', class: 'subject' }, c.subject || h('em', {}, 'No subject'),
        h('span', { class: 'when' }, formatDateTime(c.lastMessageAt || c.createdAt))),
      h('span', { role: 'cell' }, contact),
      h('span', { role: 'cell' }, CHANNEL_TEXT[c.channel] || c.channel),
      h('span', { role: 'cell' }, h('span', { class: `status ${c.status.toLowerCase()}` }, STATUS_TEXT[c.status])),
      h('span', { role: 'cell', class: 'assignee' },
        assignee ? assigneeName(assignee) : h('span', { class: 'muted' }, 'Unassigned'),
        cautioned ? h('span', {
          class: 'badge caution', role: 'img', 'aria-label': 'Caution: assignee removed',
          title: `${assigneeName(assignee)} was removed from the workspace and can no longer reach this conversation`,
        }, '⚠ Removed') : null),
      h('span', { role: 'cell', class: 'actions' },
        cautioned && app.can('CONVERSATIONS_ASSIGN')
          ? h('button', {
            type: 'button', class: 'secondary', dataset: { focusKey: `reassign:${c.id}` },
            'aria-describedby': null, onclick: (e) => reassignDialog(c, e.currentTarget),
          }, 'Reassign')
          : null));
  }

  function showError(message) {
    fill(notice, h('div', { role: 'alert', class: 'error banner' }, message,
      h('button', { type: 'button', class: 'link', onclick: () => fill(notice) }, 'Dismiss')));
  }

  async function reassignDialog(conversation, opener) {
    let agents;
    try {
      const data = await gql(`query Assignable { agents(first: 100, filter: {status: [ACTIVE]}, orderBy: {field: NAME}) {
        edges { node { id name email permissions } } } }`);
      agents = data.agents.edges.map((e) => e.node).filter((a) => a.permissions.includes('CONVERSATIONS_REPLY'));
    } catch (err) {
      showError(explain(err));
      return;
    }
    const from = conversation.assignee;
    openDialog({
      title: 'Reassign conversation',
      returnFocus: () => body.querySelector(`[data-focus-key="reassign:${CSS.escape(conversation.id)}"]`)
        || (opener.isConnected ? opener : main.querySelector('h1')),
      content: (dlg) => {
        const errors = h('div', { class: 'form-error' });
        const select = h('select', { id: 'reassign-to', required: true },
          h('option', { value: '' }, 'Choose an active agent'),
          agents.map((a) => h('option', { value: a.id }, a.name ? `${a.name} (${a.email})` : a.email)));
        const all = h('input', { type: 'checkbox', id: 'reassign-all' });
        const save = h('button', { type: 'submit', class: 'primary' }, 'Reassign');
        const form = h('form', { method: 'dialog', class: 'stack', novalidate: true },
          h('p', {}, `“${conversation.subject || 'No subject'}” is assigned to ${assigneeName(from)}, who was removed from the workspace.`),
          h('div', { class: 'field' }, h('label', { for: 'reassign-to' }, 'Assign to'), select),
          h('div', { class: 'choice' }, all, h('label', { for: 'reassign-all' }, `Also move every other open conversation of ${assigneeName(from)}`)),
          errors,
          h('div', { class: 'buttons' }, h('button', { type: 'button', class: 'secondary', onclick: () => dlg.close() }, 'Cancel'), save));
        onSubmit(form, save, errors, async () => {
          if (!select.value) return fill(errors, alertBox('Choose the agent to assign it to.'));
          if (all.checked) {
            const data = await gql(`mutation ReassignAll($input: ReassignConversationsInput!) {
              reassignConversations(input: $input) { reassignedCount } }`,
            { input: { fromAgentId: from.id, toAgentId: select.value, status: ['OPEN', 'PENDING'] } });
            const n = data.reassignConversations.reassignedCount;
            announce(`${n} ${n === 1 ? 'conversation' : 'conversations'} reassigned.`);
          }
          if (!all.checked || conversation.status === 'RESOLVED') {
            await gql(`mutation Assign($input: AssignConversationInput!) {
              assignConversation(input: $input) { conversation { id caution } } }`,
            { input: { conversationId: conversation.id, agentId: select.value } });
            announce('Conversation reassigned.');
          }
          dlg.close();
          load();
        });
        return form;
      },
    });
  }

  const refresh = debounce(() => whenIdle(load), 100);
  const stops = [app.live.subscribe('subscription ConversationsLive { conversationChanged { change conversation { id } } }', {},
    { next: refresh, reconnect: refresh })];
  if (app.can('AGENTS_READ')) {
    // A removal or re-activation changes the caution of many conversations at once.
    stops.push(app.live.subscribe('subscription AgentsForConversations { agentChanged { change } }', {},
      { next: refresh, reconnect: refresh }));
  }

  load();
  main.querySelector('h1').focus({ preventScroll: true });
  return {
    leave() {
      state.left = true;
      for (const stop of stops) stop();
    },
  };
}
