import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { loadPlantConfig, symbolNames } from '../../plant/config.js';

const file = (text: string) => {
  const f = join(mkdtempSync(join(tmpdir(), 'fw-plant-cfg-')), 'plant.yaml');
  writeFileSync(f, text);
  return f;
};

t.test('no file runs a whole small plant from embedded defaults', async (t) => {
  const cfg = loadPlantConfig();
  t.equal(cfg.feed_handlers.members.length, 2);
  t.equal(cfg.ticker_plants.members.length, 2);
  t.equal(cfg.pairing.heartbeat_ms, 25);
  t.equal(cfg.pairing.missed_heartbeats, 4);
  t.ok(
    cfg.pairing.heartbeat_ms * cfg.pairing.missed_heartbeats <= cfg.health.interval_ms,
    'the takeover deadline is one health interval, leaving two for detection slack and scheduling',
  );
  t.equal(symbolNames(cfg)[0], 'SYM01');
});

t.test('a bad field is named with file and line', async (t) => {
  const f = file('symbols:\n  count: 10\npairing:\n  missed_heartbeats: 0\n');
  t.throws(() => loadPlantConfig(f), {
    code: 'FW_ERR_CONFIG_INVALID',
    message: new RegExp(`${f}:4: pairing.missed_heartbeats: must be >= 1`),
  });
  const g = file('ticker_plants:\n  members:\n    - id: tp-a\n      port: 9000\n      colour: red\n');
  t.throws(() => loadPlantConfig(g), { message: /:5: ticker_plants\.members\.0\.colour: unknown field/ });
});

t.test('cross-references are checked, with the line: a line to an unknown feed handler, a port used twice', async (t) => {
  t.throws(() => loadPlantConfig(file('provider:\n  lines:\n    - {name: a, port: 9001, to: fh-z}\n')), {
    message: /:3: provider\.lines\.0\.to: no feed handler named fh-z/,
  });
  t.throws(() => loadPlantConfig(file('subscribers:\n  - {id: ws-1, port: 7310}\n')), {
    message: /:2: subscribers\.0: port 7310 is used twice/,
  });
});
