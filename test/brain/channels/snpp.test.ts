import t from 'tap';
import { SnppChannel } from '../../../brain/channels/snpp.js';
import { freePort } from '../../helpers/wait.js';
import { hfaxdAvailable, startHfaxdSnpp } from '../../helpers/snpp-hfaxd.js';
import { sampleNotification, alice } from '../notify/sample-notification.js';

const available = await hfaxdAvailable();
if (!available.ok) t.skip(`hfaxd: ${available.reason}`, () => {});
else {
  const gateway = await startHfaxdSnpp();
  t.teardown(() => gateway.stop());
  const channel = (port = gateway.port, extra = {}) =>
    new SnppChannel({ host: '127.0.0.1', port, login: { user: 'floorwatch' }, hylafaxQueue: true, text: { maxLength: 80 }, ...extra });
  const signal = new AbortController().signal;

  t.test('a page is queued by hfaxd: job file for the mapped PIN, page text in docq', async (t) => {
    const before = gateway.pages().length;
    const result = await channel().send(sampleNotification(), signal);
    t.equal(result.status, 'sent', JSON.stringify(result));
    if (result.status === 'sent') t.match(result.detail, /pin: 1001 jobid: \d+/);
    const pages = gateway.pages();
    t.equal(pages.length, before + 1, 'one job queued');
    const page = pages.at(-1)!;
    t.equal(page.jobType, 'pager');
    t.equal(page.number, '5550100');
    t.equal(page.pin, '1001');
    t.equal(page.owner, 'floorwatch');
    t.equal(page.text, 'INC-42 SEV2 feed handler A down, failover to secondary @ldn-1 08:01 GMT');
  });

  t.test('a numeric pager id is passed through the pagermap as the PIN', async (t) => {
    const result = await channel().send(sampleNotification({ recipient: { ...alice, pager: '7788' } }), signal);
    t.equal(result.status, 'sent');
    t.equal(gateway.pages().at(-1)?.pin, '7788');
  });

  t.test('a pager id the gateway rejects (pagermap reject → 550) is a permanent client error', async (t) => {
    const before = gateway.pages().length;
    const result = await channel().send(sampleNotification({ recipient: { ...alice, pager: 'bad-pager' } }), signal);
    t.match(result, { status: 'failed', retryable: false, reason: 'clientError' });
    if (result.status === 'failed') {
      t.equal(result.error.code, 'FW_ERR_PAGING_REJECTED');
      t.match(result.error.message, /550 Invalid pager ID bad-pager/);
    }
    t.equal(gateway.pages().length, before, 'nothing queued');
  });

  t.test('a text longer than the gateway accepts (hfaxd MaxMsgLength 128) is refused for good, not retried', async (t) => {
    const long = 'feed handler primary and secondary both down on every ticker plant of the london site'.repeat(2);
    const result = await channel(gateway.port, { text: { maxLength: 160 } }).send(sampleNotification({ what: long }), signal);
    t.match(result, { status: 'failed', retryable: false, reason: 'clientError' });
    if (result.status === 'failed') t.match(result.error.message, /550 .*too long/);
  });

  t.test('without LOGI hfaxd answers 530 and the page is a permanent failure', async (t) => {
    const result = await channel(gateway.port, { login: undefined }).send(sampleNotification(), signal);
    t.match(result, { status: 'failed', retryable: false, reason: 'clientError' });
    if (result.status === 'failed') t.match(result.error.message, /530/);
  });

  t.test('a gateway that is down (connection refused) is retryable and unreachable', async (t) => {
    const result = await channel(await freePort()).send(sampleNotification(), signal);
    t.match(result, { status: 'failed', retryable: true, reason: 'unreachable' });
    if (result.status === 'failed') t.equal(result.error.code, 'FW_ERR_PAGING_UNREACHABLE');
  });

  t.test('a recipient without a pager id is a permanent failure before any connection', async (t) => {
    const connections = gateway.connections;
    const { pager: _none, ...noPager } = alice;
    const result = await channel().send(sampleNotification({ recipient: noPager }), signal);
    t.match(result, { status: 'failed', retryable: false, reason: 'clientError' });
    t.equal(gateway.connections, connections);
  });
}
