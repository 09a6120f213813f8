import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { applyDihedralTransform, type DihedralTransform } from './dihedral-transform.js';
import { createRandom, shuffleInPlace } from './internal/random.js';
import { type DatasetManifest, readManifest } from './manifest.js';
import { NpyRecordReader } from './npy-records.js';
import { SPLIT_NAMES, type SplitName } from './spatial-split.js';

/** Options for {@link loadDataset}. */
export interface LoadDatasetOptions {
  /** Which split to read. */
  readonly split?: SplitName;
  /** Patches per batch. */
  readonly batchSize?: number;
  /** Visit patches in a new seeded random order each epoch (each iteration of the dataset). */
  readonly shuffle?: boolean;
  /** Seed of the shuffle and the augmentation; epoch `e` uses `seed + e`. */
  readonly seed?: number;
  /** Apply a random one of the eight square symmetries to each patch, the same to all three layers. */
  readonly augment?: boolean;
  /** Leave out the last batch when it is smaller than `batchSize`. */
  readonly dropRemainder?: boolean;
  /**
   * Standardise with the manifest's training statistics: heights by the pooled elevation mean and
   * standard deviation, guide channels by their own.
   */
  readonly normalize?: boolean;
}

/** Defaults for {@link LoadDatasetOptions}. */
export const DEFAULT_LOAD_DATASET_OPTIONS: Required<LoadDatasetOptions> = {
  split: 'train',
  batchSize: 8,
  shuffle: true,
  seed: 0,
  augment: false,
  dropRemainder: false,
  normalize: false,
};

/** One batch of paired patches; the receiver owns (and disposes) the tensors. */
export interface DatasetBatch {
  /** Coarse DEM upsampled to the guide grid, `[batch, height, width, 1]`. */
  readonly coarse: tf.Tensor4D;
  /** Guide composite (NIR, red, green), `[batch, height, width, 3]`. */
  readonly guide: tf.Tensor4D;
  /** Reference DEM, `[batch, height, width, 1]`. */
  readonly reference: tf.Tensor4D;
}

/** A split of a dataset directory, iterable once per epoch. */
export interface PatchDataset extends AsyncIterable<DatasetBatch> {
  /** The dataset's manifest. */
  readonly manifest: DatasetManifest;
  /** Patches in the split. */
  readonly count: number;
  /** Batches one epoch yields. */
  readonly batchesPerEpoch: number;
}

const LAYERS = ['coarse', 'guide', 'reference'] as const;

/**
 * Opens a dataset split as a streaming, shuffled, batched iterator of tensors.
 *
 * @param directory - A directory written by `buildDataset`.
 * @param options - Split, batch size, shuffle, augmentation; see {@link LoadDatasetOptions}.
 * @returns An async iterable; each `for await` over it is one epoch.
 * @throws TypeError naming the file if the manifest is missing, malformed or of another format (see
 *   `readManifest`); if a split file the manifest names is missing, is not a complete `.npy` file (truncated,
 *   trailing bytes, another dtype: see `readNpy`), or its shape disagrees with the manifest's patch count, patch
 *   size or channels (the message names the manifest and the field); or if `normalize` is asked for and the
 *   manifest's statistics are not usable (e.g. an empty training split). Iterating throws a TypeError naming
 *   the file if a `.npy` file was truncated after it was opened; no batch is made of missing bytes.
 * @throws RangeError if `batchSize` is not a positive integer or `split` is not a split name.
 * @remarks
 * Patches are read with positioned reads from the `.npy` files, one batch at a time, and the next batch
 * is read while the current one is used: memory stays at about two batches whatever the dataset size.
 * Shapes: `coarse` and `reference` `[batch, height, width, 1]`, `guide` `[batch, height, width, 3]`. The
 * caller disposes every tensor of every batch (e.g. `tf.dispose(batch)`); the iterator keeps none.
 * @example
 * ```ts
 * const dataset = await loadDataset('datasets/demo', { batchSize: 4, augment: true, seed: 1 });
 * for await (const batch of dataset) {
 *   // train on batch.coarse, batch.guide, batch.reference
 *   tf.dispose(batch);
 * }
 * ```
 */
