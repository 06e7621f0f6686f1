// Helpers for the browser tests: launching Debian's Chromium, polling with a
// bound, axe-core, the API for set-up, and the tests' mailbox.

import { createRequire } from 'node:module';
import { readFileSync, mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export const BASE = process.env.BASE_URL;
export const MAILBOX = process.env.MAILBOX_URL;
export const SHOTS = process.env.SCREENSHOT_DIR || '';

// This machine has no network beyond the package registries: without these
// flags Chromium's background connections fail noisily.
export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}

export function log(...args) {
  console.log(`[${new Date().toISOString().slice(11, 23)}]`, ...args);
}

export class Failure extends Error {}

export function check(cond, message) {
  if (!cond) throw new Failure(message);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls fn until it returns a truthy value; fails after ms with what. Returns
 * the time it took (ms), which the live checks report.
 */
export async function within(ms, what, fn) {
  const start = Date.now();
  let last;
  for (;;) {
    try {
      if (await fn()) return Date.now() - start;
    } catch (err) {
      last = err;
    }
    if (Date.now() - start > ms) {
      throw new Failure(`${what}: not within ${ms} ms${last ? ` (last error: ${last.message.split('\n')[0]})` : ''}`);
    }
    await sleep(40);
  }
}

/**
 * A page that fails the test on any script error, any Content-Security-Policy
 * violation and any failed request to our origin (other than the answers the
 * test provokes on purpose: the API's 4xx are GraphQL errors).
 */
const openPages = [];

/** Screenshots of every open page, for a failed run (ARTIFACT_DIR). */
export async function saveFailureScreenshots() {
  const dir = process.env.ARTIFACT_DIR;
  if (!dir) return;
  for (const page of openPages) {
    if (page.isClosed()) continue;
    await page.screenshot({ path: `${dir}/${page.label}.png`, fullPage: true }).catch(() => {});
  }
}

export async function newPage(context, label) {
  const page = await context.newPage();
  page.label = label.replace(/[^a-z0-9]+/gi, '-');
  openPages.push(page);
  // Fail fast: each step is a click or a few requests on loopback.
  page.setDefaultTimeout(10000);
  page.problems = [];
  page.on('pageerror', (err) => page.problems.push(`${label}: script error: ${err.message}`));
  page.on('console', (msg) => {
    const text = msg.text();
    if (msg.type() === 'error' && !/Failed to load resource: the server responded with a status of 4\d\d/.test(text)) {
      page.problems.push(`${label}: console error: ${text}`);
    }
  });
  return page;
}

export function noProblems(...pages) {
  const problems = pages.flatMap((p) => p.problems);
  check(problems.length === 0, `the pages reported problems:\n${problems.join('\n')}`);
}

/** axe-core on the page as it is: no serious or critical violation. */
export async function axe(page, where) {
  // evaluate() runs through the DevTools protocol, which the page's CSP does
  // not govern; a <script> tag would be (rightly) refused by it.
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5) }));
  });
  const bad = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const minor = result.filter((v) => !bad.includes(v));
  if (minor.length) log(`axe (${where}): minor: ${minor.map((v) => `${v.id} (${v.impact})`).join(', ')}`);
  check(bad.length === 0, `axe (${where}): ${JSON.stringify(bad, null, 2)}`);
  log(`axe (${where}): no serious or critical violations`);
}

export async function screenshot(page, name, options = {}) {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: `${SHOTS}/${name}.png`, ...options });
  log(`screenshot ${name}.png`);
}

/** A GraphQL request to the server (set-up the pages have no button for). */
export async function api(query, variables = {}, token = null) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(`${BASE}/query`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  const body = await res.json();
  if (body.errors?.length) throw new Failure(`API: ${JSON.stringify(body.errors)}`);
  return body.data;
}

/** The emails the tests' SMTP server received for an address. */
export async function mails(to) {
  const res = await fetch(`${MAILBOX}/messages?to=${encodeURIComponent(to)}`);
  return res.json();
}

/** Waits for the n-th email (1-based) to an address; returns its activation link. */
export async function nthLink(to, n) {
  let link;
  await within(20000, `email #${n} to ${to}`, async () => {
    const list = await mails(to);
    if (list.length >= n) link = list[n - 1].links[0];
    return link;
  });
  return link;
}

/** Makes the tests' SMTP server refuse the next n deliveries. */
export async function refuseDeliveries(n) {
  const res = await fetch(`${MAILBOX}/refuse?n=${n}`, { method: 'POST' });
  if (res.status !== 204) throw new Failure(`refuse: ${res.status}`);
}

/** Moves the clock past an activation link's expiry (the Go test's hook). */
export async function expireLink(link) {
  const res = await fetch(`${MAILBOX}/expire?link=${encodeURIComponent(link)}`, { method: 'POST' });
  if (res.status !== 204) throw new Failure(`expire ${link}: ${res.status} ${await res.text()}`);
}
