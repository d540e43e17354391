/**
 * A real SNPP gateway for tests: Debian's HylaFAX hfaxd, without a modem (recipe:
 * ../shared/design/feasibility.md §6a). A private copy of the spool with a pagermap, faxq on the
 * same spool (SEND needs its FIFO), and `hfaxd -S` started per connection behind our own
 * 127.0.0.1 listener, because `hfaxd -s PORT` binds 0.0.0.0 whatever -l says.
 * Queued pages are read back from sendq/q<job> and the docq text file it names.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDebianBinary, type Availability } from './influxd.js';
import { freePort, waitFor } from './wait.js';

export const HFAXD_BIN = '/usr/sbin/hfaxd';
const FAXQ_BIN = '/usr/sbin/faxq';

/** The default map: two named on-call pagers, numeric ids as PINs, and `bad*` refused (550). */
export const DEFAULT_PAGERMAP = [
  'oncall-ldn\t5550100/1001',
  'oncall-nyc\t5550100/1002',
  'oncall-sgp\t5550100/1003',
  '[0-9]+\t5550100/&',
  'bad.*\treject',
].join('\n');

export interface QueuedPage {
  readonly jobId: number;
  readonly jobType: string;
  readonly owner: string;
  /** The paging provider's number, from the pagermap. */
  readonly number: string;
  /** The PIN the pagermap gave the pager id. */
  readonly pin: string;
  readonly text: string;
}

export interface HfaxdSnpp {
  readonly port: number;
  readonly spool: string;
  readonly listening: boolean;
  /** Connections accepted so far (each one ran its own hfaxd). */
  readonly connections: number;
  /** Closes the listener and waits for running hfaxd sessions: new connections are refused. */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
  /** Every page in the send queue, by job id. */
  pages(): QueuedPage[];
  /** Final: listener, sessions and faxq stopped, spool removed. Idempotent. */
  stop(): Promise<void>;
}

export function hfaxdAvailable(): Promise<Availability> {
  return ensureDebianBinary(HFAXD_BIN, 'hylafax-server');
}

export async function startHfaxdSnpp(opts: { pagermap?: string } = {}): Promise<HfaxdSnpp> {
  const available = await hfaxdAvailable();
  if (!available.ok) throw new Error(available.reason);
  const root = mkdtempSync(join(tmpdir(), 'fw-hfaxd-'));
  // faxq and hfaxd drop to uucp: they must be able to reach the spool inside our temp dir.
  chmodSync(root, 0o755);
  const spool = join(root, 'spool');
  try {
    prepareSpool(spool, opts.pagermap ?? DEFAULT_PAGERMAP);
  } catch (err) {
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
  const faxq = spawn(FAXQ_BIN, ['-D', '-q', spool], { stdio: ['ignore', 'ignore', 'pipe'] });
  const killFaxq = () => faxq.kill('SIGKILL');
  process.once('exit', killFaxq);
  const sessions = new Set<ChildProcess>();
  const port = await freePort();
  let server: Server | undefined;
  let connections = 0;
  let stopped = false;

  const onConnection = (socket: Socket) => {
    connections++;
    // The accepted socket becomes hfaxd's stdin/stdout, inetd style; our copy is closed at once.
    const child = spawn(HFAXD_BIN, ['-S', '-q', spool], { stdio: [socket, socket, 'ignore'] });
    sessions.add(child);
    child.once('exit', () => sessions.delete(child));
    child.once('error', () => sessions.delete(child));
    socket.destroy();
  };
  const up = async () => {
    if (server) return;
    const s = createServer({ pauseOnConnect: true }, onConnection);
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve());
    });
    server = s;
  };
  const down = async () => {
    const s = server;
    server = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    await waitFor('hfaxd sessions to end', () => sessions.size === 0, { timeoutMs: 10_000 });
  };

  try {
    await waitFor(
      'faxq FIFO',
      () => {
        if (faxq.exitCode !== null) throw new Error(`faxq exited ${faxq.exitCode}`);
        return existsSync(join(spool, 'FIFO'));
      },
      { timeoutMs: 10_000 },
    );
    await up();
  } catch (err) {
    killFaxq();
    rmSync(root, { recursive: true, force: true });
    throw err;
  }

  return {
    port,
    spool,
    get listening() {
      return server !== undefined;
    },
    get connections() {
      return connections;
    },
    down,
    up,
    pages: () => readQueuedPages(spool),
    async stop() {
      if (stopped) return;
      stopped = true;
      await down().catch(() => undefined);
      for (const s of sessions) s.kill('SIGKILL');
      const exited = faxq.exitCode !== null || faxq.signalCode !== null ? Promise.resolve() : new Promise((r) => faxq.once('exit', r));
      faxq.kill('SIGTERM');
      await exited;
      process.removeListener('exit', killFaxq);
      rmSync(root, { recursive: true, force: true });
    },
  };
}

function prepareSpool(spool: string, pagermap: string): void {
  // cp -a keeps the uucp ownership hfaxd and faxq expect; fs.cpSync would not.
  const copy = (args: string[]) => {
    const r = spawnSync('cp', args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`cp ${args.join(' ')}: ${r.stderr}`);
  };
  copy(['-a', '/var/spool/hylafax', spool]);
  copy(['-a', '/etc/hylafax/.', join(spool, 'etc')]);
  // hfaxd chroots into the spool, so these are its /etc/hosts.hfaxd and /etc/pagermap.
  appendFileSync(join(spool, 'etc/hosts.hfaxd'), '127\\.0\\.0\\.1\nlocalhost\n.*@127\\.0\\.0\\.1\n');
  writeFileSync(join(spool, 'etc/pagermap'), pagermap.endsWith('\n') ? pagermap : `${pagermap}\n`);
}

function readQueuedPages(spool: string): QueuedPage[] {
  const sendq = join(spool, 'sendq');
  const pages: QueuedPage[] = [];
  for (const name of readdirSync(sendq)) {
    if (!/^q\d+$/.test(name)) continue;
    const fields = parseJobFile(readFileSync(join(sendq, name), 'latin1'));
    const doc = /^\d+::(.+)$/.exec(fields.get('data') ?? '')?.[1];
    const text = doc ? readTextOrEmpty(join(spool, doc)) : '';
    // hfaxd writes the job file, then the page text: a job without its text yet is not queued yet
    // (a test reading the queue in between saw an empty page on a busy machine).
    if (text === '') continue;
    pages.push({
      jobId: Number(fields.get('jobid') ?? name.slice(1)),
      jobType: fields.get('jobtype') ?? '',
      owner: fields.get('owner') ?? '',
      number: fields.get('number') ?? '',
      pin: /^\d+::(.*)$/.exec(fields.get('page') ?? '')?.[1] ?? '',
      text,
    });
  }
  return pages.sort((a, b) => a.jobId - b.jobId);
}

/** `key:value` lines; the first occurrence wins (`!page` and friends are other keys). */
function parseJobFile(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const key = line.slice(0, i);
    if (!fields.has(key)) fields.set(key, line.slice(i + 1));
  }
  return fields;
}

function readTextOrEmpty(file: string): string {
  try {
    return readFileSync(file, 'latin1');
  } catch {
    return '';
  }
}
