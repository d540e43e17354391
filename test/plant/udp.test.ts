import t from 'tap';
import { waitFor } from '../helpers/wait.js';
import { bindUdp, socketOut } from '../../plant/net/udp.js';

t.test('a datagram is on its way when send() returns: the caller may reuse its bytes at once (ring slabs do)', async (t) => {
  const [from, to] = await Promise.all([bindUdp(0), bindUdp(0)]);
  t.teardown(() => {
    from.close();
    to.close();
  });
  const got: Buffer[] = [];
  to.on('message', (m: Buffer) => got.push(m));
  const out = socketOut(from, (err) => t.fail(String(err)));
  const slab = Buffer.alloc(300);
  for (let i = 0; i < 3; i++) {
    const view = slab.subarray(0, 100);
    view.fill(i + 1);
    out.send(view, { host: '127.0.0.1', port: to.address().port });
  }
  slab.fill(0);
  await waitFor('three datagrams', () => got.length === 3);
  t.same(
    got.map((g) => g[0]),
    [1, 2, 3],
    'each datagram carries the bytes it had when it was sent',
  );
});
