import type { PatchOptions } from './patch-options.js';
import type { TargetGridOptions } from './scene-grid.js';
import type { SpatialSplitOptions } from './spatial-split.js';

/**
 * Reports progress of a long step; a CLI draws a progress bar from it.
 *
 * @param step - What is being done, e.g. `scene "ign": windows`.
 * @param done - Units finished.
 * @param total - Units in the step.
 */
export type ProgressCallback = (step: string, done: number, total: number) => void;

/** Options of `buildDataset` and `buildDatasetFromSources`. */
export interface BuildDatasetOptions {
  /** Patch size, stride and validity threshold. */
  readonly patch?: PatchOptions;
  /** Spatially disjoint split: block size, guard band, fractions, seed. */
  readonly split?: SpatialSplitOptions;
  /** Target grid (CRS and resolution); the guide's grid by default. */
  readonly target?: TargetGridOptions;
  /** Side of the processing windows in target pixels (rounded down to whole split blocks, at least one). */
  readonly windowSize?: number;
  /** Replace an existing output directory (atomically, once the new one is complete). */
  readonly overwrite?: boolean;
  /** Record scenes with invalid inputs in the manifest and go on, instead of failing. */
  readonly skipInvalidScenes?: boolean;
  /** Names of the three guide channels, recorded in the manifest. */
  readonly guideChannels?: readonly [string, string, string];
  /** Progress of long steps. */
  readonly onProgress?: ProgressCallback;
}

/** Defaults for {@link BuildDatasetOptions}. */
export const DEFAULT_BUILD_DATASET_OPTIONS: Required<
  Omit<BuildDatasetOptions, 'onProgress' | 'patch' | 'split' | 'target'>
> = {
  windowSize: 2048,
  overwrite: false,
  skipInvalidScenes: false,
  guideChannels: ['nir', 'red', 'green'],
};
