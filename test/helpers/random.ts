/** A seeded random number generator (mulberry32): a failing run is replayed with its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed of a randomised test: FW_SEED when set (to replay a failure), else `fallback`. */
export function testSeed(fallback: number): number {
  const env = process.env['FW_SEED'];
  return env ? Number(env) : fallback;
}
