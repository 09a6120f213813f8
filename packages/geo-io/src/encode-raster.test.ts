import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ndarray from 'ndarray';
import { afterAll, describe, expect, it } from 'vitest';
import { readRaster } from './read-raster.js';
import { resolveCrs } from './resolve-crs.js';
import type { Raster } from './types.js';
import { encodeRaster, writeRaster } from './write-raster.js';

const directory = mkdtempSync(join(tmpdir(), 'geo-io-encode-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const dem: Raster = {
  data: ndarray(
    Float32Array.from({ length: 300 * 200 }, (_, i) => (i % 97 === 0 ? -9999 : 500 + Math.sin(i / 37) * 20)),
    [1, 200, 300],
  ),
  transform: [500000, 2, 0, 4800000, 0, -2],
  crs: resolveCrs(32631),
  nodata: -9999,
};

describe('encodeRaster', () => {
  for (const options of [
    {},
    { compression: 'deflate', tileSize: 64 },
    { compression: 'deflate', tileSize: 64, layout: 'cog', predictor: 'auto', bands: [{ unit: 'm' }] },
  ] as const) {
    it(`gives the bytes writeRaster writes (${JSON.stringify(options)}), which read back as the raster`, async () => {
      const path = join(directory, 'dem.tif');
      await writeRaster(path, dem, options);
      const bytes = await encodeRaster(dem, options);
      expect(Buffer.from(bytes).equals(readFileSync(path))).toBe(true);
      const back = await readRaster(
        bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
      );
      expect(Buffer.from(back.data.data.buffer).equals(Buffer.from(dem.data.data.buffer))).toBe(true);
      expect(back.nodata).toBe(-9999);
    });
  }

  it('refuses a malformed raster with the errors of writeRaster, naming it <memory>', async () => {
    await expect(encodeRaster({ ...dem, transform: [0, 1, 0, 0, 0] as never })).rejects.toThrow(
      /writeRaster: "<memory>": transform must be six finite numbers/,
    );
  });
});
