/**
 * Watches processes the wrapper did not start, by name (comm) or command-line pattern (RE2: a
 * user's pattern can never hang the agent). One /proc scan per sample() serves every watch;
 * systeminformation.processes() is avoided because it spawns ~80 children per call.
 */
import { join } from 'node:path';
import RE2 from 're2';
import type { Clock } from '../../../lib/clock.js';
import type { Emit, Sampler, SamplerDeps } from '../../sampler.js';
import type { SamplerPlugin } from '../plugin.js';
import { cpuPercent, listPids, parseStat, readCmdline, readStat, type ProcStat } from '../../wrapper/proc-stats.js';
import { KeptFile } from '../nic/kept-file.js';
import { pageSize } from '../page-size.js';
import { watchEvents, type WatchState } from './watch-events.js';

export interface ProcessWatchConfig {
  name: string;
  /** Exact match on /proc/<pid>/comm (the kernel cuts it to 15 characters). */
  comm?: string;
  /** RE2 pattern searched in the command line (arguments joined by spaces). */
  cmdline?: string;
  /** Fewer matching processes than this is a MAJOR event. */
  min: number;
}

export interface ProcessConfig {
  enabled: boolean;
  watches: ProcessWatchConfig[];
}

interface Identity {
  watches: number[];
  firstSeenMs: number;
  checkedMs: number;
  /** The last scan that listed it: one not listed by the current scan has gone. */
  scan: number;
  /** A matched process's stat, kept open and re-read in place each scan. */
  stat?: KeptFile;
}

/**
 * pread on a kept /proc/<pid> descriptor fails (ESRCH) once that process is gone, even if its
 * pid is reused, so a kept file never reads another process. stat alone gives CPU ticks and
 * RSS (resident pages, the counter statm shows), so one read per matched process per scan.
 */
function readMatched(file: KeptFile, pageBytes: number): { stat: ProcStat; rssBytes: number } | undefined {
  try {
    const stat = parseStat(file.read());
    return stat && { stat, rssBytes: Number.isFinite(stat.rssPages) ? stat.rssPages * pageBytes : 0 };
  } catch {
    file.close();
    return undefined;
  }
}

const YOUNG_MS = 5_000;
const RECHECK_MS = 30_000;

interface Watch {
  config: ProcessWatchConfig;
  pattern: RE2 | undefined;
  state: WatchState;
}

interface ScanMatch {
  pids: number[];
  /** Tick counters keyed by pid:starttime, so a reused pid is a new process. */
  ticks: Map<string, number>;
  rssBytes: number;
}

export class ProcessWatchSampler implements Sampler {
  readonly name = 'process';
  readonly #watches: Watch[];
  readonly #procRoot: string;
  readonly #clock: Clock;
  readonly #needsCmdline: boolean;
  /**
   * pid → the watches it matched. Unmatched processes are then skipped without reading their
   * stat (a scan of 100+ processes every second was the agent's largest cost).
   */
  readonly #identity = new Map<number, Identity>();
  readonly #pageBytes: number;
  #scans = 0;

