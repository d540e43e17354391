/**
 * The log sampler: tails files and globs, runs the rules over every line, saves offsets.
 * Pushes rule metrics and events as lines arrive; the agent's poll adds the cumulative counters.
 */
import { readdirSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { DirWatcher } from './dir-watcher.js';
import type { Emit, EventSampler, SamplerDeps } from '../../sampler.js';
import type { SamplerPlugin } from '../plugin.js';
import { systemClock, type Timer } from '../../../lib/clock.js';
import { LogRuleError, logConfigSchema, type LogConfig } from './config.js';
import { compileGlob, looksRotated, type FileGlob } from './glob.js';
import type { LineBatch } from './lines.js';
import { compileRules, runRules, type LogRule } from './log-rule.js';
import { OffsetStore, type Cursor } from './offsets.js';
import { FileTailer } from './tailer.js';

export type { LogConfig } from './config.js';
export const FILE_MEASUREMENT = 'log_file';
/** Lines in one read that mean a backlog (the tailer hands on at most 4,096 at once). */
const BACKLOG_LINES = 4096;

export class LogSampler implements EventSampler {
  readonly name = 'log';
  readonly rules: readonly LogRule[];
  readonly #config: LogConfig;
  readonly #deps: SamplerDeps;
  readonly #globs: FileGlob[];
  readonly #store: OffsetStore;
  readonly #tailers = new Map<string, FileTailer>();
  readonly #trailing = new Map<string, Timer>();
  #restored = new Map<string, Cursor[]>();
  #watcher: DirWatcher | null = null;
  readonly #unsaved = new Set<FileTailer>();
  #saveQueued = false;
  #poll: Timer | null = null;
  readonly #due = new Set<FileTailer>();
  #dueRun: NodeJS.Immediate | null = null;
  #emit: Emit | null = null;
  #stopped = false;
  #busyTold = false;

  /** Throws a config error (naming the rule) for a pattern RE2 refuses. */
  constructor(config: LogConfig, deps: SamplerDeps) {
    this.#config = config;
    this.#deps = deps;
    this.#globs = config.files.map(compileGlob);
    this.rules = compileRules(config.rules, { clock: deps.clock, eventLineBytes: config.eventLineBytes });
    this.#store = new OffsetStore(deps.stateDir, config.fsyncOffsets, deps.queuedSeq);
  }

  async start(emit: Emit): Promise<void> {
    this.#emit = emit;
    try {
      this.#restored = this.#store.load();
      if (this.#store.problem) emit.error(new Error(this.#store.problem));
    } catch (err) {
      emit.error(new Error(`log offsets unreadable, starting without them: ${(err as Error).message}`));
    }
    for (const path of this.#restored.keys()) if (this.#wanted(path)) this.#tailer(path, false);
    this.#scan(true);
    const dirs = [...new Set(this.#globs.map((g) => g.dir))];
    this.#watcher = new DirWatcher(
      dirs,
      (path) => this.#onFsEvent(path),
      (err) => emit.error(err),
    );
    this.#watcher.ensure();
    this.#armPoll();
    await Promise.all([...this.#tailers.values()].map((t) => this.#check(t)));
  }

  /** Does the safety poll's work (new files, missed events), then reports cumulative counters per file and per rule. */
  async sample(emit: Emit): Promise<void> {
    await this.#pollAll();
    for (const t of this.#tailers.values()) {
      const tags = { file: t.path };
      const s = t.stats;
      for (const [field, value] of Object.entries(s)) emit.counter(FILE_MEASUREMENT, snake(field), value, tags);
    }
    for (const rule of this.rules) rule.report(emit);
  }

  /**
   * Stops reading; the last offsets are saved, fsynced, at the seal of the last lines' batch (the
   * agent flushes right after stopping its samplers), so a restart resumes exactly there.
   */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#poll?.cancel();
    if (this.#dueRun) clearImmediate(this.#dueRun);
    for (const t of this.#trailing.values()) t.cancel();
    this.#watcher?.close();
    await Promise.all([...this.#tailers.values()].map((t) => t.close()));
    this.#atSeal((seq) => {
      try {
        for (const t of this.#tailers.values()) this.#store.set(t.path, t.cursors());
        this.#store.save(seq, true);
      } catch (err) {
        this.#emit?.error(err as Error);
      } finally {
        this.#store.close();
      }
    });
  }

  #wanted(path: string, name = basename(path)): boolean {
    return !looksRotated(name) && this.#globs.some((g) => g.matches(path));
  }

  #tailer(path: string, presentAtStart: boolean): FileTailer {
    let t = this.#tailers.get(path);
    if (t) return t;
    const restored = this.#restored.get(path);
    const startAtEnd = presentAtStart && !restored && this.#config.startAt === 'end';
    const tailer: FileTailer = new FileTailer(
      path,
      {
        clock: this.#deps.clock,
        maxLineBytes: this.#config.maxLineBytes,
        readChunkBytes: this.#config.readChunkBytes,
        rotateGraceMs: this.#config.rotateGraceMs,
        onBatch: (batch) => this.#onBatch(batch),
        onProgress: () => this.#save(tailer),
      },
      restored,
      startAtEnd,
    );
    this.#tailers.set(path, tailer);
    for (const rule of this.rules) if (rule.appliesTo(path)) rule.watching(path);
    return tailer;
  }

  #scan(atStart: boolean): void {
    for (const dir of new Set(this.#globs.map((g) => g.dir))) {
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        continue; // not there yet: the poll looks again
      }
      // Every entry of the directory, every second: glob dirs are resolved (normalised), so a
      // plain concatenation is the path, without path.join's normalisation.
      const prefix = dir.endsWith('/') ? dir : `${dir}/`;
      for (const name of names) {
        const path = prefix + name;
        if (this.#wanted(path, name)) this.#tailer(path, atStart);
      }
    }
  }

  /**
   * inotify delivers a burst of events (one per write) in one loop turn: each names its file
   * here, and the files are read once, after the burst (setImmediate runs after every event the
   * poll phase delivered).
   */
  #onFsEvent(path: string): void {
    if (this.#stopped) return;
    const target = this.#wanted(path) ? this.#tailer(path, false) : this.#ownerOfRotated(path);
    if (!target) return;
    this.#due.add(target);
    this.#dueRun ??= setImmediate(() => void this.#checkDue());
  }

  async #checkDue(): Promise<void> {
    this.#dueRun = null;
    const due = [...this.#due];
    this.#due.clear();
    await Promise.all(due.map((t) => this.#checkThenMaybeRecheck(t)));
  }

  /**
   * Looks once more after a burst only when the read left something unsettled (a line without
   * its newline yet, a rotated file still being drained): every later write raises its own event.
   */
  async #checkThenMaybeRecheck(t: FileTailer): Promise<void> {
    await this.#check(t);
    this.#trailing.get(t.path)?.cancel();
    this.#trailing.delete(t.path);
    if (this.#stopped || t.settled) return;
    this.#trailing.set(
      t.path,
      this.#deps.clock.setTimeout(() => {
        this.#trailing.delete(t.path);
        void this.#check(t);
      }, this.#config.recheckMs),
    );
  }

  /** app.log.1 changing means the writer still appends to the renamed file: check app.log. */
  #ownerOfRotated(path: string): FileTailer | undefined {
    const dir = dirname(path);
    const name = basename(path);
    for (const t of this.#tailers.values()) {
      if (dirname(t.path) === dir && name.startsWith(basename(t.path))) return t;
    }
    return undefined;
  }

  /**
   * The safety poll runs from sample() (the agent calls it every interval); this timer only
   * fires when sample() has not run for pollMs, so a 1 s agent wakes once a second, not twice.
   */
  #armPoll(): void {
    this.#poll?.cancel();
    if (this.#stopped) return;
    this.#poll = this.#deps.clock.setTimeout(() => void this.#pollAll(), this.#config.pollMs);
  }

  async #pollAll(): Promise<void> {
    if (this.#stopped) return;
    this.#armPoll();
    this.#watcher?.ensure();
    this.#scan(false);
    await Promise.all([...this.#tailers.values()].map((t) => this.#check(t)));
  }

  async #check(t: FileTailer): Promise<void> {
    // Backpressure from a full state disk: the lines wait in the file, the cursor stays put, and
    // the next poll after the disk takes writes again reads them.
    if (this.#deps.readPaused?.()) return;
    try {
      await t.check();
    } catch (err) {
      this.#emit?.error(err instanceof Error ? err : new Error(String(err)));
    }
  }

  #onBatch(batch: LineBatch): void {
    const emit = this.#emit;
    if (!emit) return;
    // A full unit in one read is a backlog (a start or rotation catch-up, a burst): work for optimised code.
    if (batch.count >= BACKLOG_LINES && !this.#busyTold) {
      this.#busyTold = true;
      this.#deps.busy?.();
    }
    if (emit.unit) emit.unit(() => runRules(this.rules, batch, emit));
    else runRules(this.rules, batch, emit);
  }

  /**
   * After each read that moved a cursor, the cursors are saved at the next seal, tagged with the
   * seq of the batch that holds every sample of the lines they cover (emit.atSeal): the tailer
   * moves a cursor only together with handing on its lines, and those lines' samples are emitted
   * as one unit, so at a seal the cursors cover exactly what is sealed. After a SIGKILL the saved
   * cursors whose batch reached the disk queue win: no line lost, none repeated.
   */
  #save(t: FileTailer): void {
    this.#unsaved.add(t);
    if (this.#saveQueued) return;
    this.#saveQueued = true;
    this.#atSeal((seq) => {
      this.#saveQueued = false;
      try {
        for (const tailer of this.#unsaved) this.#store.set(tailer.path, tailer.cursors());
        this.#unsaved.clear();
        this.#store.save(seq);
      } catch (err) {
        this.#emit?.error(err as Error);
      }
    });
  }

  /** At the next seal (emit.atSeal), or at once when the Emit has no queue behind it. */
  #atSeal(fn: (seq: number) => void): void {
    if (this.#emit?.atSeal) this.#emit.atSeal(fn);
    else fn(0);
  }
}

function snake(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

export const logPlugin: SamplerPlugin<LogConfig> = {
  name: 'log',
  schema: logConfigSchema,
  check: (config) => {
    try {
      compileRules(config.rules, { clock: systemClock, eventLineBytes: config.eventLineBytes });
      return undefined;
    } catch (err) {
      if (!(err instanceof LogRuleError)) throw err;
      return { path: ['rules', err.index ?? 0, err.field], problem: `rule "${err.rule}": ${err.problem}` };
    }
  },
  create: (config, deps) => (config.enabled ? [new LogSampler(config, deps)] : []),
};
