import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
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
 * @throws TypeError naming `manifest.json` if it is missing or unreadable, is not valid JSON, has another
 *   format tag or version, or has a field that is missing, of the wrong type or out of range (the message names
 *   the field, e.g. `splits.train.count`, what it holds and what was expected), or whose counts disagree
 *   (`splits.<split>.patches` vs `splits.<split>.count`, `counts.kept` vs the splits and the scenes).
 * @remarks The `.npy` files the splits name are checked against the manifest by `loadDataset`.
 * @example
 * ```ts
 * const manifest = await readManifest('datasets/demo');
 * manifest.splits.train.count;
 * ```
 */
export async function readManifest(directory: string): Promise<DatasetManifest> {
  const file = join(directory, 'manifest.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new TypeError(
      `readManifest: ${directory} has no readable manifest.json (${(error as NodeJS.ErrnoException).code ?? String(error)}); expected a dataset directory written by buildDataset`,
      { cause: error },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new TypeError(
      `readManifest: ${file} is not valid JSON (${(error as Error).message}); expected the manifest written by buildDataset (is the file truncated or damaged?)`,
      { cause: error },
    );
  }
  const manifest = parsed as Partial<DatasetManifest> | null;
  if (
    manifest === null ||
    typeof manifest !== 'object' ||
    Array.isArray(manifest) ||
    manifest.format !== MANIFEST_FORMAT.name ||
    manifest.version !== MANIFEST_FORMAT.version
  ) {
    throw new TypeError(
      `readManifest: ${file} holds format ${manifest?.format} v${manifest?.version}; expected ${MANIFEST_FORMAT.name} v${MANIFEST_FORMAT.version}`,
    );
  }
  checkManifestFields(parsed as Record<string, unknown>, file);
  return parsed as DatasetManifest;
}

const SPLITS = ['train', 'validation', 'test'] as const;

/** Checks every field of a parsed manifest; throws a TypeError naming the file and the first bad field. */
function checkManifestFields(manifest: Record<string, unknown>, file: string): void {
  const check = new FieldChecker(file);
  check.string(manifest.createdAt, 'createdAt');
  const units = check.object(manifest.units, 'units');
  if (units.elevation !== 'metre') check.fail('units.elevation', units.elevation, '"metre"');
  check.string(units.guide, 'units.guide');
  const guideChannels = check.array(manifest.guideChannels, 'guideChannels', 3);
  guideChannels.forEach((name, k) => {
    check.string(name, `guideChannels[${k}]`);
  });
  const patch = check.object(manifest.patch, 'patch');
  check.integer(patch.size, 'patch.size', 1);
  check.integer(patch.stride, 'patch.stride', 1);
  check.number(patch.minimumValidFraction, 'patch.minimumValidFraction', 0, 1);
  const split = check.object(manifest.split, 'split');
  check.integer(split.blockSize, 'split.blockSize', 1);
  check.integer(split.guardBand, 'split.guardBand', 0);
  const fractions = check.object(split.fractions, 'split.fractions');
  for (const name of SPLITS) check.number(fractions[name], `split.fractions.${name}`, 0);
  check.number(split.seed, 'split.seed');

  const scenes = check.array(manifest.scenes, 'scenes');
  let sceneKept = 0;
  scenes.forEach((value, k) => {
    const field = `scenes[${k}]`;
    const scene = check.object(value, field);
    check.integer(scene.index, `${field}.index`, 0);
    check.string(scene.name, `${field}.name`);
    check.object(scene.sources, `${field}.sources`);
    const grid = check.object(scene.grid, `${field}.grid`);
    check.integer(grid.width, `${field}.grid.width`, 1);
    check.integer(grid.height, `${field}.grid.height`, 1);
    const transform = check.array(grid.transform, `${field}.grid.transform`, 6);
    transform.forEach((entry, i) => {
      check.number(entry, `${field}.grid.transform[${i}]`);
    });
    const counts = check.object(scene.counts, `${field}.counts`);
    sceneKept += check.integer(counts.kept, `${field}.counts.kept`, 0);
  });
  check.array(manifest.skippedScenes, 'skippedScenes').forEach((value, k) => {
    const skipped = check.object(value, `skippedScenes[${k}]`);
    for (const key of ['name', 'problem', 'message'])
      check.string(skipped[key], `skippedScenes[${k}].${key}`);
  });

  const normalization = check.object(manifest.normalization, 'normalization');
  for (const key of ['coarse', 'reference', 'elevation'] as const) {
    check.statistics(normalization[key], `normalization.${key}`);
  }
  check.array(normalization.guide, 'normalization.guide', 3).forEach((value, k) => {
    check.statistics(value, `normalization.guide[${k}]`);
  });

  const splits = check.object(manifest.splits, 'splits');
  let splitKept = 0;
  for (const name of SPLITS) {
    const field = `splits.${name}`;
    const entry = check.object(splits[name], field);
    const count = check.integer(entry.count, `${field}.count`, 0);
    splitKept += count;
    const files = check.object(entry.files, `${field}.files`);
    for (const layer of Object.keys(LAYER_FILES)) {
      const relative = check.string(files[layer], `${field}.files.${layer}`);
      if (
        relative.length === 0 ||
        isAbsolute(relative) ||
        relative.split(/[\\/]/).some((part) => part === '..')
      ) {
        check.fail(`${field}.files.${layer}`, relative, 'a path inside the dataset directory');
      }
    }
    check.array(entry.blocks, `${field}.blocks`).forEach((block, k) => {
      check.integerTuple(block, `${field}.blocks[${k}]`);
    });
    const patches = check.array(entry.patches, `${field}.patches`);
    patches.forEach((origin, k) => {
      check.integerTuple(origin, `${field}.patches[${k}]`);
    });
    if (patches.length !== count) {
      check.fail(`${field}.patches`, patches, `${count} entries, one per patch (${field}.count)`);
    }
  }
  const counts = check.object(manifest.counts, 'counts');
  const kept = check.integer(counts.kept, 'counts.kept', 0);
  if (kept !== splitKept) {
    check.fail(
      'counts.kept',
      kept,
      `${splitKept}, the sum of splits.train.count, splits.validation.count and splits.test.count`,
    );
  }
  if (kept !== sceneKept) check.fail('counts.kept', kept, `${sceneKept}, the sum of scenes[*].counts.kept`);
  const rejected = check.object(counts.rejected, 'counts.rejected');
  for (const [reason, value] of Object.entries(rejected))
    check.integer(value, `counts.rejected.${reason}`, 0);
}

