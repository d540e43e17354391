/**
 * The Prometheus + Alertmanager stack the latency benchmarks compare against (Debian's
 * `prometheus`, `prometheus-alertmanager`, optionally `prometheus-node-exporter`), tuned as fast
 * as it goes: 1 s scrape and evaluation, `for: 0s`, group_wait 0s, group_interval 1s,
 * `group_by: ['...']`, and a webhook receiver in this process that stamps every firing arrival.
 *
 * Targets come from file_sd: a benchmark gives each run a fresh `run` label, so every alert is
 * a new Alertmanager group (group_wait, never group_interval).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { renameSync, writeFileSync } from 'node:fs';
import { systemClock } from '../../lib/clock.js';
import { freePort } from '../../test/helpers/wait.js';
import { start, stopProc, waitFor, type Proc } from './procs.js';

export interface Hook {
  /** Arrival at the receiver, µs (systemClock). */
  atUs: number;
  /** The alert's startsAt (Prometheus's evaluation timestamp), ms. */
  startsAtMs: number;
}

export interface PromStackOptions {
  readonly dir: string;
  /** The rules of the one rule group (YAML list items, indented 6 spaces). */
  readonly rules: string;
  /** Also run node_exporter (netclass only) as job "node". */
  readonly nodeExporter?: boolean;
}

export interface PromStack {
  /** Firing arrivals at the webhook, by `${alertname}/${run}`. */
  readonly hooks: Map<string, Hook[]>;
  /** file_sd of job "target". */
  readonly targetsFile: string;
  /** file_sd of job "node" (node_exporter), when it runs. */
  readonly nodeFile: string;
  readonly nodePort: number;
  /** Points a file_sd file at 127.0.0.1:port with label run=runLabel (no port: no target). */
  writeSd(file: string, port: number | undefined, runLabel: string): void;
  /** How many series an instant query returns. */
  query(q: string): Promise<number>;
  stop(): Promise<void>;
}

/** Alertmanager sending every alert at once, each its own group, to a webhook on `hookPort`. */
export function alertmanagerConfig(hookPort: number): string {
  return `route:
  receiver: hook
  group_by: ['...']
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: http://127.0.0.1:${hookPort}/
        send_resolved: false
`;
}

export async function startPromStack(o: PromStackOptions): Promise<PromStack> {
  const { dir } = o;
  const [hookPort, amPort, promPort, nodePort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const hooks = new Map<string, Hook[]>();
  const hookServer = await startWebhook(hookPort, hooks);

  writeFileSync(`${dir}/am.yml`, alertmanagerConfig(hookPort));
  writeFileSync(`${dir}/rules.yml`, `groups:\n  - name: bench\n    interval: 1s\n    rules:\n${o.rules}`);
  const targetsFile = `${dir}/targets.json`;
  const nodeFile = `${dir}/node.json`;
  const writeSd = (file: string, port: number | undefined, runLabel: string) => {
    writeFileSync(`${file}.tmp`, JSON.stringify(port ? [{ targets: [`127.0.0.1:${port}`], labels: { run: runLabel } }] : []));
    renameSync(`${file}.tmp`, file);
  };
  writeSd(targetsFile, undefined, '');
  writeSd(nodeFile, o.nodeExporter ? nodePort : undefined, 'warmup');
  writeFileSync(
    `${dir}/prometheus.yml`,
    `global: {scrape_interval: 1s, evaluation_interval: 1s, scrape_timeout: 900ms}
rule_files: [${dir}/rules.yml]
alerting:
  alertmanagers:
    - static_configs: [{targets: ["127.0.0.1:${amPort}"]}]
scrape_configs:
  - job_name: target
    file_sd_configs: [{files: [${targetsFile}], refresh_interval: 1s}]
  - job_name: node
    file_sd_configs: [{files: [${nodeFile}], refresh_interval: 1s}]
`,
  );
  const procs: Proc[] = [];
  const am = start('prometheus-alertmanager', [
    `--config.file=${dir}/am.yml`,
    `--storage.path=${dir}/am-data`,
    `--web.listen-address=127.0.0.1:${amPort}`,
    '--cluster.listen-address=',
  ]);
  procs.push(am);
  if (o.nodeExporter)
    procs.push(
      start('prometheus-node-exporter', [
        `--web.listen-address=127.0.0.1:${nodePort}`,
        '--collector.disable-defaults',
        '--collector.netclass',
      ]),
    );
  const prom = start('prometheus', [
    `--config.file=${dir}/prometheus.yml`,
    `--storage.tsdb.path=${dir}/prom-data`,
    `--web.listen-address=127.0.0.1:${promPort}`,
    '--web.enable-lifecycle',
  ]);
  procs.push(prom);
  const ready = (port: number, p: Proc, name: string) =>
    waitFor(
      `${name} ready`,
      async () => {
        if (p.child.exitCode !== null) throw new Error(`${name} exited: ${p.stderr.slice(-5).join('\n')}`);
        return (await fetch(`http://127.0.0.1:${port}/-/ready`).catch(() => undefined))?.ok;
      },
      30_000,
      100,
    );
  await Promise.all([ready(amPort, am, 'alertmanager'), ready(promPort, prom, 'prometheus')]);
  return {
    hooks,
    targetsFile,
    nodeFile,
    nodePort,
    writeSd,
    async query(q) {
      const r = await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(q)}`);
      const j = (await r.json()) as { data?: { result?: unknown[] } };
      return j.data?.result?.length ?? 0;
    },
    async stop() {
      await Promise.all(procs.map(stopProc));
      hookServer.close();
    },
  };
}

async function startWebhook(port: number, hooks: Map<string, Hook[]>): Promise<Server> {
  const server = createServer((req, res) => {
    const atUs = systemClock.nowUs();
    void readBody(req).then((body) => {
      res.end('ok');
      try {
        const msg = JSON.parse(body) as { alerts: { status: string; labels: Record<string, string>; startsAt: string }[] };
        for (const a of msg.alerts) {
          if (a.status !== 'firing') continue;
          const key = `${a.labels['alertname']}/${a.labels['run']}`;
          const list = hooks.get(key) ?? [];
          list.push({ atUs, startsAtMs: Date.parse(a.startsAt) });
          hooks.set(key, list);
        }
      } catch {
        /* not ours */
      }
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  server.unref();
  return server;
}

/** Bodies here are Alertmanager's small JSON posts; capped anyway. */
function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((r) => {
    let b = '';
    req.on('data', (c) => {
      if (b.length < 1 << 20) b += c;
    });
    req.on('end', () => r(b));
  });
}
