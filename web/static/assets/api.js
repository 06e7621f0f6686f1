// The GraphQL API over HTTP (POST /query), with the session token the
// sign-in or activation put in sessionStorage: it lives as long as the tab
// and is sent in the Authorization header, never in a cookie.

const TOKEN_KEY = 'agentdesk.session';

export function sessionToken() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function keepSession(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function forgetSession() {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** An error the API answered, with the contract's code (BEHAVIOUR.md §2). */
export class ApiError extends Error {
  constructor(errors) {
    const first = errors[0] || {};
    super(first.message || 'Something went wrong.');
    this.errors = errors;
    this.code = first.extensions?.code || 'INTERNAL';
    this.field = first.extensions?.field;
    this.retryAfterSeconds = first.extensions?.retryAfterSeconds;
  }
}

const listeners = new Set();
/** fn() runs when the API says the session is gone (UNAUTHENTICATED). */
export function onSignedOut(fn) {
  listeners.add(fn);
}

/**
 * Runs one operation; resolves to its data or rejects with an ApiError.
 * anonymous leaves the session out (the activation page's operations are
 * public, and a stale session must not fail them).
 */
export async function gql(query, variables = {}, { anonymous = false } = {}) {
  const headers = { 'Content-Type': 'application/json', Accept: 'application/json' };
  const token = anonymous ? null : sessionToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  let res;
  try {
    res = await fetch('/query', { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  } catch {
    throw new ApiError([{ message: 'agentdesk cannot be reached. Check your connection and try again.', extensions: { code: 'NETWORK' } }]);
  }
  let body;
  try {
    body = await res.json();
  } catch {
    throw new ApiError([{ message: `agentdesk answered ${res.status}. Try again in a moment.` }]);
  }
  if (body.errors?.length) {
    const err = new ApiError(body.errors);
    if (err.code === 'UNAUTHENTICATED' && token) {
      forgetSession();
      for (const fn of listeners) fn();
    }
    throw err;
  }
  return body.data;
}

/** A sentence for a person from an ApiError (or anything thrown). */
export function explain(err) {
  if (!(err instanceof ApiError)) return 'Something went wrong. Try again.';
  if (err.code === 'RATE_LIMITED' && err.retryAfterSeconds) {
    return `${err.message} Try again in ${err.retryAfterSeconds} s.`;
  }
  return err.message;
}
