/**
 * GET /metrics of a real brain, parsed and linted by a real Prometheus tool (Debian's
 * `promtool check metrics`, package prometheus): no error, the totals typed as counters, the
 * process defaults present.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { parseBrainConfig } from '../../../brain/config.js';
import { startBrain } from '../../../brain/main.js';
import { silentLogger } from '../../../lib/log.js';
import { scratchDir, writeYaml } from '../../helpers/floorwatch.js';
import { ALICE_ON_CALL } from '../../helpers/oncall.js';
import { testAccess } from '../../helpers/access.js';

const PROMTOOL = '/usr/bin/promtool';

t.test(
  '/metrics passes promtool check metrics and types every *_total as a counter',
  { skip: existsSync(PROMTOOL) ? false : `${PROMTOOL} not installed (Debian package prometheus)` },
  async (t) => {
    const dir = scratchDir(t);
    // Prometheus scrapes as a viewer with a token (scrape config `authorization: {credentials_file: ...}`).
    const access = await testAccess([{ name: 'prometheus', role: 'viewer' }]);
    const schedule = writeYaml(dir, 'oncall.yaml', ALICE_ON_CALL);
    const paging = `paging: {schedule: ${schedule}, email: {host: 127.0.0.1, port: 9, from: fw@floor.example}}`;
    const brain = await startBrain(
      parseBrainConfig(
        `brain: {state_dir: ${dir}/brain}\nlisten: 127.0.0.1:0\nhttp: 127.0.0.1:0\nspool: {fsync: false}\n${paging}\n${access.yaml}`,
      ),
      silentLogger,
    );
    t.teardown(() => brain.stop());
    t.equal((await fetch(`http://127.0.0.1:${brain.httpPort}/metrics`)).status, 401, 'not without a credential');
    const res = await fetch(`http://127.0.0.1:${brain.httpPort}/metrics`, { headers: access.bearer('prometheus') });
    t.equal(res.status, 200);
    t.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4; charset=utf-8$/);
    const text = await res.text();

    const check = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    t.equal(check.status, 0, `promtool check metrics exited ${check.status}: ${check.stdout}${check.stderr}`);

    const types = new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
    const totalsNotCounters = [...types].filter(([name, type]) => name.endsWith('_total') && type !== 'counter');
    t.same(totalsNotCounters, [], 'every *_total family is a counter');
    const counted = [
      'floorwatch_spool_dropped_lines_total',
      'floorwatch_store_forwarded_lines_total',
      'floorwatch_detector_dropped_total',
      'floorwatch_rule_reload_failures_total',
    ];
    const drops = [
      'floorwatch_outbox_refused_total',
      'floorwatch_series_refused_total',
      'floorwatch_event_ring_evicted_total',
      'floorwatch_agent_dropped_samples_total',
    ];
    for (const name of [...counted, ...drops, 'floorwatch_notifications_suppressed_total']) {
      t.equal(types.get(name), 'counter', `${name} is a counter`);
    }
    t.match(text, /^floorwatch_ingest_events_total 0$/m, 'a counter with no event yet reads 0 (rate() sees it from the start)');
    t.match(text, /^process_resident_memory_bytes \d+/m, 'the process defaults are there');
    t.equal(types.get('floorwatch_page_latency_seconds'), 'histogram', 'page latency is a histogram');
    t.equal(types.get('floorwatch_ingest_lag_seconds'), 'histogram', 'ingest lag is a histogram');
    t.equal(types.get('floorwatch_detection_latency_seconds'), 'histogram', 'detection latency is a histogram');
  },
);
