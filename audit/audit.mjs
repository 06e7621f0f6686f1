// Runs graphql-http's GraphQL-over-HTTP server audits against a running
// agentdesk: node audit.mjs http://127.0.0.1:8080/query
// Exits 1 if any MUST audit fails; prints every audit that is not ok.
import { serverAudits } from 'graphql-http';

const url = process.argv[2] ?? 'http://127.0.0.1:8080/query';
let failedMust = 0;
let ok = 0;
const notOk = [];
for (const audit of serverAudits({ url })) {
  const result = await audit.fn();
  if (result.status === 'ok') {
    ok++;
    continue;
  }
  if (result.status === 'error' && audit.name.startsWith('MUST')) failedMust++;
  notOk.push(`${result.status.toUpperCase().padEnd(6)} ${audit.id} ${audit.name}: ${result.reason}`);
}
for (const line of notOk) console.log(line);
console.log(`graphql-http audit: ${ok} ok, ${notOk.length} not ok, ${failedMust} failed MUST`);
process.exit(failedMust > 0 ? 1 : 0);
