// Opens agentdesk's development playground (GET /) in Debian's Chromium and
// checks what a person would see: GraphiQL loads the schema with its own
// introspection query, without errors, and its Docs show the Query type.
//
//	npm ci --prefix clients/playground
//	node clients/playground/check.mjs http://127.0.0.1:8080 [screenshot.png] [--save-query FILE]
//
// The page loads GraphiQL and React from cdn.jsdelivr.net; this machine has
// no network, so the check answers those requests with the same files from
// the packages pinned here (a version other than the page's answers 404, and
// the page's SRI hashes still apply). --save-query writes the introspection
// query GraphiQL sent (graph/testdata/introspection/graphiql-*.graphql).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { chromium } from 'playwright-core';

const [base = 'http://127.0.0.1:8080', screenshot = '/tmp/agentdesk-playground.png'] = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && all[i - 1] !== '--save-query');
const saveQuery = process.argv.includes('--save-query') ? process.argv[process.argv.indexOf('--save-query') + 1] : null;
const require = createRequire(import.meta.url);
const packageDir = (name) => dirname(require.resolve(`${name}/package.json`));

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const served = [];
  await page.route('https://cdn.jsdelivr.net/npm/**', async (route) => {
    const m = new URL(route.request().url()).pathname.match(/^\/npm\/((?:@[^/]+\/)?[^@/]+)@([^/]+)\/(.+)$/);
    const dir = m && packageDir(m[1]);
    const pkg = dir && JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    if (!pkg || pkg.version !== m[2]) {
      return route.fulfill({ status: 404, body: 'not pinned in clients/playground' });
    }
    served.push(`${m[1]}@${m[2]}/${m[3]}`);
    const type = m[3].endsWith('.css') ? 'text/css' : 'application/javascript';
    return route.fulfill({ status: 200, body: readFileSync(join(dir, m[3])), headers: { 'content-type': type, 'access-control-allow-origin': '*' } });
  });
  const introspections = [];
  page.on('response', async (res) => {
    const req = res.request();
    if (!req.url().endsWith('/query') || req.method() !== 'POST') return;
    const body = req.postDataJSON();
    if (body?.query?.includes('__schema')) {
      introspections.push({ body, status: res.status(), answer: await res.json() });
    }
  });
  const pageErrors = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));

  await page.goto(`${base}/`);
  // GraphiQL's Docs button, then the root type the schema names.
  await page.getByRole('button', { name: 'Show Documentation Explorer' }).click({ timeout: 30_000 });
  await page.getByText('Query', { exact: true }).first().waitFor({ timeout: 30_000 });
  await page.getByRole('link', { name: 'Query' }).first().click();
  await page.getByText('agents', { exact: true }).first().waitFor({ timeout: 30_000 });
  await page.screenshot({ path: screenshot });

  assert.deepEqual(pageErrors, []);
  assert.ok(introspections.length >= 1, 'GraphiQL sent no introspection query');
  for (const { status, answer } of introspections) {
    assert.equal(status, 200);
    assert.equal(answer.errors, undefined, JSON.stringify(answer.errors));
    assert.ok(answer.data.__schema.types.some((t) => t.name === 'Agent'));
  }
  if (saveQuery) {
    const { body } = introspections[0];
    writeFileSync(saveQuery, `# GraphiQL 4.1.2 (the playground's) sends this: node clients/playground/check.mjs URL PNG --save-query FILE\n${body.query}`);
  }
  console.log(`ok: Docs shown (${screenshot}); ${introspections.length} introspection request(s), CDN files served: ${served.join(', ')}`);
} finally {
  await browser.close();
}
