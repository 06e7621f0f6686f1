// Live updates: GraphQL subscriptions over one WebSocket at /query, in the
// graphql-transport-ws protocol. The session token goes in connection_init
// (a browser cannot set headers on a WebSocket). A dropped socket is opened
// again with back-off, and every subscriber is told (onReconnect) so the
// page can fetch what it missed; close code 4401 means the session is gone.

import { sessionToken } from './api.js';

const PROTOCOL = 'graphql-transport-ws';

export class LiveConnection {
  constructor({ onSessionEnded } = {}) {
    this.onSessionEnded = onSessionEnded;
    this.subs = new Map(); // id -> {query, variables, next, reconnect}
    this.nextId = 1;
    this.socket = null;
    this.ready = false;
    this.retry = 0;
    this.closed = false;
    this.connectedOnce = false;
  }

  /** Starts a subscription; returns a function that stops it. */
  subscribe(query, variables, { next, reconnect }) {
    const id = String(this.nextId++);
    this.subs.set(id, { query, variables, next, reconnect });
    if (this.ready) this.sendSubscribe(id);
    else this.open();
    return () => {
      if (!this.subs.delete(id)) return;
      if (this.ready) this.send({ id, type: 'complete' });
    };
  }

  close() {
    this.closed = true;
    this.subs.clear();
    clearTimeout(this.timer);
    if (this.socket) this.socket.close(1000, 'bye');
  }

  open() {
    if (this.socket || this.closed) return;
    const url = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/query`;
    const socket = new WebSocket(url, PROTOCOL);
    this.socket = socket;
    socket.addEventListener('open', () => {
      this.send({ type: 'connection_init', payload: { Authorization: `Bearer ${sessionToken() || ''}` } });
    });
    socket.addEventListener('message', (event) => this.receive(event));
    socket.addEventListener('close', (event) => this.dropped(event));
  }

  receive(event) {
    let msg;
    try {
      msg = JSON.parse(event.data);
    } catch {
      return;
    }
    switch (msg.type) {
      case 'connection_ack': {
        this.ready = true;
        this.retry = 0;
        for (const id of this.subs.keys()) this.sendSubscribe(id);
        if (this.connectedOnce) {
          for (const sub of this.subs.values()) sub.reconnect?.();
        }
        this.connectedOnce = true;
        break;
      }
      case 'ping':
        this.send({ type: 'pong' });
        break;
      case 'next': {
        const sub = this.subs.get(msg.id);
        if (sub && msg.payload?.data) sub.next(msg.payload.data);
        break;
      }
      case 'error':
        // The subscription was refused (e.g. a permission): stop asking.
        this.subs.delete(msg.id);
        break;
      default:
    }
  }

  dropped(event) {
    this.socket = null;
    this.ready = false;
    if (this.closed) return;
    if (event.code === 4401 || event.code === 4403) {
      this.onSessionEnded?.();
      return;
    }
    if (this.subs.size === 0) return;
    // 0.5 s, 1 s, 2 s … up to 15 s between attempts.
    const delay = Math.min(15000, 500 * 2 ** this.retry);
    this.retry += 1;
    this.timer = setTimeout(() => this.open(), delay);
  }

  sendSubscribe(id) {
    const sub = this.subs.get(id);
    this.send({ id, type: 'subscribe', payload: { query: sub.query, variables: sub.variables } });
  }

  send(msg) {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(msg));
  }
}
