/**
 * The app in a real headless Chromium (Debian's `chromium`, or CHROMIUM_PATH), driven by Playwright: bad input
 * gives a message, a run can be cancelled, and the bundled sample's prediction downloaded from the page matches
 * `predictScene` in Node. Screenshots go to `.tmp/web/` at the repository root.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { activateBackend } from '@siran/backend';
import { encodeRaster, type Raster, readRaster } from '@siran/geo-io';
import { disposeSiranModel, loadSiranModel, predictScene } from '@siran/siran-model';
import ndarray from 'ndarray';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a JavaScript module without types
import { serveDirectory } from '../serve.mjs';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const shots = fileURLToPath(new URL('../../../.tmp/web/', import.meta.url));
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let server: { url: string; close(): Promise<void> };
let browser: Browser;
let page: Page;
let work: string;
const pageErrors: string[] = [];

beforeAll(async () => {
  if (!existsSync(path.join(dist, 'index.html'))) {
    throw new Error(`apps/web/dist is not built; run "npm run build" first (${dist})`);
  }
  if (!existsSync(chromiumPath)) {
    throw new Error(
      `no Chromium at ${chromiumPath}: install Debian's chromium (bash tools/scripts/install-chromium.sh) or set CHROMIUM_PATH`,
    );
  }
  work = await mkdtemp(path.join(tmpdir(), 'siran-web-'));
  await mkdir(shots, { recursive: true });
  server = await serveDirectory(dist, 0);
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  page = await browser.newPage({ acceptDownloads: true, viewport: { width: 1000, height: 1400 } });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(server.url);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

const message = () => page.locator('#message');

async function choose(id: string, name: string, bytes: Uint8Array | Buffer): Promise<void> {
  await page.setInputFiles(`#${id}`, { name, mimeType: 'image/tiff', buffer: Buffer.from(bytes) });
}

describe('the web app in Chromium', () => {
  it('says what is wrong with a file that is not a GeoTIFF, a guide that misses the DEM, and a guide too large', async () => {
    const sample = (name: string) => readFile(path.join(dist, 'sample', name));
    // Dropped on the coarse DEM's zone, as a user drags a file from their desktop.
    const transfer = await page.evaluateHandle(() => {
      const data = new DataTransfer();
      data.items.add(
        new File(['these are field notes, not a raster\n'], 'notes.tif', { type: 'image/tiff' }),
      );
      return data;
    });
    await page.dispatchEvent('label:has(#coarse-file)', 'drop', { dataTransfer: transfer });
    expect(await page.locator('#coarse-name').textContent()).toBe('notes.tif');
    await choose('guide-file', 'guide.tif', await sample('guide.tif'));
    await page.click('#run-button');
    await expect
      .poll(() => message().textContent(), { timeout: 60_000 })
      .toMatch(/The coarse DEM "notes\.tif" is not a readable GeoTIFF/);
    expect(await message().getAttribute('class')).toBe('error');

    const coarse = await readRaster(toArrayBuffer(await sample('coarse.tif')));
    const [x0, dx, rx, y0, ry, dy] = coarse.transform;
    const moved = { ...coarse, transform: [x0 + 500_000, dx, rx, y0, ry, dy] as const };
    await choose('coarse-file', 'elsewhere.tif', await encodeRaster(moved));
    await page.click('#run-button');
    await expect
      .poll(() => message().textContent(), { timeout: 120_000 })
      .toMatch(/coarse DEM elsewhere\.tif does not overlap the guide guide\.tif/);

    const side = 6500; // 42 MP: refused from the file's header, before any pixel is decoded
    const large = {
      data: ndarray(new Uint8Array(side * side), [1, side, side]),
      transform: [x0, 1, 0, y0, 0, -1] as const,
      crs: coarse.crs,
      nodata: null,
    };
    await choose('coarse-file', 'coarse.tif', await sample('coarse.tif'));
    await choose('guide-file', 'huge.tif', await encodeRaster(large, { compression: 'deflate' }));
    await page.click('#run-button');
    await expect
      .poll(() => message().textContent(), { timeout: 60_000 })
      .toMatch(/The guide "huge\.tif" is 6500 x 6500 pixels \(42\.3 MP\); this page predicts up to 40 MP/);
    await page.screenshot({ path: path.join(shots, 'bad-input.png') });
    expect(await page.locator('#run-button').isEnabled()).toBe(true); // nothing frozen
  });

  it('cancels a running prediction, and stays usable', async () => {
    // The sample repeated 4 x 4 times: long enough (hundreds of tiles) to be cancelled midway.
    const sample = async (name: string) =>
      readRaster(toArrayBuffer(await readFile(path.join(dist, 'sample', name))));
    await choose(
      'coarse-file',
      'coarse-4x4.tif',
      await encodeRaster(repeated(await sample('coarse.tif'), 4)),
    );
    await choose('guide-file', 'guide-4x4.tif', await encodeRaster(repeated(await sample('guide.tif'), 4)));
    await page.click('#run-button');
    await expect
      .poll(() => page.locator('#progress-label').textContent(), { timeout: 120_000 })
      .toMatch(/tile \d+ of/);
    await page.click('#cancel-button');
    await expect.poll(() => message().textContent(), { timeout: 30_000 }).toMatch(/^Cancelled/);
    expect(await page.locator('#results').isHidden()).toBe(true);
    expect(await page.locator('#run-button').isEnabled()).toBe(true);
    await page.click('#sample-button');
    await expect.poll(() => page.locator('#coarse-name').textContent()).toBe('zion-coarse.tif');
  });

  it('predicts the bundled sample as predictScene does in Node (within 1 mm), with the self-check and metrics', async () => {
    await page.click('#run-button');
    await page.locator('#results').waitFor({ state: 'visible', timeout: 600_000 });
    const selfCheck = await page.locator('#self-check').textContent();
    expect(selfCheck).toMatch(/expected gain over bicubic [+-]\d+\.\d %/);
    expect(selfCheck).toMatch(/on (wasm|webgpu)/);
    expect(await page.locator('#metrics tr').count()).toBe(3);
    await page.locator('#compare-slider').fill('30');
    await page.screenshot({ path: path.join(shots, 'result.png'), fullPage: true });
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    const downloaded = path.join(work, download.suggestedFilename());
    await download.saveAs(downloaded);

    await activateBackend('wasm', { ignoreEnvironment: true });
    const { model } = await loadSiranModel(path.join(dist, 'model'));
    const local = path.join(work, 'node.tif');
    await predictScene(
      model,
      path.join(dist, 'sample/coarse.tif'),
      path.join(dist, 'sample/guide.tif'),
      local,
      {
        resume: false,
      },
    );
    disposeSiranModel(model);
    const [browserRaster, nodeRaster] = await Promise.all([readRaster(downloaded), readRaster(local)]);
    expect(browserRaster.transform).toEqual(nodeRaster.transform);
    expect(browserRaster.crs.proj4).toBe(nodeRaster.crs.proj4);
    expect(browserRaster.data.shape).toEqual(nodeRaster.data.shape);
    const a = browserRaster.data.data;
    const b = nodeRaster.data.data;
    let largest = 0;
    let valid = 0;
    for (let i = 0; i < a.length; i++) {
      expect(a[i] === browserRaster.nodata).toBe(b[i] === nodeRaster.nodata);
      if (b[i] === nodeRaster.nodata) continue;
      valid += 1;
      largest = Math.max(largest, Math.abs(a[i] - b[i]));
    }
    expect(valid).toBeGreaterThan(0.9 * a.length);
    console.log(`browser vs Node: ${valid} valid pixels, largest difference ${largest.toExponential(2)} m`);
    expect(largest).toBeLessThanOrEqual(1e-3);
    expect(pageErrors).toEqual([]);
  });
});

/** A raster repeated `times` x `times` (the grid extended right and down). */
function repeated(raster: Raster, times: number): Raster {
  const [bands, rows, columns] = raster.data.shape;
  const source = raster.data.data as ArrayLike<number>;
  const values = new (raster.data.data.constructor as Float32ArrayConstructor)(
    bands * rows * columns * times * times,
  );
  const width = columns * times;
  for (let band = 0; band < bands; band++) {
    for (let row = 0; row < rows * times; row++) {
      for (let column = 0; column < width; column++) {
        values[(band * rows * times + row) * width + column] =
          source[(band * rows + (row % rows)) * columns + (column % columns)];
      }
    }
  }
  return { ...raster, data: ndarray(values, [bands, rows * times, width]) };
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
