// Compiled with the generated code (tsc --strict): the generated documents
// and types are what a component would use, so a schema change that breaks
// them breaks this build.
import { AgentRowFragmentDoc, type AgentsPageQuery, type AgentsPageQueryVariables } from './gen/graphql';
import { useFragment } from './gen/fragment-masking';

export const firstPage: AgentsPageQueryVariables = { first: 50, filter: { status: ['PENDING'] } };

export function rowLabels(page: AgentsPageQuery): string[] {
  return page.agents.edges.map((edge) => {
    const row = useFragment(AgentRowFragmentDoc, edge.node);
    const delivery = row.invitation?.deliveryStatus ?? 'none';
    return `${row.name ?? 'Invitation pending'} <${row.email}> ${row.status} ${delivery} ${row.roles.map((r) => r.name).join(', ')}`;
  });
}
