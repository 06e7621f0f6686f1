// GraphQL Code Generator for agentdesk: the schema comes from a running
// server's URL, as a frontend team would load it (the server's introspection
// in development), and the operations in operations/ become typed documents
// in gen/. .ci/run runs it and compiles the output with tsc --strict:
//
//	AGENTDESK_URL=http://localhost:8080/query npx graphql-codegen --config codegen.ts
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: process.env.AGENTDESK_URL ?? 'http://localhost:8080/query',
  documents: ['operations/**/*.graphql'],
  generates: {
    'gen/': {
      preset: 'client',
      config: {
        // The scalars of schema.graphqls: Time is an RFC 3339 string.
        scalars: { Time: 'string' },
        enumsAsTypes: true,
        useTypeImports: true,
      },
    },
  },
  ignoreNoDocuments: false,
};

export default config;
