import { fileURLToPath } from 'node:url';
import { type BuildDatasetFromSpecOptions, buildDataset } from './build-dataset.js';
import { readDatasetSpec } from './dataset-spec.js';
import type { DatasetManifest } from './manifest.js';

/** Path of the demo recipe shipped with the package (`demo/demo-dataset.json`). */
export const DEMO_DATASET_SPEC_PATH: string = fileURLToPath(
  new URL('../demo/demo-dataset.json', import.meta.url),
);

/**
 * Builds the demo dataset from the small inputs shipped in the package's `data/` folder, offline.
 *
 * @param outDir - Output directory.
 * @param options - Build options (e.g. `overwrite`, `onProgress`); they win over the recipe's.
 * @returns The manifest.
 * @throws RangeError if `outDir` exists without `overwrite`.
 * @remarks
 * Two lidar sites with orthophotos: IGN LiDAR HD tile 77055_627760 (Lambert-93, metres) with its 0.2 m
 * colour-infrared orthophoto (NIR, red, green), on the orthophoto's grid; and PDAL's Autzen Stadium
 * sample (Oregon Lambert, international feet) with an RGB orthophoto and world file (CRS taken from
 * the LAS file), on a 3 ft grid. References are lidar DSMs (metres); coarse DEMs are synthetic
 * degradations recorded in the manifest. Sources and licences: `data/SOURCES.md`.
 * @example
 * ```ts
 * const manifest = await buildDemoDataset('datasets/demo', { overwrite: true });
 * manifest.counts.kept;
 * ```
 */
export async function buildDemoDataset(
  outDir: string,
  options: BuildDatasetFromSpecOptions = {},
): Promise<DatasetManifest> {
  const { spec, baseDirectory } = await readDatasetSpec(DEMO_DATASET_SPEC_PATH);
  return buildDataset(spec, outDir, { baseDirectory, ...options });
}
