import t from 'tap';
import { join } from 'node:path';
import { SeriesRegistry } from '../../agent/series-registry.js';
import { scratchDir } from '../helpers/floorwatch.js';

t.test('one id per (measurement, field, tags), whatever the tag order; kept across a restart', async (t) => {
  const file = join(scratchDir(t), 'series.jsonl');
  const r = new SeriesRegistry(file);
  const ids = [
    r.idOf('nic', 'rx_bytes', { interface: 'eth0' }, 1),
    r.idOf('nic', 'rx_bytes', { interface: 'eth1' }, 1),
    r.idOf('nic', 'tx_bytes', { interface: 'eth0' }, 1),
    r.idOf('memory', 'dirty_bytes', undefined, 0),
    r.idOf('log_rule', 'matches', { rule: 'errors', file: '/var/log/app.log' }, 1),
  ];
  t.same(ids, [0, 1, 2, 3, 4]);
  t.equal(r.idOf('nic', 'rx_bytes', { interface: 'eth0' }, 1), 0, 'same series, fresh tags object');
  t.equal(r.idOf('memory', 'dirty_bytes', {}, 0), 3, 'no tags and empty tags are the same series');
  t.equal(r.idOf('log_rule', 'matches', { file: '/var/log/app.log', rule: 'errors' }, 1), 4, 'tag order does not matter');
  t.equal(r.idOf('nic', 'rx_bytes', { interface: 'eth0', vlan: '7' }, 1), 5, 'one more tag: another series');
  t.equal(r.size, 6);
  r.close();

  const reloaded = new SeriesRegistry(file);
  t.equal(reloaded.idOf('log_rule', 'matches', { file: '/var/log/app.log', rule: 'errors' }, 1), 4);
  t.equal(reloaded.idOf('nic', 'rx_bytes', { interface: 'eth0', vlan: '7' }, 1), 5);
  t.equal(reloaded.idOf('disk', 'read_bytes', { device: 'vda' }, 1), 6, 'new ids continue after the loaded ones');
  reloaded.close();
});

t.test('past the bound, new series are refused and counted, known ones still found', async (t) => {
  const r = new SeriesRegistry(join(scratchDir(t), 'series.jsonl'), 2);
  r.idOf('a', 'x', { k: '1' }, 0);
  r.idOf('a', 'x', { k: '2' }, 0);
  t.equal(r.idOf('a', 'x', { k: '3' }, 0), undefined);
  t.equal(r.idOf('a', 'x', { k: '3' }, 0), undefined);
  t.equal(r.refused, 2);
  t.equal(r.idOf('a', 'x', { k: '2' }, 0), 1);
  r.close();
});
