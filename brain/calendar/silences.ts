/**
 * Silences: "don't page about this" by label matchers, with an author, a reason and an expiry
 * (Alertmanager's silences). Expired silences are dropped; the set is bounded.
 */
import { matchesAll, parseMatcher, type LabelMatcher, type Labels } from '../../lib/labels.js';
import type { Muter, MuteReason } from './muter.js';

export interface Silence {
  readonly id: string;
  readonly matchers: readonly LabelMatcher[];
  readonly author: string;
  readonly reason: string;
  readonly startsAt: number;
  readonly endsAt: number;
}

const MAX_SILENCES = 10_000;

export class Silences implements Muter {
  readonly #byId = new Map<string, Silence>();

  /** Adds or replaces a silence; refuses (false) when the bounded set is full. */
  add(s: Silence): boolean {
    if (!this.#byId.has(s.id) && this.#byId.size >= MAX_SILENCES) return false;
    this.#byId.set(s.id, s);
    return true;
  }

  /** Ends a silence early (an operator's "unsilence"). */
  expire(id: string): boolean {
    return this.#byId.delete(id);
  }

  list(): Silence[] {
    return [...this.#byId.values()];
  }

  mutes(labels: Labels, at: Date): MuteReason | undefined {
    const t = at.getTime();
    for (const [id, s] of this.#byId) {
      if (t >= s.endsAt) {
        this.#byId.delete(id);
        continue;
      }
      if (t >= s.startsAt && matchesAll(s.matchers, labels))
        return { kind: 'silence', id: s.id, author: s.author, reason: s.reason, until: s.endsAt };
    }
    return undefined;
  }
}

/** A silence from text matchers (`host=~"tp-.*"`); throws on a matcher RE2 refuses. */
export function silence(o: {
  id: string;
  match: readonly string[];
  author: string;
  reason: string;
  startsAt: number;
  endsAt: number;
}): Silence {
  return { id: o.id, matchers: o.match.map(parseMatcher), author: o.author, reason: o.reason, startsAt: o.startsAt, endsAt: o.endsAt };
}
