/**
 * A seeded PRNG (mulberry32) for reproducible statistics and fuzzing in tests. Not a
 * CSPRNG: the worker uses crypto.getRandomValues; tests need the same IDs every run.
 */
export function seededRandom(seed: number): { next(): number; fill(buf: Uint8Array): void } {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    fill(buf: Uint8Array) {
      for (let i = 0; i < buf.length; i++) buf[i] = Math.floor(next() * 256);
    },
  };
}
