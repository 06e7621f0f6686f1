// agentdesk's Apollo Client 4 setup: queries and mutations over HTTP with
// automatic persisted queries (APQ), subscriptions over graphql-ws, the
// session token in the Authorization header and in connection_init.
// README "For frontend developers" shows this file; apollo/check.mjs runs it
// against a live server in CI.
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from '@apollo/client';
import { SetContextLink } from '@apollo/client/link/context';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { getMainDefinition } from '@apollo/client/utilities';
import { createClient } from 'graphql-ws';

// APQ sends a query's SHA-256 instead of its text once the server knows it.
async function sha256(text) {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

export function createAgentdeskClient({
  httpUrl, // e.g. 'http://localhost:8080/query'
  wsUrl, // e.g. 'ws://localhost:8080/query'
  getToken, // () => the session token, or null when signed out
  webSocketImpl, // browsers: leave out; Node.js 20: WebSocket from 'ws'
  fetch, // leave out to use the global fetch
}) {
  const withToken = new SetContextLink(({ headers }) => {
    const token = getToken();
    return { headers: token ? { ...headers, Authorization: `Bearer ${token}` } : headers };
  });
  const http = ApolloLink.from([withToken, new PersistedQueryLink({ sha256 }), new HttpLink({ uri: httpUrl, fetch })]);

  // Browsers cannot set headers on a WebSocket: the token travels in
  // connection_init. A bad or missing one closes the socket with code 4401.
  const socket = createClient({
    url: wsUrl,
    webSocketImpl,
    lazy: true, // connect on the first subscription
    connectionParams: () => {
      const token = getToken();
      return token ? { Authorization: `Bearer ${token}` } : {};
    },
    shouldRetry: (event) => event?.code !== 4401,
  });
  const isSubscription = ({ query }) => {
    const definition = getMainDefinition(query);
    return definition.kind === 'OperationDefinition' && definition.operation === 'subscription';
  };

  const client = new ApolloClient({
    link: ApolloLink.split(isSubscription, new GraphQLWsLink(socket), http),
    cache: new InMemoryCache(),
    // Sent as apollographql-client-name and -version (CORS allows them).
    clientAwareness: { name: 'agentdesk-web', version: '1.0.0' },
  });
  // After signing in or out: socket.terminate() reconnects with the new
  // token, client.clearStore() forgets the previous viewer's data.
  return { client, socket };
}
