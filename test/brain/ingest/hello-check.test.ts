import t from 'tap';
import { checkHelloIdentity } from '../../../brain/ingest/hello-check.js';
import { FloorwatchError } from '../../../lib/errors.js';

const refusal = (f: () => unknown): string => {
  try {
    f();
    return 'accepted';
  } catch (err) {
    return err instanceof FloorwatchError && err.grpcStatus === 3 ? err.message : `unexpected: ${String(err)}`;
  }
};

t.test("an agent's host name and labels are bounded at its hello (INVALID_ARGUMENT naming the field)", async (t) => {
  t.same(checkHelloIdentity('ws-1', 'ws-ldn-001.floor', { colour: 'red', desk: 'fx-spot', client_facing: 'true' }), {
    host: 'ws-ldn-001.floor',
    labels: { colour: 'red', desk: 'fx-spot', client_facing: 'true' },
  });
  t.same(checkHelloIdentity('ws-1', '', undefined), { host: 'ws-1', labels: {} }, 'no host: the agent id');
  t.match(
    refusal(() => checkHelloIdentity('ws-1', 'a'.repeat(254), {})),
    /host "a{80}…" is not a host name/,
  );
  t.match(
    refusal(() => checkHelloIdentity('ws-1', 'ws 1', {})),
    /host "ws 1"/,
  );
  t.match(
    refusal(() => checkHelloIdentity('ws-1', 'ws\n1', {})),
    /host "ws\\n1"/,
    'control characters shown escaped',
  );
  t.match(
    refusal(() => checkHelloIdentity('ws-1', 'ws', { 'bad-key': 'x' })),
    /label name "bad-key"/,
  );
  t.match(
    refusal(() => checkHelloIdentity('ws-1', 'ws', { desk: '<script>' })),
    /label desk: value "<script>"/,
  );
  t.match(
    refusal(() => checkHelloIdentity('ws-1', 'ws', { desk: 'x'.repeat(129) })),
    /label desk/,
  );
  t.match(
    refusal(() => checkHelloIdentity('ws-1', 'ws', Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`l${i}`, 'v'])))),
    /33 labels; at most 32/,
  );
});
