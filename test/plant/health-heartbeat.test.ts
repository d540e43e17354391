import { createSocket } from 'node:dgram';
import t from 'tap';
import { FakeClock } from '../../lib/clock.js';
import { decodeHealth, encodeHealth } from '../../plant/health/codec.js';
import { HealthListener } from '../../plant/health/listener.js';
import type { HealthHeartbeat } from '../../plant/health/types.js';
import { waitFor } from '../helpers/wait.js';

const hb = (over: Partial<HealthHeartbeat> = {}): HealthHeartbeat => ({
  v: 1,
  component: 'fh-a',
  kind: 'feed_handler',
  pair: 'fh',
  role: 'primary',
  state: 'ok',
  reason: null,
  term: 1,
  hb_seq: 1,
  interval_ms: 100,
  pid: 1,
  seq: 10,
  rates: { in_per_s: 1, out_per_s: 1 },
  latency_us: { p50: 1, p99: 2, p999: 3, max: 4, count: 5 },
  gaps: { detected: 0, recovered: 0, unrecoverable: 0, unrecoverable_records: 0 },
  duplicates: 0,
  stale_symbols: 0,
  stale_sample: [],
  feeds: { provider: { last_update_us: 1, seq: 10 } },
  failovers: 0,
  role_since_mono_us: 1,
  peer: null,
  time_us: 1,
  mono_us: 1,
  counters: {},
  ...over,
});

t.test('a heartbeat round-trips through the codec; malformed ones are refused with a reason', async (t) => {
  const ok = decodeHealth(encodeHealth(hb()));
  t.ok(ok.ok);
  t.match(decodeHealth(Buffer.from('nope')), { ok: false, error: 'not JSON' });
  t.match(decodeHealth(Buffer.from(JSON.stringify({ ...hb(), role: 'boss' }))), { ok: false, error: /role/ });
  t.match(decodeHealth(Buffer.from(JSON.stringify({ ...hb(), seq: 'x' }))), { ok: false, error: /seq/ });
  t.match(decodeHealth(Buffer.alloc(9000, 32)), { ok: false, error: /exceeds/ });
  // start_ticks (the process's identity with pid, #19) is optional: older senders still decode.
  t.match(decodeHealth(encodeHealth(hb({ start_ticks: 47254 }))), { ok: true, heartbeat: { start_ticks: 47254 } });
  t.ok(decodeHealth(encodeHealth(hb({ start_ticks: null }))).ok, 'null: unknown start time');
  t.match(decodeHealth(Buffer.from(JSON.stringify({ ...hb(), start_ticks: 'x' }))), { ok: false, error: /start_ticks/ });
});

t.test('the listener counts malformed datagrams, sees role changes and loses a silent component after 3 intervals', async (t) => {
  const clock = new FakeClock(0);
  const listener = new HealthListener({ port: 0, clock });
  const port = await listener.start();
  t.teardown(() => listener.stop());
  const events: string[] = [];
  listener.on('role_change', (id, from, to) => events.push(`${id} ${from}->${to}`));
  listener.on('lost', (id) => events.push(`lost ${id}`));
  listener.on('recovered', (id) => events.push(`back ${id}`));
  const s = createSocket('udp4');
  t.teardown(() => s.close());
  const send = (b: Buffer) => s.send(b, port, '127.0.0.1');
  send(Buffer.from('{"v":2}'));
  send(encodeHealth(hb({ role: 'secondary', hb_seq: 1 })));
  send(encodeHealth(hb({ role: 'primary', hb_seq: 3 })));
  await waitFor('datagrams', () => listener.counters.received === 2 && listener.counters.malformed === 1);
  t.same(events, ['fh-a secondary->primary']);
  t.equal(listener.get('fh-a')?.missedDatagrams, 1, 'a skipped hb_seq is a lost health datagram');
  clock.advance(300);
  listener.sweep();
  t.same(events, ['fh-a secondary->primary'], 'not lost at exactly 3 intervals');
  clock.advance(1);
  listener.sweep();
  t.same(events.at(-1), 'lost fh-a');
  send(encodeHealth(hb({ hb_seq: 4 })));
  await waitFor('recovery', () => events.at(-1) === 'back fh-a');
});
