/**
 * Starts a real VictoriaMetrics (Debian's victoria-metrics) for tests: 127.0.0.1 on a free port,
 * a temp data dir, never the distribution's service. VM names series `<measurement>_<field>` and
 * buffers ingested rows for a moment, so readers flush and wait with a deadline.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDebianBinary, lifecycle, ServerProcess, type Availability, type ManagedServer } from './influxd.js';
import { freePort, waitFor } from './wait.js';

export const VICTORIA_BIN = '/usr/bin/victoria-metrics';

export interface Victoria extends ManagedServer {
  /** Samples stored for a series selector, e.g. `{__name__="nic_rx_bytes"}`. */
  countSamples(selector: string): Promise<number>;
  /** Waits (with a deadline) until at least `expected` samples are readable; returns the count. */
  waitForSamples(selector: string, expected: number, timeoutMs?: number): Promise<number>;
  /** Raw /api/v1/export rows for a selector. */
  exportSeries(selector: string): Promise<ExportedSeries[]>;
}

export interface ExportedSeries {
  metric: Record<string, string>;
  values: number[];
  timestamps: number[];
}

export function victoriaAvailable(): Promise<Availability> {
  return ensureDebianBinary(VICTORIA_BIN, 'victoria-metrics');
}

export async function startVictoria(): Promise<Victoria> {
  const available = await victoriaAvailable();
  if (!available.ok) throw new Error(available.reason);
  const dataDir = mkdtempSync(join(tmpdir(), 'fw-victoria-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const args = [
    `-storageDataPath=${dataDir}`,
    `-httpListenAddr=127.0.0.1:${port}`,
    '-retentionPeriod=1d',
    '-search.latencyOffset=0s',
    '-search.disableCache',
    '-loggerLevel=WARN',
  ];
  const server = new ServerProcess('victoria-metrics', VICTORIA_BIN, args, `${url}/health`);
  try {
    await server.start();
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const exportSeries = (selector: string) => exportFrom(url, selector);
  const countSamples = async (selector: string) => {
    await forceFlush(url);
    const series = await exportSeries(selector);
    return series.reduce((n, s) => n + s.values.length, 0);
  };
  return {
    url,
    port,
    dataDir,
    get running() {
      return server.running;
    },
    ...lifecycle(server, dataDir, 'victoria-metrics'),
    countSamples,
    exportSeries,
    waitForSamples: (selector, expected, timeoutMs = 10_000) =>
      waitFor(
        `${expected} samples of ${selector} in victoria-metrics`,
        async () => {
          const n = await countSamples(selector);
          return n >= expected ? n : undefined;
        },
        { timeoutMs, everyMs: 200 },
      ),
  };
}

/** Makes buffered rows searchable now instead of after VM's 1–3 s ingestion delay. */
async function forceFlush(url: string): Promise<void> {
  const res = await fetch(`${url}/internal/force_flush`, { signal: AbortSignal.timeout(5000) });
  await res.arrayBuffer();
}

async function exportFrom(url: string, selector: string): Promise<ExportedSeries[]> {
  const params = new URLSearchParams({ 'match[]': selector, start: '0' });
  const res = await fetch(`${url}/api/v1/export?${params}`, { signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  if (!res.ok) throw new Error(`victoria-metrics export ${selector}: ${res.status} ${text.slice(0, 500)}`);
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as ExportedSeries);
}
