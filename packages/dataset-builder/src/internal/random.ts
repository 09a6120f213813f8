/**
 * Seeded random numbers: a small sequential generator for shuffles and a counter-based
 * (hash) generator so that per-cell noise does not depend on the order cells are visited.
 */

/**
 * A sequential generator of uniform numbers in `[0, 1)` (mulberry32): the one behind the dataset's shuffles and
 * splits, for callers that draw patches the same way.
 *
 * @param seed - Any 32-bit integer.
 * @returns The generator.
 */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Mixes 32-bit integers into one well-spread 32-bit hash (murmur3 finaliser per word). */
export function hashIntegers(...values: number[]): number {
  let h = 0x9e3779b9;
  for (const value of values) {
    let k = value | 0;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * A standard normal number that depends only on `(seed, row, column)` (Box-Muller on two hashes).
 */
export function gaussianAt(seed: number, row: number, column: number): number {
  const u1 = (hashIntegers(seed, row, column, 1) + 1) / 4294967297;
  const u2 = hashIntegers(seed, row, column, 2) / 4294967296;
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** Shuffles `items` in place with the Fisher-Yates algorithm driven by `random`. */
export function shuffleInPlace<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    const swap = items[i]!;
    items[i] = items[j]!;
    items[j] = swap;
  }
  return items;
}
