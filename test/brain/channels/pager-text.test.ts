import t, { type Test } from 'tap';
import { pagerText } from '../../../brain/channels/pager-text.js';
import { abbreviate } from '../../../brain/channels/abbreviations.js';
import { sampleNotification, alice } from '../notify/sample-notification.js';
import type { Notification } from '../../../brain/channels/notification.js';

const utc = { ...alice, timeZone: 'UTC' };
const n = (over: Partial<Notification>) => sampleNotification({ recipient: utc, ...over });
const codePoints = (s: string) => [...s].length;

t.test('a short incident reads in full, most important first', async (t) => {
  t.equal(pagerText(n({ what: 'FH-A down' }), { maxLength: 80 }), 'INC-42 SEV2 FH-A down @ldn-1 08:01Z');
  t.equal(
    pagerText(n({ what: 'feed handler A down', recipient: alice }), { maxLength: 80 }),
    'INC-42 SEV2 feed handler A down @ldn-1 08:01 GMT',
    'the recipient sees their own wall time and zone',
  );
  t.equal(pagerText(n({ what: 'FH-A down', kind: 'resolve' }), { maxLength: 80 }), 'INC-42 SEV2 RESOLVED FH-A down @ldn-1 08:01Z');
});

t.test('abbreviations come before dropping anything, and apply to every field', async (t) => {
  const text = pagerText(
    n({ what: 'Feed Handler primary failed over to secondary, heartbeat latency 900 milliseconds', where: 'london ticker plant 2' }),
    { maxLength: 80 },
  );
  t.equal(text, 'INC-42 SEV2 FH pri F/O to sec, HB lat 900 ms @LDN TP 2 08:01Z');
});

t.test('words are dropped from the least important field first and the field is marked', async (t) => {
  const what = 'ticker plant B stale symbols on every desk of the equities floor';
  const where = 'ldn-1 rack 14 slot 3 bonded interface bond0 leg eth1';
  t.equal(
    pagerText(n({ what, where }), { maxLength: 80 }),
    'INC-42 SEV2 TP B stale symbols on every desk of the equities floor @ldn-1 rack+',
  );
  t.equal(pagerText(n({ what, where }), { maxLength: 60 }), 'INC-42 SEV2 TP B stale symbols on every desk of the+ @ldn-1+');
});

t.test('a word too long for the pager is cut with the marker, never silently', async (t) => {
  const text = pagerText(n({ what: 'x'.repeat(200), where: 'ldn-1' }), { maxLength: 40 });
  t.ok(codePoints(text) <= 40);
  t.match(text, /^INC-42 SEV2 x+\+ @ldn-1$/);
});

const cases: { name: string; what: string; where: string }[] = [
  {
    name: 'long component names',
    what: 'marketdatafeedhandlerprimaryinstancenumberseventeen process restarted 14 times',
    where: 'ny4-colo-cage-12-rack-07-host-ws-nyc-0042',
  },
  { name: 'many short words', what: 'a b c d e f g h i j k l m n o p q r s t u v w x y z '.repeat(6), where: 'x y z' },
  { name: 'unicode place names', what: 'Zürich Börse Verbindung unterbrochen — Prüfung läuft', where: 'zürich-1 straße' },
  { name: 'CJK and emoji', what: '東京 ティッカープラント 停止 🔥🔥 データ 遅延', where: '東京-1' },
  { name: 'line breaks and tabs', what: 'FH-A down\r\nMESS injected\tQUIT', where: 'ldn\n1' },
  { name: 'empty where', what: 'feed handler A down', where: '' },
];

for (const limit of [80, 128, 160, 16, 20]) {
  for (const ascii of [true, false]) {
    for (const c of cases) {
      t.test(`${c.name} fit ${limit} characters (${ascii ? 'ASCII' : 'unicode'})`, async (t) => {
        const text = pagerText(n({ what: c.what, where: c.where }), { maxLength: limit, ascii });
        t.ok(codePoints(text) <= limit, `${codePoints(text)} <= ${limit}: ${text}`);
        t.notMatch(text, /[\r\n\t]/, 'one line, no control characters');
        if (ascii) t.match(text, /^[\x20-\x7e]*$/, '7-bit only');
        t.ok(text.startsWith(limit >= 20 ? 'INC-42 SEV2' : 'INC-42'), 'the incident id comes first');
        // Every word that appears is either a whole word of the (abbreviated, folded) input or carries the marker.
        assertNoSilentCut(t, text, ascii);
        t.equal(pagerText(n({ what: c.what, where: c.where }), { maxLength: limit, ascii }), text, 'deterministic');
      });
    }
  }
}

/** Every word shown is a whole word of the input (plain or abbreviated, folded alike) or ends in the marker. */
function assertNoSilentCut(t: Test, text: string, ascii: boolean): void {
  const marker = ascii ? '+' : '…';
  const everything = n({ what: cases.map((c) => c.what).join(' '), where: cases.map((c) => c.where).join(' ') });
  const plain = pagerText(everything, { maxLength: 100_000, ascii });
  const known = new Set([...plain.split(' '), ...abbreviate(plain).split(' ')].map((w) => w.replace(/^@/, '')));
  for (const word of text.split(' ')) {
    if (!word.endsWith(marker)) t.ok(known.has(word.replace(/^@/, '')), `"${word}" is a whole word`);
  }
}
