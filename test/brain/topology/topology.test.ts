import t from 'tap';
import { loadTopologyFile, parseTopologyText } from '../../../brain/topology/topology-file.js';
import { Topology } from '../../../brain/topology/topology.js';
import { ConfigError } from '../../../lib/errors.js';

t.test('the example topology loads with hosts, pairs and the provider → subscriber chain', async (t) => {
  const topo = new Topology(loadTopologyFile('docs/examples/topology.yaml'));
  t.equal(topo.host('tp-host-a')?.colour, 'red');
  t.same(
    topo.pairMembers('fh').map((c) => c.name),
    ['fh-a', 'fh-b'],
  );
  t.same([...topo.downstreamOf('fh-a')].sort(), ['subscriber-fx-01', 'tp-a', 'tp-b']);
  t.equal(topo.componentByProcess('subscriber', 'ws-fx-01')?.name, 'subscriber-fx-01');
  t.same(
    topo.componentsOn('tp-host-a').map((c) => c.name),
    ['tp-a'],
  );
});

t.test('what agents announce fills in undeclared hosts and missing labels, declared values win', async (t) => {
  const topo = new Topology(parseTopologyText('hosts:\n  tp-host-a: { colour: red }\n', 'inline'));
  topo.announce({ id: 'agent-tp-a', host: 'tp-host-a', labels: { colour: 'blue', desk: 'infra' } });
  topo.announce({ id: 'ws-7', host: 'ws-7', labels: { colour: 'blue', floor: 'ldn-3' } });
  t.equal(topo.host('tp-host-a')?.colour, 'red');
  t.equal(topo.host('tp-host-a')?.desk, 'infra');
  t.equal(topo.hostOfAgent('agent-tp-a'), 'tp-host-a');
  t.same(
    topo.hostsOfColour('blue').map((h) => h.name),
    ['ws-7'],
  );
});

t.test('a malformed topology names the file, line and field', async (t) => {
  const cases: [string, string, number, string][] = [
    // a component kind that does not exist
    ['hosts:\n  h1: {}\ncomponents:\n  fh-a:\n    kind: feed-handler\n    host: h1\n', 'components.fh-a.kind', 5, 'must be one of'],
    // a component on a host nobody declared
    ['hosts:\n  h1: {}\ncomponents:\n  fh-a:\n    kind: feed_handler\n    host: h2\n', 'components.fh-a.host', 6, 'unknown host'],
    // a dependency on a component nobody declared
    [
      'hosts:\n  h1: {}\ncomponents:\n  tp-a:\n    kind: ticker_plant\n    host: h1\n    depends_on: [fh-z]\n',
      'components.tp-a.depends_on.0',
      7,
      'unknown component',
    ],
    // an unknown host field
    ['hosts:\n  h1:\n    colur: red\n', 'hosts.h1.colur', 3, 'unknown field'],
  ];
  for (const [text, field, line, problem] of cases) {
    const err = t.throws(() => parseTopologyText(text, 'topo.yaml')) as unknown as ConfigError;
    t.equal(err.field, field);
    t.equal(err.line, line, field);
    t.match(err.message, problem);
    t.match(err.message, `topo.yaml:${line}`);
  }
});
