/**
 * Durations on the command line take units (`--for 30m`, `2h`, `1d`), and a bad one is an error
 * naming the flag before anything is sent (review S4: `--for 30m` once meant "until resolved").
 */
import t from 'tap';
import { parseBrainConfig } from '../../brain/config.js';
import { startBrain } from '../../brain/main.js';
import { silentLogger } from '../../lib/log.js';
import { testAccess } from '../helpers/access.js';
import { floorwatch, scratchDir } from '../helpers/floorwatch.js';
import { seedOpenIncidents } from '../helpers/incidents.js';

t.test('a bad duration is refused, naming the flag', async (t) => {
  for (const [args, flag] of [
    [
      ['silence', 'INC-0001', '--reason', 'x', '--for', '30', '--brain', 'http://127.0.0.1:9'],
      "option '--for <duration>' argument '30' is invalid",
    ],
    [
      ['silence', 'INC-0001', '--reason', 'x', '--for', '30x', '--brain', 'http://127.0.0.1:9'],
      "option '--for <duration>' argument '30x' is invalid",
    ],
    [['drill', 'kill-primary-fh', '--timeout', 'soon'], "option '--timeout <duration>' argument 'soon' is invalid"],
    [['drill', 'kill-primary-fh', '--steps', 'two'], "option '--steps <n>' argument 'two' is invalid"],
    [['demo', '--escalate-after', '0s'], "option '--escalate-after <duration>' argument '0s' is invalid"],
  ] as const) {
    const p = floorwatch([...args]);
    const exit = await p.exited;
    t.equal(exit.code, 1, `${args.join(' ')} exits 1`);
    t.match(p.stderr.join('\n'), flag, `and says: ${p.stderr[0]}`);
  }
});

t.test('`floorwatch silence --for 2h` silences for two hours, as the token’s user', async (t) => {
  const dir = scratchDir(t);
  const access = await testAccess([{ name: 'alice', role: 'operator' }]);
  seedOpenIncidents(`${dir}/brain`, ['INC-0001']);
  const brain = await startBrain(
    parseBrainConfig(
      `brain: {state_dir: ${dir}/brain}\nlisten: 127.0.0.1:0\nhttp: 127.0.0.1:0\nrules: {enabled: false}\ncorrelation: {restart_confirm_ms: 0}\n${access.yaml}`,
    ),
    silentLogger,
  );
  t.teardown(() => brain.stop());
  const before = Date.now();
  const p = floorwatch(['silence', 'INC-0001', '--reason', 'switch work', '--for', '2h', '--brain', `http://127.0.0.1:${brain.httpPort}`], {
    env: { FLOORWATCH_TOKEN: access.users['alice']!.token },
  });
  t.equal((await p.exited).code, 0, p.stderr.join(' '));
  const silence = brain.incidents.get('INC-0001').silence;
  t.equal(silence?.by, 'alice');
  t.ok(
    silence?.untilMs && silence.untilMs >= before + 2 * 3_600_000 && silence.untilMs <= Date.now() + 2 * 3_600_000,
    `until two hours on (${(silence?.untilMs ?? 0) - before} ms)`,
  );
});
