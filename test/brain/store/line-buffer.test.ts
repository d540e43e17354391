import t from 'tap';
import { LineBuffer } from '../../../brain/store/line-buffer.js';

const prefix = Buffer.from('nic,host=ws\\ 1 rx_bytes=');

t.test('numbers are written exactly as template literals write them', async (t) => {
  const values = [
    0,
    -0,
    1,
    -1,
    9,
    10,
    99,
    100,
    123456789,
    -987654321,
    2 ** 53 - 1,
    -(2 ** 53 - 1),
    2 ** 53,
    1e20,
    1e21,
    1.5,
    -0.001,
    1 / 3,
    5e-324,
    1.7976931348623157e308,
  ];
  const out = new LineBuffer(16);
  for (const v of values) {
    out.reset();
    out.sample(prefix, v, 1_700_000_000_123_456);
    t.equal(out.bytes.toString('utf8'), `${prefix.toString()}${v} 1700000000123456\n`, String(v));
    t.equal(out.lines, 1);
  }
});

t.test('a batch of samples and event lines, growing past the initial size', async (t) => {
  const out = new LineBuffer(8);
  out.reset();
  let expected = '';
  for (let i = 0; i < 500; i++) {
    out.sample(prefix, i * 7, 1_000_000 + i);
    expected += `${prefix.toString()}${i * 7} ${1_000_000 + i}\n`;
  }
  out.text('events,kind=log.match text="Fehler: überhitzt" 1');
  expected += 'events,kind=log.match text="Fehler: überhitzt" 1\n';
  t.equal(out.bytes.toString('utf8'), expected);
  t.equal(out.lines, 501);
  out.reset();
  t.equal(out.bytes.length, 0, 'reset starts a new batch');
});