export async function loadDataset(
  directory: string,
  options: LoadDatasetOptions = {},
): Promise<PatchDataset> {
  const settings = { ...DEFAULT_LOAD_DATASET_OPTIONS, ...options };
  if (!Number.isInteger(settings.batchSize) || settings.batchSize < 1) {
    throw new RangeError(`loadDataset: batchSize ${settings.batchSize} must be a positive integer`);
  }
  if (!(SPLIT_NAMES as readonly string[]).includes(settings.split)) {
    throw new RangeError(`loadDataset: split "${settings.split}"; expected one of ${SPLIT_NAMES.join(', ')}`);
  }
  const manifest = await readManifest(directory);
  if (settings.normalize) checkNormalization(directory, manifest);
  // Check the split's files against the manifest now, not at the first batch.
  const readers = await openSplitReaders(directory, manifest, settings.split);
  await Promise.all(readers.map((reader) => reader.close()));
  const split = manifest.splits[settings.split];
  const count = split.count;
  const batchesPerEpoch = settings.dropRemainder
    ? Math.floor(count / settings.batchSize)
    : Math.ceil(count / settings.batchSize);
  let epoch = 0;
  return {
    manifest,
    count,
    batchesPerEpoch,
    [Symbol.asyncIterator]: () => iterateEpoch(directory, manifest, settings, epoch++),
  };
}

/** One epoch: readers opened at the start and closed when the iteration ends or is abandoned. */
async function* iterateEpoch(
  directory: string,
  manifest: DatasetManifest,
  settings: Required<LoadDatasetOptions>,
  epoch: number,
): AsyncGenerator<DatasetBatch> {
  const split = manifest.splits[settings.split];
  const readers = await openSplitReaders(directory, manifest, settings.split);
  let pending: Promise<Record<(typeof LAYERS)[number], Float32Array>> | null = null;
  try {
    const order = Array.from({ length: split.count }, (_, i) => i);
    const random = createRandom(settings.seed + epoch);
    if (settings.shuffle) shuffleInPlace(order, random);
    const batches: number[][] = [];
    for (let start = 0; start < order.length; start += settings.batchSize) {
      const batch = order.slice(start, start + settings.batchSize);
      if (batch.length === settings.batchSize || !settings.dropRemainder) batches.push(batch);
    }
    const transforms = order.map(() =>
      settings.augment ? (Math.floor(random() * 8) as DihedralTransform) : 0,
    );
    const size = manifest.patch.size;
    // A read-ahead that fails while the consumer holds a batch is reported when that batch is awaited.
    const readAhead = (b: number) => {
      if (b >= batches.length) return null;
      const promise = readBatch(readers, batches[b]!, transforms, size);
      promise.catch(() => undefined);
      return promise;
    };
    pending = readAhead(0);
    for (let b = 0; b < batches.length; b += 1) {
      const arrays = await pending!;
      pending = readAhead(b + 1);
      if (settings.normalize) normalizeArrays(arrays, manifest);
      const n = batches[b]!.length;
      yield {
        coarse: tf.tensor4d(arrays.coarse, [n, size, size, 1]),
        guide: tf.tensor4d(arrays.guide, [n, size, size, 3]),
        reference: tf.tensor4d(arrays.reference, [n, size, size, 1]),
      };
    }
  } finally {
    await pending?.catch(() => undefined);
    await Promise.all(readers.map((reader) => reader.close()));
  }
}

/** Channels of each layer's patches. */
const CHANNELS = { coarse: 1, guide: 3, reference: 1 } as const;

/**
 * Opens the three `.npy` files of a split and checks them against the manifest: present, complete, and of shape
 * `[count, size, size, channels]`. On failure every file opened is closed again.
 */
