import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../../lib/clock.js';
import { AgentRegistry } from '../../../brain/ingest/agents.js';
import { EventLog } from '../../../brain/state/event-log.js';
import { IncidentStore } from '../../../brain/incidents/incident-store.js';
import { Correlator } from '../../../brain/correlate/correlator.js';
import { Topology } from '../../../brain/topology/topology.js';

t.test('hosts nobody declared get their colour from what their agents announce to the AgentRegistry', async (t) => {
  const clock = new FakeClock();
  const events = new EventLog({ clock });
  const agents = new AgentRegistry({ clock, events, silentAfterMs: 3_000 });
  for (let i = 1; i <= 6; i++) {
    const a = agents.ensure(`ws-green-${i}`);
    a.host = `ws-green-${i}.floor`;
    a.labels = { colour: 'green', desk: `eq-${i}` };
  }
  const topology = new Topology();
  const store = new IncidentStore({ file: join(mkdtempSync(join(tmpdir(), 'fw-agents-')), 'i.jsonl'), clock });
  new Correlator({ clock, topology, store, agents }).attach(events);
  for (let i = 1; i <= 6; i++) {
    events.publish({
      timeUs: clock.nowUs(),
      kind: 'alert.firing',
      source: 'brain',
      agentId: `ws-green-${i}`,
      tags: { agent: `ws-green-${i}`, alertname: 'AgentSilent', rule: 'AgentSilent' },
      attrs: { severity: 'major' },
      values: {},
      severity: 3,
    });
    clock.advance(10);
  }
  t.equal(store.list().length, 1);
  t.match(store.list()[0]!.title, /^6 of 6 green hosts silent at once/);
  t.same(
    store.list()[0]!.impact.hosts,
    [1, 2, 3, 4, 5, 6].map((i) => `ws-green-${i}.floor`),
  );
});
