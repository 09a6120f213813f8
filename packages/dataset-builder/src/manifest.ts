import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { GeoTransform, ResamplingMethod } from '@siran/geo-io';
import type { DegradationOptions } from './degradation.js';
import type { PatchOptions, PatchRejection } from './patch-options.js';
import type { SceneProblem } from './scene-input-error.js';
import type { SpatialSplitOptions, SplitName } from './spatial-split.js';
import type { ValueStatistics } from './statistics.js';

/** The manifest's format tag and version. */
export const MANIFEST_FORMAT = { name: 'siran-dem-sr-dataset', version: 1 } as const;

/** The layers of every patch and their `.npy` file names inside a split directory. */
export const LAYER_FILES = { coarse: 'coarse.npy', guide: 'guide.npy', reference: 'reference.npy' } as const;

/** A CRS as recorded in the manifest. */
export interface ManifestCrs {
  readonly epsg: number | null;
  readonly name: string | null;
  readonly proj4: string;
  readonly wkt: string | null;
}

/** One input layer of a scene as recorded in the manifest. */
export interface ManifestSource {
  /** File path (as given in the spec) or description. */
  readonly source: string;
  /** CRS of the source. */
  readonly crs: ManifestCrs;
  /** Metres per height unit applied (DEMs only). */
  readonly metresPerUnit?: number;
  /** Bands used (0-based). */
  readonly bands: readonly number[];
  /** Extra facts, e.g. lidar gridding settings and cell coverage. */
  readonly details?: Readonly<Record<string, unknown>>;
}

/** One scene of the dataset as recorded in the manifest. */
export interface ManifestScene {
  readonly index: number;
  readonly name: string;
  readonly sources: {
    readonly reference: ManifestSource;
    readonly coarse: ManifestSource | null;
    readonly guide: ManifestSource;
  };
  /** The scene's target grid: every layer was warped onto it. */
  readonly grid: {
    readonly width: number;
    readonly height: number;
    readonly transform: GeoTransform;
    readonly crs: ManifestCrs;
  };
  /** Resampling kernels used. */
  readonly resampling: {
    readonly reference: ResamplingMethod;
    readonly guide: ResamplingMethod;
    readonly coarse: 'cubic';
  };
  /** The synthetic degradation (with its block size), or `null` when a real coarse DEM was used. */
  readonly degradation: (DegradationOptions & { readonly coarseCellSize: number }) | null;
  /** Patches kept and rejected in this scene. */
  readonly counts: {
    readonly kept: number;
    readonly rejected: Readonly<Partial<Record<PatchRejection, number>>>;
  };
}

/** One split as recorded in the manifest. */
export interface ManifestSplit {
  /** Number of patches. */
  readonly count: number;
  /** `.npy` files relative to the dataset directory. */
  readonly files: { readonly coarse: string; readonly guide: string; readonly reference: string };
  /** Blocks of this split: `[scene, blockRow, blockColumn]`. */
  readonly blocks: ReadonlyArray<readonly [number, number, number]>;
  /** Patch origins in file order: `[scene, row, column]` in the scene's target grid. */
  readonly patches: ReadonlyArray<readonly [number, number, number]>;
}

/** The `manifest.json` of a dataset directory. */
export interface DatasetManifest {
  readonly format: typeof MANIFEST_FORMAT.name;
  readonly version: typeof MANIFEST_FORMAT.version;
  readonly createdAt: string;
  /** Heights are metres in every layer; the guide keeps its source values. */
  readonly units: { readonly elevation: 'metre'; readonly guide: 'source values' };
  /** Channel order of the guide layer. */
  readonly guideChannels: readonly [string, string, string];
  readonly patch: Required<PatchOptions>;
  readonly split: Required<SpatialSplitOptions>;
  readonly scenes: readonly ManifestScene[];
  /** Scenes left out with `skipInvalidScenes`. */
  readonly skippedScenes: ReadonlyArray<{
    readonly name: string;
    readonly problem: SceneProblem;
    readonly message: string;
  }>;
  /** Statistics over the training split, for normalisation. `elevation` pools coarse and reference. */
  readonly normalization: {
    readonly coarse: ValueStatistics;
    readonly reference: ValueStatistics;
    readonly elevation: ValueStatistics;
    readonly guide: readonly [ValueStatistics, ValueStatistics, ValueStatistics];
  };
  readonly splits: Readonly<Record<SplitName, ManifestSplit>>;
  /** Totals over all scenes. */
  readonly counts: {
    readonly kept: number;
    readonly rejected: Readonly<Partial<Record<PatchRejection, number>>>;
  };
}

/**
 * Reads and checks the manifest of a dataset directory.
 *
 * @param directory - The dataset directory.
 * @returns The parsed manifest.
 * @throws TypeError if `manifest.json` is missing the format tag or has another version.
 * @example
 * ```ts
 * const manifest = await readManifest('datasets/demo');
 * manifest.splits.train.count;
 * ```
 */
export async function readManifest(directory: string): Promise<DatasetManifest> {
  const text = await readFile(join(directory, 'manifest.json'), 'utf8');
  const manifest = JSON.parse(text) as DatasetManifest;
  if (manifest.format !== MANIFEST_FORMAT.name || manifest.version !== MANIFEST_FORMAT.version) {
    throw new TypeError(
      `readManifest: ${directory} holds format ${manifest.format} v${manifest.version}; expected ${MANIFEST_FORMAT.name} v${MANIFEST_FORMAT.version}`,
    );
  }
  return manifest;
}
