/**
 * The brain refuses a transport weaker than it looks (review S5, S12): plaintext gRPC on a
 * non-loopback address stops `floorwatch brain` at start with the reason, unless the config says
 * allow_plaintext; TLS asking for client certificates without a CA is a config error at its line;
 * a host name that merely starts with 127. is not loopback.
 */
import t from 'tap';
import { parseBrainConfig } from '../../../brain/config.js';
import { checkIngestTransport } from '../../../brain/ingest/server.js';
import { floorwatch, scratchDir, writeYaml } from '../../helpers/floorwatch.js';

t.test('plaintext on a non-loopback address is refused at start unless allow_plaintext', async (t) => {
  const dir = scratchDir(t);
  const refused = floorwatch(['brain', '--listen', '0.0.0.0:0', '--http', '127.0.0.1:0', '--state-dir', `${dir}/a`]);
  t.teardown(() => refused.kill('SIGKILL'));
  const exit = await refused.exited;
  t.equal(exit.code, 2, 'exits 2');
  t.match(
    refused.stderr.join('\n'),
    /^floorwatch: configuration is invalid: listen 0\.0\.0\.0:0 is not a loopback address and there is no tls section: .*\(configure tls, or set allow_plaintext: true\)$/m,
  );
  t.notMatch(refused.stderr.join('\n'), /\n\s+at /, 'no stack trace');

  const config = writeYaml(dir, 'lab.yaml', `brain: {state_dir: ${dir}/b}\nlisten: 0.0.0.0:0\nhttp: 127.0.0.1:0\nallow_plaintext: true\n`);
  const lab = floorwatch(['brain', '--config', config]);
  t.teardown(() => lab.kill('SIGKILL'));
  await lab.line((l) => l['ready'] === 'brain');
  t.pass('allow_plaintext: true starts it (a lab network)');
});

t.test('the checks themselves', async (t) => {
  const refuses = (c: Parameters<typeof checkIngestTransport>[0]) => {
    try {
      checkIngestTransport(c);
      return 'accepted';
    } catch (err) {
      return (err as Error).message;
    }
  };
  t.equal(refuses({ listen: '127.0.0.1:7070', allow_plaintext: false }), 'accepted');
  t.equal(refuses({ listen: '[::1]:7070', allow_plaintext: false }), 'accepted');
  t.match(
    refuses({ listen: '127.evil.example:7070', allow_plaintext: false }),
    /not a loopback address/,
    'a name starting with 127. is a name',
  );
  t.equal(
    refuses({ listen: '0.0.0.0:7070', allow_plaintext: false, tls: { cert: 'c', key: 'k', ca: 'ca', require_client_cert: true } }),
    'accepted',
  );
  t.match(
    refuses({ listen: '0.0.0.0:7070', allow_plaintext: false, tls: { cert: 'c', key: 'k', require_client_cert: true } }),
    /tls\.require_client_cert needs tls\.ca/,
  );
  t.throws(
    () => parseBrainConfig('listen: 0.0.0.0:7070\ntls:\n  cert: brain.pem\n  key: brain.key\n', 'tls.yaml'),
    { message: /tls\.yaml:3: tls\.require_client_cert: needs tls\.ca/ },
    'located in the file',
  );
  t.equal(
    parseBrainConfig('tls: {cert: a, key: b, require_client_cert: false}\n').tls?.require_client_cert,
    false,
    'server-only TLS, said explicitly',
  );
});
