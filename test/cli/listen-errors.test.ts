import t from 'tap';
import { createServer } from 'node:net';
import { floorwatch, scratchDir } from '../helpers/floorwatch.js';

t.test('a brain whose port is taken exits 2 naming the address and why, without a stack trace', async (t) => {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  t.teardown(() => taken.close());
  const port = (taken.address() as { port: number }).port;
  const p = floorwatch(['brain', '--listen', `127.0.0.1:${port}`, '--http', '127.0.0.1:0', '--state-dir', scratchDir(t)]);
  const { code } = await p.exited;
  t.equal(code, 2);
  const stderr = p.stderr.join('\n');
  t.match(stderr, `floorwatch: cannot listen on 127.0.0.1:${port}: the address is already in use`);
  t.notMatch(stderr, /\n\s+at /, 'no stack trace');
});