  constructor(config: ProcessConfig, deps: Pick<SamplerDeps, 'clock' | 'procRoot'>) {
    this.#procRoot = deps.procRoot;
    this.#clock = deps.clock;
    this.#watches = config.watches.map((w, i) => ({
      config: w,
      pattern: compile(w, i),
      state: { known: false, pids: [], ticks: new Map(), atMs: 0 },
    }));
    this.#needsCmdline = this.#watches.some((w) => w.pattern !== undefined);
    this.#pageBytes = pageSize(deps.procRoot);
  }

  sample(emit: Emit): void {
    let pids: number[];
    try {
      pids = listPids(this.#procRoot);
    } catch (err) {
      emit.error(err as Error);
      return;
    }
    const nowMs = this.#clock.monotonic();
    const matches = this.#scan(pids, nowMs);
    const timeUs = this.#clock.nowUs();
    this.#watches.forEach((watch, i) => this.#report(watch, matches[i]!, nowMs, timeUs, emit));
  }

  #scan(pids: number[], nowMs: number): ScanMatch[] {
    const matches: ScanMatch[] = this.#watches.map(() => ({ pids: [], ticks: new Map(), rssBytes: 0 }));
    const scan = ++this.#scans;
    // Indexed loops and forEach: this runs over every process of the host every second, and
    // for..of allocates an iterator result per step in code that is never optimised.
    for (let p = 0; p < pids.length; p++) {
      const pid = pids[p]!;
      let known = this.#identity.get(pid);
      if (!known || this.#stale(known, nowMs)) {
        const fresh = this.#identify(pid, known?.firstSeenMs ?? nowMs, nowMs);
        if (known?.stat && fresh?.watches.length) fresh.stat = known.stat;
        else known?.stat?.close();
        known = fresh;
        if (!known) {
          this.#identity.delete(pid);
          continue;
        }
        this.#identity.set(pid, known);
      }
      known.scan = scan;
      // Unmatched processes cost one readdir entry per scan: their stat is never read again.
      if (known.watches.length === 0) continue;
      known.stat ??= new KeptFile(join(this.#procRoot, String(pid), 'stat'), 1024);
      const now = readMatched(known.stat, this.#pageBytes);
      if (!now) {
        this.#identity.delete(pid); // gone (or its pid reused): identified afresh if listed again
        continue;
      }
      for (const i of known.watches) {
        const match = matches[i]!;
        match.pids.push(pid);
        match.ticks.set(`${pid}:${now.stat.startTicks}`, now.stat.cpuTicks);
        match.rssBytes += now.rssBytes;
      }
    }
    this.#identity.forEach((known, pid) => {
      if (known.scan === scan) return;
      known.stat?.close();
      this.#identity.delete(pid);
    });
    return matches;
  }

  /**
   * A young process may still exec or rename itself (comm changes, same pid), so it is looked
   * at on every scan for its first seconds; an old one only every RECHECK_MS.
   */
  #stale(known: Identity, nowMs: number): boolean {
    return nowMs - known.firstSeenMs < YOUNG_MS || nowMs - known.checkedMs >= RECHECK_MS;
  }

  /** Which watches a pid matches: comm and cmdline are read only here. */
  #identify(pid: number, firstSeenMs: number, nowMs: number): Identity | undefined {
    const stat = readStat(this.#procRoot, pid);
    if (!stat) return undefined;
    const cmdline = this.#needsCmdline ? readCmdline(this.#procRoot, pid) : undefined;
    const watches: number[] = [];
    this.#watches.forEach((watch, i) => {
      const hit = watch.pattern ? cmdline !== undefined && cmdline !== '' && watch.pattern.test(cmdline) : watch.config.comm === stat.comm;
      if (hit) watches.push(i);
    });
    return { watches, firstSeenMs, checkedMs: nowMs, scan: this.#scans };
  }

  #report(watch: Watch, match: ScanMatch, nowMs: number, timeUs: number, emit: Emit): void {
    const tags = { watch: watch.config.name };
    const previous = watch.state;
    let prevTicks = 0;
    let ticks = 0;
    for (const [key, t] of match.ticks) {
      const before = previous.ticks.get(key);
      if (before === undefined) continue;
      prevTicks += before;
      ticks += t;
    }
    emit.gauge('process_watch', 'count', match.pids.length, tags, timeUs);
    emit.gauge('process_watch', 'rss_bytes', match.rssBytes, tags, timeUs);
    if (previous.known)
      emit.gauge('process_watch', 'cpu_percent', round2(cpuPercent(prevTicks, previous.atMs, ticks, nowMs)), tags, timeUs);
    for (const e of watchEvents(watch.config, previous, match.pids)) emit.event(e.kind, { ...e.input, tags, timeUs });
    watch.state = { known: true, pids: match.pids, ticks: match.ticks, atMs: nowMs };
  }
}

function compile(watch: ProcessWatchConfig, index: number): RE2 | undefined {
  if (watch.cmdline === undefined) return undefined;
  try {
    return new RE2(watch.cmdline);
  } catch (err) {
    throw new Error(`process.watches[${index}] (${watch.name}): cmdline is not a valid RE2 pattern: ${(err as Error).message}`);
  }
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

export const processPlugin: SamplerPlugin<ProcessConfig> = {
  name: 'process',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      enabled: { type: 'boolean', default: true },
      watches: {
        type: 'array',
        maxItems: 256,
        default: [],
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['name'],
          oneOf: [{ required: ['comm'] }, { required: ['cmdline'] }],
          properties: {
            name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' },
            comm: { type: 'string', minLength: 1, maxLength: 15 },
            cmdline: { type: 'string', minLength: 1, maxLength: 1024 },
            min: { type: 'integer', minimum: 0, maximum: 100000, default: 0 },
          },
        },
      },
    },
  },
  create: (config, deps) => (config.enabled ? [new ProcessWatchSampler(config, deps)] : []),
};
