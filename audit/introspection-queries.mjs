// Writes graphql-js's introspection queries, exactly as clients send them,
// to graph/testdata/introspection/ for TestClientIntrospectionQueries:
//
//	npm ci --prefix audit && node audit/introspection-queries.mjs
//
// graphql-js-default is getIntrospectionQuery() (GraphQL Code Generator,
// Apollo's tooling); graphql-js-all-options asks for everything the
// function can (descriptions, specifiedByURL, isRepeatable, the schema's
// description, deprecated arguments and input fields, isOneOf).
import { writeFileSync } from 'node:fs';
import { getIntrospectionQuery, version } from 'graphql';

const dir = new URL('../graph/testdata/introspection/', import.meta.url);
const queries = {
  'graphql-js-default': getIntrospectionQuery(),
  'graphql-js-all-options': getIntrospectionQuery({
    descriptions: true,
    specifiedByUrl: true,
    directiveIsRepeatable: true,
    schemaDescription: true,
    inputValueDeprecation: true,
    oneOf: true,
  }),
};
for (const [name, query] of Object.entries(queries)) {
  writeFileSync(new URL(`${name}.graphql`, dir), `# graphql-js ${version}: node audit/introspection-queries.mjs\n${query}`);
}
