import t from 'tap';
import {
  escapeFieldKey,
  escapeMeasurement,
  escapeTagValue,
  formatLine,
  formatString,
  formatValue,
  newLineStats,
} from '../../../brain/store/line-protocol.js';
import { influxdAvailable, startInfluxd } from '../../helpers/influxd.js';

/** Names and values chosen to break naive line-protocol writers. */
const HOSTILE = [
  'fx spot,a=b',
  'trailing\\',
  'double trailing\\\\',
  'back\\slash',
  'esc\\,comma',
  'esc\\ space',
  'esc\\=equals',
  'new\nline',
  'cr\rlf\n',
  'tab\there',
  '"quoted"',
  '=',
  ',',
  ' ',
  '#hash',
  'ünïcødé 🚀',
  "it's",
];

function visible(value: string): string {
  return value.replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
}

/** What InfluxDB stores for a hostile tag value: control chars become visible escapes, a trailing backslash ＼. */
function storedTagValue(value: string): string {
  const text = visible(value);
  return text.endsWith('\\') ? text.slice(0, -1) + '\uFF3C' : text;
}

/** Names also lose backslashes that would escape a separator. */
function storedName(value: string): string {
  return visible(value).replace(/\\(?=[, =]|$)/g, '\uFF3C');
}

t.test('formatValue writes floats only and refuses what line protocol cannot carry', async (t) => {
  t.equal(formatValue(5), '5', 'an integer stays a float: no i suffix');
  t.equal(formatValue(0.1), '0.1');
  t.equal(formatValue(-0), '0');
  t.equal(formatValue(1e21), '1e+21');
  t.equal(formatValue(1.5e-7), '1.5e-7');
  t.equal(formatValue(Number.MAX_SAFE_INTEGER), '9007199254740991');
  t.equal(formatValue(NaN), undefined);
  t.equal(formatValue(Infinity), undefined);
  t.equal(formatValue(-Infinity), undefined);
});

t.test('escaping keeps every hostile name on one line', async (t) => {
  for (const value of HOSTILE) {
    for (const escaped of [escapeTagValue(value), escapeFieldKey(value), escapeMeasurement(value)]) {
      t.notMatch(escaped, /[\n\r\t]/, `${JSON.stringify(value)}: no control characters`);
      t.notOk(escaped.endsWith('\\'), `${JSON.stringify(value)}: no trailing backslash`);
      t.notMatch(escaped.replace(/\\[, =]/g, ''), /(^|[^\\])[, ]/, `${JSON.stringify(value)}: no bare separator`);
    }
  }
  t.equal(escapeTagValue('fx spot,a=b'), 'fx\\ spot\\,a\\=b');
  t.equal(escapeMeasurement('a=b c'), 'a=b\\ c', 'equals signs are literal in measurements');
  t.equal(escapeMeasurement('#m'), '\\#m', 'a leading # would make the line a comment');
  t.equal(formatString('say "hi"\\\n'), '"say \\"hi\\"\\\\\\n"');
});

t.test('formatLine sorts tags, skips empty tags and non-finite values, and counts them', async (t) => {
  const stats = newLineStats();
  const line = formatLine(
    'nic',
    { host: 'ws 1', agent: 'a1', desk: '', colour: undefined },
    { rx: 1, tx: NaN, up: true, name: 'eth0' },
    1795431000123456,
    stats,
  );
  t.equal(line, 'nic,agent=a1,host=ws\\ 1 rx=1,up=true,name="eth0" 1795431000123456');
  t.same(stats, { nonFiniteSkipped: 1, emptyTagsSkipped: 1, linesWithoutFields: 0 });
  t.equal(formatLine('nic', {}, { rx: Infinity }, 1, stats), undefined, 'no field left: no line');
  t.equal(stats.linesWithoutFields, 1);
});

const influx = await influxdAvailable();
t.test('hostile names round-trip through a real InfluxDB 1.x', { skip: influx.ok ? false : influx.reason }, async (t) => {
  const influxd = await startInfluxd();
  t.teardown(() => influxd.stop());
  const baseUs = 1795431000000000;
  const lines = HOSTILE.flatMap((value, i) => [
    formatLine('hostile', { t: value }, { v: i }, baseUs + i)!,
    formatLine(value, { k: 'x' }, { [value]: i, s: value }, baseUs + i)!,
    formatLine('hostile_keys', { [value]: 'v' }, { v: i }, baseUs + i)!,
  ]);
  const res = await fetch(`${influxd.url}/write?db=${influxd.db}&precision=u`, { method: 'POST', body: lines.join('\n') });
  t.equal(res.status, 204, await res.text());

  const tagValues = await influxd.query('SHOW TAG VALUES FROM "hostile" WITH KEY = "t"');
  const stored = (tagValues[0]?.values ?? []).map((row) => row[1]);
  t.same(stored.sort(), HOSTILE.map(storedTagValue).sort(), 'tag values');

  const measurements = (await influxd.query('SHOW MEASUREMENTS'))[0]?.values.map((row) => row[0]) ?? [];
  const expectedMeasurements = HOSTILE.map((v) => (v.startsWith('#') ? '\\' + v : storedName(v)));
  t.same(
    measurements.filter((m) => m !== 'hostile' && m !== 'hostile_keys').sort(),
    [...new Set(expectedMeasurements)].sort(),
    'measurements',
  );

  const points = await influxd.query("SELECT * FROM /.*/ WHERE k = 'x'");
  const strings = points.flatMap((s) => s.values.map((row) => row[s.columns.indexOf('s')]));
  t.same(strings.sort(), HOSTILE.map(visible).sort(), 'string fields');
  const fieldKeySeries = await influxd.query('SHOW FIELD KEYS');
  const fieldKeys = fieldKeySeries
    .filter((s) => s.name !== 'hostile' && s.name !== 'hostile_keys')
    .flatMap((s) => s.values.map((row) => row[0]))
    .filter((key) => key !== 's');
  t.same([...new Set(fieldKeys)].sort(), [...new Set(HOSTILE.map(storedName))].sort(), 'field keys');
  const tagKeys = (await influxd.query('SHOW TAG KEYS FROM "hostile_keys"'))[0]?.values.map((row) => row[0]) ?? [];
  t.same(tagKeys.sort(), [...new Set(HOSTILE.map(storedName))].sort(), 'tag keys');
  const types = await influxd.query('SHOW FIELD KEYS FROM "hostile"');
  t.same(types[0]?.values, [['v', 'float']], 'integers were written as floats');
});
