/**
 * A pair voter's memory on disk (the witness's: `pair-voter-<id>.json`): the highest term it
 * granted, to whom, and the last primary term it renewed. Without it a restarted witness starts
 * at term 0 and may grant a term twice, or elect a brain whose state is older than the last
 * primary's (docs/brain-pair.md). Written atomically, fsync'ed with its directory, mode 0600
 * (lib/state-files.ts), before the grant it records is sent; changes only when a term changes, so
 * a heartbeat renewal writes nothing.
 */
import { join } from 'node:path';
import { ensureStateDir, realFs, writeFileAtomic, type StateFs } from '../../lib/state-files.js';
import type { VoterState } from './role.js';

export function voterFilePath(stateDir: string, id: string): string {
  return join(stateDir, `pair-voter-${id}.json`);
}

/** The saved state; undefined when there is none yet (a first start). A file that is not one throws, naming it. */
export function loadVoterState(path: string, fs: StateFs = realFs): VoterState | undefined {
  if (!fs.existsSync(path)) return undefined;
  const text = fs.readFileSync(path, 'utf8') as string;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new Error(`${path}: not a pair voter state (JSON expected; move it away to start the voter afresh at term 0)`);
  }
  const o = v as Partial<Record<keyof VoterState, unknown>> | null;
  const whole = (x: unknown) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
  if (!o || !whole(o.term) || !whole(o.lastPrimaryTerm) || (o.holder !== undefined && typeof o.holder !== 'string'))
    throw new Error(
      `${path}: not a pair voter state (want {"term": N, "holder": "id", "lastPrimaryTerm": N}, found ${text.slice(0, 200)})`,
    );
  return { term: o.term as number, lastPrimaryTerm: o.lastPrimaryTerm as number, ...(o.holder ? { holder: o.holder as string } : {}) };
}

export function saveVoterState(path: string, state: VoterState, fs: StateFs = realFs): void {
  ensureStateDir(join(path, '..'), { fs });
  writeFileAtomic(path, `${JSON.stringify({ term: state.term, holder: state.holder, lastPrimaryTerm: state.lastPrimaryTerm })}\n`, fs);
}
