import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readPointCloud } from './read-point-cloud.js';

/** A seeded linear congruential generator in [0, 1). */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe('fuzzing the LAZ reader (slow: each read decodes 60 000 points)', () => {
  it('40 mutated LAZ files either read or fail with a readPointCloud error; truncations always fail', async () => {
    const original = new Uint8Array(
      readFileSync(new URL('../test/fixtures/ign_77055_627760.laz', import.meta.url)),
    );
    const random = seededRandom(11);
    for (let variant = 0; variant < 40; variant++) {
      const truncate = variant % 2 === 0;
      let bytes: Uint8Array;
      if (truncate) bytes = original.slice(0, Math.floor(random() * original.length));
      else {
        bytes = original.slice();
        for (let flip = 0; flip < 4; flip++)
          bytes[Math.floor(random() * bytes.length)] ^= 1 << Math.floor(random() * 8);
      }
      try {
        const cloud = await readPointCloud(bytes);
        expect(truncate, `variant ${variant} was truncated but read`).toBe(false);
        expect(cloud.count).toBeGreaterThan(0);
      } catch (error) {
        expect((error as Error).message, `variant ${variant}`).toMatch(/^readPointCloud: /);
      }
    }
  });
});