async function openSplitReaders(
  directory: string,
  manifest: DatasetManifest,
  splitName: SplitName,
): Promise<NpyRecordReader[]> {
  const manifestFile = join(directory, 'manifest.json');
  const split = manifest.splits[splitName];
  const size = manifest.patch.size;
  const opened = await Promise.allSettled(
    LAYERS.map(async (layer) => {
      const relative = split.files[layer];
      const file = join(directory, relative);
      const field = `splits.${splitName}.files.${layer}`;
      const reader = await NpyRecordReader.open(file).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
        throw new TypeError(
          `loadDataset: ${manifestFile} field "${field}" names ${relative}, which does not exist in ${directory}; expected the split files written with the manifest`,
          { cause: error },
        );
      });
      const shape = reader.header.shape;
      const expected = [split.count, size, size, CHANNELS[layer]];
      if (shape.length === expected.length && shape.every((entry, k) => entry === expected[k])) return reader;
      await reader.close();
      const found = `shape [${shape.join(', ')}]`;
      if (shape[0] !== split.count) {
        throw new TypeError(
          `loadDataset: ${file} holds ${shape[0]} patches (${found}), but ${manifestFile} field "splits.${splitName}.count" is ${split.count}; expected shape [${expected.join(', ')}]`,
        );
      }
      throw new TypeError(
        `loadDataset: ${file} has ${found}, but ${manifestFile} field "patch.size" is ${size} and the ${layer} layer has ${CHANNELS[layer]} channel(s); expected shape [${expected.join(', ')}]`,
      );
    }),
  );
  const failure = opened.find((result) => result.status === 'rejected');
  if (failure) {
    await Promise.all(
      opened.map((result) => (result.status === 'fulfilled' ? result.value.close() : undefined)),
    );
    throw failure.reason;
  }
  return opened.map((result) => (result as PromiseFulfilledResult<NpyRecordReader>).value);
}

/** Refuses normalisation with statistics that are absent (an empty training split) or degenerate. */
function checkNormalization(directory: string, manifest: DatasetManifest): void {
  const { elevation, guide } = manifest.normalization;
  const entries = [
    ['normalization.elevation', elevation],
    ...guide.map((statistics, k) => [`normalization.guide[${k}]`, statistics] as const),
  ] as const;
  for (const [field, statistics] of entries) {
    if (!Number.isFinite(statistics.mean)) {
      throw new TypeError(
        `loadDataset: cannot normalize: ${join(directory, 'manifest.json')} field "${field}.mean" is ${statistics.mean}; expected a finite number (is the training split empty?)`,
      );
    }
    if (!(Number.isFinite(statistics.standardDeviation) && statistics.standardDeviation > 0)) {
      throw new TypeError(
        `loadDataset: cannot normalize: ${join(directory, 'manifest.json')} field "${field}.standardDeviation" is ${statistics.standardDeviation}; expected a positive number`,
      );
    }
  }
}

/** Reads the patches of one batch into three contiguous arrays, applying each patch's symmetry. */
async function readBatch(
  readers: NpyRecordReader[],
  indices: readonly number[],
  transforms: readonly DihedralTransform[],
  size: number,
): Promise<Record<(typeof LAYERS)[number], Float32Array>> {
  const channels = LAYERS.map((layer) => CHANNELS[layer]);
  const result = LAYERS.map((_, k) => new Float32Array(indices.length * readers[k]!.recordLength));
  await Promise.all(
    LAYERS.map(async (_, k) => {
      const reader = readers[k]!;
      const record = new Float32Array(reader.recordLength);
      for (let i = 0; i < indices.length; i += 1) {
        const index = indices[i]!;
        await reader.readRecord(index, record);
        const transform = transforms[index]!;
        const values =
          transform === 0 ? record : applyDihedralTransform(record, size, channels[k]!, transform);
        result[k]!.set(values, i * reader.recordLength);
      }
    }),
  );
  return { coarse: result[0]!, guide: result[1]!, reference: result[2]! };
}

/** Standardises heights with the pooled elevation statistics and guide channels with their own. */
function normalizeArrays(
  arrays: Record<(typeof LAYERS)[number], Float32Array>,
  manifest: DatasetManifest,
): void {
  const { elevation, guide } = manifest.normalization;
  for (const layer of ['coarse', 'reference'] as const) {
    const values = arrays[layer];
    for (let i = 0; i < values.length; i += 1)
      values[i] = (values[i]! - elevation.mean) / elevation.standardDeviation;
  }
  for (let i = 0; i < arrays.guide.length; i += 1) {
    const statistics = guide[i % 3]!;
    arrays.guide[i] = (arrays.guide[i]! - statistics.mean) / statistics.standardDeviation;
  }
}
