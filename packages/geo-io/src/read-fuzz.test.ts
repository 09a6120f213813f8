import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readPointCloud } from './read-point-cloud.js';
import { readRaster } from './read-raster.js';

const fixture = (name: string) => new URL(`../test/fixtures/${name}`, import.meta.url).pathname;
const directory = mkdtempSync(join(tmpdir(), 'geo-io-fuzz-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

/** A seeded linear congruential generator in [0, 1). */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** A mutated copy of a file, and whether the mutation was a truncation. */
interface Mutation {
  readonly bytes: Uint8Array;
  readonly truncated: boolean;
}

/** A truncation, byte flips, or an overwrite with 0xFF bytes (huge sizes and offsets). */
function mutate(original: Uint8Array, random: () => number, headerBytes: number): Mutation {
  const kind = Math.floor(random() * 3);
  if (kind === 0)
    return { bytes: original.slice(0, Math.floor(random() * original.length)), truncated: true };
  const bytes = original.slice();
  const count = 1 + Math.floor(random() * 8);
  for (let index = 0; index < count; index++) {
    // Half of the mutations hit the header and directories, where parsing decisions are made.
    const span = random() < 0.5 ? Math.min(headerBytes, bytes.length) : bytes.length;
    const at = Math.floor(random() * span);
    bytes[at] = kind === 1 ? bytes[at] ^ (1 << Math.floor(random() * 8)) : 0xff;
  }
  return { bytes, truncated: false };
}

async function withTimeout<T>(promise: Promise<T>, milliseconds: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${milliseconds} ms`)), milliseconds);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Reads `variants` mutations of a fixture. Every failure must be an error naming the file. A truncated file
 * that reads must give exactly what the original gives (a reader may only succeed when the cut removed
 * nothing it uses); byte flips may change values (they can hit pixels, which no reader can tell).
 */
async function fuzz(
  base: string,
  variants: number,
  seed: number,
  headerBytes: number,
  read: (path: string) => Promise<unknown>,
): Promise<{ succeeded: number; failed: number; truncatedRead: number }> {
  const original = new Uint8Array(readFileSync(fixture(base)));
  const expected = await read(fixture(base));
  const random = seededRandom(seed);
  let succeeded = 0;
  let failed = 0;
  let truncatedRead = 0;
  for (let variant = 0; variant < variants; variant++) {
    const path = join(directory, `${variant}-${base}`);
    const mutation = mutate(original, random, headerBytes);
    writeFileSync(path, mutation.bytes);
    let result: unknown;
    try {
      result = await withTimeout(read(path), 5000);
    } catch (error) {
      expect(error, `variant ${variant}`).toBeInstanceOf(Error);
      const message = (error as Error).message;
      expect(message, `variant ${variant}`).not.toMatch(/timed out/);
      expect(message, `variant ${variant}: ${message}`).toContain(path);
      failed++;
      continue;
    }
    succeeded++;
    if (mutation.truncated) {
      truncatedRead++;
      expect(result, `variant ${variant}: cut to ${mutation.bytes.length} bytes but read`).toEqual(expected);
    }
  }
  return { succeeded, failed, truncatedRead };
}

describe('fuzzing the readers with mutated files (seeded, bounded)', () => {
  it('GeoTIFF: 200 variants either read or fail with an error naming the file; truncated ones read only unchanged', async () => {
    const tiled = await fuzz('variant_tiled_lzw.tif', 100, 1, 2048, (path) => readRaster(path));
    const striped = await fuzz('zion_srtm_crop.tif', 100, 2, 2048, (path) => readRaster(path));
    expect(tiled.failed + striped.failed).toBeGreaterThan(20);
    expect(tiled.succeeded + tiled.failed + striped.succeeded + striped.failed).toBe(200);
  });

  it('LAS: 100 variants either read or fail with an error naming the file; truncated ones read only unchanged', async () => {
    const result = await fuzz('synthetic_format8.las', 100, 3, 500, (path) => readPointCloud(path));
    expect(result.failed).toBeGreaterThan(10);
  });
});
