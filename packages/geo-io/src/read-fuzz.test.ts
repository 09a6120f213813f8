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

/** A truncation, byte flips, or an overwrite with 0xFF bytes (huge sizes and offsets). */
function mutate(original: Uint8Array, random: () => number, headerBytes: number): Uint8Array {
  const kind = Math.floor(random() * 3);
  if (kind === 0) return original.slice(0, Math.floor(random() * original.length));
  const bytes = original.slice();
  const count = 1 + Math.floor(random() * 8);
  for (let index = 0; index < count; index++) {
    // Half of the mutations hit the header and directories, where parsing decisions are made.
    const span = random() < 0.5 ? Math.min(headerBytes, bytes.length) : bytes.length;
    const at = Math.floor(random() * span);
    bytes[at] = kind === 1 ? bytes[at] ^ (1 << Math.floor(random() * 8)) : 0xff;
  }
  return bytes;
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

async function fuzz(
  base: string,
  variants: number,
  seed: number,
  headerBytes: number,
  read: (path: string) => Promise<unknown>,
): Promise<{ succeeded: number; failed: number }> {
  const original = new Uint8Array(readFileSync(fixture(base)));
  const random = seededRandom(seed);
  let succeeded = 0;
  let failed = 0;
  for (let variant = 0; variant < variants; variant++) {
    const path = join(directory, `${variant}-${base}`);
    writeFileSync(path, mutate(original, random, headerBytes));
    try {
      await withTimeout(read(path), 5000);
      succeeded++;
    } catch (error) {
      expect(error, `variant ${variant}`).toBeInstanceOf(Error);
      const message = (error as Error).message;
      expect(message, `variant ${variant}`).not.toMatch(/timed out/);
      expect(message, `variant ${variant}: ${message}`).toContain(path);
      failed++;
    }
  }
  return { succeeded, failed };
}

describe('fuzzing the readers with mutated files (seeded, bounded)', () => {
  it('GeoTIFF: 200 variants either read or fail with an error naming the file', async () => {
    const tiled = await fuzz('variant_tiled_lzw.tif', 100, 1, 2048, (path) => readRaster(path));
    const striped = await fuzz('zion_srtm_crop.tif', 100, 2, 2048, (path) => readRaster(path));
    expect(tiled.failed + striped.failed).toBeGreaterThan(20);
    expect(tiled.succeeded + tiled.failed + striped.succeeded + striped.failed).toBe(200);
  });

  it('LAS: 100 variants either read or fail with an error naming the file', async () => {
    const result = await fuzz('synthetic_format8.las', 100, 3, 500, (path) => readPointCloud(path));
    expect(result.failed).toBeGreaterThan(10);
  });
});
