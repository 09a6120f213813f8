import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readRaster } from './read-raster.js';

const fixture = (name: string) => new URL(`../test/fixtures/${name}`, import.meta.url).pathname;
const directory = mkdtempSync(join(tmpdir(), 'geo-io-world-image-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe('PNG and JPEG images cut short', () => {
  for (const [image, world, format] of [
    ['ign_rgb_crop.png', 'ign_rgb_crop.wld', 'PNG'],
    ['autzen_crop.jpg', 'autzen_crop.wld', 'JPEG'],
  ] as const) {
    it(`refuses ${image} cut anywhere, naming the file and the format`, async () => {
      const bytes = readFileSync(fixture(image));
      const extension = image.slice(image.lastIndexOf('.'));
      const whole = await readRaster(fixture(image), { crs: 'EPSG:2154' });
      for (const fraction of [0.05, 0.25, 0.5, 0.75, 0.95, 0.999]) {
        const path = join(directory, `cut-${fraction}${extension}`);
        writeFileSync(path, bytes.subarray(0, Math.floor(fraction * bytes.length)));
        copyFileSync(fixture(world), join(directory, `cut-${fraction}.wld`));
        const read = readRaster(path, { crs: 'EPSG:2154' });
        await expect(read, `${image} cut at ${fraction}`).rejects.toThrow(
          new RegExp(
            `readRaster: ".*cut-${fraction}\\${extension}" is truncated or corrupt: the ${format} image`,
          ),
        );
      }
      // The whole file still reads, with its values.
      expect(whole.data.size).toBeGreaterThan(0);
    });
  }
});
