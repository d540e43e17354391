import t from 'tap';
import { loadAgentConfig } from '../agent/config.js';
import { loadBrainConfig } from '../brain/config.js';

t.test('the example configurations in docs/examples are valid', async (t) => {
  const brain = loadBrainConfig('docs/examples/brain.yaml');
  t.equal(brain.store.kind, 'influx-v1');
  t.equal(brain.tls?.require_client_cert, true);
  t.same(Object.fromEntries(Object.entries(brain.access.users).map(([n, u]) => [n, u.role])), {
    'wall-ldn-1': 'viewer',
    alice: 'operator',
    carol: 'admin',
    prometheus: 'viewer',
  });
  const agent = loadAgentConfig('docs/examples/agent.yaml');
  t.equal(agent.agent.labels['colour'], 'red');
  t.same(Object.keys(agent.samplers).sort(), ['local', 'log', 'memory', 'nic', 'process']);
});
