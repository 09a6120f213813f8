import { seededRandom } from './internal/random.js';
import type { PatchOrigin } from './scene.js';

/** Options of {@link splitPatches}. */
export interface SplitOptions {
  /** Patch side, pixels. */
  readonly patchSize?: number;
  /** Side of the square blocks assigned as a whole to one split; a multiple of `patchSize`. */
  readonly blockSize?: number;
  /** Fractions of the blocks for training and validation; the rest is the test split. */
  readonly fractions?: { readonly train: number; readonly validation: number };
  /** Seed of the block shuffle. */
  readonly seed?: number;
}

/** Defaults of {@link SplitOptions}: 16 px patches in 32 px blocks, 60 / 20 / 20. */
export const DEFAULT_SPLIT_OPTIONS: Required<SplitOptions> = {
  patchSize: 16,
  blockSize: 32,
  fractions: { train: 0.6, validation: 0.2 },
  seed: 1,
};

/** Patch corners of the three splits, and each block's split. */
export interface PatchSplit {
  readonly train: readonly PatchOrigin[];
  readonly validation: readonly PatchOrigin[];
  readonly test: readonly PatchOrigin[];
  /** Split of every block, row-major, `'train' | 'validation' | 'test'`, with the block grid size. */
  readonly blocks: { readonly rows: number; readonly cols: number; readonly splits: readonly string[] };
}

/**
 * A spatial train / validation / test split: the grid is cut into square blocks, the blocks are shuffled
 * (seeded) and assigned to the splits by the fractions, and every block is tiled by non-overlapping patches.
 *
 * @param rows - Grid rows.
 * @param cols - Grid columns.
 * @param options - See {@link SplitOptions}.
 * @returns The patch corners of each split; pixels beyond the last whole block are not used.
 * @throws RangeError if `blockSize` is not a multiple of `patchSize`, the grid holds fewer than three blocks, or
 *   the fractions are not in (0, 1) with a sum below 1.
 * @example
 * ```ts
 * const { train, validation, test } = splitPatches(176, 174, { patchSize: 16, blockSize: 32 });
 * ```
 */
export function splitPatches(rows: number, cols: number, options: SplitOptions = {}): PatchSplit {
  const { patchSize, blockSize, fractions, seed } = { ...DEFAULT_SPLIT_OPTIONS, ...options };
  if (!Number.isInteger(blockSize / patchSize) || patchSize < 1)
    throw new RangeError(`splitPatches: blockSize ${blockSize} must be a multiple of patchSize ${patchSize}`);
  if (!(fractions.train > 0 && fractions.validation > 0 && fractions.train + fractions.validation < 1))
    throw new RangeError('splitPatches: fractions must be positive with train + validation < 1');
  const blockRows = Math.floor(rows / blockSize);
  const blockCols = Math.floor(cols / blockSize);
  const count = blockRows * blockCols;
  if (count < 3)
    throw new RangeError(
      `splitPatches: a ${rows} x ${cols} grid holds ${count} blocks of ${blockSize} px; need 3`,
    );
  const order = Array.from({ length: count }, (_, i) => i);
  const random = seededRandom(seed);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const trainCount = Math.max(1, Math.round(count * fractions.train));
  const validationCount = Math.max(
    1,
    Math.min(count - trainCount - 1, Math.round(count * fractions.validation)),
  );
  const splits = new Array<string>(count);
  order.forEach((block, rank) => {
    splits[block] = rank < trainCount ? 'train' : rank < trainCount + validationCount ? 'validation' : 'test';
  });
  const result: Record<string, PatchOrigin[]> = { train: [], validation: [], test: [] };
  const perBlock = blockSize / patchSize;
  for (let block = 0; block < count; block++) {
    const top = Math.floor(block / blockCols) * blockSize;
    const left = (block % blockCols) * blockSize;
    for (let i = 0; i < perBlock; i++)
      for (let j = 0; j < perBlock; j++)
        result[splits[block]].push({ row: top + i * patchSize, col: left + j * patchSize });
  }
  return {
    train: result.train,
    validation: result.validation,
    test: result.test,
    blocks: { rows: blockRows, cols: blockCols, splits },
  };
}