/** Type checks of parsed JSON fields; each failure names the file and the field. */
class FieldChecker {
  constructor(private readonly file: string) {}

  fail(field: string, value: unknown, expected: string): never {
    throw new TypeError(
      `readManifest: ${this.file} field "${field}" is ${describeValue(value)}; expected ${expected}`,
    );
  }

  object(value: unknown, field: string): Record<string, unknown> {
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      this.fail(field, value, 'an object');
    return value as Record<string, unknown>;
  }

  array(value: unknown, field: string, length?: number): unknown[] {
    if (!Array.isArray(value) || (length !== undefined && value.length !== length)) {
      this.fail(field, value, length === undefined ? 'an array' : `an array of ${length} entries`);
    }
    return value as unknown[];
  }

  string(value: unknown, field: string): string {
    if (typeof value !== 'string') this.fail(field, value, 'a string');
    return value as string;
  }

  number(value: unknown, field: string, minimum = -Infinity, maximum = Infinity): number {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < minimum || value > maximum) {
      this.fail(field, value, `a finite number${rangeText(minimum, maximum)}`);
    }
    return value as number;
  }

  integer(value: unknown, field: string, minimum: number): number {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < minimum) {
      this.fail(field, value, minimum === 1 ? 'a positive integer' : `an integer >= ${minimum}`);
    }
    return value as number;
  }

  integerTuple(value: unknown, field: string): void {
    if (
      !Array.isArray(value) ||
      value.length !== 3 ||
      !value.every((v) => Number.isSafeInteger(v) && v >= 0)
    ) {
      this.fail(field, value, 'three non-negative integers');
    }
  }

  /** Value statistics; the moments are `null` (NaN when written) only when `count` is 0. */
  statistics(value: unknown, field: string): void {
    const statistics = this.object(value, field);
    const count = this.integer(statistics.count, `${field}.count`, 0);
    for (const key of ['mean', 'standardDeviation', 'minimum', 'maximum']) {
      const entry = statistics[key];
      if (count === 0 && entry === null) continue;
      this.number(entry, `${field}.${key}`, key === 'standardDeviation' ? 0 : -Infinity);
    }
  }
}

function rangeText(minimum: number, maximum: number): string {
  if (minimum === -Infinity && maximum === Infinity) return '';
  if (maximum === Infinity) return ` >= ${minimum}`;
  return ` in [${minimum}, ${maximum}]`;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'missing';
  if (Array.isArray(value)) return `an array of ${value.length} entries`;
  if (value !== null && typeof value === 'object') return 'an object';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
