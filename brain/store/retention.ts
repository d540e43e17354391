/**
 * InfluxDB 1.x retention, set up by the brain at start-up (before its first write): the
 * database, a raw retention policy (the DEFAULT, where every write goes) and downsampled tiers,
 * each a retention policy filled by continuous queries from the tier before it. Idempotent:
 * what exists and matches is left alone, so a second start executes nothing. A policy whose
 * duration changed in the config is ALTERed; a continuous query whose text changed is dropped
 * and created again (its name carries a hash of its text, so a stale one is recognised).
 * Only CQs named `fw_...` are ours; anything else in the database is left alone.
 */
import { createHash } from 'node:crypto';
import { DOWNSAMPLED_FIELDS, selectList, WILDCARD_DOWNSAMPLED } from './downsample-fields.js';

export interface RetentionConfig {
  raw: { name: string; duration: string; shard_duration: string };
  /** Coarser tiers, each filled from the one before: `every` is its GROUP BY time() interval. */
  downsample: { name: string; every: string; duration: string }[];
}

/** One statement runner: InfluxQL in, the `results[0].series` rows out; throws on an error. */
export type InfluxqlRunner = (statement: string) => Promise<{ columns: string[]; values: unknown[][]; name?: string }[]>;

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** Seconds of an InfluxQL duration literal (`90d`, `1h`); INF is 0, as InfluxDB reports it. */
export function durationSeconds(literal: string): number {
  if (literal === 'INF') return 0;
  const m = /^(\d+)([smhdw])$/.exec(literal);
  if (!m) throw new Error(`not a duration: ${literal}`);
  return Number(m[1]) * UNIT_SECONDS[m[2]!]!;
}

/** Seconds of a duration as SHOW RETENTION POLICIES prints it (`168h0m0s`, `0s`). */
function shownSeconds(shown: string): number {
  let total = 0;
  for (const [, n, unit] of shown.matchAll(/(\d+)([hms])/g)) total += Number(n) * UNIT_SECONDS[unit!]!;
  return total;
}

const q = (name: string) => `"${name.replace(/"/g, '\\"')}"`;

/** Every continuous query the config asks for, by name. */
export function continuousQueries(db: string, config: RetentionConfig): Map<string, string> {
  const cqs = new Map<string, string>();
  let from = config.raw.name;
  for (const tier of config.downsample) {
    // RESAMPLE FOR 2 intervals: a point arriving a little late (an agent replaying its queue)
    // is still counted once the interval is computed again.
    const resample = `RESAMPLE EVERY ${tier.every} FOR ${2 * durationSeconds(tier.every)}s`;
    for (const m of [...Object.keys(DOWNSAMPLED_FIELDS), ...WILDCARD_DOWNSAMPLED]) {
      const body = `SELECT ${selectList(m)} INTO ${q(db)}.${q(tier.name)}.${q(m)} FROM ${q(db)}.${q(from)}.${q(m)} GROUP BY time(${tier.every}), *`;
      const text = `${resample} BEGIN ${body} END`;
      const hash = createHash('sha256').update(text).digest('hex').slice(0, 8);
      cqs.set(`fw_${tier.name}_${m}_${hash}`, text);
    }
    from = tier.name;
  }
  return cqs;
}

/**
 * Brings the database to the config; returns the statements it executed (empty when everything
 * already matched).
 */
