// Runs the README's Apollo Client setup (client.mjs) against a live
// agentdesk, as a frontend would: sign up, queries and mutations over
// HttpLink with automatic persisted queries, and (APOLLO_SUBSCRIPTIONS=on)
// an agentChanged event after an invitation, over graphql-ws.
//
//	AGENTDESK_URL=http://127.0.0.1:8080/query node --test apollo/check.mjs
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gql } from '@apollo/client';
import WebSocket from 'ws';
import { createAgentdeskClient } from './client.mjs';

const httpUrl = process.env.AGENTDESK_URL ?? 'http://127.0.0.1:8080/query';
const wsUrl = httpUrl.replace(/^http/, 'ws');
const subscriptions = process.env.APOLLO_SUBSCRIPTIONS === 'on';

// Every request the client sends, as the server received it.
const sent = [];
const recordingFetch = async (url, init) => {
  sent.push({ headers: new Headers(init.headers), body: JSON.parse(init.body) });
  return fetch(url, init);
};

let token = null;
const { client, socket } = createAgentdeskClient({
  httpUrl, wsUrl, getToken: () => token, webSocketImpl: WebSocket, fetch: recordingFetch,
});
const unique = `${Date.now()}-${process.pid}`;

const SIGN_UP = gql`
  mutation SignUp($input: CreateWorkspaceInput!) {
    createWorkspace(input: $input) { token agent { id name } }
  }
`;
const ROLES = gql`query Roles { roles { id name } }`;
const AGENTS = gql`
  query Agents { agents(first: 20) { totalCount edges { node { id email status } } } }
`;
const INVITE = gql`
  mutation Invite($input: InviteAgentInput!) { inviteAgent(input: $input) { agent { id email status } } }
`;
const AGENT_CHANGED = gql`
  subscription AgentChanged { agentChanged { change agent { id email status } } }
`;

test('sign up, then query with the session token over HttpLink', async () => {
  const { data } = await client.mutate({
    mutation: SIGN_UP,
    variables: { input: { workspaceName: 'Apollo check', ownerName: 'Olga', ownerEmail: `olga-${unique}@example.com`, password: 'correct horse battery' } },
  });
  assert.ok(data.createWorkspace.token);
  token = data.createWorkspace.token;
  const agents = await client.query({ query: AGENTS, fetchPolicy: 'network-only' });
  assert.equal(agents.data.agents.totalCount, 1);
  assert.equal(agents.data.agents.edges[0].node.email, `olga-${unique}@example.com`);
  const last = sent.at(-1);
  assert.equal(last.headers.get('authorization'), `Bearer ${token}`);
  assert.equal(last.headers.get('apollographql-client-name'), 'agentdesk-web');
});

test('automatic persisted queries: the hash alone once the server knows the query', async () => {
  // A query this server has not seen yet (an alias of its own).
  const FRESH = gql`query Fresh { roles { id name } run_${unique.replace(/-/g, '_')}: viewer { id } }`;
  const before = sent.length;
  const first = await client.query({ query: FRESH, fetchPolicy: 'network-only' });
  assert.ok(first.data.roles.length >= 4);
  const firstRequests = sent.slice(before);
  // Unknown hash: the link sends the hash, the server answers
  // PersistedQueryNotFound, the link sends the query with its hash.
  assert.equal(firstRequests.length, 2);
  assert.equal(firstRequests[0].body.query, undefined);
  assert.match(firstRequests[0].body.extensions.persistedQuery.sha256Hash, /^[0-9a-f]{64}$/);
  assert.ok(firstRequests[1].body.query.includes('roles'));

  const again = sent.length;
  const second = await client.query({ query: FRESH, fetchPolicy: 'network-only' });
  assert.deepEqual(second.data, first.data);
  assert.equal(sent.length, again + 1);
  assert.equal(sent.at(-1).body.query, undefined, 'the second time only the hash travels');
});

test('agentChanged arrives after an invitation (graphql-ws, connection_init auth)', { skip: !subscriptions && 'APOLLO_SUBSCRIPTIONS=off' }, async () => {
  const roles = await client.query({ query: ROLES });
  const agentRole = roles.data.roles.find((r) => r.name === 'Agent');
  const email = `ana-${unique}@example.com`;
  const event = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no agentChanged event within 10 s')), 10_000);
    const sub = client.subscribe({ query: AGENT_CHANGED }).subscribe({
      next: ({ data, error }) => {
        if (error) { clearTimeout(timer); reject(error); return; }
        if (data?.agentChanged.agent.email === email) { clearTimeout(timer); sub.unsubscribe(); resolve(data.agentChanged); }
      },
      error: (err) => { clearTimeout(timer); reject(err); },
    });
  });
  // The socket is open and subscribed before the change is made.
  await new Promise((resolve) => { const off = socket.on('connected', () => { off(); setTimeout(resolve, 300); }); });
  await client.mutate({ mutation: INVITE, variables: { input: { email, roleIds: [agentRole.id] } } });
  const change = await event;
  assert.equal(change.change, 'INVITED');
  assert.equal(change.agent.status, 'PENDING');
});

test.after(async () => {
  await socket.dispose();
  client.stop();
});
