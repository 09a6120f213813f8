import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveCrs, writeRaster } from '@siran/geo-io';
import {
  createSiranModel,
  disposeSiranModel,
  loadSiranModel,
  predictScene,
  type SiranModel,
} from '@siran/siran-model';
import ndarray from 'ndarray';
import type { BenchCase } from '../harness.js';

/** Scene sizes (pixels per side) timed by default; 4096 joins with SIRAN_BENCH_HEAVY=1. */
const SIZES = process.env.SIRAN_BENCH_HEAVY === '1' ? [1024, 2048, 4096] : [1024, 2048];

interface PredictContext {
  readonly directory: string;
  readonly model: SiranModel;
  readonly coarse: string;
  readonly guide: string;
}

const shippedWeights = fileURLToPath(
  new URL('../../../../packages/siran-model/weights/demo', import.meta.url),
);

/** Writes a synthetic scene: a 1 m three-band guide of `size` px and a 8 m coarse DEM over it. */
export async function writeScene(
  directory: string,
  size: number,
): Promise<{ coarse: string; guide: string }> {
  const crs = resolveCrs('EPSG:32631');
  const guide = new Float32Array(3 * size * size);
  for (let i = 0; i < size * size; i++) {
    const row = Math.floor(i / size);
    const column = i % size;
    guide[i] = 100 + 40 * Math.sin(column / 17) * Math.cos(row / 23);
    guide[size * size + i] = 80 + 30 * Math.cos(column / 11);
    guide[2 * size * size + i] = 60 + 3 * ((row * 7 + column) % 13);
  }
  const coarseSize = size / 8;
  const coarse = new Float32Array(coarseSize * coarseSize);
  for (let row = 0; row < coarseSize; row++) {
    for (let column = 0; column < coarseSize; column++)
      coarse[row * coarseSize + column] = 500 + 40 * Math.sin(row / 9) + 25 * Math.cos(column / 7);
  }
  const paths = {
    coarse: path.join(directory, `coarse-${size}.tif`),
    guide: path.join(directory, `guide-${size}.tif`),
  };
  await writeRaster(
    paths.guide,
    { data: ndarray(guide, [3, size, size]), transform: [500000, 1, 0, 4800000, 0, -1], crs, nodata: null },
    { compression: 'deflate', tileSize: 256 },
  );
  await writeRaster(paths.coarse, {
    data: ndarray(coarse, [1, coarseSize, coarseSize]),
    transform: [500000, 8, 0, 4800000, 0, -8],
    crs,
    nodata: null,
  });
  return paths;
}

/** The models timed: the shipped weights, and untrained presets (their speed does not depend on the weights). */
const MODELS: readonly { name: string; sizes: readonly number[]; load: () => Promise<SiranModel> }[] = [
  {
    name: 'shipped',
    sizes: SIZES,
    load: () =>
      loadSiranModel(shippedWeights).then(
        (loaded) => loaded.model,
        () => createSiranModel('cpu'),
      ),
  },
  { name: 'cpu', sizes: SIZES, load: async () => createSiranModel('cpu') },
  // The paper preset runs at a few hundredths of a megapixel per second on a CPU: one small scene.
  { name: 'paper', sizes: [512], load: async () => createSiranModel('paper') },
];

/**
 * `siran predict` throughput: a whole synthetic scene (1024^2, 2048^2, optionally 4096^2) through the shipped demo
 * model, the full `cpu` preset (FSGT and discriminator attention) and, on a 512^2 scene, the `paper` preset, from
 * GeoTIFFs to a GeoTIFF with the default options: tiles of `recommendedTileSize` (256 px for the shipped
 * convolutional model, 128 px with attention) overlapping by 32 px, the input checks and the cross-scale self-check
 * (at 8x the check runs on 1/64 of the pixels).
 *
 * @param backend - Name of the active backend, used in the case names.
 * @returns One case per model and scene size; `params.megapixels` gives the size for a throughput in megapixels per
 *   second.
 */
export function createCases(backend: string): BenchCase<PredictContext>[] {
  return MODELS.flatMap(({ name, sizes, load }) =>
    sizes.map((size) => ({
      name: `predict/${name}/${size}x${size}/${backend}`,
      params: { backend, model: name, megapixels: (size * size) / 1e6, overlap: 32 },
      async setup() {
        const directory = mkdtempSync(path.join(tmpdir(), 'siran-bench-predict-'));
        const model = await load();
        return { directory, model, ...(await writeScene(directory, size)) };
      },
      async run({ directory, model, coarse, guide }) {
        await predictScene(model, coarse, guide, path.join(directory, 'out.tif'));
      },
      teardown({ directory, model }) {
        disposeSiranModel(model);
        rmSync(directory, { recursive: true, force: true });
      },
    })),
  );
}
