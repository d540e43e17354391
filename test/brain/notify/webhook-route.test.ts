/**
 * The webhook channel configured in brain.yaml (docs/paging.md, "Webhook"): a route to a chat
 * tool's incoming webhook gets the page as one line of text, with the configured header; bad TLS
 * settings are refused at load with file:line: field.
 */
import t from 'tap';
import { createServer } from 'node:http';
import { parseBrainConfig } from '../../../brain/config.js';
import { scratchDir, writeYaml } from '../../helpers/floorwatch.js';
import { waitFor } from '../../helpers/wait.js';
import { newIncident, startPagingRig } from './paging-fixtures.js';

t.test('a route to a chat webhook posts the page as text, with the configured header', async (t) => {
  const posts: { auth: string | undefined; body: { text?: string } }[] = [];
  const chat = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      posts.push({ auth: req.headers['authorization'], body: JSON.parse(body) as { text?: string } });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => chat.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => new Promise<void>((r) => chat.close(() => r())));
  const port = (chat.address() as { port: number }).port;
  const dir = scratchDir(t);
  const { incidents, clock } = startPagingRig(
    t,
    dir,
    `
  webhook: {url: "http://127.0.0.1:${port}/hooks/abc", format: chat, headers: {authorization: "Bearer s3cret"}}
  routes:
    - {name: chat-ops, match: {severity: [major]}, channels: [webhook]}
`,
  );
  const inc = incidents.open(newIncident('major', 'feed handler fh-a exited (signal 9)'));
  clock.advance(0);
  const delivered = await waitFor('the delivery in the timeline', () =>
    incidents.get(inc.id)!.timeline.find((e) => e.text.startsWith('delivered by webhook')),
  );
  t.equal(delivered.text, `delivered by webhook (${inc.id}/0/page/alice): first page`, 'with its reason');
  t.same(
    posts.map((p) => p.auth),
    ['Bearer s3cret'],
  );
  t.match(posts[0]?.body.text, new RegExp(`^SEV2 ${inc.id} page: feed handler fh-a exited \\(signal 9\\) @ fh-host-a \\(for Alice`));
  t.equal(incidents.get(inc.id)!.route, 'chat-ops', 'the route is a field of the incident');
});

t.test('webhook TLS settings are checked at load, with file, line and field', async (t) => {
  const dir = scratchDir(t);
  const schedule = writeYaml(dir, 'oncall.yaml', 'people: []\n');
  const load = (webhook: string) => () => parseBrainConfig(`paging:\n  schedule: ${schedule}\n  webhook: ${webhook}\n`, 'brain.yaml');
  t.throws(load('{url: "https://chat.example/h", tls: {cert_file: /etc/hostname}}'), {
    message: /brain\.yaml:3: paging\.webhook\.tls: cert_file and key_file go together/,
  });
  t.throws(load('{url: "http://chat.example/h", tls: {ca_file: /etc/hostname}}'), {
    message: /brain\.yaml:3: paging\.webhook\.tls: TLS options need an https:\/\/ url/,
  });
  t.throws(load('{url: "https://chat.example/h", tls: {ca_file: /nonexistent/ca.pem}}'), {
    message: /brain\.yaml:3: paging\.webhook\.tls\.ca_file: cannot read \/nonexistent\/ca\.pem/,
  });
  t.throws(load('{url: "chat.example/h"}'), { message: /brain\.yaml:3: paging\.webhook\.url/ });
});
