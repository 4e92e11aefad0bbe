/**
 * The tests' one seeded PRNG (mulberry32), for reproducible statistics, fuzzing and minted
 * test tokens: the same IDs every run. Not a CSPRNG: the worker uses crypto.getRandomValues.
 * Self-contained on purpose: fault-harness.ts installs this very function inside workerd
 * (by its source text) as the worker's getRandomValues.
 */
export function seededRandom(seed: number): { next(): number; fill(buf: Uint8Array): Uint8Array } {
  let a = seed >>> 0;
  const step = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  return {
    /** A float in [0, 1). */
    next: () => step() / 4294967296,
    /** Fills `buf`, one step per byte (its low 8 bits), and returns it. */
    fill(buf: Uint8Array): Uint8Array {
      for (let i = 0; i < buf.length; i++) buf[i] = step() & 0xff;
      return buf;
    },
  };
}
