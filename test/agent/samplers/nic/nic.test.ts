import { execFile, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import t from 'tap';
import { FakeClock, systemClock } from '../../../../lib/clock.js';
import { waitFor } from '../../../helpers/wait.js';
import { RecordingEmit } from '../recording-emit.js';
import { copyCapturedSys, nicSampler, put, tempTree } from './helpers.js';
import { timing, timingBound } from '../../../helpers/timing.js';

const run = promisify(execFile);

t.test('captured eth0: link gauges, counters, and per-second rates from the injected clock; lo excluded by default', async (t) => {
  const tree = tempTree('fw-nic-');
  t.teardown(tree.cleanup);
  const sysRoot = copyCapturedSys(tree.root);
  const clock = new FakeClock(0);
  const sampler = nicSampler(clock, { sysRoot, procRoot: tree.root });
  t.teardown(() => sampler.stop());
  const emit = new RecordingEmit();

  sampler.sample(emit);
  const eth0 = { interface: 'eth0' };
  t.equal(emit.last('nic', 'up', eth0)?.value, 1);
  t.equal(emit.last('nic', 'operstate', eth0)?.value, 1, 'RFC 2863 up');
  t.equal(emit.last('nic', 'carrier', eth0)?.value, 1);
  t.equal(emit.last('nic', 'carrier_changes', eth0)?.type, 'counter');
  t.equal(emit.last('nic', 'speed_mbps', eth0)?.value, -1, 'virtio reports -1');
  t.equal(emit.last('nic', 'mtu', eth0)?.value, 1400);
  const rx0 = Number(readFileSync(`${sysRoot}/class/net/eth0/statistics/rx_bytes`, 'utf8'));
  t.equal(emit.last('nic', 'rx_bytes', eth0)?.value, rx0);
  t.equal(emit.last('nic', 'rx_bytes_per_s', eth0), undefined, 'no rate from a single sample');
  t.equal(emit.last('nic', 'up', { interface: 'lo' }), undefined, 'lo excluded');
  t.same(emit.errors, []);

  put(sysRoot, 'class/net/eth0/statistics/rx_bytes', `${rx0 + 500_000}\n`);
  clock.advance(250);
  sampler.sample(emit);
  t.equal(emit.last('nic', 'rx_bytes_per_s', eth0)?.value, 2_000_000, '500 kB in 250 ms');
  t.equal(emit.last('nic', 'tx_bytes_per_s', eth0)?.value, 0);

  put(sysRoot, 'class/net/eth0/statistics/rx_bytes', '1000\n');
  clock.advance(1000);
  sampler.sample(emit);
  t.equal(emit.last('nic', 'rx_bytes_per_s', eth0)?.value, 1000, 'after a reset the new value is the increase');
});

t.test('include and exclude globs choose the interfaces', async (t) => {
  const tree = tempTree('fw-nic-');
  t.teardown(tree.cleanup);
  const sysRoot = copyCapturedSys(tree.root);
  const sampler = nicSampler(new FakeClock(0), { sysRoot, procRoot: tree.root }, 'include: ["l?", "eth*"]\nexclude: ["eth[0-3]"]');
  const emit = new RecordingEmit();
  sampler.sample(emit);
  sampler.stop();
  t.same([...new Set(emit.values.map((v) => v.tags['interface']))], ['lo']);
});

t.test('fast watch pushes nic.link at the next watch tick, without waiting for a poll', async (t) => {
  const tree = tempTree('fw-nic-');
  t.teardown(tree.cleanup);
  const sysRoot = copyCapturedSys(tree.root);
  const clock = new FakeClock(0);
  const sampler = nicSampler(clock, { sysRoot, procRoot: tree.root });
  const emit = new RecordingEmit();
  sampler.start(emit);
  t.teardown(() => sampler.stop());
  clock.advance(200);
  t.same(emit.events, [], 'no event for the state found at start');

  put(sysRoot, 'class/net/eth0/operstate', 'down\n');
  put(sysRoot, 'class/net/eth0/carrier', '0\n');
  clock.advance(50);
  t.equal(emit.events.length, 1);
  t.match(emit.events[0], { kind: 'nic.link', tags: { interface: 'eth0' }, attrs: { state: 'down', operstate: 'down' }, severity: 3 });
  t.same(emit.values, [], 'the watch emits events only');
});

const ipMissing = spawnSync('ip', ['-V']).error !== undefined;
const notRoot = process.getuid?.() !== 0;

t.test(
  'veth peer set down and up inside a netns: nic.link down and up for the root-side end within 250 ms',
  { skip: notRoot ? 'needs root to create network namespaces' : ipMissing ? 'iproute2 `ip` not installed' : false },
  async (t) => {
    const ns = `fwns${process.pid}`;
    const local = `fw${process.pid}a`;
    const peer = `fw${process.pid}b`;
    t.teardown(async () => {
      await run('ip', ['netns', 'del', ns]).catch(() => undefined);
      await run('ip', ['link', 'del', local]).catch(() => undefined);
    });
    await run('ip', ['netns', 'add', ns]);
    await run('ip', ['link', 'add', local, 'type', 'veth', 'peer', 'name', peer]);
    await run('ip', ['link', 'set', peer, 'netns', ns]);
    await run('ip', ['link', 'set', local, 'up']);
    await run('ip', ['-n', ns, 'link', 'set', peer, 'up']);

    const sampler = nicSampler(systemClock, {}, `include: ["${local}"]`);
    const emit = new RecordingEmit();
    await waitFor('veth up in sysfs', () => {
      sampler.sample(emit);
      return emit.last('nic', 'up', { interface: local })?.value === 1;
    });
    await sampler.start(emit);
    t.teardown(() => sampler.stop());

    const latencies: number[] = [];
    for (let flip = 0; flip < 10; flip++) {
      const state = flip % 2 === 0 ? 'down' : 'up';
      const before = emit.events.length;
      const t0 = performance.now();
      await run('ip', ['-n', ns, 'link', 'set', peer, state]);
      const ev = await waitFor(`nic.link ${state}`, () => emit.events.slice(before).find((e) => e.kind === 'nic.link'), {
        timeoutMs: timingBound(2000),
        everyMs: 5,
      });
      latencies.push(ev.receivedMs - t0);
      t.match(ev, { tags: { interface: local }, attrs: { state }, severity: state === 'down' ? 3 : 0 }, `flip ${flip}`);
    }
    sampler.sample(emit);
    t.ok((emit.last('nic', 'carrier_changes', { interface: local })?.value ?? 0) >= 10, 'carrier_changes counted every flip');
    t.same(emit.errors, []);
    const sorted = [...latencies].sort((a, b) => a - b);
    t.comment(`link event latency from \`ip\` start, ms: ${sorted.map((l) => l.toFixed(1)).join(' ')}`);
    timing(t, 'slowest link event after `ip link set`', sorted.at(-1)!, 250);
  },
);
