// After tsc: ajv's standalone code for the agent's config schemas, next to dist/agent/config.js,
// so the agent neither loads ajv nor compiles a schema at start (lib/config-file.ts
// usePrecompiled; docs/benchmarks.md #12). Each file carries its schema's digest and is used
// only for that exact schema.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { precompiledModule } = await import(join(root, 'dist/lib/config-file.js'));
const config = await import(join(root, 'dist/agent/config.js'));
const schemas = { agent: config.agentSchema(), pushable: config.pushableSchema() };
for (const [name, schema] of Object.entries(schemas)) {
  const out = join(root, 'dist/agent', config.PRECOMPILED[name]);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, precompiledModule(schema));
}
