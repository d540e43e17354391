import t from 'tap';
import { nameFilter } from '../../../../lib/glob.js';
import { RateTracker } from '../../../../agent/samplers/nic/rate.js';

t.test('globs: * ? and [..] match whole names; regex characters are literal', async (t) => {
  const f = nameFilter(['eth*', 'bond?', 'ens[12]f0', 'a.b'], ['eth1']);
  t.same(['eth0', 'eth1', 'bond0', 'bond10', 'ens1f0', 'ens3f0', 'a.b', 'axb'].filter(f), ['eth0', 'bond0', 'ens1f0', 'a.b']);
});

t.test('rates: none on first sight, per second after, reset taken as increase, vanished counters pruned', async (t) => {
  const r = new RateTracker();
  t.equal(r.rate('eth0', 'rx_bytes', 100, 0), undefined);
  t.equal(r.rate('eth0', 'rx_bytes', 300, 500), 400);
  t.equal(r.rate('eth1', 'rx_bytes', 7, 500), undefined, 'another group is another counter');
  t.equal(r.rate('eth0', 'rx_bytes', 50, 1500), 50);
  t.equal(r.rate('eth0', 'rx_bytes', 60, 1500), undefined, 'no time passed');
  r.prune();
  r.rate('eth1', 'tx_bytes', 1, 2000);
  r.prune();
  t.equal(r.size, 1);
  t.equal(r.rate('eth0', 'rx_bytes', 70, 3000), undefined, 'pruned: first sight again');
});

t.test('globs: [!x] excludes (it matched "!" and x before), ] right after [ is a member, RE2 throughout', async (t) => {
  const f = nameFilter(['[!e]th0', 'v[]x]', 'p[!]]'], []);
  t.same(['eth0', 'xth0', '!th0', 'v]', 'vx', 'v[', 'p]', 'pa'].filter(f), ['xth0', '!th0', 'v]', 'vx', 'pa']);
});