export async function ensureRetention(run: InfluxqlRunner, db: string, config: RetentionConfig): Promise<string[]> {
  const executed: string[] = [];
  const exec = async (statement: string) => {
    await run(statement);
    executed.push(statement);
  };
  const databases = (await run('SHOW DATABASES'))[0]?.values.map((v) => v[0]) ?? [];
  if (!databases.includes(db)) await exec(`CREATE DATABASE ${q(db)}`);

  const rows = (await run(`SHOW RETENTION POLICIES ON ${q(db)}`))[0];
  const col = (name: string) => rows?.columns.indexOf(name) ?? -1;
  const existing = new Map(
    (rows?.values ?? []).map((v) => [
      String(v[col('name')]),
      {
        duration: shownSeconds(String(v[col('duration')])),
        shard: shownSeconds(String(v[col('shardGroupDuration')])),
        isDefault: v[col('default')] === true,
      },
    ]),
  );
  const wanted = [
    { name: config.raw.name, duration: config.raw.duration, shard: config.raw.shard_duration, isDefault: true },
    ...config.downsample.map((t) => ({ name: t.name, duration: t.duration, shard: undefined, isDefault: false })),
  ];
  for (const rp of wanted) {
    const have = existing.get(rp.name);
    const shardClause = rp.shard ? ` SHARD DURATION ${rp.shard}` : '';
    const defaultClause = rp.isDefault ? ' DEFAULT' : '';
    if (!have) {
      await exec(`CREATE RETENTION POLICY ${q(rp.name)} ON ${q(db)} DURATION ${rp.duration} REPLICATION 1${shardClause}${defaultClause}`);
      continue;
    }
    const durationDiffers = have.duration !== durationSeconds(rp.duration);
    const shardDiffers = rp.shard !== undefined && have.shard !== durationSeconds(rp.shard);
    const defaultDiffers = rp.isDefault && !have.isDefault;
    if (durationDiffers || shardDiffers || defaultDiffers) {
      await exec(`ALTER RETENTION POLICY ${q(rp.name)} ON ${q(db)} DURATION ${rp.duration}${shardClause}${defaultClause}`);
    }
  }

  const cqRows = (await run('SHOW CONTINUOUS QUERIES')).find((s) => s.name === db);
  const haveCqs = new Set((cqRows?.values ?? []).map((v) => String(v[0])).filter((n) => n.startsWith('fw_')));
  const wantCqs = continuousQueries(db, config);
  for (const name of haveCqs) if (!wantCqs.has(name)) await exec(`DROP CONTINUOUS QUERY ${q(name)} ON ${q(db)}`);
  for (const [name, text] of wantCqs) if (!haveCqs.has(name)) await exec(`CREATE CONTINUOUS QUERY ${q(name)} ON ${q(db)} ${text}`);
  return executed;
}

/** Problems a JSON schema cannot see, as `path: problem`; undefined when the config is sound. */
export function retentionProblem(config: RetentionConfig): { path: (string | number)[]; problem: string } | undefined {
  const raw = durationSeconds(config.raw.duration);
  if (raw !== 0 && raw < 3600) return { path: ['raw', 'duration'], problem: 'InfluxDB keeps data at least 1h (or INF)' };
  const names = new Set([config.raw.name]);
  let previousEvery = 0;
  let previousKeep = raw;
  for (const [i, tier] of config.downsample.entries()) {
    const every = durationSeconds(tier.every);
    const keep = durationSeconds(tier.duration);
    if (names.has(tier.name)) return { path: ['downsample', i, 'name'], problem: `"${tier.name}" is used twice` };
    names.add(tier.name);
    if (every <= previousEvery)
      return { path: ['downsample', i, 'every'], problem: `must be coarser than the tier before it (${tier.every})` };
    if (keep !== 0 && keep < 3600) return { path: ['downsample', i, 'duration'], problem: 'InfluxDB keeps data at least 1h (or INF)' };
    if (keep !== 0 && (previousKeep === 0 || keep < previousKeep)) {
      return {
        path: ['downsample', i, 'duration'],
        problem: `a downsampled tier must keep its data at least as long as the tier it is made from (${tier.duration})`,
      };
    }
    if (keep !== 0 && every >= keep)
      return { path: ['downsample', i, 'every'], problem: `must be shorter than the tier's duration ${tier.duration}` };
    previousEvery = every;
    previousKeep = keep;
  }
  return undefined;
}
