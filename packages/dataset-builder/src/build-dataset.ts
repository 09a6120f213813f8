import { buildDatasetFromSources, type SkippedScene } from './build-from-sources.js';
import type { BuildDatasetOptions } from './build-options.js';
import type { DatasetSpec } from './dataset-spec.js';
import type { DatasetManifest } from './manifest.js';
import type { SceneSourceDetails } from './manifest-scene.js';
import { openScene } from './open-scene.js';
import { SceneInputError } from './scene-input-error.js';
import type { SceneSources } from './scene-layers.js';

/** Options of {@link buildDataset}: those of `buildDatasetFromSources` plus where relative paths start. */
export interface BuildDatasetFromSpecOptions extends BuildDatasetOptions {
  /** Directory that relative paths in the spec are resolved against; the working directory by default. */
  readonly baseDirectory?: string;
}

/**
 * Builds a paired DEM super-resolution dataset from files described by a spec, the function behind the
 * `siran build-dataset` command.
 *
 * @param spec - Scenes (reference DEM or lidar, coarse DEM or degradation, guide) and data options.
 * @param outDir - Output directory: `manifest.json` and `train|validation|test/{coarse,guide,reference}.npy`.
 * @param options - Overrides of the spec's patch/split/target options, windowing, overwrite, skipping of
 * invalid scenes and progress; see {@link BuildDatasetFromSpecOptions}.
 * @returns The manifest written to `outDir`.
 * @throws SceneInputError for a scene with invalid inputs (non-overlapping extents, too few guide bands,
 * missing CRS, lidar without ground points for a DTM, unreadable file) unless `skipInvalidScenes` is set.
 * @throws RangeError if `outDir` exists without `overwrite`, or no patch is kept.
 * @remarks
 * Written atomically: a failure leaves no output directory. Options given here win over the spec's.
 * @example
 * ```ts
 * const manifest = await buildDataset(
 *   { scenes: [{ name: 'site', reference: { path: 'site.laz', cellSize: 0.5 },
 *                degradation: { coarseCellSize: 10 }, guide: { path: 'irc.tif', bands: [0, 1, 2] } }] },
 *   'datasets/site',
 *   { onProgress: (step, done, total) => console.log(step, done, total) },
 * );
 * ```
 */
export async function buildDataset(
  spec: DatasetSpec,
  outDir: string,
  options: BuildDatasetFromSpecOptions = {},
): Promise<DatasetManifest> {
  const baseDirectory = options.baseDirectory ?? process.cwd();
  const opened: SceneSources[] = [];
  const details: SceneSourceDetails[] = [];
  const skipped: SkippedScene[] = [];
  for (const [index, scene] of spec.scenes.entries()) {
    options.onProgress?.('opening scenes', index, spec.scenes.length);
    try {
      const result = await openScene(scene, baseDirectory);
      opened.push(result.sources);
      details.push(result.details);
    } catch (error) {
      if (!(error instanceof SceneInputError) || !options.skipInvalidScenes) throw error;
      skipped.push({ name: scene.name, problem: error.problem, message: error.message });
    }
  }
  options.onProgress?.('opening scenes', spec.scenes.length, spec.scenes.length);
  const merged: BuildDatasetOptions = {
    ...options,
    patch: { ...spec.patch, ...options.patch },
    split: { ...spec.split, ...options.split },
    target: { ...spec.target, ...options.target },
    ...((options.guideChannels ?? spec.guideChannels)
      ? { guideChannels: options.guideChannels ?? spec.guideChannels }
      : {}),
  };
  return buildDatasetFromSources(opened, outDir, merged, { skipped, details });
}
