import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Raster, readRaster, resolveCrs, writeRaster } from '@siran/geo-io';
import ndarray from 'ndarray';
import type { BenchCase } from '../harness.js';

/** Side of the benchmarked raster: 4096 x 4096 Float32 (64 MiB of values). */
export const GEO_IO_BENCH_SIZE = 4096;
/** Side of the windowed read. */
export const GEO_IO_WINDOW_SIZE = 512;

interface Files {
  readonly directory: string;
  readonly raster: Raster;
  readonly striped: string;
  readonly tiled: string;
}

let shared: Files | null = null;

/** Synthetic seeded terrain, written once as striped/uncompressed and tiled/deflate GeoTIFFs. */
async function prepare(): Promise<Files> {
  if (shared) return shared;
  const size = GEO_IO_BENCH_SIZE;
  let state = 20261123;
  const values = new Float32Array(size * size);
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      values[row * size + col] =
        300 + 120 * Math.sin(col / 300) * Math.cos(row / 410) + 0.5 * (state / 4294967296);
    }
  }
  const raster: Raster = {
    data: ndarray(values, [1, size, size]),
    transform: [500000, 2, 0, 4200000, 0, -2],
    crs: resolveCrs(32612),
    nodata: -9999,
  };
  const directory = mkdtempSync(join(tmpdir(), 'geo-io-bench-'));
  const striped = join(directory, 'striped.tif');
  const tiled = join(directory, 'tiled.tif');
  await writeRaster(striped, raster, { compression: 'none', tileSize: 0 });
  await writeRaster(tiled, raster, { compression: 'deflate', tileSize: 256 });
  shared = { directory, raster, striped, tiled };
  return shared;
}

function cleanUp(): void {
  if (shared) rmSync(shared.directory, { recursive: true, force: true });
  shared = null;
}

function gdalMissing(): string | undefined {
  try {
    execFileSync('gdal_translate', ['--version'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'gdal_translate is not installed';
  }
}

const megabytes = (GEO_IO_BENCH_SIZE * GEO_IO_BENCH_SIZE * 4) / 2 ** 20;
const params = { MiB: megabytes, size: `${GEO_IO_BENCH_SIZE}x${GEO_IO_BENCH_SIZE}` };
const gdal = (args: string[]) => execFileSync('gdal_translate', ['-q', ...args], { stdio: 'ignore' });
const output = (files: Files, name: string) => join(files.directory, name);

/** Read/write throughput (divide `MiB` by the median seconds), windowed reads, and gdal_translate for ratios. */
export const cases: BenchCase<Files>[] = [
  {
    name: 'geo-io/write/striped-none',
    params,
    setup: prepare,
    run: (files) => writeRaster(output(files, 'w1.tif'), files.raster, { compression: 'none', tileSize: 0 }),
  },
  {
    name: 'geo-io/write/tiled-deflate',
    params,
    setup: prepare,
    run: (files) =>
      writeRaster(output(files, 'w2.tif'), files.raster, { compression: 'deflate', tileSize: 256 }),
  },
  { name: 'geo-io/read/striped-none', params, setup: prepare, run: (files) => readRaster(files.striped) },
  { name: 'geo-io/read/tiled-deflate', params, setup: prepare, run: (files) => readRaster(files.tiled) },
  {
    name: 'geo-io/read-window-512/striped-none',
    params: { window: GEO_IO_WINDOW_SIZE },
    setup: prepare,
    run: (files) => readRaster(files.striped, { window: { x: 1800, y: 1800, width: 512, height: 512 } }),
  },
  {
    name: 'geo-io/read-window-512/tiled-deflate',
    params: { window: GEO_IO_WINDOW_SIZE },
    setup: prepare,
    run: (files) => readRaster(files.tiled, { window: { x: 1800, y: 1800, width: 512, height: 512 } }),
  },
  {
    name: 'convert/tiled-deflate->striped-none/geo-io',
    params,
    setup: prepare,
    run: async (files) =>
      writeRaster(output(files, 'c1.tif'), await readRaster(files.tiled), {
        compression: 'none',
        tileSize: 0,
      }),
  },
  {
    name: 'convert/tiled-deflate->striped-none/gdal_translate',
    params,
    skip: gdalMissing,
    setup: prepare,
    run: (files) => gdal([files.tiled, output(files, 'g1.tif')]),
  },
  {
    name: 'convert/striped-none->tiled-deflate/geo-io',
    params,
    setup: prepare,
    run: async (files) =>
      writeRaster(output(files, 'c2.tif'), await readRaster(files.striped), {
        compression: 'deflate',
        tileSize: 256,
      }),
  },
  {
    name: 'convert/striped-none->tiled-deflate/gdal_translate',
    params,
    skip: gdalMissing,
    setup: prepare,
    run: (files) =>
      gdal(['-co', 'TILED=YES', '-co', 'COMPRESS=DEFLATE', files.striped, output(files, 'g2.tif')]),
  },
  {
    name: 'window-512/tiled-deflate/geo-io',
    params: { window: GEO_IO_WINDOW_SIZE },
    setup: prepare,
    run: async (files) =>
      writeRaster(
        output(files, 'c3.tif'),
        await readRaster(files.tiled, { window: { x: 1800, y: 1800, width: 512, height: 512 } }),
        { compression: 'none', tileSize: 0 },
      ),
  },
  {
    name: 'window-512/tiled-deflate/gdal_translate',
    params: { window: GEO_IO_WINDOW_SIZE },
    skip: gdalMissing,
    setup: prepare,
    run: (files) => gdal(['-srcwin', '1800', '1800', '512', '512', files.tiled, output(files, 'g3.tif')]),
    teardown: () => {
      if (shared)
        process.stderr.write(
          `  geo-io files: striped ${statSync(shared.striped).size} B, tiled ${statSync(shared.tiled).size} B; peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB\n`,
        );
      cleanUp();
    },
  },
];
